"""The fleet's tick and the clock: each tick is time passing, and what the clock drives settles.

EC2 API Reference, DescribeIamInstanceProfileAssociations: its `state` filter takes
associating | associated | disassociating; an association that has gone is no longer listed.
"""

from datetime import timedelta

import pytest

from simulator import World
from simulator.model import AppSpec, LaunchApp
from simulator.services import instances
from tests.factories import (
    AMI,
    REPORT_WRITER,
    admin_client,
    bucket_world,
    instance_role,
    launch,
)

NAME_TAG = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}


@pytest.fixture
def world() -> World:
    return bucket_world()


def _associations(world: World) -> list[tuple[str, str]]:
    found = admin_client(world, "ec2").describe_iam_instance_profile_associations()
    return [(a["InstanceId"], a["State"]) for a in found["IamInstanceProfileAssociations"]]


def test_each_fleet_tick_advances_the_clock_a_minute(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    instances.set_app(world, instance_id, REPORT_WRITER)
    start = world.now
    instances.tick(world, ticks=3)
    assert world.now - start == timedelta(minutes=3)
    times = [e["eventTime"] for e in world.events if e["eventName"] == "PutObject"][-3:]
    assert times == ["2026-01-05T09:01:00Z", "2026-01-05T09:02:00Z", "2026-01-05T09:03:00Z"]
    log = world.read_file(instance_id, instances.APP_LOG)
    assert log is not None
    assert '"time":"2026-01-05T09:03:00Z"' in log


def test_a_tick_moves_the_clock_by_the_worlds_tick_length(world):
    world.state.tick_seconds = 300
    start = world.now
    instances.tick(world, ticks=2)
    assert world.now - start == timedelta(minutes=10), "the clock moves even with no application"


def test_association_settles_on_the_next_tick(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world)
    instances.set_app(world, instance_id, REPORT_WRITER)
    ec2 = admin_client(world, "ec2")
    association = ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "AppRole"}, InstanceId=instance_id
    )["IamInstanceProfileAssociation"]
    assert _associations(world) == [(instance_id, "associating")]

    results = instances.tick(world)
    assert _associations(world) == [(instance_id, "associated")]
    assert all(r["ok"] for r in results)

    ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])
    assert _associations(world) == [(instance_id, "disassociating")]
    instances.tick(world)
    assert _associations(world) == [], "a disassociated profile is no longer listed"
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]
    assert "IamInstanceProfile" not in described["Instances"][0]
    assert world.state.instances[instance_id].association is None


def test_instance_launched_with_a_role_runs_its_application_as_the_role(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    instances.set_launch_app(world, LaunchApp(REPORT_WRITER, image_id=AMI))
    (instance_id,) = launch(world, profile="AppRole", TagSpecifications=[NAME_TAG])
    assert world.state.instances[instance_id].app == REPORT_WRITER

    results = instances.tick(world)
    assert [(r["operation"], r["ok"], r["source"]) for r in results] == [
        ("PutObject", True, "instance profile"),
        ("GetObject", True, "instance profile"),
    ]
    put = [e for e in world.events if e["eventName"] == "PutObject"][-1]
    assert put["userIdentity"]["arn"].endswith(f":assumed-role/AppRole/{instance_id}")
    assert put["eventTime"] == "2026-01-05T09:01:00Z"


def test_a_launch_application_runs_only_on_instances_of_its_kind(world):
    other = AppSpec(name="other", calls=[{"service": "s3", "operation": "ListBuckets"}])
    instances.set_launch_app(world, LaunchApp(REPORT_WRITER, tags={"Name": "web-1"}))
    instances.set_launch_app(world, LaunchApp(other, image_id="ami-0fedcba9876543210"))
    (tagged,) = launch(world, TagSpecifications=[NAME_TAG])
    (untagged,) = launch(world)
    assert world.state.instances[tagged].app == REPORT_WRITER
    assert world.state.instances[untagged].app is None
    restored = World.from_dict(world.to_dict())
    assert restored.state.launch_apps == world.state.launch_apps


def test_set_launch_app_refuses_a_malformed_application(world):
    with pytest.raises(ValueError, match="at most"):
        instances.set_launch_app(
            world, LaunchApp(AppSpec(name="big", calls=[{"service": "s3", "operation": "X"}] * 11))
        )
    assert world.state.launch_apps == []
