"""The classroom's doors: learners join a class with its code, continue with their personal
code on any device, and leave; instructors create classes and project the join code.

Learners have no login. Joining makes a new Membership (one person in one class, with a record
of their own) and this browser becomes that person (lessons.learners). A browser that is
already someone in the class asks first: continue as them, or join as someone else. Limits
per client address (lessons.limits): wrong codes (only wrong codes: a right one always works,
so a class behind one router is never locked out by its neighbours' typos), joins, and each
class's size.
"""

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from lessons import limits
from lessons.accounts import instructor_required
from lessons.http import HtmxHttpRequest
from lessons.learners import Browser, with_browser
from lessons.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    RESUME_CODE_LENGTHS,
    Classroom,
    JoinRefused,
    Membership,
    ScenarioUnavailable,
    catalogue,
    group_code,
    normalise_code,
)
from lessons.names import DISPLAY_NAME_MAX, clean_name, clean_text, name_key

MAX_CLASS_MINUTES = 24 * 60
MAX_ORDER = 99

# --- Forms ---------------------------------------------------------------------------------------


def _clean_code(raw: str, *, lengths: tuple[int, ...], example: str) -> str:
    code = normalise_code(raw)
    if len(code) not in lengths or any(char not in JOIN_CODE_ALPHABET for char in code):
        letters = " or ".join(str(length) for length in lengths)
        raise forms.ValidationError(
            f"A code has {letters} letters and digits, like {example} (there is no 0, O, 1 or I in it)."
        )
    return code


class JoinForm(forms.Form):
    code = forms.CharField(label="Class code", max_length=32)
    name = forms.CharField(label="Your name", max_length=DISPLAY_NAME_MAX)

    def clean_code(self) -> str:
        return _clean_code(
            self.cleaned_data["code"], lengths=(JOIN_CODE_LENGTH,), example="QK7M 4XPA"
        )

    def clean_name(self) -> str:
        name = clean_name(self.cleaned_data["name"])
        if not name or not name_key(name).strip():
            raise forms.ValidationError("Type the name the class will see, e.g. your first name.")
        return name


class ResumeForm(forms.Form):
    code = forms.CharField(label="Your personal code", max_length=32)

    def clean_code(self) -> str:
        return _clean_code(
            self.cleaned_data["code"], lengths=RESUME_CODE_LENGTHS, example="QK7M 4XPA 9RTW"
        )


def _choosable() -> list[tuple[str, str]]:
    """Scenarios a class can take, in catalogue order (sandboxes have no steps to follow)."""
    return [(slug, each.title) for slug, each in catalogue().items() if not each.sandbox]


class ClassroomForm(forms.Form):
    """A new class. The chosen scenarios come as checkboxes, each with an order number, so the
    order can be set without JavaScript; without numbers they keep the catalogue's order."""

    title = forms.CharField(label="Title", max_length=120)
    scenarios = forms.MultipleChoiceField(
        label="Scenarios",
        choices=_choosable,
        error_messages={"required": "Choose at least one scenario."},
    )
    unlock_one_by_one = forms.BooleanField(label="Unlock the scenarios one by one", required=False)
    minutes = forms.IntegerField(
        label="Ends after (minutes, optional)",
        required=False,
        min_value=5,
        max_value=MAX_CLASS_MINUTES,
    )

    def clean_title(self) -> str:
        title = clean_text(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("A title needs letters or digits, not only spaces or symbols that do not print.", code="blank")  # fmt: skip
        return title

    def _order(self, slug: str) -> int | None:
        raw = (self.data.get(f"order-{slug}") or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ORDER:
            raise forms.ValidationError(
                f"Order numbers are whole numbers from 1 to {MAX_ORDER}.", code="order"
            )
        return int(raw)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = cleaned.get("scenarios") or []
        position = {slug: index for index, (slug, _) in enumerate(_choosable())}
        order = {slug: self._order(slug) for slug in chosen}
        cleaned["ordered"] = sorted(
            chosen, key=lambda slug: (order[slug] or MAX_ORDER + 1, position[slug])
        )
        return cleaned

    def rows(self) -> list[dict[str, Any]]:
        """One row per scenario for the template: checked, and its order number as typed."""
        chosen = set(self.data.getlist("scenarios")) if self.is_bound else set()
        rows = []
        choosable = [each for each in catalogue().values() if not each.sandbox]
        for number, scenario in enumerate(choosable, start=1):
            slug = scenario.slug
            order = self.data.get(f"order-{slug}", "") if self.is_bound else str(number)
            rows.append(
                {
                    "slug": slug,
                    "title": scenario.title,
                    "steps": len(scenario.steps),
                    "minutes": scenario.minutes,
                    "checked": slug in chosen,
                    "order": order,
                }
            )
        return rows


# --- Refusals --------------------------------------------------------------------------------------


def _too_many(request: HtmxHttpRequest, page: str, form: forms.Form, why: str) -> HttpResponse:
    """429, with what was typed kept and what to do in words."""
    context = {"page": page, "form": form, "limited": why}
    response = render(request, "lessons/join.html", context, status=429)
    response["Retry-After"] = str(limits.JOINS.window)
    return response


WRONG_CODES_LIMITED = "wrong-codes"
JOINS_LIMITED = "joins"


# --- Learners: join, resume, leave ---------------------------------------------------------------


def _landing(classroom: Classroom, membership: Membership) -> HttpResponse:
    slug = classroom.landing_for(membership)
    if slug is None:
        return redirect("lessons:catalogue")
    return redirect("lessons:workspace", slug)


def _code_words(request: HtmxHttpRequest, membership: Membership) -> SafeString:
    return format_html(
        "To continue on another device, go to <strong>{url}</strong> and type your personal "
        'code <code class="class-code">{code}</code>. Keep it to yourself: it opens your work. '
        "It is shown in your workspace too.",
        url=request.build_absolute_uri(reverse("lessons:resume")),
        code=membership.grouped_resume_code,
    )


@require_http_methods(["GET", "POST"])
@with_browser
def join(request: HtmxHttpRequest, browser: Browser) -> HttpResponse:
    """A class code and a display name: a new person in the class, at its first scenario."""
    if request.method != "POST":
        code = normalise_code(request.GET.get("code", ""))
        form = JoinForm(initial={"code": group_code(code)} if code else None)
        return render(request, "lessons/join.html", {"page": "join", "form": form})
    form = JoinForm(request.POST)
    if not form.is_valid():
        return render(request, "lessons/join.html", {"page": "join", "form": form})
    classroom = Classroom.objects.with_code(form.cleaned_data["code"]).first()
    if classroom is None or not classroom.is_open:
        if limits.WRONG_CODES.reached(request):
            return _too_many(request, "join", form, WRONG_CODES_LIMITED)
        limits.WRONG_CODES.count(request)
        if classroom is None:
            form.add_error("code", "No open class has this code. Check it with your instructor.")  # fmt: skip
        else:
            form.add_error("code", "This class has ended: it no longer takes new learners.")  # fmt: skip
        return render(request, "lessons/join.html", {"page": "join", "form": form})

    held = browser.membership()
    choice = request.POST.get("as", "")
    if held is not None and held.classroom_id == classroom.pk and choice != "new":
        if choice != "continue":  # someone else at this computer? Ask before showing anything
            context = {"page": "who", "form": form, "held": held, "classroom": classroom}
            return render(request, "lessons/join.html", context)
        messages.success(
            request,
            format_html("Welcome back, {}. {}", held.display_name, _code_words(request, held)),
        )
        return _landing(classroom, held)

    if limits.JOINS.reached(request):
        return _too_many(request, "join", form, JOINS_LIMITED)
    try:
        membership = classroom.join(form.cleaned_data["name"])
    except JoinRefused as refused:
        form.add_error(None, str(refused))
        return render(request, "lessons/join.html", {"page": "join", "form": form})
    limits.JOINS.count(request)
    browser.sign_in(membership)
    typed = form.cleaned_data["name"]
    renamed = (
        format_html(" “{}” is taken in this class, so you are <strong>{}</strong>.", typed, membership.display_name)
        if membership.display_name != typed
        else ""
    )  # fmt: skip
    # Who this device was before may be someone else (a lab computer): name them, never their
    # personal code.
    before = (
        format_html(
            " This device was {} in “{}” before: that work is kept, and its personal code "
            "brings it back on any device.",
            held.display_name,
            held.classroom.title,
        )
        if held is not None
        else ""
    )
    messages.success(
        request,
        format_html(
            "Welcome, {name}: you are in “{title}”.{renamed} {code}{before}",
            name=membership.display_name,
            title=classroom.title,
            renamed=renamed,
            code=_code_words(request, membership),
            before=before,
        ),
    )
    return _landing(classroom, membership)


@require_http_methods(["GET", "POST"])
@with_browser
def resume(request: HtmxHttpRequest, browser: Browser) -> HttpResponse:
    """A learner's personal code makes this browser that person again, on any device."""
    if request.method != "POST":
        return render(request, "lessons/join.html", {"page": "resume", "form": ResumeForm()})
    form = ResumeForm(request.POST)
    if form.is_valid():
        membership = (
            Membership.objects.with_resume_code(form.cleaned_data["code"])
            .select_related("classroom")
            .first()
        )
        if membership is None:
            if limits.WRONG_CODES.reached(request):
                return _too_many(request, "resume", form, WRONG_CODES_LIMITED)
            limits.WRONG_CODES.count(request)
            form.add_error("code", "No learner has this code. Check it, or join the class again.")  # fmt: skip
        else:
            browser.sign_in(membership)
            messages.success(
                request,
                f"Welcome back, {membership.display_name}: your work in "
                f"“{membership.classroom.title}” is on this device now.",
            )
            return _landing(membership.classroom, membership)
    return render(request, "lessons/join.html", {"page": "resume", "form": form})


@require_http_methods(["GET", "POST"])
@with_browser
def leave(request: HtmxHttpRequest, browser: Browser) -> HttpResponse:
    """This browser stops being the class member it is: the self-paced catalogue again. Their
    record stays, and their personal code brings it back. The address typed (a GET) changes
    nothing: it leads to the catalogue, whose button leaves."""
    if request.method != "POST":
        return redirect("lessons:catalogue")
    membership = browser.membership()
    if membership is not None:
        browser.sign_out()
        messages.success(
            request,
            format_html(
                "You have left “{title}” on this device. Your work there is kept: to come back, "
                'go to {url} and type your personal code <code class="class-code">{code}</code>.',
                title=membership.classroom.title,
                url=reverse("lessons:resume"),
                code=membership.grouped_resume_code,
            ),
        )
    return redirect("lessons:catalogue")


# --- Instructors: their classes, the projector -----------------------------------------------------


def _dashboard_url(classroom: Classroom) -> str:
    try:
        return reverse("lessons:dashboard", args=[classroom.join_code])
    except NoReverseMatch:  # the dashboard is not installed
        return reverse("lessons:projector", args=[classroom.join_code])


@login_required
@require_http_methods(["GET", "POST"])
def teach(request: HtmxHttpRequest) -> HttpResponse:
    """The instructor's own classes, and the form that creates one."""
    form = ClassroomForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        minutes = form.cleaned_data["minutes"]
        classroom = Classroom.start(
            instructor=request.user,
            title=form.cleaned_data["title"],
            scenarios=form.cleaned_data["ordered"],
            unlock_one_by_one=form.cleaned_data["unlock_one_by_one"],
            ends_at=timezone.now() + timedelta(minutes=minutes) if minutes else None,
        )
        messages.success(
            request, f"“{classroom.title}” is ready: its join code is {classroom.grouped_code}."
        )
        return redirect(_dashboard_url(classroom))
    classes = (
        Classroom.objects.for_instructor(request.user)
        .annotate(learners=Count("members", filter=Q(members__removed__isnull=True)))
        .order_by("-created", "-pk")
    )
    rows = _class_rows(list(classes))
    alerts = [row for row in rows if row["unavailable"]]
    return render(request, "lessons/teach.html", {"form": form, "rows": rows, "alerts": alerts})


def _class_rows(classes: list[Classroom]) -> list[dict[str, Any]]:
    """Each class, and its scenarios the catalogue does not serve (each with why, as the
    dashboard says it): a scenario several classes have is looked up once."""
    known = catalogue()
    why: dict[str, ScenarioUnavailable] = {}
    rows = []
    for classroom in classes:
        missing = [slug for slug in classroom.scenarios if slug not in known]
        for slug in missing:
            if slug not in why:
                why[slug] = ScenarioUnavailable(slug)
        rows.append({"classroom": classroom, "unavailable": [why[slug] for slug in missing]})
    return rows


def _qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline SVG: made here, no request to any other host.
    segno draws with attributes (stroke, fill), never a style attribute, so the CSP holds."""
    code = segno.make(url, error="m")
    return mark_safe(code.svg_inline(scale=4, light="#fff", omitsize=True, svgclass="qr__svg"))


def public_url(request: HtmxHttpRequest, path: str) -> str:
    """`path` at the address learners reach: settings.ROLECALL_PUBLIC_URL when set (the server
    may see itself as localhost, or by a proxy's inner name), else the request's own host."""
    public = getattr(settings, "ROLECALL_PUBLIC_URL", "")
    return public + path if public else request.build_absolute_uri(path)


@instructor_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def projector(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The join code, large, with the join URL and its QR code; the count of learners in."""
    classroom = get_object_or_404(Classroom.objects.for_instructor(request.user), join_code=code)
    context: dict[str, Any] = {
        "classroom": classroom,
        "learners": classroom.members.active().count(),
    }
    if request.htmx and request.htmx.target == "joined":
        return render(request, "lessons/projector.html#joined", context)
    join_path = reverse("lessons:join")
    join_url = public_url(request, join_path + "?" + urlencode({"code": code}))
    context |= {
        "join_url": join_url,
        "join_address": urlsplit(join_url).netloc + join_path,
        "qr": _qr_svg(join_url),
        "spelled": " ".join(code),
        "dashboard_url": _dashboard_url(classroom),
    }
    return render(request, "lessons/projector.html", context)
