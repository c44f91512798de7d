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


def test_a_probe_may_not_act_as_a_thief(tmp_path):
    text = MINI.read_text().replace("- as: {instance: web-1}", "- as: {stolen_from: web-1}")
    problems = _problems(tmp_path, text)
    assert any("a probe never acts as a thief" in p for p in problems), problems


def test_a_scenario_declares_places_with_files_and_environment(tmp_path):
    text = MINI.read_text().replace(
        "steps:\n",
        "places:\n"
        "  - id: launchers-laptop\n"
        "    label: launcher's laptop\n"
        '    files: {~/.aws/credentials: "[default]\\n"}\n'
        '    env: {AWS_DEFAULT_REGION: "{region}"}\n'
        "steps:\n",
        1,
    )
    path = tmp_path / "places.yaml"
    path.write_text(text)
    scenario, problems = read_scenario(path)
    assert problems == []
    (place,) = scenario.places
    assert (place.id, place.label) == ("launchers-laptop", "launcher's laptop")
    assert place.files == {"~/.aws/credentials": "[default]\n"}
    assert place.env == {"AWS_DEFAULT_REGION": "{region}"}


def test_a_place_may_not_take_the_name_of_one_every_world_has(tmp_path):
    text = MINI.read_text().replace(
        "steps:\n", "places:\n  - {id: laptop, label: Mine}\nsteps:\n", 1
    )
    assert any("the place 'laptop' exists already" in p for p in _problems(tmp_path, text))


def test_a_terminal_action_needs_a_place_and_a_command(tmp_path):
    text = MINI.read_text() + "    - terminal: {place: laptop}\n"
    problems = _problems(tmp_path, text)
    assert any("'terminal' takes {place: WHERE, command: TEXT}" in p for p in problems), problems


def test_a_scenario_sets_how_far_the_clock_moves_on_each_fleet_tick(tmp_path):
    path = tmp_path / "slow.yaml"
    path.write_text(MINI.read_text().replace("steps:\n", "tick_seconds: 300\nsteps:\n", 1))
    scenario, problems = read_scenario(path)
    assert problems == []
    assert scenario.tick_seconds == 300
    (tmp_path / "default.yaml").write_text(MINI.read_text())
    assert read_scenario(tmp_path / "default.yaml")[0].tick_seconds == 60


def test_a_tick_longer_than_an_hour_is_a_problem(tmp_path):
    text = MINI.read_text().replace("steps:\n", "tick_seconds: 7200\nsteps:\n", 1)
    assert any("'tick_seconds' is a whole number" in p for p in _problems(tmp_path, text))
