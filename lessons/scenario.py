"""Scenarios: one YAML file each, no Python. Loading, running and checking them.

A scenario builds its starting world from `setup` (AWS API calls run as the account's admin,
validated by botocore's models, plus a few facts no API sets: a file on an instance, the
application it runs, the clock), then walks the learner through `steps`. Each step's `check`
is a list of probe calls ("as instance web-1, s3 GetObject on config/app.json: AccessDenied")
and state conditions ("instance web-1 has role AppRole"), run on a *copy* of the learner's
world so that checking changes nothing. Every scenario carries a reference `solution`;
`validate_scenarios` proves each step fails before its solution and passes after.

This module does not import Django: the Django app (models.py, views.py) uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from simulator import AwsError, World
from simulator.model import AppSpec, StsSession
from simulator.services import handler_for, instances
from simulator.world import OUTSIDE_IP, Credentials

__all__ = [
    "CheckItem",
    "CheckResult",
    "Condition",
    "Probe",
    "Question",
    "Scenario",
    "ScenarioError",
    "Step",
    "build_world",
    "check_step",
    "load_scenario",
    "load_scenarios",
    "run_actions",
    "validate_scenario",
]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
# {instance:NAME} and {var:NAME} need their argument: a bare {instance} is left alone, for an
# application's own placeholders ({instance}, {name}, {tick}; see simulator.model.AppSpec).
_PLACEHOLDER = re.compile(r"\{((?:instance|var)(?=:)|account|region)(?::([^{}]+))?\}")


class ScenarioError(ValueError):
    """A problem in a scenario file, with the place: `file:line: message`."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


# --- Loading YAML with line numbers ----------------------------------------------------------


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


# --- The model of a scenario ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a setup or solution does: an API call, or a fact no API sets."""

    kind: str  # "call" | "write_file" | "delete_file" | "set_env" | "set_app" | "advance" | "run_fleet" | "in_use"
    data: Mapping[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class Probe:
    actor: Any  # "admin" | {"instance": name} | {"key": var} | {"stolen_from": name}
    #             | {"first_stolen_from": name}
    service: str
    operation: str
    params: Mapping[str, Any]
    expect: str  # "Allowed", or an error code such as "AccessDenied"
    line: int
    says: str = ""  # what it checks, for the learner (optional; made up if absent)


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str
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

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def step_index(self, step_id: str) -> int:
        return next((n for n, step in enumerate(self.steps) if step.id == step_id), -1)


# --- Parsing ------------------------------------------------------------------------------------

PROBE_ACTORS = ("instance", "key", "stolen_from", "first_stolen_from")
SETUP_FACTS = ("write_file", "delete_file", "set_env", "set_app", "advance", "run_fleet", "in_use")
CONDITIONS: dict[str, Callable[[World, dict[str, Any], Mapping[str, Any]], tuple[bool, str]]] = {}


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
                found.append(Action("call", item, line))
                continue
            kinds = [kind for kind in SETUP_FACTS if kind in item]
            if len(kinds) != 1:
                self.problem(
                    line,
                    f"each item of {where} is an API call (service, operation, params) or one of "
                    + ", ".join(SETUP_FACTS),
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
        if not isinstance(expect, str) or not expect:
            self.problem(
                line, "a probe needs 'expect': Allowed, or an error code such as AccessDenied"
            )
            return None
        params = item.get("params", {})
        if not isinstance(params, dict):
            self.problem(line, "'params' must be a mapping")
            params = {}
        actor = item.get("as", "admin")
        if not (actor == "admin" or (isinstance(actor, dict) and len(actor) == 1
                and next(iter(actor)) in PROBE_ACTORS)):  # fmt: skip
            self.problem(line, "'as' is admin, {instance: NAME}, {key: VAR}, {stolen_from: NAME} "
                               "or {first_stolen_from: NAME}")  # fmt: skip
        return Probe(actor, service, operation, params, expect, line, str(item.get("says", "")))

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
    """Read one scenario file; raise the first ScenarioError (see `problems_in` for all)."""
    scenario, problems = _read(path)
    if problems:
        raise problems[0]
    assert scenario is not None
    return scenario


def _read(path: Path) -> tuple[Scenario | None, list[ScenarioError]]:
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
    )
    return scenario, reader.problems


def load_scenarios(folder: Path | None = None) -> list[Scenario]:
    """Every scenario in `folder` (default: lessons/scenarios/), in catalogue order.

    A broken file raises ScenarioError: `validate_scenarios` reports every problem first.
    """
    folder = folder or SCENARIO_DIR
    found = [load_scenario(path) for path in sorted(folder.glob("*.yaml"))]
    return sorted(found, key=lambda scenario: (scenario.order, scenario.title))


# --- Running actions ------------------------------------------------------------------------


def _instance_id(world: World, name: str) -> str:
    if name.startswith("i-") and name in world.state.instances:
        return name
    for instance in world.state.instances.values():
        if instance.tags.get("Name") == name and instance.state != "terminated":
            return instance.instance_id
    raise KeyError(f"no instance named {name!r}")


def _var(variables: Mapping[str, Any], dotted: str) -> Any:
    value: Any = variables
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(f"no saved value {dotted!r}")
        value = value[part]
    return value


def substitute(value: Any, world: World, variables: Mapping[str, Any]) -> Any:
    """Replace {instance:NAME}, {var:NAME.Field}, {account} and {region} in strings."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) == "var":
            return _var(variables, whole.group(2) or "")

        def replace(match: re.Match[str]) -> str:
            kind, arg = match.group(1), match.group(2) or ""
            if kind == "instance":
                return _instance_id(world, arg)
            if kind == "var":
                return str(_var(variables, arg))
            if kind == "account":
                return world.account_id
            return world.region

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, list):
        return [substitute(item, world, variables) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, world, variables) for key, item in value.items()}
    return value


def _pick(response: Any, path: str) -> Any:
    value = response
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise KeyError(f"the response has no {path!r}")
    return value


def run_actions(world: World, variables: dict[str, Any], actions: Sequence[Action]) -> None:
    """Apply actions in order; a failing API call raises AwsError (setup must not fail)."""
    for action in actions:
        data = substitute(dict(action.data), world, variables)
        if action.kind == "call":
            expect = str(data.get("expect") or "Allowed")
            try:
                credentials, source_ip = _actor(world, variables, data.get("as", "admin"))
                response = world.call(credentials, data["service"], data["operation"],
                                      data.get("params") or {}, source_ip=source_ip)  # fmt: skip
            except AwsError as error:
                if error.code != expect:
                    raise
                continue  # a call that must fail (a solution showing AWS's refusal)
            if expect != "Allowed":
                raise ValueError(f"{data['operation']} succeeded, but {expect} was expected")
            for name, path in (data.get("save") or {}).items():
                variables[name] = _jsonable(_pick(response, path))
        elif action.kind == "write_file":
            world.write_file(_instance_id(world, data["instance"]), data["path"], str(data["text"]))
        elif action.kind == "delete_file":
            world.delete_file(_instance_id(world, data["instance"]), data["path"])
        elif action.kind == "set_env":
            world.set_env(_instance_id(world, data["instance"]), data["name"], data.get("value"))
        elif action.kind == "set_app":
            app = AppSpec(name=str(data.get("name", "app")), calls=list(data.get("calls") or []))
            for name in _names(data):
                instances.set_app(world, _instance_id(world, name), app)
        elif action.kind == "advance":
            world.advance(float(data.get("seconds", data.get("value", 0))))
        elif action.kind == "run_fleet":
            instances.tick(world, ticks=int(data.get("ticks", data.get("value", 1))))
        elif action.kind == "in_use":
            role = world.state.roles[data["role"]]
            role.used_by.append(str(data["by"]))


def _names(data: Mapping[str, Any]) -> list[str]:
    names = data.get("instances") or [data.get("instance")]
    return [str(name) for name in names if name]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _credentials(world: World, variables: Mapping[str, Any], actor: Any) -> Credentials:
    if actor == "admin":
        return world.admin_credentials()
    if isinstance(actor, Mapping) and "key" in actor:
        key = _var(variables, str(actor["key"]))
        # An access key (CreateAccessKey's AccessKey) or temporary credentials (AssumeRole's
        # Credentials, which carry a SessionToken).
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken"))
    raise KeyError(f"cannot act as {actor!r} here")


def build_world(scenario: Scenario, *, seed: int = 0) -> tuple[World, dict[str, Any]]:
    """The scenario's starting world and the values its setup saved."""
    world = World.new(seed=seed)
    variables: dict[str, Any] = {}
    run_actions(world, variables, scenario.setup)
    variables["_started"] = world.now.isoformat()
    variables["_last_setup_event"] = world.events[-1]["eventID"] if world.events else None
    return world, variables


# --- Checking a step --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckItem:
    says: str  # what was checked, in words
    passed: bool
    detail: str  # what actually happened
    line: int
    key: str  # stable id, for the classroom's "most common failing check"


@dataclass(frozen=True, slots=True)
class CheckResult:
    items: tuple[CheckItem, ...]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def first_failure(self) -> CheckItem | None:
        return next((item for item in self.items if not item.passed), None)


def _actor_words(actor: Any) -> str:
    if actor == "admin":
        return "As the admin"
    ((kind, name),) = actor.items()
    return {"instance": f"As software on instance {name}",
            "key": f"With the access key saved as {name}",
            "stolen_from": f"With the credentials copied off {name}, from outside",
            "first_stolen_from": f"With the first role credentials copied off {name}, from outside",
            }[kind]  # fmt: skip


def _probe(world: World, variables: Mapping[str, Any], probe: Probe) -> CheckItem:
    params = substitute(dict(probe.params), world, variables)
    target = (
        params.get("Key")
        or params.get("RoleName")
        or params.get("UserName")
        or params.get("Bucket")
        or ""
    )
    says = probe.says or (
        f"{_actor_words(probe.actor)}, {probe.service} {probe.operation}"
        + (f" {target}" if target else "")
        + f" gives {probe.expect}"
    )
    key = f"{probe.line}:{probe.service}:{probe.operation}"
    try:
        outcome = _run_probe(world, variables, probe, params)
    except (KeyError, ValueError) as error:
        return CheckItem(says, False, f"Could not run: {error}", probe.line, key)
    passed = outcome == probe.expect
    detail = f"got {outcome}" if not passed else f"{outcome}, as expected"
    return CheckItem(says, passed, detail, probe.line, key)


def _run_probe(
    world: World, variables: Mapping[str, Any], probe: Probe, params: dict[str, Any]
) -> str:
    try:
        credentials, source_ip = _actor(world, variables, probe.actor)
        world.call(credentials, probe.service, probe.operation, params, source_ip=source_ip)
    except AwsError as error:
        return error.code
    return "Allowed"


def _actor(
    world: World, variables: Mapping[str, Any], actor: Any
) -> tuple[Credentials, str | None]:
    """The credentials of a probe's or an action's `as`, and the address the call comes from.

    Raises AwsError when software on the instance would find none (NoCredentials) or the SDK
    there fails (PartialCredentialsError, ConfigParseError...).
    """
    if actor == "admin" or "key" in actor:
        return _credentials(world, variables, actor), None
    if "first_stolen_from" in actor:
        session = _first_role_session(world, _instance_id(world, str(actor["first_stolen_from"])))
        if session is None:
            raise AwsError("NoCredentials", "Unable to locate credentials", 400)
        return Credentials(
            session.access_key_id, session.secret_access_key, session.session_token
        ), OUTSIDE_IP
    name = actor.get("instance") or actor.get("stolen_from")
    instance_id = _instance_id(world, str(name))
    found = instances.resolve_credentials(world, instance_id)
    if found is None:
        raise AwsError("NoCredentials", "Unable to locate credentials", 400)
    source_ip = OUTSIDE_IP if "stolen_from" in actor else instances.source_ip(world, instance_id)
    return found[0], source_ip


def _first_role_session(world: World, instance_id: str) -> StsSession | None:
    """The oldest instance-role credentials the instance received that the world remembers.

    What a thief who copied them from the metadata service back then would hold: they keep
    working until they expire, whatever the instance gets later (the world forgets expired
    instance credentials 12 hours after they expire).
    """
    sessions = [
        session
        for session in world.state.sessions.values()
        if session.instance_id == instance_id and session.source == "InstanceProfile"
    ]
    return min(sessions, key=lambda session: session.issued, default=None)


def check_step(
    world: World, variables: Mapping[str, Any], step: Step, *, scratch: bool = False
) -> CheckResult:
    """Run the step's check on a copy of `world`; the learner's world is left as it was.

    With `scratch` the caller's world is a throwaway: the probes call on it, uncopied.
    """
    conditions = []
    for condition in step.conditions:  # first: the probes' calls must not change what they see
        function = CONDITIONS[condition.kind]
        try:
            args = substitute(dict(condition.args), world, variables)
            passed, detail = function(world, args, variables)
        except (KeyError, ValueError) as error:
            passed, detail = False, str(error)
        says = condition.says or detail
        conditions.append(
            CheckItem(says, passed, detail, condition.line, f"{condition.line}:{condition.kind}")
        )
    probe_world = world if scratch else world.copy()
    items = [_probe(probe_world, variables, probe) for probe in step.probes] + conditions
    return CheckResult(tuple(items))


# --- The conditions a check may state -------------------------------------------------------


def condition(
    name: str,
) -> Callable[[Callable[..., tuple[bool, str]]], Callable[..., tuple[bool, str]]]:
    def register(function: Callable[..., tuple[bool, str]]) -> Callable[..., tuple[bool, str]]:
        CONDITIONS[name] = function
        return function

    return register


def _role_of_instance(world: World, instance_id: str) -> str | None:
    instance = world.state.instances[instance_id]
    association = instance.association
    if association is None or association.state not in ("associating", "associated"):
        return None
    for profile in world.state.instance_profiles.values():
        if profile.arn == association.instance_profile_arn:
            return profile.roles[0] if profile.roles else None
    return None


@condition("instance_role")
def _instance_role(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: web-1, role: AppRole} (role: null means no role)."""
    name = str(args["instance"])
    actual = _role_of_instance(world, _instance_id(world, name))
    wanted = args.get("role")
    passed = actual == wanted
    have = f"role {actual}" if actual else "no role"
    want = f"role {wanted}" if wanted else "no role"
    return passed, f"Instance {name} has {have}" + ("" if passed else f"; it should have {want}")


@condition("file_absent")
def _file_absent(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    name, path = str(args["instance"]), str(args["path"])
    present = world.read_file(_instance_id(world, name), path) is not None
    return not present, f"{path} on {name} is " + ("still there" if present else "gone")


@condition("env_absent")
def _env_absent(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    name, variable = str(args["instance"]), str(args["name"])
    present = variable in world.state.instances[_instance_id(world, name)].env
    return not present, f"{variable} on {name} is " + ("still set" if present else "not set")


@condition("user_keys")
def _user_keys(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{user, active: n, total: n, without: VAR} — counts of the user's access keys."""
    user = str(args["user"])
    keys = [key for key in world.state.access_keys.values() if key.user_name == user]
    active = sum(key.status == "Active" for key in keys)
    problems = []
    if "total" in args and len(keys) != int(args["total"]):
        problems.append(f"{len(keys)} keys, not {args['total']}")
    if "active" in args and active != int(args["active"]):
        problems.append(f"{active} active, not {args['active']}")
    if "without" in args:
        old = _var(variables, str(args["without"]))
        old_id = old["AccessKeyId"] if isinstance(old, Mapping) else str(old)
        if any(key.access_key_id == old_id for key in keys):
            problems.append(f"the old key {old_id} still exists")
    detail = f"{user} has {len(keys)} access key(s), {active} active"
    return not problems, detail + ("" if not problems else ": " + "; ".join(problems))


@condition("key_status")
def _key_status(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{key: VAR, status: Active | Inactive | deleted, or a list of them (any one will do)}."""
    saved = _var(variables, str(args["key"]))
    key_id = saved["AccessKeyId"] if isinstance(saved, Mapping) else str(saved)
    key = world.state.access_keys.get(key_id)
    actual = key.status if key is not None else "deleted"
    wanted = args["status"] if isinstance(args["status"], list) else [args["status"]]
    return actual in wanted, f"Access key {key_id} is {actual}"


@condition("role_exists")
def _role_exists(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, trusts: ec2.amazonaws.com (optional)}."""
    import json

    name = str(args["role"])
    role = world.state.roles.get(name)
    if role is None:
        return False, f"There is no role {name}"
    service = args.get("trusts")
    if service:
        trust = json.loads(role.trust_policy)
        statements = (
            trust["Statement"] if isinstance(trust["Statement"], list) else [trust["Statement"]]
        )
        trusted = {
            value
            for st in statements
            if st.get("Effect") == "Allow" and isinstance(st.get("Principal"), dict)
            for value in (
                [st["Principal"].get("Service")]
                if isinstance(st["Principal"].get("Service"), str)
                else st["Principal"].get("Service") or []
            )  # fmt: skip
        }
        if service not in trusted:
            return False, f"Role {name} does not trust {service}"
    return True, f"Role {name} exists" + (f" and trusts {service}" if service else "")


@condition("profile_role")
def _profile_role(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{profile: NAME, role: NAME}."""
    profile = world.state.instance_profiles.get(str(args["profile"]))
    if profile is None:
        return False, f"There is no instance profile {args['profile']}"
    passed = args["role"] in profile.roles
    return passed, f"Instance profile {profile.name} holds " + (
        ", ".join(profile.roles) or "no role"
    )


@condition("policy_versions")
def _policy_versions(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{policy: NAME, default_not: v1} — the customer managed policy's default moved on."""
    name = str(args["policy"])
    policy = next((p for p in world.state.policies.values() if p.name == name), None)
    if policy is None:
        return False, f"There is no customer managed policy {name}"
    passed = policy.default_version_id != args.get("default_not", "")
    return passed, f"Policy {name}'s default version is {policy.default_version_id}"


@condition("event")
def _event(world: World, args: dict[str, Any], variables: Mapping[str, Any]) -> tuple[bool, str]:
    """{operation: NAME or [NAMES], error: CODE | null | any, outside: true, key: VAR} — such a
    call was made since setup.

    `error: null` means the call succeeded; `any` (the default) takes either outcome.
    `outside: true` counts only calls from outside the account's network (copied credentials
    used elsewhere); `key: VAR` only calls signed with the saved access key VAR.
    """
    wanted_error = args.get("error", "any")
    names = args["operation"] if isinstance(args["operation"], list) else [args["operation"]]
    key_id = None
    if args.get("key"):
        saved = _var(variables, str(args["key"]))
        key_id = saved["AccessKeyId"] if isinstance(saved, Mapping) else str(saved)
    for event in _events_since_setup(world, variables):
        if event.get("eventName") not in names:
            continue
        if args.get("outside") and event.get("sourceIPAddress") != OUTSIDE_IP:
            continue
        if key_id and (event.get("userIdentity") or {}).get("accessKeyId") != key_id:
            continue
        error = event.get("errorCode")
        if wanted_error == "any" or error == wanted_error:
            where = f" from {OUTSIDE_IP}" if args.get("outside") else ""
            return True, f"{event['eventName']} was called{where}" + (
                f" and got {error}" if error else ""
            )
    ending = f" ending in {wanted_error}" if wanted_error not in ("any", None) else ""
    ending = " that succeeded" if wanted_error is None else ending
    where = " from outside your network" if args.get("outside") else ""
    return False, f"No {' or '.join(names)} call{where}{ending} yet"


def _events_since_setup(world: World, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events after setup's last one (the log keeps only the newest, so find it by id)."""
    marker = variables.get("_last_setup_event")
    events = world.events
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("eventID") == marker:
            return events[index + 1 :]
    return events


@condition("clock_advanced")
def _clock_advanced(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{seconds: N} since the scenario started."""
    from datetime import datetime

    started = datetime.fromisoformat(str(variables["_started"]))
    moved = (world.now - started) / timedelta(seconds=1)
    wanted = float(args["seconds"])
    return (
        moved >= wanted,
        f"The clock has moved {int(moved)} s since the start (needs {int(wanted)} s)",
    )


@condition("fleet_ran")
def _fleet_ran(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: NAME, ticks: N} — the application ran at least N ticks."""
    name = str(args["instance"])
    ticks = world.state.instances[_instance_id(world, name)].ticks
    wanted = int(args.get("ticks", 1))
    return ticks >= wanted, f"{name}'s application has run {ticks} tick(s)"


@condition("app_call")
def _app_call(world: World, args: dict[str, Any], variables: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: NAME or instances: [NAMES], operation, result: Allowed | CODE, role: NAME,
    key: VAR, not_key: VAR, message: TEXT} — the latest such call each instance's application
    made (found in the log by the instance's address) ended in `result` (default Allowed); when
    given, it was made with role NAME's credentials or with the saved access key VAR, not with
    the saved access key of `not_key` (a key the learner made in its place is never saved), and
    its error message contains TEXT.
    """
    names = [str(name) for name in args.get("instances") or [args["instance"]]]
    results = [_last_app_call(world, variables, name, args) for name in names]
    if len(results) == 1:
        return results[0]
    failed = [detail for passed, detail in results if not passed]
    if not failed:
        wanted = args.get("result", "Allowed")
        return True, f"All {len(names)} instances: the last {args['operation']} was {wanted}"
    more = f" (and {len(failed) - 2} more)" if len(failed) > 2 else ""
    shown = "; ".join(failed[:2]) + more
    return False, f"{len(failed)} of {len(names)} instances fall short: {shown}"


def _last_app_call(
    world: World, variables: Mapping[str, Any], name: str, args: Mapping[str, Any]
) -> tuple[bool, str]:
    operation = str(args["operation"])
    address = instances.source_ip(world, _instance_id(world, name))
    latest = next(
        (event for event in reversed(world.events)
         if event.get("eventName") == operation and event.get("sourceIPAddress") == address),
        None,
    )  # fmt: skip
    if latest is None:
        return False, f"{name}'s application has made no {operation} call yet: run the fleet"
    outcome = str(latest.get("errorCode") or "Allowed")
    identity = latest.get("userIdentity") or {}
    arn, key_id = str(identity.get("arn", "")), str(identity.get("accessKeyId", ""))
    who = f"as {arn or 'nobody'} with {key_id or 'no key'}"
    detail = f"{name}'s last {operation} was {outcome}, {who}"
    problems = []
    if outcome != str(args.get("result", "Allowed")):
        problems.append(f"expected {args.get('result', 'Allowed')}")
    if args.get("message") and str(args["message"]) not in str(latest.get("errorMessage") or ""):
        problems.append(f"its error message does not say '{args['message']}'")
    role = args.get("role")
    if role and f":assumed-role/{role}/" not in arn:
        problems.append(f"not made with role {role}'s credentials")
    if args.get("key"):
        saved = _var(variables, str(args["key"]))
        if key_id != (saved["AccessKeyId"] if isinstance(saved, Mapping) else str(saved)):
            problems.append(f"not made with the access key saved as {args['key']}")
    if args.get("not_key"):
        saved = _var(variables, str(args["not_key"]))
        if key_id == (saved["AccessKeyId"] if isinstance(saved, Mapping) else str(saved)):
            problems.append(f"still made with the access key saved as {args['not_key']}")
    return not problems, detail + ("" if not problems else ": " + "; ".join(problems))


@condition("deletion_task")
def _deletion_task(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, status: NOT_STARTED | IN_PROGRESS | SUCCEEDED | FAILED} — the newest
    DeleteServiceLinkedRole task for the role has that status."""
    role = str(args["role"])
    tasks = [task for task in world.state.deletion_tasks.values() if task.role_name == role]
    if not tasks:
        return False, f"Nobody has asked to delete {role} yet"
    status = max(tasks, key=lambda task: task.created).status
    return status == args["status"], f"The deletion of {role} is {status}"


@condition("bucket_policy")
def _bucket_policy(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{bucket: NAME, present: true | false} — the bucket has a bucket policy (or none)."""
    name = str(args["bucket"])
    bucket = world.state.buckets.get(name)
    if bucket is None:
        return False, f"There is no bucket {name}"
    present = bucket.policy is not None
    wanted = bool(args.get("present", True))
    have = "a bucket policy" if present else "no bucket policy"
    return present == wanted, f"Bucket {name} has {have}"


@condition("role_has_policy")
def _role_has_policy(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, policy: NAME or ARN} — attached managed policy, or inline policy, by name."""
    name, wanted = str(args["role"]), str(args["policy"])
    role = world.state.roles.get(name)
    if role is None:
        return False, f"There is no role {name}"
    attached = {arn: arn.rsplit("/", 1)[-1] for arn in role.attached_policies}
    found = wanted in role.inline_policies or any(wanted in pair for pair in attached.items())
    inline = [f"{policy} (inline)" for policy in sorted(role.inline_policies)]
    have = sorted(attached.values()) + inline
    return found, f"Role {name} has " + (", ".join(have) or "no policies") + (
        "" if found else f"; it should have {wanted}"
    )


# --- Validation (the management command's core) -------------------------------------------


def _validate_params(
    service: str, operation: str, params: Any, file: str, line: int
) -> list[ScenarioError]:
    from botocore.exceptions import ParamValidationError, UnknownServiceError
    from botocore.validate import validate_parameters

    session = _botocore()
    try:
        model = session.get_service_model(service)
    except UnknownServiceError:
        return [ScenarioError(file, line, f"unknown service '{service}'")]
    if operation not in model.operation_names:
        return [ScenarioError(file, line, f"unknown operation {service} {operation}")]
    if handler_for(service, operation) is None:
        return [ScenarioError(file, line, f"the simulator does not offer {service} {operation}")]
    placeholder_free = _strip_placeholders(params)
    try:
        validate_parameters(placeholder_free, model.operation_model(operation).input_shape)
    except ParamValidationError as error:
        report = str(error).replace("\n", " ")
        return [
            ScenarioError(file, line, f"invalid parameters for {service} {operation}: {report}")
        ]
    return []


_SESSION: Any = None


def _botocore() -> Any:
    global _SESSION
    if _SESSION is None:
        import botocore.session

        _SESSION = botocore.session.get_session()
    return _SESSION


def _strip_placeholders(value: Any) -> Any:
    if isinstance(value, str) and _PLACEHOLDER.fullmatch(value) and value.startswith("{var:"):
        # A saved value is known only when the scenario runs: stand in with text long enough
        # for any minimum length botocore checks (it checks no maximum).
        return "saved-value-" + "x" * 1024
    if isinstance(value, list):
        return [_strip_placeholders(item) for item in value]
    if isinstance(value, dict):
        return {key: _strip_placeholders(item) for key, item in value.items()}
    return value


def _calls(scenario: Scenario) -> Iterator[tuple[Mapping[str, Any], int]]:
    for action in scenario.setup:
        if action.kind == "call":
            yield action.data, action.line
    for actions in scenario.solution.values():
        for action in actions:
            if action.kind == "call":
                yield action.data, action.line
    for step in scenario.steps:
        for probe in step.probes:
            yield (
                {"service": probe.service, "operation": probe.operation, "params": probe.params},
                probe.line,
            )


def validate_scenario(path: Path) -> list[ScenarioError]:
    """Every problem in one file: structure, calls per botocore's models, and the solution.

    The solution must complete the scenario, and no step may pass before its solution runs.
    """
    scenario, problems = _read(path)
    if scenario is None or problems:
        return problems
    for data, line in _calls(scenario):
        problems.extend(_validate_params(str(data["service"]), str(data["operation"]),
                                         data.get("params") or {}, scenario.file, line))  # fmt: skip
    if problems:
        return problems
    try:
        world, variables = build_world(scenario)
    except (AwsError, KeyError, ValueError) as error:
        return [ScenarioError(scenario.file, 1, f"setup fails: {error}")]
    for step in scenario.steps:
        before = check_step(world, variables, step)
        if before.passed:
            problems.append(ScenarioError(scenario.file, step.line,
                f"step '{step.id}' passes before the learner does anything"))  # fmt: skip
        try:
            run_actions(world, variables, scenario.solution.get(step.id, ()))
        except (AwsError, KeyError, ValueError) as error:
            problems.append(ScenarioError(scenario.file, step.line,
                                          f"the solution of step '{step.id}' fails: {error}"))  # fmt: skip
            break
        after = check_step(world, variables, step)
        for item in after.items:
            if not item.passed:
                problems.append(ScenarioError(scenario.file, item.line,
                    f"step '{step.id}' cannot pass with its reference solution: {item.says} ({item.detail})"))  # fmt: skip
    return problems


def problems_in(folder: Path | None = None) -> list[ScenarioError]:
    folder = folder or SCENARIO_DIR
    found: list[ScenarioError] = []
    slugs: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        problems = validate_scenario(path)
        found.extend(problems)
        if not problems:
            slug = load_scenario(path).slug
            if slug in slugs:
                found.append(
                    ScenarioError(path.name, 1, f"slug '{slug}' is also used by {slugs[slug]}")
                )
            slugs[slug] = path.name
    return found


__all__ += ["CONDITIONS", "problems_in", "substitute"]
