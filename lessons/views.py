from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from lessons.forms import EXAMPLE_ACTIONS, EXAMPLE_CALLERS, WORKED_EXAMPLE, SimulatorForm
from lessons.http import HtmxHttpRequest
from lessons.simulate import (
    BOUNDARY_SLOT,
    MAX_IDENTITY_POLICIES,
    MAX_POLICY_CHARS,
    MAX_SCP_LEVELS,
    RESOURCE_SLOT,
    SESSION_SLOT,
)


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "lessons/home.html")


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
