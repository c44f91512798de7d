"""What a scenario file says, as frozen values: its setup, steps, checks, questions, solution.

`loader.py` builds these from YAML; each keeps the line it came from, for problems and for the
classroom's "most common failing check".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ADMIN_ACTOR = "admin"
"""A probe's or an action's `as:` when it acts as the account's admin (the default)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a setup or solution does: an API call, or a fact no API sets."""

    kind: str  # "call", "terminal" (a command line in a place), or one of run.FACTS
    data: Mapping[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class Probe:
    actor: Any  # ADMIN_ACTOR | {"instance": name} | {"key": var}: never a thief (see checks.py)
    service: str
    operation: str
    params: Mapping[str, Any]
    # What the probe may give: "Allowed", an error code such as "AccessDenied", or "Denied"
    # (any of the codes a denial gives: see checks.DENIAL_CODES); several means any of them.
    expect: tuple[str, ...]
    line: int
    says: str = ""  # what it checks, for the learner (optional; made up if absent)
    # Names to keep from an allowed probe's response for the probes after it, as `save` does
    # in a setup call: name -> dotted path in the response ("Credentials").
    save: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str  # one of checks.CONDITIONS
    args: Mapping[str, Any]
    line: int
    says: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    text: str  # Markdown
    hints: tuple[str, ...]
    probes: tuple[Probe, ...]
    conditions: tuple[Condition, ...]
    explanation: str  # shown once passed (Markdown)
    line: int


@dataclass(frozen=True, slots=True)
class Place:
    """A place outside AWS the scenario adds to the terminal ("launcher's laptop").

    Its files and environment may hold `{var:…}` placeholders, filled in after setup.
    """

    id: str
    label: str
    files: Mapping[str, str]  # path ("~/.aws/credentials") -> text
    env: Mapping[str, str]
    line: int


@dataclass(frozen=True, slots=True)
class Option:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    prompt: str
    options: tuple[Option, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Scenario:
    slug: str
    title: str
    summary: str
    outcomes: tuple[str, ...]  # "what you will learn"
    minutes: int
    level: str
    order: int
    setup: tuple[Action, ...]
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    solution: Mapping[str, tuple[Action, ...]]  # step id -> actions
    file: str
    sandbox: bool = False
    places: tuple[Place, ...] = ()
    tick_seconds: int = 60  # how far the simulated clock moves on each fleet tick

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def step_index(self, step_id: str) -> int:
        return next((n for n, step in enumerate(self.steps) if step.id == step_id), -1)
