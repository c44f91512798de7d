"""AwsError: what a simulated AWS service answers instead of a result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AwsError"]


class AwsError(Exception):
    """An error as the service returns it: code, HTTP status and message text.

    `decision` is the policy engine's decision when the error is an authorization failure.
    `fields` are the service's further elements of the error, beside Code and Message, as S3
    sends them (S3 API Reference, "Error responses": NoSuchKey's Key, NoSuchBucket's
    BucketName, InvalidArgument's ArgumentName and ArgumentValue...); botocore puts them in the
    parsed Error next to Code and Message, and so does simulator/boto.py.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        decision: Any = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.decision = decision
        self.fields: dict[str, str] = dict(fields) if fields else {}

    def __repr__(self) -> str:
        return f"AwsError({self.code!r}, {self.message!r}, {self.status})"
