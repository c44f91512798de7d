"""Validating a scenario file: each call per botocore, and its solution against its checks."""

import shutil
import textwrap
from pathlib import Path

from lessons.scenario.loader import read_scenario
from lessons.scenario.validate import (
    policy_problems,
    problems_in,
    validate_file,
    validate_scenario,
)
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


def _with_vendor(text: str, place: str) -> str:
    """MINI with another account added in setup and a solution command in `place`."""
    return (
        text.replace("setup:\n", 'setup:\n  - add_account: {id: "444455556666", name: vendor}\n', 1)
        + f"    - terminal: {{place: {place}, command: aws sts get-caller-identity}}\n"
    )


def test_the_cloudshell_of_an_account_the_setup_adds_is_a_place(tmp_path):
    problems = _problems(tmp_path, _with_vendor(MINI.read_text(), "cloudshell@444455556666"))

    assert problems == []


def test_the_cloudshell_of_an_account_the_setup_does_not_add_is_reported(tmp_path):
    problems = _problems(tmp_path, _with_vendor(MINI.read_text(), "cloudshell@777788889999"))

    assert any("no place 'cloudshell@777788889999'" in p for p in problems), problems


def test_an_accounts_cloudshell_named_by_its_name_is_told_to_use_its_id(tmp_path):
    problems = _problems(tmp_path, _with_vendor(MINI.read_text(), "cloudshell@vendor"))

    assert any("'cloudshell@444455556666'" in p for p in problems), problems


def _line_of(text: str, fragment: str) -> int:
    return next(number for number, row in enumerate(text.splitlines(), 1) if fragment in row)


def test_a_duplicate_slug_is_found_when_one_file_is_validated_alone(tmp_path):
    shutil.copy(MINI, tmp_path / "mini.yaml")
    shutil.copy(MINI, tmp_path / "mini-copy.yml")
    assert validate_scenario(tmp_path / "mini-copy.yml") == []
    problems = [str(p) for p in validate_file(tmp_path / "mini-copy.yml")]
    assert problems == [
        f"mini-copy.yml:{_line_of(MINI.read_text(), 'slug:')}: slug 'mini' is also used by mini.yaml"
    ]


def test_a_folder_reports_a_shared_slug_once(tmp_path):
    shutil.copy(MINI, tmp_path / "a.yaml")
    shutil.copy(MINI, tmp_path / "b.yaml")
    clashes = [str(p) for p in problems_in(tmp_path) if "is also used" in str(p)]
    assert clashes == ["b.yaml:1: slug 'mini' is also used by a.yaml"]


def test_a_failing_setup_item_is_reported_at_its_own_line(tmp_path):
    text = MINI.read_text().replace(
        "params: {InstanceProfileName: AppRole, RoleName: AppRole}",
        "params: {InstanceProfileName: AppRole, RoleName: NoSuchRole}",
    )
    line = _line_of(text, "RoleName: NoSuchRole") - 2  # the item's `- service:` line
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"broken.yaml:{line}: setup fails: NoSuchEntity: "), problems


def test_policy_errors_in_setup_are_reported_at_the_call(tmp_path):
    text = MINI.read_text().replace('"Action": "s3:PutObject"', '"Action": "s3PutObject"')
    line = _line_of(text, "operation: PutRolePolicy") - 1
    problems = _problems(tmp_path, text)
    assert any(
        p.startswith(f"broken.yaml:{line}: PutRolePolicy's PolicyDocument at Statement[0].Action")
        for p in problems
    ), problems


def test_a_trust_policy_with_a_resource_is_reported(tmp_path):
    text = MINI.read_text().replace(
        '"Action": "sts:AssumeRole"}', '"Action": "sts:AssumeRole", "Resource": "*"}'
    )
    problems = _problems(tmp_path, text)
    assert any("CreateRole's AssumeRolePolicyDocument" in p for p in problems), problems


def test_a_bucket_policy_in_a_solution_is_checked(tmp_path):
    text = MINI.read_text() + (
        "    - service: s3\n"
        "      operation: PutBucketPolicy\n"
        "      params:\n"
        "        Bucket: reports-bucket\n"
        '        Policy: \'{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
        '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports-bucket/*"}]}\'\n'
    )
    problems = _problems(tmp_path, text)
    line = _line_of(text, "operation: PutBucketPolicy") - 1
    assert any(p.startswith(f"broken.yaml:{line}: PutBucketPolicy's Policy") for p in problems), (
        problems
    )


def test_policy_warnings_are_not_problems(tmp_path):
    # Too broad, as a lesson may set up on purpose: Access Analyzer warns, it is no error.
    text = MINI.read_text().replace(
        '"Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports-bucket/*"',
        '"Action": "iam:PassRole", "Resource": "*"',
    )
    path = tmp_path / "broad.yaml"
    path.write_text(text)
    scenario, problems = read_scenario(path)
    assert problems == []
    assert policy_problems(scenario) == []


def test_placeholders_in_a_policy_stand_for_the_world_s_account(tmp_path):
    text = MINI.read_text().replace(
        '"Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports-bucket/*"',
        '"Action": "iam:PassRole", "Resource": "arn:aws:iam::{account}:role/AppRole"',
    )
    path = tmp_path / "placeholder.yaml"
    path.write_text(text)
    assert policy_problems(read_scenario(path)[0]) == []
    path.write_text(text.replace("{account}", "1111"))
    (problem,) = policy_problems(read_scenario(path)[0])
    assert "The resource ARN account ID is not valid" in str(problem)
