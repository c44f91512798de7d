"""Running a scenario's actions: placeholders name instances and saved values."""

from lessons.scenario.loader import load_scenario
from lessons.scenario.run import build_world, substitute
from tests.lessons.workspace_scenarios import MINI


def test_placeholders_name_instances_and_saved_values():
    world, variables = build_world(load_scenario(MINI))
    variables["key"] = {"AccessKeyId": "AKIAEXAMPLE"}
    instance_id = next(iter(world.state.instances))
    assert substitute("x/{instance:web-1}/{account}/{var:key.AccessKeyId}", world, variables) == (
        f"x/{instance_id}/111122223333/AKIAEXAMPLE"
    )
