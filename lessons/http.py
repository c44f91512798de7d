from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, QueryDict
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that has passed through django-htmx's HtmxMiddleware (for typing)."""

    htmx: HtmxDetails


def kept_query(
    query: Mapping[str, Any] | None, *, without: tuple[str, ...]
) -> list[tuple[str, str]]:
    """The page's query parameters but `without`, as (name, value) pairs (a name given twice,
    twice): the hidden fields of a GET form that changes one setting of the page and keeps
    the rest (a GET form replaces the whole query)."""
    if isinstance(query, QueryDict):
        pairs = [(str(name), str(value)) for name, values in query.lists() for value in values]
    else:
        pairs = [(str(name), str(value)) for name, value in (query or {}).items()]
    return [(name, value) for name, value in pairs if name not in without]
