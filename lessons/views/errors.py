"""The pages for a request Django refuses before any view of ours runs: a form whose CSRF
token no longer matches (settings.CSRF_FAILURE_VIEW) and a malformed or oversized request
(config.urls.handler400). Each says what happened and what to do, in the site's own page,
and keeps Django's status."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that is out of date: signed in or out, joined or left in
    another tab, or a page left open past its token. `reason` is Django's, for the log."""
    return render(request, "403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request too large (a pasted file into a small form) or malformed."""
    return render(request, "400.html", status=400)
