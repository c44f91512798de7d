"""The policy simulator's plumbing: the page's text in, engine calls out, a trace to show.

Nothing here decides anything: `simulator.iam.evaluate` does. This module reads what a learner
typed (a policy's text, `key = value` context lines), reports mistakes in words with line and
column, runs one evaluation, and works out which lines of each policy to highlight.
No Django here either: the form (`lessons/forms.py`) and the view call these functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from simulator.iam import (
    Decision,
    OrgLevel,
    Outcome,
    Policy,
    PolicyGrammarError,
    PolicyKind,
    PolicyType,
    PrincipalType,
    Request,
    Response,
    StatementRef,
    TypeResult,
    catalog,
    evaluate,
)
from simulator.iam.denials import DeniedError, denied_error
from simulator.iam.explain import StatementCheck
from simulator.iam.explain import check_policy as explain_statements
from simulator.iam.findings import Finding, FindingType, validate_policy
from simulator.iam.jsonpos import JsonPath, JsonSyntaxError, Span, parse_document

MAX_POLICY_CHARS = 1_000_000
"""The most a policy field takes. AWS stores far less (6,144 characters for a managed policy)."""

SHOW_TEXT_CHARS = 20_000
MAX_CHECKED_STATEMENTS = 50  # statements explained one by one, per policy
"""Policies longer than this are not re-shown in the trace, only named by line."""


class PolicyTextError(ValueError):
    """A policy that cannot be read, with the place to look (line and column when known)."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f"Line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """A policy the engine can use, with the text it came from and where each value sits."""

    text: str
    policy: Policy
    spans: Mapping[JsonPath, Span]

    def statement_lines(self, index: int) -> tuple[int, int] | None:
        """First and last line of statement `index` in the text."""
        path: JsonPath = ("Statement", index) if self.policy.statement_is_list else ("Statement",)
        span = self.spans.get(path)
        return (span.line, span.end_line) if span is not None else None


def parse_policy_text(text: str, *, name: str, kind: PolicyKind) -> ParsedPolicy:
    """Read one policy, parsing its JSON once; raise `PolicyTextError` saying what to fix."""
    if len(text) > MAX_POLICY_CHARS:
        raise PolicyTextError(
            f"This policy is {len(text):,} characters long; a policy here may have at most "
            f"{MAX_POLICY_CHARS:,}. (AWS itself stores at most 6,144 characters in a managed "
            "policy.)"
        )
    try:
        parsed = parse_document(text)
    except JsonSyntaxError as error:
        message = error.message if error.message.endswith((".", "?", "!")) else error.message + "."
        raise PolicyTextError(
            f"This is not valid JSON: {message}", line=error.line, column=error.column
        ) from None
    try:
        policy = Policy.from_dict(parsed.value, name=name, kind=kind)
    except PolicyGrammarError as error:
        span = parsed.spans.get(locate(parsed.value, error.path)) if error.path else None
        message = f"{error.path}: {error.message}" if error.path else error.message
        if span is None:
            raise PolicyTextError(message) from None
        raise PolicyTextError(message, line=span.line, column=span.column) from None
    return ParsedPolicy(text=text, policy=policy, spans=parsed.spans)


def locate(value: Any, path: str) -> JsonPath:
    """The JSON path of an element named as the engine names it (`Statement[1].Action[0]`).

    Keys may contain dots and colons (`aws:PrincipalTag/team.x`), so each step is matched
    against the keys actually present. Returns the deepest path that exists.
    """
    found: list[str | int] = []
    rest = path
    while rest:
        if isinstance(value, list) and (match := _INDEX.match(rest)):
            index = int(match[1])
            if not 0 <= index < len(value):
                break
            found.append(index)
            value = value[index]
            rest = rest[match.end() :]
        elif isinstance(value, dict):
            rest = rest.removeprefix(".")
            key = _longest_key(value, rest)
            if key is None:
                break
            found.append(key)
            value = value[key]
            rest = rest[len(key) :]
        else:
            break
    return tuple(found)


_INDEX = re.compile(r"\[(\d+)\]")


def _longest_key(value: dict[str, Any], rest: str) -> str | None:
    best: str | None = None
    for key in value:
        if (
            isinstance(key, str)
            and rest.startswith(key)
            and rest[len(key) : len(key) + 1] in ("", ".", "[")
            and (best is None or len(key) > len(best))
        ):
            best = key
    return best


# --- The request context ------------------------------------------------------------------------

_CONTEXT_KEY = re.compile(r"[A-Za-z0-9_.-]+:[^\s=]+")
MAX_CONTEXT_CHARS = 20_000


def parse_context(text: str) -> dict[str, str | list[str]]:
    """`key = value` lines into a request context; `[a, b]` is a multivalued key.

    Blank lines and lines starting with `#` are skipped. Raises ValueError naming the line.
    """
    if len(text) > MAX_CONTEXT_CHARS:
        raise ValueError(
            f"The context keys are {len(text):,} characters long; at most "
            f"{MAX_CONTEXT_CHARS:,} are read."
        )
    context: dict[str, str | list[str]] = {}
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key:
            raise ValueError(
                f"Line {number}: write one key = value per line, e.g. aws:SourceIp = 203.0.113.5"
            )
        if not _CONTEXT_KEY.fullmatch(key):
            raise ValueError(
                f"Line {number}: {key!r} is not a condition key; keys look like aws:SourceIp "
                "or aws:PrincipalTag/team (a service prefix, a colon, a name)."
            )
        lowered = key.lower()
        if lowered in seen:
            raise ValueError(
                f"Line {number}: {key} is already given on line {seen[lowered]}; give a key "
                "once, with several values as [a, b]."
            )
        seen[lowered] = number
        if value.startswith("["):
            if not value.endswith("]"):
                raise ValueError(f"Line {number}: a list of values must end with ], e.g. [a, b]")
            inner = value[1:-1].strip()
            context[key] = [item.strip() for item in inner.split(",")] if inner else []
        else:
            context[key] = value
    return context


# --- The policies on the page -------------------------------------------------------------------

MAX_IDENTITY_POLICIES = 10
"""A role takes 10 managed policies by default (IUG:reference_iam-quotas)."""

MAX_SCP_LEVELS = 7
"""The root, OUs nested five deep, and the account (AWS Organizations quotas)."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One policy textarea on the page: which field it is and what the engine calls it."""

    name: str  # the form field's name: identity_policy_1
    label: str  # what the learner reads, and the policy's name in explanations
    kind: PolicyKind
    policy_type: PolicyType
    level: str | None = None  # an SCP's organization level

    @property
    def dom_id(self) -> str:
        return self.name.replace("_", "-")


def identity_slot(number: int) -> Slot:
    return Slot(
        f"identity_policy_{number}",
        f"Identity policy {number}",
        PolicyKind.IDENTITY,
        PolicyType.IDENTITY,
    )


def scp_slot(number: int) -> Slot:
    level = "the organization root" if number == 1 else f"level {number}"
    return Slot(f"scp_{number}", f"SCP {number}", PolicyKind.SCP, PolicyType.SCP, level)


RESOURCE_SLOT = Slot(
    "resource_policy", "Resource-based policy", PolicyKind.RESOURCE, PolicyType.RESOURCE
)
BOUNDARY_SLOT = Slot(
    "permissions_boundary", "Permissions boundary", PolicyKind.BOUNDARY, PolicyType.BOUNDARY
)
SESSION_SLOT = Slot("session_policy", "Session policy", PolicyKind.SESSION, PolicyType.SESSION)


_VERDICTS = {
    Response.ALLOWED: ("✔", "Allowed", "allowed"),
    Response.EXPLICITLY_DENIED: ("✖", "Explicitly denied", "explicit-deny"),
    Response.IMPLICITLY_DENIED: ("⊘", "Implicitly denied", "implicit-deny"),
}
_OUTCOMES = {
    Outcome.ALLOWS: ("✔", "Allows"),
    Outcome.DENIES: ("✖", "Explicitly denies"),
    Outcome.NO_ALLOW: ("⊘", "Does not allow"),
    Outcome.NOT_APPLICABLE: ("–", "None given"),
    Outcome.NOT_NEEDED: ("·", "Not needed"),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    icon: str
    text: str
    css: str


@dataclass(frozen=True, slots=True)
class StatementLink:
    label: str  # Statement[0] ("Sid") of Identity policy 1
    anchor: str  # the id of its highlight in the trace
    effect: str


@dataclass(frozen=True, slots=True)
class Row:
    """One policy type in the table: what it said, and which statements said it."""

    policy_type: PolicyType
    icon: str
    outcome: str
    statements: tuple[StatementLink, ...]
    note: str
    named: bool  # the type AWS's message names: the one that decided


@dataclass(frozen=True)
class Simulation:
    """One evaluation and everything the page shows about it (each part worked out once)."""

    decision: Decision
    error: DeniedError | None
    policies: tuple[tuple[Slot, ParsedPolicy], ...]

    @cached_property
    def results(self) -> dict[PolicyType, TypeResult]:
        return {result.policy_type: result for result in self.decision.results}

    @property
    def verdict(self) -> Verdict:
        return Verdict(*_VERDICTS[self.decision.response])

    def _slot_for(self, ref: StatementRef) -> Slot | None:
        index = 0
        for slot, _ in self.policies:
            if slot.policy_type is not ref.policy_type:
                continue
            if slot.policy_type is PolicyType.SCP:
                if slot.level == ref.level:
                    return slot
            elif index == ref.policy_index:
                return slot
            index += 1
        return None

    def _link(self, ref: StatementRef) -> StatementLink:
        slot = self._slot_for(ref)
        anchor = f"trace-{slot.dom_id}-{ref.statement_index}" if slot else ""
        return StatementLink(ref.label, anchor, str(ref.effect))

    @cached_property
    def rows(self) -> list[Row]:
        given = {slot.policy_type for slot, _ in self.policies}
        rows: list[Row] = []
        for result in self.results.values():
            icon, outcome = _OUTCOMES[result.outcome]
            if result.outcome is Outcome.NOT_APPLICABLE and result.policy_type in given:
                outcome = "Does not apply"
            rows.append(
                Row(
                    policy_type=result.policy_type,
                    icon=icon,
                    outcome=outcome,
                    statements=tuple(self._link(ref) for ref in _refs(result)),
                    note=result.note,
                    named=result.policy_type is self.decision.named_type,
                )
            )
        return rows

    @cached_property
    def decided_by(self) -> list[StatementLink]:
        return [self._link(ref) for ref in self.decision.decided_by]

    @cached_property
    def action_hint(self) -> str | None:
        return action_hint(self.decision.request.action)

    @cached_property
    def notes(self) -> list[str]:
        return unused_policy_notes(self)

    @cached_property
    def traces(self) -> list[PolicyTrace]:
        """Each policy's text with its matching statements marked, in evaluation order."""
        traces: list[PolicyTrace] = []
        seen: dict[PolicyType, int] = {}
        for slot, parsed in self.policies:
            index = seen.get(slot.policy_type, 0)  # the engine's policy_index within the type
            seen[slot.policy_type] = index + 1
            result = self.results.get(slot.policy_type)
            trace = trace_policy(slot, parsed, self.decision, result, index=index)
            if result is None or result.outcome is Outcome.NOT_APPLICABLE:
                trace.status = "Not used: this kind of policy does not apply to this caller."
            else:
                trace.checks = explain_statements(
                    parsed.policy,
                    self.decision.request,
                    principal_required=slot.policy_type is PolicyType.RESOURCE,
                )[:MAX_CHECKED_STATEMENTS]
                if not trace.marked:
                    trace.status = "No statement in it matches this request."
            traces.append(trace)
        return traces


def run_simulation(
    *,
    caller: str,
    action: str,
    resource: str,
    resource_account: str | None,
    context: Mapping[str, Any],
    policies: Sequence[tuple[Slot, ParsedPolicy]],
) -> Simulation:
    """Evaluate the request against the given policies (blank ones already left out)."""
    request = Request.build(
        principal=caller,
        action=action,
        resource=resource,
        resource_account=resource_account or None,
        context=context,
    )
    by_type: dict[PolicyType, list[tuple[Slot, ParsedPolicy]]] = {}
    for slot, parsed in policies:
        by_type.setdefault(slot.policy_type, []).append((slot, parsed))

    def single(policy_type: PolicyType) -> Policy | None:
        found = by_type.get(policy_type)
        return found[0][1].policy if found else None

    scps = by_type.get(PolicyType.SCP)
    decision = evaluate(
        request,
        identity_policies=[parsed.policy for _, parsed in by_type.get(PolicyType.IDENTITY, [])],
        resource_policy=single(PolicyType.RESOURCE),
        permissions_boundaries=[
            parsed.policy for _, parsed in by_type.get(PolicyType.BOUNDARY, [])
        ],
        session_policy=single(PolicyType.SESSION),
        scps=[OrgLevel(slot.level or slot.label, (parsed.policy,)) for slot, parsed in scps]
        if scps
        else None,
    )
    # The engine numbers a type's policies in the order given; keep that order to map back.
    ordered = tuple(pair for policy_type in PolicyType for pair in by_type.get(policy_type, []))
    return Simulation(decision=decision, error=denied_error(decision), policies=ordered)


# --- Highlighting the statements that matched ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """Why a statement is highlighted: it decided, or it matched (allows or denies)."""

    kind: str  # "decided", "allows" or "denies"
    label: str  # the text a reader (and a screen reader) gets: "Decided here: Deny"
    deny: bool = False

    @property
    def icon(self) -> str:
        return "✖" if self.deny else "✔"


@dataclass(slots=True)
class Block:
    """Consecutive lines of a policy, all marked the same way (or not at all)."""

    lines: list[tuple[int, str]]
    mark: Mark | None = None
    anchor: str | None = None


@dataclass(slots=True)
class PolicyTrace:
    """A policy's text split into blocks, with the statements that matched marked."""

    slot: Slot
    blocks: list[Block] = field(default_factory=list)
    marked: list[tuple[StatementRef, Mark, tuple[int, int] | None]] = field(default_factory=list)
    shown: bool = True  # False when the text is too long to re-show
    status: str = ""  # a sentence when nothing in it is marked
    checks: tuple[StatementCheck, ...] = ()  # why each statement did or did not apply

    @property
    def decided(self) -> bool:
        return any(mark.kind == "decided" for _, mark, _ in self.marked)


def _refs_for(
    slot: Slot, index: int, decision: Decision, result: TypeResult | None
) -> dict[int, tuple[StatementRef, Mark]]:
    """Statement index -> (ref, mark) for the statements of this policy that matched."""
    deciding = set(decision.decided_by)
    found: dict[int, tuple[StatementRef, Mark]] = {}
    candidates: list[StatementRef] = []
    if result is not None:
        candidates = [*result.denies, *result.allows]
    candidates.extend(decision.decided_by)
    for ref in candidates:
        if ref.policy_type is not slot.policy_type or ref.statement_index in found:
            continue
        if slot.policy_type is PolicyType.SCP:
            if ref.level != slot.level:
                continue
        elif ref.policy_index != index:
            continue
        verb = "denies" if ref.effect == "Deny" else "allows"
        if ref in deciding:
            mark = Mark("decided", f"Decided here: {ref.effect}", deny=verb == "denies")
        else:
            mark = Mark(verb, f"Matched: {ref.effect}", deny=verb == "denies")
        found[ref.statement_index] = (ref, mark)
    return found


def trace_policy(
    slot: Slot,
    parsed: ParsedPolicy,
    decision: Decision,
    result: TypeResult | None,
    *,
    index: int = 0,
) -> PolicyTrace:
    """The policy's lines, with each matching statement's lines marked.

    `result` is what the policy's type said; `index` is the policy's position among the
    policies of its type given to the engine.
    """
    refs = _refs_for(slot, index, decision, result)
    trace = PolicyTrace(slot=slot)
    ranges: list[tuple[int, int, Mark, str]] = []
    claimed = 0
    for statement_index in sorted(refs):
        ref, mark = refs[statement_index]
        lines = parsed.statement_lines(statement_index)
        trace.marked.append((ref, mark, lines))
        if lines is None:
            continue
        first, last = max(lines[0], claimed + 1), lines[1]
        if first <= last:
            ranges.append((first, last, mark, f"trace-{slot.dom_id}-{statement_index}"))
            claimed = last
    if len(parsed.text) > SHOW_TEXT_CHARS:
        trace.shown = False
        return trace
    lines = parsed.text.split("\n")
    position = 1
    for first, last, mark, anchor in ranges:
        if position < first:
            trace.blocks.append(Block(_numbered(lines, position, first - 1)))
        trace.blocks.append(Block(_numbered(lines, first, last), mark, anchor))
        position = last + 1
    if position <= len(lines):
        trace.blocks.append(Block(_numbered(lines, position, len(lines))))
    return trace


def _numbered(lines: list[str], first: int, last: int) -> list[tuple[int, str]]:
    return [(number, lines[number - 1]) for number in range(first, last + 1)]


def _refs(result: TypeResult) -> list[StatementRef]:
    return [*result.denies, *result.allows]


# --- Notes beside the decision ------------------------------------------------------------------


def action_hint(action: str) -> str | None:
    """A word when AWS has no such action (the engine still evaluates it as written)."""
    service, _, name = action.partition(":")
    if catalog.action(service, name) is not None:
        return None
    suggestion = catalog.suggest_action(service, name)
    text = f"AWS has no action {action}"
    text += f"; did you mean {suggestion}?" if suggestion else "."
    return (
        f"{text} The policies are evaluated as written, but no AWS API call ever asks for {action}."
    )


def unused_policy_notes(simulation: Simulation) -> list[str]:
    """Why policies the learner gave played no part, in words."""
    principal = simulation.decision.request.principal
    given = {slot.policy_type for slot, _ in simulation.policies}
    notes: list[str] = []
    if principal.type in (PrincipalType.ANONYMOUS, PrincipalType.SERVICE):
        who = (
            "an anonymous caller"
            if principal.type is PrincipalType.ANONYMOUS
            else (f"the service principal {principal.service}")
        )
        for policy_type in (PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION):
            if policy_type in given:
                notes.append(
                    f"{policy_type.plural} do not apply: they belong to IAM users and roles, "
                    f"and {who} is neither. Only a resource-based policy can grant it access."
                )
        if PolicyType.SCP in given:
            notes.append(
                f"Service control policies do not apply: they limit the IAM users and roles "
                f"of the organization's accounts, and {who} is neither."
            )
    elif PolicyType.SESSION in given and principal.type not in (
        PrincipalType.ASSUMED_ROLE,
        PrincipalType.FEDERATED_USER,
    ):
        notes.append(
            "The session policy does not apply: only a session (an assumed-role or "
            "federated-user ARN) has one, passed when the session was created."
        )
    if principal.type is PrincipalType.ROLE:
        notes.append(
            "A role never calls AWS itself: whoever assumes it gets a role session, "
            "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, and the session makes the calls."
        )
    return notes


# --- What is shown beside each policy -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """What the page shows beside a policy's textarea."""

    blank: bool
    problem: PolicyTextError | None = None  # why the engine cannot use the policy
    other: tuple[str, ...] = ()  # any other error on the field
    findings: tuple[Finding, ...] = ()


def check_policy(
    slot: Slot, text: str, problem: PolicyTextError | None, other: Sequence[str] = ()
) -> PolicyCheck:
    """The findings for one policy, without repeating the error that stops the engine."""
    if not text.strip():
        return PolicyCheck(blank=True, other=tuple(other))
    if len(text) > MAX_POLICY_CHARS:
        return PolicyCheck(blank=False, problem=problem, other=tuple(other))
    findings = validate_policy(text, policy_type=slot.kind)
    if problem is not None and problem.line is not None:
        findings = [
            finding
            for finding in findings
            if not (
                finding.finding_type is FindingType.ERROR
                and finding.span is not None
                and (finding.span.line, finding.span.column) == (problem.line, problem.column)
            )
        ]
    return PolicyCheck(blank=False, problem=problem, other=tuple(other), findings=tuple(findings))
