"""The simulated clock: where it starts, and how AWS writes a moment in its documents."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["EPOCH", "iso"]

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
"""The simulated clock starts here: a Monday morning."""


def iso(moment: datetime) -> str:
    """`2026-01-05T09:00:00Z`: CloudTrail's eventTime, IMDS's LastUpdated and Expiration."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
