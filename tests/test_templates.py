"""Templates say nothing a visitor should not read: Django's `{# … #}` comment is one line only,
so one spread over several lines is printed on the page as text."""

from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for folder in (ROOT / "templates", *ROOT.glob("*/templates"))
    for path in folder.rglob("*.html")
)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_comment_is_printed_as_page_text(path: Path) -> None:
    leaked = [
        f"line {token.lineno}: {token.contents.strip()[:80]}"
        for token in Lexer(path.read_text(encoding="utf-8")).tokenize()
        if token.token_type == TokenType.TEXT and ("{#" in token.contents or "#}" in token.contents)
    ]
    assert not leaked, "use {% comment %} for a comment over several lines:\n" + "\n".join(leaked)
