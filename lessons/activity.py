"""The activity log: the world's CloudTrail-shaped events, put into words for a learner.

Each row says when (simulated time), who and with which credentials (the admin console, a
stored access key, the instance's role) and software (the AWS CLI in the terminal), what (service, operation, the parameters that name
things) and the result; the row's details carry the engine's explanation and AWS's exact error.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from lessons.names import visible
from simulator.account import ADMIN, Account
from simulator.world import CONSOLE_IP, OUTSIDE_IP

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
    "WindowId",  # Systems Manager's maintenance windows
    "TaskArn",
)
MAX_VALUE_CHARS = 80
CLI_AGENT = "aws-cli/"
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
class StatementWhy:
    """Why one statement of the policy that decided did, or did not, apply (the trust policy's,
    when EC2 could not assume an instance's role): simulator.iam.explain's check, as logged."""

    label: str  # "trust policy Statement[0]"
    effect: str
    applies: bool
    summary: str
    elements: tuple[tuple[str, str, str], ...]  # (element, "matches" | ..., detail)


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """One condition of a statement that covered the call (simulator.events.condition_summary)."""

    condition: str  # "StringNotEquals aws:Ec2InstanceSourceVpc"
    values: tuple[str, ...]  # the policy's values, as written ("${aws:SourceVpc}")
    holds: bool
    why: str  # for a key absent from the request: why the condition holds or not


@dataclass(frozen=True, slots=True)
class ConditionWhy:
    """A statement with a Condition that covered the call, and what each condition came to."""

    label: str  # "pin Statement[0]"
    effect: str
    applies: bool
    checks: tuple[ConditionCheck, ...]


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
    user_agent: str  # "aws-cli/1.46.0 …" from the terminal; "rolecall": the console, the fleet
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
    statements: tuple[StatementWhy, ...] = ()
    # The AWS service that made the call on the caller's behalf (CloudTrail's invokedBy), as
    # Systems Manager creates its service-linked role with the caller's credentials.
    invoked_by: str = ""
    # The context keys the conditions tested, with the request's values (None: absent).
    context: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    conditions: tuple[ConditionWhy, ...] = ()

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
        who=who_words(identity),
        caller_arn=caller_arn,
        credentials=credentials_words(event),
        from_outside=source_ip == OUTSIDE_IP,
        source_ip=source_ip,
        access_key_id=str(identity.get("accessKeyId") or ""),
        user_agent=str(event.get("userAgent") or ""),
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
        statements=tuple(_statements(decision.get("statements") or ())),
        invoked_by=str(identity.get("invokedBy") or "") if identity.get("arn") else "",
        context=tuple(_context(decision.get("context"))),
        conditions=tuple(_conditions(decision.get("conditions") or ())),
    )


def account_words(account: Account, *, yours: bool) -> str:
    """An account of the world as the log names it: "your account (111122223333)", "account
    vendor (444455556666)" (as the console's act-as and the terminal name the others)."""
    if yours:
        return f"your account ({account.account_id})"
    name = account.state.name
    return f"account {name} ({account.account_id})" if name else f"account {account.account_id}"


def who_words(identity: Mapping[str, Any]) -> str:
    """Who made the call: the caller's short ARN, the AWS service that made it (CloudTrail's
    userIdentity of type AWSService names it in invokedBy, and has no ARN), or another account."""
    arn = short_arn(str(identity.get("arn") or ""))
    if arn:
        return arn
    if identity.get("type") == "AWSService" and identity.get("invokedBy"):
        return str(identity["invokedBy"])
    if identity.get("type") == "AWSAccount" and identity.get("accountId"):
        # Another account's call as the resource owner's CloudTrail records it: the account,
        # not who in it (CloudTrail User Guide, cloudtrail-event-reference-user-identity.html).
        return f"account {identity['accountId']}"
    return f"unknown caller (key {identity.get('accessKeyId', '?')})"


def short_arn(arn: str) -> str:
    """arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc → assumed-role/AppRole/i-0abc."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


def credentials_words(event: Mapping[str, Any]) -> str:
    identity = event.get("userIdentity") or {}
    source = str(event.get("credentialSource") or "unknown")
    admin = identity.get("type") == "IAMUser" and identity.get("userName") == ADMIN
    if admin and not is_cli(event):
        return "admin console"
    if admin and event.get("sourceIPAddress") == CONSOLE_IP:
        # The AWS CLI in CloudShell signs with the credentials CloudShell's container hands
        # it (the console's own: the admin's), as the terminal's "Act as" list says.
        return "CloudShell's container credentials"
    return CREDENTIALS.get(source, source if source != "unknown" else "unknown credentials")


def is_cli(event: Mapping[str, Any]) -> bool:
    """Whether the call came from the AWS CLI (the terminal's `aws`), by its user agent."""
    return str(event.get("userAgent") or "").startswith(CLI_AGENT)


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


def _statements(statements: Iterable[Any]) -> Iterable[StatementWhy]:
    for statement in statements:
        if isinstance(statement, Mapping):
            yield StatementWhy(
                label=str(statement.get("label") or ""),
                effect=str(statement.get("effect") or ""),
                applies=bool(statement.get("applies")),
                summary=str(statement.get("summary") or ""),
                elements=tuple(
                    (
                        str(e.get("element") or ""),
                        str(e.get("check") or ""),
                        str(e.get("detail") or ""),
                    )
                    for e in statement.get("elements") or ()
                    if isinstance(e, Mapping)
                ),
            )


def _context(context: Any) -> Iterable[tuple[str, tuple[str, ...] | None]]:
    if not isinstance(context, Mapping):
        return
    for key, values in context.items():
        if values is None:
            yield str(key), None
        elif isinstance(values, list | tuple):
            yield str(key), tuple(str(value) for value in values)


def _conditions(statements: Iterable[Any]) -> Iterable[ConditionWhy]:
    for statement in statements:
        if isinstance(statement, Mapping):
            yield ConditionWhy(
                label=str(statement.get("label") or ""),
                effect=str(statement.get("effect") or ""),
                applies=bool(statement.get("applies")),
                checks=tuple(
                    ConditionCheck(
                        condition=str(check[0]),
                        values=tuple(str(v) for v in check[1])
                        if isinstance(check[1], list)
                        else (),
                        holds=bool(check[2]),
                        why=str(check[3]) if len(check) > 3 else "",
                    )
                    for check in statement.get("checks") or ()
                    if isinstance(check, list) and len(check) >= 3
                ),
            )


# --- A row as HTML --------------------------------------------------------------------------------
#
# The log is the hottest markup in the app: thirty rows on every page, thirty new ones after
# every run of a fleet, each in every server process. Built here with f-strings and every value
# passed through `_e` (html.escape: & < > " ' as Django's autoescape does), it costs a tenth of
# the same markup as a template partial (or with format_html, whose lazy-string checks cost
# more than the escaping). tests/lessons/test_activity_html.py holds it to that.


def row_html(row: Row) -> SafeString:
    """One call in the log: a <details> whose summary says what happened and whose body says
    why (the engine's explanation, AWS's answer, each policy type, the request)."""
    kind = "denied" if row.denied else "allowed" if row.allowed else "error"
    target = f' <span class="event__target">{_e(row.target)}</span>' if row.target else ""
    outside = ", from outside AWS" if row.from_outside else ""
    if row.invoked_by:
        outside += f" · invoked by <code>{_e(row.invoked_by)}</code>"
    cli = " · aws-cli" if row.user_agent.startswith(CLI_AGENT) else ""
    time = (
        f' <time class="event__time" datetime="{_e(row.time_iso)}">{_e(row.time_short)}</time>'
        if row.time
        else ""
    )
    explanation = f'<p class="explanation">{_e(row.explanation)}</p>' if row.explanation else ""
    return mark_safe(  # noqa: S308 -- every value above and below is escaped by _e
        f'<li id="event-row-{_e(row.event_id)}" class="event event--{kind}">'
        f'<details id="event-{_e(row.event_id)}"><summary>'
        f'<span class="event__result"><span aria-hidden="true">{"✔" if row.allowed else "✖"}</span>'
        f" {_e(row.result)}</span>"
        f' <span class="event__what"><strong>{_e(row.service)} {_e(row.operation)}</strong>{target}</span>'
        f' <span class="event__who">by <code>{_e(row.who)}</code> · {_e(row.credentials)}{cli}{outside}</span>'
        f"{time}</summary>"
        f'<div class="event__body">{explanation}{_decided_by_html(row)}{_error_html(row)}'
        f"{_results_html(row)}{_statements_html(row)}{_conditions_html(row)}{_request_html(row)}"
        "</div></details></li>"
    )


def _e(value: object) -> str:
    """A value for the log's HTML: escaped, and its invisible controls shown (lessons.names)."""
    return html.escape(visible(str(value)), quote=True)


def _decided_by_html(row: Row) -> str:
    if not row.decided_by:
        return ""
    return "<p>Decided by: " + "; ".join(f"<code>{_e(label)}</code>" for label in row.decided_by) + "</p>"  # fmt: skip


def _error_html(row: Row) -> str:
    if not row.error_code:
        return ""
    message = (
        f'<div class="aws-error__message"><dt>Message</dt><dd><pre><code>{_e(row.error_message)}'
        "</code></pre></dd></div>"
        if row.error_message
        else ""
    )
    return (
        '<h3 class="event__subhead">What AWS answered</h3><dl class="aws-error">'
        f"<div><dt>Error code</dt><dd><code>{_e(row.error_code)}</code></dd></div>{message}</dl>"
    )


def _results_html(row: Row) -> str:
    if not row.results:
        return ""
    body = "".join(_result_html(result) for result in row.results)
    return (
        '<h3 class="event__subhead">What each policy type said</h3><div class="table-scroll">'
        '<table class="trace-table"><thead><tr><th scope="col">Policy type</th>'
        f'<th scope="col">What it said</th></tr></thead><tbody>{body}</tbody></table></div>'
    )


def _result_html(result: PolicyTypeResult) -> str:
    statements = ""
    if result.allows or result.denies:
        items = [f"<li>{_e(label)} (Allow)</li>" for label in result.allows]
        items += [f"<li>{_e(label)} (Deny)</li>" for label in result.denies]
        statements = f'<ul class="statement-links">{"".join(items)}</ul>'
    note = f' <span class="muted">({_e(result.note)})</span>' if result.note else ""
    return (
        f'<tr><th scope="row">{_e(_capfirst(result.policy_type))}</th><td>'
        f'<span class="outcome"><span aria-hidden="true">{_e(result.icon)}</span>'
        f" {_e(_capfirst(result.outcome))}</span>{note}{statements}</td></tr>"
    )


_CHECK_ICONS = {"matches": "✔", "does not match": "✖", "not present": "–"}


def _statements_html(row: Row) -> str:
    """Each statement of the policy that decided, and why it did or did not apply."""
    if not row.statements:
        return ""
    items = "".join(
        f"<li><p><strong>{_e(statement.label)}</strong> ({_e(statement.effect)}): "
        f"{_e(statement.summary)}</p><ul>"
        + "".join(
            f'<li><span aria-hidden="true">{_e(_CHECK_ICONS.get(check, "–"))}</span> '
            f"<code>{_e(element)}</code> {_e(check)}: {_e(detail)}</li>"
            for element, check, detail in statement.elements
        )
        + "</ul></li>"
        for statement in row.statements
    )
    return (
        '<h3 class="event__subhead">Why each statement did or did not apply</h3>'
        f'<ul class="statement-checks">{items}</ul>'
    )


def _conditions_html(row: Row) -> str:
    """The context keys the call's conditions tested, with the request's values, and what each
    condition came to, as /simulate/ shows them."""
    if not row.conditions:
        return ""
    context = dict(row.context)
    keys = "".join(
        f"<div><dt><code>{_e(key)}</code></dt><dd>{_key_values_html(values)}</dd></div>"
        for key, values in row.context
    )
    items = "".join(
        f"<li><p><strong>{_e(why.label)}</strong> ({_e(why.effect)}): "
        + ("applies" if why.applies else "does not apply")
        + "</p><ul>"
        + "".join(_condition_html(check, context) for check in why.checks)
        + "</ul></li>"
        for why in row.conditions
    )
    return (
        '<h3 class="event__subhead">The request\'s context keys</h3>'
        f'<dl class="event__facts event__context">{keys}</dl>'
        '<h3 class="event__subhead">Each condition</h3>'
        f'<ul class="statement-checks">{items}</ul>'
    )


def _key_values_html(values: tuple[str, ...] | None) -> str:
    if values is None:
        return '<span class="muted">absent from the request</span>'
    return ", ".join(f"<code>{_e(value)}</code>" for value in values)


def _condition_html(check: ConditionCheck, context: Mapping[str, tuple[str, ...] | None]) -> str:
    """✔ StringNotEquals aws:Ec2InstanceSourceVpc holds: the request has vpc-1, the policy
    says "${aws:SourceVpc}" (aws:SourceVpc: absent from the request)."""
    verdict = "holds" if check.holds else "does not hold"
    if check.why:
        reason = _e(check.why)
    else:
        key = check.condition.rpartition(" ")[2]
        wanted = ", ".join(f"<code>{_e(value)}</code>" for value in check.values)
        variables = [
            f"{_e(name)}: {_key_values_html(context[name]) if name in context else 'not kept'}"
            for value in check.values
            for name in _VARIABLES.findall(value)
        ]
        has = _key_values_html(context[key]) if key in context else "a value not kept in the log"
        reason = f"the request has {has}; the policy says {wanted}"
        if variables:
            reason += " (" + "; ".join(variables) + ")"
    return (
        f'<li><span aria-hidden="true">{"✔" if check.holds else "✖"}</span> '
        f"<code>{_e(check.condition)}</code> {verdict}: {reason}.</li>"
    )


_VARIABLES = re.compile(r"\$\{([^}]+)\}")


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _request_html(row: Row) -> str:
    caller = row.caller_arn or (row.who if not row.who.startswith("unknown") else "unknown")
    facts = f"<div><dt>Caller</dt><dd><code>{_e(caller)}</code></dd></div>"
    if row.access_key_id:
        facts += (
            f"<div><dt>Access key</dt><dd><code>{_e(row.access_key_id)}</code>"
            f" ({_e(row.credentials)})</dd></div>"
        )
    if row.source_ip:
        facts += f"<div><dt>Source IP</dt><dd><code>{_e(row.source_ip)}</code></dd></div>"
    if row.user_agent:
        facts += f"<div><dt>User agent</dt><dd><code>{_e(row.user_agent)}</code></dd></div>"
    if row.time:
        facts += f"<div><dt>Time</dt><dd>{_e(row.time_long)} UTC (simulated)</dd></div>"
    return (
        f'<h3 class="event__subhead">The request</h3><dl class="event__facts">{facts}</dl>'
        '<pre class="event__params" tabindex="0" aria-label="Request parameters">'
        f"<code>{_e(row.parameters)}</code></pre>"
    )
