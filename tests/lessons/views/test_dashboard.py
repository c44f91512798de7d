"""The instructor's dashboard at /teach/<code>/: the grid in words, stuck learners, the most
common failing check, the actions (with htmx and without), the CSV export and the summary;
and that nobody but the class's instructor reaches any of it."""

import csv
import io
import threading
import zoneinfo
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from lessons.models import Attempt, Classroom, Membership, catalogue
from lessons.views import dashboard
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}
POLLS = """hx-vals='{"was_open": "1"}' hx-trigger="every 5s\""""  # the open grid's refresh


class _Grid(HTMLParser):
    """The dashboard's grid as a reader meets it: per learner, each step's cell as (state, the
    words read out: the visible word and time, and what only screen readers hear)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self._grid = False  # in the grid's table (not the step summary's)
        self._body = False
        self._name: str | None = None
        self._cell: tuple[str, list[str]] | None = None
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            self._grid = classes == "grid"
        elif tag == "tbody" and self._grid:
            self._body = True
        elif self._body and tag == "th":
            self._in_name, self._name = True, ""
        elif self._body and tag == "td" and "cell--" in classes:
            state = next(
                c.removeprefix("cell--") for c in classes.split() if c.startswith("cell--")
            )
            self._cell = (state, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._body = False
        elif tag == "th" and self._in_name:
            self._in_name = False
            self.rows[(self._name or "").strip()] = []
        elif tag == "td" and self._cell is not None and self._name is not None:
            state, words = self._cell
            self.rows[self._name.strip()].append((state, " ".join("".join(words).split())))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self._name = (self._name or "") + data
        elif self._cell is not None:
            self._cell[1].append(data)


def grid_of(page: str) -> dict[str, list[tuple[str, str]]]:
    parser = _Grid()
    parser.feed(page)
    return parser.rows


def cells(page: str) -> list[tuple[str, str]]:
    return [cell for row in grid_of(page).values() for cell in row]


WORKING_JUST_NOW = ("working", "working <1 min")
NOT_STARTED = ("not-started", "not started")


# --- Factories ---------------------------------------------------------------------------------


def instructor(*, username: str = "ada") -> User:
    return User.objects.create_user(username=username, password="correct horse battery")


def classroom(
    *,
    teacher: User | None = None,
    title: str = "IAM roles, Tuesday",
    slugs: tuple[str, ...] = ("two-steps", "mini"),
    **extra: Any,
) -> Classroom:
    return Classroom.objects.create(
        instructor=teacher or instructor(), title=title, scenarios=list(slugs), **extra
    )


def member(room: Classroom, name: str = "Sam") -> Membership:
    return Membership.objects.create(classroom=room, display_name=name)


def attempt(membership: Membership, slug: str = "two-steps") -> Attempt:
    return Attempt.start(membership.owner, catalogue()[slug])


def signed_in(client: Client, room: Classroom) -> Client:
    client.force_login(room.instructor)
    return client


def url(room: Classroom, page: str = "") -> str:
    return f"/teach/{room.join_code}/{page}"


def post(client: Client, room: Classroom, data: dict[str, Any], *, htmx: bool = False) -> HttpResponse:  # fmt: skip
    return client.post(url(room), data, headers=HTMX if htmx else {})


def fresh(item: Attempt) -> Attempt:
    return Attempt.objects.defer("world").get(pk=item.pk)


def rows(response: HttpResponse) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- The grid -----------------------------------------------------------------------------------


def test_dashboard_shows_each_learner_and_each_step_with_words(client: Client) -> None:
    room = classroom()
    attempt(member(room, "Sam"))
    member(room, "Kim")
    member(classroom(teacher=instructor(username="bob")), "Someone else")

    response = signed_in(client, room).get(url(room))

    text = response.text
    assert response.status_code == 200
    assert "IAM roles, Tuesday" in text
    assert room.join_code in text
    assert "Sam" in text
    assert "Kim" in text
    assert "Someone else" not in text
    # grouped by scenario, each step's header its number, its full name read out and shown on
    # hover and focus (a focusable header)
    assert "1. Role in, keys out" in text
    assert "2. Attach a role" in text
    assert (
        '<th scope="col" class="grid__step grid__first" id="col-1" tabindex="0"><span aria-hidden="true">1</span><span class="grid__tip">Role in, keys out, step 1: Give web-1 a role</span></th>'
        in text
    )
    # Sam is working on step 1 of two-steps; so is Kim, who joined and has done nothing yet
    # (no attempt stored); the rest of their rows: not started
    assert grid_of(text)["Sam"][0] == WORKING_JUST_NOW
    assert grid_of(text)["Kim"][0] == WORKING_JUST_NOW
    assert cells(text).count(NOT_STARTED) == 2 * 3 - 2
    assert (
        '<span class="cell--stuck">stuck: no step passed for 5 min, or 3 failed checks</span>'
        in text
    )


def test_a_learner_who_joined_and_did_nothing_is_stuck_after_a_while(client: Client) -> None:
    room = classroom()
    idle = member(room, "Idle")
    Membership.objects.filter(pk=idle.pk).update(joined=timezone.now() - timedelta(minutes=6))

    text = signed_in(client, room).get(url(room)).text

    assert "nothing done for 6 min since joining" in text


def test_a_passed_step_is_done(client: Client) -> None:
    room = classroom()
    sam = attempt(member(room))
    Attempt.objects.filter(pk=sam.pk).update(
        step_index=1, completed={"attach": timezone.now().isoformat()}
    )

    text = signed_in(client, room).get(url(room)).text

    assert grid_of(text)["Sam"][0] == ("done", "done")
    assert '<td class="step-sum__done">1 of 1 (100%)</td>' in text


def test_a_learner_who_checked_three_times_without_passing_is_stuck(client: Client) -> None:
    room = classroom()
    sam = attempt(member(room))
    for _ in range(3):
        assert not sam.run_check().passed

    text = signed_in(client, room).get(url(room)).text

    assert grid_of(text)["Sam"][0] == ("stuck", "stuck <1 min: 3 failed checks")
    assert "1 stuck" in text


def test_two_failed_checks_are_not_yet_stuck(client: Client) -> None:
    room = classroom()
    sam = attempt(member(room))
    sam.run_check()
    sam.run_check()

    text = signed_in(client, room).get(url(room)).text

    assert grid_of(text)["Sam"][0][0] == "working"


def test_a_learner_long_on_their_step_is_stuck_with_the_time_on_it(client: Client) -> None:
    room = classroom()
    sam = attempt(member(room))
    Attempt.objects.filter(pk=sam.pk).update(step_started=timezone.now() - timedelta(minutes=12))

    text = signed_in(client, room).get(url(room)).text

    assert grid_of(text)["Sam"][0] == ("stuck", "stuck 12 min: no step passed for 12 min")


def test_stuck_limits_come_from_the_settings(client: Client, settings: Any) -> None:
    settings.ROLECALL_STUCK_MINUTES = 30
    settings.ROLECALL_STUCK_FAILED_CHECKS = 1
    room = classroom()
    slow, failing = attempt(member(room, "Slow")), attempt(member(room, "Failing"))
    Attempt.objects.filter(pk=slow.pk).update(step_started=timezone.now() - timedelta(minutes=12))
    failing.run_check()

    board = dashboard.build_board(room)

    states = {row.member.display_name: row.cells[0].state for row in board.rows}
    assert states == {"Slow": "working", "Failing": "stuck"}
    assert "no step passed for 30 min, or 1 failed checks" in signed_in(client, room).get(url(room)).text  # fmt: skip


def test_a_scenario_left_for_another_is_not_where_the_learner_is_stuck() -> None:
    room = classroom()
    sam = member(room)
    left, now_on = attempt(sam, "two-steps"), attempt(sam, "mini")
    long_ago = timezone.now() - timedelta(minutes=20)
    Attempt.objects.filter(pk=left.pk).update(step_started=long_ago, updated=long_ago)
    Attempt.objects.filter(pk=now_on.pk).update(step_started=timezone.now())

    row = dashboard.build_board(room).rows[0]

    assert [cell.state for cell in row.cells] == ["working", "not-started", "working"]


def test_the_most_common_failing_check_is_named_in_the_probes_words(client: Client) -> None:
    room = classroom()
    step = catalogue()["two-steps"].steps[0]
    probe, condition = step.probes[0], step.conditions[0]
    probe_key = f"{probe.line}:{probe.service}:{probe.operation}"
    condition_key = f"{condition.line}:{condition.kind}"
    for failures in ({probe_key: 4, condition_key: 1}, {probe_key: 1, condition_key: 2}):
        Attempt.objects.filter(
            pk=attempt(member(room, f"L{len(failures)}{probe_key}{failures[probe_key]}")).pk
        ).update(  # fmt: skip
            failures={"attach": failures}
        )

    text = signed_in(client, room).get(url(room)).text

    assert '<td class="step-sum__failing"><q>Software on web-1 can put a report</q>' in text
    assert "(5 times, 2 learners)" in text


def test_a_check_without_words_of_its_own_is_described() -> None:
    step = catalogue()["mini"].steps[0]
    probe, condition = step.probes[0], step.conditions[0]

    words = dashboard.check_words(step)

    assert words[f"{probe.line}:s3:PutObject"] == (
        "As software on instance web-1, s3 PutObject from/{instance:web-1}.txt gives Allowed"
    )
    assert words[f"{condition.line}:instance_role"] == "Instance role: instance web-1, role AppRole"


def test_a_failing_check_no_longer_in_the_file_still_reads_as_words() -> None:
    room = classroom()
    sam = attempt(member(room))
    Attempt.objects.filter(pk=sam.pk).update(failures={"attach": {"999:s3:GetObject": 3}})

    summary = dashboard.build_board(room).steps[0]

    assert summary.failing == "A check no longer in the scenario file (it was on line 999)"


def test_the_grid_refreshes_itself_and_htmx_gets_only_the_grid(client: Client) -> None:
    room = classroom()
    attempt(member(room))
    signed_in(client, room)

    page = client.get(url(room)).text
    grid = client.get(url(room), headers={**HTMX, "HX-Target": "grid"})

    assert f'hx-get="/teach/{room.join_code}/" {POLLS}' in page
    assert 'id="grid-refresh"' in page  # the link for when JavaScript is off
    assert grid.status_code == 200
    assert "<html" not in grid.text
    assert grid.text.lstrip().startswith('<section id="grid"')
    assert "Sam" in grid.text
    assert "class-actions" not in grid.text
    assert "HX-Request" in grid.headers["Vary"]


def test_an_ended_class_grid_stops_refreshing(client: Client) -> None:
    room = classroom(ended=timezone.now())

    text = signed_in(client, room).get(url(room)).text

    assert 'hx-trigger="every 5s"' not in text
    assert "Ended" in text
    assert "This class has ended" in text


def test_a_class_whose_time_ran_out_while_its_page_was_open_reloads_the_whole_page(
    client: Client,
) -> None:
    """The grid's refresh notices: the header and the actions must say ended too, not the
    grid alone (the page polled as open, with was_open)."""
    room = classroom(ends_at=timezone.now() - timedelta(seconds=1))
    signed_in(client, room)

    polled = client.get(url(room) + "?was_open=1", headers={**HTMX, "HX-Target": "grid"})
    again = client.get(url(room), headers={**HTMX, "HX-Target": "grid"})

    assert polled.headers.get("HX-Refresh") == "true"
    assert "HX-Refresh" not in again.headers  # a grid asked for as ended is just the grid


def test_a_signed_out_instructors_refresh_loads_the_sign_in_page_whole(client: Client) -> None:
    """Not the sign-in page swapped into the grid: htmx is told to go there, and back after."""
    room = classroom()

    polled = client.get(
        url(room),
        headers={
            **HTMX,
            "HX-Target": "grid",
            "HX-Current-URL": f"http://testserver{url(room)}?sort=stuck",
        },
    )

    assert polled.status_code == 200
    assert (
        polled.headers["HX-Redirect"]
        == f"/accounts/login/?next=/teach/{room.join_code}/%3Fsort%3Dstuck"
    )
    assert polled.content == b""


def test_an_ended_class_is_shown_as_it_was_when_it_ended(client: Client) -> None:
    """Nobody turns stuck after the end: the times stop at the end time."""
    room = classroom()
    sam = attempt(member(room))
    Attempt.objects.filter(pk=sam.pk).update(step_started=timezone.now() - timedelta(minutes=2))
    Classroom.objects.filter(pk=room.pk).update(ended=timezone.now())
    room.refresh_from_db()

    later = dashboard.build_board(room, now=timezone.now() + timedelta(minutes=30))

    assert later.rows[0].cells[0].state == "working"


def test_a_learners_name_opens_their_panel_with_and_without_htmx(client: Client) -> None:
    room = classroom()
    sam = member(room)
    attempt(sam)
    signed_in(client, room)

    page = client.get(url(room), {"learner": sam.pk}).text
    panel = client.get(url(room), {"learner": sam.pk}, headers={**HTMX, "HX-Target": "learner"})

    assert 'id="learner-heading">Sam<' in page
    assert "step 1 of 2: Give web-1 a role" in page
    assert panel.text.lstrip().startswith('<div id="learner"')
    assert "Reveal the next hint (3 left)" in panel.text


def test_a_learners_panel_counts_done_steps_in_words_that_fit_one_step(client: Client) -> None:
    room = classroom()
    sam = member(room)
    for slug in ("two-steps", "mini"):
        attempt(sam, slug)
    Attempt.objects.filter(membership=sam).update(step_index=F("step_index") + 2)
    signed_in(client, room)

    page = client.get(url(room), {"learner": sam.pk}).text

    assert "all 2 steps done" in page
    assert "the 1 step done" in page
    assert "all 1 steps done" not in page


def test_the_query_count_does_not_grow_with_the_class(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    room = classroom()
    world = attempt(member(room, "First")).world
    for number in range(49):
        joined = Membership.objects.create(classroom=room, display_name=f"L{number}")
        Attempt.objects.create(
            membership=joined, scenario="two-steps", world=world, checks={"attach": number % 5}
        )
    signed_in(client, room)

    with django_assert_max_num_queries(6):
        response = client.get(url(room), headers={**HTMX, "HX-Target": "grid"})
    with django_assert_max_num_queries(8):
        page = client.get(url(room))

    assert grid_of(response.text).keys() == {"First", *(f"L{number}" for number in range(49))}
    assert page.status_code == 200


# --- A class of 100: the summary first, the grid sorted and filtered --------------------------------


def class_of_100(room: Classroom) -> dict[str, Attempt]:
    """100 learners named in no order: every third stuck on step 1 (three failed checks), every
    fifth past step 1, the rest working on it. By name: "Learner 000" to "Learner 099"."""
    world = attempt(member(room, "Learner 000")).world
    made = {}
    for number in range(99, 0, -1):
        joined = member(room, f"Learner {number:03}")
        past_one = number % 5 == 0 and number % 3 != 0
        made[joined.display_name] = Attempt.objects.create(
            membership=joined,
            scenario="two-steps",
            world=world,
            checks={"attach": 3 if number % 3 == 0 else 0},
            step_index=1 if past_one else 0,
            completed={"attach": timezone.now().isoformat()} if past_one else {},
        )
    return made


def test_a_class_of_100_renders_with_the_summary_before_the_grid(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    response = signed_in(client, room).get(url(room))

    text = response.text
    assert response.status_code == 200
    assert len(grid_of(text)) == 100
    assert text.index('id="steps-heading">Step by step<') < text.index('<table class="grid">')
    assert text.index('<td class="step-sum__done">') < text.index('<table class="grid">')
    assert "100 learners, <strong>33 stuck</strong>" in text


def test_each_steps_full_name_is_there_for_screen_readers_and_on_focus(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room)).text

    for slug in room.scenarios:
        scenario = catalogue()[slug]
        for number, step in enumerate(scenario.steps, start=1):
            # the visible number is hidden from screen readers, which read the full name
            # instead; the header is focusable, so the name also shows by keyboard
            header = f'tabindex="0"><span aria-hidden="true">{number}</span><span class="grid__tip">{scenario.title}, step {number}: {step.title}</span></th>'  # fmt: skip
            assert header in text
    # the summary names in full each step of a scenario someone started, and gives one line to
    # a scenario no one has started
    assert "1.1 Give web-1 a role" in text
    assert "No one has started its 1 step yet." in text
    assert ' title="' not in text.split('<table class="grid">')[1].split("</thead>")[0]


def test_sort_by_name_orders_the_rows_by_name(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room), {"sort": "name"}).text

    names = list(grid_of(text))
    assert names == [f"Learner {number:03}" for number in range(100)]


def test_stuck_first_puts_the_stuck_learners_first_by_name(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room), {"sort": "stuck"}).text

    names = list(grid_of(text))
    stuck = [f"Learner {n:03}" for n in range(1, 100) if n % 3 == 0]
    assert names[: len(stuck)] == stuck
    assert all(state == "stuck" for name in stuck for state, _ in grid_of(text)[name][:1])
    assert names[len(stuck)] == "Learner 000"


def test_sort_by_step_reached_puts_the_furthest_behind_first(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room), {"sort": "step"}).text

    names = list(grid_of(text))
    ahead = [f"Learner {n:03}" for n in range(1, 100) if n % 5 == 0 and n % 3]
    assert names[-len(ahead) :] == ahead
    assert "Learner 005" not in names[: -len(ahead)]


def test_filter_stuck_shows_only_the_stuck_learners(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room), {"show": "stuck"}).text

    grid = grid_of(text)
    assert sorted(grid) == [f"Learner {n:03}" for n in range(1, 100) if n % 3 == 0]
    assert all(cells[0][0] == "stuck" for cells in grid.values())
    assert "Showing 33 of 100 learners." in text
    assert "100 learners, <strong>33 stuck</strong>" in text  # the summary is of everyone
    assert f'<a href="/teach/{room.join_code}/">Show everyone</a>' in text


def test_filter_by_step_shows_those_on_it(client: Client) -> None:
    room = classroom()
    class_of_100(room)

    text = signed_in(client, room).get(url(room), {"show": "on:1.2"}).text

    assert sorted(grid_of(text)) == [f"Learner {n:03}" for n in range(1, 100) if n % 5 == 0 and n % 3]  # fmt: skip


def test_a_filter_no_one_matches_says_so(client: Client) -> None:
    room = classroom()
    attempt(member(room))

    text = signed_in(client, room).get(url(room), {"show": "stuck"}).text

    assert grid_of(text) == {}
    assert "No learner is stuck now." in text


def test_the_order_and_filter_are_kept_by_the_refresh_the_links_and_the_actions(
    client: Client,
) -> None:
    room = classroom()
    sam = member(room)
    attempt(sam)
    signed_in(client, room)
    here = f"/teach/{room.join_code}/?sort=stuck&amp;show=stuck"

    page = client.get(url(room), {"sort": "stuck", "show": "stuck", "learner": sam.pk}).text
    poll = client.get(url(room) + "?sort=stuck&show=stuck", headers={**HTMX, "HX-Target": "grid"})
    acted = client.post(url(room) + "?sort=stuck&show=stuck", {"action": "hint-all"})

    assert f'hx-get="{here}" {POLLS}' in page
    assert f'<a href="{here}" id="grid-refresh">' in page
    assert f'action="{here}"' in page
    assert '<option value="stuck" selected>Stuck first</option>' in page
    assert '<option value="stuck" selected>Only the stuck</option>' in page
    assert f'hx-get="{here}" {POLLS}' in poll.text
    assert acted.status_code == 302
    assert acted["Location"] == f"/teach/{room.join_code}/?sort=stuck&show=stuck#dash-status"


def test_the_default_view_adds_nothing_to_the_address(client: Client) -> None:
    room = classroom()
    sam = member(room)
    attempt(sam)

    text = signed_in(client, room).get(url(room), {"sort": "name", "show": "all"}).text

    assert f'hx-get="/teach/{room.join_code}/" {POLLS}' in text
    assert f'href="/teach/{room.join_code}/?learner={sam.pk}#learner"' in text


def test_an_unknown_order_or_filter_is_said_and_the_grid_still_shows(client: Client) -> None:
    room = classroom()
    attempt(member(room, "Sam"))

    response = signed_in(client, room).get(url(room), {"sort": "<script>", "show": "on:9.9"})

    text = response.text
    assert response.status_code == 200
    assert "Sam" in grid_of(text)
    assert "Select a valid choice. &lt;script&gt; is not one of the available choices." in text
    assert "The grid shows the learners by name." in text
    assert "The grid shows everyone." in text
    assert 'aria-invalid="true"' in text


def test_sorting_stores_nothing(client: Client) -> None:
    room = classroom()
    class_of_100(room)
    before = list(Attempt.objects.values_list("revision", flat=True).order_by("pk"))

    signed_in(client, room).get(url(room), {"sort": "stuck", "show": "stuck"})

    assert list(Attempt.objects.values_list("revision", flat=True).order_by("pk")) == before


# --- Acting on the class ------------------------------------------------------------------------


def test_hint_to_everyone_reveals_exactly_one_more_hint_to_each_learner(client: Client) -> None:
    room = classroom()
    none_yet, one_shown, all_shown = (attempt(member(room, name)) for name in ("A", "B", "C"))
    Attempt.objects.filter(pk=one_shown.pk).update(hints={"attach": 1})
    Attempt.objects.filter(pk=all_shown.pk).update(hints={"attach": 3})
    untouched = attempt(member(classroom(teacher=room.instructor, title="Other")))
    updated = fresh(none_yet).updated

    response = post(signed_in(client, room), room, {"action": "hint-all"})

    assert response.status_code == 302
    assert [fresh(a).hints for a in (none_yet, one_shown, all_shown, untouched)] == [
        {"attach": 1},
        {"attach": 2},
        {"attach": 3},
        {},
    ]
    assert fresh(none_yet).updated == updated  # not the learner's own activity
    assert "The next hint is shown to 2 learners." in client.get(url(room)).text


def test_hint_to_everyone_goes_to_the_step_each_learner_is_on() -> None:
    room = classroom()
    sam = member(room)
    left, now_on = attempt(sam, "two-steps"), attempt(sam, "mini")
    Attempt.objects.filter(pk=left.pk).update(updated=timezone.now() - timedelta(minutes=5))
    Attempt.objects.filter(pk=now_on.pk).update(updated=timezone.now())

    assert room.reveal_hint() == 1

    assert fresh(now_on).hints == {"attach": 1}
    assert fresh(left).hints == {}


def test_hint_for_one_step_goes_only_to_those_on_it(client: Client) -> None:
    room = classroom()
    on_step_1 = attempt(member(room, "One"))
    on_step_2 = attempt(member(room, "Two"))
    Attempt.objects.filter(pk=on_step_2.pk).update(step_index=1, completed={"attach": "x"})

    post(signed_in(client, room), room, {"action": "hint-all", "step": "two-steps/attach"})

    assert fresh(on_step_1).hints == {"attach": 1}
    assert fresh(on_step_2).hints == {}


def test_hint_to_one_learner_reveals_theirs_only(client: Client) -> None:
    room = classroom()
    sam, kim = member(room, "Sam"), member(room, "Kim")
    sams, kims = attempt(sam), attempt(kim)

    response = post(signed_in(client, room), room, {"action": "hint-one", "learner": sam.pk, "scenario": "two-steps"})  # fmt: skip

    assert response.status_code == 302
    assert response.url.endswith(f"?learner={sam.pk}#learner")
    assert fresh(sams).hints == {"attach": 1}
    assert fresh(kims).hints == {}


def test_a_posted_message_is_stored_for_every_workspace(client: Client) -> None:
    room = classroom()

    response = post(signed_in(client, room), room, {"action": "message", "message": "  Break until 11:00  "})  # fmt: skip

    room.refresh_from_db()
    assert response.status_code == 302
    assert room.message == "Break until 11:00"
    assert room.message_posted is not None
    assert "Showing now" in client.get(url(room)).text


def test_a_message_keeps_its_lines_but_no_character_that_turns_text_around(client: Client) -> None:
    room = classroom()

    post(signed_in(client, room), room, {"action": "message", "message": "Hello \u202eclass\nBreak\u200b at 11"})  # fmt: skip

    room.refresh_from_db()
    assert room.message == "Hello class\nBreak at 11"


def test_an_empty_class_says_where_to_join_with_the_code_as_the_projector_shows_it(
    client: Client,
) -> None:
    room = classroom()

    page = signed_in(client, room).get(url(room)).text

    assert (
        "Learners go to <strong>testserver/join/</strong> and type the code "
        f"<strong>{room.grouped_code}</strong>."
    ) in page


def test_posting_nothing_when_no_message_is_up_says_so(client: Client) -> None:
    room = classroom()

    post(signed_in(client, room), room, {"action": "message", "message": "   "})

    assert "There is no message to take down: type one to post it." in client.get(url(room)).text


def test_readmitting_a_learner_does_not_put_their_personal_code_in_the_status(
    client: Client,
) -> None:
    """The status may be on the projector; the code opens the learner's work."""
    room = classroom()
    sam = member(room)
    sam.remove()

    post(signed_in(client, room), room, {"action": "readmit", "learner": sam.pk})

    sam.refresh_from_db()
    page = client.get(url(room)).text
    assert "Sam is back in the class" in page
    assert sam.grouped_resume_code not in page.split('id="learner"')[0]


def test_a_message_can_be_taken_down(client: Client) -> None:
    room = classroom(message="Old news", message_posted=timezone.now())

    post(signed_in(client, room), room, {"action": "message-clear"})

    room.refresh_from_db()
    assert room.message == ""
    assert room.message_posted is None


def test_a_message_over_500_characters_is_refused_and_shown_again(client: Client) -> None:
    room = classroom()
    long = "x" * 501

    plain = post(signed_in(client, room), room, {"action": "message", "message": long})
    htmx = post(client, room, {"action": "message", "message": long}, htmx=True)

    room.refresh_from_db()
    assert room.message == ""
    assert plain.status_code == 200
    assert "The message was not posted" in plain.text
    assert long in plain.text
    assert 'aria-invalid="true"' in plain.text
    assert htmx.status_code == 200
    assert "<html" not in htmx.text
    assert long in htmx.text


def test_unlocking_and_locking_stay_within_the_class_scenarios(client: Client) -> None:
    room = classroom(unlock_one_by_one=True, unlocked=1)
    signed_in(client, room)

    post(client, room, {"action": "lock"})
    room.refresh_from_db()
    assert room.unlocked == 1
    post(client, room, {"action": "unlock"})
    post(client, room, {"action": "unlock"})
    room.refresh_from_db()
    assert room.unlocked == 2
    assert "Every scenario is unlocked already." in client.get(url(room)).text
    post(client, room, {"action": "lock"})
    room.refresh_from_db()
    assert room.unlocked == 1


def test_locking_a_class_that_opens_everything_says_so(client: Client) -> None:
    room = classroom()

    post(signed_in(client, room), room, {"action": "lock"})

    room.refresh_from_db()
    assert room.unlocked == 1
    assert "nothing to lock" in client.get(url(room)).text


def test_a_locked_scenario_is_marked_in_the_grid(client: Client) -> None:
    room = classroom(unlock_one_by_one=True, unlocked=1)
    member(room)

    text = signed_in(client, room).get(url(room)).text

    assert '2. Attach a role <span class="tag">locked</span>' in text
    assert "1 of 2 unlocked" in text


def test_reset_without_javascript_asks_first_and_changes_nothing(client: Client) -> None:
    room = classroom()
    sam = member(room)
    started = attempt(sam)
    Attempt.objects.filter(pk=started.pk).update(hints={"attach": 2})
    data = {"action": "reset", "learner": sam.pk, "scenario": "two-steps"}

    response = post(signed_in(client, room), room, data)
    page = client.get(response.url)

    assert response.status_code == 302
    assert "confirm=reset" in response.url
    assert "Reset “Role in, keys out” for Sam?" in page.text
    assert fresh(started).hints == {"attach": 2}


def test_reset_one_learner_starts_their_scenario_again(client: Client) -> None:
    room = classroom()
    sam, kim = member(room, "Sam"), member(room, "Kim")
    sams, kims = attempt(sam), attempt(kim)
    for each in (sams, kims):
        each.run_check()
        each.reveal_hint()

    response = post(signed_in(client, room), room, {"action": "reset", "learner": sam.pk, "scenario": "two-steps", "confirm": "yes"}, htmx=True)  # fmt: skip

    assert response.status_code == 200
    assert "starts again for Sam" in response.text
    assert (fresh(sams).hints, fresh(sams).checks) == ({}, {})
    assert fresh(kims).hints == {"attach": 1}


def test_a_removed_learner_leaves_the_grid_and_the_class_but_stays_in_the_csv(
    client: Client,
) -> None:
    room = classroom()
    sam = member(room, "Sam")
    member(room, "Kim")
    attempt(sam)

    response = post(signed_in(client, room), room, {"action": "remove", "learner": sam.pk, "confirm": "yes"})  # fmt: skip

    sam.refresh_from_db()
    assert response.status_code == 302
    assert "learner=" not in response.url
    assert sam.removed is not None
    assert not Membership.objects.active().filter(pk=sam.pk).exists()  # the session's way in
    grid = client.get(url(room)).text
    assert f'id="learner-link-{sam.pk}"' not in grid
    assert "Kim" in grid
    exported = rows(client.get(url(room, "results.csv")))
    assert {row["learner"] for row in exported} == {"Sam", "Kim"}
    assert {row["removed at"] != "" for row in exported if row["learner"] == "Sam"} == {True}
    # and nobody acts on them any more
    assert post(client, room, {"action": "hint-one", "learner": sam.pk}).status_code == 404


def test_ending_the_class_asks_first_then_ends_it(client: Client) -> None:
    room = classroom()
    signed_in(client, room)

    asked = post(client, room, {"action": "end"})
    room.refresh_from_db()
    assert asked.url.endswith("?confirm=end#confirm")
    assert room.ended is None
    assert "End the class?" in client.get(asked.url).text

    post(client, room, {"action": "end", "confirm": "yes"})
    room.refresh_from_db()
    assert room.ended is not None
    assert not room.is_open


def test_an_ended_class_refuses_actions_but_keeps_its_results(client: Client) -> None:
    room = classroom(ended=timezone.now())
    started = attempt(member(room))

    response = post(signed_in(client, room), room, {"action": "hint-all"}, htmx=True)

    assert "This class has ended" in response.text
    assert fresh(started).hints == {}
    assert client.get(url(room, "results.csv")).status_code == 200


def test_htmx_action_returns_the_grid_with_status_and_panels_out_of_band(client: Client) -> None:
    room = classroom()
    attempt(member(room))

    response = post(signed_in(client, room), room, {"action": "hint-all"}, htmx=True)

    text = response.text
    assert response.status_code == 200
    assert "<html" not in text
    assert text.lstrip().startswith('<section id="grid"')
    assert '<div id="dash-status" class="status dash-status" role="status" aria-live="polite" tabindex="-1" hx-swap-oob="true">' in text  # fmt: skip
    assert "The next hint is shown to 1 learner." in text
    assert 'id="class-actions"' in text
    assert 'id="class-state"' in text


def test_plain_action_redirects_and_shows_its_status_once(client: Client) -> None:
    room = classroom()
    attempt(member(room))

    response = post(signed_in(client, room), room, {"action": "hint-all"})

    assert response.status_code == 302
    assert response.url == f"/teach/{room.join_code}/#dash-status"
    assert "The next hint is shown to 1 learner." in client.get(response.url).text
    assert "The next hint is shown" not in client.get(response.url).text


def test_an_unknown_action_gets_a_clear_message(client: Client) -> None:
    room = classroom()

    response = post(signed_in(client, room), room, {"action": "<b>explode</b>"}, htmx=True)

    assert response.status_code == 200
    assert "This page has no action called “&lt;b&gt;explode&lt;/b&gt;”." in response.text


# --- Who may see it ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "results.csv", "summary/"])
def test_another_instructor_gets_a_404(client: Client, page: str) -> None:
    room = classroom()
    client.force_login(instructor(username="mallory"))

    assert client.get(url(room, page)).status_code == 404


def test_another_instructor_cannot_act_on_the_class(client: Client) -> None:
    room = classroom()
    client.force_login(instructor(username="mallory"))

    assert post(client, room, {"action": "end", "confirm": "yes"}).status_code == 404
    room.refresh_from_db()
    assert room.ended is None


@pytest.mark.parametrize("page", ["", "results.csv", "summary/"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, page: str) -> None:
    room = classroom()

    response = client.get(url(room, page))

    assert response.status_code == 302
    assert "login" in response.url
    assert f"next=/teach/{room.join_code}/" in response.url


def test_anonymous_posts_change_nothing(client: Client) -> None:
    room = classroom()

    response = post(client, room, {"action": "end", "confirm": "yes"})

    room.refresh_from_db()
    assert response.status_code == 302
    assert room.ended is None


@pytest.mark.parametrize("learner", ["other-class", "removed", "abc", "-1", "²", "9" * 30])
def test_a_tampered_membership_id_is_a_404(client: Client, learner: str) -> None:
    room = classroom()
    sam = member(room)
    started = attempt(sam)
    other = member(classroom(teacher=instructor(username="bob"), title="Other"), "Victim")
    victim = attempt(other)
    removed = member(room, "Gone")
    removed.remove()
    value = {"other-class": other.pk, "removed": removed.pk}.get(learner, learner)
    signed_in(client, room)

    for action in ("hint-one", "reset", "remove"):
        data = {"action": action, "learner": value, "scenario": "two-steps", "confirm": "yes"}
        assert post(client, room, data).status_code == 404
    if learner != "removed":  # a removed learner's record stays readable (below)
        assert client.get(url(room), {"learner": value}).status_code == 404
    assert fresh(victim).hints == {}
    assert fresh(started).hints == {}
    other.refresh_from_db()
    assert other.removed is None


def test_a_scenario_not_in_the_class_is_a_404(client: Client) -> None:
    room = classroom(slugs=("two-steps",))
    sam = member(room)
    signed_in(client, room)

    reset = post(client, room, {"action": "reset", "learner": sam.pk, "scenario": "mini", "confirm": "yes"})  # fmt: skip
    asked = client.get(url(room), {"learner": sam.pk, "confirm": "reset", "scenario": "mini"})
    hint = post(client, room, {"action": "hint-all", "step": "mini/attach"})

    assert (reset.status_code, asked.status_code, hint.status_code) == (404, 404, 404)


def test_the_dashboard_refuses_other_methods(client: Client) -> None:
    room = classroom()

    assert signed_in(client, room).put(url(room)).status_code == 405


# --- Results as CSV ---------------------------------------------------------------------------------


def test_csv_has_one_row_per_learner_per_step_with_the_columns(client: Client) -> None:
    room = classroom(title="IAM roles: Tuesday!")
    sam = attempt(member(room, "Sam"))
    sam.reveal_hint()
    sam.run_check()
    passed = timezone.now().isoformat()
    Attempt.objects.filter(pk=sam.pk).update(
        step_index=1, completed={"attach": passed}, checks={"attach": 2}
    )
    member(room, "Kim")

    response = signed_in(client, room).get(url(room, "results.csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="iam-roles-tuesday-results.csv"'
    table = rows(response)
    assert list(table[0]) == dashboard.CSV_COLUMNS
    assert dashboard.CSV_COLUMNS[:7] == ["learner", "scenario", "step", "completed at", "first completed at", "attempts", "hints used"]  # fmt: skip
    assert len(table) == 2 * 3
    first = next(row for row in table if row["learner"] == "Sam" and row["step"] == "Give web-1 a role")  # fmt: skip
    assert first == {
        "learner": "Sam",
        "scenario": "Role in, keys out",
        "step": "Give web-1 a role",
        "completed at": passed,
        "first completed at": passed,
        "attempts": "2",
        "hints used": "1",
        "resets": "0",
        "removed at": "",
        "quiz first score": "",
        "quiz questions": "2",
        "quiz tries": "0",
    }
    kims = [row for row in table if row["learner"] == "Kim"]
    assert {(row["completed at"], row["attempts"], row["hints used"]) for row in kims} == {("", "0", "0")}  # fmt: skip


def _quiz_taken_twice(room: Classroom) -> Attempt:
    """Sam finished two-steps, scored 1 of 2 on the first try and 2 of 2 on the second."""
    sam = attempt(member(room, "Sam"))
    Attempt.objects.filter(pk=sam.pk).update(step_index=2)
    sam.refresh_from_db()
    sam.answer("profile-roles", 1)
    sam.answer("rotation", 1)
    sam.retry_quiz()
    sam.answer("profile-roles", 0)
    sam.answer("rotation", 1)
    return sam


def test_dashboard_shows_the_first_quiz_score_and_the_tries(client: Client) -> None:
    room = classroom()
    _quiz_taken_twice(room)
    kim = attempt(member(room, "Kim"))
    Attempt.objects.filter(pk=kim.pk).update(step_index=2)
    kim.refresh_from_db()
    kim.answer("profile-roles", 0)

    page = signed_in(client, room).get(url(room)).text
    panel = client.get(url(room) + f"?learner={Membership.objects.get(display_name='Sam').pk}")

    assert "Quiz: first score, tries" in page
    assert "Role in, keys out, quiz: first score, tries" in page
    sams = page[page.index(">Sam</a>") : page.index("</tr>", page.index(">Sam</a>"))]
    assert '<td class="grid__quiz">1/2, 2 tries</td>' in sams
    kims = page[page.index(">Kim</a>") : page.index("</tr>", page.index(">Kim</a>"))]
    assert '<td class="grid__quiz">answering</td>' in kims
    assert "quiz: first try 1 of 2 right, 2 tries" in panel.text


def test_csv_gives_the_first_quiz_score_and_the_tries(client: Client) -> None:
    room = classroom(slugs=("two-steps",))
    sam = _quiz_taken_twice(room)
    sam.reset()  # the first score outlives a reset; its tries count

    table = rows(signed_in(client, room).get(url(room, "results.csv")))

    assert {(row["quiz first score"], row["quiz questions"], row["quiz tries"]) for row in table} == {("1", "2", "2")}  # fmt: skip


def test_summary_counts_the_answers_of_the_first_try(client: Client) -> None:
    room = classroom(slugs=("two-steps",))
    _quiz_taken_twice(room)  # "Ten" on the first try, "One" on the second

    text = signed_in(client, room).get(url(room, "summary/")).text

    assert "Ten:\n                  1 (100%)" in text
    assert "One <strong>(the right answer)</strong>:\n                  0 (0%)" in text


def test_csv_cells_cannot_run_as_formulas(client: Client) -> None:
    room = classroom()
    for name in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", 'Plain, with "quotes"'):
        member(room, name)

    table = rows(signed_in(client, room).get(url(room, "results.csv")))

    assert {row["learner"] for row in table} == {
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        'Plain, with "quotes"',
    }
    assert dashboard.csv_safe("\tcmd") == "'\tcmd"
    assert dashboard.csv_safe(None) == ""


def test_csv_holds_only_this_class(client: Client) -> None:
    room = classroom(slugs=("two-steps",))
    both = member(room, "Sam")
    attempt(both, "mini")  # a scenario outside the class
    other = classroom(teacher=room.instructor, title="Other class")
    attempt(member(other, "Elsewhere"))

    table = rows(signed_in(client, room).get(url(room, "results.csv")))

    assert {row["learner"] for row in table} == {"Sam"}
    assert {row["scenario"] for row in table} == {"Role in, keys out"}


# --- The summary ----------------------------------------------------------------------------------


def test_summary_gives_steps_learners_and_answers_and_prints_without_the_nav(
    client: Client,
) -> None:
    room = classroom()
    sam = attempt(member(room, "Sam"))
    Attempt.objects.filter(pk=sam.pk).update(
        step_index=2,
        completed={"attach": "2026-01-01T10:00:00+00:00", "keys-out": "2026-01-01T10:05:00+00:00"},
        hints={"attach": 2},
        answers={"profile-roles": 0, "rotation": 0},
    )
    kim = attempt(member(room, "Kim"))
    Attempt.objects.filter(pk=kim.pk).update(answers={"profile-roles": 1})
    removed = member(room, "Gone")
    removed.remove()

    response = signed_in(client, room).get(url(room, "summary/"))

    text = response.text
    assert response.status_code == 200
    assert "1 of 2 (50%)" in text  # each step of two-steps
    assert "0 of 2 (0%)" in text  # mini
    assert "2 of 3" in text
    assert "Gone" not in text
    assert "1 removed" in text
    assert "How many roles can an instance profile hold?" in text
    assert "One <strong>(the right answer)</strong>:\n                  1 (50%)" in text
    assert 'class="summary"' in text
    assert "no-print" in text


def test_dashboard_links_to_the_export_and_the_summary(client: Client) -> None:
    room = classroom()

    text = signed_in(client, room).get(url(room)).text

    assert f'href="/teach/{room.join_code}/results.csv"' in text
    assert f'href="/teach/{room.join_code}/summary/"' in text


# --- Safety ----------------------------------------------------------------------------------------


def test_actions_need_the_csrf_token() -> None:
    room = classroom()
    client = Client(enforce_csrf_checks=True)
    client.force_login(room.instructor)

    response = client.post(url(room), {"action": "end", "confirm": "yes"})

    room.refresh_from_db()
    assert response.status_code == 403
    assert room.ended is None


@pytest.mark.django_db(transaction=True)
def test_hints_for_everyone_while_the_learner_checks_lose_nothing() -> None:
    room = classroom()
    started = attempt(member(room))
    errors: list[BaseException] = []

    def learner() -> None:
        try:
            mine = Attempt.objects.get(pk=started.pk)
            for _ in range(4):
                mine.run_check()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def instructor() -> None:
        try:
            for _ in range(2):
                Classroom.objects.get(pk=room.pk).reveal_hint()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=learner), threading.Thread(target=instructor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    final = fresh(started)
    assert final.checks == {"attach": 4}
    assert final.hints == {"attach": 2}


def test_a_hint_to_everyone_reaches_a_learner_who_joined_and_did_nothing_yet(
    client: Client,
) -> None:
    room = classroom()
    idle = member(room, "Idle")

    post(signed_in(client, room), room, {"action": "hint-all"})

    stored = Attempt.objects.get(membership=idle)
    assert stored.scenario == "two-steps"
    assert stored.hints == {"attach": 1}


# --- A class whose scenario the catalogue no longer serves ----------------------------------------


@pytest.fixture
def two_steps_unavailable(scenarios: Any) -> tuple[Classroom, Membership, Attempt]:  # noqa: F811
    """A class on two-steps and mini, Sam having started both; then two-steps.yaml breaks (a
    misspelt key) and the catalogue, read again, leaves it out."""
    room = classroom()
    sam = member(room)
    started = attempt(sam, "two-steps")
    attempt(sam, "mini")
    path = scenarios / "two-steps.yaml"
    path.write_text(path.read_text().replace("    hints: [", "    hint: ["))
    catalogue.cache_clear()
    return room, sam, started


def test_the_dashboard_says_which_scenario_is_unavailable_and_which_file(
    client: Client, two_steps_unavailable: tuple[Classroom, Membership, Attempt]
) -> None:
    room, _, _ = two_steps_unavailable

    response = signed_in(client, room).get(url(room))

    assert response.status_code == 200
    page = response.text
    assert "One of this class's scenarios is unavailable" in page
    assert "The scenario “two-steps” is unavailable: its file two-steps.yaml has problems" in page
    assert "<a href=\"/\">The catalogue's note</a> lists each file's problems" in page
    assert [state for state, _ in cells(page)] == ["working"]  # mini's one step, still shown


def test_the_summary_says_which_scenario_is_unavailable_and_which_file(
    client: Client, two_steps_unavailable: tuple[Classroom, Membership, Attempt]
) -> None:
    room, _, _ = two_steps_unavailable

    page = signed_in(client, room).get(url(room, "summary/")).text

    assert "One of this class's scenarios is unavailable" in page
    assert "The scenario “two-steps” is unavailable: its file two-steps.yaml has problems" in page
    assert "<a href=\"/\">The catalogue's note</a> lists each file's problems" in page


def test_a_summary_with_every_scenario_served_has_no_notice(client: Client) -> None:
    room = classroom()
    attempt(member(room), "two-steps")

    page = signed_in(client, room).get(url(room, "summary/")).text

    assert "unavailable" not in page


def test_a_removed_scenario_file_is_said_to_be_gone_on_the_dashboard(
    client: Client,
    scenarios: Any,  # noqa: F811
) -> None:
    room = classroom()
    attempt(member(room), "two-steps")
    (scenarios / "two-steps.yaml").unlink()
    catalogue.cache_clear()

    page = signed_in(client, room).get(url(room)).text

    assert "“two-steps” is unavailable: no scenario file in the folder has this slug" in page


@pytest.mark.parametrize(
    ("page", "headers"),
    [
        ("", {"HX-Request": "true", "HX-Target": "grid"}),
        ("summary/", {}),
        ("results.csv", {}),
        ("projector/", {}),
    ],
    ids=["grid refresh", "summary", "csv", "projector"],
)
def test_the_class_pages_answer_with_a_scenario_unavailable(
    client: Client,
    two_steps_unavailable: tuple[Classroom, Membership, Attempt],
    page: str,
    headers: dict[str, str],
) -> None:
    room, _, _ = two_steps_unavailable

    assert signed_in(client, room).get(url(room, page), headers=headers).status_code == 200


def test_a_learners_panel_lists_only_the_scenarios_still_served(
    client: Client, two_steps_unavailable: tuple[Classroom, Membership, Attempt]
) -> None:
    room, sam, _ = two_steps_unavailable

    response = signed_in(client, room).get(url(room) + f"?learner={sam.pk}")

    assert response.status_code == 200
    assert "“two-steps” is unavailable" in response.text


@pytest.mark.parametrize("htmx", [False, True], ids=["no JavaScript", "htmx"])
@pytest.mark.parametrize(
    "data",
    [
        {"action": "reset", "scenario": "two-steps", "confirm": "yes"},
        {"action": "hint-one", "scenario": "two-steps"},
        {"action": "hint-all", "step": "two-steps/attach"},
    ],
    ids=["reset", "hint", "hint to a step"],
)
def test_an_action_on_an_unavailable_scenario_says_so_and_changes_nothing(
    client: Client,
    two_steps_unavailable: tuple[Classroom, Membership, Attempt],
    data: dict[str, str],
    htmx: bool,
) -> None:
    room, sam, started = two_steps_unavailable
    signed_in(client, room)

    response = post(client, room, {**data, "learner": str(sam.pk)}, htmx=htmx)

    if not htmx:
        assert response.status_code == 302
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert "Nothing was changed. The scenario “two-steps” is unavailable: its file two-steps.yaml" in response.text  # fmt: skip
    stored = Attempt.objects.get(pk=started.pk)
    assert (stored.world, stored.hints, stored.step_index) == (started.world, {}, 0)


def test_a_kept_link_to_reset_an_unavailable_scenario_says_why_instead_of_asking(
    client: Client, two_steps_unavailable: tuple[Classroom, Membership, Attempt]
) -> None:
    room, sam, _ = two_steps_unavailable

    response = signed_in(client, room).get(
        url(room) + f"?learner={sam.pk}&confirm=reset&scenario=two-steps"
    )

    assert response.status_code == 200
    assert 'id="confirm"' not in response.text
    assert "The scenario “two-steps” is unavailable" in response.text


def test_times_are_shown_in_the_configured_zone_with_its_name(
    client: Client, settings: Any
) -> None:
    settings.TIME_ZONE = "America/New_York"
    room = classroom(ends_at=timezone.now() + timedelta(hours=1))

    page = signed_in(client, room).get(url(room)).text

    local = timezone.localtime(room.ends_at, zoneinfo.ZoneInfo("America/New_York"))
    assert f"ends {local:%-d %b, %H:%M} E" in page  # EST or EDT
