"""Why a page was not found, told to whoever reads the 404 page.

Django's default 404 view (django.views.defaults.page_not_found) passes the message an
`Http404` was raised with to templates/404.html as `exception`, untouched when it is a text.
Some messages are not for readers: Django's own ("No Classroom matches the given query."
names a model), a static file's path. So the page shows the message only when it is a
`Reason`: a text a view wrote for the person who asked (`raise not_found("…")`), marked as
`SafeString` marks text that may go into HTML unescaped.
"""

from typing import Self

from django.http import Http404

HEADING = "Page not found"


class Reason(str):
    """A 404's message written for its reader, and the page's heading: the 404 page shows both."""

    heading: str

    def __new__(cls, text: str, *, heading: str = HEADING) -> Self:
        reason = super().__new__(cls, text)
        reason.heading = heading
        return reason


def not_found(reason: str, *, heading: str = HEADING) -> Http404:
    """An Http404 whose message the 404 page shows (autoescaped, as any text)."""
    return Http404(Reason(reason, heading=heading))


def reason(message: object) -> Reason | None:
    """What the 404 page may say of `message`: the `Reason` it is, else None."""
    return message if isinstance(message, Reason) else None
