"""docs/authoring.md stays true: its example is a valid scenario, and it documents every
condition, fact, actor and place a scenario file may use."""

from pathlib import Path

from lessons.scenario.checks import CONDITIONS
from lessons.scenario.run import ACTORS, BUILTIN_PLACES, FACTS
from lessons.scenario.validate import validate_scenario

ROOT = Path(__file__).resolve().parents[3]


def test_the_example_in_the_authoring_guide_is_a_valid_scenario(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    example = guide.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    (tmp_path / "attach-a-role.yaml").write_text(example)
    assert [str(problem) for problem in validate_scenario(tmp_path / "attach-a-role.yaml")] == []


def test_the_authoring_guide_documents_every_condition_fact_actor_and_place() -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    for name in (*CONDITIONS, *FACTS, *ACTORS, *BUILTIN_PLACES, "terminal", "places"):
        assert f"`{name}`" in guide or f"{{{name}:" in guide, name
