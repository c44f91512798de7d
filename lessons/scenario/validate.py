"""Validating scenario files: what `manage.py validate_scenarios` reports.

Beyond the structure `loader.py` checks: every API call (setup, solutions, probes) must be one
botocore knows and the simulator offers, with parameters botocore accepts; every terminal
command runs in a place the scenario has; no probe makes the call its step asks the learner to
make; setup must run; no step may pass before its reference solution, and every step must pass
after it (terminal commands run through the real AWS CLI, so they are checked by running).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import UnknownServiceError

from lessons.scenario.checks import check_step
from lessons.scenario.loader import ScenarioError, load_scenario, read_scenario
from lessons.scenario.model import Scenario
from lessons.scenario.run import BUILTIN_PLACES, PLACEHOLDER, build_world, run_actions
from simulator import AwsError
from simulator.boto import param_error, service_model
from simulator.services import handler_for


def validate_scenario(path: Path) -> list[ScenarioError]:
    """Every problem in one file: structure, calls per botocore's models, and the solution.

    The solution must complete the scenario, and no step may pass before its solution runs.
    """
    scenario, problems = read_scenario(path)
    if scenario is None or problems:
        return problems
    for data, line in _calls(scenario):
        problems.extend(_call_problems(str(data["service"]), str(data["operation"]),
                                       data.get("params") or {}, scenario.file, line))  # fmt: skip
    problems.extend(_place_problems(scenario))
    problems.extend(experiment_problems(scenario))
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


def problems_in(folder: Path) -> list[ScenarioError]:
    """Every problem of every scenario file in `folder`, and any slug two files share."""
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


def _call_problems(
    service: str, operation: str, params: Any, file: str, line: int
) -> list[ScenarioError]:
    """A call botocore does not know, the simulator does not offer, or botocore would refuse."""
    try:
        model = service_model(service)
    except UnknownServiceError:
        return [ScenarioError(file, line, f"unknown service '{service}'")]
    if operation not in model.operation_names:
        return [ScenarioError(file, line, f"unknown operation {service} {operation}")]
    if handler_for(service, operation) is None:
        return [ScenarioError(file, line, f"the simulator does not offer {service} {operation}")]
    problem = param_error(service, operation, _strip_placeholders(params))
    if problem is not None:
        report = problem.replace("\n", " ")
        return [
            ScenarioError(file, line, f"invalid parameters for {service} {operation}: {report}")
        ]
    return []


def experiment_problems(scenario: Scenario) -> list[ScenarioError]:
    """Probes that make a call their step's conditions ask the learner to make.

    The learner performs the experiment (uses the copied key, meets the refusal); the check
    finds it in the log. A probe may only confirm lasting state with another call.
    """
    problems = []
    for step in scenario.steps:
        asked = {
            str(name)
            for condition in step.conditions
            if condition.kind in ("event", "app_call")
            for name in _listed(condition.args.get("operation"))
            if name
        }  # fmt: skip
        for probe in step.probes:
            if probe.operation in asked:
                problems.append(ScenarioError(scenario.file, probe.line,
                    f"a probe of step '{step.id}' makes {probe.operation}, the call the step asks "
                    "the learner to make: check the learner's call with an `event` condition"))  # fmt: skip
    return problems


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _place_problems(scenario: Scenario) -> list[ScenarioError]:
    """Terminal commands in a place the world does not have."""
    known = set(BUILTIN_PLACES) | {place.id for place in scenario.places}
    for action in scenario.setup:  # instances launched with a Name tag
        params = action.data.get("params") or {} if action.kind == "call" else {}
        for spec in params.get("TagSpecifications") or []:
            for tag in spec.get("Tags") or []:
                if tag.get("Key") == "Name":
                    known.add(str(tag.get("Value")))
    problems = []
    for actions in scenario.solution.values():
        for action in actions:
            place = str(action.data.get("place", "")) if action.kind == "terminal" else ""
            if place and place not in known and not place.startswith(("i-", "{instance:")):
                problems.append(ScenarioError(scenario.file, action.line,
                    f"no place '{place}': use cloudshell, laptop, an instance's Name or one of "
                    "the scenario's places"))  # fmt: skip
    return problems


def _strip_placeholders(value: Any) -> Any:
    if isinstance(value, str) and PLACEHOLDER.fullmatch(value) and value.startswith("{var:"):
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
