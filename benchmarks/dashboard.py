"""Benchmark: the instructor's dashboard for a class of 100 learners. Run: `make bench`.

The full page and the grid's refresh (the htmx GET every open dashboard makes every 5
seconds), rendered in-process through Django's test client on a SQLite file database with
DEBUG off: the median of 20 GETs each, after one unmeasured. The class takes the four
built-in guided scenarios; its learners are spread over the first one's steps, with failed
checks (some stuck) and one in ten joined with nothing done, as a class looks mid-lesson.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django_setup import test_databases  # first: it configures Django

# isort: split
from django.test import Client

LEARNERS = 100
ROUNDS = 20
SLUGS = ("attach-replace", "keys-vs-role", "fleet-put-only", "service-linked-roles")
NAMES = ("Ada", "Bo", "Chidi", "Dana", "Eun-ji", "Farid", "Greta", "Hiro", "Ines", "Jamal")
GRID = {"HX-Request": "true", "HX-Target": "grid"}


def populate(count: int) -> Any:
    """A class of `count` learners in mixed states; one world built, the others copies of it."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from lessons.models import Attempt, Classroom, Membership, catalogue

    teacher = User.objects.create_user("ada", password="a long instructor passphrase")
    room = Classroom.start(instructor=teacher, title="IAM roles, Tuesday", scenarios=list(SLUGS))
    scenario = catalogue()[SLUGS[0]]
    now = timezone.now()
    first = None
    for number in range(count):
        name = f"{NAMES[number % 10]} {chr(65 + number // 10)}{number}"
        member = Membership.objects.create(classroom=room, display_name=name)
        if number % 10 == 9:
            continue  # joined, nothing done yet
        if first is None:
            attempt = first = Attempt.start(member.owner, scenario)
        else:
            attempt = Attempt.objects.create(
                membership=member, scenario=scenario.slug, world=first.world,
                variables=first.variables, seed=first.seed,
            )  # fmt: skip
        index = number % len(scenario.steps)
        step = scenario.steps[index]
        failed = number % 4
        failures = {}
        if step.probes and failed:
            probe = step.probes[0]
            failures = {step.id: {f"{probe.line}:{probe.service}:{probe.operation}": failed}}
        Attempt.objects.filter(pk=attempt.pk).update(
            step_index=index,
            completed={done.id: now.isoformat() for done in scenario.steps[:index]},
            checks={step.id: failed},
            failures=failures,
            step_started=now - timedelta(minutes=number % 9),
        )
    return room


def median_ms(get: Callable[[], Any]) -> tuple[float, int]:
    get()  # the first: templates compiled, the catalogue read
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), len(response.content)


def main() -> None:
    with test_databases():
        room = populate(LEARNERS)
        client = Client()
        client.force_login(room.instructor)
        url = f"/teach/{room.join_code}/"
        gzip = {"Accept-Encoding": "gzip"}
        for label, get in (
            ("full page", lambda: client.get(url)),
            ("grid refresh", lambda: client.get(url, headers=GRID)),
            ("grid refresh gzipped, as a browser asks", lambda: client.get(url, headers={**GRID, **gzip})),
            ("full page, stuck first, only the stuck", lambda: client.get(url + "?sort=stuck&show=stuck")),
        ):  # fmt: skip
            ms, size = median_ms(get)
            print(f"dashboard, {LEARNERS} learners, {label}: median {ms:.1f} ms ({size / 1024:.0f} KiB)")  # fmt: skip


if __name__ == "__main__":
    main()
