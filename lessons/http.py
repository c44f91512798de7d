from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that has passed through django-htmx's HtmxMiddleware (for typing)."""

    htmx: HtmxDetails
