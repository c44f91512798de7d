"""Instructors' sign-in: throttled per account and per address, never locking out for long.

django-axes counts wrong passwords (settings.AXES_*) in the shared cache, per user name and per
client address separately: past the limit, that account (or that address) gets 429 and a page
saying how long to wait, AXES_COOLOFF_TIME (5 minutes) after the last counted failure. Someone
guessing at an instructor's name could keep that account locked, so a browser in which the
instructor has signed in before carries a signed "known device" cookie naming them, and is never
locked out of that account by failures elsewhere, though its own failures count for it (OWASP's
"device cookies", Authentication Cheat Sheet).

The counts live in the cache with a timeout, so a failure can land just as its count expires:
axes `add`s the key, finds it there, and `incr`ements it after it has gone, which raises and
made the sign-in page answer 500 (jazzband/django-axes#1144). SignInFailures re-seeds the count
at 1 instead, the fix merged upstream in jazzband/django-axes#1489 but not released in 8.3.1.

Password reset exists only when e-mail is configured (config.urls): without it the pages would
say a mail was sent when none can be.
"""

import functools
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

DEVICE_COOKIE = "rolecall_instructor_device"
DEVICE_SALT = "rolecall.instructor-device"
DEVICE_AGE = 60 * 60 * 24 * 365  # a year
MAX_DEVICE_NAMES = 5  # instructors who sign in on one computer


def _device_names(request: HttpRequest) -> list[str]:
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_AGE
    )
    if not value:
        return []
    try:
        names = signing.loads(value, salt=DEVICE_SALT + ".names")
    except signing.BadSignature:
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def known_device(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Whether the user named in `credentials` signed in on this browser before."""
    username = (credentials or {}).get("username")
    return isinstance(username, str) and username in _device_names(request)


def lockout_parameters(request: HttpRequest, credentials: dict[str, Any] | None) -> list[Any]:
    """AXES_LOCKOUT_PARAMETERS: what wrong passwords are counted by. Usually the account and
    the address, each on its own; on a device the account signed in on before, the account at
    this address together, so strangers' failures elsewhere do not lock this device out while
    its own failures still do."""
    if known_device(request, credentials):
        return [["username", "ip_address"]]
    return ["username", "ip_address"]


class SignInView(auth_views.LoginView):
    """Django's sign-in, remembering the device on success (see the module's docstring)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        username = form.get_user().get_username()
        names = [username, *(name for name in _device_names(self.request) if name != username)]
        response.set_signed_cookie(
            DEVICE_COOKIE,
            signing.dumps(names[:MAX_DEVICE_NAMES], salt=DEVICE_SALT + ".names"),
            salt=DEVICE_SALT,
            max_age=DEVICE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class _ReseedingCache:
    """The cache axes counts in, where incrementing a count that has just expired starts a new
    count at `delta` (it expired: the cool-off is over) instead of raising ValueError."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        try:
            return int(self._cache.incr(key, delta, version=version))
        except ValueError:
            self._cache.set(key, delta, version=version)  # axes touches it with its timeout
            return delta


class SignInFailures(AxesCacheHandler):
    """AXES_HANDLER: axes's cache handler, over a cache whose counts survive expiring mid-way."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = _ReseedingCache(self.cache)


def instructor_required(view: Any) -> Any:
    """login_required, except that an htmx request (the grid's refresh, an action) of an
    instructor whose sign-in ended loads the sign-in page whole, back to the page after: a
    redirect followed by htmx would swap the sign-in page into the grid."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        if htmx and not request.user.is_authenticated:
            after = htmx.current_url_abs_path or request.path
            return HttpResponseClientRedirect(redirect_to_login(after).url)
        return login_required(view)(request, *args, **kwargs)

    return checked
