"""What a workspace action did: one `Outcome` for every action (a check, a hint, an answer, a
reset, each console form), and the `Status` the page shows for it.

An action (lessons.actions) returns an Outcome; the workspace view turns it into a response:
a redirect and the status again after it without JavaScript, the regions it names with htmx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lessons.terminal import Echo
    from lessons.whatif import Preview
    from simulator.iam.findings import Finding

STATUS_ICONS = {"done": "✔", "failed": "✖", "mixed": "⚠", "problem": "⚠", "info": "ℹ"}


@dataclass(frozen=True, slots=True)
class Status:
    """What the last action did, for the status region: words, an icon, AWS's error if any.

    `kind`: done (it worked), failed (AWS refused, or a check did not pass, or every call of a
    fleet run failed), mixed (it ran, and some of its calls failed: a fleet run), problem (the
    input could not be used: nothing was sent), info (nothing to do).

    `secret` is a value AWS shows only this once (a new key's secret access key): the page
    gives it a read-only field to select and copy."""

    kind: str
    message: str
    error_code: str = ""
    error_message: str = ""
    secret: str = ""

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.kind]


class Region(StrEnum):
    """What an htmx answer re-renders (the rest of the page is unchanged)."""

    STEP = "step"  # the step panel (a check, a hint, an answer)
    CONSOLE = "console"  # the console and the activity log (a console action)
    TERMINAL = "terminal"  # the terminal's new lines, the log (and the console if it changed)
    WORKSPACE = "workspace"  # everything (a reset)
    STATUS = "status"  # the status line alone


@dataclass(slots=True)
class Outcome:
    """What an action did, and what the page should show next.

    `anchor` is where a page without JavaScript lands after the redirect; `query` is added to
    that redirect; `scroll_to` is brought into view after an htmx swap; `focus` is the DOM id
    of what takes the keyboard's focus after it, where the swap removed the control that had
    it (an answered question's form). `show_again` answers a form without JavaScript with the
    page at once instead of a redirect, so nothing typed is lost (a refused call, a preview).
    `world_changed` tells the page's listeners (the log's refresh) that the world is not what
    it was.

    A console form also gets back: `form`, the DOM id of the form that was posted, and `draft`,
    what was typed in it (shown again beside it); `findings` and `preview` of a policy editor;
    `answer`, what AWS returned worth showing (an object's text); and `partial`, the name of a
    `lessons/_console.html` partial that answers an htmx request on its own (the findings as
    you type), with `partial_context`.

    A terminal command gets back `echo`: the lines it added to its place's transcript.
    """

    status: Status
    region: Region = Region.STATUS
    anchor: str = "status"
    world_changed: bool = False
    show_again: bool = False
    query: dict[str, str] = field(default_factory=dict)
    scroll_to: str | None = None
    focus: str | None = None
    form: str | None = None
    draft: dict[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] | None = None
    preview: Preview | None = None
    answer: str | None = None
    partial: str | None = None
    partial_context: dict[str, Any] = field(default_factory=dict)
    echo: Echo | None = None

    @property
    def ok(self) -> bool:
        return self.status.kind in ("done", "info")
