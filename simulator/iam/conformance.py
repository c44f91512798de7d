"""Run evaluation cases against the engine: `python -m simulator.iam.conformance PATH...`.

A case file is a JSON list of cases in the format of iam-simulate's tests (see
`../shared/conformance/README.md`). Prints one line per failing case and, last,
`N passed, M failed`; exits 0 only when none failed. `--json` prints one object per case
instead. `--bench S` then evaluates the whole set repeatedly for S seconds and prints, last,
`evaluations/s cold=<n> warm=<n>`: cold builds every policy from its JSON dict each time,
warm reuses policies already parsed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.iam.decision import Decision
from simulator.iam.evaluate import OrgLevel, evaluate
from simulator.iam.policy import Policy, PolicyKind, parse_policy
from simulator.iam.request import Request

__all__ = ["Case", "PreparedCase", "decide_case", "load_cases", "main", "prepare_case"]


@dataclass(frozen=True, slots=True)
class Case:
    file: str
    name: str
    data: Mapping[str, Any]

    @property
    def expected(self) -> str:
        return str(self.data["expected"]["response"])


@dataclass(frozen=True, slots=True)
class PreparedCase:
    """A case's policies, parsed once."""

    identity: tuple[Policy, ...]
    resource: Policy | None
    boundaries: tuple[Policy, ...]
    session: Policy | None
    scps: tuple[OrgLevel, ...] | None
    rcps: tuple[OrgLevel, ...] | None
    endpoints: tuple[Policy, ...]


def load_cases(paths: Sequence[str | Path]) -> list[Case]:
    cases: list[Case] = []
    for file in _files(paths):
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{file}: a case file holds a JSON list of cases")
        cases.extend(Case(str(file), str(item.get("name", "?")), item) for item in data)
    return cases


def _files(paths: Sequence[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(path.rglob("*.json"))
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")


def _levels(raw: Any, kind: PolicyKind, prefix: str) -> tuple[OrgLevel, ...] | None:
    if raw is None:
        return None
    return tuple(
        OrgLevel(
            str(level.get("orgIdentifier", f"level {n + 1}")),
            tuple(
                parse_policy(policy, name=f"{prefix} {n + 1}.{m + 1}", kind=kind)
                for m, policy in enumerate(level.get("policies", []))
            ),
        )
        for n, level in enumerate(raw)
    )


def prepare_case(data: Mapping[str, Any]) -> PreparedCase:
    resource = data.get("resourcePolicy")
    session = data.get("sessionPolicy")
    return PreparedCase(
        identity=tuple(
            parse_policy(policy, name=f"identity policy {n + 1}", kind=PolicyKind.IDENTITY)
            for n, policy in enumerate(data.get("identityPolicies") or [])
        ),
        resource=parse_policy(resource, name="resource policy", kind=PolicyKind.RESOURCE)
        if resource is not None
        else None,
        boundaries=tuple(
            parse_policy(policy, name=f"permissions boundary {n + 1}", kind=PolicyKind.BOUNDARY)
            for n, policy in enumerate(data.get("permissionBoundaries") or [])
        ),
        session=parse_policy(session, name="session policy", kind=PolicyKind.SESSION)
        if session is not None
        else None,
        scps=_levels(data.get("serviceControlPolicies"), PolicyKind.SCP, "SCP"),
        rcps=_levels(data.get("resourceControlPolicies"), PolicyKind.RCP, "RCP"),
        endpoints=tuple(
            parse_policy(policy, name=f"VPC endpoint policy {n + 1}", kind=PolicyKind.ENDPOINT)
            for n, policy in enumerate(data.get("endpointPolicies") or [])
        ),
    )


def build_request(data: Mapping[str, Any]) -> Request:
    raw = data["request"]
    resource = raw.get("resource") or {}
    return Request.build(
        principal=raw["principal"],
        action=raw["action"],
        resource=resource.get("resource", "*"),
        resource_account=resource.get("accountId"),
        context=raw.get("context") or {},
        wildcard_only_action=bool(raw.get("wildcardOnlyAction", False)),
    )


def decide_case(data: Mapping[str, Any], prepared: PreparedCase | None = None) -> Decision:
    """Evaluate one case (parsing its policies unless `prepared` is given)."""
    policies = prepared if prepared is not None else prepare_case(data)
    return evaluate(
        build_request(data),
        identity_policies=policies.identity,
        resource_policy=policies.resource,
        permissions_boundaries=policies.boundaries,
        session_policy=policies.session,
        scps=policies.scps,
        rcps=policies.rcps,
        endpoint_policies=policies.endpoints,
    )


def _outcome(case: Case) -> str:
    try:
        return decide_case(case.data).response.value
    except (ValueError, KeyError, TypeError) as error:
        return f"error: {error}"


def _rate(seconds: float, run_once: Callable[[], int]) -> int:
    """Evaluations per second: the median of short timed windows filling `seconds`.

    The median keeps a moment of interference from another process (on a shared machine)
    from deciding the figure, while every window still runs the whole set.
    """
    window = max(seconds / 10, 0.05)
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while not rates or time.perf_counter() < deadline:
        done = 0
        start = time.perf_counter()
        while True:
            done += run_once()
            elapsed = time.perf_counter() - start
            if elapsed >= window:
                break
        rates.append(done / elapsed)
    return int(statistics.median(rates))


def bench(cases: Sequence[Case], seconds: float) -> tuple[int, int]:
    datas = [case.data for case in cases]
    prepared = [(data, prepare_case(data)) for data in datas]

    def cold() -> int:
        for data in datas:
            decide_case(data)
        return len(datas)

    def warm() -> int:
        for data, ready in prepared:
            decide_case(data, ready)
        return len(prepared)

    return _rate(seconds / 2, cold), _rate(seconds / 2, warm)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.iam.conformance",
        description="Evaluate IAM policy cases and compare with their expected response.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    parser.add_argument("--bench", type=float, metavar="SECONDS", help="then measure throughput")
    args = parser.parse_args(argv)
    try:
        cases = load_cases(args.paths)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = 0
    for case in cases:
        actual = _outcome(case)
        if args.json:
            print(json.dumps({"file": case.file, "name": case.name,
                              "expected": case.expected, "actual": actual}))  # fmt: skip
        elif actual != case.expected:
            print(f"FAIL {case.file} :: {case.name}: expected {case.expected}, got {actual}")
        failed += actual != case.expected
    print(f"{len(cases) - failed} passed, {failed} failed")
    if args.bench:
        cold, warm = bench(cases, args.bench)
        print(f"evaluations/s cold={cold} warm={warm}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
