"""Matching `*` and `?` patterns in time bounded by the text's length times the pattern's.

Policies are written by learners, so their wildcards must never become a backtracking regular
expression: `*a*a*a…*b` against `aaaa…` runs for minutes in `re.fullmatch` (issue 9). Here a
pattern is cut at its stars into parts of literal characters and `?`. The first part must match
at the start of the text, the last at its end, and each part between at its leftmost place
after the one before. Taking the leftmost place is never wrong when every star may match any
run, as it leaves the most room for the parts after it. Each part is looked for once, from
where the one before ended, with `str.find` (or, for a part holding `?`, a regular expression
of literals and `.` only, which has nothing to backtrack over).

- `Glob`: `*` any run of characters and `?` any one, anywhere (StringLike, EC2 filters).
- `SegmentedGlob`: a pattern whose wildcards stay inside colon-separated segments, each segment
  a `Glob`: an action (`s3:Get*`), or an ARN, whose sixth segment (the resource) may hold
  colons and whose wildcards reach across them (see `matching.py` for AWS's rules).

Text from a policy variable (`${aws:username}`, `${*}`) is literal: patterns are given as
chunks of (text, wildcards_active), as `matching.resolve_pieces` returns them. The common
shapes (no wildcard, one last `*`) are tested with one string comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

__all__ = [
    "Chunks",
    "Glob",
    "SegmentedGlob",
    "Shape",
    "action_glob",
    "arn_glob",
    "glob",
    "glob_from_chunks",
    "has_wildcard",
]

Chunks = tuple[tuple[str, bool], ...]
"""A pattern as chunks of (text, wildcards_active): False for a substituted variable."""


class Shape(Enum):
    """What a pattern looks like, which decides the cheapest test that answers for it."""

    EXACT = "no wildcard"
    PREFIX = "text, then one star at the end"
    SUFFIX = "one star, then text"
    ANYTHING = "stars only"
    PLAIN = "text between stars"
    GENERAL = "anything else: for a Glob, one with `?` or compared without case"


_EXACT, _PREFIX, _SUFFIX, _ANYTHING, _PLAIN = (
    Shape.EXACT,
    Shape.PREFIX,
    Shape.SUFFIX,
    Shape.ANYTHING,
    Shape.PLAIN,
)

_ANY = None  # a `?` among a part's characters


def has_wildcard(text: str) -> bool:
    """Whether `text` holds a `*` or a `?`."""
    return "*" in text or "?" in text


@dataclass(frozen=True, slots=True)
class Glob:
    """A pattern in which `*` matches any run of characters and `?` any one character.

    `head`, `middle` and `tail` are the parts before the first star, between stars (none
    empty) and after the last; without a star, `head` is the whole pattern. A `?` stands as
    itself in them, so that their lengths are right; GENERAL patterns are matched with
    `regexes`, the same parts as expressions of literals and `.`.
    """

    shape: Shape
    head: str
    middle: tuple[str, ...]
    tail: str
    length: int  # the shortest text that can match: every character but the stars
    starred: bool
    regexes: tuple[re.Pattern[str], ...]  # GENERAL: head, middle parts, tail

    def matches(self, text: str) -> bool:
        """Whether the pattern matches all of `text`."""
        shape = self.shape
        if shape is _PREFIX:
            return text.startswith(self.head)
        if shape is _EXACT:
            return text == self.head
        if shape is _ANYTHING:
            return True
        if shape is _SUFFIX:
            return text.endswith(self.tail)
        return self.matches_span(text, 0, len(text))

    def matches_span(self, text: str, start: int, end: int) -> bool:
        """Whether the pattern matches all of `text[start:end]` (without copying it)."""
        shape = self.shape
        if shape is _PREFIX:
            return text.startswith(self.head, start, end)
        if shape is _EXACT:
            return end - start == self.length and text.startswith(self.head, start)
        if shape is _ANYTHING:
            return True
        if shape is _SUFFIX:
            return text.endswith(self.tail, start, end)
        if end - start < self.length or (not self.starred and end - start != self.length):
            return False
        if shape is _PLAIN:
            head, tail = self.head, self.tail
            if not text.startswith(head, start) or not text.endswith(tail, start, end):
                return False
            position, stop = start + len(head), end - len(tail)
            for part in self.middle:
                position = text.find(part, position, stop)
                if position < 0:
                    return False
                position += len(part)
            return True
        regexes = self.regexes
        if regexes[0].match(text, start, end) is None:
            return False
        if not self.starred:
            return True
        stop = end - len(self.tail)
        if regexes[-1].match(text, stop, end) is None:
            return False
        position = start + len(self.head)
        for regex in regexes[1:-1]:
            found = regex.search(text, position, stop)
            if found is None:
                return False
            position = found.end()
        return True


def _regex(part: list[str | None], ignore_case: bool) -> re.Pattern[str]:
    body = "".join("." if char is _ANY else re.escape(char) for char in part)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=4096)
def glob_from_chunks(chunks: Chunks, *, ignore_case: bool = False) -> Glob:
    """Compile a pattern given as chunks; `ignore_case` compares as `re.IGNORECASE` does."""
    parts: list[list[str | None]] = [[]]
    for text, active in chunks:
        for char in text:
            if active and char == "*":
                parts.append([])
            elif active and char == "?":
                parts[-1].append(_ANY)
            else:
                parts[-1].append(char)
    kept = [parts[0], *(part for part in parts[1:-1] if part), parts[-1]] if parts[1:] else parts
    texts = ["".join("?" if char is _ANY else char for char in part) for part in kept]
    starred = len(parts) > 1
    head, tail = texts[0], (texts[-1] if starred else "")
    middle = tuple(texts[1:-1])
    length = sum(len(text) for text in texts) if starred else len(head)
    cased = ignore_case and any(
        char is not None and (char.lower() != char or char.upper() != char)
        for part in kept
        for char in part
    )
    if cased or any(_ANY in part for part in kept):
        shape = Shape.GENERAL
    elif not starred:
        shape = _EXACT
    elif middle:
        shape = _PLAIN
    elif not head and not tail:
        shape = _ANYTHING
    elif not tail:
        shape = _PREFIX
    elif not head:
        shape = _SUFFIX
    else:
        shape = _PLAIN
    regexes = tuple(_regex(part, ignore_case) for part in kept) if shape is Shape.GENERAL else ()
    return Glob(shape, head, middle, tail, length, starred, regexes)


def glob(pattern: str, *, ignore_case: bool = False) -> Glob:
    """Compile a pattern whose every `*` and `?` is a wildcard."""
    return glob_from_chunks(((pattern, True),), ignore_case=ignore_case)


@dataclass(frozen=True, slots=True)
class SegmentedGlob:
    """A pattern matched segment by segment, each segment a `Glob`.

    EXACT patterns compare `text`; PREFIX ones (one wildcard, a last `*`) look for `text` at the
    start, then, unless the star reaches across colons, for no colon after it. Others look for
    their `lead`, the text before the first wildcard, which holds the segments before the first
    one with a wildcard; from there (`start`), each segment runs to the next colon, except that
    the last runs to the end when it may hold colons (an ARN's sixth), and may be followed by
    more segments when `open_end`.
    """

    shape: Shape
    text: str
    lead: str
    start: int
    inner: tuple[Glob | None, ...]  # the segments from the lead's last to the last (None: `*`)
    last: Glob
    last_holds_colons: bool
    open_end: bool  # fewer than six ARN segments and a last `*`: it reaches across the rest

    def matches(self, text: str) -> bool:
        """Whether the pattern matches all of `text`."""
        shape = self.shape
        if shape is _PREFIX:
            prefix = self.text
            if not text.startswith(prefix):
                return False
            return self.last_holds_colons or self.open_end or text.find(":", len(prefix)) < 0
        if shape is _EXACT:
            return text == self.text
        if not text.startswith(self.lead):
            return False
        start = self.start
        for segment in self.inner:
            end = text.find(":", start)
            if end < 0 or (segment is not None and not segment.matches_span(text, start, end)):
                return False
            start = end + 1
        if self.last_holds_colons:
            return self.last.matches_span(text, start, len(text))
        end = text.find(":", start)
        if end < 0:
            return self.last.matches_span(text, start, len(text))
        return self.open_end and self.last.matches_span(text, start, end)


def _split(chunks: Chunks, maxsplit: int) -> list[Chunks]:
    """The chunks cut at their first `maxsplit` colons, wherever those colons come from."""
    segments: list[list[tuple[str, bool]]] = [[]]
    for text, active in chunks:
        rest = text
        while len(segments) <= maxsplit and (colon := rest.find(":")) >= 0:
            segments[-1].append((rest[:colon], active))
            segments.append([])
            rest = rest[colon + 1 :]
        segments[-1].append((rest, active))
    return [tuple(segment) for segment in segments]


def _wildcards(chunks: Chunks) -> list[int]:
    """Where the active `*` and `?` are, as indexes into the pattern's text."""
    found: list[int] = []
    position = 0
    for text, active in chunks:
        if active:
            found.extend(position + index for index, char in enumerate(text) if char in "*?")
        position += len(text)
    return found


def _after_colons(text: str, count: int) -> int:
    """Where the text after its first `count` colons starts."""
    position = 0
    for _ in range(count):
        position = text.index(":", position) + 1
    return position


def _segmented(chunks: Chunks, maxsplit: int, *, reaching: bool) -> SegmentedGlob:
    """Cut at the first `maxsplit` colons. When `reaching`, the wildcards after them, and a
    last `*` of a pattern with fewer segments, match across colons; otherwise none does."""
    text = "".join(chunk for chunk, _ in chunks)
    segments = [glob_from_chunks(segment) for segment in _split(chunks, maxsplit)]
    wildcards = _wildcards(chunks)
    ends_in_star = bool(wildcards) and wildcards[-1] == len(text) - 1 and text[-1] == "*"
    last_holds_colons = reaching and len(segments) == maxsplit + 1
    if not wildcards:
        shape, pattern = _EXACT, text
    elif ends_in_star and len(wildcards) == 1:
        shape, pattern = _PREFIX, text[:-1]
    else:
        shape, pattern = Shape.GENERAL, text
    lead = text[: wildcards[0]] if wildcards else text
    first = min(lead.count(":"), len(segments) - 1)  # the segments before it are in the lead
    return SegmentedGlob(
        shape=shape,
        text=pattern,
        lead=lead,
        start=_after_colons(lead, first),
        inner=tuple(
            None if segment.shape is _ANYTHING else segment for segment in segments[first:-1]
        ),
        last=segments[-1],
        last_holds_colons=last_holds_colons,
        open_end=reaching and ends_in_star and not last_holds_colons,
    )


@lru_cache(maxsize=4096)
def arn_glob(chunks: Chunks) -> SegmentedGlob:
    """An ARN pattern: wildcards stay inside the first five segments, reach across colons in
    the sixth (the resource), and a last `*` of a pattern with fewer segments reaches across
    the rest."""
    return _segmented(chunks, 5, reaching=True)


@lru_cache(maxsize=4096)
def action_glob(pattern: str) -> SegmentedGlob:
    """An action pattern (`s3:Get*`): no wildcard matches a colon. Lower-case both sides to
    compare without case."""
    return _segmented(((pattern, True),), pattern.count(":"), reaching=False)
