"""A JSON reader that remembers where every value and key came from.

`json.loads` tells you *that* a policy is broken; a learner needs to know *where*: which line,
which column, which element. `parse_with_positions` returns the same Python value as
`json.loads` together with a mapping from each value's path (`("Statement", 1, "Effect")`) to
its `Span` in the text, and reports syntax errors as `JsonSyntaxError` with a message written
for someone who has never read the JSON grammar ("Trailing comma before ]").

The parser is iterative (no recursion, so 10,000 `[` cannot exhaust Python's stack) and stops
at `MAX_DEPTH` levels of nesting with a clear error. Positions are stored as plain offsets and
turned into line/column `Span`s only when asked for, so a megabyte of JSON parses in a fraction
of a second. Duplicate keys are not an error in JSON, but they are almost always a mistake in a
policy (only the last one counts), so `parse_document` lists them.

Lines and columns are 1-based and count Unicode code points; a `Span` ends just after its last
character (`end_column` is exclusive), as IAM Access Analyzer reports spans.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.iam.errors import JsonSyntaxError

__all__ = [
    "MAX_DEPTH",
    "DuplicateKey",
    "JsonPath",
    "JsonSyntaxError",
    "ParsedJson",
    "Span",
    "parse_document",
    "parse_with_positions",
    "path_to_str",
]

MAX_DEPTH = 64
"""Deepest nesting of objects and lists accepted. A policy needs five or six levels."""

JsonPath = tuple[str | int, ...]
"""Keys and list indexes from the top-level value down: `("Statement", 1, "Effect")`."""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a piece of JSON sits in the text: 1-based, `end_column` just past the end.

    `offset`/`end_offset` are the same place as 0-based character offsets into the text.
    For a value inside an object, `key` is the span of its key (with the quotes).
    """

    line: int
    column: int
    end_line: int
    end_column: int
    offset: int = 0
    end_offset: int = 0
    key: Span | None = None


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key repeated in one object. `path` leads to the repeated key's value."""

    path: JsonPath
    key: str
    first: Span
    repeated: Span


@dataclass(frozen=True, slots=True)
class ParsedJson:
    """The value, the span of every value (and key), and the keys that were repeated."""

    value: Any
    spans: Mapping[JsonPath, Span]
    duplicate_keys: tuple[DuplicateKey, ...]


def parse_with_positions(text: str) -> tuple[Any, Mapping[JsonPath, Span]]:
    """Parse `text` as JSON; return the value and a mapping path -> `Span` for every value.

    Each value found inside an object also carries its key's span in `Span.key`. Raises
    `JsonSyntaxError` for text that is not JSON or is nested more than `MAX_DEPTH` deep.
    """
    parsed = parse_document(text)
    return parsed.value, parsed.spans


def has_lone_surrogate(text: str, value: Any) -> bool:
    """Whether JSON `text` (parsed as `value`) holds half a UTF-16 surrogate pair.

    JSON may write one (`"\\ud800"`), but it names no character: such a string cannot be
    stored as UTF-8 or shown, so it is refused where it is read rather than failing later.
    Costs nothing for the usual text (no `\\ud` escape, or ASCII only).
    """
    if text.isascii() and "\\ud" not in text and "\\uD" not in text:
        return False
    try:
        text.encode("utf-8")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads_text(text: str) -> Any:
    """`json.loads`, refusing a lone surrogate as the invalid text it is (ValueError)."""
    value = json.loads(text)
    if has_lone_surrogate(text, value):
        raise ValueError("half of a UTF-16 surrogate pair is not a character")
    return value


def _surrogate_offset(text: str) -> int:
    """Where the first lone surrogate is in `text`: its escape, or the character itself."""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if "\ud800" <= char <= "\udfff":
            return index
        if char != "\\":
            index += 1
            continue
        if text.startswith("u", index + 1):
            code = int(text[index + 2 : index + 6], 16)
            if 0xD800 <= code <= 0xDBFF:  # a high half: it needs a low half next
                after = text[index + 6 : index + 12]
                low = int(after[2:], 16) if after[:2] in ("\\u", "\\U") and len(after) == 6 else 0
                if not 0xDC00 <= low <= 0xDFFF:
                    return index
                index += 12
                continue
            if 0xDC00 <= code <= 0xDFFF:
                return index
            index += 6
        else:
            index += 2
    return 0


def path_to_str(path: JsonPath) -> str:
    """`("Statement", 1, "Effect")` -> `"Statement[1].Effect"`, the way Access Analyzer writes it."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_:/\-]*")

# --- The index of positions -------------------------------------------------------------------

# A node is (start, end, key_start, key_end, children): offsets into the text (key_* are -1 for
# values that are not object members), and children a list (for a JSON list), a dict (for an
# object) or None (for anything else). Tuples keep a large document cheap to index.
_Node = tuple[int, int, int, int, "list[Any] | dict[str, Any] | None"]


class _LineIndex:
    """Offsets of line starts, to turn an offset into (line, column) with one bisect."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(match.end() for match in _NEWLINE.finditer(text))

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


_NEWLINE = re.compile("\n")


class _Spans(Mapping[JsonPath, Span]):
    """A read-only mapping path -> Span; each Span is built when it is asked for.

    Subclasses say how to find a node: `_EagerSpans` holds the whole tree (built by the hand
    parser), `_LazySpans` reads one object or list of the (already valid) text at a time, the
    first time a path goes through it.
    """

    __slots__ = ("_line_index", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_index: _LineIndex | None = None

    @property
    def _lines(self) -> _LineIndex:
        if self._line_index is None:
            self._line_index = _LineIndex(self._text)
        return self._line_index

    def _root(self) -> _Node:
        raise NotImplementedError

    def _children(self, node: _Node) -> list[Any] | dict[str, Any] | None:
        raise NotImplementedError

    def _node(self, path: JsonPath) -> _Node | None:
        node = self._root()
        for part in path:
            children = self._children(node)
            if isinstance(children, dict):
                if not isinstance(part, str) or part not in children:
                    return None
                node = children[part]
            elif isinstance(children, list):
                if (
                    not isinstance(part, int)
                    or isinstance(part, bool)
                    or not 0 <= part < len(children)
                ):
                    return None
                node = children[part]
            else:
                return None
        return node

    def make(self, start: int, end: int, key: Span | None = None) -> Span:
        """The Span of text[start:end]."""
        line, column = self._lines.position(start)
        end_line, end_column = self._lines.position(end)
        return Span(line, column, end_line, end_column, start, end, key)

    def _span(self, node: _Node) -> Span:
        start, end, key_start, key_end, _ = node
        key = self.make(key_start, key_end) if key_start >= 0 else None
        return self.make(start, end, key)

    def span_of(self, path: JsonPath) -> Span | None:
        """The span at `path`, or None when there is no such value."""
        node = self._node(tuple(path))
        return None if node is None else self._span(node)

    def __getitem__(self, path: JsonPath) -> Span:
        span = self.span_of(path)
        if span is None:
            raise KeyError(path)
        return span

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._node(path) is not None

    def __iter__(self) -> Iterator[JsonPath]:
        pending: list[tuple[JsonPath, _Node]] = [((), self._root())]
        while pending:
            path, node = pending.pop()
            yield path
            children = self._children(node)
            if isinstance(children, dict):
                items = [((*path, key), child) for key, child in children.items()]
            elif isinstance(children, list):
                items = [((*path, index), child) for index, child in enumerate(children)]
            else:
                continue
            pending.extend(reversed(items))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _EagerSpans(_Spans):
    __slots__ = ("_count", "_tree")

    def __init__(self, text: str, tree: _Node, count: int, lines: _LineIndex | None) -> None:
        super().__init__(text)
        self._tree = tree
        self._count = count
        self._line_index = lines

    def _root(self) -> _Node:
        return self._tree

    def _children(self, node: _Node) -> list[Any] | dict[str, Any] | None:
        return node[4]

    def __len__(self) -> int:
        return self._count


_SKIP_PLAIN = re.compile(r'[^"\[\]{}]*+')
_SCALAR = re.compile(r"[^,\]} \t\n\r]*+")


class _LazySpans(_Spans):
    """Positions in text that is known to be valid JSON, read one container at a time."""

    __slots__ = ("_cache", "_repeats", "_tree")

    def __init__(self, text: str, start: int) -> None:
        super().__init__(text)
        self._tree: _Node = (start, -1, -1, -1, None)  # the end is found when first needed
        self._cache: dict[int, list[Any] | dict[str, Any]] = {}
        self._repeats: dict[int, list[tuple[str, int, int, int, int]]] = {}

    def duplicate_keys(self) -> tuple[DuplicateKey, ...]:
        """Every key repeated in an object, found by indexing every object and list."""
        found: list[DuplicateKey] = []
        pending: list[tuple[JsonPath, _Node]] = [((), self._tree)]
        while pending:
            path, node = pending.pop()
            children = self._children(node)
            if isinstance(children, dict):
                for key, first_start, first_end, key_start, key_end in self._repeats.get(
                    node[0], ()
                ):
                    found.append(
                        DuplicateKey(
                            path=(*path, key),
                            key=key,
                            first=self.make(first_start, first_end),
                            repeated=self.make(key_start, key_end),
                        )
                    )
                pending.extend(((*path, key), child) for key, child in children.items())
            elif isinstance(children, list):
                pending.extend(((*path, index), child) for index, child in enumerate(children))
        found.sort(key=lambda duplicate: duplicate.repeated.offset)
        return tuple(found)

    def _root(self) -> _Node:
        return self._tree

    def _span(self, node: _Node) -> Span:
        if node[1] < 0:
            node = self._tree = (node[0], self._skip_value(node[0]), -1, -1, None)
        return super()._span(node)

    def _skip_ws(self, pos: int) -> int:
        match = _WHITESPACE.match(self._text, pos)
        return pos if match is None else match.end()

    def _skip_value(self, pos: int) -> int:
        """The end of the value that starts at `pos`."""
        text = self._text
        char = text[pos]
        if char == '"':
            match = _STRING.match(text, pos)
            return pos + 1 if match is None else match.end()
        if char not in "[{":
            match = _SCALAR.match(text, pos)
            return pos + 1 if match is None else max(match.end(), pos + 1)
        depth = 0
        length = len(text)
        while pos < length:
            plain = _SKIP_PLAIN.match(text, pos)
            pos = plain.end() if plain is not None else pos
            if pos >= length:
                break
            char = text[pos]
            if char == '"':
                match = _STRING.match(text, pos)
                pos = pos + 1 if match is None else match.end()
                continue
            depth += 1 if char in "[{" else -1
            pos += 1
            if depth == 0:
                return pos
        return length

    def _children(self, node: _Node) -> list[Any] | dict[str, Any] | None:
        start = node[0]
        text = self._text
        if text[start] not in "[{":
            return None
        cached = self._cache.get(start)
        if cached is not None:
            return cached
        children: list[Any] | dict[str, Any]
        pos = self._skip_ws(start + 1)
        if text[start] == "[":
            items: list[_Node] = []
            while pos < len(text) and text[pos] != "]":
                end = self._skip_value(pos)
                items.append((pos, end, -1, -1, None))
                pos = self._skip_ws(end)
                if pos < len(text) and text[pos] == ",":
                    pos = self._skip_ws(pos + 1)
            children = items
        else:
            members: dict[str, _Node] = {}
            while pos < len(text) and text[pos] == '"':
                key_end = self._skip_value(pos)
                raw = text[pos + 1 : key_end - 1]
                key = json.loads(text[pos:key_end]) if "\\" in raw else raw
                value_start = self._skip_ws(self._skip_ws(key_end) + 1)  # past the ':'
                end = self._skip_value(value_start)
                if key in members:
                    first = members[key]
                    self._repeats.setdefault(start, []).append(
                        (key, first[2], first[3], pos, key_end)
                    )
                members[key] = (value_start, end, pos, key_end, None)
                pos = self._skip_ws(end)
                if pos < len(text) and text[pos] == ",":
                    pos = self._skip_ws(pos + 1)
            children = members
        self._cache[start] = children
        return children


# --- The parser -------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*+)(\.[0-9]++)?([eE][-+]?[0-9]++)?")
_NUMBER_TAIL = re.compile(r"[0-9A-Za-z_.+\-]")
_WORD = re.compile(r"[A-Za-z_]+")
_SPACE_CHARS = frozenset(" \t\n\r")
_NUMBER_START = frozenset("-0123456789")
_VALUE_START = frozenset('"{[-0123456789tfn')
_HEX = frozenset("0123456789abcdefABCDEF")


class _Errors:
    """Builds learner-friendly `JsonSyntaxError`s; only used once something is wrong."""

    def __init__(self, text: str, lines: _LineIndex) -> None:
        self.text = text
        self.length = len(text)
        self.lines = lines

    def fail(self, message: str, offset: int) -> JsonSyntaxError:
        line, column = self.lines.position(min(offset, self.length))
        return JsonSyntaxError(message, line, column, offset=offset)

    def describe(self, offset: int) -> str:
        """The text at `offset`, quoted for a message."""
        if offset >= self.length:
            return "the end of the text"
        char = self.text[offset]
        if char in "\n\r":
            return "the end of the line"
        return f"'{char}'"

    def unexpected_end(self, opener_offset: int | None) -> JsonSyntaxError:
        if opener_offset is None:
            return self.fail("Unexpected end of text: expected a value", self.length)
        opener = self.text[opener_offset]
        closer = "}" if opener == "{" else "]"
        line, column = self.lines.position(opener_offset)
        return self.fail(
            f"Unexpected end of text: the {opener} on line {line}, column {column} "
            f"is never closed with {closer}",
            self.length,
        )

    def bad_value(self, offset: int) -> JsonSyntaxError:
        text = self.text
        if offset >= self.length:
            return self.fail("Unexpected end of text: expected a value", offset)
        char = text[offset]
        if char == "'":
            return self.fail("Strings need double quotes (\"), not single quotes (')", offset)
        if char in "}]":
            return self.fail(f"Expected a value before '{char}'", offset)
        if char == ",":
            return self.fail("Expected a value before ','; is a value missing?", offset)
        if char == "/" and text.startswith(("//", "/*"), offset):
            return self.fail("JSON does not allow comments", offset)
        word = _WORD.match(text, offset, min(offset + 40, self.length))
        if word:
            found = word.group()
            lowered = found.lower()
            if lowered in ("true", "false", "null"):
                return self.fail(f"Write {lowered} in lower case: JSON is case-sensitive", offset)
            if lowered == "none":
                return self.fail("JSON writes an empty value as null, not None", offset)
            for literal in ("true", "false", "null"):
                if literal.startswith(lowered) or lowered.startswith(literal):
                    return self.fail(
                        f"Expected a value, found '{found}' (did you mean {literal}?)", offset
                    )
            return self.fail(
                f"Expected a value, found '{found}': text values need double quotes", offset
            )
        if char in "+.":
            return self.fail("Invalid number: a number starts with a digit or '-'", offset)
        if char == "-":
            return self.fail("Invalid number: '-' must be followed by a digit", offset)
        return self.fail(
            'Expected a value (a "string", a number, true, false, null, {...} or [...]), '
            f"found {self.describe(offset)}",
            offset,
        )

    def bad_number(self, start: int, end: int) -> JsonSyntaxError:
        text = self.text
        if end == start:
            return self.fail("Invalid number: '-' must be followed by a digit", start)
        if text.startswith(("0", "-0"), start) and end < self.length and text[end].isdigit():
            return self.fail("Invalid number: numbers cannot have leading zeros", start)
        return self.fail(f"Invalid number: unexpected {self.describe(end)} in a number", end)

    def bad_string(self, start: int) -> JsonSyntaxError:
        text = self.text
        index = start + 1
        while index < self.length:
            char = text[index]
            if char == '"':
                break
            if char == "\\":
                escape = text[index : index + 2]
                if escape == "\\u":
                    digits = text[index + 2 : index + 6]
                    if len(digits) < 4 or not all(d in _HEX for d in digits):
                        return self.fail(
                            "Invalid \\u escape in a string: it needs four hex digits", index
                        )
                    index += 6
                    continue
                if len(escape) == 2 and escape[1] in '"\\/bfnrt':
                    index += 2
                    continue
                return self.fail(
                    f"Invalid escape {escape!r} in a string (write \\\\ for a backslash)", index
                )
            if char in "\n\r":
                return self.fail(
                    'A string cannot run over the end of a line: is a closing " missing?', start
                )
            if char < " ":
                return self.fail(
                    "Control characters (such as tabs) must be escaped in a string", index
                )
            index += 1
        return self.fail('Unexpected end of text: a string is missing its closing "', start)

    def bad_key(self, offset: int, closer: str) -> JsonSyntaxError:
        text = self.text
        if offset >= self.length:
            return self.fail(
                f"Unexpected end of text: expected a key in double quotes or '{closer}'", offset
            )
        char = text[offset]
        if char == "'":
            return self.fail("Keys need double quotes (\"), not single quotes (')", offset)
        if char == "/" and text.startswith(("//", "/*"), offset):
            return self.fail("JSON does not allow comments", offset)
        if char == '"':
            return self.bad_string(offset)
        return self.fail(f"Expected a key in double quotes, found {self.describe(offset)}", offset)

    def bad_colon(self, key: str, offset: int) -> JsonSyntaxError:
        if offset >= self.length:
            return self.fail(
                f"Unexpected end of text: expected ':' after the key \"{key}\"", offset
            )
        return self.fail(
            f"Expected ':' after the key \"{key}\", found {self.describe(offset)}", offset
        )

    def bad_separator(self, offset: int, *, in_object: bool) -> JsonSyntaxError:
        char = self.text[offset]
        if in_object:
            hint = " (is a ',' missing between two members?)" if char == '"' else ""
            if char == "]":
                hint = " (a { was closed with ])"
            return self.fail(
                f"Expected ',' or '}}' after a value, found {self.describe(offset)}{hint}", offset
            )
        hint = " (is a ',' missing between two values?)" if char in _VALUE_START else ""
        if char == "}":
            hint = " (a [ was closed with })"
        return self.fail(
            f"Expected ',' or ']' after a value in a list, found {self.describe(offset)}{hint}",
            offset,
        )

    def trailing_data(self, offset: int) -> JsonSyntaxError:
        extra = " (only one top-level value is allowed)" if self.text[offset] in "{[" else ""
        return self.fail(
            f"Unexpected text after the end of the JSON value: {self.describe(offset)}{extra}",
            offset,
        )


def _parse(
    text: str, lines: _LineIndex
) -> tuple[Any, _Node, int, list[tuple[JsonPath, str, int, int, int, int]]]:
    """The value, its position tree, the number of values, and the repeated keys.

    One loop over the text with an explicit stack: every local below is the state of the
    innermost open object or list, and `stack` holds the same state for the ones around it.
    """
    length = len(text)
    errors = _Errors(text, lines)
    skip_ws = _WHITESPACE.match
    match_string = _STRING.match
    match_number = _NUMBER.match
    spaces = _SPACE_CHARS
    loads = json.loads
    duplicates: list[tuple[JsonPath, str, int, int, int, int]] = []

    pos = 1 if text.startswith("\ufeff") else 0
    if pos < length and text[pos] in spaces:
        pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
    if pos >= length:
        raise errors.fail("The text is empty: a policy is a JSON object, { ... }", pos)

    # State of the innermost open container (None at the top level).
    stack: list[tuple[Any, ...]] = []
    in_object = False
    container: Any = None
    children: Any = None
    start = -1  # where the open container starts
    # Where the value about to be read sits in its parent.
    key: str = ""
    key_start = key_end = -1
    count = 0
    value: Any
    node: _Node

    while True:
        # ---- one value at pos
        if pos >= length:
            raise errors.unexpected_end(start if start >= 0 else None)
        char = text[pos]
        if char == '"':
            match = match_string(text, pos)
            if match is None:
                raise errors.bad_string(pos)
            end = match.end()
            value = text[pos + 1 : end - 1]
            if "\\" in value:
                value = loads(text[pos:end])
            node = (pos, end, key_start, key_end, None)
        elif char == "{" or char == "[":
            if len(stack) >= MAX_DEPTH:
                raise errors.fail(
                    f"The JSON is nested too deeply (more than {MAX_DEPTH} levels of "
                    "{ } and [ ])",
                    pos,
                )
            stack.append((in_object, container, children, start, key, key_start, key_end))
            in_object = char == "{"
            container = {} if in_object else []
            children = {} if in_object else []
            start = pos
            pos += 1
            if pos < length and text[pos] in spaces:
                pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
            closer = "}" if in_object else "]"
            if pos < length and text[pos] == closer:
                end = pos + 1
                value = container
                _, _, _, _, _, key_start, key_end = stack[-1]
                node = (start, end, key_start, key_end, children)
                in_object, container, children, start, key, key_start, key_end = stack.pop()
            elif in_object:
                match = match_string(text, pos) if pos < length and text[pos] == '"' else None
                if match is None:
                    raise errors.bad_key(pos, "}")
                key_start, key_end = pos, match.end()
                key = text[pos + 1 : key_end - 1]
                if "\\" in key:
                    key = loads(text[pos:key_end])
                pos = key_end
                if pos < length and text[pos] in spaces:
                    pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
                if pos >= length or text[pos] != ":":
                    raise errors.bad_colon(key, pos)
                pos += 1
                if pos < length and text[pos] in spaces:
                    pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
                continue
            else:
                key_start = key_end = -1
                continue
        elif char in _NUMBER_START:
            match = match_number(text, pos)
            end = pos if match is None else match.end()
            if match is None or (end < length and _NUMBER_TAIL.match(text, end)):
                raise errors.bad_number(pos, end)
            token = match.group()
            if match.group(1) is None and match.group(2) is None:
                try:
                    value = int(token)
                except ValueError:
                    raise errors.fail("This number is too long", pos) from None
            else:
                value = float(token)
            node = (pos, end, key_start, key_end, None)
        elif char == "t" and text.startswith("true", pos):
            value, end = True, pos + 4
            node = (pos, end, key_start, key_end, None)
        elif char == "f" and text.startswith("false", pos):
            value, end = False, pos + 5
            node = (pos, end, key_start, key_end, None)
        elif char == "n" and text.startswith("null", pos):
            value, end = None, pos + 4
            node = (pos, end, key_start, key_end, None)
        else:
            raise errors.bad_value(pos)

        # ---- attach the finished value; close every container that ends right after it
        while True:
            count += 1
            pos = end
            if pos < length and text[pos] in spaces:
                pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
            if container is None:
                if pos < length:
                    raise errors.trailing_data(pos)
                return value, node, count, duplicates
            if in_object:
                if key in children:
                    path = (*_stack_path(stack), key)
                    first = children[key]
                    duplicates.append((path, key, first[2], first[3], key_start, key_end))
                container[key] = value
                children[key] = node
            else:
                container.append(value)
                children.append(node)
            if pos >= length:
                raise errors.unexpected_end(start)
            char = text[pos]
            if char == ",":
                pos += 1
                if pos < length and text[pos] in spaces:
                    pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
                if in_object:
                    match = match_string(text, pos) if pos < length and text[pos] == '"' else None
                    if match is None:
                        if pos < length and text[pos] == "}":
                            raise errors.fail("Trailing comma before }: remove the last ','", pos)
                        raise errors.bad_key(pos, "}")
                    key_start, key_end = pos, match.end()
                    key = text[pos + 1 : key_end - 1]
                    if "\\" in key:
                        key = loads(text[pos:key_end])
                    pos = key_end
                    if pos < length and text[pos] in spaces:
                        pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
                    if pos >= length or text[pos] != ":":
                        raise errors.bad_colon(key, pos)
                    pos += 1
                    if pos < length and text[pos] in spaces:
                        pos = skip_ws(text, pos).end()  # type: ignore[union-attr]
                elif pos < length and text[pos] == "]":
                    raise errors.fail("Trailing comma before ]: remove the last ','", pos)
                break
            if char == ("}" if in_object else "]"):
                end = pos + 1
                value = container
                outer = stack.pop()
                node = (start, end, outer[5], outer[6], children)
                in_object, container, children, start, key, key_start, key_end = outer
                continue
            raise errors.bad_separator(pos, in_object=in_object)


def _stack_path(stack: list[tuple[Any, ...]]) -> JsonPath:
    """The path of the innermost open container, rebuilt from the saved parent states."""
    path: list[str | int] = []
    for index, (in_object, _container, children, _start, key, *_rest) in enumerate(stack):
        if index == 0:
            continue  # the top-level state: nothing sits above the root
        path.append(key if in_object else len(children))
    return tuple(path)


def parse_document(text: str) -> ParsedJson:
    """Parse `text`; return the value, its spans and any repeated keys. Raises JsonSyntaxError.

    Valid JSON is read by the standard library's C parser (fast on a megabyte), checked for
    nesting depth, and indexed lazily. For text that is not JSON, the C parser's error position
    is turned into a message a learner can act on.
    """
    start = 1 if text.startswith("\ufeff") else 0
    repeated = False

    def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        result = dict(pairs)
        if len(result) != len(pairs):
            repeated = True
        return result

    try:
        value = json.loads(
            text[start:] if start else text,
            object_pairs_hook=pairs_to_dict,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as error:
        raise _explain(text, error.msg, error.pos + start) from None
    except RecursionError:
        raise _depth_error(text) from None
    except ValueError:  # NaN/Infinity, or an integer too long to convert
        raise _constant_error(text) from None
    if _too_deep(text):
        raise _depth_error(text)
    if has_lone_surrogate(text, value):
        offset = _surrogate_offset(text)
        line, column = _LineIndex(text).position(offset)
        raise JsonSyntaxError(
            "This text holds half of a UTF-16 surrogate pair (such as \\ud800), which is not a "
            "character: remove it or write the whole character",
            line,
            column,
            offset=offset,
        )
    root = _WHITESPACE.match(text, start)
    spans = _LazySpans(text, root.end() if root is not None else start)
    duplicates = spans.duplicate_keys() if repeated else ()
    return ParsedJson(value=value, spans=spans, duplicate_keys=duplicates)


def _full_parse(text: str) -> ParsedJson:
    lines = _LineIndex(text)
    value, tree, count, duplicates = _parse(text, lines)
    spans = _EagerSpans(text, tree, count, lines)
    repeated = tuple(
        DuplicateKey(
            path=path,
            key=key,
            first=spans.make(first_start, first_end),
            repeated=spans.make(key_start, key_end),
        )
        for path, key, first_start, first_end, key_start, key_end in duplicates
    )
    return ParsedJson(value=value, spans=spans, duplicate_keys=repeated)


_STRUCTURE = re.compile(r'"(?:[^"\\\n\r]|\\.)*+"|[\[\]{}]')
_LOOSE_STRING = re.compile(r'"(?:[^"\\\n\r]|\\.)*+"?')


def _open_brackets(text: str, stop: int) -> list[int]:
    """Offsets of the `{` and `[` still open at `stop`, in valid JSON text before `stop`."""
    stack: list[int] = []
    for match in _STRUCTURE.finditer(text, 0, stop):
        char = text[match.start()]
        if char in "[{":
            stack.append(match.start())
        elif char in "]}" and stack:
            stack.pop()
    return stack


def _string_start(text: str, pos: int) -> int | None:
    """Start of the string that contains `pos` (strings never span lines), if any."""
    index = text.rfind("\n", 0, pos) + 1
    while True:
        quote = text.find('"', index, pos + 1)
        if quote < 0:
            return None
        match = _LOOSE_STRING.match(text, quote)
        end = match.end() if match is not None else quote + 1
        closed = end - quote >= 2 and text[end - 1] == '"'
        if end > pos or (not closed and end >= pos):
            return quote
        index = end


def _previous_char(text: str, pos: int) -> tuple[int, str]:
    index = pos - 1
    while index >= 0 and text[index] in _SPACE_CHARS:
        index -= 1
    return index, (text[index] if index >= 0 else "")


def _explain(text: str, message: str, pos: int) -> JsonSyntaxError:
    """A learner's message for the C parser's error `message` at offset `pos`."""
    errors = _Errors(text, _LineIndex(text))
    length = len(text)
    if not text.strip(" \t\n\r\ufeff"):
        return errors.fail("The text is empty: a policy is a JSON object, { ... }", 0)
    if message.startswith("Unterminated string"):
        return errors.bad_string(pos)
    if message.startswith(("Invalid control character", "Invalid \\escape", "Invalid \\u")):
        begin = _string_start(text, pos)
        return errors.bad_string(begin if begin is not None else pos)
    if message.startswith("Extra data"):
        return _number_error(text, pos, errors) or errors.trailing_data(pos)
    if message.startswith("Illegal trailing comma"):
        closer = "}" if "object" in message else "]"
        return errors.fail(f"Trailing comma before {closer}: remove the last ','", pos)
    before, previous = _previous_char(text, pos)
    opened = _open_brackets(text, min(pos, length))
    innermost = opened[-1] if opened else None
    if pos >= length:
        return errors.unexpected_end(innermost)
    char = text[pos]
    if message.startswith("Expecting ':'"):
        begin = _string_start(text, before) if previous == '"' else None
        key = text[begin + 1 : before] if begin is not None else "?"
        return errors.bad_colon(key, pos)
    if message.startswith("Expecting property name"):
        if char == "}" and previous == ",":
            return errors.fail("Trailing comma before }: remove the last ','", pos)
        return errors.bad_key(pos, "}")
    if message.startswith("Expecting ','"):
        number = _number_error(text, pos, errors)
        if number is not None:
            return number
        in_object = innermost is not None and text[innermost] == "{"
        return errors.bad_separator(pos, in_object=in_object)
    if message.startswith("Expecting value"):
        if char in "]}" and previous == ",":
            expected = "}" if innermost is not None and text[innermost] == "{" else "]"
            if char == expected:
                return errors.fail(f"Trailing comma before {char}: remove the last ','", pos)
            opener = "{" if expected == "}" else "["
            return errors.fail(
                f"Expected a value after ',', found '{char}' (a {opener} was closed with {char})",
                pos,
            )
        return errors.bad_value(pos)
    try:  # a message this code does not know: let the hand-written parser describe it
        _full_parse(text)
    except JsonSyntaxError as error:
        return error
    return errors.fail(message, pos)


_NOT_JSON_NUMBER = re.compile(r'"(?:[^"\\\n\r]|\\.)*+"|(-?Infinity|NaN|-?[0-9]{4000,})')


def _constant_error(text: str) -> JsonSyntaxError:
    """The error for NaN, Infinity or an integer too long to read, which json.loads rejects."""
    errors = _Errors(text, _LineIndex(text))
    for match in _NOT_JSON_NUMBER.finditer(text):
        found = match.group(1)
        if found is None:
            continue
        if found[-1].isdigit():
            return errors.fail("This number is too long", match.start(1))
        return errors.fail(f"{found.lstrip('-')} is not a JSON value", match.start(1))
    try:
        _full_parse(text)
    except JsonSyntaxError as error:
        return error
    return errors.fail("This is not valid JSON", 0)


def _number_error(text: str, pos: int, errors: _Errors) -> JsonSyntaxError | None:
    """The error for a number that goes on where the C parser stopped reading it (`1.2.3`)."""
    if pos == 0 or pos >= len(text) or not _NUMBER_TAIL.match(text, pos):
        return None
    if not (text[pos - 1].isdigit() or text[pos - 1] in ".eE+-"):
        return None
    begin = pos - 1
    while begin > 0 and (text[begin - 1].isdigit() or text[begin - 1] in ".eE+-"):
        begin -= 1
    return errors.bad_number(begin, pos)


def _depth_error(text: str) -> JsonSyntaxError:
    """The error for text nested more than MAX_DEPTH deep, at the first bracket too deep."""
    depth = 0
    for match in _STRUCTURE.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _Errors(text, _LineIndex(text)).fail(
                    f"The JSON is nested too deeply (more than {MAX_DEPTH} levels of "
                    "{ } and [ ])",
                    match.start(),
                )
        elif char in "]}":
            depth -= 1
    return JsonSyntaxError(
        f"The JSON is nested too deeply (more than {MAX_DEPTH} levels of {{ }} and [ ])", 1, 1
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_BRACKET_FREE = re.compile(r"[^\[\]{}]++")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def _too_deep(text: str) -> bool:
    """Whether valid JSON `text` nests deeper than MAX_DEPTH, found without a Python loop per value.

    With strings and everything else but brackets removed, each pass deletes the innermost
    pairs; a document of depth d is empty after exactly d passes.
    """
    brackets = _BRACKET_FREE.sub("", _STRING.sub("", text))
    if len(brackets) <= 2 * MAX_DEPTH:
        return False
    for _ in range(MAX_DEPTH):
        brackets = _INNERMOST_PAIR.sub("", brackets)
        if not brackets:
            return False
    return True
