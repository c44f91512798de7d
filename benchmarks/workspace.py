"""Benchmark: one learner action's server time (budget: median <= 30 ms). Run: `make bench`.

An htmx POST that runs an AWS call from the console and re-renders its fragments, measured
in-process through Django's test client on a SQLite file database with DEBUG off, for the
smallest guided scenario and for the 10-instance fleet scenario (the largest world).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from django_setup import test_databases  # first: it configures Django

# isort: split
from django.test import Client

HTMX = {"HX-Request": "true"}
ROUNDS = 40


def median_ms(action: Callable[[int], object]) -> float:
    times = []
    for number in range(ROUNDS):
        start = time.perf_counter()
        response = action(number)
        times.append((time.perf_counter() - start) * 1000)
        assert getattr(response, "status_code", 200) in (200, 302)
    return statistics.median(times)


def measure(slug: str, attempts: type) -> None:
    client = Client()
    url = f"/s/{slug}/"
    client.get(url)
    client.post(url, {"action": "console-user-create", "user_name": "first-change"})  # stores it
    attempt = attempts.objects.get(scenario=slug)
    bucket = sorted(attempt.load_world().state.buckets)[0]
    size = len(json.dumps(attempt.world)) / 1024
    call = median_ms(lambda n: client.post(
        url, {"action": "console-object-get", "bucket": bucket, "key": "nope"}, headers=HTMX))  # fmt: skip
    grow = median_ms(lambda n: client.post(
        url, {"action": "console-user-create", "user_name": f"bench-{n}"}, headers=HTMX))  # fmt: skip
    hint = median_ms(lambda n: client.post(url, {"action": "hint"}, headers=HTMX))
    print(f"workspace {slug} ({size:.0f} KiB world): console call {call:.1f} ms, "
          f"call that adds a user {grow:.1f} ms, hint {hint:.1f} ms (budget 30 ms median)")  # fmt: skip


def main() -> None:
    from lessons.models import Attempt

    with test_databases():
        for slug in ("keys-vs-role", "fleet-put-only"):
            measure(slug, Attempt)


if __name__ == "__main__":
    main()
