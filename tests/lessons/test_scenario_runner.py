"""The scenario format: problems reported with file and line; checks run on a copy."""

import shutil
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from lessons import scenario as runner
from lessons.scenario.checks import CONDITIONS
from lessons.scenario.run import substitute
from simulator.services import instances

MINI = Path(__file__).resolve().parent / "scenarios" / "mini.yaml"


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(text))
    return [str(problem) for problem in runner.validate_scenario(path)]


def test_yaml_syntax_error_names_the_line(tmp_path):
    problems = _problems(tmp_path, "slug: x\ntitle: [unclosed\nsummary: y\n")
    assert problems[0].startswith("broken.yaml:")
    assert "not valid YAML" in problems[0]


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


def test_every_step_needs_a_solution(tmp_path):
    text = MINI.read_text().split("solution:")[0]
    assert any("has no reference solution" in p for p in _problems(tmp_path, text))


def test_mini_scenario_is_valid_and_its_check_runs_on_a_copy(tmp_path):
    assert runner.validate_scenario(MINI) == []
    scenario = runner.load_scenario(MINI)
    world, variables = runner.build_world(scenario)
    events_before = len(world.events)
    result = runner.check_step(world, variables, scenario.steps[0])
    assert not result.passed
    assert [item.passed for item in result.items] == [False, False]
    assert result.first_failure.detail == "got NoCredentials"
    assert len(world.events) == events_before, "checking must not change the learner's world"


def test_placeholders_name_instances_and_saved_values():
    scenario = runner.load_scenario(MINI)
    world, variables = runner.build_world(scenario)
    variables["key"] = {"AccessKeyId": "AKIAEXAMPLE"}
    instance_id = next(iter(world.state.instances))
    assert substitute("x/{instance:web-1}/{account}/{var:key.AccessKeyId}", world, variables) == (
        f"x/{instance_id}/111122223333/AKIAEXAMPLE"
    )


def test_unknown_condition_lists_the_known_ones(tmp_path):
    text = MINI.read_text().replace("instance_role:", "instance_roles:")
    problems = _problems(tmp_path, text)
    assert any("a condition is one of:" in p and "instance_role" in p for p in problems)


@pytest.fixture
def scenario_dir(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    return folder


def test_problems_in_reports_duplicate_slugs(scenario_dir):
    shutil.copy(MINI, scenario_dir / "mini-copy.yaml")
    assert any("slug 'mini' is also used" in str(p) for p in runner.problems_in(scenario_dir))


def test_app_call_not_key_passes_once_the_application_signs_with_another_key():
    scenario = runner.load_scenario(settings.ROLECALL_SCENARIO_DIR / "keys-vs-role.yaml")
    world, variables = runner.build_world(scenario)
    app_call = CONDITIONS["app_call"]
    args = {"instance": "web-1", "operation": "PutObject", "not_key": "app_key"}
    runner.run_actions(world, variables, scenario.solution["see-it-work"])
    passed, detail = app_call(world, args, variables)
    assert not passed
    assert "still made with the access key saved as app_key" in detail
    new_key = world.session().client("iam").create_access_key(UserName="app-user")["AccessKey"]
    instance_id = substitute("{instance:web-1}", world, variables)
    world.write_file(
        instance_id,
        "/home/ec2-user/.aws/credentials",
        f"[default]\naws_access_key_id = {new_key['AccessKeyId']}\n"
        f"aws_secret_access_key = {new_key['SecretAccessKey']}\n",
    )
    instances.tick(world)
    passed, detail = app_call(world, args, variables)
    assert passed, detail
