"""The instructor's live dashboard of a class, its actions, the results as CSV and a summary.

`/teach/<code>/` shows one row per learner and one column per step, each cell done / working /
stuck / not started in words and an icon, refreshing itself every few seconds (htmx polls the
grid alone; without JavaScript a Refresh link). Its named POST actions act on the class: a hint
for everyone or for one learner, a message to every workspace, the next scenario locked or
unlocked, one learner's scenario reset, learners removed (one, or those ticked) and re-admitted,
the class ended and reopened.

Only the class's own instructor reaches any of it: anyone else gets a 404, as does a membership
id or a scenario that is not this class's. The dashboard reads progress without the learners'
worlds (`Classroom.progress_by_member`): a few queries for any number of learners. An ended
class is frozen: the only action it takes is to reopen.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh

from lessons.accounts import instructor_required
from lessons.actions import unknown_action
from lessons.http import HtmxHttpRequest
from lessons.models import (
    Attempt,
    Classroom,
    Membership,
    Progress,
    ScenarioUnavailable,
    catalogue,
    current_attempt,
    first_completed,
)
from lessons.names import clean_text
from lessons.not_found import not_found
from lessons.outcome import Status
from lessons.scenario import Probe, Scenario, Step
from lessons.views.classes import public_url
from lessons.views.status import flash, forget_flash, take_flash

STUCK_MINUTES = 5  # default of settings.ROLECALL_STUCK_MINUTES
STUCK_FAILED_CHECKS = 3  # default of settings.ROLECALL_STUCK_FAILED_CHECKS
FLASH_KEY = "rolecall_dashboard_status"  # cookie: the status to show after a redirect
CONFIRMED = ("end", "remove", "remove-selected", "reset")  # actions that ask first


# --- The board: what the grid, the step summaries and the summary page show ----------------------


@dataclass(frozen=True, slots=True)
class Cell:
    state: str  # "done" | "working" | "stuck" | "not-started"
    label: str  # the state in words (app.css adds the state's icon: ✔ ▶ ⚠ ·)
    time: str = ""  # time on the current step ("12 min"), working or stuck only
    why: str = ""  # why stuck, for the cell's description

    @property
    def html(self) -> str:
        """The grid's <td>. Built here, not in the template: 200 learners x 20 steps are 4,000
        cells, and the template language would take most of the page's time budget on them.
        Narrow, so that a class's steps fit the window: the state shows as its mark (app.css
        adds it, ✔ ▶ ⚠ ·, with empty alternative text) and the time on the step; the state in
        words and why a learner is stuck are for screen readers (the legend says the marks)."""
        if not self.time:
            return format_html('<td class="cell--{}"><span class="visually-hidden">{}</span></td>', self.state, self.label)  # fmt: skip
        return format_html(
            '<td class="cell--{}"><span class="visually-hidden">{} </span>{}{}</td>',
            self.state,
            self.label,
            self.time,
            format_html('<span class="visually-hidden">: {}</span>', self.why) if self.why else "",
        )


DONE = Cell("done", "done")
NOT_STARTED = Cell("not-started", "not started")
_CONSTANT_HTML = {id(DONE): DONE.html, id(NOT_STARTED): NOT_STARTED.html}


@dataclass(frozen=True, slots=True)
class Column:
    """One step of one of the class's scenarios."""

    scenario: Scenario
    step: Step
    number: int  # within its scenario, from 1
    key: str  # "<scenario's position>.<number>", e.g. "2.3": the column's short name


@dataclass(frozen=True, slots=True)
class Group:
    scenario: Scenario
    span: int  # how many columns
    locked: bool
    position: int  # in the class, from 1


def quiz_words(attempt: Progress | Attempt | None) -> tuple[str, str]:
    """A learner's quiz on a scenario, short for the grid and in words: the first finished
    try's score and the number of tries ("3/5, 2 tries"), "answering" before a try is finished,
    "" when no question was answered."""
    if attempt is None:
        return "", "not taken"
    first, tries = attempt.first_result, attempt.quiz_tries
    if first is None:
        return ("answering", "answering, no try finished yet") if tries else ("", "not taken")
    tried = f"{tries} tr{'ies' if tries != 1 else 'y'}"
    return f"{first}, {tried}", f"first try {first.score} of {first.total} right, {tried}"


@dataclass(slots=True)
class Row:
    member: Membership
    attempts: Mapping[str, Progress]
    cells: list[Cell]
    done: int = 0
    hints: int = 0
    checks: int = 0
    quizzes: list[tuple[str, str]] = field(default_factory=list)  # quiz_words, per Board.quizzes
    stuck: bool = False  # on some step
    reached: int = -1  # the index of the furthest column started (-1: none)

    @property
    def cells_html(self) -> SafeString:
        constant = _CONSTANT_HTML
        # Safe: each cell escapes its own values (format_html).
        steps = "".join(constant.get(id(cell)) or cell.html for cell in self.cells)
        quizzes = "".join(
            format_html('<td class="grid__quiz">{}</td>', short)
            if short
            else format_html(
                '<td class="grid__quiz"><span class="visually-hidden">{}</span></td>', words
            )  # fmt: skip
            for short, words in self.quizzes
        )
        return mark_safe(steps + quizzes)


@dataclass(slots=True)
class StepSummary:
    column: Column
    done: int = 0
    working: int = 0
    stuck: int = 0
    percent: int = 0
    failing: str = ""  # the most common failing check, in words
    failing_times: int = 0  # how often it failed, in all
    failing_learners: int = 0  # for how many learners


@dataclass(slots=True)
class Board:
    classroom: Classroom
    groups: list[Group]
    columns: list[Column]
    rows: list[Row]
    steps: list[StepSummary]
    now: datetime
    stuck_minutes: int
    stuck_checks: int
    quizzes: list[Group] = field(default_factory=list)  # the class's scenarios with questions

    @property
    def stuck(self) -> int:
        return sum(summary.stuck for summary in self.steps)

    @property
    def untouched(self) -> set[str]:
        """The slugs of the scenarios no one has started: the summary gives each one line."""
        started = {s.column.scenario.slug for s in self.steps if s.done or s.working or s.stuck}
        return {group.scenario.slug for group in self.groups} - started


def build_board(
    classroom: Classroom, *, include_removed: bool = False, now: datetime | None = None
) -> Board:
    """Everyone's progress on every step of the class, with no world read: two queries. An
    ended class is shown as it was when it ended: nobody turns stuck afterwards."""
    now = now or timezone.now()
    if classroom.ended is not None:
        now = min(now, classroom.ended)
    elif classroom.ends_at is not None:
        now = min(now, classroom.ends_at)
    stuck_minutes = int(getattr(settings, "ROLECALL_STUCK_MINUTES", STUCK_MINUTES))
    stuck_checks = int(getattr(settings, "ROLECALL_STUCK_FAILED_CHECKS", STUCK_FAILED_CHECKS))
    members = Membership.objects.filter(classroom=classroom)
    if not include_removed:
        members = members.active()
    members = sorted(members, key=lambda member: (member.display_name.casefold(), member.pk))
    attempts = classroom.progress_by_member(include_removed=include_removed)

    groups, columns = layout(classroom)
    summaries = [StepSummary(column) for column in columns]
    quizzes = [group for group in groups if group.scenario.questions]
    # Per column, per check key: how often it failed in all, and for how many learners.
    failures: list[dict[str, int]] = [{} for _ in columns]
    failing_learners: list[dict[str, int]] = [{} for _ in columns]

    # A learner who joined and has not changed anything yet has no attempt (a page view stores
    # nothing): they are on step 1 of the class's first open scenario since they joined.
    open_now = [slug for slug in classroom.open_scenarios() if slug in catalogue()]
    first_open = open_now[0] if open_now else None

    rows: list[Row] = []
    for member in members:
        own = attempts.get(member.pk, {})
        latest = current_attempt(own.values())
        row = Row(member, own, [])
        for index, column in enumerate(columns):
            attempt = own.get(column.scenario.slug)
            if not own and column.number == 1 and column.scenario.slug == first_open:
                cell = _waiting(member, now, stuck_minutes)
            else:
                cell = _cell(attempt, column, latest, now, stuck_minutes, stuck_checks)
            row.cells.append(cell)
            summary = summaries[index]
            if cell is not NOT_STARTED and cell.state != "not-started":
                row.reached = index
            if cell is DONE:
                summary.done += 1
                row.done += 1
            elif cell.state == "working":
                summary.working += 1
            elif cell.state == "stuck":
                summary.stuck += 1
                row.stuck = True
            if attempt is not None:
                step_id = column.step.id
                row.hints += attempt.hints.get(step_id, 0)
                row.checks += attempt.checks.get(step_id, 0)
                tally = attempt.failures.get(step_id)
                if tally:
                    times, learners = failures[index], failing_learners[index]
                    for key, count in tally.items():
                        times[key] = times.get(key, 0) + count
                        learners[key] = learners.get(key, 0) + 1
        row.quizzes = [quiz_words(own.get(group.scenario.slug)) for group in quizzes]
        rows.append(row)

    for index, summary in enumerate(summaries):
        summary.percent = round(100 * summary.done / len(rows)) if rows else 0
        if failures[index]:
            key, times = max(failures[index].items(), key=lambda item: item[1])
            summary.failing = check_words(summary.column.step).get(key) or _unknown_check(key)
            summary.failing_times = times
            summary.failing_learners = failing_learners[index][key]
    return Board(
        classroom, groups, columns, rows, summaries, now, stuck_minutes, stuck_checks, quizzes
    )


def layout(classroom: Classroom) -> tuple[list[Group], list[Column]]:
    """The class's scenarios, and their steps as the grid's columns."""
    groups: list[Group] = []
    columns: list[Column] = []
    for position, scenario in enumerate(classroom.definitions(), start=1):
        groups.append(
            Group(scenario, len(scenario.steps), classroom.is_locked(scenario.slug), position)
        )
        for number, step in enumerate(scenario.steps, start=1):
            columns.append(Column(scenario, step, number, f"{position}.{number}"))
    return groups, columns


def _cell(
    attempt: Progress | None,
    column: Column,
    latest: Progress | None,
    now: datetime,
    stuck_minutes: int,
    stuck_checks: int,
) -> Cell:
    """done, working, stuck or not started.

    Stuck: on this step with `stuck_checks` failed checks, or for `stuck_minutes` without
    passing it while this is the scenario the learner worked on last (a scenario they left for
    another is not where they are stuck).
    """
    if attempt is None:
        return NOT_STARTED
    step = column.step
    if step.id in attempt.completed:
        return DONE
    index = column.number - 1
    if index < attempt.step_index:
        return DONE  # passed before the scenario file changed its steps
    if index > attempt.step_index:
        return NOT_STARTED
    minutes = max(int((now - attempt.step_started).total_seconds() // 60), 0)
    failed = attempt.checks.get(step.id, 0)  # every check of the current step so far failed
    time = _duration(minutes)
    if failed >= stuck_checks:
        return Cell("stuck", "stuck", time, f"{failed} failed checks")
    if minutes >= stuck_minutes and attempt is latest:
        return Cell("stuck", "stuck", time, f"no step passed for {time}")
    return Cell("working", "working", time)


def _waiting(member: Membership, now: datetime, stuck_minutes: int) -> Cell:
    """Joined, on step 1 of the first scenario, and nothing changed yet."""
    minutes = max(int((now - member.joined).total_seconds() // 60), 0)
    time = _duration(minutes)
    if minutes >= stuck_minutes:
        return Cell("stuck", "stuck", time, f"nothing done for {time} since joining")
    return Cell("working", "working", time)


def _duration(minutes: int) -> str:
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


# --- Which learners the grid shows, in which order (GET ?sort=…&show=…) ---------------------------

SORTS = {
    "name": "By name",
    "stuck": "Stuck first",
    "step": "By step reached, furthest behind first",
}
SHOWS = {"all": "Everyone", "stuck": "Only the stuck"}  # and "on:<column key>": on that step


class GridViewForm(forms.Form):
    """How the grid lists the learners: a GET, so it stores nothing and a link keeps it. A
    value that is not one of the choices is said next to its field; the grid then uses the
    default."""

    sort = forms.ChoiceField(label="Order", choices=list(SORTS.items()), required=False)
    show = forms.ChoiceField(label="Show", required=False)

    def __init__(self, data: QueryDict, columns: list[Column]) -> None:
        super().__init__({name: data[name] for name in ("sort", "show") if name in data})
        self.fields["show"].choices = [
            *SHOWS.items(),
            *(
                (f"on:{column.key}", f"On step {column.key}: {column.step.title}")
                for column in columns
            ),
        ]

    def chosen(self) -> tuple[str, str]:
        """(sort, show), each the default where missing or not a choice."""
        cleaned = self.cleaned_data if self.is_valid() else {}
        valid = {name: value for name, value in cleaned.items() if name not in self.errors}
        return valid.get("sort") or "name", valid.get("show") or "all"

    def query(self) -> str:
        """The chosen view as a query string without its defaults ("" for the default view)."""
        sort, show = self.chosen()
        chosen = {"sort": sort if sort != "name" else "", "show": show if show != "all" else ""}
        return urlencode({name: value for name, value in chosen.items() if value})


def arrange(board: Board, sort: str, show: str) -> list[Row]:
    """The rows to show, in order: `board.rows` is every learner, by name."""
    rows = board.rows
    if show == "stuck":
        rows = [row for row in rows if row.stuck]
    elif show.startswith("on:"):
        index = next((i for i, column in enumerate(board.columns) if column.key == show[3:]), None)
        rows = [row for row in rows if index is not None and row.cells[index].state in ("working", "stuck")]  # fmt: skip
    if sort == "stuck":
        return sorted(rows, key=lambda row: not row.stuck)  # stable: by name within each
    if sort == "step":
        return sorted(rows, key=lambda row: (row.reached, row.done))
    return list(rows)


# --- A check's words, from its key ----------------------------------------------------------------

_ACTORS = {
    "instance": "As software on instance {}",
    "key": "With the access key saved as {}",
    "stolen_from": "With the credentials copied off {}, from outside",
}


def check_words(step: Step) -> dict[str, str]:
    """Each check of `step` in words, by the key `Attempt.failures` counts it under."""
    words = {}
    for probe in step.probes:
        words[f"{probe.line}:{probe.service}:{probe.operation}"] = probe.says or _probe_words(probe)
    for condition in step.conditions:
        described = condition.says or (
            condition.kind.replace("_", " ").capitalize()
            + ": "
            + ", ".join(f"{name} {value}" for name, value in condition.args.items())
        )
        words[f"{condition.line}:{condition.kind}"] = described
    return words


def _probe_words(probe: Probe) -> str:
    actor = "As the admin"
    if isinstance(probe.actor, Mapping) and len(probe.actor) == 1:
        ((kind, name),) = probe.actor.items()
        actor = _ACTORS.get(kind, "As {}").format(name)
    params = probe.params
    target = next(
        (params[key] for key in ("Key", "RoleName", "UserName", "Bucket") if params.get(key)), ""
    )
    return f"{actor}, {probe.service} {probe.operation}" + (f" {target}" if target else "") + f" gives {' or '.join(probe.expect)}"  # fmt: skip


def _unknown_check(key: str) -> str:
    line = key.split(":", 1)[0]
    return f"A check no longer in the scenario file (it was on line {line})"


# --- The dashboard (/teach/<code>/) ---------------------------------------------------------------


class MessageForm(forms.Form):
    message = forms.CharField(
        max_length=500,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        label="Message to every learner",
        help_text="Up to 500 characters. It appears at the top of every learner's workspace.",
    )

    def clean_message(self) -> str:
        return clean_text(self.cleaned_data["message"], lines=True)


def _classroom(request: HtmxHttpRequest, code: str) -> Classroom:
    """The class with this join code, if the signed-in user teaches it: else 404."""
    return get_object_or_404(Classroom.objects.for_instructor(request.user).with_code(code))


# Compressed: for 200 learners the grid is some 400 KB of HTML, fetched every 5 seconds, and
# 15 KB gzipped. (Django's GZipMiddleware code pads each response against BREACH, and the
# CSRF tokens in the page are masked per response.)
@gzip_page
@instructor_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def dashboard(request: HtmxHttpRequest, code: str) -> HttpResponse:
    classroom = _classroom(request, code)
    if request.method == "POST":
        return _act(request, classroom)
    target = request.htmx.target if request.htmx and not request.htmx.history_restore_request else None  # fmt: skip
    if target == "grid":  # the grid refreshing itself
        if request.GET.get("was_open") and not classroom.is_open:
            # It ended (its time ran out) while this page was open: the whole page again, so
            # its header and actions say so too, not the grid alone.
            return HttpResponseClientRefresh()
        return render(request, "lessons/dashboard.html#grid", _context(request, classroom))
    learner = _member(classroom, request.GET.get("learner"), removed=True)
    if target == "learner":  # a learner's name opened
        # The keyboard goes with it: the panel takes focus (its link stays behind in the grid).
        context = {**_context(request, classroom, board=False), "learner": _learner(classroom, learner), "opened": True}  # fmt: skip
        return render(request, "lessons/dashboard.html#learner", context)
    context = _context(
        request, classroom, status=take_flash(request, classroom.join_code, key=FLASH_KEY)
    )
    context["learner"] = _learner(classroom, learner)
    try:
        context["confirm"] = _confirming(classroom, request.GET, learner)
    except ScenarioUnavailable as error:  # a link to reset it, kept from before
        context["status"] = Status("problem", str(error))
    response = render(request, "lessons/dashboard.html", context)
    return forget_flash(request, response, key=FLASH_KEY)


def _context(
    request: HtmxHttpRequest,
    classroom: Classroom,
    *,
    board: bool = True,
    status: Status | None = None,
    message_form: MessageForm | None = None,
) -> dict[str, Any]:
    built = build_board(classroom) if board else None
    view = GridViewForm(request.GET, built.columns if built else layout(classroom)[1])
    sort, show = view.chosen()
    query = view.query()
    dashboard_url = reverse("lessons:dashboard", args=[classroom.join_code])
    return {
        "classroom": classroom,
        "board": built,
        "shown": arrange(built, sort, show) if built else None,
        "view": view,
        "show": show,
        "filtered": show != "all",
        "everyone_url": dashboard_url + (f"?sort={sort}" if sort != "name" else ""),
        "status": status,
        "dashboard_url": dashboard_url,
        # The page as the instructor sees it (order and filter kept): the grid's refresh, the
        # forms' actions, the learner links.
        "here_url": dashboard_url + ("?" + query if query else ""),
        "learner_url": dashboard_url + "?" + (query + "&" if query else "") + "learner=",
        "message_form": message_form or MessageForm(initial={"message": classroom.message}),
        "scenario_count": len(classroom.scenarios),
        "unavailable": classroom.unavailable(),
        "roster": _roster(classroom) if board else None,
        "join_address": _join_address(request),
        "learner": None,
        "confirm": None,
    }


def _join_address(request: HtmxHttpRequest) -> str:
    """Where learners join, as the projector shows it: host and path, no scheme."""
    path = reverse("lessons:join")
    return urlsplit(public_url(request, path)).netloc + path


def _member_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise not_found("There is no such learner in this class.")
    return int(raw)


def _member(classroom: Classroom, raw: str | None, *, removed: bool = False) -> Membership | None:
    """The member with this id in this class (active, or with `removed` also a removed one);
    a 404 for any other id."""
    if raw is None or raw == "":
        return None
    members = Membership.objects.all() if removed else Membership.objects.active()
    return get_object_or_404(members, classroom=classroom, pk=_member_id(raw))


def _members(classroom: Classroom, raws: list[str]) -> list[Membership]:
    """The active members with these ids, in this class; a 404 if any is not one."""
    ids = {_member_id(raw) for raw in raws if raw}
    found = list(Membership.objects.active().filter(classroom=classroom, pk__in=ids))
    if len(found) != len(ids):
        raise not_found("There is no such learner in this class.")
    return sorted(found, key=lambda member: (member.display_name.casefold(), member.pk))


def _scenario(classroom: Classroom, slug: str | None) -> Scenario:
    """One of the class's scenarios: a 404 for a slug the class does not have, and
    ScenarioUnavailable for one it has whose file the catalogue does not serve."""
    found = next((s for s in classroom.definitions() if s.slug == slug), None)
    if found is None:
        if slug is not None and slug in classroom.scenarios:
            raise ScenarioUnavailable(slug)
        raise not_found("This class has no such scenario.")
    return found


def _learner(classroom: Classroom, member: Membership | None) -> dict[str, Any] | None:
    """One learner's progress per scenario, for their panel of actions."""
    if member is None:
        return None
    attempts = {
        attempt.scenario: attempt
        for attempt in Attempt.objects.filter(
            membership=member, scenario__in=classroom.scenarios
        ).defer("world", "variables")
    }
    current = current_attempt(attempts.values())
    scenarios = []
    for scenario in classroom.definitions():
        attempt = attempts.get(scenario.slug)
        step = attempt.step if attempt else None
        total = len(scenario.steps)
        if attempt is None:
            where = "not started"
        elif scenario.sandbox:
            where = "started (a sandbox has no steps)"
        elif step is None:
            where = "the 1 step done" if total == 1 else f"all {total} steps done"
        else:
            where = f"step {attempt.step_index + 1} of {total}: {step.title}"
        scenarios.append(
            {
                "scenario": scenario,
                "attempt": attempt,
                "where": where,
                "current": attempt is not None and attempt is current,
                "hints_left": max(len(step.hints) - attempt.hints.get(step.id, 0), 0)
                if step
                else 0,
                "hints_used": sum(attempt.hints.values()) if attempt else 0,  # every step's
                "quiz": quiz_words(attempt)[1] if scenario.questions and attempt else "",
            }
        )
    return {"member": member, "scenarios": scenarios}


def _roster(classroom: Classroom) -> dict[str, list[Membership]]:
    """Every member, for ticking several to remove, and the removed ones, to re-admit."""
    members = sorted(
        classroom.members.all(), key=lambda member: (member.display_name.casefold(), member.pk)
    )
    return {
        "active": [member for member in members if member.removed is None],
        "removed": [member for member in members if member.removed is not None],
    }


def _confirming(
    classroom: Classroom, query: QueryDict, member: Membership | None
) -> dict[str, Any] | None:
    """Without JavaScript, a destructive action asks first: `?confirm=<action>` shows the question."""
    action = query.get("confirm")
    if action not in CONFIRMED:
        return None
    if action == "end":
        return {"action": "end"} if classroom.is_open else None
    if action == "remove-selected":
        chosen = _members(classroom, query.getlist("selected"))
        return {"action": action, "members": chosen} if chosen else None
    if member is None:
        raise not_found("There is no such learner in this class.")
    if action == "remove":
        return {"action": "remove", "member": member}
    return {"action": "reset", "member": member, "scenario": _scenario(classroom, query.get("scenario"))}  # fmt: skip


# --- The actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acted:
    status: Status
    member: Membership | None = None  # the learner acted on: their panel stays open
    confirm: dict[str, str | list[str]] | None = (
        None  # no JavaScript: ask first (the redirect's query)
    )
    message_form: MessageForm | None = None  # an invalid message, shown again
    anchor: str = "dash-status"


def _act(request: HtmxHttpRequest, classroom: Classroom) -> HttpResponse:
    data = request.POST
    action = data.get("action", "")
    # A tampered id is a 404 before anything; re-admitting is for a removed learner.
    member = _member(classroom, data.get("learner"), removed=action == "readmit")
    handler = ACTIONS.get(action)
    if handler is None:
        acted = Acted(Status("problem", unknown_action(action)), member)
    elif not classroom.is_open and action != "reopen":
        acted = Acted(Status("problem", "This class has ended: its results stay, but nothing in it can change now."), member)  # fmt: skip
    else:
        try:
            acted = handler(classroom, data, member)
        except ScenarioUnavailable as error:
            acted = Acted(Status("problem", f"Nothing was changed. {error}"), member)
    return _respond(request, classroom, acted)


def _respond(request: HtmxHttpRequest, classroom: Classroom, acted: Acted) -> HttpResponse:
    """PRG without JavaScript; with htmx the grid, plus the status and the panels out of band."""
    url = reverse("lessons:dashboard", args=[classroom.join_code])
    if not request.htmx:
        if acted.message_form is not None:  # show what was typed again, with the problem
            context = _context(request, classroom, status=acted.status, message_form=acted.message_form)  # fmt: skip
            context["learner"] = _learner(classroom, acted.member)
            return render(request, "lessons/dashboard.html", context)
        query = QueryDict(mutable=True)
        for name in ("sort", "show"):
            if request.GET.get(name):
                query[name] = request.GET[name]
        if acted.member is not None:
            query["learner"] = str(acted.member.pk)
        for name, value in (acted.confirm or {}).items():
            query.setlist(name, value if isinstance(value, list) else [value])
        anchor = "confirm" if acted.confirm else acted.anchor
        response = redirect(url + ("?" + query.urlencode() if query else "") + "#" + anchor)
        if acted.confirm:
            return response
        return flash(response, classroom.join_code, acted.status, key=FLASH_KEY)
    context = _context(request, classroom, status=acted.status, message_form=acted.message_form)
    context["learner"] = _learner(classroom, acted.member)
    return render(request, "lessons/dashboard.html#acted", context)


def _hint_all(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    where = data.get("step", "")  # "<slug>/<step id>": only those on that step
    scenario = step = None
    if where:
        slug, _, step_id = where.partition("/")
        scenario = _scenario(classroom, slug)
        step = scenario.step(step_id)
        if step is None:
            raise not_found("That scenario has no such step.")
    count = classroom.reveal_hint(scenario=scenario.slug if scenario else None, step_id=step.id if step else None)  # fmt: skip
    on = f" on “{step.title}”" if step else ""
    if not count:
        return Acted(Status("info", f"No learner{on} had a hint left to reveal."))
    return Acted(Status("done", f"The next hint is shown to {count} learner{'s' if count != 1 else ''}{on}."))  # fmt: skip


def _hint_one(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if member is None:
        raise not_found("There is no such learner in this class.")
    slug = data.get("scenario") or None
    if slug is not None:
        _scenario(classroom, slug)
    if classroom.reveal_hint([member], scenario=slug):
        return Acted(Status("done", f"The next hint is shown to {member.display_name}."), member, anchor="learner")  # fmt: skip
    return Acted(Status("info", f"{member.display_name} has no hint left to reveal on their current step."), member, anchor="learner")  # fmt: skip


def _message(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    form = MessageForm(data)
    if not form.is_valid():
        errors = " ".join(form.errors.get("message", []))
        return Acted(Status("problem", f"The message was not posted. {errors}"), message_form=form, anchor="message")  # fmt: skip
    text = form.cleaned_data["message"]
    if not text and not classroom.message:
        return Acted(Status("info", "There is no message to take down: type one to post it."), anchor="message")  # fmt: skip
    classroom.post_message(text)
    if not text:
        return Acted(Status("done", "The message is taken down."), anchor="message")
    return Acted(Status("done", "The message is posted: every learner's workspace shows it."), anchor="message")  # fmt: skip


def _clear_message(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    classroom.post_message("")
    return Acted(Status("done", "The message is taken down."), anchor="message")


def _unlock(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if not classroom.unlock_one_by_one:
        return Acted(Status("info", "Every scenario of this class is open already."))
    if not classroom.unlock_next():
        return Acted(Status("info", "Every scenario is unlocked already."))
    opened = _title(classroom.scenarios[classroom.unlocked - 1])
    return Acted(Status("done", f"Unlocked “{opened}”: learners can open it now."))


def _lock(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if not classroom.unlock_one_by_one:
        return Acted(Status("info", "This class opens every scenario at once: there is nothing to lock."))  # fmt: skip
    if not classroom.lock_last():
        return Acted(Status("info", "Only the first scenario is open: it stays open."))
    closed = _title(classroom.scenarios[classroom.unlocked])
    return Acted(Status("done", f"Locked “{closed}” again: learners cannot open it until you unlock it. Their work on it is kept."))  # fmt: skip


def _title(slug: str) -> str:
    scenario = catalogue().get(slug)
    return scenario.title if scenario is not None else slug


def _reset(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if member is None:
        raise not_found("There is no such learner in this class.")
    scenario = _scenario(classroom, data.get("scenario"))
    if data.get("confirm") != "yes":
        ask = Status("info", "Confirm the reset below.")
        return Acted(ask, member, confirm={"confirm": "reset", "scenario": scenario.slug})
    if not member.reset(scenario.slug):
        return Acted(Status("info", f"{member.display_name} has not started “{scenario.title}”: there is nothing to reset."), member, anchor="learner")  # fmt: skip
    return Acted(Status("done", f"“{scenario.title}” starts again for {member.display_name}: step 1, the account as the scenario sets it up."), member, anchor="learner")  # fmt: skip


def _remove(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if member is None:
        raise not_found("There is no such learner in this class.")
    if data.get("confirm") != "yes":
        return Acted(Status("info", "Confirm the removal below."), member, confirm={"confirm": "remove"})  # fmt: skip
    member.remove()
    return Acted(Status("done", f"{member.display_name} is removed from the class. Their record stays (the CSV has it), and they can be re-admitted."), anchor="roster")  # fmt: skip


def _remove_selected(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    chosen = _members(classroom, data.getlist("selected"))
    if not chosen:
        return Acted(Status("info", "Tick the learners to remove first."), anchor="roster")
    if data.get("confirm") != "yes":
        ask = {"confirm": "remove-selected", "selected": [str(each.pk) for each in chosen]}
        return Acted(Status("info", "Confirm the removal below."), confirm=ask)
    for each in chosen:
        each.remove()
    names = ", ".join(each.display_name for each in chosen)
    count = f"{len(chosen)} learner{'s' if len(chosen) != 1 else ''}"
    return Acted(Status("done", f"{count} removed from the class: {names}. Their records stay (the CSV has them), and each can be re-admitted."), anchor="roster")  # fmt: skip


def _new_code(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if member is None:
        raise not_found("There is no such learner in this class.")
    member.new_resume_code()
    return Acted(Status("done", f"{member.display_name} has a new personal code; the old one no longer works. It is shown in their panel and in their workspace."), member, anchor="learner")  # fmt: skip


def _readmit(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if member is None:
        raise not_found("There is no such learner in this class.")
    if member.removed is None:
        return Acted(Status("info", f"{member.display_name} is in the class already."), member, anchor="learner")  # fmt: skip
    member.readmit()
    # Not the personal code: this status may be on the projector (the panel has it, folded).
    return Acted(Status("done", f"{member.display_name} is back in the class. They continue with their personal code, under Personal code in their panel."), member, anchor="learner")  # fmt: skip


def _end(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if data.get("confirm") != "yes":
        return Acted(Status("info", "Confirm below."), confirm={"confirm": "end"})
    classroom.end()
    return Acted(Status("done", "The class has ended: no one can join, learners' work is read-only, and the results stay here."))  # fmt: skip


def _reopen(classroom: Classroom, data: QueryDict, member: Membership | None) -> Acted:
    if classroom.is_open:
        return Acted(Status("info", "This class is open already."))
    classroom.reopen()
    return Acted(Status("done", "The class is open again, with no end time: learners can join and work until you end it."))  # fmt: skip


ACTIONS = {
    "hint-all": _hint_all,
    "hint-one": _hint_one,
    "message": _message,
    "message-clear": _clear_message,
    "unlock": _unlock,
    "lock": _lock,
    "reset": _reset,
    "remove": _remove,
    "remove-selected": _remove_selected,
    "readmit": _readmit,
    "new-code": _new_code,
    "end": _end,
    "reopen": _reopen,
}


# --- Results (/teach/<code>/results.csv) --------------------------------------------------------------

CSV_COLUMNS = [
    "learner", "scenario", "step", "completed at", "first completed at", "attempts",
    "hints used", "resets", "removed at", "quiz first score", "quiz questions", "quiz tries",
]  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP's CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@login_required
@require_GET
def export_csv(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """One row per learner per step of the class, removed learners included (marked); each row
    also gives the learner's quiz on that step's scenario: the first finished try's score (of
    how many questions) and the tries, in every run (resets included)."""
    classroom = _classroom(request, code)
    board = build_board(classroom, include_removed=True)
    filename = (slugify(classroom.title) or "class") + "-results.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in board.rows:
        removed = row.member.removed.isoformat() if row.member.removed else ""
        for column in board.columns:
            attempt = row.attempts.get(column.scenario.slug)
            step_id = column.step.id
            completed = attempt.completed.get(step_id, "") if attempt else ""
            first = first_completed(attempt.completed, attempt.history, step_id) if attempt else ""
            score = attempt.first_result if attempt else None
            writer.writerow(
                csv_safe(value)
                for value in (
                    row.member.display_name,
                    column.scenario.title,
                    column.step.title,
                    completed,
                    first,
                    attempt.checks.get(step_id, 0) if attempt else 0,
                    attempt.hints.get(step_id, 0) if attempt else 0,
                    len(attempt.history) if attempt else 0,
                    removed,
                    score.score if score else "",
                    len(column.scenario.questions),
                    attempt.quiz_tries if attempt else 0,
                )
            )
    return response


# --- The summary (/teach/<code>/summary/) ---------------------------------------------------------------


@login_required
@require_GET
def summary(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Per step, per learner and per question: a page to print after class."""
    classroom = _classroom(request, code)
    board = build_board(classroom)
    return render(
        request,
        "lessons/summary.html",
        {
            "classroom": classroom,
            "board": board,
            "steps_total": len(board.columns),
            "questions": _answers(board),
            "removed": classroom.members.filter(removed__isnull=False).count(),
            "unavailable": classroom.unavailable(),
        },
    )


def _first_answers(attempt: Progress) -> dict[str, Any]:
    """The answers of the learner's first finished try, or of the try they are on."""
    for run in [*attempt.history, {"quiz_results": attempt.quiz_results}]:
        for result in run.get("quiz_results") or ():
            if isinstance(result, dict) and isinstance(result.get("answers"), dict):
                return result["answers"]  # type: ignore[no-any-return]
    return attempt.answers


def _answers(board: Board) -> list[dict[str, Any]]:
    """How the active learners answered each scenario's questions on their first try."""
    found = []
    for group in board.groups:
        scenario = group.scenario
        for number, question in enumerate(scenario.questions, start=1):
            chosen: Counter[int] = Counter()
            for row in board.rows:
                attempt = row.attempts.get(scenario.slug)
                option = _first_answers(attempt).get(question.id) if attempt else None
                if isinstance(option, int) and 0 <= option < len(question.options):
                    chosen[option] += 1
            answered = sum(chosen.values())
            found.append(
                {
                    "scenario": scenario,
                    "number": number,
                    "question": question,
                    "answered": answered,
                    "options": [
                        {
                            "option": option,
                            "count": chosen[index],
                            "percent": round(100 * chosen[index] / answered) if answered else 0,
                        }
                        for index, option in enumerate(question.options)
                    ],
                }
            )
    return found


__all__ = ["Board", "build_board", "check_words", "csv_safe", "dashboard", "export_csv", "summary"]
