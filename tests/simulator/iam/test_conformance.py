"""The engine agrees with every evaluation case: AWS's behaviour, case by case.

The shared cases (from the iam-simulate project) live in ../shared/conformance/ and are read
from there, never copied; where that folder is absent the test skips saying so. The project's
own cases live in tests/simulator/cases/.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.iam.conformance import decide_case, load_cases

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "conformance"
OWN = ROOT / "tests" / "simulator" / "cases"


def _params(folder: Path) -> list:
    if not folder.is_dir():
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"{folder} is absent"), id="absent")
        ]
    return [
        pytest.param(case, id=f"{Path(case.file).relative_to(folder)}::{case.name}")
        for case in load_cases([folder])
    ]


@pytest.mark.parametrize("case", _params(SHARED))
def test_engine_agrees_with_shared_case(case):
    assert decide_case(case.data).response.value == case.expected


@pytest.mark.parametrize("case", _params(OWN))
def test_engine_agrees_with_own_case(case):
    assert decide_case(case.data).response.value == case.expected


def test_own_cases_number_at_least_150():
    assert len(load_cases([OWN])) >= 150


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.iam.conformance", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def _case(expected: str) -> dict:
    return {
        "name": f"user allowed to get, expecting {expected}",
        "request": {
            "action": "s3:GetObject",
            "resource": {"resource": "arn:aws:s3:::b/k", "accountId": "111122223333"},
            "principal": "arn:aws:iam::111122223333:user/alice",
        },
        "identityPolicies": [
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ],
        "expected": {"response": expected},
    }  # fmt: skip


def test_runner_prints_failures_then_totals_and_exits_nonzero(tmp_path):
    (tmp_path / "cases.json").write_text(json.dumps([_case("Allowed"), _case("ExplicitlyDenied")]))
    result = _run(str(tmp_path))
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1
    assert lines[-1] == "1 passed, 1 failed"
    assert "expecting ExplicitlyDenied: expected ExplicitlyDenied, got Allowed" in lines[0]


def test_runner_exits_zero_when_every_case_agrees(tmp_path):
    (tmp_path / "cases.json").write_text(json.dumps([_case("Allowed")]))
    result = _run(str(tmp_path / "cases.json"))
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_runner_json_prints_one_object_per_case(tmp_path):
    (tmp_path / "cases.json").write_text(json.dumps([_case("Allowed"), _case("ImplicitlyDenied")]))
    lines = _run("--json", str(tmp_path)).stdout.strip().splitlines()
    objects = [json.loads(line) for line in lines[:-1]]
    assert [(o["expected"], o["actual"]) for o in objects] == [
        ("Allowed", "Allowed"),
        ("ImplicitlyDenied", "Allowed"),
    ]
    assert set(objects[0]) == {"file", "name", "expected", "actual"}


def test_runner_bench_prints_rates_last(tmp_path):
    (tmp_path / "cases.json").write_text(json.dumps([_case("Allowed")]))
    last = _run("--bench", "0.2", str(tmp_path)).stdout.strip().splitlines()[-1]
    label, cold, warm = last.split(" ")
    assert label == "evaluations/s"
    assert cold.startswith("cold=")
    assert int(cold[5:]) > 0
    assert warm.startswith("warm=")
    assert int(warm[5:]) > 0


def test_runner_reports_a_missing_path_clearly(tmp_path):
    result = _run(str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
