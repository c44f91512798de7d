"""Who a browser is: someone learning on their own, and at most one person in a class.

No sign-up. A browser holds up to two keys, each in a signed cookie of its own:

- `rolecall_learner`: a self-paced learner's key. Given by the first workspace page, with no
  row behind it: the Learner row (and the attempt, and its world) are written with the first
  change, so a crawler's GETs store nothing.
- `rolecall_member`: the key of one class Membership: one person in one class. Joining a class
  or typing a personal resume code puts a membership's key here; leaving the class takes it
  away. Another person on the same computer is asked "continue as Alex, or someone else?"
  before anything of Alex's is shown to them (lessons.views.classes).

A record belongs to the person (the membership, or the self-paced learner), never to the
browser: the same browser can be Alex today and Casey tomorrow without mixing their work.
Both keys are as secret as a session id (32 random bytes); the signature only makes a tampered
cookie read as no cookie. Both cookies live SESSION_COOKIE_AGE, renewed by page views, with
the session cookie's Secure and SameSite settings, HttpOnly.

A view that needs to know who the browser is takes a `Browser` (`@with_browser`): it reads the
cookies, and whatever it decides to give or take away is set on that view's response by the
decorator. Before migration 0007 the Learner was also the class member: a browser still holding
such a learner's key is given that learner's latest class membership once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from lessons.models import Learner, Membership, Owner, new_key

__all__ = ["Browser", "Who", "with_browser"]

LEARNER_COOKIE = "rolecall_learner"
MEMBER_COOKIE = "rolecall_member"
SALTS = {LEARNER_COOKIE: "rolecall.learner", MEMBER_COOKIE: "rolecall.member"}
SESSION_KEY = "rolecall_learner"  # where the learner key was kept before the cookie (read once)


@dataclass(frozen=True, slots=True)
class Who:
    """Whose work a workspace request reads and changes, and the class they are in, if any."""

    owner: Owner
    membership: Membership | None


class Browser:
    """The keys a browser holds, and what this request's response changes of them."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.changes: dict[str, str | None] = {}  # cookie -> key to set (None: delete)

    def _read(self, cookie: str) -> str | None:
        """The key in `cookie`: as this response will leave it, else as the browser sent it."""
        if cookie in self.changes:
            return self.changes[cookie]
        request = self.request
        key = request.get_signed_cookie(
            cookie, default=None, salt=SALTS[cookie], max_age=settings.SESSION_COOKIE_AGE
        )
        if not (isinstance(key, str) and key):
            return None
        if request.method in ("GET", "HEAD") and "HX-Request" not in request.headers:
            self.changes[cookie] = key  # a page view keeps it for another SESSION_COOKIE_AGE
        return key

    # --- Self-paced ---------------------------------------------------------------------------

    def learner_key(self, *, mint: bool = False) -> str | None:
        """The self-paced key the browser holds (or, once, one from an older session); with
        `mint`, a new one when it holds none. No row is written here."""
        key = self._read(LEARNER_COOKIE)
        if key is not None:
            return key
        request = self.request
        if settings.SESSION_COOKIE_NAME in request.COOKIES:  # no query without a session
            old = request.session.pop(SESSION_KEY, None)
            if isinstance(old, str) and old:
                self.changes[LEARNER_COOKIE] = old
                return old
        if not mint:
            return None
        key = new_key()
        self.changes[LEARNER_COOKIE] = key
        return key

    def learner(self) -> Learner | None:
        """The browser's self-paced Learner, if they have changed anything yet."""
        key = self.learner_key()
        return Learner.objects.filter(key=key).first() if key is not None else None

    # --- In a class ---------------------------------------------------------------------------

    def membership(self) -> Membership | None:
        """The class member this browser is now (active, with its Classroom), if any."""
        key = self._read(MEMBER_COOKIE)
        if key is not None:
            membership = Membership.objects.for_key(key)
            if membership is None:  # removed, or the class deleted: no one there any more
                self.changes[MEMBER_COOKIE] = None
                self._say_removed(key)
            return membership
        if self.request.method in ("GET", "HEAD") and "HX-Request" not in self.request.headers:
            return self._legacy_membership()
        return None

    def sign_in(self, membership: Membership) -> None:
        """From this response on, this browser is `membership`'s person."""
        self.changes[MEMBER_COOKIE] = membership.key

    def sign_out(self) -> None:
        """This browser is no one in a class any more (their record stays)."""
        self.changes[MEMBER_COOKIE] = None

    def who(self) -> Who:
        """The browser's class member if it is one, else its self-paced learner (a key is given
        to a browser that has none, so the world it is shown now is the one its first change
        stores)."""
        membership = self.membership()
        if membership is not None:
            return Who(Owner(membership=membership), membership)
        key = self.learner_key(mint=True)
        assert key is not None
        return Who(Owner(learner_key=key), None)

    def _say_removed(self, key: str) -> None:
        """Tell the person, once, why their class is gone from this browser."""
        gone = Membership.objects.filter(key=key).select_related("classroom").first()
        if gone is not None and gone.removed is not None:
            messages.warning(
                self.request,
                f"{gone.display_name}: you are no longer in the class “{gone.classroom.title}” "
                "(your instructor removed you). Your work there is kept for your instructor. "
                "Here you work on your own.",
                fail_silently=True,
            )

    def _legacy_membership(self) -> Membership | None:
        old = self._read(LEARNER_COOKIE)
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
            self.sign_in(membership)
        return membership

    # --- The response -------------------------------------------------------------------------

    def respond(self, response: HttpResponse) -> HttpResponse:
        """Set (or delete) on `response` the cookies this request changed."""
        for cookie, key in self.changes.items():
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


def with_browser[R: HttpRequest, **P](
    view: Callable[Concatenate[R, Browser, P], HttpResponse],
) -> Callable[Concatenate[R, P], HttpResponse]:
    """A view that is given the `Browser` of its request, and whose response carries what the
    view changed of the browser's keys."""

    @wraps(view)
    def wrapped(request: R, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        browser = Browser(request)
        return browser.respond(view(request, browser, *args, **kwargs))

    return wrapped
