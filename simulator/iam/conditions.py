"""The Condition element: every operator of the IAM User Guide, compiled once per statement.

Rules (IUG: reference_policies_elements_condition_operators, reference_policies_multi-value-conditions):

- Several operators, and several keys under one operator, are ANDed.
- Several values for one key are ORed; for a negated operator (StringNotEquals, NotIpAddress,
  ArnNotLike, ...) the request value must match none of them.
- A key missing from the request makes the condition false, except that a negated operator is
  then true; `...IfExists` makes a missing key true. `Null: {"k": "true"}` tests absence.
- `ForAllValues:` is true when every request value matches — and when there are none.
  `ForAnyValue:` is true when at least one matches, so false when there are none.
- A value that cannot be read as the operator's type (a word under NumericEquals, a bad
  date or address) makes the condition false, whichever the operator.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.iam.errors import PolicyGrammarError
from simulator.iam.matching import (
    Literal,
    Piece,
    VariableLookup,
    chunks_text,
    parse_variables,
    resolve_pieces,
)
from simulator.iam.wildcard import Chunks, SegmentedGlob, arn_glob, glob, glob_from_chunks

__all__ = ["OPERATORS", "Condition", "parse_conditions"]

# operator -> (type, comparison, negated)
OPERATORS: dict[str, tuple[str, str, bool]] = {
    "StringEquals": ("string", "eq", False),
    "StringNotEquals": ("string", "eq", True),
    "StringEqualsIgnoreCase": ("string", "ieq", False),
    "StringNotEqualsIgnoreCase": ("string", "ieq", True),
    "StringLike": ("string", "like", False),
    "StringNotLike": ("string", "like", True),
    "NumericEquals": ("numeric", "eq", False),
    "NumericNotEquals": ("numeric", "eq", True),
    "NumericLessThan": ("numeric", "lt", False),
    "NumericLessThanEquals": ("numeric", "le", False),
    "NumericGreaterThan": ("numeric", "gt", False),
    "NumericGreaterThanEquals": ("numeric", "ge", False),
    "DateEquals": ("date", "eq", False),
    "DateNotEquals": ("date", "eq", True),
    "DateLessThan": ("date", "lt", False),
    "DateLessThanEquals": ("date", "le", False),
    "DateGreaterThan": ("date", "gt", False),
    "DateGreaterThanEquals": ("date", "ge", False),
    "Bool": ("bool", "eq", False),
    "BinaryEquals": ("binary", "eq", False),
    "IpAddress": ("ip", "in", False),
    "NotIpAddress": ("ip", "in", True),
    "ArnEquals": ("arn", "like", False),
    "ArnLike": ("arn", "like", False),
    "ArnNotEquals": ("arn", "like", True),
    "ArnNotLike": ("arn", "like", True),
    "Null": ("null", "null", False),
}
_OPERATORS_LOWER = {name.lower(): name for name in OPERATORS}
_QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}

_ORDER: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER.match(text) else None


def parse_date(text: str) -> float | None:
    """ISO 8601 (date, date-time, Z or offset, fractions) or epoch seconds, as a timestamp."""
    text = text.strip()
    if _NUMBER.match(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        try:  # a request may carry an address in CIDR form
            return ipaddress.ip_network(text.strip(), strict=False).network_address
        except ValueError:
            return None


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


# A compiled test of one request value against all the policy's values (before negation).
ValueTest = Callable[[str, VariableLookup], bool | None]  # None: the value is not of the type


def _string_test(comparison: str, values: tuple[str, ...], variables: bool) -> ValueTest:
    plain: list[str] = []
    with_variables: list[tuple[Piece | Literal, ...]] = []
    for value in values:
        pieces = parse_variables(value) if variables else None
        if pieces is None:
            plain.append(value)
        else:
            with_variables.append(pieces)

    if comparison == "like":
        globs = [glob(value) for value in plain]

        def like(request_value: str, lookup: VariableLookup) -> bool:
            if any(pattern.matches(request_value) for pattern in globs):
                return True
            for pieces in with_variables:
                chunks = resolve_pieces(pieces, lookup)
                if chunks is not None and glob_from_chunks(chunks).matches(request_value):
                    return True
            return False

        return like

    fold = comparison == "ieq"
    exact = frozenset(value.casefold() if fold else value for value in plain)

    def equals(request_value: str, lookup: VariableLookup) -> bool:
        candidate = request_value.casefold() if fold else request_value
        if candidate in exact:
            return True
        for pieces in with_variables:
            chunks = resolve_pieces(pieces, lookup)
            if chunks is not None:
                text = chunks_text(chunks)
                if (text.casefold() if fold else text) == candidate:
                    return True
        return False

    return equals


def _ordered_test(
    comparison: str, values: tuple[str, ...], parse: Callable[[str], float | None]
) -> ValueTest:
    parsed = [number for number in (parse(value) for value in values) if number is not None]
    compare = _ORDER[comparison]

    def test(request_value: str, lookup: VariableLookup) -> bool | None:
        number = parse(request_value)
        if number is None:
            return None
        return any(compare(number, policy_value) for policy_value in parsed)

    return test


def _bool_test(values: tuple[str, ...]) -> ValueTest:
    wanted = {value.strip().lower() for value in values} & {"true", "false"}

    def test(request_value: str, lookup: VariableLookup) -> bool | None:
        lowered = request_value.strip().lower()
        if lowered not in ("true", "false"):
            return None
        return lowered in wanted

    return test


def _binary_test(values: tuple[str, ...]) -> ValueTest:
    wanted = {
        decoded for decoded in (parse_binary(value) for value in values) if decoded is not None
    }

    def test(request_value: str, lookup: VariableLookup) -> bool | None:
        decoded = parse_binary(request_value)
        if decoded is None:
            return None
        return decoded in wanted

    return test


def _ip_test(values: tuple[str, ...]) -> ValueTest:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            continue

    def test(request_value: str, lookup: VariableLookup) -> bool | None:
        address = parse_ip(request_value)
        if address is None:
            return None
        return any(
            address.version == network.version and address in network for network in networks
        )

    return test


def _arn_test(values: tuple[str, ...], variables: bool) -> ValueTest:
    def compile_arn(chunks: Chunks) -> SegmentedGlob | None:
        if chunks_text(chunks).count(":") < 5:
            return None
        return arn_glob(chunks)

    plain: list[SegmentedGlob] = []
    with_variables: list[tuple[Piece | Literal, ...]] = []
    for value in values:
        pieces = parse_variables(value) if variables else None
        if pieces is None:
            pattern = compile_arn(((value, True),))
            if pattern is not None:
                plain.append(pattern)
        else:
            with_variables.append(pieces)

    def test(request_value: str, lookup: VariableLookup) -> bool | None:
        if request_value.count(":") < 5:
            return None
        if any(pattern.matches(request_value) for pattern in plain):
            return True
        for pieces in with_variables:
            chunks = resolve_pieces(pieces, lookup)
            pattern = compile_arn(chunks) if chunks is not None else None
            if pattern is not None and pattern.matches(request_value):
                return True
        return False

    return test


@dataclass(frozen=True, slots=True)
class Condition:
    """One key under one operator, e.g. `"StringEquals": {"aws:username": ["a", "b"]}`."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # canonical base operator, e.g. "StringLike"
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    negated: bool
    key: str  # as written
    key_lower: str
    values: tuple[str, ...]  # as strings
    test: ValueTest

    def evaluate(self, context: Mapping[str, tuple[str, ...]], lookup: VariableLookup) -> bool:
        present = context.get(self.key_lower)
        if self.base == "Null":
            absent = not present
            return any((value.strip().lower() == "true") == absent for value in self.values)
        if not present:
            if self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return self.if_exists
            return self.if_exists or self.negated
        results: list[bool] = []
        for request_value in present:
            matched = self.test(request_value, lookup)
            if matched is None:
                return False
            results.append(matched != self.negated)
        if self.qualifier == "ForAnyValue":
            return any(results)
        # ForAllValues, and a plain operator: a negated operator needs every value to match
        # none; a positive one is satisfied by any value (a single-valued key has one).
        if self.qualifier == "ForAllValues" or self.negated:
            return all(results)
        return any(results)

    def describe(self) -> str:
        values = ", ".join(f'"{value}"' for value in self.values)
        return f"{self.operator} {self.key} {values}"


def _split_operator(name: str) -> tuple[str | None, str, bool] | None:
    qualifier: str | None = None
    rest = name
    if ":" in name:
        prefix, _, rest = name.partition(":")
        qualifier = _QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            return None
    if_exists = False
    lowered = rest.lower()
    if lowered.endswith("ifexists"):
        lowered = lowered[: -len("ifexists")]
        if_exists = True
    base = _OPERATORS_LOWER.get(lowered)
    if base is None:
        return None
    if base == "Null" and if_exists:
        return None
    return qualifier, base, if_exists


def parse_conditions(raw: Any, path: str, *, variables: bool) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        raise PolicyGrammarError(
            path, 'Condition must be an object such as {"StringEquals": {"aws:username": "alice"}}.'
        )
    conditions: list[Condition] = []
    for operator, block in raw.items():
        if block == {}:
            # IAM stores an empty block, even under a word that is no operator, and it adds no
            # test (getmoto/moto's AWS-checked cases: {"DateGreaterThan": {}}, {"x": {}}).
            continue
        split = _split_operator(operator)
        if split is None:
            raise PolicyGrammarError(
                f"{path}.{operator}",
                f'"{operator}" is not a condition operator (for example StringEquals, '
                "StringLike, NumericLessThan, DateGreaterThan, Bool, IpAddress, ArnLike, Null).",
            )
        qualifier, base, if_exists = split
        if not isinstance(block, dict):
            raise PolicyGrammarError(
                f"{path}.{operator}", f"{operator} must map condition keys to values."
            )
        kind, comparison, negated = OPERATORS[base]
        for key, raw_values in block.items():
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            values = tuple(_scalar(item) for item in items)
            if not items or any(value is None for value in values):
                raise PolicyGrammarError(
                    f"{path}.{operator}.{key}",
                    "condition values must be strings, numbers or booleans, or a list of them.",
                )
            strings = tuple(value for value in values if value is not None)
            conditions.append(
                Condition(
                    operator=operator,
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    negated=negated,
                    key=key,
                    key_lower=key.lower(),
                    values=strings,
                    test=_compile_test(kind, comparison, strings, variables),
                )
            )
    return tuple(conditions)


def _compile_test(
    kind: str, comparison: str, values: tuple[str, ...], variables: bool
) -> ValueTest:
    if kind == "string":
        return _string_test(comparison, values, variables)
    if kind == "numeric":
        return _ordered_test(comparison, values, parse_number)
    if kind == "date":
        return _ordered_test(comparison, values, parse_date)
    if kind == "bool":
        return _bool_test(values)
    if kind == "binary":
        return _binary_test(values)
    if kind == "ip":
        return _ip_test(values)
    if kind == "arn":
        return _arn_test(values, variables)

    def never(request_value: str, lookup: VariableLookup) -> bool:  # Null: see evaluate
        return False

    return never
