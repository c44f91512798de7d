"""Dataclasses to JSON-shaped dicts and back, losslessly and fast.

Fields may be str, int, float, bool, None, datetime (ISO 8601, UTC), bytes (base64), a StrEnum,
a nested dataclass, or list/dict/optional of those. Converters are built once per class.
"""

from __future__ import annotations

import base64
import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any

__all__ = ["from_json", "to_json"]

Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _datetime_out(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _datetime_in(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


_CONVERTERS: dict[type, tuple[tuple[str, Converter, Converter], ...]] = {}


def _converters(cls: type) -> tuple[tuple[str, Converter, Converter], ...]:
    """(field name, to_json, from_json) for each field of a dataclass, built once per class."""
    found = _CONVERTERS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = tuple((field.name, *_pair(hints[field.name])) for field in dataclasses.fields(cls))
        _CONVERTERS[cls] = found
    return found


@cache
def _pair(hint: Any) -> tuple[Converter, Converter]:
    """(to_json, from_json) for a type hint."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        if len(inner) == 1:
            out, into = _pair(inner[0])
            return (
                lambda v: None if v is None else out(v),
                lambda v: None if v is None else into(v),
            )
        return _identity, _identity
    if origin is list:
        out, into = _pair(args[0]) if args else (_identity, _identity)
        if out is _identity and into is _identity:
            return list, list
        return (lambda v: [out(x) for x in v]), (lambda v: [into(x) for x in v])
    if origin is dict:
        out, into = _pair(args[1]) if args else (_identity, _identity)
        if out is _identity and into is _identity:
            return dict, dict
        return (
            lambda v: {k: out(x) for k, x in v.items()},
            lambda v: {k: into(x) for k, x in v.items()},
        )
    if hint is datetime:
        return _datetime_out, _datetime_in
    if hint is bytes:
        return (
            lambda v: base64.b64encode(v).decode("ascii"),
            lambda v: base64.b64decode(v),
        )
    if isinstance(hint, type) and issubclass(hint, Enum):
        return (lambda v: v.value), hint
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return to_json, (lambda v: from_json(hint, v))
    return _identity, _identity


def to_json(obj: Any) -> dict[str, Any]:
    return {name: out(getattr(obj, name)) for name, out, _ in _converters(type(obj))}


def from_json[T](cls: type[T], data: dict[str, Any]) -> T:
    values = {name: into(data[name]) for name, _, into in _converters(cls) if name in data}
    return cls(**values)
