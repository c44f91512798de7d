"""The course's scenarios (lessons/scenarios/): each one is valid, its reference solution
completes it step by step, no step passes before its solution, no check performs the learner's
experiment, and each has a lesson's shape."""

import contextlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from lessons.scenario import (
    build_world,
    check_step,
    load_scenario,
    run_actions,
    validate_scenario,
)
from lessons.scenario.model import ADMIN_ACTOR
from lessons.scenario.run import PROBE_ACTORS
from simulator import AwsError
from simulator.services import instances

SCENARIOS = sorted(settings.ROLECALL_SCENARIO_DIR.glob("*.yaml"))
GUIDED = [path for path in SCENARIOS if not load_scenario(path).sandbox]


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def test_the_course_has_five_guided_scenarios_and_a_sandbox() -> None:
    slugs = {load_scenario(path).slug for path in SCENARIOS}
    assert slugs == {
        "keys-vs-role", "fleet-put-only", "attach-replace", "service-linked-roles",
        "vendor-external-id", "sandbox",
    }  # fmt: skip
    assert all(load_scenario(path).slug == path.stem for path in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_validates_without_problems(path: Path) -> None:
    assert [str(problem) for problem in validate_scenario(path)] == []


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_reference_solution_completes_the_scenario_and_no_step_passes_early(path: Path) -> None:
    scenario = load_scenario(path)
    world, variables = build_world(scenario)
    for step in scenario.steps:
        events = len(world.events)
        before = check_step(world, variables, step)
        assert not before.passed, f"{step.id} passes before the learner acts"
        assert len(world.events) == events, "a check must leave the learner's world alone"
        run_actions(world, variables, scenario.solution[step.id])
        after = check_step(world, variables, step)
        assert after.passed, f"{step.id}: {after.first_failure}"


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_no_step_check_makes_the_call_its_step_asks_for(path: Path) -> None:
    """The learner makes the call (uses the copied key, meets the refusal); the check finds it
    in the log. A probe may confirm lasting state, never repeat the step's experiment."""
    for step in load_scenario(path).steps:
        asked: set[str] = set()
        for condition in step.conditions:
            if condition.kind in ("event", "app_call"):
                names = condition.args.get("operation") or []
                asked.update(names if isinstance(names, list) else [names])
        for probe in step.probes:
            assert probe.operation not in asked, f"{step.id}: a probe makes {probe.operation}"
            assert probe.actor == ADMIN_ACTOR or set(probe.actor) <= set(PROBE_ACTORS), step.id


def test_keys_vs_role_is_solved_in_the_terminal() -> None:
    """Apart from the console's own buttons (run the fleet, advance the clock), every action of
    its reference solution is a command line, run through the real AWS CLI."""
    scenario = load_scenario(settings.ROLECALL_SCENARIO_DIR / "keys-vs-role.yaml")
    kinds = {action.kind for actions in scenario.solution.values() for action in actions}
    assert kinds == {"terminal", "run_fleet", "advance"}


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_guided_scenario_has_the_shape_of_a_lesson(path: Path) -> None:
    scenario = load_scenario(path)
    assert 4 <= len(scenario.steps) <= 7
    assert 3 <= len(scenario.outcomes) <= 4
    assert scenario.minutes > 0
    for step in scenario.steps:
        assert step.title, step.id
        assert step.text.strip(), step.id
        assert step.explanation.strip(), step.id
        assert 2 <= len(step.hints) <= 3, step.id
        assert all(item.says for item in (*step.probes, *step.conditions)), step.id
    assert 3 <= len(scenario.questions) <= 5
    for question in scenario.questions:
        assert sum(option.correct for option in question.options) == 1, question.id
        assert len(question.options) >= 3, question.id
        assert all(option.explanation.strip() for option in question.options), question.id


def test_the_right_answer_is_not_always_in_the_same_place() -> None:
    """Nothing may lean on the right option's position: the course spreads it around."""
    places = [
        next(index for index, option in enumerate(question.options) if option.correct)
        for path in GUIDED
        for question in load_scenario(path).questions
    ]
    assert len(set(places)) >= 3, places
    assert max(places.count(place) for place in set(places)) <= len(places) // 2, places


def _vendor_scenario_before(step_id: str) -> tuple[Any, dict[str, Any], Any]:
    """The vendor scenario's world with every solution before `step_id` run, and that step."""
    return _before("vendor-external-id", step_id)


def _before(slug: str, step_id: str) -> tuple[Any, dict[str, Any], Any]:
    """A scenario's world with every solution before `step_id` run, and that step."""
    scenario = load_scenario(settings.ROLECALL_SCENARIO_DIR / f"{slug}.yaml")
    world, variables = build_world(scenario)
    for step in scenario.steps:
        if step.id == step_id:
            return world, variables, step
        run_actions(world, variables, scenario.solution[step.id])
    raise AssertionError(step_id)


def _vendor_assumes(world: Any, external_id: str | None) -> None:
    params = {"RoleArn": "arn:aws:iam::111122223333:role/ExampleCorpMonitoring",
              "RoleSessionName": "examplecorp"}  # fmt: skip
    if external_id:
        params["ExternalId"] = external_id
    with contextlib.suppress(AwsError):
        world.call(world.account("vendor").admin_credentials(), "sts", "AssumeRole", params)


def test_the_vendor_scenario_wants_a_refusal_without_any_external_id_not_only_a_wrong_one() -> None:
    world, variables, step = _vendor_scenario_before("prove-it")
    _vendor_assumes(world, "ec-cust-12345")
    _vendor_assumes(world, "ec-cust-67890")
    wrong_only = check_step(world, variables, step)
    _vendor_assumes(world, None)
    both = check_step(world, variables, step)

    assert [item.passed for item in wrong_only.items] == [True, True, False]
    assert both.passed


def test_the_vendors_role_is_assumed_from_the_vendors_account_in_the_role_owners_log() -> None:
    world, variables, step = _vendor_scenario_before("vendor-assumes")
    world.call(world.admin_credentials(), "iam", "UpdateAssumeRolePolicy", {
        "RoleName": "ExampleCorpMonitoring",
        "PolicyDocument": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}',
    })  # fmt: skip
    with contextlib.suppress(AwsError):  # your own admin: not the vendor, and not trusted now
        world.call(world.admin_credentials(), "sts", "AssumeRole", {
            "RoleArn": "arn:aws:iam::111122223333:role/ExampleCorpMonitoring",
            "RoleSessionName": "me"})  # fmt: skip
    _vendor_assumes(world, None)

    assert not check_step(world, variables, step).passed  # the vendor is no longer trusted
    assert world.events[-1]["userIdentity"]["accountId"] == "444455556666"
    assert world.account("vendor").events[-1]["sharedEventID"] == world.events[-1]["sharedEventID"]


def test_sandbox_has_no_steps_and_a_working_fleet() -> None:
    from simulator.services import instances

    scenario = load_scenario(settings.ROLECALL_SCENARIO_DIR / "sandbox.yaml")
    assert scenario.sandbox
    assert scenario.steps == ()
    world, _ = build_world(scenario)
    results = instances.tick(world)
    assert {result["name"] for result in results} == {"role-box", "key-box"}
    assert {result["source"] for result in results} == {
        "instance profile",
        "shared credentials file",
    }


def _admin(world: Any, service: str, operation: str, **params: Any) -> None:
    world.call(world.admin_credentials(), service, operation, params)


def _failing(world: Any, variables: dict[str, Any], step: Any) -> list[str]:
    return [item.says for item in check_step(world, variables, step).items if not item.passed]


def test_fleet_put_only_step_2_refuses_a_put_star_on_every_resource() -> None:
    """ "Allows only s3:PutObject": s3:Put* on "*" also lets the role rewrite the bucket's policy."""
    world, variables, step = _before("fleet-put-only", "put-only-role")
    _admin(world, "iam", "CreatePolicyVersion", SetAsDefault=True,
           PolicyArn="arn:aws:iam::111122223333:policy/FleetS3Access",
           PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Put*", "Resource": "*"}]}')  # fmt: skip
    instances.tick(world)

    assert _failing(world, variables, step) == [
        "Only uploads: FleetRole may not change the bucket's policy (s3:Put* or s3:* allows "
        "that too)"
    ]


def test_fleet_put_only_step_4_refuses_a_bucket_policy_that_lets_anyone_read() -> None:
    world, variables, step = _before("fleet-put-only", "bucket-grant")
    # S3 refuses a public policy while Block Public Access is on; a learner may turn it off.
    _admin(world, "s3", "DeletePublicAccessBlock", Bucket="fleet-reports")
    _admin(world, "s3", "PutBucketPolicy", Bucket="fleet-reports",
           Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::fleet-reports/config/*"}]}')  # fmt: skip
    instances.tick(world)

    failing = _failing(world, variables, step)

    assert len(failing) == 1
    assert failing[0].startswith("The grant is the role's alone: key-1's user is still denied")


@pytest.mark.parametrize(
    ("action", "permissions", "failing"),
    [
        (
            "sts:AssumeRoleWithSAML",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            "The role WebAppRole exists and EC2 may assume it (sts:AssumeRole)",
        ),
        (
            "sts:AssumeRole",
            "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            "And no more than that: the role may not delete objects (s3:* or a managed policy such "
            "as AmazonS3FullAccess gives far more than the application needs)",
        ),
    ],
    ids=["trust-for-saml", "s3-full-access"],
)
def test_keys_vs_role_create_role_wants_ec2s_assume_role_and_only_the_buckets_objects(
    action: str, permissions: str, failing: str
) -> None:
    world, variables, step = _before("keys-vs-role", "create-role")
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
             f'{{"Service": "ec2.amazonaws.com"}}, "Action": "{action}"}}]}}')  # fmt: skip
    _admin(world, "iam", "CreateRole", RoleName="WebAppRole", AssumeRolePolicyDocument=trust)
    _admin(world, "iam", "AttachRolePolicy", RoleName="WebAppRole", PolicyArn=permissions)
    _admin(world, "iam", "CreateInstanceProfile", InstanceProfileName="WebAppRole")
    _admin(world, "iam", "AddRoleToInstanceProfile", InstanceProfileName="WebAppRole",
           RoleName="WebAppRole")  # fmt: skip

    assert failing in _failing(world, variables, step)
