"""Benchmark: one learner action's server time (budget: median <= 30 ms). Run: `make bench`.

An htmx POST that runs an AWS call from the console and re-renders its fragments, measured
in-process through Django's test client on a SQLite file database with DEBUG off, for the
smallest guided scenario and for the 10-instance fleet scenario (the largest world).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DJANGO_TEST_DATABASE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
os.environ.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench-" + "x" * 50,
                  DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_LOG_LEVEL="WARNING")  # fmt: skip

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402

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
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    settings.ALLOWED_HOSTS = ["testserver"]
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    from lessons.models import Attempt

    try:
        for slug in ("keys-vs-role", "fleet-put-only"):
            measure(slug, Attempt)
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
