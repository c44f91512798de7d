"""Validating scenario files: what `manage.py validate_scenarios` reports.

Beyond the structure `loader.py` checks: every API call (setup, solutions, probes) must be one
botocore knows and the simulator offers, with parameters botocore accepts; every policy document
in a call (a role's trust policy, an identity policy, a bucket policy, a session policy) must
have no error in the policy findings the console shows (Access Analyzer's ERROR findings:
warnings are not reported, since a lesson may set up a too-broad policy on purpose); every
terminal command runs in a place the scenario has; no probe makes the call its step asks the
learner to make; setup must run (a failing item is named by its line); no step may pass before
its reference solution, and every step must pass after it (terminal commands run through the
real AWS CLI, so they are checked by running). A slug must be one no other file in the folder
uses, also when one file is validated alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import UnknownServiceError

from lessons.scenario.checks import check_step
from lessons.scenario.loader import (
    ScenarioError,
    error_words,
    read_scenario,
    scenario_files,
    setup_problem,
)
from lessons.scenario.model import Scenario
from lessons.scenario.run import BUILTIN_PLACES, PLACEHOLDER, build_world, run_actions
from simulator import AwsError
from simulator.boto import param_error, service_model
from simulator.iam import PolicyKind
from simulator.iam.findings import FindingType, validate_policy
from simulator.services import handler_for

# The parameters of a call that hold a policy document, with the kind of policy each is and the
# size IAM allows it where that differs from the kind's default (findings.SIZE_LIMITS): IAM's
# quotas give inline policies 2,048 characters per user, 5,120 per group, 10,240 per role.
POLICY_PARAMS: Mapping[tuple[str, str], tuple[tuple[str, PolicyKind, int | None], ...]] = {
    ("iam", "CreateRole"): (("AssumeRolePolicyDocument", PolicyKind.TRUST, None),),
    ("iam", "UpdateAssumeRolePolicy"): (("PolicyDocument", PolicyKind.TRUST, None),),
    ("iam", "PutRolePolicy"): (("PolicyDocument", PolicyKind.IDENTITY, 10_240),),
    ("iam", "PutUserPolicy"): (("PolicyDocument", PolicyKind.IDENTITY, 2_048),),
    ("iam", "PutGroupPolicy"): (("PolicyDocument", PolicyKind.IDENTITY, 5_120),),
    ("iam", "CreatePolicy"): (("PolicyDocument", PolicyKind.IDENTITY, None),),
    ("iam", "CreatePolicyVersion"): (("PolicyDocument", PolicyKind.IDENTITY, None),),
    ("s3", "PutBucketPolicy"): (("Policy", PolicyKind.RESOURCE, None),),
    ("sts", "AssumeRole"): (("Policy", PolicyKind.SESSION, None),),
    ("sts", "GetFederationToken"): (("Policy", PolicyKind.SESSION, None),),
}
# What a placeholder in a policy document stands for while its findings are made: the world's
# account and Region (World.new's), and an instance id or a saved value of the right look.
POLICY_PLACEHOLDERS = {
    "account": "111122223333",
    "region": "us-east-1",
    "instance": "i-0123456789abcdef0",
    "var": "saved-value",
}


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
    problems.extend(policy_problems(scenario))
    problems.extend(_place_problems(scenario))
    problems.extend(experiment_problems(scenario))
    if problems:
        return problems
    failure = setup_problem(scenario)
    if failure is not None:
        return [failure]
    world, variables = build_world(scenario)
    for step in scenario.steps:
        before = check_step(world, variables, step)
        if before.passed:
            problems.append(ScenarioError(scenario.file, step.line,
                f"step '{step.id}' passes before the learner does anything"))  # fmt: skip
        try:
            run_actions(world, variables, scenario.solution.get(step.id, ()))
        except (AwsError, KeyError, ValueError) as error:
            problems.append(ScenarioError(scenario.file, step.line,
                                          f"the solution of step '{step.id}' fails: {error_words(error)}"))  # fmt: skip
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
    for path in scenario_files(folder):
        found.extend(validate_scenario(path))
        found.extend(slug_problems(path, before_only=True))
    return found


def validate_file(path: Path) -> list[ScenarioError]:
    """Every problem in one file, and its slug if another file in its folder uses it too."""
    return validate_scenario(path) + slug_problems(path)


def slug_problems(path: Path, *, before_only: bool = False) -> list[ScenarioError]:
    """The file's slug when another scenario file in its folder has it too (the catalogue
    would serve only one of them). With `before_only`, only files before it by name count, so
    that a folder's check reports each clash once."""
    scenario = read_scenario(path)[0]
    if scenario is None or not scenario.slug:
        return []
    others = [
        other.name
        for other in scenario_files(path.parent)
        if other.name != path.name
        and (not before_only or other.name < path.name)
        and (found := read_scenario(other)[0]) is not None
        and found.slug == scenario.slug
    ]
    if not others:
        return []
    text = path.read_text(encoding="utf-8")
    line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("slug:")), 1)
    return [ScenarioError(path.name, line,
                          f"slug '{scenario.slug}' is also used by {', '.join(others)}")]  # fmt: skip


def policy_problems(scenario: Scenario) -> list[ScenarioError]:
    """The errors the policy findings (Access Analyzer's, as the console shows them) find in
    each policy document a setup or solution call sends, at the call's line."""
    problems = []
    actions = [*scenario.setup, *(a for each in scenario.solution.values() for a in each)]
    for action in actions:
        if action.kind != "call":
            continue
        key = (str(action.data.get("service")), str(action.data.get("operation")))
        params = action.data.get("params") or {}
        for name, kind, size_limit in POLICY_PARAMS.get(key, ()):
            document = params.get(name) if isinstance(params, Mapping) else None
            if not isinstance(document, str):
                continue  # botocore's check of the parameters reports it
            text = PLACEHOLDER.sub(lambda match: POLICY_PLACEHOLDERS[match.group(1)], document)
            for finding in validate_policy(text, policy_type=kind, size_limit=size_limit):
                if finding.finding_type is not FindingType.ERROR:
                    continue
                where = f" at {finding.location}" if finding.location else ""
                problems.append(ScenarioError(scenario.file, action.line,
                    f"{key[1]}'s {name}{where}: {finding.message}"))  # fmt: skip
    return problems


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
    from simulator.terminal.places import ACCOUNT_SHELL  # as run.py: the terminal only if used

    known = set(BUILTIN_PLACES) | {place.id for place in scenario.places}
    named: dict[str, str] = {}  # an added account's name -> its CloudShell
    for action in scenario.setup:
        if action.kind == "add_account":  # its CloudShell: cloudshell@<its id>
            account_id = str(action.data.get("id", action.data.get("value", "")))
            known.add(ACCOUNT_SHELL + account_id)
            if action.data.get("name"):
                named[ACCOUNT_SHELL + str(action.data["name"])] = ACCOUNT_SHELL + account_id
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
            if place in named:
                problems.append(ScenarioError(scenario.file, action.line,
                    f"no place '{place}': another account's CloudShell is named by the "
                    f"account's id, '{named[place]}'"))  # fmt: skip
            elif place and place not in known and not place.startswith(("i-", "{instance:")):
                problems.append(ScenarioError(scenario.file, action.line,
                    f"no place '{place}': use cloudshell, laptop, an instance's Name, "
                    "cloudshell@<id> of an account the setup adds, or one of the scenario's "
                    "places"))  # fmt: skip
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
