"""The IAM policy grammar: JSON documents in, frozen `Policy` objects out.

`Policy.from_dict` checks the structure AWS requires and raises `PolicyGrammarError` naming the
place (`Statement[1].Effect`) in words a learner understands. Richer advice in the manner of IAM
Access Analyzer (unknown actions, ARN/resource-type mismatches, ...) lives in `findings.py`.

Each statement is compiled once into matchers (see `matching.py`), so evaluating a parsed policy
many times costs only the matching itself. `Policy.to_dict` gives back exactly the document that
was parsed: single values stay single, lists stay lists, `true` stays a JSON boolean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from simulator.iam.conditions import Condition, parse_conditions
from simulator.iam.errors import JsonSyntaxError, PolicyGrammarError
from simulator.iam.jsonpos import parse_with_positions
from simulator.iam.matching import ActionMatcher, PrincipalMatcher, ResourceMatcher
from simulator.iam.vocabulary import (
    EFFECTS,
    POLICY_ELEMENTS,
    STATEMENT_ELEMENTS,
    VERSION_2008,
    VERSION_2012,
    VERSIONS,
    json_type,
)

__all__ = ["Effect", "Policy", "PolicyKind", "Statement", "parse_policy"]

_STATEMENT_KEYS = frozenset(STATEMENT_ELEMENTS)
_TOP_LEVEL_KEYS = frozenset(POLICY_ELEMENTS)
_STATEMENT_ELEMENTS_TEXT = ", ".join(STATEMENT_ELEMENTS[:-1]) + " and " + STATEMENT_ELEMENTS[-1]


class PolicyKind(StrEnum):
    """Where a policy sits in AWS's evaluation; decides which elements it may use."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"
    ENDPOINT = "endpoint"

    @property
    def takes_principal(self) -> bool:
        return self in (PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP, PolicyKind.ENDPOINT)


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


def _path_parts(path: str) -> tuple[str | int, ...]:
    """`Statement[1].Condition.StringEquals` -> ("Statement", 1, "Condition", "StringEquals")."""
    parts: list[str | int] = []
    for piece in path.split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        for index in indexes:
            number = index.rstrip("]")
            if number.isdigit():
                parts.append(int(number))
    return tuple(parts)


def _strings(
    value: Any, path: str, element: str, *, nulls: bool = False
) -> tuple[tuple[str, ...], bool]:
    """A string or a non-empty list of strings; returns the values and whether it was single.

    `nulls`: IAM stores a Resource list holding `null` and the null names nothing
    (getmoto/moto#9715, tested against AWS) [UNCERTAIN: not in AWS's documentation].
    """
    if isinstance(value, str):
        return (value,), True
    if isinstance(value, list):
        if (
            nulls
            and any(item is None for item in value)
            and any(item is not None for item in value)
        ):
            value = [item for item in value if item is not None]
        if not value:
            raise PolicyGrammarError(path, f"{element} must not be an empty list.")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise PolicyGrammarError(
                    f"{path}[{index}]",
                    f"each {element} must be a string, not {json_type(item)}.",
                )
        return tuple(value), False
    raise PolicyGrammarError(
        path, f"{element} must be a string or a list of strings, not {json_type(value)}."
    )


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, as written, plus its compiled matchers."""

    index: int
    effect: Effect
    sid: str | None
    action: ActionMatcher
    resource: ResourceMatcher | None
    principal: PrincipalMatcher | None
    conditions: tuple[Condition, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """How a learner refers to it: its Sid, else its position."""
        return f"Statement[{self.index}]" + (f' ("{self.sid}")' if self.sid else "")

    def to_dict(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self.raw))  # a deep copy to change freely
        return copy


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document. `name` says which policy it is in explanations."""

    statements: tuple[Statement, ...]
    version: str | None
    id: str | None
    name: str
    statement_is_list: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    _by_action: dict[str, tuple[Statement, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers `action` (lower-cased), indexed.

        A parsed policy is asked about the same few actions again and again, so the answer
        is kept; the index is bounded so that no caller can grow it without limit.
        """
        found = self._by_action.get(action)
        if found is None:
            found = tuple(st for st in self.statements if st.action.applies(action))
            if len(self._by_action) >= 256:
                self._by_action.clear()
            self._by_action[action] = found
        return found

    @property
    def uses_variables(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17."""
        return self.version == VERSION_2012

    @classmethod
    def from_dict(
        cls, document: Any, *, name: str = "policy", kind: PolicyKind | None = None
    ) -> Policy:
        return parse_policy(document, name=name, kind=kind)

    @classmethod
    def from_json(
        cls, text: str, *, name: str = "policy", kind: PolicyKind | None = None
    ) -> Policy:
        """Parse policy text; errors carry the line and column as well as the path."""
        try:
            document, spans = parse_with_positions(text)
        except JsonSyntaxError as error:
            raise PolicyGrammarError(
                "",
                f"This is not valid JSON: {error.message} (line {error.line}, column {error.column}).",
                line=error.line,
                column=error.column,
            ) from None
        try:
            return parse_policy(document, name=name, kind=kind)
        except PolicyGrammarError as error:
            parts = _path_parts(error.path)
            while parts and parts not in spans:
                parts = parts[:-1]
            span = spans.get(parts)
            if span is not None:
                error.line, error.column = span.line, span.column
            raise

    def to_dict(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self.raw))
        return copy


def parse_policy(document: Any, *, name: str = "policy", kind: PolicyKind | None = None) -> Policy:
    """Build a `Policy` from a JSON-shaped value, or raise `PolicyGrammarError`."""
    if not isinstance(document, dict):
        raise PolicyGrammarError("", f"A policy must be a JSON object, not {json_type(document)}.")
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            raise PolicyGrammarError(
                key, f'"{key}" is not a policy element; use Version, Id and Statement.'
            )
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyGrammarError(
            "Version",
            f'Version must be "{VERSION_2012}" (or the old "{VERSION_2008}"), not {json.dumps(version)}.',
        )
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyGrammarError("Id", f"Id must be a string, not {json_type(policy_id)}.")
    if "Statement" not in document:
        raise PolicyGrammarError("Statement", "A policy needs a Statement element.")
    raw_statements = document["Statement"]
    statement_is_list = isinstance(raw_statements, list)
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    elif not isinstance(raw_statements, list):
        raise PolicyGrammarError(
            "Statement",
            f"Statement must be an object or a list of objects, not {json_type(raw_statements)}.",
        )
    variables = version == VERSION_2012
    statements = tuple(
        _parse_statement(raw, index, statement_is_list, variables, kind)
        for index, raw in enumerate(raw_statements)
    )
    return Policy(
        statements=statements,
        version=version,
        id=policy_id,
        name=name,
        statement_is_list=statement_is_list,
        raw=document,
    )


def _parse_statement(
    raw: Any, index: int, in_list: bool, variables: bool, kind: PolicyKind | None
) -> Statement:
    path = f"Statement[{index}]" if in_list else "Statement"
    if not isinstance(raw, dict):
        raise PolicyGrammarError(path, f"each statement must be an object, not {json_type(raw)}.")
    for key in raw:
        if key not in _STATEMENT_KEYS:
            raise PolicyGrammarError(
                f"{path}.{key}",
                f'"{key}" is not a statement element. Statements use {_STATEMENT_ELEMENTS_TEXT}.',
            )
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyGrammarError(f"{path}.Sid", f"Sid must be a string, not {json_type(sid)}.")
    effect_value = raw.get("Effect")
    if effect_value is None:
        raise PolicyGrammarError(f"{path}.Effect", "Effect is missing: use Allow or Deny.")
    if effect_value not in EFFECTS:
        raise PolicyGrammarError(
            f"{path}.Effect", f"Effect must be Allow or Deny, not {json.dumps(effect_value)}."
        )
    effect = Effect(effect_value)

    action = _pick(raw, path, "Action", "NotAction", required=True)
    assert action is not None
    action_key, action_value = action
    actions, action_single = _strings(action_value, f"{path}.{action_key}", action_key)
    action_matcher = ActionMatcher.compile(
        actions, negated=action_key == "NotAction", single=action_single
    )

    resource_matcher: ResourceMatcher | None = None
    resource = _pick(raw, path, "Resource", "NotResource", required=False)
    if resource is not None:
        resource_key, resource_value = resource
        resources, resource_single = _strings(
            resource_value, f"{path}.{resource_key}", resource_key, nulls=True
        )
        resource_matcher = ResourceMatcher.compile(
            resources,
            negated=resource_key == "NotResource",
            single=resource_single,
            variables=variables,
        )

    principal_matcher: PrincipalMatcher | None = None
    principal = _pick(raw, path, "Principal", "NotPrincipal", required=False)
    if principal is not None:
        principal_key, principal_value = principal
        # IAM refuses to store an identity policy with a Principal ("Policy document should
        # not specify a principal."); findings.py reports it. Given one anyway, AWS's
        # evaluation takes the principal to be the caller, so the element is ignored there.
        principal_matcher = PrincipalMatcher.parse(
            principal_value, negated=principal_key == "NotPrincipal", path=f"{path}.{principal_key}"
        )

    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw:
        conditions = parse_conditions(raw["Condition"], f"{path}.Condition", variables=variables)

    return Statement(
        index=index,
        effect=effect,
        sid=sid,
        action=action_matcher,
        resource=resource_matcher,
        principal=principal_matcher,
        conditions=conditions,
        raw=raw,
    )


def _pick(
    raw: Mapping[str, Any], path: str, positive: str, negative: str, *, required: bool
) -> tuple[str, Any] | None:
    has_positive, has_negative = positive in raw, negative in raw
    if has_positive and has_negative:
        raise PolicyGrammarError(
            f"{path}.{negative}", f"a statement may have {positive} or {negative}, not both."
        )
    if has_positive:
        return positive, raw[positive]
    if has_negative:
        return negative, raw[negative]
    if required:
        raise PolicyGrammarError(
            f"{path}.{positive}", f"{positive} is missing: say which actions the statement covers."
        )
    return None
