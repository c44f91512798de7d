"""The activity log: the world's CloudTrail-shaped events, put into words for a learner.

Each row says when (simulated time), who and with which credentials (the admin console, a
stored access key, the instance's role), what (service, operation, the parameters that name
things) and the result; the row's details carry the engine's explanation and AWS's exact error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.world import OUTSIDE_IP

LIMIT = 30
OUTCOMES = ("all", "denied")

# Request parameters that name what a call is about, in the order a learner reads them.
KEY_PARAMS = (
    "UserName",
    "GroupName",
    "RoleName",
    "InstanceProfileName",
    "IamInstanceProfile",
    "PolicyName",
    "PolicyArn",
    "VersionId",
    "AccessKeyId",
    "Status",
    "AWSServiceName",
    "InstanceId",
    "InstanceIds",
    "AssociationId",
    "RoleArn",
    "RoleSessionName",
)
MAX_VALUE_CHARS = 80
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})

CREDENTIALS = {
    "long-term access key": "stored key",
    "instance profile role": "instance role",
    "assumed role": "assumed role",
}


@dataclass(frozen=True, slots=True)
class PolicyTypeResult:
    policy_type: str
    outcome: str
    allows: tuple[str, ...]
    denies: tuple[str, ...]
    note: str

    @property
    def icon(self) -> str:
        return {"allows": "✔", "explicitly denies": "✖", "does not allow": "○"}.get(
            self.outcome, "–"
        )


@dataclass(frozen=True, slots=True)
class Row:
    """One API call, as the activity log shows it."""

    event_id: str
    time: datetime | None
    who: str  # the caller's ARN without its arn:aws:service::account: prefix
    caller_arn: str
    credentials: str  # "admin console" | "stored key" | "instance role" | ...
    from_outside: bool
    source_ip: str
    access_key_id: str
    service: str  # "s3", from eventSource s3.amazonaws.com
    operation: str
    target: str  # the key parameters, in words
    parameters: str  # every logged parameter, as JSON
    allowed: bool  # the call succeeded
    denied: bool  # the policy engine said no
    result: str  # "Allowed", or AWS's error code
    explanation: str
    decided_by: tuple[str, ...]
    results: tuple[PolicyTypeResult, ...]
    error_code: str
    error_message: str

    # The time as the row shows it, formatted here: Django's date filter, three times a row,
    # cost a fifth of rendering the log.
    @property
    def time_iso(self) -> str:
        return self.time.isoformat() if self.time else ""

    @property
    def time_short(self) -> str:  # 5 Mar 14:03:09
        return f"{self.time.day} {self.time:%b %H:%M:%S}" if self.time else ""

    @property
    def time_long(self) -> str:  # 5 Mar 2026, 14:03:09
        return f"{self.time.day} {self.time:%b %Y, %H:%M:%S}" if self.time else ""


def select(
    events: Sequence[Mapping[str, Any]], *, outcome: str = "all", limit: int = LIMIT
) -> list[Mapping[str, Any]]:
    """The newest `limit` events (only the denied ones for outcome="denied"), newest first."""
    found: list[Mapping[str, Any]] = []
    for event in reversed(events):
        if outcome == "denied" and not is_denied(event):
            continue
        found.append(event)
        if len(found) >= limit:
            break
    return found


def rows(
    events: Sequence[Mapping[str, Any]], *, outcome: str = "all", limit: int = LIMIT
) -> list[Row]:
    """The log's rows: the `select`ed events, described."""
    return [describe(event) for event in select(events, outcome=outcome, limit=limit)]


def is_denied(event: Mapping[str, Any]) -> bool:
    decision = event.get("decision")
    if isinstance(decision, Mapping):
        return decision.get("response") != "Allowed"
    return event.get("errorCode") in DENIED_CODES


def describe(event: Mapping[str, Any]) -> Row:
    identity = event.get("userIdentity") or {}
    decision = event.get("decision") or {}
    error_code = str(event.get("errorCode") or "")
    source_ip = str(event.get("sourceIPAddress") or "")
    caller_arn = str(identity.get("arn") or "")
    params = event.get("requestParameters") or {}
    return Row(
        event_id=str(event.get("eventID") or ""),
        time=_time(event.get("eventTime")),
        who=short_arn(caller_arn) or f"unknown caller (key {identity.get('accessKeyId', '?')})",
        caller_arn=caller_arn,
        credentials=credentials_words(event),
        from_outside=source_ip == OUTSIDE_IP,
        source_ip=source_ip,
        access_key_id=str(identity.get("accessKeyId") or ""),
        service=str(event.get("eventSource") or "").removesuffix(".amazonaws.com"),
        operation=str(event.get("eventName") or ""),
        target=target_words(str(event.get("eventSource") or ""), params),
        parameters=json.dumps(params, indent=2, sort_keys=True, default=str),
        allowed=not error_code,
        denied=is_denied(event),
        result=error_code or "Allowed",
        explanation=str(decision.get("explanation") or ""),
        decided_by=tuple(str(label) for label in decision.get("decidedBy") or ()),
        results=tuple(_results(decision.get("results") or ())),
        error_code=error_code,
        error_message=str(event.get("errorMessage") or ""),
    )


def short_arn(arn: str) -> str:
    """arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc → assumed-role/AppRole/i-0abc."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


def credentials_words(event: Mapping[str, Any]) -> str:
    identity = event.get("userIdentity") or {}
    source = str(event.get("credentialSource") or "unknown")
    if identity.get("type") == "IAMUser" and identity.get("userName") == "admin":
        return "admin console"
    return CREDENTIALS.get(source, source if source != "unknown" else "unknown credentials")


def target_words(event_source: str, params: Mapping[str, Any]) -> str:
    """What the call was about: s3://bucket/key, or the parameters that name things."""
    if event_source.startswith("s3.") and "Bucket" in params:
        key = params.get("Key")
        return _clip(f"{params['Bucket']}/{key}" if key else str(params["Bucket"]))
    words = [f"{name} {_value(params[name])}" for name in KEY_PARAMS if name in params]
    words.extend(f"Name {name}" for name in _name_tags(params.get("TagSpecifications")))
    return ", ".join(words[:3])


def _name_tags(specifications: Any) -> list[str]:
    """The Name tags a launch gives its instances (RunInstances' TagSpecifications)."""
    if not isinstance(specifications, list):
        return []
    return [
        _clip(str(tag.get("Value", "")))
        for spec in specifications
        if isinstance(spec, Mapping)
        for tag in spec.get("Tags") or ()
        if isinstance(tag, Mapping) and tag.get("Key") == "Name"
    ]


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return _clip(", ".join(f"{key} {_value(item)}" for key, item in value.items()))
    if isinstance(value, list | tuple):
        return _clip(", ".join(_value(item) for item in value))
    return _clip(str(value))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _results(results: Iterable[Any]) -> Iterable[PolicyTypeResult]:
    for result in results:
        if isinstance(result, Mapping):
            yield PolicyTypeResult(
                policy_type=str(result.get("policyType") or ""),
                outcome=str(result.get("outcome") or ""),
                allows=tuple(str(label) for label in result.get("allows") or ()),
                denies=tuple(str(label) for label in result.get("denies") or ()),
                note=str(result.get("note") or ""),
            )
