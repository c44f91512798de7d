"""Project-wide middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
