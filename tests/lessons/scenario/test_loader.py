"""Reading a scenario file: each problem of structure is reported with its file and line."""

import textwrap
from pathlib import Path

from lessons.scenario.loader import read_scenario
from tests.lessons.workspace_scenarios import MINI


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(text))
    return [str(problem) for problem in read_scenario(path)[1]]


def test_yaml_syntax_error_names_the_line(tmp_path):
    problems = _problems(tmp_path, "slug: x\ntitle: [unclosed\nsummary: y\n")
    assert problems[0].startswith("broken.yaml:")
    assert "not valid YAML" in problems[0]


def test_every_step_needs_a_solution(tmp_path):
    text = MINI.read_text().split("solution:")[0]
    assert any("has no reference solution" in p for p in _problems(tmp_path, text))


def test_unknown_condition_lists_the_known_ones(tmp_path):
    text = MINI.read_text().replace("instance_role:", "instance_roles:")
    problems = _problems(tmp_path, text)
    assert any("a condition is one of:" in p and "instance_role" in p for p in problems)
