"""The event log: the one place an event is written, as a CloudTrail record.

Every call through `Account.call` leaves one record (`record_call`), allowed or not, carrying
the policy engine's decision; so does anything AWS does on its own that CloudTrail shows, such
as EC2 assuming an instance's role for the metadata service (`record`). Records follow
CloudTrail's format (eventTime, eventSource, eventName, userIdentity, sourceIPAddress,
requestParameters, errorCode, errorMessage, ...) plus "decision": the engine's explanation.
Only the newest `MAX_EVENTS` are kept, so a saved world stays small.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.authenticate import Caller, Credentials
from simulator.clock import iso
from simulator.errors import AwsError
from simulator.iam import Decision, Outcome
from simulator.iam.conditions import Condition
from simulator.iam.explain import Check, ConditionEvidence, ElementCheck, StatementCheck
from simulator.ids import new_id
from simulator.model import State

__all__ = [
    "MAX_EVENTS",
    "MAX_LOGGED_TEXT",
    "MAX_CONDITION_KEYS",
    "MAX_CONDITION_STATEMENTS",
    "MAX_STATEMENTS",
    "condition_summary",
    "decision_summary",
    "record",
    "record_call",
    "share_event",
    "statement_summary",
]

MAX_EVENTS = 60
"""Events kept in the world: the newest; older ones fall off (a saved world stays small)."""
MAX_STATEMENTS = 10
"""Statements explained one by one in an event (a trust policy has one or two)."""
MAX_LOGGED_TEXT = 300
"""Longer request parameters (policy documents, bodies) are shortened in the event log."""

MAX_CONDITION_STATEMENTS = 4
"""Statements whose conditions an event explains (their Condition elements only)."""
MAX_CONDITION_KEYS = 8
"""Context keys an event keeps: those the explained conditions test or name as variables."""
_MAX_KEY_VALUES = 4
_MAX_CONTEXT_TEXT = 120

_SECRET_PARAMS = {"SecretAccessKey", "SessionToken", "Password", "Body"}
_READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head")


def record(
    state: State,
    *,
    service: str,
    operation: str,
    source_ip: str,
    user_agent: str,
    user_identity: dict[str, Any],
    request_parameters: dict[str, Any],
    read_only: bool,
    credential_source: str,
    response_elements: dict[str, Any] | None = None,
    instance_id: str | None = None,
    error: AwsError | None = None,
    decision: Decision | None = None,
    statements: Sequence[StatementCheck] = (),
    evidence: ConditionEvidence | None = None,
) -> None:
    """Append one CloudTrail record to the account's event log, dropping the oldest.

    `statements` say why each statement of the policy that decided did or did not apply (a
    trust policy's, when EC2 could not assume an instance's role); they join the decision.
    `evidence` says what the request's conditions came to: the context keys they test, with
    the request's values, and each condition's evaluation (`condition_summary`).
    """
    event: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventTime": iso(state.now),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": operation,
        "awsRegion": state.region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "userIdentity": user_identity,
        "requestParameters": request_parameters,
    }
    if response_elements is not None:
        event["responseElements"] = response_elements
    event["requestID"] = new_id(state, "req-", 20, "0123456789ABCDEF")[4:]
    event["eventID"] = new_id(state, "evt-", 32, "0123456789abcdef")[4:]
    event["readOnly"] = read_only
    event["eventType"] = "AwsApiCall"
    event["recipientAccountId"] = state.account_id
    event["credentialSource"] = credential_source
    if instance_id:
        event["instanceId"] = instance_id
    if error is not None:
        event["errorCode"] = error.code
        event["errorMessage"] = error.message
    if decision is not None:
        event["decision"] = decision_summary(decision)
        if statements:
            event["decision"]["statements"] = [
                statement_summary(check) for check in statements[:MAX_STATEMENTS]
            ]
        if evidence is not None and evidence.statements:
            event["decision"].update(condition_summary(evidence))
    events = state.events
    events.append(event)
    if len(events) > MAX_EVENTS:
        del events[: len(events) - MAX_EVENTS]


def share_event(state: State, other: State, event: dict[str, Any]) -> None:
    """Log one call in a second account too: a copy of `event` (the caller's account's record)
    with its own eventID and `recipientAccountId`, both records carrying one `sharedEventID`.

    CloudTrail logs a cross-account AssumeRole "in the calling account and the account where
    the AWS STS operation is performed" (IUG cloudtrail-integration, Logging sign-in events for
    temporary credentials). `sharedEventID` is how CloudTrail ties the records "from the same
    AWS action that is sent to different AWS accounts" together (CloudTrail User Guide,
    cloudtrail-event-reference-record-contents) [UNCERTAIN: that page was not re-read here];
    the IAM User Guide's two records of one cross-account AssumeRole carry the same
    sharedEventID (cloudtrail-integration.html#stscloudtrailexample). The copy names the
    caller only by its account and principal id (`_as_other_account`).
    """
    shared = event.get("sharedEventID")
    if not isinstance(shared, str):
        shared = new_id(state, "shared-", 32, "0123456789abcdef")[len("shared-") :]
        event["sharedEventID"] = shared
    copied = copy.deepcopy(event)
    copied["userIdentity"] = _as_other_account(event.get("userIdentity") or {})
    copied["eventID"] = new_id(other, "evt-", 32, "0123456789abcdef")[4:]
    copied["recipientAccountId"] = other.account_id
    events = other.events
    events.append(copied)
    if len(events) > MAX_EVENTS:
        del events[: len(events) - MAX_EVENTS]


def _as_other_account(identity: Mapping[str, Any]) -> dict[str, Any]:
    """The caller as the other account's record shows it: the caller's account and principal id,
    not its ARN, name or key. "AWSAccount – The request was made by another AWS account ...
    Because you own the IAM role, you receive a log that shows the other account assumed the
    role. The type is AWSAccount" (CloudTrail User Guide,
    cloudtrail-event-reference-user-identity.html, Fields, type); the IAM User Guide's example
    of the assumed role's account's record has just `{"type": "AWSAccount", "principalId":
    "AIDA…", "accountId": "777788889999"}`, and its table gives the role's account "Account
    number and principal ID (if a user)" (cloudtrail-integration.html, #stscloudtrailexample
    and Logging sign-in events for temporary credentials). A role session's principal id
    (`AROA…:session`) is kept the same way [UNCERTAIN: AWS's pages show only a user]."""
    if identity.get("type") not in ("IAMUser", "AssumedRole"):
        return dict(identity)
    shown = {
        "type": "AWSAccount",
        "principalId": identity.get("principalId"),
        "accountId": identity.get("accountId"),
    }
    if "invokedBy" in identity:  # a service's call for the caller [UNCERTAIN across accounts]
        shown["invokedBy"] = identity["invokedBy"]
    return shown


def record_call(
    state: State,
    *,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    source_ip: str,
    credentials: Credentials,
    caller: Caller | None,
    error: AwsError | None,
    decision: Decision | None,
    user_agent: str | None = None,
    evidence: ConditionEvidence | None = None,
) -> None:
    """The record of one call: who made it (`caller` is None when authentication failed),
    with what software (`user_agent`: the AWS CLI's, or "rolecall" for the console's own)."""
    record(
        state,
        service=service,
        operation=operation,
        source_ip=source_ip,
        user_agent=user_agent or "rolecall",
        user_identity=_user_identity(caller, credentials, state.account_id),
        request_parameters=_loggable(params),
        read_only=operation.startswith(_READ_ONLY_PREFIXES),
        credential_source=caller.credential_source if caller else "unknown",
        instance_id=caller.session.instance_id if caller and caller.session else None,
        error=error,
        decision=decision,
        evidence=evidence,
    )


def decision_summary(decision: Decision) -> dict[str, Any]:
    """The engine's decision as JSON, for the event log's "why" view."""
    # The event already carries who, what and AWS's error text; the summary adds only why.
    return {
        "response": decision.response.value,
        "reason": decision.reason.value,
        "action": decision.request.action,
        "resource": decision.request.resource,
        "namedType": decision.named_type.value if decision.named_type else None,
        "explanation": decision.explanation,
        "decidedBy": [ref.label for ref in decision.decided_by],
        "results": [
            {
                "policyType": result.policy_type.value,
                "outcome": result.outcome.value,
                "allows": [ref.label for ref in result.allows],
                "denies": [ref.label for ref in result.denies],
                "note": result.note,
            }
            for result in decision.results
            if result.outcome is not Outcome.NOT_APPLICABLE
        ],
    }


def statement_summary(check: StatementCheck) -> dict[str, Any]:
    """Why one statement did or did not apply, element by element, as JSON."""
    label = f"{check.policy_name} Statement[{check.statement_index}]"
    return {
        "label": label + (f' ("{check.sid}")' if check.sid else ""),
        "effect": check.effect.value,
        "applies": check.applies,
        "summary": check.summary,
        "elements": [
            {"element": element.element, "check": element.check.value, "detail": element.detail}
            for element in check.elements
        ],
    }


def condition_summary(evidence: ConditionEvidence) -> dict[str, Any]:
    """What the request's conditions came to, compactly (sixty events keep a saved world
    small): "context", the keys the conditions test or name as ${variables}, each with the
    request's values (null: absent); "conditions", each statement that covered the call with a
    Condition, its label, effect, whether it applied, and "checks": one list per condition,
    [operator and key, the policy's values, holds, and, for a key absent from the request, why
    that holds or not (…IfExists, a negated operator, Null)]. A few statements and keys; values
    shortened."""
    return {
        "context": {
            key: None if values is None else [_short(v) for v in values[:_MAX_KEY_VALUES]]
            for key, values in evidence.context[:MAX_CONDITION_KEYS]
        },
        "conditions": [
            {
                "label": f"{check.policy_name} Statement[{check.statement_index}]"
                + (f' ("{check.sid}")' if check.sid else ""),
                "effect": check.effect.value,
                "applies": check.applies,
                "checks": [
                    _condition_check(condition, element)
                    for condition, element in zip(
                        conditions, check.elements[-len(conditions) :], strict=True
                    )
                ],
            }
            for check, conditions in evidence.statements[:MAX_CONDITION_STATEMENTS]
        ],
    }


def _condition_check(condition: Condition, element: ElementCheck) -> list[Any]:
    shown = [
        f"{condition.operator} {condition.key}",
        [_short(value) for value in condition.values[:_MAX_KEY_VALUES]],
        element.check is Check.MATCHES,
    ]
    if element.detail.startswith(f"{condition.key} is absent"):
        shown.append(_short(element.detail, MAX_LOGGED_TEXT))
    return shown


def _short(text: str, limit: int = _MAX_CONTEXT_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_identity(caller: Caller | None, credentials: Credentials, account: str) -> dict[str, Any]:
    if caller is None:
        return {"type": "Unknown", "accessKeyId": credentials.access_key_id}
    if caller.user is not None:
        return {
            "type": "IAMUser",
            "principalId": caller.principal_id,
            "arn": caller.arn,
            "accountId": account,
            "accessKeyId": caller.access_key_id,
            "userName": caller.user.name,
        }
    assert caller.role is not None
    assert caller.session is not None
    identity: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": caller.principal_id,
        "arn": caller.arn,
        "accountId": account,
        "accessKeyId": caller.access_key_id,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": caller.role.role_id,
                "arn": caller.role.arn,
                "accountId": account,
                "userName": caller.role.name,
            },
            "attributes": {
                "creationDate": iso(caller.session.issued),
                "mfaAuthenticated": "false",
            },
        },
    }
    if caller.session.delivery:
        identity["sessionContext"]["ec2RoleDelivery"] = caller.session.delivery
    return identity


def _loggable(params: Mapping[str, Any]) -> dict[str, Any]:
    logged: dict[str, Any] = {}
    for key, value in params.items():
        if key in _SECRET_PARAMS:
            continue
        if isinstance(value, str) and len(value) > MAX_LOGGED_TEXT:
            value = value[:MAX_LOGGED_TEXT] + "…"
        elif isinstance(value, bytes):
            continue
        logged[key] = value
    return logged
