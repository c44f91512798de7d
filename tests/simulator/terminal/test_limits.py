"""Whatever a learner types, one run finishes quickly and the saved world stays small: words,
variables, files and transcripts are bounded in each place and in all places together."""

import json

from simulator import terminal
from simulator.terminal import places as _places_function  # noqa: F401
from simulator.terminal import shell
from simulator.terminal.places import (
    MAX_STORED_FILES,
    MAX_STORED_SHELLS,
    MAX_STORED_VARIABLES,
    find,
    write_file,
)
from tests.factories import fleet

SAVED_WORLD_BUDGET = 200 * 1024
"""DESIGN.md: one learner's saved world is at most 200 KB of JSON."""
DOUBLE_20 = "$A" * 20


def run(world, text, place_id="laptop"):
    return terminal.run(world, place_id, text)


def saved_size(world) -> int:
    return len(json.dumps(world.to_dict()))


def test_a_variable_multiplied_by_itself_stops_at_the_word_limit(world):
    ran = run(world, f"A=xx; A={DOUBLE_20}; A={DOUBLE_20}; A={DOUBLE_20}; A={DOUBLE_20}; echo ok")

    assert f"a word longer than {shell.MAX_WORD // 1024} KiB" in ran.output
    assert ran.output.endswith("ok\n")
    assert len(world.state.places["laptop"].terminal.variables["A"]) <= shell.MAX_WORD


def test_a_heredoc_expanding_a_variable_thousands_of_times_stops_at_the_word_limit(world):
    run(world, "A=" + "x" * 1000)
    ran = run(world, "cat > big <<EOF\n" + "$A" * 3000 + "\nEOF")

    assert ran.status == 1
    assert "a word longer than" in ran.output
    assert run(world, "ls").output == ""


def test_a_redirection_to_a_substitution_nested_too_deep_is_an_error_not_an_exception(world):
    ran = run(world, "echo hi > $(echo $(echo $(echo $(echo x))))")
    assert f"nested more than {shell.MAX_DEPTH} deep" in ran.output
    assert ran.status == 1


def test_one_line_starts_at_most_max_aws_aws_commands(world):
    ran = run(world, "; ".join(["aws --version"] * (shell.MAX_AWS + 3)), "cloudshell")
    assert ran.output.count("aws-cli/") == shell.MAX_AWS
    assert ran.output.count(f"{shell.MAX_AWS} aws commands at most in one go") == 3


def test_one_line_starts_at_most_max_commands_commands_substitutions_included(world):
    ran = run(world, "; ".join(["echo $(echo a)"] * shell.MAX_COMMANDS))
    assert ran.output.count("a\n") == shell.MAX_COMMANDS // 2
    assert f"{shell.MAX_COMMANDS} commands at most in one go" in ran.output


def test_nul_bytes_and_lone_surrogates_are_kept_as_replacement_characters(world):
    ran = run(world, "echo a\x00b \ud800; echo c\x00d > f; cat f")
    assert ran.output == "a\ufffdb \ufffd\nc\ufffdd\n"
    saved = json.dumps(world.to_dict())
    saved.encode("utf-8")  # no lone surrogate
    assert "\\u0000" not in saved  # PostgreSQL's jsonb refuses it


def test_files_of_all_places_together_stay_within_the_stored_budget(world):
    _, instance_ids = fleet(world)
    refusals = []
    for instance_id in instance_ids:
        for name in ("f", "g"):
            try:
                write_file(world, find(world, instance_id), f"/home/ec2-user/{name}", "x" * 8000)
            except ValueError as error:
                refusals.append(str(error))
    assert refusals
    assert set(refusals) == {"No space left on device"}
    stored = [*world.state.instances.values(), *world.state.places.values()]
    assert sum(len(json.dumps(p.files)) for p in stored) <= MAX_STORED_FILES + 1024
    ran = run(world, f"echo {'h' * 10_000} > /tmp/x", instance_ids[-1])
    assert ran.output == "bash: /tmp/x: No space left on device\n"


def test_transcripts_of_all_places_together_stay_within_the_stored_budget(world):
    _, instance_ids = fleet(world)
    for place_id in ["cloudshell", "laptop", *instance_ids]:
        for _ in range(5):
            run(world, "echo " + "y" * 4000 + "; history", place_id)
    kept = world.state.places.values()
    stored = sum(
        len(json.dumps(p.terminal.lines)) + len(json.dumps(p.terminal.history)) for p in kept
    )
    assert stored <= MAX_STORED_SHELLS + 4 * len(world.state.places)
    assert world.state.places[instance_ids[-1]].terminal.lines  # the place just used keeps its own


def test_variables_of_all_places_together_stay_within_the_budget(world):
    _, instance_ids = fleet(world)
    outputs = "".join(
        run(world, f"export V=$(echo {'v' * 4000}); W={'w' * 4000}", place_id).output
        for place_id in ["cloudshell", "laptop", *instance_ids]
    )
    assert "no room for more variables" in outputs
    stored = sum(
        len(json.dumps(p.terminal.variables)) + len(json.dumps(p.terminal.exported))
        for p in world.state.places.values()
    )
    assert stored <= MAX_STORED_VARIABLES + 8 * len(world.state.places)


def test_the_saved_fleet_world_stays_within_its_budget_whatever_is_typed(world):
    _, instance_ids = fleet(world)
    for place_id in ["cloudshell", "laptop", *instance_ids]:
        run(world, "cat > f <<EOF\n" + ("z" * 1000 + "\n") * 15 + "EOF", place_id)
        run(world, "cat f f > g; V=$(cat f); export W=$(cat f)", place_id)
        run(world, "cat f; cat g; history; env", place_id)
    assert saved_size(world) <= SAVED_WORLD_BUDGET
