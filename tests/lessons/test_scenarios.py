"""The course's scenarios: each one is valid, its reference solution completes it step by step,
no step passes before its solution, and `validate_scenarios` reports broken files by line."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from lessons import scenario as runner
from lessons.scenario.checks import CONDITIONS
from lessons.scenario.run import FACTS, PROBE_ACTORS

SCENARIOS = sorted(settings.ROLECALL_SCENARIO_DIR.glob("*.yaml"))
GUIDED = [path for path in SCENARIOS if not runner.load_scenario(path).sandbox]
ROOT = Path(__file__).resolve().parents[2]


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def test_the_course_has_four_guided_scenarios_and_a_sandbox() -> None:
    slugs = {runner.load_scenario(path).slug for path in SCENARIOS}
    assert slugs == {
        "keys-vs-role", "fleet-put-only", "attach-replace", "service-linked-roles", "sandbox",
    }  # fmt: skip
    assert all(runner.load_scenario(path).slug == path.stem for path in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_validates_without_problems(path: Path) -> None:
    assert [str(problem) for problem in runner.validate_scenario(path)] == []


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_reference_solution_completes_the_scenario_and_no_step_passes_early(path: Path) -> None:
    scenario = runner.load_scenario(path)
    world, variables = runner.build_world(scenario)
    for step in scenario.steps:
        events = len(world.events)
        before = runner.check_step(world, variables, step)
        assert not before.passed, f"{step.id} passes before the learner acts"
        assert len(world.events) == events, "a check must leave the learner's world alone"
        runner.run_actions(world, variables, scenario.solution[step.id])
        after = runner.check_step(world, variables, step)
        assert after.passed, f"{step.id}: {after.first_failure}"


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_guided_scenario_has_the_shape_of_a_lesson(path: Path) -> None:
    scenario = runner.load_scenario(path)
    assert 4 <= len(scenario.steps) <= 7
    assert 3 <= len(scenario.outcomes) <= 4
    assert scenario.minutes > 0
    for step in scenario.steps:
        assert step.title, step.id
        assert step.text.strip(), step.id
        assert step.explanation.strip(), step.id
        assert 2 <= len(step.hints) <= 3, step.id
        assert all(item.says for item in (*step.probes, *step.conditions)), step.id
    assert 3 <= len(scenario.questions) <= 5
    for question in scenario.questions:
        assert sum(option.correct for option in question.options) == 1, question.id
        assert len(question.options) >= 3, question.id
        assert all(option.explanation.strip() for option in question.options), question.id


def test_the_right_answer_is_not_always_in_the_same_place() -> None:
    """Nothing may lean on the right option's position: the course spreads it around."""
    places = [
        next(index for index, option in enumerate(question.options) if option.correct)
        for path in GUIDED
        for question in runner.load_scenario(path).questions
    ]
    assert len(set(places)) >= 3, places
    assert max(places.count(place) for place in set(places)) <= len(places) // 2, places


def test_sandbox_has_no_steps_and_a_working_fleet() -> None:
    from simulator.services import instances

    scenario = runner.load_scenario(settings.ROLECALL_SCENARIO_DIR / "sandbox.yaml")
    assert scenario.sandbox
    assert scenario.steps == ()
    world, _ = runner.build_world(scenario)
    results = instances.tick(world)
    assert {result["name"] for result in results} == {"role-box", "key-box"}
    assert {result["source"] for result in results} == {
        "instance profile",
        "shared credentials file",
    }


def test_validating_every_scenario_takes_a_few_seconds_at_most() -> None:
    started = time.perf_counter()
    problems = runner.problems_in(settings.ROLECALL_SCENARIO_DIR)
    elapsed = time.perf_counter() - started
    assert problems == []
    assert elapsed < 5, f"validating the scenarios took {elapsed:.1f} s"


# --- the management command --------------------------------------------------------------------

GOOD = textwrap.dedent(
    """\
    slug: tiny
    title: Attach a role
    summary: A tiny scenario.
    setup:
      - service: iam
        operation: CreateRole
        params:
          RoleName: AppRole
          AssumeRolePolicyDocument: >-
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
      - service: iam
        operation: CreateInstanceProfile
        params: {InstanceProfileName: AppRole}
      - service: iam
        operation: AddRoleToInstanceProfile
        params: {InstanceProfileName: AppRole, RoleName: AppRole}
      - service: ec2
        operation: RunInstances
        params:
          ImageId: ami-0abcdef1234567890
          MinCount: 1
          MaxCount: 1
          TagSpecifications:
            - ResourceType: instance
              Tags: [{Key: Name, Value: web-1}]
    steps:
      - id: attach
        title: Give web-1 a role
        text: Attach the AppRole instance profile to web-1.
        hints: [Use AssociateIamInstanceProfile.]
        check:
          probes:
            - as: {instance: web-1}
              service: sts
              operation: GetCallerIdentity
              expect: Allowed
          conditions:
            - instance_role: {instance: web-1, role: AppRole}
    solution:
      attach:
        - service: ec2
          operation: AssociateIamInstanceProfile
          params:
            IamInstanceProfile: {Name: AppRole}
            InstanceId: "{instance:web-1}"
    """
)


def _line_of(text: str, fragment: str) -> int:
    return next(number for number, row in enumerate(text.splitlines(), 1) if fragment in row)


def _broken_folder(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, str]]]:
    """Broken scenario files, and for each the line and words its problem must carry."""
    folder = tmp_path / "broken"
    folder.mkdir()
    files = {
        "syntax.yaml": GOOD.replace("title: Attach a role", "title: [Attach a role"),
        "unknown-operation.yaml": GOOD.replace(
            "operation: CreateInstanceProfile", "operation: CreateInstanceProfil"
        ),
        "bad-params.yaml": GOOD.replace(
            "params: {InstanceProfileName: AppRole}", "params: {InstanceProfile: AppRole}"
        ),
        "never-passes.yaml": GOOD.replace("role: AppRole}", "role: OtherRole}"),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    expected = {
        # PyYAML notices the unclosed flow sequence where the next key starts.
        "syntax.yaml": (_line_of(files["syntax.yaml"], "summary:"), "not valid YAML"),
        "unknown-operation.yaml": (
            _line_of(files["unknown-operation.yaml"], "CreateInstanceProfil") - 1,
            "unknown operation iam CreateInstanceProfil",
        ),
        "bad-params.yaml": (
            _line_of(files["bad-params.yaml"], "{InstanceProfile: AppRole}") - 2,
            "invalid parameters for iam CreateInstanceProfile",
        ),
        "never-passes.yaml": (
            _line_of(files["never-passes.yaml"], "role: OtherRole}"),
            "step 'attach' cannot pass with its reference solution",
        ),
    }
    return folder, expected


def test_command_reports_a_good_folder_as_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tiny.yaml").write_text(GOOD)
    call_command("validate_scenarios", str(tmp_path))
    assert capsys.readouterr().out.splitlines() == ["1 scenario, 0 problems"]


def test_command_checks_the_app_scenarios_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("validate_scenarios")
    assert capsys.readouterr().out.splitlines() == [f"{len(SCENARIOS)} scenarios, 0 problems"]


def test_command_reports_each_problem_with_file_and_line_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, expected = _broken_folder(tmp_path)
    with pytest.raises(SystemExit) as exit_status:
        call_command("validate_scenarios", str(folder))
    assert exit_status.value.code == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"4 scenarios, {len(lines) - 1} problems"
    for name, (line, words) in expected.items():
        mine = [row for row in lines if row.startswith(f"{name}:")]
        assert mine, f"nothing reported for {name}: {lines}"
        assert any(row.startswith(f"{name}:{line}: ") and words in row for row in mine), mine


def test_command_reports_a_step_that_passes_before_the_learner_acts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        GOOD.replace("expect: Allowed", "expect: NoCredentials")
        .replace("        - instance_role: {instance: web-1, role: AppRole}\n", "")
        .replace("      conditions:\n", "")
    )
    (tmp_path / "early.yaml").write_text(text)
    with pytest.raises(SystemExit):
        call_command("validate_scenarios", str(tmp_path / "early.yaml"))
    out = capsys.readouterr().out
    assert f"early.yaml:{_line_of(text, '- id: attach')}: step 'attach' passes before" in out


def test_command_reports_a_solution_call_that_should_have_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace(
        'InstanceId: "{instance:web-1}"\n',
        'InstanceId: "{instance:web-1}"\n      expect: IncorrectState\n',
    )
    (tmp_path / "expect.yaml").write_text(text)
    with pytest.raises(SystemExit):
        call_command("validate_scenarios", str(tmp_path))
    out = capsys.readouterr().out
    assert "the solution of step 'attach' fails: AssociateIamInstanceProfile succeeded" in out


def test_command_exits_with_status_1_from_the_shell(tmp_path: Path) -> None:
    folder, _ = _broken_folder(tmp_path)
    broken = subprocess.run(
        [sys.executable, "manage.py", "validate_scenarios", str(folder)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[-1].startswith("4 scenarios, ")
    clean = subprocess.run(
        [sys.executable, "manage.py", "validate_scenarios"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == f"{len(SCENARIOS)} scenarios, 0 problems"


def test_the_example_in_the_authoring_guide_is_a_valid_scenario(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    example = guide.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    (tmp_path / "attach-a-role.yaml").write_text(example)
    assert [
        str(problem) for problem in runner.validate_scenario(tmp_path / "attach-a-role.yaml")
    ] == []


def test_the_authoring_guide_documents_every_condition_and_fact() -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    for name in (*CONDITIONS, *FACTS, *PROBE_ACTORS):
        assert f"`{name}`" in guide or f"{{{name}:" in guide, name
