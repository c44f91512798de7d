"""Who a browser is: someone learning on their own, and at most one person in a class.

No sign-up. A browser holds up to two keys, each in a signed cookie of its own:

- `rolecall_learner`: a self-paced learner's key. Given by the first workspace page, with no
  row behind it: the Learner row (and the attempt, and its world) are written with the first
  change, so a crawler's GETs store nothing.
- `rolecall_member`: the key of one class Membership: one person in one class. Joining a class
  or typing a personal resume code puts a membership's key here; leaving the class takes it
  away. Another person on the same computer is asked "continue as Alex, or someone else?"
  before anything of Alex's is shown to them (lessons.classes).

A record belongs to the person (the membership, or the self-paced learner), never to the
browser: the same browser can be Alex today and Casey tomorrow without mixing their work.
Both keys are as secret as a session id (32 random bytes); the signature only makes a tampered
cookie read as no cookie. Both cookies live SESSION_COOKIE_AGE, renewed by page views, with
the session cookie's Secure and SameSite settings, HttpOnly.

Before migration 0007 the Learner was also the class member: a browser still holding such a
learner's key is given that learner's latest class membership once (`_legacy_membership`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from lessons.models import Learner, Membership, Owner, new_key

LEARNER_COOKIE = "rolecall_learner"
MEMBER_COOKIE = "rolecall_member"
SALTS = {LEARNER_COOKIE: "rolecall.learner", MEMBER_COOKIE: "rolecall.member"}
SESSION_KEY = "rolecall_learner"  # where the learner key was kept before the cookie (read once)
_CHANGES = "_rolecall_cookies"  # request attribute: the cookies this response sets or deletes


def _changes(request: HttpRequest) -> dict[str, str | None]:
    changes: dict[str, str | None] | None = getattr(request, _CHANGES, None)
    if changes is None:
        changes = {}
        setattr(request, _CHANGES, changes)
    return changes


def _read(request: HttpRequest, cookie: str) -> str | None:
    """The key in `cookie`: as this response will leave it, else as the browser sent it."""
    changes = _changes(request)
    if cookie in changes:
        return changes[cookie]
    key = request.get_signed_cookie(
        cookie, default=None, salt=SALTS[cookie], max_age=settings.SESSION_COOKIE_AGE
    )
    if not (isinstance(key, str) and key):
        return None
    if request.method in ("GET", "HEAD") and "HX-Request" not in request.headers:
        changes[cookie] = key  # a page view keeps the cookie for another SESSION_COOKIE_AGE
    return key


def _give(request: HttpRequest, cookie: str, key: str | None) -> None:
    """This response sets `cookie` to `key` (None: deletes it)."""
    _changes(request)[cookie] = key


# --- Self-paced ------------------------------------------------------------------------------------


def learner_key(request: HttpRequest, *, mint: bool = False) -> str | None:
    """The self-paced key the browser holds (or, once, one from an older session); with `mint`,
    a new one when it holds none. No row is written here."""
    key = _read(request, LEARNER_COOKIE)
    if key is not None:
        return key
    if settings.SESSION_COOKIE_NAME in request.COOKIES:  # no query for a browser with no session
        old = request.session.pop(SESSION_KEY, None)
        if isinstance(old, str) and old:
            _give(request, LEARNER_COOKIE, old)
            return old
    if not mint:
        return None
    key = new_key()
    _give(request, LEARNER_COOKIE, key)
    return key


def current_learner(request: HttpRequest) -> Learner | None:
    """The browser's self-paced Learner, if they have changed anything yet."""
    key = learner_key(request)
    return Learner.objects.filter(key=key).first() if key is not None else None


# --- In a class -----------------------------------------------------------------------------------


def current_membership(request: HttpRequest) -> Membership | None:
    """The class member this browser is now (active, with its Classroom), if any."""
    key = _read(request, MEMBER_COOKIE)
    if key is not None:
        membership = Membership.objects.for_key(key)
        if membership is None:  # removed, or the class deleted: the browser is nobody there
            _give(request, MEMBER_COOKIE, None)
            _say_removed(request, key)
        return membership
    if request.method in ("GET", "HEAD") and "HX-Request" not in request.headers:
        return _legacy_membership(request)
    return None


def _say_removed(request: HttpRequest, key: str) -> None:
    """Tell the person, once, why their class is gone from this browser."""
    gone = Membership.objects.filter(key=key).select_related("classroom").first()
    if gone is not None and gone.removed is not None and hasattr(request, "_messages"):
        messages.warning(
            request,
            f"{gone.display_name}: you are no longer in the class “{gone.classroom.title}” "
            "(your instructor removed you). Your work there is kept for your instructor. "
            "Here you work on your own.",
        )


def _legacy_membership(request: HttpRequest) -> Membership | None:
    old = _read(request, LEARNER_COOKIE)
    if old is None:
        return None
    membership = (
        Membership.objects.active()
        .filter(legacy_learner__key=old)
        .select_related("classroom")
        .order_by("-joined", "-pk")
        .first()
    )
    if membership is not None:
        Membership.objects.filter(legacy_learner__key=old).update(legacy_learner=None)
        sign_in(request, membership)
    return membership


def sign_in(request: HttpRequest, membership: Membership) -> None:
    """From this response on, this browser is `membership`'s person."""
    _give(request, MEMBER_COOKIE, membership.key)


def sign_out(request: HttpRequest) -> None:
    """This browser is no one in a class any more (their record stays)."""
    _give(request, MEMBER_COOKIE, None)


@dataclass(frozen=True, slots=True)
class Who:
    """Whose work a workspace request reads and changes, and the class they are in, if any."""

    owner: Owner
    membership: Membership | None


def who(request: HttpRequest) -> Who:
    """The browser's class member if it is one, else its self-paced learner (a key is given to
    a browser that has none, so the world it is shown now is the one its first change stores)."""
    membership = current_membership(request)
    if membership is not None:
        return Who(Owner(membership=membership), membership)
    key = learner_key(request, mint=True)
    assert key is not None
    return Who(Owner(learner_key=key), None)


class LearnerCookieMiddleware:
    """Sets (or deletes) the learner and member cookies the request's views gave."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)  # type: ignore[operator]
        for cookie, key in getattr(request, _CHANGES, {}).items():
            if key is None:
                response.delete_cookie(cookie, samesite=settings.SESSION_COOKIE_SAMESITE)
                continue
            response.set_signed_cookie(
                cookie,
                key,
                salt=SALTS[cookie],
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response
