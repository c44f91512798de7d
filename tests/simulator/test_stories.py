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
from simulator.model import AppSpec
from simulator.services import instances
from simulator.world import OUTSIDE_IP

BUCKET = "reports-bucket"
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _policy(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        }
    )


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def world() -> World:
    world = World.new(seed=7)
    world.session().client("s3").create_bucket(Bucket=BUCKET)
    return world


def _launch(world: World, count: int = 1, profile: str | None = None) -> list[str]:
    params: dict = {"ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro",
                    "MinCount": count, "MaxCount": count}  # fmt: skip
    if profile:
        params["IamInstanceProfile"] = {"Name": profile}
    reservation = world.session().client("ec2").run_instances(**params)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def _app(world: World, instance_id: str) -> None:
    instances.set_app(
        world,
        instance_id,
        AppSpec(
            name="report-writer",
            calls=[
                {"service": "s3", "operation": "PutObject",
                 "params": {"Bucket": BUCKET, "Key": "reports/{instance}/{tick}.csv", "Body": "a,b\n"}},
                {"service": "s3", "operation": "GetObject",
                 "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
            ],
        ),
    )  # fmt: skip


def _role_with_profile(world: World, name: str, *actions: str) -> str:
    iam = world.session().client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    arn = iam.create_policy(PolicyName=f"{name}Policy", PolicyDocument=_policy(*actions))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return arn


def _user_with_key(world: World, name: str, *actions: str) -> dict:
    iam = world.session().client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=_policy(*actions))
    return iam.create_access_key(UserName=name)["AccessKey"]


def test_stored_keys_work_on_the_instance_and_from_anywhere_until_deactivated(world):
    key = _user_with_key(world, "app-user", "s3:PutObject", "s3:GetObject")
    (instance_id,) = _launch(world)
    world.write_file(
        instance_id,
        "/home/ec2-user/.aws/credentials",
        f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
        f"aws_secret_access_key = {key['SecretAccessKey']}\n",
    )
    on_instance = world.instance_session(instance_id).client("s3")
    on_instance.put_object(Bucket=BUCKET, Key="from-instance.txt", Body=b"hi")

    # The key copied off the instance works for anyone, from anywhere.
    copied = world.read_file(instance_id, "~/.aws/credentials")
    stolen_id = copied.split("aws_access_key_id = ")[1].split("\n")[0]
    thief = world.session(stolen_id, key["SecretAccessKey"], source_ip=OUTSIDE_IP).client("s3")
    assert thief.get_object(Bucket=BUCKET, Key="from-instance.txt")["Body"].read() == b"hi"
    assert world.events[-1]["sourceIPAddress"] == OUTSIDE_IP
    assert world.events[-1]["credentialSource"] == "long-term access key"

    world.session().client("iam").update_access_key(
        UserName="app-user", AccessKeyId=key["AccessKeyId"], Status="Inactive"
    )
    with pytest.raises(ClientError) as denied:
        thief.get_object(Bucket=BUCKET, Key="from-instance.txt")
    assert _code(denied) == "InvalidAccessKeyId"
    assert denied.value.response["Error"]["Message"] == (
        "The AWS Access Key Id you provided does not exist in our records."
    )


def test_instance_role_gives_expiring_credentials_with_the_instance_session_arn(world):
    _role_with_profile(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = _launch(world, profile="AppRole")
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
    world.session().client("s3").put_object(Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    policy_arn = _role_with_profile(world, "FleetRole", "s3:PutObject", "s3:GetObject")
    fleet = _launch(world, count=10, profile="FleetRole")
    for instance_id in fleet:
        _app(world, instance_id)
    before = instances.tick(world)
    assert all(result["ok"] for result in before)

    world.session().client("iam").create_policy_version(
        PolicyArn=policy_arn, PolicyDocument=_policy("s3:PutObject"), SetAsDefault=True
    )
    after = instances.tick(world)
    gets = [r for r in after if r["operation"] == "GetObject"]
    puts = [r for r in after if r["operation"] == "PutObject"]
    assert len(gets) == len(puts) == 10
    assert all(r["error"] == "AccessDenied" for r in gets)
    assert all(r["ok"] for r in puts)


def test_per_instance_keys_need_one_edit_per_instance(world):
    world.session().client("s3").put_object(Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    iam = world.session().client("iam")
    fleet = _launch(world, count=10)
    for number, instance_id in enumerate(fleet):
        key = _user_with_key(world, f"app-{number}", "s3:PutObject", "s3:GetObject")
        world.write_file(instance_id, "~/.aws/credentials",
                         f"[default]\naws_access_key_id={key['AccessKeyId']}\n"
                         f"aws_secret_access_key={key['SecretAccessKey']}\n")  # fmt: skip
        _app(world, instance_id)
    iam.put_user_policy(UserName="app-0", PolicyName="s3", PolicyDocument=_policy("s3:PutObject"))
    results = instances.tick(world)
    denied = {r["instance"] for r in results if r["operation"] == "GetObject" and not r["ok"]}
    assert denied == {fleet[0]}, "one edit changed one instance; nine still read"
    for number in range(1, 10):
        iam.put_user_policy(
            UserName=f"app-{number}", PolicyName="s3", PolicyDocument=_policy("s3:PutObject")
        )
    results = instances.tick(world)
    assert all(not r["ok"] for r in results if r["operation"] == "GetObject")


def test_role_attached_to_a_running_instance_then_replaced(world):
    world.session().client("s3").put_object(Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    _role_with_profile(world, "FirstRole", "s3:PutObject", "s3:GetObject")
    _role_with_profile(world, "SecondRole", "s3:PutObject")
    (instance_id,) = _launch(world)
    _app(world, instance_id)
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
                            PolicyDocument=_policy("s3:GetObject"))  # fmt: skip
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
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
    role_arn = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    sts = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("sts")
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="dev-session")
    assert denied.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::111122223333:user/dev is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}"
    )
    iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))  # fmt: skip
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="dev-session")["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")


def test_ec2_denial_decodes_with_sts(world):
    iam = world.session().client("iam")
    iam.create_user(UserName="viewer")
    iam.put_user_policy(UserName="viewer", PolicyName="decode", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}]}))  # fmt: skip
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    viewer = world.session(key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        viewer.client("ec2").run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro",
                                           MinCount=1, MaxCount=1)  # fmt: skip
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
