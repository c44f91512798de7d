"""Benchmark: policy wildcards (issue 9), in microseconds per match. Run: `make bench`.

    .venv/bin/python benchmarks/wildcard.py [--rounds 2000]

Each pattern goes through the engine's compiled matchers (Action, Resource, a StringLike
condition), as a statement evaluation does. The pathological patterns are the issue's: as
backtracking regular expressions, 15 wildcards in a Resource against 40 characters ran for
over 30 s, and StringLike took 2.4 s at 11 wildcards. Now every match costs at most the text's
length times the pattern's; the typical patterns must stay as fast as they were (a few tenths
of a microsecond).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.iam.conditions import parse_conditions  # noqa: E402
from simulator.iam.matching import ActionMatcher, ResourceMatcher, lookup_from  # noqa: E402

_ARN = "arn:aws:s3:::b/"


def action(pattern: str, action: str) -> Callable[[], bool]:
    matcher = ActionMatcher.compile((pattern,), negated=False, single=True)
    lowered = action.lower()
    return lambda: matcher.covers(lowered)


def resource(pattern: str, arn: str) -> Callable[[], bool]:
    matcher = ResourceMatcher.compile((pattern,), negated=False, single=True, variables=True)
    lookup = lookup_from({})
    return lambda: matcher.covers(arn, lookup)


def string_like(pattern: str, value: str) -> Callable[[], bool]:
    (condition,) = parse_conditions(
        {"StringLike": {"aws:username": pattern}}, "Condition", variables=True
    )
    context = {"aws:username": (value,)}
    lookup = lookup_from(context)
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
    args = parser.parse_args()
    for name, test, expected in CASES:
        assert test() is expected, name
        print(f"{name}: {per_match_us(test, args.rounds):.2f} us per match")


if __name__ == "__main__":
    main()
