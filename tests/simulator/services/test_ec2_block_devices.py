"""EC2 block devices (issue 13 item 5): RunInstances keeps BlockDeviceMappings, every instance
has its image's root volume, and Describe*/ModifyInstanceAttribute show and change them as AWS
does; what AWS refuses is refused with AWS's error. Driven through boto3."""

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import admin_client, client_error, launch, policy_text

VOLUME_ID = re.compile(r"^vol-[0-9a-f]{17}$")


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


def _instance(world: World, instance_id: str) -> dict[str, Any]:
    ec2 = admin_client(world, "ec2")
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    instance: dict[str, Any] = reservation["Instances"][0]
    return instance


def _refused(world: World, mappings: list[dict[str, Any]]) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        launch(world, BlockDeviceMappings=mappings)
    code, message, status = client_error(error)
    assert status == 400
    return code, message


def test_every_instance_has_its_images_root_volume(world):
    (instance_id,) = launch(world)
    instance = _instance(world, instance_id)
    assert instance["RootDeviceName"] == "/dev/xvda"
    assert instance["RootDeviceType"] == "ebs"
    (mapping,) = instance["BlockDeviceMappings"]
    assert mapping["DeviceName"] == "/dev/xvda"
    ebs = mapping["Ebs"]
    assert ebs["Status"] == "attached"
    assert ebs["DeleteOnTermination"] is True
    assert VOLUME_ID.match(ebs["VolumeId"])
    assert ebs["AttachTime"] == instance["LaunchTime"]


def test_run_instances_keeps_the_mappings_a_tutorial_passes(world):
    (instance_id,) = launch(
        world,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3",
                                                "Iops": 4000, "Throughput": 250,
                                                "DeleteOnTermination": False}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 100, "Encrypted": True,
                                               "KmsKeyId": "alias/my-key"}},
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        ],
    )  # fmt: skip
    mappings = _instance(world, instance_id)["BlockDeviceMappings"]
    assert [m["DeviceName"] for m in mappings] == ["/dev/xvda", "/dev/sdf"]
    assert [m["Ebs"]["DeleteOnTermination"] for m in mappings] == [False, True]
    ids = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in mappings}
    volumes = admin_client(world, "ec2").describe_volumes(VolumeIds=[ids["/dev/sdf"]])["Volumes"]
    (data,) = volumes
    assert (data["Size"], data["VolumeType"], data["Encrypted"], data["KmsKeyId"]) == (
        100, "gp2", True, "alias/my-key")  # fmt: skip
    assert data["State"] == "in-use"
    (attachment,) = data["Attachments"]
    assert (attachment["InstanceId"], attachment["Device"], attachment["State"]) == (
        instance_id, "/dev/sdf", "attached")  # fmt: skip


def test_instances_launched_together_get_volumes_of_their_own(world):
    first, second = launch(world, count=2)
    ids = {
        _instance(world, i)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"] for i in (first, second)
    }
    assert len(ids) == 2


def test_no_device_suppresses_a_mapping_but_not_the_root(world):
    (instance_id,) = launch(
        world,
        BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10}},
                             {"DeviceName": "/dev/sdg", "NoDevice": ""}],
    )  # fmt: skip
    names = [m["DeviceName"] for m in _instance(world, instance_id)["BlockDeviceMappings"]]
    assert names == ["/dev/xvda", "/dev/sdf"]
    code, _ = _refused(world, [{"DeviceName": "/dev/xvda", "NoDevice": ""}])
    assert code == "InvalidBlockDeviceMapping"


@pytest.mark.parametrize(
    ("mappings", "code", "message"),
    [
        ([{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 4}}], "InvalidBlockDeviceMapping",
         "Volume of size 4GB is smaller than  snapshot 'snap-"),
        ([{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 16385, "VolumeType": "gp2"}}],
         "InvalidParameterValue", "16385"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 65537, "VolumeType": "gp3"}}],
         "InvalidParameterValue", "65537"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "st1"}}],
         "InvalidParameterValue", "st1"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"DeleteOnTermination": True}}],
         "InvalidBlockDeviceMapping",
         "Either snapshot ID or volume size must be provided for: /dev/sdf"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10}},
          {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20}}],
         "InvalidBlockDeviceMapping",
         "The device 'sdf' is used in more than one block-device mapping"),
        ([{"DeviceName": "/dev/sde1", "Ebs": {"VolumeSize": 1}}], "InvalidBlockDeviceMapping",
         "Invalid device name /dev/sde1"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "gp2",
                                             "Iops": 3000}}],
         "InvalidParameterCombination", "The parameter iops is not supported for gp2 volumes."),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "io2"}}],
         "InvalidParameterCombination", "The parameter iops must be specified for io2 volumes."),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3",
                                             "Iops": 15000}}],
         "InvalidParameterValue", "Iops to volume size ratio of 750.000000 is too high"),
        ([{"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp2", "Throughput": 300}}],
         "InvalidBlockDeviceMapping",
         "throughput cannot be specified with the volumeType of device '/dev/xvda'"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "gp9"}}],
         "InvalidParameterValue", "gp9"),
        ([{"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}],
         "InvalidSnapshot.NotFound", "snap-0123456789abcdef0"),
    ],
)  # fmt: skip
def test_run_instances_refuses_what_ec2_refuses(world, mappings, code, message):
    refused_code, refused_message = _refused(world, mappings)
    assert refused_code == code
    assert message in refused_message
    assert admin_client(world, "ec2").describe_instances()["Reservations"] == []


def test_describe_instance_attribute_shows_block_devices_and_root_device(world):
    (instance_id,) = launch(world, BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                                                         "Ebs": {"VolumeSize": 10}}])  # fmt: skip
    ec2 = admin_client(world, "ec2")
    mapped = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="blockDeviceMapping")
    assert mapped["BlockDeviceMappings"] == _instance(world, instance_id)["BlockDeviceMappings"]
    assert len(mapped["BlockDeviceMappings"]) == 2
    root = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="rootDeviceName")
    assert root["RootDeviceName"] == {"Value": "/dev/xvda"}


def test_modify_instance_attribute_changes_delete_on_termination(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    ec2.modify_instance_attribute(
        InstanceId=instance_id,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}],
    )
    (mapping,) = _instance(world, instance_id)["BlockDeviceMappings"]
    assert mapping["Ebs"]["DeleteOnTermination"] is False
    with pytest.raises(ClientError) as missing:
        ec2.modify_instance_attribute(
            InstanceId=instance_id,
            BlockDeviceMappings=[{"DeviceName": "/dev/sdz", "Ebs": {"DeleteOnTermination": True}}],
        )
    assert client_error(missing)[0] == "InvalidInstanceAttributeValue"


def test_termination_deletes_volumes_marked_so_and_keeps_the_others(world):
    (instance_id,) = launch(
        world,
        BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                              "Ebs": {"VolumeSize": 10, "DeleteOnTermination": False}}],
    )  # fmt: skip
    ec2 = admin_client(world, "ec2")
    kept = _instance(world, instance_id)["BlockDeviceMappings"][1]["Ebs"]["VolumeId"]
    ec2.terminate_instances(InstanceIds=[instance_id])
    world.advance(60)
    assert _instance(world, instance_id)["BlockDeviceMappings"] == []
    (volume,) = ec2.describe_volumes()["Volumes"]
    assert (volume["VolumeId"], volume["State"], volume["Attachments"]) == (kept, "available", [])


def test_describe_volumes_filters_and_unknown_ids(world):
    first, second = launch(world, count=2)
    ec2 = admin_client(world, "ec2")
    assert len(ec2.describe_volumes()["Volumes"]) == 2
    (volume,) = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [second]}]
    )["Volumes"]
    assert volume["Attachments"][0]["InstanceId"] == second
    assert (volume["Size"], volume["VolumeType"]) == (8, "gp3")
    assert (volume["Iops"], volume["Throughput"]) == (3000, 125)
    same = ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [volume["VolumeId"]]}])
    assert [v["VolumeId"] for v in same["Volumes"]] == [volume["VolumeId"]]
    with pytest.raises(ClientError) as missing:
        ec2.describe_volumes(VolumeIds=["vol-0123456789abcdef0"])
    assert client_error(missing)[0] == "InvalidVolume.NotFound"
    with pytest.raises(ClientError) as malformed:
        ec2.describe_volumes(VolumeIds=["vol-x"])
    assert client_error(malformed)[0] == "InvalidVolumeID.Malformed"
    with pytest.raises(ClientError) as bad_filter:
        ec2.describe_volumes(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert client_error(bad_filter)[0] == "InvalidParameterValue"


def test_describe_instances_filters_on_block_devices(world):
    first, second = launch(world, count=2)
    volume_id = _instance(world, first)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    ec2 = admin_client(world, "ec2")
    found = ec2.describe_instances(
        Filters=[{"Name": "block-device-mapping.volume-id", "Values": [volume_id]}]
    )["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [first]
    named = ec2.describe_instances(
        Filters=[{"Name": "block-device-mapping.device-name", "Values": ["/dev/xvda"]}]
    )["Reservations"]
    assert len([i for r in named for i in r["Instances"]]) == 2


def test_a_world_with_block_devices_round_trips_and_an_older_one_loads(world):
    (instance_id,) = launch(world, BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                                                         "Ebs": {"VolumeSize": 10}}])  # fmt: skip
    before = _instance(world, instance_id)
    again = World.from_dict(world.to_dict())
    assert _instance(again, instance_id) == before

    saved = world.to_dict()
    for instance in saved["instances"].values():
        del instance["block_devices"]  # as saved before volumes were kept
    older = World.from_dict(saved)
    (mapping,) = _instance(older, instance_id)["BlockDeviceMappings"]
    assert mapping["DeviceName"] == "/dev/xvda"
    assert mapping == _instance(older, instance_id)["BlockDeviceMappings"][0]  # stable id


def test_describe_volumes_is_authorized_as_ec2_describe_volumes(world):
    launch(world)
    iam = admin_client(world, "iam")
    iam.create_user(UserName="dev")
    statement = {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=policy_text(statement))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    ec2 = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("ec2")
    with pytest.raises(ClientError) as denied:
        ec2.describe_volumes()
    code, message, _ = client_error(denied)
    assert code == "UnauthorizedOperation"
    assert "ec2:DescribeVolumes" in message
