"""Benchmark: policy wildcards (issue 9), per match and per policy check. Run: `make bench`.

    .venv/bin/python benchmarks/wildcard.py [--rounds 2000]

Each pattern goes through the engine's compiled matchers (Action, Resource, a StringLike
condition), as a statement evaluation does. The pathological patterns are the issue's: as
backtracking regular expressions, 15 wildcards in a Resource against 40 characters ran for
over 30 s, and StringLike took 2.4 s at 11 wildcards. Now every match costs at most the text's
length times the pattern's; the typical patterns must stay as fast as they were (a few tenths
of a microsecond).

The second part is the policy checks' (findings, PutBucketPolicy) typing of ARN patterns:
whether a Resource with wildcards could be one of the catalogue's ARN templates. A learner may
paste 2,000-character Resource values of wildcards; the longest templates (apigateway's, with
up to nine placeholders) are the worst case. Each call gets a pattern it has not seen before
(a number near its end), so no cache flatters the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import World  # noqa: E402
from simulator.iam import catalog  # noqa: E402
from simulator.iam.conditions import parse_conditions  # noqa: E402
from simulator.iam.findings import PolicyKind, validate_policy  # noqa: E402
from simulator.iam.matching import ActionMatcher, ResourceMatcher  # noqa: E402

_ARN = "arn:aws:s3:::b/"


def action(pattern: str, action: str) -> Callable[[], bool]:
    matcher = ActionMatcher.compile((pattern,), negated=False, single=True)
    lowered = action.lower()
    return lambda: matcher.covers(lowered)


def resource(pattern: str, arn: str) -> Callable[[], bool]:
    matcher = ResourceMatcher.compile((pattern,), negated=False, single=True, variables=True)
    context: dict[str, tuple[str, ...]] = {}
    lookup = context.get  # as evaluate() looks variables up: in the request context
    return lambda: matcher.covers(arn, lookup)


def string_like(pattern: str, value: str) -> Callable[[], bool]:
    (condition,) = parse_conditions(
        {"StringLike": {"aws:username": pattern}}, "Condition", variables=True
    )
    context = {"aws:username": (value,)}
    lookup = context.get
    return lambda: condition.evaluate(context, lookup)


CASES: list[tuple[str, Callable[[], bool], bool]] = [
    (
        "Resource, 15 wildcards vs 40 characters",
        resource(_ARN + "*a" * 14 + "*b", _ARN + "a" * 40),
        False,
    ),
    (
        "Resource, 15 wildcards vs 41 characters it matches",
        resource(_ARN + "*a" * 14 + "*b", _ARN + "a" * 40 + "b"),
        True,
    ),
    ("StringLike, 11 wildcards vs 40 characters", string_like("*a" * 10 + "*b", "a" * 40), False),
    ("StringLike, 20 wildcards vs 40 characters", string_like("*a" * 19 + "*b", "a" * 40), False),
    (
        "Action, 21 wildcards vs 40 characters",
        action("s3:" + "*a" * 20 + "*b", "s3:" + "a" * 40),
        False,
    ),
    (
        "Resource arn:aws:s3:::bucket/*",
        resource("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/reports/2024/q1.csv"),
        True,
    ),
    (
        "Resource arn:aws:iam::*:role/*",
        resource("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/Admin"),
        True,
    ),
    ("Action s3:Get*", action("s3:Get*", "s3:GetObject"), True),
    ("Action s3:*Object", action("s3:*Object", "s3:GetObject"), True),
    ("StringLike team-*", string_like("team-*", "team-blue"), True),
]


def template(namespace: str, key: str) -> str:
    (found,) = [rt.arn for rt in catalog.resource_types_for_namespace(namespace) if rt.key == key]
    return found


def crafted(unit: str, end: str, count: int, size: int = 2000) -> str:
    """`size` characters of `unit` repeated, then a number (new each call) and `end`."""
    tail = f"{count}{end}"
    return (unit * size)[: size - len(tail)] + tail


_Fresh = Callable[[int], object]  # call number -> the answer of a call on a new pattern


def field_vs_template(unit: str, end: str, arn_template: str) -> _Fresh:
    return lambda count: catalog._field_fits(crafted(unit, end, count), arn_template, 5)


def arn_types(head: str, unit: str, end: str) -> _Fresh:
    return lambda count: len(catalog.arn_resource_types(head + crafted(unit, end, count)))


def bucket_policy_action(unit: str, end: str) -> _Fresh:
    """PutBucketPolicy's check that an action applies to a Resource (s3:ListBucket, a bucket)."""
    info = catalog.action("s3", "ListBucket")
    assert info is not None
    return lambda count: catalog.arn_fits_action(info, "arn:aws:s3:::b" + crafted(unit, end, count))


def bucket_policy(resources: Callable[[int], list[str]], actions: list[str]) -> _Fresh:
    """PutBucketPolicy on the bucket `bkt`: S3's checks (each action must apply to one of the
    resources, by the catalogue), then the engine's own parse."""
    world = World.new(seed=0)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": "bkt"})

    def run(count: int) -> object:
        statement = {"Effect": "Allow", "Principal": "*", "Action": actions}
        text = json.dumps(
            {"Version": "2012-10-17", "Statement": [{**statement, "Resource": resources(count)}]}
        )
        return world.call(admin, "s3", "PutBucketPolicy", {"Bucket": "bkt", "Policy": text})

    return run


def findings(resources: Callable[[int], list[str]], actions: list[str]) -> _Fresh:
    def run(count: int) -> object:
        statement = {"Effect": "Allow", "Action": actions, "Resource": resources(count)}
        text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        return len(validate_policy(text, policy_type=PolicyKind.IDENTITY))

    return run


_APIGATEWAY = "arn:aws:apigateway:us-east-1::"
_EC2_ACCOUNT = "arn:aws:ec2:us-east-1:111122223333:"
_EC2 = _EC2_ACCOUNT + "!"
_EC2_ACTIONS = catalog.actions_matching("ec2:*", limit=499)
_INTEGRATION = template("apigateway", "Integration")
_INTEGRATION_RESPONSE = template("apigateway", "IntegrationResponse")
_WORKFLOW = template("imagebuilder", "allWorkflowBuildVersions")
_SERVICE_ROLE = template("iam", "es_role")
_ORDINARY = [  # {} is the call's number
    "arn:aws:s3:::reports-{}",
    "arn:aws:s3:::reports-{}/*",
    "arn:aws:iam::*:role/app-{}-*",
    "arn:aws:apigateway:*::/restapis/*/stages/prod{}",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-{}*",
]

# (name, test, expected answer); each runs against new patterns, in milliseconds per call.
CATALOG_CASES: list[tuple[str, _Fresh, object]] = [
    (
        "2,000-char field '?*?*...!' vs apigateway Integration (96 tokens)",
        field_vs_template("?*", "!", _INTEGRATION),
        False,
    ),
    (
        "2,000-char field '*/*/...!' vs apigateway Integration",
        field_vs_template("*/", "!", _INTEGRATION),
        False,
    ),
    (
        "2,000-char field '****...:' vs es_role (all literal, 94 tokens)",
        field_vs_template("*", ":", _SERVICE_ROLE),
        False,
    ),
    (
        "2,000-char field '*/*/...!' vs imagebuilder allWorkflowBuildVersions",
        field_vs_template("*/", "!", _WORKFLOW),
        False,
    ),
    (
        "2,000-char field '****...*' vs apigateway IntegrationResponse (133 tokens)",
        field_vs_template("*", "*", _INTEGRATION_RESPONSE),
        True,
    ),
    (
        "ARN of '?*?*...!' vs apigateway's 70 templates",
        arn_types(_APIGATEWAY, "?*", "!"),
        31,
    ),
    (
        "ARN of '*/*/...!' vs apigateway's 70 templates",
        arn_types(_APIGATEWAY, "*/", "!"),
        31,
    ),
    (
        "PutBucketPolicy: s3:ListBucket vs arn:aws:s3:::b?*?*.../",
        bucket_policy_action("?*", "/"),
        False,
    ),
    (
        "PutBucketPolicy (18 KB): 100 x s3:ListBucket, 8 object patterns, then the bucket",
        bucket_policy(
            lambda count: [
                *(f"arn:aws:s3:::bkt{'*' * 1980}/{count}-{i}" for i in range(8)),
                "arn:aws:s3:::bkt",
            ],
            ["s3:ListBucket"] * 100,
        ),
        {},
    ),
    (
        "validate_policy, 10 Resource values of 2,000 wildcard characters",
        findings(
            lambda count: [_APIGATEWAY + crafted("?*", "!", count * 10 + i) for i in range(10)],
            ["apigateway:GET"],
        ),
        1,
    ),
    (
        "validate_policy, 499 ec2 actions, 2 such Resource values (200 mismatch messages)",
        findings(
            lambda count: [_EC2_ACCOUNT + crafted("?*", "!", count * 2 + i) for i in range(2)],
            _EC2_ACTIONS,
        ),
        201,  # MAX_FINDINGS and the note that there are more
    ),
    (
        "validate_policy, 10 malformed ec2 ARNs of 2,000 characters",
        findings(
            lambda count: [_EC2 + crafted("e", "!", count * 10 + i) for i in range(10)],
            ["ec2:StartInstances"],
        ),
        12,  # the size quota, a mismatch, and each ARN's resource part
    ),
    (
        "validate_policy, 150 malformed ec2 ARNs of 40 characters",
        findings(
            lambda count: [_EC2 + crafted("e", "!", count * 150 + i, 40) for i in range(150)],
            ["ec2:StartInstances"],
        ),
        152,  # the same
    ),
    (
        "validate_policy, an ordinary policy",
        findings(
            lambda count: [arn.format(count) for arn in _ORDINARY],
            ["s3:GetObject", "iam:PassRole", "apigateway:GET", "ec2:StartInstances"],
        ),
        0,
    ),
]


def per_call_ms(test: _Fresh, budget: float) -> float:
    """Median time of a call on a new pattern, over as many calls as fit in `budget` seconds."""
    samples: list[float] = []
    count = 1
    while count < 3 or (sum(samples) < budget and count < 10_000):
        start = time.perf_counter()
        test(count)
        samples.append(time.perf_counter() - start)
        count += 1
    return statistics.median(samples) * 1e3


def per_match_us(test: Callable[[], bool], rounds: int) -> float:
    """Median of `rounds` timings of a batch of calls, per call."""
    batch = 10
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batch):
            test()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=1.0, help="per catalogue case")
    args = parser.parse_args()
    for name, test, expected in CASES:
        assert test() is expected, name
        print(f"{name}: {per_match_us(test, args.rounds):.2f} us per match")
    for name, fresh, answer in CATALOG_CASES:
        assert fresh(0) == answer, name
        print(f"{name}: {per_call_ms(fresh, args.seconds):.3f} ms per call")


if __name__ == "__main__":
    main()
