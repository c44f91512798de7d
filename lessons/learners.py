"""Who is learning: an anonymous Learner, found again through a cookie of their own.

No sign-up: the first page that needs a world creates a Learner and gives the browser its key
in a signed cookie (`rolecall_learner`), so progress survives a reload and a return visit for
as long as the cookie lives (SESSION_COOKIE_AGE, with the session cookie's Secure, HttpOnly and
SameSite settings). Everything a learner sees is reached from this Learner, never from an id in
the URL.

Why not the session: a learner's every request (the class-message poll included) would read
the session's row first, and every check would write it. The key is all a learner's browser
needs to hold, and it is as secret as a session id (32 random bytes); the signature only makes
a tampered cookie read as no cookie. Instructors sign in with Django's sessions as before, so
signing out ends their session on the server. A learner whose key is still in a session from
before this cookie existed is moved to the cookie on their next visit.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lessons.models import Learner, Membership

COOKIE = "rolecall_learner"
SALT = "rolecall.learner"
SESSION_KEY = "rolecall_learner"  # where the key was kept before the cookie (read, then dropped)
_GIVE = "_rolecall_learner_give"  # request attribute: a key the response must set in the cookie


def learner_key(request: HttpRequest) -> str | None:
    """The key the browser holds: from the cookie, or (once) from an older session."""
    given = getattr(request, _GIVE, None)
    if given is not None:  # this request already found (or made) its learner
        return str(given)
    key = request.get_signed_cookie(
        COOKIE, default=None, salt=SALT, max_age=settings.SESSION_COOKIE_AGE
    )
    if isinstance(key, str) and key:
        if request.method == "GET" and "HX-Request" not in request.headers:
            give(request, key)  # a page view keeps the cookie for another SESSION_COOKIE_AGE
        return key
    if settings.SESSION_COOKIE_NAME in request.COOKIES:  # no query for a browser with no session
        old = request.session.pop(SESSION_KEY, None)
        if isinstance(old, str) and old:
            give(request, old)
            return old
    return None


def give(request: HttpRequest, key: str) -> None:
    """The response to this request hands the browser `key` (see LearnerCookieMiddleware)."""
    setattr(request, _GIVE, key)


def current_learner(request: HttpRequest, *, create: bool) -> Learner | None:
    """The browser's Learner; with `create`, a new one when it has none (or a stale key)."""
    key = learner_key(request)
    if key is not None:
        learner = Learner.objects.filter(key=key).first()
        if learner is not None:
            return learner
    if not create:
        return None
    learner = Learner.new()
    give(request, learner.key)
    return learner


def current_learner_in_class(request: HttpRequest) -> tuple[Learner, Membership | None]:
    """The browser's Learner (created when there is none) and the class they are in, if any.

    A learner in a class is found with their membership and its class in one query: the
    workspace asks on every request, its class-message poll included.
    """
    key = learner_key(request)
    if key is not None:
        membership = Membership.objects.current_for_key(key)
        if membership is not None:
            return membership.learner, membership
    learner = current_learner(request, create=True)
    assert learner is not None
    return learner, None


class LearnerCookieMiddleware:
    """Sets the learner cookie on the response when the request gave the browser a key."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)  # type: ignore[operator]
        key = getattr(request, _GIVE, None)
        if key is not None:
            response.set_signed_cookie(
                COOKIE,
                key,
                salt=SALT,
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response
