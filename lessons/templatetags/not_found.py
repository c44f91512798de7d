"""The 404 page's reason (lessons.not_found): `{% with reason=exception|reason_for_reader %}`."""

from django import template

from lessons import not_found

register = template.Library()


@register.filter
def reason_for_reader(message: object) -> not_found.Reason | None:
    return not_found.reason(message)
