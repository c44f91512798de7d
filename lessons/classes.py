"""The classroom's doors: learners join a class with its code (and resume on another device
with their personal code); instructors create classes and project the join code.

Learners have no login: joining puts the browser's anonymous Learner (lessons.learners) in
the class. Wrong codes are counted per client address and, past a limit, refused with 429, so
join codes (10**12 of them) cannot be guessed. Only wrong codes count: a class of 200 behind
one school router, or a load test from one machine, joins without hitting the limit.
"""

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from lessons.http import HtmxHttpRequest
from lessons.learners import current_learner, give
from lessons.models import (
    DISPLAY_NAME_MAX,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Classroom,
    JoinRefused,
    Learner,
    Membership,
    catalogue,
    group_code,
    normalise_code,
)

MAX_CLASS_MINUTES = 24 * 60
MAX_ORDER = 99

# --- Forms ---------------------------------------------------------------------------------------


def _clean_code(raw: str) -> str:
    code = normalise_code(raw)
    if len(code) != JOIN_CODE_LENGTH or any(char not in JOIN_CODE_ALPHABET for char in code):
        raise forms.ValidationError(
            "A code has 8 letters and digits, like QK7M 4XPA (there is no 0, O, 1 or I in it)."
        )
    return code


class JoinForm(forms.Form):
    code = forms.CharField(label="Class code", max_length=32)
    name = forms.CharField(label="Your name", max_length=DISPLAY_NAME_MAX)

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"])

    def clean_name(self) -> str:
        printable = "".join(char for char in self.cleaned_data["name"] if char.isprintable())
        name = " ".join(printable.split())
        if not name:
            raise forms.ValidationError("Type the name the class will see, e.g. your first name.")
        return name


class ResumeForm(forms.Form):
    code = forms.CharField(label="Your personal code", max_length=32)

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"])


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
        for number, (slug, title) in enumerate(_choosable(), start=1):
            order = self.data.get(f"order-{slug}", "") if self.is_bound else str(number)
            scenario = catalogue()[slug]
            rows.append(
                {
                    "slug": slug,
                    "title": title,
                    "steps": len(scenario.steps),
                    "minutes": scenario.minutes,
                    "checked": slug in chosen,
                    "order": order,
                }
            )
        return rows


# --- Rate limit ------------------------------------------------------------------------------------

LIMIT_WINDOW = 60  # seconds


def client_address(request: HtmxHttpRequest) -> str:
    """Who is asking: the peer's address, or behind a trusted proxy the one it appended."""
    if settings.ROLECALL_TRUST_X_FORWARDED_FOR:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            return hops[-1][:64]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _failures_key(request: HtmxHttpRequest) -> str:
    window = int(time.time() // LIMIT_WINDOW)
    return f"rolecall:code-failures:{window}:{client_address(request)}"


def _limited(request: HtmxHttpRequest) -> bool:
    return cache.get(_failures_key(request), 0) >= settings.ROLECALL_JOIN_FAILURES_PER_MINUTE


def _count_failure(request: HtmxHttpRequest) -> None:
    key = _failures_key(request)
    if not cache.add(key, 1, timeout=LIMIT_WINDOW * 2):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=LIMIT_WINDOW * 2)


def _too_many(request: HtmxHttpRequest, page: str) -> HttpResponse:
    form = JoinForm() if page == "join" else ResumeForm()
    response = render(
        request, "lessons/join.html", {"page": page, "form": form, "limited": True}, status=429
    )
    response["Retry-After"] = str(LIMIT_WINDOW)
    return response


# --- Learners: join, resume --------------------------------------------------------------------


def _landing(classroom: Classroom, learner: Learner) -> HttpResponse:
    slug = classroom.landing_for(learner)
    if slug is None:
        return redirect("lessons:catalogue")
    return redirect("lessons:workspace", slug)


def _welcome(request: HtmxHttpRequest, greeting: str, membership: Membership) -> SafeString:
    """Shown once after joining: the learner's personal code, to continue on another device."""
    return format_html(
        "{greeting}, {name}: you are in “{title}”. To continue on another device, go to "
        "<strong>{url}</strong> and type your personal code "
        '<code class="class-code">{code}</code>. Keep it to yourself: it opens your work.',
        greeting=greeting,
        name=membership.display_name,
        title=membership.classroom.title,
        url=request.build_absolute_uri(reverse("lessons:resume")),
        code=membership.grouped_resume_code,
    )


@require_http_methods(["GET", "POST"])
def join(request: HtmxHttpRequest) -> HttpResponse:
    """A class code and a display name put the learner in the class, at its first scenario."""
    if request.method == "GET":
        code = normalise_code(request.GET.get("code", ""))
        form = JoinForm(initial={"code": group_code(code)} if code else None)
        return render(request, "lessons/join.html", {"page": "join", "form": form})
    if _limited(request):
        return _too_many(request, "join")
    form = JoinForm(request.POST)
    if form.is_valid():
        classroom = Classroom.objects.with_code(form.cleaned_data["code"]).first()
        if classroom is None or not classroom.is_open:
            _count_failure(request)
            if classroom is None:
                form.add_error("code", "No open class has this code. Check it with your instructor.")  # fmt: skip
            else:
                form.add_error("code", "This class has ended: it no longer takes new learners.")  # fmt: skip
        else:
            learner = current_learner(request, create=True)
            assert learner is not None
            asked = timezone.now()
            try:
                membership = classroom.join(learner, form.cleaned_data["name"])
            except JoinRefused as refused:
                form.add_error(None, str(refused))
            else:
                greeting = "Welcome" if membership.joined >= asked else "Welcome back"
                messages.success(request, _welcome(request, greeting, membership))
                return _landing(classroom, learner)
    return render(request, "lessons/join.html", {"page": "join", "form": form})


@require_http_methods(["GET", "POST"])
def resume(request: HtmxHttpRequest) -> HttpResponse:
    """A learner's personal code brings their work to this device (its learner cookie)."""
    if request.method == "GET":
        return render(request, "lessons/join.html", {"page": "resume", "form": ResumeForm()})
    if _limited(request):
        return _too_many(request, "resume")
    form = ResumeForm(request.POST)
    if form.is_valid():
        membership = (
            Membership.objects.with_resume_code(form.cleaned_data["code"])
            .select_related("classroom", "learner")
            .first()
        )
        if membership is None:
            _count_failure(request)
            form.add_error("code", "No learner has this code. Check it, or join the class again.")  # fmt: skip
        else:
            give(request, membership.learner.key)  # this browser's cookie now holds them
            messages.success(
                request,
                f"Welcome back, {membership.display_name}: your work in "
                f"“{membership.classroom.title}” is on this device now.",
            )
            return _landing(membership.classroom, membership.learner)
    return render(request, "lessons/join.html", {"page": "resume", "form": form})


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
    return render(request, "lessons/teach.html", {"form": form, "classes": classes})


def _qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline SVG: made here, no request to any other host.
    segno draws with attributes (stroke, fill), never a style attribute, so the CSP holds."""
    code = segno.make(url, error="m")
    return mark_safe(code.svg_inline(scale=4, light="#fff", omitsize=True, svgclass="qr__svg"))


@login_required
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
    join_url = request.build_absolute_uri(join_path + "?" + urlencode({"code": code}))
    context |= {
        "join_url": join_url,
        "join_address": request.get_host() + join_path,
        "qr": _qr_svg(join_url),
        "spelled": " ".join(code),
        "dashboard_url": _dashboard_url(classroom),
    }
    return render(request, "lessons/projector.html", context)
