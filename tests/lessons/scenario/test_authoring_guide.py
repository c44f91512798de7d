"""docs/authoring.md stays true: its examples are a valid scenario and a passing check, and it
documents every condition, fact, actor, place, probe outcome, console call, terminal command and
management command an author needs."""

import argparse
from pathlib import Path

import yaml
from django.core.management import load_command_class

from lessons.console.actions import API
from lessons.scenario.checks import CONDITIONS, DENIAL_CODES, DENIED, check_step
from lessons.scenario.loader import CONDITION_KEYS, scenario_files
from lessons.scenario.model import ADMIN_ACTOR, Probe, Step
from lessons.scenario.run import ACTORS, BUILTIN_PLACES, FACTS
from lessons.scenario.validate import validate_file, validate_scenario
from simulator import World
from simulator.terminal.shell import COMMANDS
from tests.factories import admin_client, allow

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "authoring.md").read_text()


def _yaml_blocks() -> list[str]:
    return [block.split("```", 1)[0] for block in GUIDE.split("```yaml\n")[1:]]


def _options(command: str) -> set[str]:
    parser = argparse.ArgumentParser()
    load_command_class("lessons", command).add_arguments(parser)
    return {option for action in parser._actions for option in action.option_strings}


def test_the_example_in_the_authoring_guide_is_a_valid_scenario(tmp_path: Path) -> None:
    (tmp_path / "attach-a-role.yaml").write_text(_yaml_blocks()[0])
    assert [str(problem) for problem in validate_scenario(tmp_path / "attach-a-role.yaml")] == []


def test_the_authoring_guide_documents_every_condition_fact_actor_and_place() -> None:
    for name in (*CONDITIONS, *FACTS, *ACTORS, *BUILTIN_PLACES, "terminal", "places"):
        assert f"`{name}`" in GUIDE or f"{{{name}:" in GUIDE, name


def test_the_authoring_guide_says_what_denied_covers_and_how_probes_save_and_share() -> None:
    assert f"`{DENIED}`" in GUIDE
    for code in DENIAL_CODES:
        assert f"`{code}`" in GUIDE, code
    assert "**`save`: one probe's answer for the next.**" in GUIDE
    assert "**How probes share the world.**" in GUIDE


def test_the_save_example_in_the_authoring_guide_passes_on_a_world_it_describes() -> None:
    (block,) = [block for block in _yaml_blocks() if "save: {creds: Credentials}" in block]
    probes = tuple(
        Probe(
            raw.get("as", ADMIN_ACTOR),
            raw["service"],
            raw["operation"],
            raw["params"],
            tuple(raw["expect"]) if isinstance(raw["expect"], list) else (raw["expect"],),
            line,
            "",
            raw.get("save", {}),
        )
        for line, raw in enumerate(yaml.safe_load(block)["probes"], start=1)
    )
    world = World.new()
    admin_client(world, "s3").create_bucket(Bucket="demo-reports")
    admin_client(world, "s3").put_object(Bucket="demo-reports", Key="reports/q1.csv", Body=b"q1")
    iam = admin_client(world, "iam")
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
             '{"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}')  # fmt: skip
    iam.create_role(RoleName="ReportReader", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="ReportReader", PolicyName="read", PolicyDocument=allow(
        "s3:GetObject", resource="arn:aws:s3:::demo-reports/*"))  # fmt: skip
    result = check_step(world, {}, Step("s", "s", "", (), probes, (), "", 1))
    assert result.passed, result.first_failure


def test_the_authoring_guide_names_every_call_the_console_makes_and_every_terminal_command():
    for api in API.values():
        assert f"`{api.operation}`" in GUIDE, api.operation
    for command in COMMANDS:
        assert f"`{command}`" in GUIDE, command


def test_the_authoring_guide_documents_the_commands_an_author_and_an_instructor_run() -> None:
    assert "--password-from-env" in _options("createinstructor")
    assert "createinstructor alice --password-from-env" in GUIDE
    assert "--setup-only" in _options("dryrun_scenario")
    assert "python manage.py dryrun_scenario" in GUIDE
    assert "--setup-only" in GUIDE
    assert "`../shared/iam-facts.md`" in GUIDE


def test_the_authoring_guide_documents_every_argument_of_every_condition() -> None:
    for condition, keys in CONDITION_KEYS.items():
        for key in keys:
            assert f"`{key}`" in GUIDE or f"`{key}:" in GUIDE, f"{condition}: {key}"


def test_the_authoring_guide_quotes_the_validators_own_words(tmp_path: Path) -> None:
    example = _yaml_blocks()[0]
    broken = tmp_path / "broken.yaml"
    broken.write_text(example.replace("hints:", "hint:", 1))
    folder = _folder(tmp_path, {"attach-a-role.yaml": example, "other.yml": example})
    unknown = [str(p) for p in validate_scenario(broken)]
    clash = [str(p) for p in validate_file(folder / "other.yml")]

    assert any("unknown key 'hint': did you mean 'hints'?" in p for p in unknown), unknown
    assert "`unknown key 'hint': did you mean 'hints'?`" in GUIDE
    assert any("slug 'attach-a-role' is also used by attach-a-role.yaml" in p for p in clash)
    assert "`slug 'attach-a-role' is also used by other.yaml`" in GUIDE
    assert "also when you validate one\n   file alone" in GUIDE
    assert [path.name for path in scenario_files(folder)] == ["attach-a-role.yaml", "other.yml"]
    assert "`.yaml` or `.yml` (both are\nread)" in GUIDE


def test_the_authoring_guide_says_which_policy_findings_fail_a_file_and_what_the_server_skips():
    assert "a **warning** or **security warning**" in GUIDE
    assert "is not reported" in GUIDE
    assert "**left out**, and every other file is served" in GUIDE
    assert "Signed-in instructors see a note on the catalogue" in GUIDE


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder
