"""`{{ text|markdown }}`: a scenario's Markdown as HTML, with any raw HTML in it escaped.

CommonMark with `html` off: `<script>` in a scenario file comes out as text, and markdown-it's
link validation refuses javascript:, vbscript: and file: URLs. Scenario texts are few and fixed,
so each is rendered once per process.
"""

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_MARKDOWN = MarkdownIt("commonmark", {"html": False})


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> str:
    return _MARKDOWN.render(text)


@register.filter(is_safe=True)
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(str(text)))  # markdown-it escapes everything but its own tags
