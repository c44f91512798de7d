"""The status line after a redirect: what a POST did, kept for the page that follows.

Without JavaScript a POST is answered with a redirect (PRG), and the page it leads to shows what
the action did. That status travels in a short-lived signed cookie, not the session, so a
learner's POST writes no session row (strangers could otherwise grow that table). The workspace
keeps it per scenario, the dashboard per class.
"""

from dataclasses import asdict

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from lessons.outcome import STATUS_ICONS, Status

FLASH_KEY = "rolecall_status"  # the cookie: the workspace's status after a redirect
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


def take_flash(request: HttpRequest, page: str, *, key: str = FLASH_KEY) -> Status | None:
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
    request: HttpRequest, response: HttpResponse, *, key: str = FLASH_KEY
) -> HttpResponse:
    """The page has shown the kept status: the browser drops it."""
    if key in request.COOKIES:
        response.delete_cookie(key, samesite=settings.SESSION_COOKIE_SAMESITE)
    return response
