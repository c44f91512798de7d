"""Reading a scenario file: each problem of structure is reported with its file and line."""

import textwrap
from pathlib import Path

import pytest

from lessons.scenario.checks import CONDITIONS
from lessons.scenario.loader import CONDITION_KEYS, load_scenarios, read_scenario
from tests.lessons.workspace_scenarios import MINI


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(text))
    return [str(problem) for problem in read_scenario(path)[1]]


def _line_of(text: str, fragment: str) -> int:
    return next(number for number, row in enumerate(text.splitlines(), 1) if fragment in row)


def test_yaml_syntax_error_names_the_line(tmp_path):
    problems = _problems(tmp_path, "slug: x\ntitle: [unclosed\nsummary: y\n")
    assert problems[0].startswith("broken.yaml:")
    assert "not valid YAML" in problems[0]


def test_every_step_needs_a_solution(tmp_path):
    text = MINI.read_text().split("solution:")[0]
    assert any("has no reference solution" in p for p in _problems(tmp_path, text))


def test_a_misspelt_condition_is_named_with_the_nearest_one(tmp_path):
    text = MINI.read_text().replace("instance_role:", "instance_roles:")
    line = _line_of(text, "instance_roles:")
    problems = _problems(tmp_path, text)
    assert f"broken.yaml:{line}: unknown key 'instance_roles': did you mean 'instance_role'?" in (
        problems
    )


def test_an_unknown_condition_lists_the_known_ones(tmp_path):
    text = MINI.read_text().replace("instance_role:", "zzz:")
    problems = _problems(tmp_path, text)
    assert any(
        "unknown key 'zzz': a condition has" in p and "'instance_role'" in p and "'says'" in p
        for p in problems
    ), problems


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
    problems = _problems(tmp_path, text)
    assert any(
        "'tick_seconds' must be a whole number from 1 to 3600, not 7200" in p for p in problems
    )


def test_a_hint_key_is_refused_with_did_you_mean_hints(tmp_path):
    text = MINI.read_text().replace("    hints: [", "    hint: [")
    problems = _problems(tmp_path, text)
    assert (
        f"broken.yaml:{_line_of(text, 'hint: [')}: unknown key 'hint': did you mean 'hints'?"
        in (problems)
    )


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("title: Attach a role", "titel: Attach a role", "unknown key 'titel': did you mean 'title'?"),
        ("    check:", "    checks:", "unknown key 'checks': did you mean 'check'?"),
        ("      conditions:", "      condition:", "unknown key 'condition': did you mean 'conditions'?"),
        ("          expect: Allowed", "          expect: Allowed\n          say: x",
         "unknown key 'say': did you mean 'says'?"),
        ("{instance: web-1, role: AppRole}", "{instance: web-1, rol: AppRole}",
         "unknown key 'rol': did you mean 'role'?"),
        ("  - prompt:", "  - promt:", "unknown key 'promt': did you mean 'prompt'?"),
        ("{text: One, correct: true,", "{text: One, corect: true, correct: true,",
         "unknown key 'corect': did you mean 'correct'?"),
        ("    params: {Bucket: reports-bucket}", "    parms: {Bucket: reports-bucket}",
         "unknown key 'parms': did you mean 'params'?"),
        ("      InstanceId: \"{instance:web-1}\"",
         "      InstanceId: \"{instance:web-1}\"\n    - write_file: {instance: web-1, path: /x, txt: y}",
         "unknown key 'txt': did you mean 'text'?"),
        ("      InstanceId: \"{instance:web-1}\"",
         "      InstanceId: \"{instance:web-1}\"\n    - terminal: {place: laptop, command: ls, expct: X}",
         "unknown key 'expct': did you mean 'expect'?"),
        ("      InstanceId: \"{instance:web-1}\"",
         "      InstanceId: \"{instance:web-1}\"\n    - servce: s3\n      operation: ListBuckets",
         "unknown key 'servce': did you mean 'service'?"),
    ],
    ids=["top", "step", "check", "probe", "condition-argument", "question", "option", "call",
         "fact", "terminal", "call-without-operation-key"],
)  # fmt: skip
def test_unknown_keys_are_refused_at_every_level(tmp_path, before, after, message):
    text = MINI.read_text()
    assert before in text
    problems = _problems(tmp_path, text.replace(before, after, 1))
    assert any(p.endswith(message) for p in problems), problems


def test_an_unknown_key_of_a_place_is_refused(tmp_path):
    text = MINI.read_text().replace("steps:\n", "places:\n  - {id: mine, lable: Mine}\nsteps:\n", 1)
    assert any(
        p.endswith("unknown key 'lable': did you mean 'label'?") for p in _problems(tmp_path, text)
    )


def test_a_condition_with_say_for_says_names_the_key_not_the_conditions(tmp_path):
    text = MINI.read_text().replace(
        "        - instance_role: {instance: web-1, role: AppRole}\n",
        "        - instance_role: {instance: web-1, role: AppRole}\n          say: web-1 has it\n",
    )
    problems = _problems(tmp_path, text)
    assert problems == [
        f"broken.yaml:{_line_of(text, 'say: web-1')}: unknown key 'say': did you mean 'says'?"
    ]


def test_a_hint_read_as_a_mapping_says_why_and_to_quote_it(tmp_path):
    text = MINI.read_text().replace(
        "    hints: [Use AssociateIamInstanceProfile., The profile is called AppRole.]\n",
        "    hints:\n      - Use AssociateIamInstanceProfile.\n"
        "      - Note: the profile is called AppRole.\n",
    )
    problems = _problems(tmp_path, text)
    assert problems == [
        f"broken.yaml:{_line_of(text, '- Note:')}: hint 2 was read as a mapping because of ': ' "
        "in 'Note: the profile is called AppRole.'; quote the text"
    ]


def test_a_title_with_colon_space_says_to_quote_it(tmp_path):
    text = MINI.read_text().replace("title: Attach a role", "title: Roles: attach one")
    (problem,) = _problems(tmp_path, text)
    assert "not valid YAML" in problem
    assert "(a text holding ': ' must be in quotes)" in problem


def test_correct_as_a_text_is_refused_not_counted_as_true(tmp_path):
    text = MINI.read_text().replace("correct: false,", 'correct: "false",')
    problems = _problems(tmp_path, text)
    assert any(
        p.endswith("'correct' must be true or false, not the text 'false': write it without quotes")
        for p in problems
    ), problems
    assert not any("exactly one correct option" in p for p in problems), problems


@pytest.mark.parametrize(
    ("value", "said"), [("5.5", "5.5"), ('"5"', "the text '5'"), ("[1]", "a list")]
)
def test_order_must_be_a_whole_number(tmp_path, value, said):
    text = MINI.read_text().replace("order: 1", f"order: {value}")
    problems = _problems(tmp_path, text)
    assert problems == [
        f"broken.yaml:{_line_of(text, 'order:')}: 'order' must be a whole number, not {said}"
    ]


def test_minutes_must_be_a_whole_number(tmp_path):
    text = MINI.read_text().replace("minutes: 5", "minutes: 7.5")
    assert any(
        p.endswith("'minutes' must be a whole number, not 7.5") for p in _problems(tmp_path, text)
    )


def test_sandbox_as_a_text_is_refused(tmp_path):
    text = MINI.read_text().replace("order: 1", 'order: 1\nsandbox: "false"')
    assert any("'sandbox' must be true or false" in p for p in _problems(tmp_path, text))


def test_probes_that_are_not_a_list_are_a_problem_not_a_crash(tmp_path):
    text = MINI.read_text().replace("      probes:\n", "      probes: 5\n      old_probes:\n")
    problems = _problems(tmp_path, text)
    assert any("'probes' must be a list of probes, not 5" in p for p in problems), problems


def test_a_yml_file_is_read_as_well_as_a_yaml_one(tmp_path):
    (tmp_path / "mini.yml").write_text(MINI.read_text())
    (tmp_path / "other.yaml").write_text(MINI.read_text().replace("slug: mini", "slug: other"))
    (tmp_path / "notes.txt").write_text("not a scenario")
    assert [scenario.file for scenario in load_scenarios(tmp_path)] == ["mini.yml", "other.yaml"]


def test_a_solution_that_is_not_a_list_is_reported_at_its_step_id(tmp_path):
    text = MINI.read_text().split("solution:")[0] + "solution:\n  attach: 5\n"
    problems = _problems(tmp_path, text)
    assert problems == [
        f"broken.yaml:{_line_of(text, 'attach: 5')}: the solution of 'attach' must be a list, not 5"
    ]


def test_a_fact_that_needs_arguments_given_a_bare_value_says_which(tmp_path):
    text = MINI.read_text() + "    - write_file: notes.txt\n"
    problems = _problems(tmp_path, text)
    assert problems == [
        f"broken.yaml:{_line_of(text, 'write_file:')}: 'write_file' takes a mapping of "
        "arguments: instance, path, text"
    ]


def test_every_condition_has_its_arguments_listed():
    # A new condition in checks.CONDITIONS needs its arguments in loader.CONDITION_KEYS, or a
    # misspelt argument of it passes silently.
    assert set(CONDITIONS) == set(CONDITION_KEYS)


def test_a_misspelt_argument_of_a_new_condition_is_refused(tmp_path):
    text = MINI.read_text().replace(
        "        - instance_role: {instance: web-1, role: AppRole}\n",
        "        - instance_role: {instance: web-1, role: AppRole}\n"
        "        - role_trust: {role: AppRole, principal: ec2.amazonaws.com, require: {}}\n",
    )
    problems = _problems(tmp_path, text)
    assert any(p.endswith("unknown key 'require': did you mean 'requires'?") for p in problems)
