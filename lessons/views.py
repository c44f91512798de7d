import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from django.conf import settings
from django.core import signing
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import (
    HTMX_STOP_POLLING,
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    retarget,
    trigger_client_event,
)

from lessons import activity, console, limits, models
from lessons.forms import EXAMPLE_ACTIONS, EXAMPLE_CALLERS, WORKED_EXAMPLE, SimulatorForm
from lessons.http import HtmxHttpRequest
from lessons.learners import Who, current_learner, current_membership, who
from lessons.scenario import Scenario
from lessons.simulate import (
    BOUNDARY_SLOT,
    MAX_IDENTITY_POLICIES,
    MAX_POLICY_CHARS,
    MAX_SCP_LEVELS,
    RESOURCE_SLOT,
    SESSION_SLOT,
)
from simulator import AwsError, World


# Django's documented pattern for reading the body before CsrfViewMiddleware does ("Modifying
# upload handlers on the fly"): exempt the outer view, protect the inner one. Reading first
# lets an oversized form (several pasted megabytes) get a clear message instead of a bare 400.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def simulate(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            request.POST  # noqa: B018 -- parse now, inside our try
        except (RequestDataTooBig, TooManyFieldsSent):
            return _too_large(request)
    return _simulate(request)


@csrf_protect
def _simulate(request: HtmxHttpRequest) -> HttpResponse:
    """The policy simulator: a pure computation, so a POST renders its answer (no PRG:
    nothing is saved, and reloading just asks the same question again)."""
    if request.method == "GET":
        form = SimulatorForm(WORKED_EXAMPLE)
        return _render_page(request, form)

    action = request.POST.get("action", "evaluate")
    identity_count, scp_count = SimulatorForm.counts_in(request.POST)
    if action == "validate":
        form = SimulatorForm(request.POST, identity_count=identity_count, scp_count=scp_count)
        slot = form.slot(request.POST.get("field", ""))
        if slot is None:
            return HttpResponseBadRequest("Unknown policy field.")
        return render(request, "lessons/simulate.html#findings", {"box": form.box(slot)})
    focus = None
    if action == "add-identity-policy":
        identity_count = min(identity_count + 1, MAX_IDENTITY_POLICIES)
        focus = f"identity_policy_{identity_count}"
    elif action == "add-scp-level":
        scp_count = min(scp_count + 1, MAX_SCP_LEVELS)
        focus = f"scp_{scp_count}"
    elif action != "evaluate":
        return HttpResponseBadRequest("Unknown action.")
    form = SimulatorForm(request.POST, identity_count=identity_count, scp_count=scp_count)
    if focus is not None and request.htmx:
        # A new textarea changes the form itself: swap the whole simulator in.
        response = _render_page(request, form, focus=focus, partial="simulator")
        return reswap(retarget(response, "#simulator"), "outerHTML")
    return _render_page(request, form, focus=focus, partial="evaluated" if request.htmx else None)


def _render_page(
    request: HtmxHttpRequest,
    form: SimulatorForm,
    *,
    focus: str | None = None,
    partial: str | None = None,
) -> HttpResponse:
    name = "lessons/simulate.html" + (f"#{partial}" if partial else "")
    return render(request, name, _page_context(form, focus=focus))


def _page_context(form: SimulatorForm, *, focus: str | None = None) -> dict[str, Any]:
    """Validate the form, run the simulation if it is valid, and describe every policy box."""
    simulation = form.simulate()
    boxes = form.boxes()
    return {
        "form": form,
        "simulation": simulation,
        "problems": form.problems(boxes),
        "focus": focus,
        "boxes": list(boxes.values()),
        "identity_boxes": [boxes[slot.name] for slot in form.identity_slots],
        "scp_boxes": [boxes[slot.name] for slot in form.scp_slots],
        "resource_box": boxes[RESOURCE_SLOT.name],
        "boundary_box": boxes[BOUNDARY_SLOT.name],
        "session_box": boxes[SESSION_SLOT.name],
        "can_add_identity": len(form.identity_slots) < MAX_IDENTITY_POLICIES,
        "can_add_scp": len(form.scp_slots) < MAX_SCP_LEVELS,
        "caller_examples": EXAMPLE_CALLERS,
        "action_examples": EXAMPLE_ACTIONS,
        **_limits(),
    }


def _limits() -> dict[str, str]:
    return {
        "max_policy_chars": f"{MAX_POLICY_CHARS:,}",
        "upload_limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
    }


def _too_large(request: HtmxHttpRequest) -> HttpResponse:
    """The form was too big to read at all: Django refuses a body over 2.5 MB."""
    if request.htmx:
        target = request.htmx.target or ""
        if target.startswith("findings-"):  # an as-you-type check of one huge policy
            context = {"target": target, **_limits()}
            return render(request, "lessons/simulate.html#findings-too-large", context)
        return render(request, "lessons/simulate.html#result", {"too_large": True, **_limits()})
    context = {**_page_context(SimulatorForm(WORKED_EXAMPLE)), "too_large": True}
    return render(request, "lessons/simulate.html", context, status=413)


# --- The catalogue (/) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """A scenario in the catalogue, with the learner's progress on it in words."""

    scenario: Scenario
    state: str  # "not-started" | "in-progress" | "completed"
    progress: str  # "Not started", "Step 2 of 5", "Completed"
    start: str  # the link's words: Start, Continue, Review


def _card(scenario: Scenario, step_index: int | None) -> Card:
    total = len(scenario.steps)
    if step_index is None:
        return Card(scenario, "not-started", "Not started", "Start")
    if scenario.sandbox:
        return Card(scenario, "in-progress", "Started", "Continue")
    if step_index >= total:
        return Card(scenario, "completed", "Completed", "Review")
    return Card(scenario, "in-progress", f"Step {step_index + 1} of {total}", "Continue")


@require_GET
def catalogue(request: HtmxHttpRequest) -> HttpResponse:
    """Every scenario with the learner's progress, the sandbox, and the policy simulator."""
    # Only the step reached: a world may be 200 KB of JSON, and none is needed here.
    membership = current_membership(request)
    if membership is not None:
        reached = dict(membership.attempts.values_list("scenario", "step_index"))
        return _class_catalogue(request, membership, reached)
    learner = current_learner(request)
    reached = {}
    if learner is not None:
        reached = dict(learner.attempts.values_list("scenario", "step_index"))
    cards = [_card(scenario, reached.get(slug)) for slug, scenario in models.catalogue().items()]
    return render(
        request,
        "lessons/catalogue.html",
        {
            "cards": [card for card in cards if not card.scenario.sandbox],
            "sandboxes": [card for card in cards if card.scenario.sandbox],
        },
    )


def _class_catalogue(
    request: HtmxHttpRequest, membership: models.Membership, reached: dict[str, int]
) -> HttpResponse:
    """A learner in a class sees the class's scenarios, in its order; locked ones say so."""
    classroom = membership.classroom
    open_now = set(classroom.open_scenarios())
    cards = [
        _card(scenario, reached.get(scenario.slug))
        if scenario.slug in open_now
        else Card(scenario, "locked", "Locked: your instructor opens it later", "")
        for scenario in classroom.definitions()
    ]
    context = {"cards": cards, "sandboxes": [], "membership": membership, "classroom": classroom}
    return render(request, "lessons/catalogue.html", context)


# --- The workspace (/s/<slug>/) ----------------------------------------------------------------

MAX_SHOWN_INPUT = 40  # characters of a bad value quoted back in a message

STATUS_ICONS = {"done": "✔", "failed": "✖", "problem": "⚠", "info": "ℹ"}
# Cookie: the status to show once after a redirect (JavaScript off), for one scenario's page.
FLASH_KEY = "rolecall_status"


@dataclass(frozen=True, slots=True)
class Status:
    """What the last action did, for the status region: words, an icon, AWS's error if any."""

    kind: str  # "done" | "failed" | "problem" | "info"
    message: str
    error_code: str = ""
    error_message: str = ""

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.kind]


@dataclass(frozen=True, slots=True)
class Acted:
    """The result of a POST action: the status, and what to show next.

    `region` names the htmx response (`step`, `console`, `workspace` or `status` alone);
    `anchor` is the fragment to land on after the redirect when JavaScript is off.
    """

    status: Status
    region: str
    anchor: str
    world_changed: bool = False
    query: dict[str, str] = field(default_factory=dict)  # added to the redirect's query
    scroll_to: str | None = None  # htmx: bring this element of the new fragment into view
    # The console's extras (see console.Outcome): show the page again rather than redirect,
    # so what was typed is not lost; answer htmx with one of _console.html's partials.
    show_again: bool = False
    console_partial: str | None = None
    partial_context: dict[str, Any] = field(default_factory=dict)


# The htmx response for each region: the partial swapped into the target, plus out-of-band
# updates of the other regions the action changes.
RESPONSES = {
    "step": "stepped",
    "console": "acted",
    "workspace": "restarted",
    "status": "status-only",
}
# The regions an htmx GET may ask for by its hx-target (a filter link, a panel refreshing).
FRAGMENTS = ("step", "console", "activity")
CLASS_ENDED = "This class has ended: your work is kept and you can look at it, but nothing more can be changed."  # fmt: skip
SOMEONE_ELSE = "Nothing was changed: that page was opened by someone else on this browser. This is the page of whoever the browser is now."  # fmt: skip
NEW_LEARNERS_LIMITED = "Many people on this network have started scenarios in the last hour, and each one is stored: wait a while and try again. Nothing was changed."  # fmt: skip


# Read the body before CsrfViewMiddleware does (see `simulate` above), so an oversized form
# gets a clear message rather than a bare 400.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def workspace(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    scenario = models.catalogue().get(slug)
    if scenario is None:
        raise Http404("There is no such scenario.")
    if request.method == "POST":
        try:
            request.POST  # noqa: B018 -- parse now, inside our try
        except (RequestDataTooBig, TooManyFieldsSent):
            limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            status = Status("problem", f"That form was larger than the {limit} this page accepts, so none of it was read. Nothing was changed.")  # fmt: skip
            return _respond_without_attempt(request, slug, status)
    return _workspace(request, scenario)


@csrf_protect
def _workspace(request: HtmxHttpRequest, scenario: Scenario) -> HttpResponse:
    """The scenario's step, console and activity log, and the actions on them.

    The attempt is always the browser's person's own (their class membership, else their
    self-paced learner): there is no attempt id to tamper with. A GET stores nothing: before
    the first change the page shows the world the scenario starts with, built again from the
    owner's seed, and the first change stores that very world.
    """
    reading = request.method != "POST"  # GET, or HEAD (config.middleware.HeadAsGet)
    # In a class, only the class's open scenarios; its message is polled as a fragment.
    person = who(request)
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
    if reading:
        needs_world = request.htmx.target != "step"
    else:
        needs_world = action.startswith("console-") or action == "check"
    if not needs_world:
        attempts = attempts.defer("world")
    attempt = attempts.first()
    if reading:
        return _show(request, attempt or models.Attempt.unsaved(person.owner, scenario), person)
    if _opened_as_someone_else(request, person.owner):
        return _someone_else(request, scenario)
    if membership is not None and not membership.classroom.is_open:
        shown = attempt or models.Attempt.unsaved(person.owner, scenario)
        return _respond(request, shown, Acted(Status("problem", CLASS_ENDED), "status", "status"), person)  # fmt: skip
    if attempt is None:
        if membership is None and not models.Learner.objects.filter(key=person.owner.learner_key).exists():  # fmt: skip
            if limits.NEW_LEARNERS.reached(request):
                shown = models.Attempt.unsaved(person.owner, scenario)
                return _respond(request, shown, Acted(Status("problem", NEW_LEARNERS_LIMITED), "status", "status"), person)  # fmt: skip
            limits.NEW_LEARNERS.count(request)
        attempt = models.Attempt.start(person.owner, scenario)
    if action.startswith("console-"):
        acted = _console_action(attempt, request.POST)
    elif action == "check":
        acted = _check(attempt)
    elif action == "hint":
        acted = _hint(attempt)
    elif action == "answer":
        acted = _answer(attempt, request.POST)
    elif action == "reset":
        acted = _reset(request, attempt)
    else:
        acted = _unknown(action)
    return _respond(request, attempt, acted, person)


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
    request: HtmxHttpRequest, attempt: models.Attempt, person: Who, *, status: Status | None = None
) -> HttpResponse:
    fragment = request.htmx.target if request.htmx else None
    if request.method == "GET" and fragment in FRAGMENTS and not request.htmx.history_restore_request:  # fmt: skip
        regions = {fragment}
        name = f"lessons/workspace.html#{fragment}"
    else:
        regions = {"step", "console", "activity"}
        name = "lessons/workspace.html"
        status = status or take_flash(request, attempt.scenario)
    context = _context(request, attempt, person, regions=regions, status=status)
    context["confirm_reset"] = request.GET.get("reset") == "confirm"
    response = render(request, name, context)
    return forget_flash(request, response) if name == "lessons/workspace.html" else response


def _respond(
    request: HtmxHttpRequest, attempt: models.Attempt, acted: Acted, person: Who
) -> HttpResponse:
    """Redirect after a plain POST (PRG); render the changed fragments for htmx.

    A console form that failed (or only previewed) is the exception without JavaScript: the
    page is shown again at once, with what was typed, as an invalid form would be.
    """
    if not request.htmx:
        if acted.show_again:
            return _show(request, attempt, person, status=acted.status)
        url = _workspace_url(request, attempt.scenario, **acted.query) + "#" + acted.anchor
        return flash(redirect(url), attempt.scenario, acted.status)
    if acted.console_partial:
        name = f"lessons/_console.html#{acted.console_partial}"
        response = render(request, name, acted.partial_context)
        if acted.world_changed:
            response = trigger_client_event(response, "world-changed")
        return response
    regions = {
        "step": {"step"},
        "console": {"console", "activity"},
        "workspace": {"step", "console", "activity"},
        "status": set(),
    }[acted.region]
    context = _context(request, attempt, person, regions=regions, status=acted.status)
    response = render(request, f"lessons/workspace.html#{RESPONSES[acted.region]}", context)
    if acted.region == "status":
        response = reswap(response, "none")
    elif acted.scroll_to:
        response = reswap(response, f"outerHTML show:#{acted.scroll_to}:top")
    if acted.world_changed:
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


# --- The actions ----------------------------------------------------------------------------------


def _check(attempt: models.Attempt) -> Acted:
    step, number = attempt.step, attempt.step_index + 1
    if step is None:
        return Acted(_no_step(attempt), "step", "step")
    result = attempt.run_check()
    if result is None:  # another tab finished the scenario meanwhile
        return Acted(_no_step(attempt), "step", "step")
    if not result.passed:
        failed = sum(not item.passed for item in result.items)
        message = f"Not yet: {failed} of {len(result.items)} checks of step {number} did not pass. The step shows what was checked and what happened."  # fmt: skip
        return Acted(Status("failed", message), "step", "check-result")
    ahead = attempt.step
    following = f"Next: step {number + 1}, {ahead.title}." if ahead else "All steps are done: answer the questions to finish."  # fmt: skip
    status = Status("done", f"Step {number} passed: {step.title}. {following}")
    return Acted(status, "step", "passed", scroll_to="passed")


def _hint(attempt: models.Attempt) -> Acted:
    step = attempt.step
    if step is None:
        return Acted(_no_step(attempt), "step", "step")
    if attempt.hints.get(step.id, 0) >= len(step.hints):
        message = "This step has no hints." if not step.hints else "Every hint of this step is already shown."  # fmt: skip
        return Acted(Status("info", message), "step", "hints")
    shown = attempt.reveal_hint()
    return Acted(Status("info", f"Hint {shown} of {len(step.hints)} is shown under the step."), "step", f"hint-{shown}")  # fmt: skip


def _answer(attempt: models.Attempt, data: QueryDict) -> Acted:
    questions = attempt.definition.questions
    question_id = data.get("question", "")
    number = next((n for n, q in enumerate(questions, start=1) if q.id == question_id), None)
    if number is None:
        message = "That question is not part of this scenario. Reload the page and answer from there."  # fmt: skip
        return Acted(Status("problem", message), "step", "questions")
    question = questions[number - 1]
    anchor = f"question-{number}"
    if not attempt.finished:
        return Acted(Status("problem", "The questions open once every step has passed."), "step", anchor)  # fmt: skip
    if question_id in attempt.answers:
        return Acted(
            Status("info", f"You have already answered question {number}."), "step", anchor
        )
    raw = data.get("option", "")
    if not raw:
        return Acted(Status("problem", f"Choose one of the answers to question {number} first."), "step", anchor)  # fmt: skip
    option = int(raw) if raw.isdigit() and len(raw) <= 3 else -1
    if not 0 <= option < len(question.options):
        message = f"That is not one of the answers to question {number}. Choose one of the options shown."  # fmt: skip
        return Acted(Status("problem", message), "step", anchor)
    right = attempt.answer(question_id, option)
    if right:
        return Acted(Status("done", f"Question {number}: right."), "step", anchor)
    return Acted(Status("failed", f"Question {number}: not quite. The right answer and why are shown."), "step", anchor)  # fmt: skip


def _reset(request: HtmxHttpRequest, attempt: models.Attempt) -> Acted:
    if request.POST.get("confirm") != "yes":
        message = "Starting again clears your work on this scenario: confirm below."
        return Acted(Status("info", message), "status", "reset-confirm", query={"reset": "confirm"})
    attempt.reset()
    what = (
        "The sandbox is" if attempt.definition.sandbox else "You are at step 1 and the account is"
    )
    message = f"Started again. {what} back to how the scenario sets it up."
    return Acted(Status("done", message), "workspace", "status", world_changed=True)


def _console_action(attempt: models.Attempt, data: QueryDict) -> Acted:
    """Whatever the console's forms ask for; `console.perform` acts and says how it went."""
    try:
        outcome = console.perform(attempt, data)
    except AwsError as error:  # the console returns an Outcome; this is a safety net
        outcome = console.Outcome(False, "AWS refused the request.", error.code, error.message)
    status = Status(
        "done" if outcome.ok else "failed",
        outcome.message,
        outcome.error_code or "",
        outcome.error_message or "",
    )
    # A refused call changes the world too: it is in the activity log. The console says when
    # nothing was saved at all (a form it could not read, a preview).
    changed = getattr(outcome, "changed", True)
    return Acted(
        status,
        "console",
        "status",
        world_changed=changed,
        show_again=not outcome.ok or not changed,
        console_partial=getattr(outcome, "partial", None),
        partial_context=getattr(outcome, "partial_context", None) or {},
    )


def _unknown(action: str) -> Acted:
    if not action:
        message = "The form said nothing to do. Use the page's buttons, or reload the page."
    else:
        shown = action[:MAX_SHOWN_INPUT] + ("…" if len(action) > MAX_SHOWN_INPUT else "")
        message = f"This page has no action called “{shown}”. Use the page's buttons, or reload the page."  # fmt: skip
    return Acted(Status("problem", message), "status", "status")


def _no_step(attempt: models.Attempt) -> Status:
    if attempt.definition.sandbox:
        return Status("info", "The sandbox has no steps to check: act freely in the console.")
    return Status("info", "Every step is done: the questions below are all that is left.")


# --- What a page shows --------------------------------------------------------------------------


def _context(
    request: HtmxHttpRequest,
    attempt: models.Attempt,
    person: Who,
    *,
    regions: set[str],
    status: Status | None,
) -> dict[str, Any]:
    """The template's context, computing only what the rendered regions need.

    The world is loaded (once) only for the console and the activity log.
    """
    scenario = attempt.definition
    context: dict[str, Any] = {
        "attempt": attempt,
        "scenario": scenario,
        "status": status,
        "workspace_url": _workspace_url(request, scenario.slug),
        "owner_tag": person.owner.tag,
        "steps_total": len(scenario.steps),
        "steps_done": min(attempt.step_index, len(scenario.steps)),
    }
    membership = person.membership
    if membership is not None:
        context["membership"] = membership
        context["classroom"] = membership.classroom
        context["class_version"] = _class_version(membership)
    if "step" in regions:
        context.update(_step_context(request, attempt))
    if "console" in regions or "activity" in regions:
        world = attempt.load_world()
        context["world"] = world
        if "console" in regions:
            context["console"] = console.panels(attempt, world)
        if "activity" in regions:
            update = _activity_update(request, world) if request.method == "POST" else None
            context.update(update or _activity_context(request, world))
    return context


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
        chosen = attempt.answers.get(question.id)
        if not (isinstance(chosen, int) and 0 <= chosen < len(question.options)):
            chosen = None  # unanswered, or the scenario file changed its options since
        questions.append(
            {
                "number": number,
                "question": question,
                "chosen": chosen,
                "right": chosen is not None and question.options[chosen].correct,
                "chosen_option": question.options[chosen] if chosen is not None else None,
            }
        )
    answered = [q for q in questions if q["chosen"] is not None]
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
    }


def _activity_context(request: HtmxHttpRequest, world: World) -> dict[str, Any]:
    outcome = _outcome_filter(request)
    events = activity.select(world.events, outcome=outcome)
    return {
        "outcome": outcome,
        "rows": [_event_html(event) for event in events],
        "log_limit": activity.LIMIT,
        "log_shown": _log_shown(events),
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
    kept = activity.select(world.events, outcome=outcome, limit=len(world.events))
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
    value = request.GET.get("outcome")
    if value is None and request.htmx and request.htmx.current_url:
        value = parse_qs(urlsplit(request.htmx.current_url).query).get("outcome", [""])[0]
    return value if value in activity.OUTCOMES else "all"


def _workspace_url(request: HtmxHttpRequest, slug: str, **query: str) -> str:
    """The workspace's URL, keeping the page's query (the log's filter) but not a reset prompt."""
    params = request.GET.copy()
    params.pop("reset", None)
    for key, value in query.items():
        params[key] = value
    url = reverse("lessons:workspace", args=[slug])
    return url + ("?" + params.urlencode() if params else "")


# --- Remembered for the page after a redirect (a short-lived signed cookie) -------------------

FLASH_SALT = "rolecall.status"
FLASH_AGE = 300  # seconds: the page after a redirect comes at once, or not at all
MAX_FLASHED_TEXT = 1500  # characters of an error message kept (a cookie holds 4 KB)


def flash(
    response: HttpResponse, page: str, status: Status, *, key: str = FLASH_KEY
) -> HttpResponse:
    """Keep `status` for `page` (a scenario's slug, a class's code) in a signed cookie, to show
    after the redirect that follows a POST without JavaScript. A cookie, not the session: a
    learner's POST writes no session row (strangers could otherwise grow that table)."""
    kept = asdict(status) | {"error_message": status.error_message[:MAX_FLASHED_TEXT]}
    response.set_cookie(
        key,
        signing.dumps({"page": page, **kept}, salt=FLASH_SALT, compress=True),
        max_age=FLASH_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    return response


def take_flash(request: HtmxHttpRequest, page: str, *, key: str = FLASH_KEY) -> Status | None:
    """The status kept for `page`; None if there is none or it no longer reads as one. The
    response that shows it calls `forget_flash`."""
    raw = request.COOKIES.get(key)
    if not raw:
        return None
    try:
        saved = signing.loads(raw, salt=FLASH_SALT, max_age=FLASH_AGE)
        if saved.pop("page") != page:
            return None
        status = Status(**saved)
    except (signing.BadSignature, AttributeError, KeyError, TypeError, ValueError):
        return None
    return status if status.kind in STATUS_ICONS else None


def forget_flash(
    request: HtmxHttpRequest, response: HttpResponse, *, key: str = FLASH_KEY
) -> HttpResponse:
    """The page has shown the kept status: the browser drops it."""
    if key in request.COOKIES:
        response.delete_cookie(key, samesite=settings.SESSION_COOKIE_SAMESITE)
    return response
