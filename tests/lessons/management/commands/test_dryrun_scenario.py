"""`manage.py dryrun_scenario`: each step's check as a learner who checks too early sees it, then
after the reference solution, item by item."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lessons.management.commands.dryrun_scenario import dry_run
from lessons.scenario.loader import load_scenario
from tests.lessons.workspace_scenarios import MINI

# A second step whose check (web-1 has AppRole) the first step's solution already satisfies.
SECOND_STEP = """  - id: again
    title: Keep the role
    text: Leave AppRole on web-1.
    hints: [Do nothing.]
    check:
      conditions:
        - instance_role: {instance: web-1, role: AppRole}
    explanation: Still there.
questions:
"""


def _dryrun(*args: str) -> str:
    out = StringIO()
    call_command("dryrun_scenario", *args, stdout=out)
    return out.getvalue()


def _two_steps(tmp_path: Path) -> Path:
    text = MINI.read_text().replace("questions:\n", SECOND_STEP, 1)
    path = tmp_path / "two.yaml"
    path.write_text(text + "  again:\n    - advance: 60\n")
    return path


def test_dry_run_shows_what_a_learner_sees_before_and_after_the_solution_probe_by_probe():
    output = _dryrun(str(MINI))
    too_early, after = output.split("After the reference solution", 1)
    assert "Step 1 of 1: Give web-1 a role [attach, line " in too_early
    assert "[FAILED] As software on instance web-1, s3 PutObject from/i-" in too_early
    assert ".txt gives Allowed — got NoCredentials (line 49)" in too_early
    assert "[FAILED] Instance web-1 has no role; it should have role AppRole" in too_early
    assert "[passed] As software on instance web-1, s3 PutObject" in after
    assert "Allowed, as expected" in after
    assert "[passed] Instance web-1 has role AppRole" in after
    assert output.rstrip().endswith(
        "1 step run: 0 pass too early, 0 do not pass with their solution"
    )


def test_dry_run_flags_a_step_that_passes_too_early(tmp_path):
    path = _two_steps(tmp_path)
    output = _dryrun(str(path))
    step_2 = output.split("Step 2 of 2", 1)[1]
    assert "! This step passes before the learner does anything." in step_2
    assert "2 steps run: 1 passes too early" in output


def test_setup_only_checks_each_step_on_the_world_setup_built(tmp_path):
    scenario = load_scenario(_two_steps(tmp_path))
    after_earlier_steps = [run.too_early.passed for run in dry_run(scenario)]
    setup_only = [run.too_early.passed for run in dry_run(scenario, setup_only=True)]
    assert after_earlier_steps == [False, True]
    assert setup_only == [False, False]
    assert "(setup only) sees:" in _dryrun(str(tmp_path / "two.yaml"), "--setup-only")


def test_dry_run_finds_the_apps_scenario_by_slug():
    output = _dryrun("keys-vs-role")
    assert "Step 7 of 7" in output
    assert "7 steps run: 0 pass too early, 0 do not pass with their solution" in output


def test_an_unknown_scenario_names_the_ones_there_are():
    with pytest.raises(CommandError, match=r"no scenario 'nope' .*keys-vs-role"):
        _dryrun("nope")


def test_a_failing_solution_is_reported_and_stops_the_run(tmp_path):
    path = _two_steps(tmp_path)
    text = path.read_text().replace(
        "Name: AppRole}\n        InstanceId", "Name: NoSuchProfile}\n        InstanceId"
    )
    path.write_text(text)
    output = _dryrun(str(path))
    assert "! The reference solution fails:" in output
    assert "Step 2 of 2" not in output
