"""Checking a step: it runs on a copy of the learner's world; conditions read the world."""

from django.conf import settings

from lessons.scenario.checks import CONDITIONS, check_step
from lessons.scenario.loader import load_scenario
from lessons.scenario.run import build_world, run_actions, substitute
from simulator.services import instances
from tests.lessons.workspace_scenarios import MINI


def test_a_check_runs_on_a_copy_of_the_world():
    scenario = load_scenario(MINI)
    world, variables = build_world(scenario)
    events_before = len(world.events)
    result = check_step(world, variables, scenario.steps[0])
    assert not result.passed
    assert [item.passed for item in result.items] == [False, False]
    assert result.first_failure.detail == "got NoCredentials"
    assert len(world.events) == events_before, "checking must not change the learner's world"


def test_app_call_not_key_passes_once_the_application_signs_with_another_key():
    scenario = load_scenario(settings.ROLECALL_SCENARIO_DIR / "keys-vs-role.yaml")
    world, variables = build_world(scenario)
    app_call = CONDITIONS["app_call"]
    args = {"instance": "web-1", "operation": "PutObject", "not_key": "app_key"}
    run_actions(world, variables, scenario.solution["see-it-work"])
    passed, detail = app_call(world, args, variables)
    assert not passed
    assert "still made with the access key saved as app_key" in detail
    new_key = world.session().client("iam").create_access_key(UserName="app-user")["AccessKey"]
    instance_id = substitute("{instance:web-1}", world, variables)
    world.write_file(
        instance_id,
        "/home/ec2-user/.aws/credentials",
        f"[default]\naws_access_key_id = {new_key['AccessKeyId']}\n"
        f"aws_secret_access_key = {new_key['SecretAccessKey']}\n",
    )
    instances.tick(world)
    passed, detail = app_call(world, args, variables)
    assert passed, detail
