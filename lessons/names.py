"""Display names in a class: cleaned as typed, and compared as a reader would compare them.

Two names are the same name when they read the same on the dashboard: "élodie" and "Élodie"
(case), "Ｓａｍ" and "Sam" (full-width forms: Unicode NFKC), "Ѕam" and "Sam" (a Cyrillic letter
that looks like a Latin one). `name_key` folds all three, in the manner of Unicode Technical
Standard #39's skeleton: NFKC, case-folded, and each character that is confusable with a single
ASCII character replaced by it. The confusables come from the `confusable_homoglyphs` package
(Unicode's confusables.txt as data); only the single-character ASCII targets are kept, a small
table built on the first join rather than the package's 9 MB of dictionaries.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cache
from importlib import resources

DISPLAY_NAME_MAX = 40  # as typed; a number may be added to make it unique in the class
NAME_KEY_MAX = 120  # the column's width; a key is a 64-character digest


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts names as people do: key-2 before key-10, case aside (the console's lists)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def clean_name(raw: str) -> str:
    """A name as shown: printable characters only, runs of spaces made one, at most 40."""
    printable = "".join(char for char in raw if char.isprintable())
    return " ".join(printable.split())[:DISPLAY_NAME_MAX]


def clean_text(raw: str, *, lines: bool = False) -> str:
    """A class's title or message as shown: printable characters only, so nothing typed can
    turn the text around it (U+202E RIGHT-TO-LEFT OVERRIDE reversed a learner's personal code
    in the welcome line), hide itself (zero-width characters) or move the cursor; with `lines`,
    its line breaks are kept. Surrounding spaces go."""
    kept = "".join(char for char in raw if char.isprintable() or (lines and char == "\n"))
    return kept.strip()


# Characters that print nothing yet change how text around them reads: C0/C1 controls (not tab
# or newline), the bidirectional marks, embeddings, overrides and isolates, and the zero-width
# ones. One class, no repetition inside: linear on any input.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def visible(text: str) -> str:
    """`text` with each invisible control shown as its code point (report⟨U+202E⟩fdp.exe): for
    what AWS lets anyone name as they like (an S3 key) and the activity log shows as it is."""
    if text.isprintable():  # every one of them is unprintable: most text returns here, in C
        return text
    return _INVISIBLE.sub(lambda found: f"⟨U+{ord(found.group()):04X}⟩", text)


@cache
def _ascii_lookalikes() -> dict[str, str]:
    """Each non-ASCII character that looks like one ASCII character, mapped to it."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii():
            continue
        targets = sorted(
            entry["c"] for entry in entries if len(entry["c"]) == 1 and entry["c"].isascii()
        )
        # Prefer a letter or digit: "ǀ" looks like "l" and "|", and names are letters.
        letters = [target for target in targets if target.isalnum()]
        if letters or targets:
            table[char] = (letters or targets)[0]
    return table


def name_key(name: str) -> str:
    """What makes two names the same in a class: NFKC, case-folded, look-alikes folded, as a
    digest. Never cut short: NFKC makes some characters 18 (one "ﷺ" is 18 letters), and two
    keys cut to one width would make "ﷺ…" and "ﷺ… 2" the same name."""
    lookalikes = _ascii_lookalikes()

    def fold(text: str) -> str:
        return "".join(lookalikes.get(char, char) for char in text)

    # Folded before and after case-folding: Greek "Μ" looks like "M", its lower case "μ" does
    # not look like "m".
    folded = fold(unicodedata.normalize("NFKC", name)).casefold()
    skeleton = unicodedata.normalize("NFKC", fold(folded))
    return hashlib.sha256(skeleton.encode("utf-8", "surrogatepass")).hexdigest()
