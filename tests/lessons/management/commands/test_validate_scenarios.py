"""`manage.py validate_scenarios`: a clean folder in one line, each problem with its file and
line, and exit status 1 when there is any."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.lessons.workspace_scenarios import MINI

ROOT = Path(__file__).resolve().parents[4]
SCENARIOS = sorted(settings.ROLECALL_SCENARIO_DIR.glob("*.yaml"))

GOOD = MINI.read_text()  # a valid scenario: each broken file below changes it in one place


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


def test_the_default_folder_is_the_one_DJANGO_SCENARIO_DIR_names(tmp_path: Path) -> None:
    shutil.copy(MINI, tmp_path / "mini.yaml")
    result = subprocess.run(
        [sys.executable, "manage.py", "validate_scenarios"],
        cwd=ROOT, env={**os.environ, "DJANGO_SCENARIO_DIR": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == "1 scenario, 0 problems", result.stdout + result.stderr


def test_command_finds_a_slug_another_file_has_when_one_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "first.yaml").write_text(GOOD)
    (tmp_path / "second.yaml").write_text(GOOD)
    with pytest.raises(SystemExit):
        call_command("validate_scenarios", str(tmp_path / "first.yaml"))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"first.yaml:{_line_of(GOOD, 'slug:')}: slug 'mini' is also used by second.yaml",
        "1 scenario, 1 problem",
    ]


def test_command_reads_yml_files_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tiny.yml").write_text(GOOD.replace("hints:", "hint:"))
    with pytest.raises(SystemExit):
        call_command("validate_scenarios", str(tmp_path))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"tiny.yml:{_line_of(GOOD, 'hints:')}: unknown key 'hint': did you mean 'hints'?",
        "1 scenario, 1 problem",
    ]
