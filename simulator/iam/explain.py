"""Why each statement did, or did not, apply to a request: element by element.

The evaluation itself (evaluate.py) only needs to know *whether* a statement applies. A learner
needs to know *why not*: the Action lists s3:PutObject, not s3:GetObject; the Resource is the
bucket, not its objects; the condition key aws:SourceIp is absent from the request. This module
re-checks one statement at a time and says so, with the same matchers the engine uses, so the
explanation can never disagree with the decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from simulator.iam.conditions import Condition
from simulator.iam.matching import MatchKind
from simulator.iam.policy import Effect, Policy, Statement
from simulator.iam.request import Request

__all__ = [
    "Check",
    "ConditionEvidence",
    "ElementCheck",
    "StatementCheck",
    "check_policy",
    "check_statement",
    "condition_evidence",
]


class Check(StrEnum):
    MATCHES = "matches"
    DOES_NOT_MATCH = "does not match"
    NOT_PRESENT = "not present"


@dataclass(frozen=True, slots=True)
class ElementCheck:
    element: str  # "Action", "NotResource", "Principal", "Condition StringEquals aws:username"
    check: Check
    detail: str


@dataclass(frozen=True, slots=True)
class StatementCheck:
    policy_name: str
    statement_index: int
    sid: str | None
    effect: Effect
    applies: bool
    elements: tuple[ElementCheck, ...]

    @property
    def summary(self) -> str:
        """One sentence: why it applies, or the first reason it does not."""
        label = f"Statement[{self.statement_index}]" + (f' ("{self.sid}")' if self.sid else "")
        if self.applies:
            return f"{label} applies: every element matches the request."
        failed = [element for element in self.elements if element.check is Check.DOES_NOT_MATCH]
        return (
            f"{label} does not apply: {failed[0].detail}" if failed else f"{label} does not apply."
        )


def _values(values: tuple[str, ...]) -> str:
    shown = ", ".join(values[:4])
    return shown + (f" and {len(values) - 4} more" if len(values) > 4 else "")


def check_statement(
    policy: Policy, statement: Statement, request: Request, *, principal_required: bool = False
) -> StatementCheck:
    lookup = request.context.get
    elements: list[ElementCheck] = []

    action = statement.action
    covered = action.covers(request.action_key)
    word = "NotAction" if action.negated else "Action"
    if action.applies(request.action_key):
        detail = (
            f"{word} {_values(action.values)} covers {request.action}."
            if not action.negated
            else f"NotAction {_values(action.values)} leaves out {request.action}, so it applies."
        )
        elements.append(ElementCheck(word, Check.MATCHES, detail))
    else:
        detail = (
            f"{word} lists {_values(action.values)}, which does not cover {request.action}."
            if not covered or not action.negated
            else f"NotAction excludes {request.action}."
        )
        elements.append(ElementCheck(word, Check.DOES_NOT_MATCH, detail))

    resource = statement.resource
    if resource is None:
        elements.append(ElementCheck("Resource", Check.NOT_PRESENT, "No Resource element."))
    else:
        word = "NotResource" if resource.negated else "Resource"
        if resource.applies(request.resource, lookup):
            elements.append(ElementCheck(word, Check.MATCHES,
                                         f"{word} {_values(resource.values)} fits {request.resource}."))  # fmt: skip
        elif request.resource == "*" and not resource.negated:
            elements.append(ElementCheck(word, Check.DOES_NOT_MATCH,
                f"{request.action} supports no resource-level permissions, so only Resource \"*\" "
                f"covers it, and this statement names {_values(resource.values)}."))  # fmt: skip
        elif resource.negated:
            elements.append(ElementCheck(word, Check.DOES_NOT_MATCH,
                                         f"NotResource excludes {request.resource}."))  # fmt: skip
        else:
            elements.append(ElementCheck(word, Check.DOES_NOT_MATCH,
                f"Resource {_values(resource.values)} does not fit {request.resource}"
                + (" (ARNs are case-sensitive; a bucket ARN is not its objects' ARN)." if request.resource.startswith("arn:aws:s3") else ".")))  # fmt: skip

    if principal_required:
        matcher = statement.principal
        if matcher is None:
            elements.append(ElementCheck("Principal", Check.DOES_NOT_MATCH,
                "A resource-based policy statement without a Principal names nobody."))  # fmt: skip
        else:
            kind = matcher.applies(request.principal)
            word = "NotPrincipal" if matcher.negated else "Principal"
            if kind is None:
                elements.append(ElementCheck(word, Check.DOES_NOT_MATCH,
                    f"{word} does not name {request.principal.display}."))  # fmt: skip
            else:
                how = {MatchKind.CALLER: "names the caller itself",
                       MatchKind.ROLE: "names the caller's role",
                       MatchKind.ACCOUNT: "names the caller's account (so identity policies must also allow)"}[kind]  # fmt: skip
                elements.append(ElementCheck(word, Check.MATCHES, f"{word} {how}."))

    for condition in statement.conditions:
        elements.append(_check_condition(condition, request))

    applies = all(element.check is not Check.DOES_NOT_MATCH for element in elements)
    return StatementCheck(policy.name, statement.index, statement.sid, statement.effect, applies,
                          tuple(elements))  # fmt: skip


def _check_condition(condition: Condition, request: Request) -> ElementCheck:
    name = f"Condition {condition.operator} {condition.key}"
    present = request.context.get(condition.key_lower)
    holds = condition.evaluate(request.context, request.context.get)
    wanted = _values(tuple(f'"{v}"' for v in condition.values))
    if present is None:
        if condition.base == "Null":
            why = f"{condition.key} is absent from the request, and Null {wanted} " + (
                "asks for that." if holds else "asks for it to be present."
            )
        elif holds:
            why = f"{condition.key} is absent from the request; " + (
                "…IfExists treats a missing key as a match."
                if condition.if_exists
                else "ForAllValues is true when there are no values."
                if condition.qualifier == "ForAllValues"
                else "a negated operator is true when the key is missing."
            )
        else:
            why = f"{condition.key} is absent from the request, so {condition.operator} is false."
        return ElementCheck(name, Check.MATCHES if holds else Check.DOES_NOT_MATCH, why)
    shown = _values(tuple(f'"{v}"' for v in present))
    verdict = "holds" if holds else "does not hold"
    return ElementCheck(name, Check.MATCHES if holds else Check.DOES_NOT_MATCH,
                        f"The request has {condition.key} = {shown}; compared with {wanted}, "
                        f"{condition.operator} {verdict}.")  # fmt: skip


def check_policy(
    policy: Policy, request: Request, *, principal_required: bool = False
) -> tuple[StatementCheck, ...]:
    """Every statement of `policy`, checked against `request`."""
    return tuple(
        check_statement(policy, statement, request, principal_required=principal_required)
        for statement in policy.statements
    )


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class ConditionEvidence:
    """What a request's conditions came to: the statements whose conditions decided whether
    they applied, each checked element by element, and the context keys those conditions
    test or name as ${policy variables}, with the request's values (None: absent)."""

    statements: tuple[tuple[StatementCheck, tuple[Condition, ...]], ...]
    context: tuple[tuple[str, tuple[str, ...] | None], ...]


def condition_evidence(
    policies: Sequence[tuple[Policy, bool]], request: Request
) -> ConditionEvidence:
    """The evidence of `request`'s conditions, from the `policies` that were evaluated (the
    `bool` beside each says it is a resource-based policy, whose Principal must name the
    caller). Only statements with a Condition whose Action and Resource (and Principal) cover
    the request count: one that does not cover the request says nothing about its context."""
    lookup = request.context.get
    checks: list[tuple[StatementCheck, tuple[Condition, ...]]] = []
    keys: dict[str, str] = {}
    for policy, principal_required in policies:
        for statement in policy.statements:
            if not statement.conditions or not statement.action.applies(request.action_key):
                continue
            resource = statement.resource
            if resource is not None and not resource.applies(request.resource, lookup):
                continue
            principal = statement.principal
            if principal_required and (principal is None or principal.applies(request.principal) is None):  # fmt: skip
                continue
            checks.append((check_statement(policy, statement, request), statement.conditions))
            for condition in statement.conditions:
                keys.setdefault(condition.key_lower, condition.key)
                for value in condition.values:
                    for variable in _VARIABLE.findall(value):
                        keys.setdefault(variable.lower(), variable)
    context = tuple((key, request.context.get(lower)) for lower, key in keys.items())
    return ConditionEvidence(tuple(checks), context)
