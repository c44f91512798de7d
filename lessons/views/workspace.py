"""The workspace (/s/<slug>/): a scenario's step, console and activity log, and every action.

One way through: `workspace` reads the request (who the browser is, their attempt), hands a
POST to `actions.perform`, which returns an `Outcome`, and `_respond` turns that into a
response (a redirect without JavaScript; with htmx, the regions the outcome names). See
docs/architecture.md for one console action from URL to database.
"""

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import (
    HTMX_STOP_POLLING,
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    trigger_client_event,
)

from lessons import actions, activity, limits, models, quiz, terminal
from lessons.console.panels import panels
from lessons.http import HtmxHttpRequest
from lessons.learners import Browser, Who, with_browser
from lessons.not_found import not_found
from lessons.outcome import Outcome, Region, Status
from lessons.scenario import Scenario
from lessons.views.status import flash, forget_flash, take_flash
from simulator import World
from simulator.account import Account

# The htmx response for each region: the partial swapped into the target, plus out-of-band
# updates of the other regions the action changes.
RESPONSES = {
    Region.STEP: ("stepped", {"step"}),
    Region.CONSOLE: ("acted", {"console", "activity", "terminal"}),
    Region.TERMINAL: ("ran", {"terminal", "activity"}),
    Region.WORKSPACE: ("restarted", {"step", "console", "activity", "terminal"}),
    Region.STATUS: ("status-only", set()),
}
# The regions an htmx GET may ask for by its hx-target (a filter link, a panel refreshing).
FRAGMENTS = ("step", "console", "activity", "terminal")
CLASS_ENDED = "This class has ended: your work is kept and you can look at it, but nothing more can be changed."  # fmt: skip
SOMEONE_ELSE = "Nothing was changed: that page was opened by someone else on this browser. This is the page of whoever the browser is now."  # fmt: skip
NO_SUCH_SCENARIO = "There is no such scenario: the address may be mistyped, or the scenario removed."  # fmt: skip
UNAVAILABLE = "RoleCall cannot open this scenario at the moment. Your work on it is kept, and is here again once the scenario is back."  # fmt: skip
MAX_ASKED_CHARS = 64  # of a ?log= naming no account, said back on the page
NEW_LEARNERS_LIMITED = "Many people on this network have started scenarios in the last hour, and each one is stored: wait a while and try again. Nothing was changed."  # fmt: skip


# Read the body before CsrfViewMiddleware does (as lessons.views.simulate does), so an
# oversized form gets a clear message rather than a bare 400.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
@with_browser
def workspace(request: HtmxHttpRequest, browser: Browser, slug: str) -> HttpResponse:
    scenario = models.catalogue().get(slug)
    if scenario is None:
        if request.htmx:  # htmx does not swap a 4xx: load the page itself, which explains
            return HttpResponseClientRedirect(reverse("lessons:workspace", args=[slug]))
        raise _missing(browser, slug)
    if request.method == "POST":
        try:
            request.POST  # noqa: B018 -- parse now, inside our try
        except (RequestDataTooBig, TooManyFieldsSent):
            limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            status = Status("problem", f"That form was larger than the {limit} this page accepts, so none of it was read. Nothing was changed.")  # fmt: skip
            return _respond_without_attempt(request, slug, status)
    return _workspace(request, browser, scenario)


@csrf_protect
def _workspace(request: HtmxHttpRequest, browser: Browser, scenario: Scenario) -> HttpResponse:
    """The scenario's step, console and activity log, and the actions on them.

    The attempt is always the browser's person's own (their class membership, else their
    self-paced learner): there is no attempt id to tamper with. A GET stores nothing: before
    the first change the page shows the world the scenario starts with, built again from the
    owner's seed, and the first change stores that very world.
    """
    reading = request.method != "POST"  # GET, or HEAD (config.middleware.HeadAsGet)
    # In a class, only the class's open scenarios; its message is polled as a fragment.
    person = browser.who()
    membership = person.membership
    if membership is not None:
        refused = _class_refusal(request, membership, scenario)
        if refused is not None:
            return refused
        if reading and request.htmx.target == "class-message":
            return _class_message(request, membership, scenario)
    elif reading and request.htmx.target == "class-message":
        # No longer in a class (removed, or left in another tab): empty the banner and stop
        # polling (htmx's 286), rather than answering with the whole page.
        return HttpResponse(status=HTMX_STOP_POLLING)
    # Read the world with the row when the request needs it: a page (or its console or log)
    # shows it, a console action changes it, a check looks at it. A hint or an answer never
    # does, nor does the step region alone.
    attempts = person.owner.attempts().filter(scenario=scenario.slug)
    action = request.POST.get("action", "")
    needs_world = request.htmx.target != "step" if reading else actions.needs_world(action)
    if not needs_world:
        attempts = attempts.defer("world")
    attempt = attempts.first()
    if reading:
        return _show(request, attempt or models.Attempt.unsaved(person.owner, scenario), person)
    if _opened_as_someone_else(request, person.owner):
        return _someone_else(request, scenario)
    if membership is not None and not membership.classroom.is_open:
        shown = attempt or models.Attempt.unsaved(person.owner, scenario)
        return _respond(request, shown, Outcome(Status("problem", CLASS_ENDED)), person)
    if attempt is None:
        if membership is None and not models.Learner.objects.filter(key=person.owner.learner_key).exists():  # fmt: skip
            if limits.NEW_LEARNERS.reached(request):
                shown = models.Attempt.unsaved(person.owner, scenario)
                return _respond(request, shown, Outcome(Status("problem", NEW_LEARNERS_LIMITED)), person)  # fmt: skip
            limits.NEW_LEARNERS.count(request)
        attempt = models.Attempt.start(person.owner, scenario)
    return _respond(request, attempt, actions.perform(attempt, request.POST), person)


def _missing(browser: Browser, slug: str) -> Http404:
    """The 404 for a scenario the catalogue does not serve. Unavailable for now, rather than
    no such scenario, when its file is there but left out (it has problems), the person has
    work on it or their class has it: that work is kept, and shows again once the file is
    served. Never which file (the instructors' pages say that)."""
    membership = browser.membership()
    if membership is not None:
        owner: models.Owner | None = models.Owner(membership=membership)
        in_class = slug in membership.classroom.scenarios
    else:
        key = browser.learner_key()
        owner = models.Owner(learner_key=key) if key is not None else None
        in_class = False
    if (
        in_class
        or (owner is not None and owner.attempts().filter(scenario=slug).exists())
        or models.scenario_file(slug) is not None
    ):
        return not_found(UNAVAILABLE, heading="This scenario is unavailable for now")
    return not_found(NO_SUCH_SCENARIO)


def _opened_as_someone_else(request: HtmxHttpRequest, owner: models.Owner) -> bool:
    """Whether the page that sent this action was shown to someone other than whoever this
    browser is now (a tab left open while the next person joined, resumed or left)."""
    said = request.POST.get("owner") or request.headers.get("X-RoleCall-Owner", "")
    return bool(said) and said != owner.tag


def _someone_else(request: HtmxHttpRequest, scenario: Scenario) -> HttpResponse:
    """Change nothing; show the page again, as whoever the browser is now."""
    if request.htmx:
        return HttpResponseClientRefresh()
    status = Status("problem", SOMEONE_ELSE)
    return flash(
        redirect(_workspace_url(request, scenario.slug) + "#status"), scenario.slug, status
    )


def _show(
    request: HtmxHttpRequest, attempt: models.Attempt, person: Who, outcome: Outcome | None = None
) -> HttpResponse:
    """The page, or the fragment an htmx GET asks for; `outcome` when a POST without
    JavaScript is answered at once (the form is shown again with what was typed)."""
    fragment = request.htmx.target if request.htmx else None
    status = outcome.status if outcome is not None else None
    if request.method == "GET" and fragment in FRAGMENTS and not request.htmx.history_restore_request:  # fmt: skip
        regions = {fragment}
        name = f"lessons/workspace.html#{fragment}"
    else:
        regions = {"step", "console", "activity", "terminal"}
        name = "lessons/workspace.html"
        status = status or take_flash(request, attempt.scenario)
    context = _context(request, attempt, person, regions=regions, status=status, outcome=outcome)
    context["confirm_reset"] = request.GET.get("reset") == "confirm"
    response = render(request, name, context)
    return forget_flash(request, response) if name == "lessons/workspace.html" else response


def _respond(
    request: HtmxHttpRequest, attempt: models.Attempt, outcome: Outcome, person: Who
) -> HttpResponse:
    """Redirect after a plain POST (PRG); render the regions the outcome names for htmx.

    A console form that failed (or only previewed) is the exception without JavaScript: the
    page is shown again at once, with what was typed, as an invalid form would be.
    """
    if not request.htmx:
        if outcome.show_again:
            return _show(request, attempt, person, outcome)
        url = _workspace_url(request, attempt.scenario, **outcome.query) + "#" + outcome.anchor
        return flash(redirect(url), attempt.scenario, outcome.status)
    if outcome.partial:
        response = render(request, f"lessons/_console.html#{outcome.partial}", outcome.partial_context)  # fmt: skip
    else:
        partial, regions = RESPONSES[outcome.region]
        if outcome.echo is not None and outcome.echo.console_changed:
            regions = regions | {"console"}
        context = _context(
            request, attempt, person, regions=regions, status=outcome.status, outcome=outcome
        )
        response = render(request, f"lessons/workspace.html#{partial}", context)
        if outcome.region is Region.STATUS:
            response = reswap(response, "none")
        elif outcome.echo is not None and outcome.echo.cleared:
            response = reswap(response, "innerHTML")  # `clear`: the log holds only what follows
        elif outcome.scroll_to:
            response = reswap(response, f"outerHTML show:#{outcome.scroll_to}:top")
    if outcome.world_changed:
        response = trigger_client_event(response, "world-changed")
    return response


def _class_refusal(
    request: HtmxHttpRequest, membership: models.Membership, scenario: Scenario
) -> HttpResponse | None:
    """A clear page instead of a scenario the learner's class has not (yet) opened to them."""
    classroom = membership.classroom
    if scenario.slug not in classroom.scenarios:
        locked, status = False, 404
    elif scenario.slug not in classroom.open_scenarios():
        locked, status = True, 403
    else:
        return None
    if request.htmx:  # htmx does not swap a 4xx: load the page itself, which explains
        return HttpResponseClientRedirect(reverse("lessons:workspace", args=[scenario.slug]))
    context = {
        "scenario": scenario,
        "classroom": classroom,
        "locked": locked,
        "membership": membership,
    }
    return render(request, "lessons/locked.html", context, status=status)


def _class_version(membership: models.Membership) -> str:
    """Changes whenever the banner would (a message posted or taken down, the class ending) or
    the instructor revealed a hint to this learner: "<message>-<open>-<hint>"."""
    classroom = membership.classroom
    posted = classroom.message_posted.timestamp() if classroom.message_posted else 0
    nudged = membership.nudged.timestamp() if membership.nudged else 0
    return f"{posted:.6f}-{int(classroom.is_open)}-{nudged:.6f}"


def _class_message(
    request: HtmxHttpRequest, membership: models.Membership, scenario: Scenario
) -> HttpResponse:
    """The polled banner: 204 (htmx swaps nothing) while it has not changed since `seen`.
    A hint the instructor revealed meanwhile also asks the page for its step panel again."""
    version = _class_version(membership)
    seen = request.GET.get("seen", "")
    if seen == version:
        return HttpResponse(status=204)
    context = {
        "membership": membership,
        "classroom": membership.classroom,
        "class_version": version,
        "scenario": scenario,
    }
    response = render(request, "lessons/workspace.html#class-message", context)
    if seen.rpartition("-")[2] != version.rpartition("-")[2]:
        response = trigger_client_event(response, "hint-revealed")
    return response


def _respond_without_attempt(request: HtmxHttpRequest, slug: str, status: Status) -> HttpResponse:
    """Answer a request that could not be read at all: change nothing, say why."""
    if not request.htmx:
        return flash(redirect(_workspace_url(request, slug) + "#status"), slug, status)
    response = render(request, "lessons/workspace.html#status-only", {"status": status})
    return reswap(response, "none")


# --- What a page shows --------------------------------------------------------------------------


def _context(
    request: HtmxHttpRequest,
    attempt: models.Attempt,
    person: Who,
    *,
    regions: set[str],
    status: Status | None,
    outcome: Outcome | None = None,
) -> dict[str, Any]:
    """The template's context, computing only what the rendered regions need.

    The world is loaded (once) only for the console, the terminal and the activity log.
    """
    scenario = attempt.definition
    context: dict[str, Any] = {
        "attempt": attempt,
        "scenario": scenario,
        "status": status,
        "workspace_url": _workspace_url(request, scenario.slug),
        "workspace_path": reverse("lessons:workspace", args=[scenario.slug]),
        "owner_tag": person.owner.tag,
        "steps_total": len(scenario.steps),
        "steps_done": min(attempt.step_index, len(scenario.steps)),
        # The top line says Completed only once a try at the questions is finished too.
        "quiz_done": attempt.quiz_done,
    }
    membership = person.membership
    if membership is not None:
        context["membership"] = membership
        context["classroom"] = membership.classroom
        context["class_version"] = _class_version(membership)
    if "step" in regions:
        context.update(_step_context(request, attempt))
        context["focus"] = outcome.focus if outcome is not None and request.htmx else None
    if regions & {"console", "activity", "terminal"}:
        world = attempt.load_world()
        context["world"] = world
        # The log first: what the console shows of whom it may act as can need an instance's
        # role credentials, which the metadata service issues (an event) in this unsaved copy.
        if "activity" in regions:
            update = _activity_update(request, world) if request.method == "POST" else None
            path = context["workspace_path"]
            context.update(update or _activity_context(request, world, path))
        if "terminal" in regions:
            context["terminal"] = _terminal(request, world, outcome)
            context["echo"] = outcome.echo if outcome else None
        if "console" in regions:
            query = _page_params(request)
            opened = query.get("open", "")
            context["console"] = panels(world, outcome, opened=opened, query=query)
    return context


def _terminal(request: HtmxHttpRequest, world: World, outcome: Outcome | None) -> terminal.Panel:
    """The terminal, in the place the command ran in, or the page asks for (`?place=`; for an
    htmx action, the page's own URL's); with what was typed when it could not be run."""
    draft = outcome.draft if outcome is not None and outcome.form == terminal.FORM else {}
    if outcome is not None and outcome.echo is not None:
        place = outcome.echo.place_id
    else:
        place = draft.get("place") or _page_query(request, "place")
    query = _page_params(request)
    return terminal.panel(world, place, draft=draft.get("command", ""), query=query)


def _step_context(request: HtmxHttpRequest, attempt: models.Attempt) -> dict[str, Any]:
    scenario = attempt.definition
    step = attempt.step
    index = attempt.step_index
    progress = [
        {
            "number": number,
            "step": each,
            "state": "done"
            if number - 1 < index
            else "current"
            if number - 1 == index
            else "upcoming",
        }
        for number, each in enumerate(scenario.steps, start=1)
    ]
    passed = scenario.steps[index - 1] if 0 < index <= len(scenario.steps) else None
    check = attempt.last_check
    hints_shown = attempt.hints_shown()
    questions = []
    for number, question in enumerate(scenario.questions, start=1):
        # The options in this learner's order for this try (lessons.quiz), each with its
        # index in the scenario file, which is what the form posts and the answer stores.
        chosen = quiz.chosen(question, attempt.answers)
        options = [
            {"index": index, "option": question.options[index], "chosen": index == chosen}
            for index in attempt.option_order(question)
        ]
        questions.append(
            {
                "number": number,
                "dom": f"question-{number}",
                "question": question,
                "options": options,
                "chosen": chosen,
                "right": chosen is not None and question.options[chosen].correct,
                "chosen_option": question.options[chosen] if chosen is not None else None,
                "right_option": next((o for o in question.options if o.correct), None),
            }
        )
    answered = [q for q in questions if q["chosen"] is not None]
    try_finished = attempt.try_finished
    return {
        "step": step,
        "step_number": index + 1,
        "progress": progress,
        "passed_step": passed,
        "passed_number": index,
        "last_check": check
        if check and check.get("step") in (getattr(step, "id", None), getattr(passed, "id", None))
        else None,  # fmt: skip
        "hints_shown": hints_shown,
        "hints_left": len(step.hints) - len(hints_shown) if step else 0,
        "questions": questions,
        "answered": len(answered),
        "answered_right": sum(q["right"] for q in answered),
        "quiz_try": attempt.quiz_try,
        "try_finished": try_finished,
        "first_result": attempt.first_result,
        "quiz_done": attempt.quiz_done,
    }


def _activity_context(request: HtmxHttpRequest, world: World, path: str) -> dict[str, Any]:
    outcome = _outcome_filter(request)
    account, asked = _log_account(request, world)
    events = activity.select(account.events, outcome=outcome)
    return {
        **_log_choices(request, world, account, asked, path),
        "outcome": outcome,
        "rows": [_event_html(event) for event in events],
        "log_limit": activity.LIMIT,
        "log_shown": _log_shown(events),
    }


def _log_account(request: HtmxHttpRequest, world: World) -> tuple[Account, str]:
    """Whose log the page shows: `?log=`, an account's name or id (a setting of the page, kept
    by its links and forms as the console's `?as=` is), else the learner's, the world's first
    account; and what was asked for when no account of the world is that."""
    asked = _page_params(request).get("log", "")
    if not asked:
        return world, ""
    chosen = next((a for a in world.accounts if asked in (a.account_id, a.state.name)), None)
    return (chosen, "") if chosen is not None else (world, asked[:MAX_ASKED_CHARS])


def _log_choices(
    request: HtmxHttpRequest, world: World, shown: Account, asked: str, path: str
) -> dict[str, Any]:
    """The log's own part of the page when the world has several accounts (each keeps its own
    CloudTrail: its calls, and a cross-account AssumeRole in both): a link to each account's
    log, keeping the page's other settings, and the account shown, by name and id. A world of
    one account has nothing to choose, and its page says nothing of accounts."""
    accounts = world.accounts
    if len(accounts) == 1:
        return {}
    page = _page_params(request).copy()
    page.pop("reset", None)
    choices = []
    for account in accounts:
        if account is world:
            page.pop("log", None)
        else:
            page["log"] = account.state.name or account.account_id
        choices.append(
            {
                "label": activity.account_words(account, yours=account is world),
                "url": path + ("?" + page.urlencode() if page else ""),
                "current": account.account_id == shown.account_id,
            }
        )
    return {
        "log_accounts": choices,
        "log_account": activity.account_words(shown, yours=shown is world),
        "log_asked_for": asked,
    }


def _log_shown(events: list[Mapping[str, Any]]) -> str:
    """What the page's log shows, for the next htmx action to send back (see below): its
    newest row's event id and a digest of the whole event, and how many rows it has."""
    if not events:
        return ""
    return f"{events[0].get('eventID', '')} {_event_digest(events[0])} {len(events)}"


def _event_digest(event: Mapping[str, Any]) -> str:
    # Event ids come from the world's seeded counter and repeat after a reset: the digest
    # tells a row of the new world from the old one's.
    return hashlib.blake2b(_event_key(event), digest_size=8).hexdigest()


def _activity_update(request: HtmxHttpRequest, world: World) -> dict[str, Any] | None:
    """The log's change after an htmx action, when the page says what its log shows: the
    new rows to put on top and the rows that fall off the bottom, rather than every row
    again. None (show the whole log) when the page's log is not this world's newest rows
    as they were (another tab acted meanwhile, the instructor reset the scenario), when
    there is no log on the page yet, or when more rows are new than the log shows."""
    shown = request.POST.get("log_shown", "").split()
    if not request.htmx or len(shown) != 3 or not shown[2].isdigit():
        return None
    top_id, top_digest, count = shown[0], shown[1], int(shown[2])
    outcome = _outcome_filter(request)
    account, _ = _log_account(request, world)
    kept = activity.select(account.events, outcome=outcome, limit=len(account.events))
    position = next((n for n, e in enumerate(kept) if e.get("eventID") == top_id), None)
    if (
        position is None
        or position >= activity.LIMIT
        or _event_digest(kept[position]) != top_digest
        or len(kept) - position < count  # rows the page shows are gone from the world
    ):
        return None
    newest = kept[: activity.LIMIT]
    return {
        "outcome": outcome,
        "log_update": True,
        "new_rows": [_event_html(event) for event in kept[:position]],
        "gone": [
            str(e.get("eventID", ""))
            for e in kept[max(activity.LIMIT, position) : position + count]
        ],
        "log_shown": _log_shown(newest),
    }


def _event_key(event: Mapping[str, Any]) -> bytes:
    # Sorted, so an event is the same key whatever order its keys were stored in (PostgreSQL's
    # jsonb, which held worlds before migration 0004, hands them back reordered).
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def _event_html(event: Mapping[str, Any]) -> str:
    """One row of the activity log. A recorded event never changes, so each is built once
    per process (activity.row_html)."""
    return _render_event(_event_key(event))


@lru_cache(maxsize=4096)
def _render_event(key: bytes) -> str:
    return activity.row_html(activity.describe(orjson.loads(key)))


def _outcome_filter(request: HtmxHttpRequest) -> str:
    """all or denied: from the query string, or for htmx from the page's own URL."""
    value = _page_query(request, "outcome")
    return value if value in activity.OUTCOMES else "all"


def _page_params(request: HtmxHttpRequest) -> QueryDict:
    """The query of the page as the browser shows it: for an htmx action, the page's own URL
    (a form in a region the last swaps left alone may carry an older one: the terminal's,
    posted after the console was told to act as someone else); else this request's."""
    if request.htmx and request.method == "POST" and request.htmx.current_url:
        params = QueryDict(urlsplit(request.htmx.current_url).query, mutable=True)
    else:
        params = request.GET.copy()
    # What the log shows travels with each htmx request (hx-include="#log-shown"), not in
    # the page's links: kept there, every click added another copy to the address.
    params.pop("log_shown", None)
    return params


def _page_query(request: HtmxHttpRequest, name: str) -> str:
    """A query parameter of the page: this request's, or for htmx the page's own URL's."""
    value = request.GET.get(name)
    if value is None and request.htmx and request.htmx.current_url:
        value = parse_qs(urlsplit(request.htmx.current_url).query).get(name, [""])[0]
    return value or ""


def _workspace_url(request: HtmxHttpRequest, slug: str, **query: str) -> str:
    """The workspace's URL, keeping the page's query (the log's filter) but not a reset prompt."""
    params = _page_params(request).copy()
    params.pop("reset", None)
    for key, value in query.items():
        params[key] = value
    url = reverse("lessons:workspace", args=[slug])
    return url + ("?" + params.urlencode() if params else "")
