"""Validating a scenario file: each call per botocore, and its solution against its checks."""

import shutil
import textwrap
from pathlib import Path

from lessons.scenario.validate import problems_in, validate_scenario
from tests.lessons.workspace_scenarios import MINI


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(text))
    return [str(problem) for problem in validate_scenario(path)]


def test_the_mini_scenario_is_valid():
    assert validate_scenario(MINI) == []


def test_unknown_operation_is_reported_with_its_line(tmp_path):
    text = MINI.read_text().replace(
        "operation: CreateInstanceProfile", "operation: CreateInstanceProfil"
    )
    problems = _problems(tmp_path, text)
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if "CreateInstanceProfil\n" in row + "\n"
    )
    assert any(
        p == f"broken.yaml:{line - 1}: unknown operation iam CreateInstanceProfil" for p in problems
    ), problems


def test_invalid_parameters_are_reported_per_botocore(tmp_path):
    text = MINI.read_text().replace(
        "params: {InstanceProfileName: AppRole}\n", "params: {InstanceProfile: AppRole}\n", 1
    )
    problems = _problems(tmp_path, text)
    assert any("invalid parameters for iam CreateInstanceProfile" in p for p in problems), problems


def test_a_check_that_cannot_pass_on_the_solution_is_reported(tmp_path):
    text = MINI.read_text().replace("role: AppRole}", "role: OtherRole}")
    problems = _problems(tmp_path, text)
    assert any("cannot pass with its reference solution" in p for p in problems), problems


def test_a_step_that_passes_before_the_learner_acts_is_reported(tmp_path):
    text = (
        MINI.read_text()
        .replace("expect: Allowed", "expect: NoCredentials")
        .replace("        - instance_role: {instance: web-1, role: AppRole}\n", "")
    )
    problems = _problems(tmp_path, text)
    assert any("passes before the learner does anything" in p for p in problems), problems


def test_problems_in_reports_duplicate_slugs(tmp_path):
    shutil.copy(MINI, tmp_path / "mini.yaml")
    shutil.copy(MINI, tmp_path / "mini-copy.yaml")
    assert any("slug 'mini' is also used" in str(p) for p in problems_in(tmp_path))


def test_a_probe_that_makes_the_call_its_step_asks_for_is_reported(tmp_path):
    text = MINI.read_text().replace(
        "        - instance_role: {instance: web-1, role: AppRole}\n",
        "        - instance_role: {instance: web-1, role: AppRole}\n"
        "        - event: {operation: PutObject, from: instance, error: null}\n",
    )
    problems = _problems(tmp_path, text)
    assert any(
        "a probe of step 'attach' makes PutObject, the call the step asks the learner to make" in p
        for p in problems
    ), problems


def test_a_terminal_command_in_a_place_the_scenario_lacks_is_reported(tmp_path):
    text = (
        MINI.read_text() + "    - terminal: {place: web-2, command: aws sts get-caller-identity}\n"
    )
    problems = _problems(tmp_path, text)
    assert any("no place 'web-2'" in p for p in problems), problems
