"""Project-wide middleware."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class HeadAsGetMiddleware:
    """HEAD works wherever GET does, with GET's headers and no body (RFC 9110, 9.3.2).

    Function views are guarded by `require_GET`/`require_http_methods(["GET", ...])`, which
    answer HEAD with 405: uptime checks and link checkers then see every page as broken. The
    view runs as for a GET, which stores nothing, and the body is dropped here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        if not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response


class BodyLimitMiddleware:
    """A request whose body says it is larger than any form here can be is answered at once,
    413 and the site's page for it, without reading the body (a 60 MB file posted to a form
    was read to the end). Four times DATA_UPLOAD_MAX_MEMORY_SIZE leaves room for a form's own
    limit to answer in its own words, as the workspace and the simulator do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 4 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return render(request, "400.html", status=413)
        return self.get_response(request)
