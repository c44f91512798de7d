"""Software on instances: the SDK's credential chain there, and the applications they run.

Precedence (iam-facts.md §3): environment > ~/.aws/credentials > ~/.aws/config > instance
profile, so keys stored on an instance win over its role.
"""

import json
import weakref
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import AwsError, World
from simulator.model import AppSpec
from simulator.services import instances

ACCOUNT = "111122223333"
AMI = "ami-0abcdef1234567890"
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
APP = AppSpec(
    name="report-writer",
    calls=[
        {"service": "s3", "operation": "PutObject",
         "params": {"Bucket": BUCKET, "Key": "reports/{name}/{instance}/{tick}.csv", "Body": "a,b\n"}},
        {"service": "s3", "operation": "GetObject",
         "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
    ],
)  # fmt: skip

_CLIENTS: weakref.WeakKeyDictionary[World, dict[str, Any]] = weakref.WeakKeyDictionary()


def _admin(world: World, service: str) -> Any:
    clients = _CLIENTS.setdefault(world, {})
    if service not in clients:
        clients[service] = world.session().client(service)
    return clients[service]


def _s3_policy(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        }
    )


def _role(world: World, name: str, *actions: str) -> str:
    """A role EC2 may assume, with a customer managed policy, in a same-name profile."""
    iam = _admin(world, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    policy = iam.create_policy(PolicyName=f"{name}Policy", PolicyDocument=_s3_policy(*actions))
    iam.attach_role_policy(RoleName=name, PolicyArn=policy["Policy"]["Arn"])
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return str(policy["Policy"]["Arn"])


def _key(world: World, user: str, *actions: str) -> dict[str, str]:
    iam = _admin(world, "iam")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=_s3_policy(*actions))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _launch(world: World, count: int = 1, profile: str | None = None, **extra: Any) -> list[str]:
    params: dict[str, Any] = {"ImageId": AMI, "InstanceType": "t3.micro", "MinCount": count,
                              "MaxCount": count, **extra}  # fmt: skip
    if profile:
        params["IamInstanceProfile"] = {"Name": profile}
    reservation = _admin(world, "ec2").run_instances(**params)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def _credentials_file(key: dict[str, str], profile: str = "default") -> str:
    return (
        f"[{profile}]\naws_access_key_id = {key['id']}\naws_secret_access_key = {key['secret']}\n"
    )


@pytest.fixture
def world() -> World:
    world = World.new(seed=0)
    s3 = _admin(world, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    return world


# --- the credential chain -----------------------------------------------------------------------


def test_the_instance_role_gives_expiring_asia_credentials_and_the_instance_session(world):
    _role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = _launch(world, profile="AppRole")
    session = world.instance_session(instance_id)
    credentials = session.get_credentials().get_frozen_credentials()
    assert credentials.access_key.startswith("ASIA")
    stored = world.state.sessions[credentials.access_key]
    assert stored.source == "InstanceProfile"
    assert stored.instance_id == instance_id
    assert stored.expiration - stored.issued == instances.imds.CREDENTIAL_LIFETIME
    assert world.state.instances[instance_id].role_credentials == credentials.access_key
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{instance_id}"
    assert instances.resolve_credentials(world, instance_id)[1] == "instance profile"


def test_keys_stored_in_the_credentials_file_win_over_the_instance_role(world):
    _role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    key = _key(world, "app-user", "s3:PutObject")
    (instance_id,) = _launch(world, profile="AppRole")
    instances.set_app(world, instance_id, APP)
    world.write_file(instance_id, "~/.aws/credentials", _credentials_file(key))
    results = instances.tick(world)
    assert {r["source"] for r in results} == {"shared credentials file"}
    assert {r["access_key_id"] for r in results} == {key["id"]}
    assert [(r["operation"], r["ok"], r["error"]) for r in results] == [
        ("PutObject", True, None),
        ("GetObject", False, "AccessDenied"),
    ]
    arn = world.session(key["id"], key["secret"]).client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:user/app-user"
    world.delete_file(instance_id, "~/.aws/credentials")
    assert {r["source"] for r in instances.tick(world)} == {"instance profile"}


def test_environment_variables_win_over_the_credentials_file(world):
    file_key = _key(world, "file-user", "s3:GetObject")
    env_key = _key(world, "env-user", "s3:PutObject", "s3:GetObject")
    (instance_id,) = _launch(world)
    world.write_file(instance_id, "~/.aws/credentials", _credentials_file(file_key))
    world.set_env(instance_id, "AWS_ACCESS_KEY_ID", env_key["id"])
    world.set_env(instance_id, "AWS_SECRET_ACCESS_KEY", env_key["secret"])
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert (credentials.access_key_id, source) == (env_key["id"], "environment")
    sts = world.instance_session(instance_id).client("sts")
    assert sts.get_caller_identity()["Arn"].endswith(":user/env-user")


def test_an_access_key_without_its_secret_is_partial_credentials(world):
    (instance_id,) = _launch(world)
    world.set_env(instance_id, "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(AwsError) as partial:
        instances.resolve_credentials(world, instance_id)
    assert partial.value.code == "PartialCredentialsError"
    assert (
        partial.value.message == "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
    )


def test_a_malformed_credentials_file_breaks_the_sdk_rather_than_being_skipped(world):
    _role(world, "AppRole", "s3:GetObject")
    (instance_id,) = _launch(world, profile="AppRole")
    world.write_file(instance_id, "~/.aws/credentials", "aws_access_key_id = AKIA...\n[default\n")
    with pytest.raises(AwsError) as broken:
        instances.resolve_credentials(world, instance_id)
    assert (broken.value.code, broken.value.message) == (
        "ConfigParseError",
        "Unable to parse config file: /home/ec2-user/.aws/credentials",
    )
    instances.set_app(world, instance_id, APP)
    assert {r["error"] for r in instances.tick(world)} == {"ConfigParseError"}


def test_aws_profile_chooses_the_section_and_the_config_file_comes_after_the_credentials_file(
    world,
):
    first = _key(world, "first", "s3:GetObject")
    second = _key(world, "second", "s3:GetObject")
    (instance_id,) = _launch(world)
    world.write_file(instance_id, "~/.aws/credentials", _credentials_file(first, "reports"))
    world.write_file(instance_id, "~/.aws/config",
                     f"[default]\nregion = us-east-1\naws_access_key_id = {second['id']}\n"
                     f"aws_secret_access_key = {second['secret']}\n")  # fmt: skip
    assert instances.resolve_credentials(world, instance_id)[1] == "config file"
    world.set_env(instance_id, "AWS_PROFILE", "reports")
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert (credentials.access_key_id, source) == (first["id"], "shared credentials file")
    world.set_env(instance_id, "AWS_PROFILE", "missing")
    with pytest.raises(AwsError) as missing:
        instances.resolve_credentials(world, instance_id)
    assert missing.value.message == "The config profile (missing) could not be found"


def test_imdsv2_required_still_gives_the_sdk_its_credentials(world):
    _role(world, "AppRole", "s3:GetObject")
    (instance_id,) = _launch(world, profile="AppRole", MetadataOptions={"HttpTokens": "required"})
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert source == "instance profile"
    assert world.state.sessions[credentials.access_key_id].delivery == "2.0"
    _admin(world, "ec2").modify_instance_metadata_options(
        InstanceId=instance_id, HttpEndpoint="disabled"
    )
    assert instances.resolve_credentials(world, instance_id) is None


def test_no_credentials_anywhere(world):
    (instance_id,) = _launch(world)
    assert instances.resolve_credentials(world, instance_id) is None
    with pytest.raises(AwsError):
        world.instance_session(instance_id)


# --- rotation and expiry -------------------------------------------------------------------------


def test_role_credentials_rotate_after_an_hour_and_old_ones_expire_after_six(world):
    _role(world, "AppRole", "s3:GetObject")
    (instance_id,) = _launch(world, profile="AppRole")
    first = instances.resolve_credentials(world, instance_id)[0]
    world.advance(3600)
    second = instances.resolve_credentials(world, instance_id)[0]
    assert second.access_key_id != first.access_key_id
    old = world.session(*first).client("s3")
    assert old.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"
    world.advance(5 * 3600)
    with pytest.raises(ClientError) as expired:
        old.get_object(Bucket=BUCKET, Key="config/app.json")
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"
    fresh = world.instance_session(instance_id).client("s3")
    assert fresh.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"


# --- the application ---------------------------------------------------------------------------


def test_tick_substitutes_placeholders_and_calls_from_the_instance_address(world):
    _role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    name_tag = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}
    (instance_id,) = _launch(world, profile="AppRole", TagSpecifications=[name_tag])
    instances.set_app(world, instance_id, APP)
    results = instances.tick(world, ticks=2)
    assert [(r["tick"], r["operation"], r["ok"]) for r in results] == [
        (1, "PutObject", True), (1, "GetObject", True), (2, "PutObject", True), (2, "GetObject", True),
    ]  # fmt: skip
    keys = [o["Key"] for o in _admin(world, "s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert f"reports/web-1/{instance_id}/2.csv" in keys
    public_ip = world.state.instances[instance_id].public_ip
    assert instances.source_ip(world, instance_id) == public_ip
    put = [e for e in world.events if e["eventName"] == "PutObject"][-1]
    assert put["sourceIPAddress"] == public_ip
    assert (
        put["userIdentity"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{instance_id}"
    )


def test_an_instance_without_a_public_address_calls_from_its_private_one(world):
    (instance_id,) = _launch(
        world, NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]
    )
    assert instances.source_ip(world, instance_id) == world.state.instances[instance_id].private_ip


def test_tick_reports_no_credentials_and_skips_instances_that_are_not_running(world):
    first, second = _launch(world, count=2)
    for instance_id in (first, second):
        instances.set_app(world, instance_id, APP)
    _admin(world, "ec2").stop_instances(InstanceIds=[second])
    events = len(world.events)
    results = instances.tick(world)
    assert {(r["instance"], r["error"]) for r in results} == {(first, "NoCredentials")}
    assert len(world.events) == events, "no credentials, no call reaches AWS"


def test_set_app_refuses_a_malformed_application(world):
    (instance_id,) = _launch(world)
    with pytest.raises(ValueError, match="operation"):
        instances.set_app(world, instance_id, AppSpec(name="x", calls=[{"service": "s3"}]))


def test_a_role_attached_to_a_running_instance_then_replaced(world):
    _role(world, "FirstRole", "s3:PutObject", "s3:GetObject")
    _role(world, "SecondRole", "s3:PutObject")
    (instance_id,) = _launch(world)
    instances.set_app(world, instance_id, APP)
    assert {r["error"] for r in instances.tick(world)} == {"NoCredentials"}

    ec2 = _admin(world, "ec2")
    association = ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "FirstRole"}, InstanceId=instance_id
    )["IamInstanceProfileAssociation"]
    results = instances.tick(world)
    assert all(r["ok"] and r["source"] == "instance profile" for r in results)
    first_key = results[0]["access_key_id"]
    assert world.events[-1]["userIdentity"]["arn"].endswith(f"assumed-role/FirstRole/{instance_id}")

    ec2.replace_iam_instance_profile_association(
        IamInstanceProfile={"Name": "SecondRole"}, AssociationId=association["AssociationId"]
    )
    results = instances.tick(world)
    assert [(r["operation"], r["ok"], r["error"]) for r in results] == [
        ("PutObject", True, None),
        ("GetObject", False, "AccessDenied"),
    ]
    assert world.events[-1]["userIdentity"]["arn"].endswith(
        f"assumed-role/SecondRole/{instance_id}"
    )
    assert results[0]["access_key_id"] != first_key

    # The first role's credentials cannot be revoked: they work until they expire.
    stale = world.state.sessions[first_key]
    old = world.session(stale.access_key_id, stale.secret_access_key, stale.session_token)
    assert old.client("s3").get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"
    world.advance(6 * 3600)
    with pytest.raises(ClientError) as expired:
        old.client("s3").get_object(Bucket=BUCKET, Key="config/app.json")
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"


def test_a_fleet_sharing_one_role_flips_to_put_only_with_one_policy_version(world):
    policy_arn = _role(world, "FleetRole", "s3:PutObject", "s3:GetObject")
    fleet = _launch(world, count=10, profile="FleetRole")
    for instance_id in fleet:
        instances.set_app(world, instance_id, APP)
    before = instances.tick(world)
    assert len(before) == 20
    assert all(r["ok"] for r in before)

    _admin(world, "iam").create_policy_version(
        PolicyArn=policy_arn, PolicyDocument=_s3_policy("s3:PutObject"), SetAsDefault=True
    )
    after = instances.tick(world)
    gets = [r for r in after if r["operation"] == "GetObject"]
    puts = [r for r in after if r["operation"] == "PutObject"]
    assert {r["instance"] for r in gets} == set(fleet)
    assert all(r["error"] == "AccessDenied" for r in gets)
    assert all(r["ok"] for r in puts)
    assert gets[0]["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/FleetRole/{gets[0]['instance']} is not "
        f'authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/config/app.json" '
        "because no identity-based policy allows the s3:GetObject action"
    )
