"""AwsError: what a simulated AWS service answers instead of a result."""

from __future__ import annotations

from typing import Any

__all__ = ["AwsError"]


class AwsError(Exception):
    """An error as the service returns it: code, HTTP status and message text.

    `decision` is the policy engine's decision when the error is an authorization failure.
    """

    def __init__(self, code: str, message: str, status: int = 400, *, decision: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.decision = decision

    def __repr__(self) -> str:
        return f"AwsError({self.code!r}, {self.message!r}, {self.status})"
