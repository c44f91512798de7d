"""The course's stories, driven by boto3 as a real user's code would be.

Each test is one claim of the service-roles lesson (DESIGN.md) made observable: stored keys,
instance roles, a fleet sharing one role, roles on running instances, service-linked roles.
"""

import json
import socket

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator import World
from simulator.services import instances
from simulator.world import OUTSIDE_IP
from tests.factories import (
    AMI,
    BUCKET,
    OBJECTS,
    REPORT_WRITER,
    admin_client,
    allow,
    bucket_world,
    credentials_file,
    fleet,
    instance_role,
    launch,
    trust_policy,
    user_key,
)


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def world() -> World:
    return bucket_world(seed=7)


def test_stored_keys_work_on_the_instance_and_from_anywhere_until_deactivated(world):
    key = user_key(world, "app-user", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world)
    world.write_file(instance_id, "/home/ec2-user/.aws/credentials", credentials_file(key))
    on_instance = world.instance_session(instance_id).client("s3")
    on_instance.put_object(Bucket=BUCKET, Key="from-instance.txt", Body=b"hi")

    # The key copied off the instance works for anyone, from anywhere.
    copied = world.read_file(instance_id, "~/.aws/credentials")
    stolen_id = copied.split("aws_access_key_id = ")[1].split("\n")[0]
    thief = world.session(stolen_id, key.secret_access_key, source_ip=OUTSIDE_IP).client("s3")
    assert thief.get_object(Bucket=BUCKET, Key="from-instance.txt")["Body"].read() == b"hi"
    assert world.events[-1]["sourceIPAddress"] == OUTSIDE_IP
    assert world.events[-1]["credentialSource"] == "long-term access key"

    world.session().client("iam").update_access_key(
        UserName="app-user", AccessKeyId=key.access_key_id, Status="Inactive"
    )
    with pytest.raises(ClientError) as denied:
        thief.get_object(Bucket=BUCKET, Key="from-instance.txt")
    assert _code(denied) == "InvalidAccessKeyId"
    assert denied.value.response["Error"]["Message"] == (
        "The AWS Access Key Id you provided does not exist in our records."
    )


def test_instance_role_gives_expiring_credentials_with_the_instance_session_arn(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    session = world.instance_session(instance_id)
    credentials = session.get_credentials().get_frozen_credentials()
    assert credentials.access_key.startswith("ASIA")
    assert credentials.token
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::111122223333:assumed-role/AppRole/{instance_id}"

    stolen = world.session(credentials.access_key, credentials.secret_key, credentials.token,
                           source_ip=OUTSIDE_IP).client("s3")  # fmt: skip
    stolen.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    world.advance(7 * 3600)  # past the six-hour lifetime
    with pytest.raises(ClientError) as expired:
        stolen.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    assert _code(expired) == "ExpiredToken"


def test_one_policy_version_flips_a_whole_fleet_from_put_get_to_put_only(world):
    policy_arn, fleet_ids = fleet(world)
    before = instances.tick(world)
    assert len(before) == 20
    assert all(result["ok"] for result in before)

    admin_client(world, "iam").create_policy_version(
        PolicyArn=policy_arn,
        PolicyDocument=allow("s3:PutObject", resource=OBJECTS),
        SetAsDefault=True,
    )
    after = instances.tick(world)
    gets = [r for r in after if r["operation"] == "GetObject"]
    puts = [r for r in after if r["operation"] == "PutObject"]
    assert {r["instance"] for r in gets} == {r["instance"] for r in puts} == set(fleet_ids)
    assert all(r["error"] == "AccessDenied" for r in gets)
    assert all(r["ok"] for r in puts)
    assert gets[0]["message"] == (
        f"User: arn:aws:sts::111122223333:assumed-role/FleetRole/{gets[0]['instance']} is not "
        f'authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/config/app.json" '
        "because no identity-based policy allows the s3:GetObject action"
    )


def test_per_instance_keys_need_one_edit_per_instance(world):
    iam = world.session().client("iam")
    instance_ids = launch(world, count=10)
    for number, instance_id in enumerate(instance_ids):
        key = user_key(world, f"app-{number}", "s3:PutObject", "s3:GetObject")
        world.write_file(instance_id, "~/.aws/credentials", credentials_file(key))
        instances.set_app(world, instance_id, REPORT_WRITER)
    iam.put_user_policy(
        UserName="app-0", PolicyName="s3", PolicyDocument=allow("s3:PutObject", resource=OBJECTS)
    )
    results = instances.tick(world)
    denied = {r["instance"] for r in results if r["operation"] == "GetObject" and not r["ok"]}
    assert denied == {instance_ids[0]}, "one edit changed one instance; nine still read"
    for number in range(1, 10):
        iam.put_user_policy(
            UserName=f"app-{number}",
            PolicyName="s3",
            PolicyDocument=allow("s3:PutObject", resource=OBJECTS),
        )
    results = instances.tick(world)
    assert all(not r["ok"] for r in results if r["operation"] == "GetObject")


def test_role_attached_to_a_running_instance_then_replaced(world):
    instance_role(world, "FirstRole", "s3:PutObject", "s3:GetObject")
    instance_role(world, "SecondRole", "s3:PutObject")
    (instance_id,) = launch(world)
    instances.set_app(world, instance_id, REPORT_WRITER)
    assert {r["error"] for r in instances.tick(world)} == {"NoCredentials"}

    ec2 = world.session().client("ec2")
    association = ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "FirstRole"}, InstanceId=instance_id
    )["IamInstanceProfileAssociation"]
    with pytest.raises(ClientError) as twice:
        ec2.associate_iam_instance_profile(
            IamInstanceProfile={"Name": "SecondRole"}, InstanceId=instance_id
        )
    assert _code(twice) == "IncorrectState"
    assert all(r["ok"] for r in instances.tick(world))
    first_arn = world.events[-1]["userIdentity"]["arn"]
    assert first_arn.endswith(f"assumed-role/FirstRole/{instance_id}")

    replaced = ec2.replace_iam_instance_profile_association(
        IamInstanceProfile={"Name": "SecondRole"}, AssociationId=association["AssociationId"]
    )["IamInstanceProfileAssociation"]
    assert replaced["AssociationId"] != association["AssociationId"]
    results = instances.tick(world)
    assert [r["ok"] for r in results] == [True, True], "the SDK's cached FirstRole credentials"
    assert world.events[-1]["userIdentity"]["arn"] == first_arn
    world.advance(6 * 3600)  # past the SDK's refresh, 15 minutes before they expire
    results = instances.tick(world)
    assert [r["ok"] for r in results] == [True, False]
    assert world.events[-1]["userIdentity"]["arn"].endswith(
        f"assumed-role/SecondRole/{instance_id}"
    )


def test_service_linked_role_refuses_modification_and_deletion_while_in_use(world):
    iam = world.session().client("iam")
    iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")
    role = iam.get_role(RoleName="AWSServiceRoleForAmazonSSM")["Role"]
    assert role["Path"] == "/aws-service-role/ssm.amazonaws.com/"
    assert json.loads(json.dumps(role["AssumeRolePolicyDocument"]))["Statement"][0][
        "Principal"
    ] == {"Service": "ssm.amazonaws.com"}
    with pytest.raises(ClientError) as refused:
        iam.put_role_policy(RoleName="AWSServiceRoleForAmazonSSM", PolicyName="extra",
                            PolicyDocument=allow("s3:GetObject", resource=OBJECTS))  # fmt: skip
    assert _code(refused) == "UnmodifiableEntity"
    assert refused.value.response["Error"]["Message"] == (
        "Cannot perform the operation on the protected role 'AWSServiceRoleForAmazonSSM' "
        "- this role is only modifiable by AWS"
    )
    world.state.roles["AWSServiceRoleForAmazonSSM"].used_by.append(
        "maintenance window task mw-0123"
    )
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAmazonSSM")["DeletionTaskId"]
    world.advance(60)
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "FAILED"
    assert iam.get_role(RoleName="AWSServiceRoleForAmazonSSM")


def test_assume_role_needs_trust_and_identity_permission(world):
    iam = world.session().client("iam")
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    trust = trust_policy({"AWS": "arn:aws:iam::111122223333:root"})
    role_arn = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    sts = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("sts")
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="dev-session")
    assert denied.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::111122223333:user/dev is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}"
    )
    iam.put_user_policy(
        UserName="dev",
        PolicyName="assume",
        PolicyDocument=allow("sts:AssumeRole", resource=role_arn),
    )
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="dev-session")["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")


def test_ec2_denial_decodes_with_sts(world):
    iam = world.session().client("iam")
    iam.create_user(UserName="viewer")
    iam.put_user_policy(
        UserName="viewer",
        PolicyName="decode",
        PolicyDocument=allow("sts:DecodeAuthorizationMessage"),
    )
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    viewer = world.session(key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        viewer.client("ec2").run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1
        )
    assert _code(denied) == "UnauthorizedOperation"
    blob = denied.value.response["Error"]["Message"].split(
        "Encoded authorization failure message: "
    )[1]
    decoded = json.loads(
        viewer.client("sts").decode_authorization_message(EncodedMessage=blob)["DecodedMessage"]
    )
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == "ec2:RunInstances"


def test_same_seed_same_ids_and_json_round_trip_changes_nothing():
    def build() -> World:
        world = World.new(seed=3)
        world.session().client("iam").create_user(UserName="alice")
        world.session().client("iam").create_access_key(UserName="alice")
        return world

    first, second = build(), build()
    assert first.to_dict() == second.to_dict()
    again = World.from_dict(json.loads(json.dumps(first.to_dict())))
    assert again.to_dict() == first.to_dict()


def test_no_call_ever_opens_a_socket(world, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a call tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    session = world.session()
    session.client("s3").put_object(Bucket=BUCKET, Key="k", Body=b"x")
    session.client("iam").list_users()
    session.client("sts").get_caller_identity()
    session.client("ec2").describe_instances()


def test_sessions_are_real_boto3_sessions(world):
    assert isinstance(world.session(), boto3.Session)
