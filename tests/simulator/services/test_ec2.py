"""Amazon EC2 in the simulated account, driven through boto3 as a learner's code would drive it.

Texts are AWS's, word for word: iam-facts.md §2–§3, plus EC2's own ("There is an existing
association for instance i-...", "Value (X) for parameter iamInstanceProfile.name is invalid.
Invalid IAM Instance Profile name", "Request would have succeeded, but DryRun flag is set.").
"""

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import (
    AMI,
    EC2_TRUST,
    admin_client,
    client_error,
    launch,
    policy_text,
)

ACCOUNT = "111122223333"


# --- helpers ------------------------------------------------------------------------------


def _role_with_profile(world: World, role: str = "AppRole", profile: str | None = None) -> str:
    """A role EC2 may assume, in an instance profile (named like the role unless told)."""
    iam = admin_client(world, "iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=EC2_TRUST)
    name = profile or role
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    return f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}"


def _user(world: World, name: str, *statements: dict[str, Any]) -> Any:
    """A boto3 session for a new IAM user with the given inline policy statements."""
    iam = admin_client(world, "iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(
            UserName=name, PolicyName="inline", PolicyDocument=policy_text(*statements)
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"])


def _instance(world: World, instance_id: str) -> dict[str, Any]:
    ec2 = admin_client(world, "ec2")
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    (instance,) = reservation["Instances"]
    return instance


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


# --- RunInstances ---------------------------------------------------------------------------


def test_launched_instances_have_aws_shaped_ids_and_addresses(world):
    reservation = admin_client(world, "ec2").run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=3, MaxCount=3
    )
    assert re.fullmatch(r"r-[0-9a-f]{17}", reservation["ReservationId"])
    assert reservation["OwnerId"] == ACCOUNT
    launched = reservation["Instances"]
    assert [instance["State"] for instance in launched] == [{"Code": 0, "Name": "pending"}] * 3
    assert [instance["AmiLaunchIndex"] for instance in launched] == [0, 1, 2]
    for instance in launched:
        assert re.fullmatch(r"i-[0-9a-f]{17}", instance["InstanceId"])
        assert re.fullmatch(r"172\.31\.\d{1,3}\.\d{1,3}", instance["PrivateIpAddress"])
        assert instance["PublicIpAddress"].startswith("54.")
    assert len({instance["PrivateIpAddress"] for instance in launched}) == 3
    # The simulated instance boots at once: running by the time anyone looks.
    assert _instance(world, launched[0]["InstanceId"])["State"] == {"Code": 16, "Name": "running"}


def test_no_public_address_when_the_interface_declines_one(world):
    (instance_id,) = launch(
        world, NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]
    )
    assert "PublicIpAddress" not in _instance(world, instance_id)


def test_run_instances_without_permission_is_unauthorized_with_an_encoded_message(world):
    session = _user(world, "viewer")
    with pytest.raises(ClientError) as denied:
        session.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1
        )
    code, message, status = client_error(denied)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert message.startswith(
        "You are not authorized to perform this operation. User: "
        f"arn:aws:iam::{ACCOUNT}:user/viewer is not authorized to perform: ec2:RunInstances on "
        f"resource: arn:aws:ec2:us-east-1:{ACCOUNT}:instance/* because no identity-based policy "
        "allows the ec2:RunInstances action. Encoded authorization failure message: "
    )


def test_encoded_messages_never_start_with_a_dash_the_cli_would_read_as_an_option(world):
    """`aws sts decode-authorization-message --encoded-message -x…` fails in the CLI's parser."""
    ec2 = _user(world, "viewer").client("ec2")
    firsts = set()
    for _ in range(300):
        with pytest.raises(ClientError) as denied:
            ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)
        _, message, _ = client_error(denied)
        firsts.add(message.split("Encoded authorization failure message: ")[1][0])
    assert len(firsts) > 10
    assert not firsts & {"-", "_"}, sorted(firsts)


def test_launch_with_a_profile_needs_pass_role_on_its_role(world):
    _role_with_profile(world)
    run = {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}
    without = _user(world, "launcher", run)
    with pytest.raises(ClientError) as denied:
        without.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
            IamInstanceProfile={"Name": "AppRole"},
        )  # fmt: skip
    code, message, status = client_error(denied)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert message.startswith(
        "You are not authorized to perform this operation. User: "
        f"arn:aws:iam::{ACCOUNT}:user/launcher is not authorized to perform: iam:PassRole on "
        f"resource: arn:aws:iam::{ACCOUNT}:role/AppRole because no identity-based policy allows "
        "the iam:PassRole action. Encoded authorization failure message: "
    )
    assert not world.state.instances, "a denied launch launches nothing"

    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/AppRole",
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    allowed = _user(world, "operator", run, pass_role)
    reservation = allowed.client("ec2").run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        IamInstanceProfile={"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/AppRole"},
    )  # fmt: skip
    (instance,) = reservation["Instances"]
    assert (
        instance["IamInstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/AppRole"
    )
    assert instance["IamInstanceProfile"]["Id"].startswith("AIPA")


def test_pass_role_for_another_service_does_not_let_a_role_reach_ec2(world):
    _role_with_profile(world)
    session = _user(
        world,
        "lambda-deployer",
        {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
    )
    with pytest.raises(ClientError) as denied:
        session.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
            IamInstanceProfile={"Name": "AppRole"},
        )  # fmt: skip
    assert client_error(denied)[0] == "UnauthorizedOperation"
    assert "iam:PassRole" in client_error(denied)[1]


def test_dry_run_says_whether_the_request_would_have_succeeded(world):
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as dry:
        ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True)
    assert client_error(dry) == (
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
        412,
    )
    assert not world.state.instances
    viewer = _user(world, "viewer")
    with pytest.raises(ClientError) as denied:
        viewer.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True
        )
    assert client_error(denied)[0] == "UnauthorizedOperation"


def test_a_dry_run_modify_answers_before_the_instance_state_and_changes_nothing(world):
    ec2 = admin_client(world, "ec2")
    (instance,) = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)[
        "Instances"
    ]
    instance_id = instance["InstanceId"]
    for change in (
        {"InstanceType": {"Value": "t3.large"}},  # needs a stopped instance when done for real
        {
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}
            ]
        },
    ):
        with pytest.raises(ClientError) as dry:
            ec2.modify_instance_attribute(InstanceId=instance_id, DryRun=True, **change)
        assert client_error(dry)[0] == "DryRunOperation"
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    (described,) = reservation["Instances"]
    assert described["InstanceType"] == "t3.micro"
    assert described["BlockDeviceMappings"][0]["Ebs"]["DeleteOnTermination"] is True


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"Name": "Nope"}, "Value (Nope) for parameter iamInstanceProfile.name is invalid. "
                           "Invalid IAM Instance Profile name"),
        ({"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/Nope"},
         f"Value (arn:aws:iam::{ACCOUNT}:instance-profile/Nope) for parameter "
         "iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"),
    ],
    ids=["by-name", "by-arn"],
)  # fmt: skip
def test_an_unknown_instance_profile_is_an_invalid_parameter(world, profile, message):
    with pytest.raises(ClientError) as invalid:
        launch(world, IamInstanceProfile=profile)
    assert client_error(invalid) == ("InvalidParameterValue", message, 400)


def test_an_instance_profile_without_a_role_cannot_be_launched_with(world):
    admin_client(world, "iam").create_instance_profile(InstanceProfileName="Empty")
    with pytest.raises(ClientError) as invalid:
        launch(world, IamInstanceProfile={"Name": "Empty"})
    assert client_error(invalid) == (
        "InvalidParameterValue",
        f'IAM Instance Profile "arn:aws:iam::{ACCOUNT}:instance-profile/Empty" has no associated IAM Roles',
        400,
    )


def test_metadata_options_at_launch_are_described(world):
    (instance_id,) = launch(
        world, MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
    )
    options = _instance(world, instance_id)["MetadataOptions"]
    assert options["HttpTokens"] == "required"
    assert options["HttpPutResponseHopLimit"] == 2
    assert options["HttpEndpoint"] == "enabled"
    with pytest.raises(ClientError) as invalid:
        launch(world, MetadataOptions={"HttpPutResponseHopLimit": 65})
    assert client_error(invalid)[0] == "InvalidParameterValue"


def test_a_malformed_image_id_is_rejected(world):
    with pytest.raises(ClientError) as malformed:
        admin_client(world, "ec2").run_instances(ImageId="ubuntu", MinCount=1, MaxCount=1)
    assert client_error(malformed)[0] == "InvalidAMIID.Malformed"


# --- DescribeInstances ------------------------------------------------------------------------


def test_describe_filters_by_state_name_tag_and_profile(world):
    profile_arn = _role_with_profile(world)
    tagged = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}
    (web,) = launch(world, TagSpecifications=[tagged], IamInstanceProfile={"Name": "AppRole"})
    (worker,) = launch(world)
    ec2 = admin_client(world, "ec2")
    ec2.stop_instances(InstanceIds=[worker])
    world.advance(60)

    def ids(*filters: dict[str, Any]) -> list[str]:
        reservations = ec2.describe_instances(Filters=list(filters))["Reservations"]
        return [i["InstanceId"] for r in reservations for i in r["Instances"]]

    assert ids({"Name": "instance-state-name", "Values": ["running"]}) == [web]
    assert ids({"Name": "instance-state-name", "Values": ["stopped"]}) == [worker]
    assert ids({"Name": "tag:Name", "Values": ["web-*"]}) == [web]
    assert ids({"Name": "iam-instance-profile.arn", "Values": [profile_arn]}) == [web]
    assert ids() == [web, worker]
    with pytest.raises(ClientError) as invalid:
        ids({"Name": "colour", "Values": ["red"]})
    assert client_error(invalid) == ("InvalidParameterValue", "The filter 'colour' is invalid", 400)


def test_describe_pages_with_max_results(world):
    for _ in range(7):
        launch(world)
    ec2 = admin_client(world, "ec2")
    first = ec2.describe_instances(MaxResults=5)
    assert len(first["Reservations"]) == 5
    rest = ec2.describe_instances(MaxResults=5, NextToken=first["NextToken"])
    assert len(rest["Reservations"]) == 2
    assert "NextToken" not in rest
    pages = ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5})
    assert sum(len(page["Reservations"]) for page in pages) == 7


def test_an_unknown_instance_id_does_not_exist_and_a_malformed_one_is_malformed(world):
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as missing:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
    assert client_error(missing) == (
        "InvalidInstanceID.NotFound",
        "The instance ID 'i-0123456789abcdef0' does not exist",
        400,
    )
    with pytest.raises(ClientError) as malformed:
        ec2.stop_instances(InstanceIds=["i-nope"])
    assert client_error(malformed) == ("InvalidInstanceID.Malformed", 'Invalid id: "i-nope"', 400)


def test_describe_needs_permission(world):
    viewer = _user(world, "nobody")
    with pytest.raises(ClientError) as denied:
        viewer.client("ec2").describe_instances()
    code, message, _ = client_error(denied)
    assert code == "UnauthorizedOperation"
    assert "ec2:DescribeInstances" in message


# --- Start, Stop, Terminate ---------------------------------------------------------------------


def test_stop_start_and_terminate_move_through_aws_states(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    (stopping,) = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"]
    assert stopping["PreviousState"] == {"Code": 16, "Name": "running"}
    assert stopping["CurrentState"] == {"Code": 64, "Name": "stopping"}
    with pytest.raises(ClientError) as too_soon:
        ec2.start_instances(InstanceIds=[instance_id])
    assert client_error(too_soon) == (
        "IncorrectInstanceState",
        f"The instance '{instance_id}' is not in a state from which it can be started.",
        400,
    )
    world.advance(30)
    assert _instance(world, instance_id)["State"]["Name"] == "stopped"
    (starting,) = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"]
    assert starting["CurrentState"] == {"Code": 0, "Name": "pending"}
    assert _instance(world, instance_id)["State"]["Name"] == "running"

    (terminating,) = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"]
    assert terminating["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    world.advance(30)
    assert _instance(world, instance_id)["State"] == {"Code": 48, "Name": "terminated"}
    with pytest.raises(ClientError) as gone:
        ec2.stop_instances(InstanceIds=[instance_id])
    assert client_error(gone) == (
        "IncorrectInstanceState",
        f"This instance '{instance_id}' is not in a state from which it can be stopped.",
        400,
    )


def test_state_changes_are_authorized_per_instance_by_tag(world):
    owned = {"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "blue"}]}
    (blue,) = launch(world, TagSpecifications=[owned])
    (other,) = launch(world)
    session = _user(
        world,
        "blue-operator",
        {
            "Effect": "Allow",
            "Action": "ec2:StopInstances",
            "Resource": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}},
        },
    )
    ec2 = session.client("ec2")
    ec2.stop_instances(InstanceIds=[blue])
    with pytest.raises(ClientError) as denied:
        ec2.stop_instances(InstanceIds=[other])
    code, message, _ = client_error(denied)
    assert code == "UnauthorizedOperation"
    assert f"instance/{other}" in message


# --- instance profile associations ----------------------------------------------------------


def test_associate_works_on_a_stopped_instance_and_only_once(world):
    _role_with_profile(world, "FirstRole")
    _role_with_profile(world, "SecondRole")
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    ec2.stop_instances(InstanceIds=[instance_id])
    world.advance(30)
    association = ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "FirstRole"}, InstanceId=instance_id
    )["IamInstanceProfileAssociation"]
    assert re.fullmatch(r"iip-assoc-[0-9a-f]{17}", association["AssociationId"])
    assert association["State"] == "associating"
    assert association["IamInstanceProfile"]["Arn"].endswith(":instance-profile/FirstRole")
    with pytest.raises(ClientError) as twice:
        ec2.associate_iam_instance_profile(
            IamInstanceProfile={"Name": "SecondRole"}, InstanceId=instance_id
        )
    assert client_error(twice) == (
        "IncorrectState",
        f"There is an existing association for instance {instance_id}",
        400,
    )


def test_associate_needs_pass_role(world):
    _role_with_profile(world)
    (instance_id,) = launch(world)
    session = _user(
        world,
        "attacher",
        {"Effect": "Allow", "Action": "ec2:AssociateIamInstanceProfile", "Resource": "*"},
    )
    with pytest.raises(ClientError) as denied:
        session.client("ec2").associate_iam_instance_profile(
            IamInstanceProfile={"Name": "AppRole"}, InstanceId=instance_id
        )
    code, message, _ = client_error(denied)
    assert code == "UnauthorizedOperation"
    assert f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/AppRole" in message
    assert world.state.instances[instance_id].association is None


def test_replace_needs_a_running_instance_and_gives_a_new_association(world):
    _role_with_profile(world, "FirstRole")
    _role_with_profile(world, "SecondRole")
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "FirstRole"})
    ec2 = admin_client(world, "ec2")
    (current,) = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )["IamInstanceProfileAssociations"]
    assert current["State"] == "associated"

    ec2.stop_instances(InstanceIds=[instance_id])
    world.advance(30)
    with pytest.raises(ClientError) as stopped:
        ec2.replace_iam_instance_profile_association(
            IamInstanceProfile={"Name": "SecondRole"}, AssociationId=current["AssociationId"]
        )
    assert client_error(stopped) == (
        "IncorrectState",
        f"The association {current['AssociationId']} is not the active association",
        400,
    )

    ec2.start_instances(InstanceIds=[instance_id])
    replaced = ec2.replace_iam_instance_profile_association(
        IamInstanceProfile={"Name": "SecondRole"}, AssociationId=current["AssociationId"]
    )["IamInstanceProfileAssociation"]
    assert replaced["AssociationId"] != current["AssociationId"]
    assert replaced["State"] == "associating"
    assert replaced["IamInstanceProfile"]["Arn"].endswith(":instance-profile/SecondRole")
    world.advance(5)
    (settled,) = ec2.describe_iam_instance_profile_associations(
        AssociationIds=[replaced["AssociationId"]]
    )["IamInstanceProfileAssociations"]
    assert settled["State"] == "associated"
    assert _instance(world, instance_id)["IamInstanceProfile"]["Arn"].endswith("/SecondRole")
    with pytest.raises(ClientError) as old:
        ec2.disassociate_iam_instance_profile(AssociationId=current["AssociationId"])
    assert client_error(old)[0] == "InvalidAssociationID.NotFound"


def test_disassociate_removes_the_profile_once_the_clock_moves(world):
    _role_with_profile(world)
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppRole"})
    ec2 = admin_client(world, "ec2")
    (association,) = ec2.describe_iam_instance_profile_associations()[
        "IamInstanceProfileAssociations"
    ]
    gone = ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])
    assert gone["IamInstanceProfileAssociation"]["State"] == "disassociating"
    states = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "state", "Values": ["disassociating"]}]
    )["IamInstanceProfileAssociations"]
    assert [a["AssociationId"] for a in states] == [association["AssociationId"]]
    world.advance(5)
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    assert "IamInstanceProfile" not in _instance(world, instance_id)
    with pytest.raises(ClientError) as malformed:
        ec2.disassociate_iam_instance_profile(AssociationId=instance_id)
    assert client_error(malformed) == (
        "InvalidParameterValue",
        "Invalid value for associationId.",
        400,
    )


# --- ModifyInstanceMetadataOptions ---------------------------------------------------------------


def test_modify_metadata_options_requires_imdsv2(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    response = ec2.modify_instance_metadata_options(
        InstanceId=instance_id, HttpTokens="required", HttpPutResponseHopLimit=2
    )
    assert response["InstanceId"] == instance_id
    assert response["InstanceMetadataOptions"]["State"] == "pending"
    options = _instance(world, instance_id)["MetadataOptions"]
    assert (options["HttpTokens"], options["HttpPutResponseHopLimit"]) == ("required", 2)
    with pytest.raises(ClientError) as invalid:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpPutResponseHopLimit=65)
    assert client_error(invalid)[0] == "InvalidParameterValue"


def test_modify_metadata_options_can_be_conditioned_on_the_requested_value(world):
    (instance_id,) = launch(world)
    session = _user(
        world,
        "hardener",
        {
            "Effect": "Allow",
            "Action": "ec2:ModifyInstanceMetadataOptions",
            "Resource": "*",
            "Condition": {"StringEquals": {"ec2:MetadataHttpTokens": "required"}},
        },
    )
    ec2 = session.client("ec2")
    ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required")
    with pytest.raises(ClientError) as denied:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="optional")
    assert client_error(denied)[0] == "UnauthorizedOperation"


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_same_instances_and_the_world_round_trips():
    def build() -> World:
        world = World.new(seed=5)
        _role_with_profile(world)
        launch(world, count=3, IamInstanceProfile={"Name": "AppRole"})
        return world

    first, second = build(), build()
    assert first.to_dict() == second.to_dict()
    again = World.from_dict(json.loads(json.dumps(first.to_dict())))
    assert again.to_dict() == first.to_dict()


# --- reservations (issue 13, item 1) ---------------------------------------------------------


def test_instances_launched_together_share_the_reservation_run_instances_returned(world):
    ec2 = admin_client(world, "ec2")
    together = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=3, MaxCount=3)
    alone = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)

    reservations = ec2.describe_instances()["Reservations"]

    assert [r["ReservationId"] for r in reservations] == [
        together["ReservationId"],
        alone["ReservationId"],
    ]
    assert [i["InstanceId"] for i in reservations[0]["Instances"]] == [
        i["InstanceId"] for i in together["Instances"]
    ]
    assert [i["AmiLaunchIndex"] for i in reservations[0]["Instances"]] == [0, 1, 2]
    assert reservations[0]["OwnerId"] == ACCOUNT
    (second,) = together["Instances"][1:2]
    (only,) = ec2.describe_instances(InstanceIds=[second["InstanceId"]])["Reservations"]
    assert only["ReservationId"] == together["ReservationId"]
    assert [i["InstanceId"] for i in only["Instances"]] == [second["InstanceId"]]
    restored = World.from_dict(world.to_dict())
    assert admin_client(restored, "ec2").describe_instances()["Reservations"] == reservations


# --- DescribeInstances filters (issue 13, item 4) -----------------------------------------------


def test_describe_filters_that_aws_documents(world):
    profile_arn = _role_with_profile(world)
    ec2 = admin_client(world, "ec2")
    together = ec2.run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=2,
        MaxCount=2,
        IamInstanceProfile={"Name": "AppRole"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Team", "Value": "blue"}]}
        ],
    )
    first, second = (i["InstanceId"] for i in together["Instances"])
    (alone,) = launch(world)
    described = _instance(world, first)

    def ids(name: str, *values: str) -> list[str]:
        reservations = ec2.describe_instances(Filters=[{"Name": name, "Values": list(values)}])
        return [i["InstanceId"] for r in reservations["Reservations"] for i in r["Instances"]]

    everyone = [first, second, alone]
    assert ids("reservation-id", together["ReservationId"]) == [first, second]
    assert ids("availability-zone", "us-east-1a") == everyone
    assert ids("availability-zone", "us-east-1b") == []
    assert ids("owner-id", ACCOUNT) == everyone
    assert ids("architecture", "x86_64") == everyone
    assert ids("architecture", "arm64") == []
    assert ids("vpc-id", described["VpcId"]) == everyone
    assert ids("subnet-id", described["SubnetId"]) == everyone
    assert ids("private-dns-name", described["PrivateDnsName"]) == [first]
    assert ids("dns-name", described["PublicDnsName"]) == [first]
    assert ids("key-name", "my-key") == []
    assert ids("iam-instance-profile.arn", profile_arn) == [first, second]
    assert ids("tag:Team", "blue") == [first, second]
    assert ids("tag-key", "Team") == [first, second]
    assert ids("tag-value", "bl*") == [first, second]
    assert ids("network-interface.addresses.private-ip-address", described["PrivateIpAddress"]) == [
        first
    ]
    assert ids("network-interface.vpc-id", described["VpcId"]) == everyone
    assert ids("network-interface.status", "in-use") == everyone
    assert ids("network-interface.private-dns-name", described["PrivateDnsName"]) == [first]


# --- RunInstances' image, key pair, groups, placement, monitoring (issue 13, item 5) ----------


def test_an_image_the_account_does_not_know_is_not_found(world):
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as unknown:
        ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    assert client_error(unknown) == (
        "InvalidAMIID.NotFound",
        "The image id '[ami-12345678]' does not exist",
        400,
    )
    assert world.state.instances == {}


def test_key_pairs_and_security_groups_that_do_not_exist_are_refused(world):
    ec2 = admin_client(world, "ec2")
    run = {"ImageId": AMI, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    with pytest.raises(ClientError) as key:
        ec2.run_instances(**run, KeyName="my-key")
    assert client_error(key)[0] == "InvalidKeyPair.NotFound"
    with pytest.raises(ClientError) as group:
        ec2.run_instances(**run, SecurityGroupIds=["sg-0123456789abcdef0"])
    assert client_error(group)[0] == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as named:
        ec2.run_instances(**run, SecurityGroups=["web"])
    assert client_error(named)[0] == "InvalidGroup.NotFound"
    assert world.state.instances == {}
    (instance_id,) = launch(world, SecurityGroups=["default"])
    default_group = _instance(world, instance_id)["SecurityGroups"][0]["GroupId"]
    launch(world, SecurityGroupIds=[default_group])


def test_placement_and_monitoring_are_shown_back(world):
    (instance_id,) = launch(
        world, Placement={"AvailabilityZone": "us-east-1c"}, Monitoring={"Enabled": True}
    )
    described = _instance(world, instance_id)
    assert described["Placement"]["AvailabilityZone"] == "us-east-1c"
    assert described["Monitoring"] == {"State": "enabled"}
    ec2 = admin_client(world, "ec2")
    with pytest.raises(ClientError) as elsewhere:
        ec2.run_instances(
            ImageId=AMI,
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            Placement={"AvailabilityZone": "us-west-2a"},
        )
    assert client_error(elsewhere) == (
        "InvalidParameterValue",
        "Invalid availability zone: [us-west-2a]",
        400,
    )
