"""Reading scenario files: YAML with the line of every mapping and list, into the model.

Every problem names its place, `file:line: message`. `read_scenario` gathers all of a file's
problems of structure; `load_scenario` raises the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lessons.scenario.checks import CONDITIONS
from lessons.scenario.model import (
    ADMIN_ACTOR,
    Action,
    Condition,
    Option,
    Place,
    Probe,
    Question,
    Scenario,
    Step,
)
from lessons.scenario.run import ACTORS, BUILTIN_PLACES, FACTS, PROBE_ACTORS

MAX_TICK_SECONDS = 3600
"""A fleet tick moves the clock at most an hour: role credentials rotate hourly (iam-facts §3)."""


class ScenarioError(ValueError):
    """A problem in a scenario file, with the place: `file:line: message`."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


# --- YAML with line numbers -------------------------------------------------------------------


class _Lines:
    """Line numbers (1-based) of every mapping and sequence item, by id of the Python value."""

    def __init__(self) -> None:
        self.by_id: dict[int, int] = {}

    def of(self, value: Any, default: int = 1) -> int:
        return self.by_id.get(id(value), default)


def _construct(node: yaml.Node, lines: _Lines) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            result[str(key_node.value)] = _construct(value_node, lines)
        lines.by_id[id(result)] = node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = [_construct(child, lines) for child in node.value]
        lines.by_id[id(items)] = node.start_mark.line + 1
        return items
    assert isinstance(node, yaml.ScalarNode)
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _load_yaml(text: str, file: str) -> tuple[Any, _Lines]:
    lines = _Lines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(file, line, f"not valid YAML: {problem}") from None
    if node is None:
        raise ScenarioError(file, 1, "the file is empty")
    return _construct(node, lines), lines


# --- Reading a file into the model ------------------------------------------------------------


class _Reader:
    def __init__(self, file: str, lines: _Lines) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[ScenarioError] = []

    def line(self, value: Any, default: int = 1) -> int:
        return self.lines.of(value, default)

    def problem(self, where: Any, message: str, default: int = 1) -> None:
        line = where if isinstance(where, int) else self.line(where, default)
        self.problems.append(ScenarioError(self.file, line, message))

    def text(
        self, data: Mapping[str, Any], key: str, *, required: bool = True, default: str = ""
    ) -> str:
        value = data.get(key, None)
        if value is None:
            if required:
                self.problem(data, f"'{key}' is missing")
            return default
        if not isinstance(value, str | int | float):
            self.problem(data, f"'{key}' must be text")
            return default
        return str(value)

    def actions(self, raw: Any, where: str) -> tuple[Action, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(raw, f"{where} must be a list")
            return ()
        found: list[Action] = []
        for item in raw:
            line = self.line(item)
            if not isinstance(item, dict):
                self.problem(line, f"each item of {where} must be a mapping")
                continue
            if "operation" in item:
                for key in ("service", "operation"):
                    if not isinstance(item.get(key), str):
                        self.problem(line, f"a call needs '{key}'")
                if not isinstance(item.get("params", {}), dict):
                    self.problem(line, "'params' must be a mapping")
                actor = item.get("as", ADMIN_ACTOR)
                if not (actor == ADMIN_ACTOR or (isinstance(actor, dict) and len(actor) == 1
                        and next(iter(actor)) in ACTORS)):  # fmt: skip
                    self.problem(line, "'as' is admin, {instance: NAME}, {key: VAR} or "
                                       "{stolen_from: NAME}")  # fmt: skip
                found.append(Action("call", item, line))
                continue
            if "terminal" in item:
                command = item["terminal"]
                if (not isinstance(command, dict) or not isinstance(command.get("place"), str)
                        or not isinstance(command.get("command"), str)
                        or not command["command"].strip()):  # fmt: skip
                    self.problem(line, "'terminal' takes {place: WHERE, command: TEXT}")
                    continue
                for key in ("save", "match"):
                    if not isinstance(command.get(key) or {}, dict):
                        self.problem(line, f"'{key}' maps names to what to keep")
                found.append(Action("terminal", command, line))
                continue
            kinds = [kind for kind in FACTS if kind in item]
            if len(kinds) != 1:
                self.problem(
                    line,
                    f"each item of {where} is an API call (service, operation, params), "
                    "a terminal command, or one of " + ", ".join(FACTS),
                )
                continue
            found.append(
                Action(
                    kinds[0],
                    item[kinds[0]]
                    if isinstance(item[kinds[0]], dict)
                    else {"value": item[kinds[0]]},
                    line,
                )
            )
        return tuple(found)

    def probe(self, item: Any) -> Probe | None:
        line = self.line(item)
        if not isinstance(item, dict):
            self.problem(line, "a probe must be a mapping")
            return None
        service, operation = item.get("service"), item.get("operation")
        expect = item.get("expect")
        if not isinstance(service, str) or not isinstance(operation, str):
            self.problem(line, "a probe needs 'service' and 'operation'")
            return None
        expected = [expect] if isinstance(expect, str) else expect
        if (not isinstance(expected, list) or not expected
                or not all(isinstance(code, str) and code for code in expected)):  # fmt: skip
            self.problem(
                line,
                "a probe needs 'expect': Allowed, Denied, an error code such as AccessDenied, "
                "or a list of them",
            )
            return None
        save = item.get("save") or {}
        if not isinstance(save, dict) or not all(isinstance(path, str) for path in save.values()):
            self.problem(line, "'save' maps names to paths in the response, such as Credentials")
            save = {}
        params = item.get("params", {})
        if not isinstance(params, dict):
            self.problem(line, "'params' must be a mapping")
            params = {}
        actor = item.get("as", ADMIN_ACTOR)
        if not (actor == ADMIN_ACTOR or (isinstance(actor, dict) and len(actor) == 1
                and next(iter(actor)) in PROBE_ACTORS)):  # fmt: skip
            self.problem(line, "'as' is admin, {instance: NAME} or {key: VAR}: a probe never "
                               "acts as a thief; the learner does, and an `event` condition "
                               "finds the call")  # fmt: skip
        return Probe(
            actor,
            service,
            operation,
            params,
            tuple(expected),
            line,
            str(item.get("says", "")),
            {str(name): path for name, path in save.items()},
        )

    def places(self, raw: Any) -> tuple[Place, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(raw, "'places' must be a list")
            return ()
        found: list[Place] = []
        for item in raw:
            line = self.line(item)
            if not isinstance(item, dict):
                self.problem(line, "a place is a mapping: id, label, files, env")
                continue
            place_id = self.text(item, "id")
            if place_id and not re.fullmatch(r"[a-z][a-z0-9-]*", place_id):
                self.problem(line, "a place's 'id' is lower-case letters, digits and hyphens")
            if place_id in BUILTIN_PLACES or any(p.id == place_id for p in found):
                self.problem(line, f"the place '{place_id}' exists already")
            tables: list[dict[str, str]] = []
            for key in ("files", "env"):
                table = item.get(key) or {}
                if not isinstance(table, dict) or not all(
                    isinstance(value, str) for value in table.values()
                ):
                    self.problem(line, f"a place's '{key}' maps names to texts")
                    table = {}
                tables.append({str(name): value for name, value in table.items()})
            found.append(Place(place_id, self.text(item, "label"), tables[0], tables[1], line))
        return tuple(found)

    def condition(self, item: Any) -> Condition | None:
        line = self.line(item)
        if not isinstance(item, dict):
            self.problem(line, "a condition must be a mapping")
            return None
        says = str(item.get("says", ""))
        kinds = [key for key in item if key != "says"]
        if len(kinds) != 1 or kinds[0] not in CONDITIONS:
            self.problem(line, "a condition is one of: " + ", ".join(sorted(CONDITIONS)))
            return None
        args = item[kinds[0]]
        if not isinstance(args, dict):
            self.problem(line, f"'{kinds[0]}' takes a mapping of arguments")
            return None
        return Condition(kinds[0], args, line, says)


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file; raise the first ScenarioError (`read_scenario` gives them all)."""
    scenario, problems = read_scenario(path)
    if problems:
        raise problems[0]
    assert scenario is not None
    return scenario


def read_scenario(path: Path) -> tuple[Scenario | None, list[ScenarioError]]:
    """The scenario in one file (None when it is no YAML mapping) and its problems of structure."""
    file = path.name
    try:
        data, lines = _load_yaml(path.read_text(encoding="utf-8"), file)
    except ScenarioError as error:
        return None, [error]
    reader = _Reader(file, lines)
    if not isinstance(data, dict):
        return None, [ScenarioError(file, 1, "a scenario is a mapping of keys to values")]
    slug = reader.text(data, "slug")
    if slug and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        reader.problem(data, "'slug' must be lower-case letters, digits and hyphens")
    sandbox = bool(data.get("sandbox", False))
    steps: list[Step] = []
    seen_steps: set[str] = set()
    raw_steps = data.get("steps", [])
    if not isinstance(raw_steps, list) or (not raw_steps and not sandbox):
        reader.problem(data, "'steps' must be a non-empty list")
        raw_steps = []
    for raw in raw_steps:
        line = reader.line(raw)
        if not isinstance(raw, dict):
            reader.problem(line, "each step must be a mapping")
            continue
        step_id = reader.text(raw, "id")
        if step_id in seen_steps:
            reader.problem(line, f"step id '{step_id}' is used twice")
        seen_steps.add(step_id)
        check = raw.get("check") or {}
        if not isinstance(check, dict):
            reader.problem(line, "'check' must be a mapping with probes and/or conditions")
            check = {}
        probes = tuple(p for p in (reader.probe(item) for item in check.get("probes") or []) if p)
        conditions = tuple(
            c for c in (reader.condition(item) for item in check.get("conditions") or []) if c
        )
        if not probes and not conditions:
            reader.problem(line, f"step '{step_id}' has no check: give probes or conditions")
        hints = raw.get("hints") or []
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            reader.problem(line, "'hints' must be a list of texts")
            hints = []
        steps.append(
            Step(
                step_id,
                reader.text(raw, "title"),
                reader.text(raw, "text"),
                tuple(hints),
                probes,
                conditions,
                reader.text(raw, "explanation", required=False),
                line,
            )  # fmt: skip
        )
    questions: list[Question] = []
    for number, raw in enumerate(data.get("questions") or [], start=1):
        line = reader.line(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("options"), list):
            reader.problem(line, "a question needs 'prompt' and a list of 'options'")
            continue
        options = []
        for option in raw["options"]:
            if not isinstance(option, dict) or "text" not in option or "explanation" not in option:
                reader.problem(
                    reader.line(option, line),
                    "each option needs 'text', 'explanation' and 'correct'",
                )
                continue
            options.append(Option(str(option["text"]), bool(option.get("correct", False)),
                                  str(option["explanation"])))  # fmt: skip
        if sum(option.correct for option in options) != 1:
            reader.problem(line, "a question needs exactly one correct option")
        questions.append(Question(str(raw.get("id", f"q{number}")), reader.text(raw, "prompt"),
                                  tuple(options), line))  # fmt: skip
    solution: dict[str, tuple[Action, ...]] = {}
    raw_solution = data.get("solution") or {}
    if not isinstance(raw_solution, dict):
        reader.problem(raw_solution, "'solution' maps each step id to its actions")
        raw_solution = {}
    for step_id, actions in raw_solution.items():
        if step_id not in seen_steps:
            reader.problem(actions, f"the solution names a step '{step_id}' that does not exist")
        solution[step_id] = reader.actions(actions, f"solution of '{step_id}'")
    for step in steps:
        if step.id not in solution:
            reader.problem(step.line, f"step '{step.id}' has no reference solution")
    try:
        minutes = int(data.get("minutes", 0))
    except (TypeError, ValueError):
        reader.problem(data, "'minutes' must be a number")
        minutes = 0
    tick_seconds = data.get("tick_seconds", 60)
    if type(tick_seconds) is not int or not 1 <= tick_seconds <= MAX_TICK_SECONDS:
        reader.problem(
            data, f"'tick_seconds' is a whole number of seconds, 1 to {MAX_TICK_SECONDS}"
        )
        tick_seconds = 60
    outcomes = data.get("outcomes") or []
    scenario = Scenario(
        slug=slug,
        title=reader.text(data, "title"),
        summary=reader.text(data, "summary"),
        outcomes=tuple(str(item) for item in outcomes) if isinstance(outcomes, list) else (),
        minutes=minutes,
        level=reader.text(data, "level", required=False, default="Foundational"),
        order=int(data.get("order", 99)) if str(data.get("order", 99)).isdigit() else 99,
        setup=reader.actions(data.get("setup"), "setup"),
        steps=tuple(steps),
        questions=tuple(questions),
        solution=solution,
        file=file,
        sandbox=sandbox,
        places=reader.places(data.get("places")),
        tick_seconds=tick_seconds,
    )
    return scenario, reader.problems


def load_scenarios(folder: Path) -> list[Scenario]:
    """Every scenario in `folder` (the app's: settings.ROLECALL_SCENARIO_DIR), in catalogue order.

    A broken file raises ScenarioError: `validate_scenarios` reports every problem first.
    """
    found = [load_scenario(path) for path in sorted(folder.glob("*.yaml"))]
    return sorted(found, key=lambda scenario: (scenario.order, scenario.title))
