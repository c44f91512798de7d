"""The policy engine's exceptions: a policy AWS would refuse, text that is not JSON.

A leaf module: the grammar (`policy.py`), its matchers (`matching.py`, `conditions.py`) and the
JSON reader (`jsonpos.py`) all raise these, so they live below all of them. How a service
words a *denial* is another matter: `denials.py`.
"""

from __future__ import annotations

__all__ = ["JsonSyntaxError", "PolicyGrammarError"]


class PolicyGrammarError(ValueError):
    """A policy document that AWS would refuse, with the path of the offending element.

    `line` and `column` (1-based) are set when the policy was read from text.
    """

    def __init__(
        self, path: str, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"{path}: {message}" if path else message)

    @property
    def where(self) -> str:
        """`line 4, column 12 (Statement[1].Effect)`, or as much of it as is known."""
        place = f"line {self.line}, column {self.column}" if self.line is not None else ""
        if self.path:
            place = f"{place} ({self.path})" if place else self.path
        return place


class JsonSyntaxError(ValueError):
    """Text that is not JSON, with the place of the first problem."""

    def __init__(self, message: str, line: int, column: int, *, offset: int = 0) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
        super().__init__(f"{message} (line {line}, column {column})")
