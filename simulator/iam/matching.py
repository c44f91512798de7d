"""Matching a request against Action, Resource and Principal elements.

AWS's rules, as the IAM User Guide states them:

- Actions: `service:name`, case-insensitive, `*` any run of characters and `?` one character.
- Resources: ARNs, case-sensitive. A wildcard stays inside its colon-separated segment, except
  in the resource part (the sixth segment, which may itself hold colons); a pattern with fewer
  than six segments whose last character is `*` reaches across the rest. `*` alone matches
  every resource, and is the only thing that matches a request whose resource is `*` (an action
  that supports no resource-level permissions).
- Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the escapes
  `${*}`, `${?}`, `${$}`) are substituted in Resource and in condition values, only under
  Version 2012-10-17. A variable whose key the request lacks (and that has no default) makes
  that value match nothing.
- Principals: `*` is everyone, anonymous included; an account id or `arn:aws:iam::ACCT:root`
  is every principal of that account; a role ARN is the role and every session of it; an
  assumed-role or federated-user ARN is that session only; `Service` names a service principal.

Wildcards are matched by `wildcard.py`, in time bounded by the text's length times the
pattern's: policy text never becomes a backtracking regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from simulator.iam.errors import PolicyGrammarError
from simulator.iam.vocabulary import PRINCIPAL_KEYS
from simulator.iam.wildcard import Chunks, SegmentedGlob, action_glob, arn_glob, has_wildcard

if TYPE_CHECKING:
    from simulator.iam.request import Principal

__all__ = [
    "ActionMatcher",
    "MatchKind",
    "PrincipalMatcher",
    "ResourceMatcher",
    "VariableLookup",
    "parse_variables",
    "variable_spans",
]

VariableLookup = Callable[[str], "tuple[str, ...] | None"]
"""Looks a condition key up (lower-cased name) in the request context."""


# --- Actions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionMatcher:
    """An Action or NotAction element, compiled."""

    values: tuple[str, ...]
    negated: bool
    single: bool
    match_all: bool
    literals: frozenset[str]
    patterns: tuple[SegmentedGlob, ...]

    @classmethod
    def compile(cls, values: tuple[str, ...], *, negated: bool, single: bool) -> ActionMatcher:
        match_all = False
        literals: set[str] = set()
        patterns: list[SegmentedGlob] = []
        for value in values:
            lowered = value.lower()
            if lowered == "*":
                match_all = True
            elif has_wildcard(lowered):
                patterns.append(action_glob(lowered))
            else:
                literals.add(lowered)
        return cls(values, negated, single, match_all, frozenset(literals), tuple(patterns))

    def covers(self, action: str) -> bool:
        """Whether the listed actions include `action` (lower-cased), before negation."""
        if self.match_all or action in self.literals:
            return True
        for pattern in self.patterns:  # noqa: SIM110 (a generator costs more than the match)
            if pattern.matches(action):
                return True
        return False

    def applies(self, action: str) -> bool:
        """Whether the statement applies to `action` (lower-cased): Action, or not NotAction."""
        return self.covers(action) != self.negated


# --- Policy variables ---------------------------------------------------------------------

_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower-cased condition key
    default: str | None


Piece = str | Variable
"""A piece of a value: text in which `*` and `?` keep their meaning, or a variable."""


@dataclass(frozen=True, slots=True)
class Literal:
    """Text that must match as written: an escape like `${*}` or a substituted value."""

    text: str


def variable_spans(value: str) -> Iterator[tuple[int, int]]:
    """Where each `${...}` of `value` starts and ends: from a `${` to the first `}` after it.

    Found with `str.find`: the regex this replaces took time growing as the square of the
    length of a value of many `${` and no `}`.
    """
    position = 0
    while (start := value.find("${", position)) >= 0:
        end = value.find("}", start + 2)
        if end < 0:
            return  # no `}` after this `${`, so none after a later one either
        yield start, end + 1
        position = end + 1


def parse_variables(value: str) -> tuple[Piece | Literal, ...] | None:
    """Split a value into text, escapes and variables; None when it holds no `${...}`."""
    if "${" not in value:
        return None
    pieces: list[Piece | Literal] = []
    position = 0
    for start, end in variable_spans(value):
        if start > position:
            pieces.append(value[position:start])
        inner = value[start + 2 : end - 1].strip()
        if inner in _ESCAPES:
            pieces.append(Literal(_ESCAPES[inner]))
        else:
            key, _, default = inner.partition(",")
            default_value: str | None = None
            if _:
                default = default.strip()
                if len(default) >= 2 and default[0] == default[-1] == "'":
                    default_value = default[1:-1]
                else:
                    default_value = default
            pieces.append(Variable(key.strip().lower(), default_value))
        position = end
    if position < len(value):
        pieces.append(value[position:])
    return tuple(pieces)


def resolve_pieces(pieces: tuple[Piece | Literal, ...], lookup: VariableLookup) -> Chunks | None:
    """Substitute variables: chunks of (text, wildcards_active), or None if one is missing.

    A multivalued key cannot stand in a single value, so it counts as missing, as in AWS.
    """
    chunks: list[tuple[str, bool]] = []
    for piece in pieces:
        if isinstance(piece, str):
            chunks.append((piece, True))
        elif isinstance(piece, Literal):
            chunks.append((piece.text, False))
        else:
            values = lookup(piece.key)
            if values is not None and len(values) == 1:
                chunks.append((values[0], False))
            elif piece.default is not None:
                chunks.append((piece.default, False))
            else:
                return None
    return tuple(chunks)


def chunks_text(chunks: Chunks) -> str:
    return "".join(text for text, _ in chunks)


# --- Resources ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ResourcePattern:
    text: str
    pieces: tuple[Piece | Literal, ...] | None  # with variables
    glob: SegmentedGlob | None  # wildcards, no variables


@dataclass(frozen=True, slots=True)
class ResourceMatcher:
    """A Resource or NotResource element, compiled."""

    values: tuple[str, ...]
    negated: bool
    single: bool
    match_all: bool
    literals: frozenset[str]
    patterns: tuple[_ResourcePattern, ...]

    @classmethod
    def compile(
        cls, values: tuple[str, ...], *, negated: bool, single: bool, variables: bool
    ) -> ResourceMatcher:
        match_all = False
        literals: set[str] = set()
        patterns: list[_ResourcePattern] = []
        for value in values:
            if value == "*":
                match_all = True
                continue
            pieces = parse_variables(value) if variables else None
            if pieces is not None:
                patterns.append(_ResourcePattern(value, pieces, None))
            elif has_wildcard(value):
                patterns.append(_ResourcePattern(value, None, arn_glob(((value, True),))))
            else:
                literals.add(value)
        return cls(values, negated, single, match_all, frozenset(literals), tuple(patterns))

    def covers(self, resource: str, lookup: VariableLookup) -> bool:
        """Whether the listed resources include `resource`, before negation."""
        if self.match_all:
            return True
        if resource == "*":
            # A request for an action without resource-level permissions: only `*` covers it.
            return False
        if resource in self.literals:
            return True
        for pattern in self.patterns:
            if pattern.glob is not None:
                if pattern.glob.matches(resource):
                    return True
                continue
            assert pattern.pieces is not None
            chunks = resolve_pieces(pattern.pieces, lookup)
            if chunks is not None and arn_glob(chunks).matches(resource):
                return True
        return False

    def applies(self, resource: str, lookup: VariableLookup) -> bool:
        return self.covers(resource, lookup) != self.negated


# --- Principals ---------------------------------------------------------------------------


class MatchKind(Enum):
    """How a resource policy's Principal named the caller; AWS's rules differ by kind."""

    CALLER = "the caller itself"  # `*`, the user's ARN, the session's ARN, the service
    ROLE = "the caller's role"  # a role ARN, for the role or a session of it
    ACCOUNT = "the caller's account"  # account id or root ARN: defers to identity policies


_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class _AwsEntry:
    kind: str  # "any", "account", "role", "exact"
    value: str  # account id, "account:role-name", or the exact ARN


def _classify_aws(value: str) -> _AwsEntry:
    if value == "*":
        return _AwsEntry("any", "*")
    if _ACCOUNT_ID.match(value):
        return _AwsEntry("account", value)
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        service, account, resource = parts[2], parts[4], parts[5]
        if service == "iam" and resource == "root":
            return _AwsEntry("account", account)
        if service == "iam" and resource.startswith("role/"):
            return _AwsEntry("role", f"{account}:{resource.rsplit('/', 1)[-1]}")
    return _AwsEntry("exact", value)


@dataclass(frozen=True, slots=True)
class PrincipalMatcher:
    """A Principal or NotPrincipal element, compiled."""

    raw: Any
    negated: bool
    everyone: bool
    aws: tuple[_AwsEntry, ...]
    services: frozenset[str]
    federated: frozenset[str]
    canonical: frozenset[str]

    @classmethod
    def parse(cls, value: Any, *, negated: bool, path: str) -> PrincipalMatcher:
        raw = value
        if value == "*":
            return cls(value, negated, True, (), frozenset(), frozenset(), frozenset())
        if isinstance(value, str):
            # Not AWS's documented form, but read as {"AWS": value}; findings.py flags it.
            value = {"AWS": value}
        if not isinstance(value, dict) or not value:
            raise PolicyGrammarError(
                path,
                'a principal is "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"} '
                'or {"Service": "ec2.amazonaws.com"}.',
            )
        aws: list[_AwsEntry] = []
        groups: dict[str, set[str]] = {"Service": set(), "Federated": set(), "CanonicalUser": set()}
        for key, entry in value.items():
            if key not in PRINCIPAL_KEYS:
                raise PolicyGrammarError(
                    f"{path}.{key}",
                    f'"{key}" is not a kind of principal; use AWS, Service, Federated or CanonicalUser.',
                )
            items = [entry] if isinstance(entry, str) else entry
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) for i in items)
            ):
                raise PolicyGrammarError(
                    f"{path}.{key}", f"{key} must be a string or a non-empty list of strings."
                )
            for item in items:
                if key == "AWS":
                    aws.append(_classify_aws(item))
                else:
                    groups[key].add(item.lower() if key == "Service" else item)
        everyone = any(entry.kind == "any" for entry in aws)
        return cls(
            raw,
            negated,
            everyone,
            tuple(aws),
            frozenset(groups["Service"]),
            frozenset(groups["Federated"]),
            frozenset(groups["CanonicalUser"]),
        )

    def match(self, principal: Principal) -> MatchKind | None:
        """How the listed principals name `principal`, before negation; None if they don't."""
        if self.everyone:
            return MatchKind.CALLER
        if principal.service is not None:
            return MatchKind.CALLER if principal.service in self.services else None
        if principal.arn is None:  # anonymous: only `*` names it
            return None
        best: MatchKind | None = None
        for entry in self.aws:
            if entry.kind == "exact":
                if entry.value == principal.arn:
                    return MatchKind.CALLER
            elif entry.kind == "role":
                if principal.role_key == entry.value:
                    best = MatchKind.ROLE
            elif entry.kind == "account" and entry.value == principal.account and best is None:
                best = MatchKind.ACCOUNT
        if best is None and principal.arn in self.federated:
            return MatchKind.CALLER
        return best

    def applies(self, principal: Principal) -> MatchKind | None:
        """The match kind when the statement applies to `principal`, None when it does not."""
        kind = self.match(principal)
        if not self.negated:
            return kind
        return MatchKind.CALLER if kind is None else None
