"""EC2's CreateTags, DeleteTags, DescribeInstanceStatus, RebootInstances, DescribeInstanceAttribute
and ModifyInstanceAttribute (issue 13, item 8), driven through boto3."""

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import admin_client, client_error, launch, policy_text

ACCOUNT = "111122223333"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


def _tags(world: World, instance_id: str) -> dict[str, str]:
    ec2 = admin_client(world, "ec2")
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservation["Instances"][0].get("Tags", [])}


def _user(world: World, *statements: dict[str, Any]) -> Any:
    iam = admin_client(world, "iam")
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=policy_text(*statements))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("ec2")


# --- CreateTags, DeleteTags -------------------------------------------------------------------


def test_create_tags_adds_and_overwrites_and_delete_tags_removes(world):
    first, second = launch(world, count=2)
    ec2 = admin_client(world, "ec2")
    ec2.create_tags(Resources=[first, second], Tags=[{"Key": "Env", "Value": "prod"}])
    ec2.create_tags(Resources=[first], Tags=[{"Key": "Env", "Value": "dev"}, {"Key": "Team"}])
    assert _tags(world, first) == {"Env": "dev", "Team": ""}
    assert _tags(world, second) == {"Env": "prod"}

    ec2.delete_tags(Resources=[first, second], Tags=[{"Key": "Env", "Value": "prod"}])
    assert _tags(world, first) == {"Env": "dev", "Team": ""}  # value differs: kept
    assert _tags(world, second) == {}
    ec2.delete_tags(Resources=[first], Tags=[{"Key": "Env"}])
    assert _tags(world, first) == {"Team": ""}
    ec2.delete_tags(Resources=[first])
    assert _tags(world, first) == {}


def test_create_tags_refuses_reserved_keys_unknown_instances_and_too_many_tags(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as reserved:
        ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "aws:x", "Value": "1"}])
    assert client_error(reserved)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as missing:
        ec2.create_tags(Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "1"}])
    assert client_error(missing)[0] == "InvalidInstanceID.NotFound"
    many = [{"Key": f"k{n}", "Value": "v"} for n in range(51)]
    with pytest.raises(ClientError) as limit:
        ec2.create_tags(Resources=[instance_id], Tags=many)
    assert client_error(limit)[0] == "TagLimitExceeded"


def test_create_tags_is_authorized_on_the_instance_with_the_request_tags(world):
    (instance_id,) = launch(world)
    ec2 = _user(
        world,
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*",
            "Condition": {"StringEquals": {"aws:RequestTag/Env": "dev"}},
        },
    )
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Env", "Value": "dev"}])
    with pytest.raises(ClientError) as denied:
        ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Env", "Value": "prod"}])
    assert client_error(denied)[0] == "UnauthorizedOperation"
    with pytest.raises(ClientError) as no_delete:
        ec2.delete_tags(Resources=[instance_id])
    assert client_error(no_delete)[0] == "UnauthorizedOperation"
    assert _tags(world, instance_id) == {"Env": "dev"}


# --- DescribeInstanceStatus ----------------------------------------------------------------------


def test_describe_instance_status_lists_running_instances_unless_all_are_asked_for(world):
    running, stopped = launch(world, count=2)
    ec2 = admin_client(world, "ec2")
    ec2.stop_instances(InstanceIds=[stopped])
    world.advance(60)

    (status,) = ec2.describe_instance_status()["InstanceStatuses"]
    assert status["InstanceId"] == running
    assert status["InstanceState"] == {"Code": 16, "Name": "running"}
    assert status["InstanceStatus"] == {
        "Status": "ok",
        "Details": [{"Name": "reachability", "Status": "passed"}],
    }
    assert status["SystemStatus"]["Status"] == "ok"
    assert status["AvailabilityZone"] == "us-east-1a"

    every = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert [s["InstanceId"] for s in every] == [running, stopped]
    assert every[1]["InstanceStatus"] == {"Status": "not-applicable"}
    stopped_only = ec2.describe_instance_status(
        IncludeAllInstances=True,
        Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}],
    )["InstanceStatuses"]
    assert [s["InstanceId"] for s in stopped_only] == [stopped]
    with pytest.raises(ClientError) as unknown:
        ec2.describe_instance_status(InstanceIds=["i-0123456789abcdef0"])
    assert client_error(unknown)[0] == "InvalidInstanceID.NotFound"


# --- RebootInstances ------------------------------------------------------------------------------


def test_reboot_keeps_the_instance_running_and_refuses_a_terminated_one(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    world.state.instances[instance_id].app_credentials = "ASIAEXAMPLE"
    assert ec2.reboot_instances(InstanceIds=[instance_id])["ResponseMetadata"]
    instance = world.state.instances[instance_id]
    assert instance.state == "running"
    assert instance.app_credentials is None  # the application restarted
    ec2.terminate_instances(InstanceIds=[instance_id])
    with pytest.raises(ClientError) as terminated:
        ec2.reboot_instances(InstanceIds=[instance_id])
    assert client_error(terminated)[0] == "IncorrectInstanceState"


# --- DescribeInstanceAttribute, ModifyInstanceAttribute ----------------------------------------


def test_termination_protection_is_described_modified_and_enforced(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    attribute = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination"
    )
    assert attribute["DisableApiTermination"] == {"Value": False}
    assert attribute["InstanceId"] == instance_id

    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": True})
    assert ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination"
    )["DisableApiTermination"] == {"Value": True}
    with pytest.raises(ClientError) as protected:
        ec2.terminate_instances(InstanceIds=[instance_id])
    assert client_error(protected)[0] == "OperationNotPermitted"

    ec2.modify_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination", Value="false"
    )
    ec2.terminate_instances(InstanceIds=[instance_id])


def test_instance_type_and_user_data_change_only_while_stopped(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as running:
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.large"})
    assert client_error(running)[0] == "IncorrectInstanceState"
    ec2.stop_instances(InstanceIds=[instance_id])
    world.advance(60)
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.large"})
    ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#!/bin/sh\n"})

    described = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="instanceType")
    assert described["InstanceType"] == {"Value": "t3.large"}
    user_data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    assert base64.b64decode(user_data["UserData"]["Value"]) == b"#!/bin/sh\n"


def test_source_dest_check_shows_in_describe_instances_and_one_attribute_per_call(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False})
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    assert reservation["Instances"][0]["SourceDestCheck"] is False
    with pytest.raises(ClientError) as two:
        ec2.modify_instance_attribute(
            InstanceId=instance_id,
            SourceDestCheck={"Value": True},
            EbsOptimized={"Value": True},
        )
    assert client_error(two)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as behaviour:
        ec2.modify_instance_attribute(
            InstanceId=instance_id, InstanceInitiatedShutdownBehavior={"Value": "explode"}
        )
    assert client_error(behaviour)[0] == "InvalidParameterValue"
    groups = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="groupSet")
    assert groups["Groups"][0]["GroupName"] == "default"


def test_attribute_operations_need_their_own_permission(world):
    (instance_id,) = launch(world)
    ec2 = _user(world, {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})
    ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="instanceType")
    with pytest.raises(ClientError) as denied:
        ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False})
    assert client_error(denied)[0] == "UnauthorizedOperation"
    with pytest.raises(ClientError) as reboot:
        ec2.reboot_instances(InstanceIds=[instance_id])
    assert client_error(reboot)[0] == "UnauthorizedOperation"
