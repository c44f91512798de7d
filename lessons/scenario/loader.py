"""Reading scenario files: YAML with the line of every mapping and list, into the model.

Every problem names its place, `file:line: message`. `read_scenario` gathers all of a file's
problems of structure; `load_scenario` raises the first; `read_catalogue` reads a folder, leaving
out (and logging) the files that cannot be served, so that one broken file does not take the
site down.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
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
from lessons.scenario.run import (
    ACTORS,
    BUILTIN_PLACES,
    FACTS,
    PROBE_ACTORS,
    build_world,
    run_actions,
)
from simulator import AwsError, World

logger = logging.getLogger(__name__)

MAX_TICK_SECONDS = 3600
"""A fleet tick moves the clock at most an hour: role credentials rotate hourly (iam-facts §3)."""


class ScenarioError(ValueError):
    """A problem in a scenario file, with the place: `file:line: message`."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


# --- YAML with line numbers -------------------------------------------------------------------


class _Lines:
    """Line numbers (1-based) of every mapping and sequence item, by id of the Python value,
    and of each key of every mapping."""

    def __init__(self) -> None:
        self.by_id: dict[int, int] = {}
        self.keys: dict[int, dict[str, int]] = {}

    def of(self, value: Any, default: int = 1) -> int:
        return self.by_id.get(id(value), default)

    def of_key(self, mapping: Mapping[str, Any], key: str) -> int:
        return self.keys.get(id(mapping), {}).get(key) or self.of(mapping)


def _construct(node: yaml.Node, lines: _Lines) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            result[str(key_node.value)] = _construct(value_node, lines)
            keys[str(key_node.value)] = key_node.start_mark.line + 1
        lines.by_id[id(result)] = node.start_mark.line + 1
        lines.keys[id(result)] = keys
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
        if "mapping values are not allowed" in problem:
            # `title: Note: read this` — the second ': ' starts a mapping where none may be.
            problem += " (a text holding ': ' must be in quotes)"
        raise ScenarioError(file, line, f"not valid YAML: {problem}") from None
    if node is None:
        raise ScenarioError(file, 1, "the file is empty")
    return _construct(node, lines), lines


# --- What a file may say ----------------------------------------------------------------------

# The keys each part of a file may have: any other is a mistake ("hint:" for "hints:" would
# otherwise lose the step's hints without a word), reported with the nearest known key.
SCENARIO_KEYS = (
    "slug", "title", "summary", "outcomes", "minutes", "level", "order", "sandbox", "setup",
    "places", "steps", "questions", "solution", "tick_seconds",
)  # fmt: skip
STEP_KEYS = ("id", "title", "text", "hints", "check", "explanation")
CHECK_KEYS = ("probes", "conditions")
PROBE_KEYS = ("as", "service", "operation", "params", "expect", "says", "save")
QUESTION_KEYS = ("id", "prompt", "options")
OPTION_KEYS = ("text", "correct", "explanation")
PLACE_KEYS = ("id", "label", "files", "env")
CALL_KEYS = ("service", "operation", "params", "save", "as", "expect")
TERMINAL_KEYS = ("place", "command", "save", "expect", "match")
# The arguments of each fact written as a mapping (run.FACTS; see docs/authoring.md). A fact
# missing here takes any arguments.
FACT_KEYS: Mapping[str, tuple[str, ...]] = {
    "write_file": ("instance", "path", "text"),
    "delete_file": ("instance", "path"),
    "set_env": ("instance", "name", "value"),
    "set_app": ("instance", "instances", "name", "calls"),
    "launch_app": ("image", "tags", "name", "calls"),
    "advance": ("seconds",),
    "run_fleet": ("ticks",),
    "in_use": ("role", "by"),
    "vpc_endpoint": ("service",),
}
# The facts that may be written with a bare value (`advance: 60`): it comes as {"value": 60}.
VALUE_FACTS = ("advance", "run_fleet", "vpc_endpoint")
# The arguments of each condition (checks.CONDITIONS; see docs/authoring.md). A condition
# missing here takes any arguments (a test asks for every one to be here).
CONDITION_KEYS: Mapping[str, tuple[str, ...]] = {
    "instance_role": ("instance", "role"),
    "file_absent": ("instance", "path"),
    "env_absent": ("instance", "name"),
    "user_keys": ("user", "total", "active", "without"),
    "key_status": ("key", "status"),
    "key_idle": ("key", "seconds"),
    "role_exists": ("role", "trusts"),
    "profile_role": ("profile", "role"),
    "policy_versions": ("policy", "default_not"),
    "event": (
        "operation",
        "error",
        "from",
        "outside",
        "key",
        "user",
        "role",
        "delivered_to",
        "params",
        "message",
        "user_agent",
        "invoked_by",
        "caller_account",
        "account",
    ),  # fmt: skip
    "clock_advanced": ("seconds",),
    "fleet_ran": ("instance", "ticks"),
    "app_call": (
        "instance",
        "instances",
        "operation",
        "result",
        "role",
        "key",
        "not_key",
        "message",
    ),  # fmt: skip
    "deletion_task": ("role", "status"),
    "bucket_policy": ("bucket", "present"),
    "role_has_policy": ("role", "policy"),
    "decision": ("user", "role", "action", "resource", "context", "result"),
    "permissions_boundary": ("role", "user", "policy"),
    "policy_not_attached": ("policy", "user", "role", "group"),
    "managed_policy": ("policy", "allows", "denies", "resource", "context"),
    "role_trust": ("role", "principal", "only", "requires"),
}


def _described(value: Any) -> str:
    """A value in the words of a problem: "5.5", "the text '10'", "a mapping"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text '{_shortened(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return str(value)


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_as_mapping(value: Any) -> str | None:
    """The text YAML read as a mapping because it holds ': ' (`Note: quote me`), or None."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, item),) = value.items()
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            return f"{key}: {item}"
    return None


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

    def known_keys(self, data: Mapping[str, Any], known: Sequence[str], what: str) -> None:
        """A problem for each key of `data` not in `known`, with the nearest known key."""
        for key in data:
            if key not in known:
                self.problem(self.lines.of_key(data, key), _unknown_key(key, known, what))

    def text(
        self, data: Mapping[str, Any], key: str, *, required: bool = True, default: str = ""
    ) -> str:
        value = data.get(key, None)
        if value is None:
            if required:
                self.problem(data, f"'{key}' is missing")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            line = self.lines.of_key(data, key)
            quoted = _read_as_mapping(value)
            if quoted is not None:
                self.problem(line, f"'{key}' was read as a mapping because of ': ' in "
                                   f"'{_shortened(quoted)}'; quote the text")  # fmt: skip
            else:
                self.problem(line, f"'{key}' must be text, not {_described(value)}")
            return default
        return str(value)

    def texts(self, data: Mapping[str, Any], key: str, item: str) -> tuple[str, ...]:
        """A list of texts (`hints`, `outcomes`); each item that is not text says why."""
        value = data.get(key)
        if value is None:
            return ()
        line = self.lines.of_key(data, key)
        if not isinstance(value, list):
            self.problem(line, f"'{key}' must be a list of texts, not {_described(value)}: "
                               "write each after '- ' on a line of its own")  # fmt: skip
            return ()
        found = []
        for number, each in enumerate(value, start=1):
            if isinstance(each, str | int | float) and not isinstance(each, bool):
                found.append(str(each))
                continue
            quoted = _read_as_mapping(each)
            if quoted is not None:
                self.problem(self.line(each, line),
                             f"{item} {number} was read as a mapping because of ': ' in "
                             f"'{_shortened(quoted)}'; quote the text")  # fmt: skip
            else:
                self.problem(line, f"{item} {number} of '{key}' must be text, not "
                                   f"{_described(each)}")  # fmt: skip
        return tuple(found)

    def whole(
        self,
        data: Mapping[str, Any],
        key: str,
        default: int,
        *,
        low: int = 0,
        high: int | None = None,
    ) -> int:
        """A whole number from `low` to `high` (`order: 5.5` is a problem, not 99)."""
        value = data.get(key, default)
        if type(value) is not int:
            self.problem(self.lines.of_key(data, key),
                         f"'{key}' must be a whole number, not {_described(value)}")  # fmt: skip
            return default
        if value < low or (high is not None and value > high):
            upper = f" to {high}" if high is not None else " or more"
            self.problem(self.lines.of_key(data, key),
                         f"'{key}' must be a whole number from {low}{upper}, not {value}")  # fmt: skip
            return default
        return value

    def flag(self, data: Mapping[str, Any], key: str, default: bool) -> bool:
        """true or false: `correct: "false"` is a text, which would count as true."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            unquote = ": write it without quotes" if str(value).lower() in ("true", "false") else ""
            self.problem(self.lines.of_key(data, key),
                         f"'{key}' must be true or false, not {_described(value)}{unquote}")  # fmt: skip
            return default
        return value

    def listed(self, data: Mapping[str, Any], key: str, what: str) -> list[Any]:
        """A list (`probes`, `options`...), or [] with a problem when it is something else."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(self.lines.of_key(data, key),
                         f"'{key}' must be a list of {what}, not {_described(value)}")  # fmt: skip
            return []
        return value

    def actions(self, raw: Any, where: str, line: int) -> tuple[Action, ...]:
        """The actions of `setup` or of a step's solution, whose key is at `line`."""
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(line, f"{where} must be a list, not {_described(raw)}")
            return ()
        found: list[Action] = []
        for item in raw:
            line = self.line(item)
            if not isinstance(item, dict):
                self.problem(line, f"each item of {where} must be a mapping")
                continue
            if "operation" in item:
                self.known_keys(item, CALL_KEYS, "an API call")
                for key in ("service", "operation"):
                    if not isinstance(item.get(key), str):
                        self.problem(line, f"a call needs '{key}'")
                if not isinstance(item.get("params", {}), dict):
                    self.problem(line, "'params' must be a mapping")
                if not isinstance(item.get("save") or {}, dict):
                    self.problem(line, "'save' maps names to paths in the response")
                if not isinstance(item.get("expect", ""), str):
                    self.problem(line, "'expect' is an error code, such as AccessDenied")
                actor = item.get("as", ADMIN_ACTOR)
                if not (actor == ADMIN_ACTOR or (isinstance(actor, dict) and len(actor) == 1
                        and next(iter(actor)) in ACTORS)):  # fmt: skip
                    self.problem(line, "'as' is admin, {instance: NAME}, {key: VAR} or "
                                       "{stolen_from: NAME}")  # fmt: skip
                found.append(Action("call", item, line))
                continue
            if "terminal" in item:
                self.known_keys(item, ("terminal",), "a terminal command")
                command = item["terminal"]
                if (not isinstance(command, dict) or not isinstance(command.get("place"), str)
                        or not isinstance(command.get("command"), str)
                        or not command["command"].strip()):  # fmt: skip
                    self.problem(line, "'terminal' takes {place: WHERE, command: TEXT}")
                    continue
                self.known_keys(command, TERMINAL_KEYS, "a terminal command")
                for key in ("save", "match"):
                    if not isinstance(command.get(key) or {}, dict):
                        self.problem(line, f"'{key}' maps names to what to keep")
                found.append(Action("terminal", command, line))
                continue
            kinds = [kind for kind in FACTS if kind in item]
            if len(kinds) != 1:
                strays = [key for key in item if key not in FACTS]
                if strays and not kinds:
                    self.known_keys(item, (*CALL_KEYS, "terminal", *FACTS), f"an item of {where}")
                self.problem(
                    line,
                    f"each item of {where} is an API call (service, operation, params), "
                    "a terminal command, or one of " + ", ".join(FACTS),
                )
                continue
            self.known_keys(item, kinds, f"the fact '{kinds[0]}'")
            data = item[kinds[0]]
            if isinstance(data, dict):
                if kinds[0] in FACT_KEYS:
                    self.known_keys(data, FACT_KEYS[kinds[0]], f"'{kinds[0]}'")
            elif kinds[0] in VALUE_FACTS:
                data = {"value": data}
            else:
                arguments = ", ".join(FACT_KEYS.get(kinds[0], ()))
                self.problem(line, f"'{kinds[0]}' takes a mapping of arguments: {arguments}")
                continue
            found.append(Action(kinds[0], data, line))
        return tuple(found)

    def probe(self, item: Any) -> Probe | None:
        line = self.line(item)
        if not isinstance(item, dict):
            self.problem(line, "a probe must be a mapping")
            return None
        self.known_keys(item, PROBE_KEYS, "a probe")
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
            self.text(item, "says", required=False),
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
            self.known_keys(item, PLACE_KEYS, "a place")
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
        says = self.text(item, "says", required=False)
        known = (*sorted(CONDITIONS), "says")
        strays = [key for key in item if key not in known]
        for key in strays:
            self.problem(self.lines.of_key(item, key), _unknown_key(key, known, "a condition"))
        kinds = [key for key in item if key in CONDITIONS]
        if len(kinds) > 1:
            self.problem(line, f"a condition states one thing: give '{kinds[0]}' and "
                               f"'{kinds[1]}' an item each")  # fmt: skip
            return None
        if not kinds:
            if not strays:
                self.problem(line, "a condition is one of: " + ", ".join(sorted(CONDITIONS)))
            return None
        args = item[kinds[0]]
        if not isinstance(args, dict):
            self.problem(line, f"'{kinds[0]}' takes a mapping of arguments")
            return None
        if kinds[0] in CONDITION_KEYS:
            self.known_keys(args, CONDITION_KEYS[kinds[0]], f"'{kinds[0]}'")
        return Condition(kinds[0], args, line, says)

    def step(self, raw: Any, seen: set[str]) -> Step | None:
        line = self.line(raw)
        if not isinstance(raw, dict):
            self.problem(line, "each step must be a mapping")
            return None
        self.known_keys(raw, STEP_KEYS, "a step")
        step_id = self.text(raw, "id")
        if step_id in seen:
            self.problem(line, f"step id '{step_id}' is used twice")
        seen.add(step_id)
        check = raw.get("check") or {}
        if not isinstance(check, dict):
            self.problem(line, "'check' must be a mapping with probes and/or conditions")
            check = {}
        self.known_keys(check, CHECK_KEYS, "a check")
        probes = tuple(
            p for p in (self.probe(item) for item in self.listed(check, "probes", "probes")) if p
        )
        conditions = tuple(
            c
            for c in (self.condition(i) for i in self.listed(check, "conditions", "conditions"))
            if c
        )
        if not check.get("probes") and not check.get("conditions"):
            self.problem(line, f"step '{step_id}' has no check: give probes or conditions")
        return Step(
            step_id,
            self.text(raw, "title"),
            self.text(raw, "text"),
            self.texts(raw, "hints", "hint"),
            probes,
            conditions,
            self.text(raw, "explanation", required=False),
            line,
        )

    def question(self, raw: Any, number: int) -> Question | None:
        line = self.line(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("options"), list):
            self.problem(line, "a question needs 'prompt' and a list of 'options'")
            return None
        self.known_keys(raw, QUESTION_KEYS, "a question")
        options = []
        for option in raw["options"]:
            where = self.line(option, line)
            if not isinstance(option, dict) or "text" not in option or "explanation" not in option:
                self.problem(where, "each option needs 'text', 'explanation' and 'correct'")
                continue
            self.known_keys(option, OPTION_KEYS, "an option")
            options.append(Option(self.text(option, "text"), self.flag(option, "correct", False),
                                  self.text(option, "explanation")))  # fmt: skip
        if sum(option.correct for option in options) != 1:
            self.problem(line, "a question needs exactly one correct option")
        question_id = self.text(raw, "id", required=False, default=f"q{number}")
        return Question(question_id, self.text(raw, "prompt"), tuple(options), line)


def _unknown_key(key: str, known: Sequence[str], what: str) -> str:
    """The problem of an unknown key: the nearest known key ("did you mean 'hints'?"), or the
    keys `what` may have."""
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key '{key}': did you mean '{close[0]}'?"
    return f"unknown key '{key}': {what} has " + ", ".join(f"'{k}'" for k in known)


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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [ScenarioError(file, 1, f"not UTF-8 text: {error.reason}")]
    try:
        data, lines = _load_yaml(text, file)
    except ScenarioError as error:
        return None, [error]
    reader = _Reader(file, lines)
    if not isinstance(data, dict):
        return None, [ScenarioError(file, 1, "a scenario is a mapping of keys to values")]
    reader.known_keys(data, SCENARIO_KEYS, "a scenario")
    slug = reader.text(data, "slug")
    if slug and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        reader.problem(data, "'slug' must be lower-case letters, digits and hyphens")
    sandbox = reader.flag(data, "sandbox", False)
    seen_steps: set[str] = set()
    raw_steps = data.get("steps", [])
    if not isinstance(raw_steps, list) or (not raw_steps and not sandbox):
        reader.problem(data, "'steps' must be a non-empty list")
        raw_steps = []
    steps = [step for step in (reader.step(raw, seen_steps) for raw in raw_steps) if step]
    questions = [
        question
        for number, raw in enumerate(reader.listed(data, "questions", "questions"), start=1)
        if (question := reader.question(raw, number))
    ]
    solution: dict[str, tuple[Action, ...]] = {}
    raw_solution = data.get("solution") or {}
    if not isinstance(raw_solution, dict):
        reader.problem(raw_solution, "'solution' maps each step id to its actions")
        raw_solution = {}
    for step_id, actions in raw_solution.items():
        if step_id not in seen_steps:
            reader.problem(lines.of_key(raw_solution, step_id),
                           f"the solution names a step '{step_id}' that does not exist")  # fmt: skip
        where = lines.of_key(raw_solution, step_id)
        solution[step_id] = reader.actions(actions, f"the solution of '{step_id}'", where)
    for step in steps:
        if step.id not in solution:
            reader.problem(step.line, f"step '{step.id}' has no reference solution")
    scenario = Scenario(
        slug=slug,
        title=reader.text(data, "title"),
        summary=reader.text(data, "summary"),
        outcomes=reader.texts(data, "outcomes", "outcome"),
        minutes=reader.whole(data, "minutes", 0),
        level=reader.text(data, "level", required=False, default="Foundational"),
        order=reader.whole(data, "order", 99),
        setup=reader.actions(data.get("setup"), "setup", lines.of_key(data, "setup")),
        steps=tuple(steps),
        questions=tuple(questions),
        solution=solution,
        file=file,
        sandbox=sandbox,
        places=reader.places(data.get("places")),
        tick_seconds=reader.whole(data, "tick_seconds", 60, low=1, high=MAX_TICK_SECONDS),
    )
    return scenario, reader.problems


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files in `folder`: `*.yaml` and `*.yml` alike, by name.

    Both are read: `.yml` is as common a spelling (GitHub's workflows, Compose files), and a
    file left unread would be a lesson silently missing from the catalogue.
    """
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )


def load_scenarios(folder: Path) -> list[Scenario]:
    """Every scenario in `folder` that can be served, in catalogue order (`read_catalogue`)."""
    return list(read_catalogue(folder).values())


class Catalogue(dict[str, Scenario]):
    """A folder's scenarios that can be served, by slug in catalogue order (`order`, then
    title), and the files that cannot, each with its problems."""

    def __init__(
        self, scenarios: Iterable[Scenario], broken: Mapping[str, Sequence[ScenarioError]]
    ) -> None:
        ordered = sorted(scenarios, key=lambda scenario: (scenario.order, scenario.title))
        super().__init__((scenario.slug, scenario) for scenario in ordered)
        self.broken: Mapping[str, tuple[ScenarioError, ...]] = {
            file: tuple(problems) for file, problems in broken.items()
        }


def read_catalogue(folder: Path) -> Catalogue:
    """The scenarios of `folder` (the app's: settings.ROLECALL_SCENARIO_DIR) that can be served.

    One broken file must not take the site down: a file with a problem of structure, whose
    setup fails, or whose slug an earlier file (by name) has, is left out and logged, one line
    per problem (`file:line: message`); `Catalogue.broken` keeps them for the instructor's note
    on the catalogue. `validate_scenarios` checks far more (each step against its solution).
    """
    served: dict[str, Scenario] = {}
    broken: dict[str, list[ScenarioError]] = {}
    for path in scenario_files(folder):
        try:
            scenario, problems = read_scenario(path)
        except Exception as error:  # a fault in the reader must not cost the other files
            scenario, problems = None, [ScenarioError(path.name, 1, error_words(error))]
        if scenario is not None and not problems:
            if scenario.slug in served:
                other = served[scenario.slug].file
                problems = [ScenarioError(path.name, 1, f"slug '{scenario.slug}' is also used "
                                                        f"by {other}")]  # fmt: skip
            elif (failure := setup_problem(scenario)) is not None:
                problems = [failure]
        if problems:
            broken[path.name] = problems
            for problem in problems:
                logger.error("scenario file %s is not served: %s", path, problem)
            continue
        assert scenario is not None
        served[scenario.slug] = scenario
    return Catalogue(served.values(), broken)


def setup_problem(scenario: Scenario, *, seed: int = 0) -> ScenarioError | None:
    """Why the scenario's setup cannot build its world, at the failing item's line; or None."""
    try:
        build_world(scenario, seed=seed)
    except Exception as error:  # any failure, not only AWS's: the file is what is wrong
        line = _failing_setup_line(scenario, seed)
        return ScenarioError(scenario.file, line, f"setup fails: {error_words(error)}")
    return None


def _failing_setup_line(scenario: Scenario, seed: int) -> int:
    """The line of the first setup item that fails when run one by one, as build_world runs
    them (or of the first place, when every item runs and the places fail)."""
    world = World.new(seed=seed)
    world.state.tick_seconds = scenario.tick_seconds
    variables: dict[str, Any] = {}
    for action in scenario.setup:
        try:
            run_actions(world, variables, (action,))
        except Exception:  # the same failure setup_problem reports
            return action.line
    return scenario.places[0].line if scenario.places else 1


def error_words(error: Exception) -> str:
    """An error in a problem's words: AWS's code and message, a missing name, or the type."""
    if isinstance(error, AwsError | ValueError):
        return str(error)
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return f"{type(error).__name__}: {error}"
