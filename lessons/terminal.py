"""The workspace's terminal: where the learner is, what that place's shell shows, and the
`terminal-run` action.

`simulator.terminal` is the shell (places, their files and credential chains, the AWS CLI);
this module is the page's side of it: `panel` reads what the terminal region shows from the
loaded world, and `run` runs one command through `Attempt.apply`, so the transcript and
whatever the command did are saved together, under the attempt's owner and revision rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import QueryDict

from lessons.http import kept_query
from lessons.outcome import Outcome, Region, Status
from simulator import terminal
from simulator.terminal.shell import MAX_INPUT

if TYPE_CHECKING:
    from lessons.models import Attempt
    from simulator import World

__all__ = ["DEFAULT_PLACE", "MAX_COMMAND_CHARS", "Echo", "Panel", "panel", "run"]

DEFAULT_PLACE = "cloudshell"
MAX_COMMAND_CHARS = MAX_INPUT  # the shell's: a heredoc can carry a 20 KB bucket policy
MAX_SHOWN_COMMAND = 60  # characters of a command quoted back in a status message
FORM = "terminal-form"
# What the console shows of a world: a command that changed none of it leaves the console as it
# is (and whatever the learner was typing there). The terminal's own state is "places"; the
# events come with the log's own update.
CONSOLE_STATE = (
    "now",
    "users",
    "groups",
    "roles",
    "policies",
    "instance_profiles",
    "access_keys",
    "deletion_tasks",
    "instances",
    "buckets",
)


@dataclass(frozen=True, slots=True)
class Echo:
    """What one command added to its place's transcript, for an htmx answer that appends
    only that to the page's log (so a screen reader announces only the new lines).

    `cleared`: the command was `clear`, and the log is emptied instead. `console_changed`: the
    command changed what the console shows (a user created, a file written, credentials a
    place holds), so the console comes too."""

    place_id: str
    lines: tuple[str, ...]
    cleared: bool
    console_changed: bool


@dataclass(frozen=True, slots=True)
class Panel:
    """What the terminal region shows: the places to choose from, the chosen one's transcript,
    and what was typed (shown again when it could not be run)."""

    places: Sequence[terminal.Place]
    place: terminal.Place
    transcript: terminal.Transcript
    draft: str
    asked_for: str  # a place asked for that is not there (gone, or made up), else ""
    keep: tuple[tuple[str, str], ...]  # the page's other query parameters, for the chooser

    @property
    def rows(self) -> int:
        """The command line's height: one line, or what was typed (a heredoc) up to twelve."""
        return min(max(self.draft.count("\n") + 1, 1), 12)

    @property
    def max_chars(self) -> int:
        return MAX_COMMAND_CHARS

    @property
    def history(self) -> str:
        """The place's commands, oldest first, as JSON for the input's ↑ and ↓."""
        return json.dumps(list(self.transcript.history))


def panel(
    world: World,
    place_id: str = "",
    *,
    draft: str = "",
    query: Mapping[str, Any] | None = None,
) -> Panel:
    """The terminal region for `place_id` (CloudShell when it is empty or not a place)."""
    places = terminal.places(world)
    chosen = next((p for p in places if p.place_id == place_id), None)
    if chosen is None:
        chosen = next((p for p in places if p.place_id == DEFAULT_PLACE), places[0])
    return Panel(
        places=places,
        place=chosen,
        transcript=terminal.transcript(world, chosen.place_id),
        draft=draft,
        asked_for=place_id if place_id and place_id != chosen.place_id else "",
        keep=tuple(kept_query(query, without=("place", "reset"))),
    )


# --- Running a command -----------------------------------------------------------------------


def run(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    """Run the posted `command` in the posted `place`, and save what it did."""
    place_id = str(data.get("place", "") or "")
    text = str(data.get("command", "") or "").replace("\r\n", "\n")
    draft = {"command": text[:MAX_COMMAND_CHARS], "place": place_id[:200]}
    if len(text) > MAX_COMMAND_CHARS:
        message = f"That command is {len(text):,} characters long; the terminal takes at most {MAX_COMMAND_CHARS:,}. Nothing was run."  # fmt: skip
        return _refused(message, place_id, draft)
    places = {place.place_id: place for place in terminal.places(attempt.load_world())}
    place = places.get(place_id)
    if place is None:
        shown = place_id[:MAX_SHOWN_COMMAND] or "nowhere"
        message = f"There is no place “{shown}” to run a command in (an instance that stopped, or a page from before a reset). Choose where you are from the list, then run it again."  # fmt: skip
        return _refused(message, "", draft)
    if not text.strip():
        return _refused("Type a command to run, then press Run.", place_id, draft, kind="info")
    before = attempt.world
    before_lines = terminal.transcript(attempt.load_world(), place_id).lines

    def command(world: World) -> tuple[terminal.Ran, list[str]]:
        ran = terminal.run(world, place_id, text)
        return ran, list(terminal.transcript(world, place_id).lines)

    ran, after_lines = attempt.apply(command)
    echo = Echo(
        place_id=place_id,
        lines=added_lines(before_lines, after_lines),
        cleared=ran.cleared,
        console_changed=console_changed(before, attempt.world),
    )
    first = text.split("\n", 1)[0]
    shown = first[:MAX_SHOWN_COMMAND] + ("…" if len(first) > MAX_SHOWN_COMMAND else "")
    said = f"Ran “{shown}” in {place.label}: exit status {ran.status}."
    return Outcome(
        Status("done" if ran.status == 0 else "failed", said),
        Region.TERMINAL,
        "terminal",
        world_changed=True,
        query={"place": place_id},
        form=FORM,
        echo=echo,
    )


def _refused(
    message: str, place_id: str, draft: dict[str, str], *, kind: str = "problem"
) -> Outcome:
    """Nothing was run or saved: say why; without JavaScript the page comes back at once with
    what was typed (a redirect would lose it); with htmx only the status changes."""
    return Outcome(
        Status(kind, message),
        Region.STATUS,
        "terminal",
        show_again=True,
        query={"place": place_id} if place_id else {},
        form=FORM,
        draft=draft,
    )


def added_lines(before: Sequence[str], after: Sequence[str]) -> tuple[str, ...]:
    """The lines a command added to a transcript that keeps only its last lines.

    While under the limit, what follows the old lines. At the limit the oldest lines fell off:
    the fewest new lines `n` (a command adds one at least, its prompt) with
    `before[n:] == after[:-n]`. (Lines that repeat with a period
    may make `n` smaller than what was printed; the page then shows the same last lines.)"""
    if len(after) > len(before) and list(after[: len(before)]) == list(before):
        return tuple(after[len(before) :])
    for count in range(1, len(after) + 1):
        if list(before[count:]) == list(after[: len(after) - count]):
            return tuple(after[len(after) - count :])
    return tuple(after)


def console_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a command changed what the console shows (two saved worlds, as JSON): the
    account, or what credentials a place holds (its files, environment, exported names)."""
    if any(before.get(name) != after.get(name) for name in CONSOLE_STATE):
        return True
    return _held_inputs(before) != _held_inputs(after)


def _held_inputs(world: Mapping[str, Any]) -> dict[str, Any]:
    """What the credentials each place holds are read from (a place never used is empty)."""
    found = {}
    for place_id, place in (world.get("places") or {}).items():
        if not isinstance(place, Mapping):
            continue
        inputs = (
            place.get("files") or {},
            place.get("env") or {},
            (place.get("terminal") or {}).get("exported") or {},
        )
        if any(inputs):
            found[place_id] = inputs
    return found
