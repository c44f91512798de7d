"""`{{ key|visible }}`: a name anyone may choose (an S3 key) with its invisible controls shown
as code points, so "report⟨U+202E⟩fdp.exe" cannot pass for "reportexe.pdf" (lessons.names)."""

from django import template

from lessons.names import visible as shown

register = template.Library()


@register.filter
def visible(text: object) -> str:
    return shown(str(text))
