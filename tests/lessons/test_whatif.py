"""What a change would flip: recent calls made again on copies, the learner's world untouched."""

import json

import pytest

from lessons import whatif
from simulator import AwsError, World
from simulator.model import AppSpec
from simulator.services import instances
from tests.factories import EC2_TRUST, allow

BUCKET = "reports-bucket"


def _allow(*actions: str) -> str:
    return allow(*actions, resource=f"arn:aws:s3:::{BUCKET}/*")


def fleet(*, size: int = 2, ticks: int = 1) -> tuple[World, str]:
    """Instances sharing role AppRole (customer managed policy Reports: Put+Get), run `ticks` times."""
    world = World.new(seed=3)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": BUCKET})
    world.call(
        admin, "s3", "PutObject", {"Bucket": BUCKET, "Key": "config/app.json", "Body": b"{}"}
    )
    arn = world.call(admin, "iam", "CreatePolicy", {"PolicyName": "Reports",
                     "PolicyDocument": _allow("s3:PutObject", "s3:GetObject")})["Policy"]["Arn"]  # fmt: skip
    world.call(
        admin, "iam", "CreateRole", {"RoleName": "AppRole", "AssumeRolePolicyDocument": EC2_TRUST}
    )
    world.call(admin, "iam", "AttachRolePolicy", {"RoleName": "AppRole", "PolicyArn": arn})
    world.call(admin, "iam", "CreateInstanceProfile", {"InstanceProfileName": "AppRole"})
    world.call(
        admin,
        "iam",
        "AddRoleToInstanceProfile",
        {"InstanceProfileName": "AppRole", "RoleName": "AppRole"},
    )
    launched = world.call(admin, "ec2", "RunInstances", {
        "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "MinCount": size, "MaxCount": size,
        "IamInstanceProfile": {"Name": "AppRole"}})  # fmt: skip
    app = AppSpec("reports", [
        {"service": "s3", "operation": "PutObject", "params": {"Bucket": BUCKET, "Key": "r/{instance}/{tick}.csv"}},
        {"service": "s3", "operation": "GetObject", "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
    ])  # fmt: skip
    for instance in launched["Instances"]:
        instances.set_app(world, instance["InstanceId"], app)
    instances.tick(world, ticks=ticks)
    return world, arn


def put_only_version(arn: str):
    def change(world: World) -> None:
        world.call(world.admin_credentials(), "iam", "CreatePolicyVersion",
                   {"PolicyArn": arn, "PolicyDocument": _allow("s3:PutObject"), "SetAsDefault": True})  # fmt: skip

    return change


def test_a_put_only_version_would_flip_every_instances_get_to_denied():
    world, arn = fleet(size=3)
    found = whatif.preview(world, put_only_version(arn))
    assert found.refused is None
    assert {(flip.action, flip.before, flip.after) for flip in found.flips} == {
        ("s3:GetObject", "Allowed", "AccessDenied")
    }
    assert len(found.flips) == 3, "one row per instance: each has its own role session"
    assert {flip.instance_id for flip in found.flips} == set(world.state.instances)
    flip = found.flips[0]
    assert flip.direction == "allowed → denied"
    assert flip.who.startswith("arn:aws:sts::111122223333:assumed-role/AppRole/i-")
    assert flip.credentials == "instance profile role"
    assert flip.target == f"{BUCKET}/config/app.json"
    assert flip.message.endswith("because no identity-based policy allows the s3:GetObject action")
    assert "3 would now fail" in found.summary


def test_the_preview_leaves_the_world_exactly_as_it_was():
    world, arn = fleet()
    before = json.dumps(world.to_dict(), sort_keys=True)
    whatif.preview(world, put_only_version(arn))
    assert json.dumps(world.to_dict(), sort_keys=True) == before


def test_a_change_that_changes_nothing_flips_nothing():
    world, arn = fleet()

    def not_default(copy: World) -> None:
        copy.call(copy.admin_credentials(), "iam", "CreatePolicyVersion",
                  {"PolicyArn": arn, "PolicyDocument": _allow("s3:PutObject")})  # fmt: skip

    found = whatif.preview(world, not_default)
    assert found.flips == ()
    assert found.replayed > 0
    assert "none would change" in found.summary


def test_restoring_get_flips_it_back_to_allowed():
    world, arn = fleet()
    put_only_version(arn)(world)
    instances.tick(world)

    def back_to_v1(copy: World) -> None:
        copy.call(
            copy.admin_credentials(),
            "iam",
            "SetDefaultPolicyVersion",
            {"PolicyArn": arn, "VersionId": "v1"},
        )

    found = whatif.preview(world, back_to_v1)
    gets = [flip for flip in found.flips if flip.operation == "GetObject"]
    assert gets
    assert all(flip.direction == "denied → allowed" for flip in gets)


def test_a_change_aws_refuses_is_reported_as_refused():
    world, arn = fleet()

    def broken(copy: World) -> None:
        copy.call(copy.admin_credentials(), "iam", "CreatePolicyVersion",
                  {"PolicyArn": arn, "PolicyDocument": "{not json", "SetAsDefault": True})  # fmt: skip

    found = whatif.preview(world, broken)
    assert found.refused is not None
    assert found.refused.code == "MalformedPolicyDocument"
    assert found.flips == ()
    assert "AWS would refuse this change" in found.summary


def test_a_trust_policy_that_drops_ec2_flips_the_instances_role_credentials():
    world, _ = fleet(size=1)
    nobody = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip

    def untrust(copy: World) -> None:
        copy.call(copy.admin_credentials(), "iam", "UpdateAssumeRolePolicy",
                  {"RoleName": "AppRole", "PolicyDocument": nobody})  # fmt: skip

    found = whatif.preview(world, untrust)
    (flip,) = [flip for flip in found.flips if flip.operation == "AssumeRole"]
    assert flip.who.startswith("ec2.amazonaws.com for i-")
    assert (flip.before, flip.after) == ("Allowed", "AccessDenied")


def test_calls_with_deleted_keys_are_skipped_and_counted():
    world = World.new(seed=1)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": BUCKET})
    world.call(admin, "iam", "CreateUser", {"UserName": "gone"})
    key = world.call(admin, "iam", "CreateAccessKey", {"UserName": "gone"})["AccessKey"]
    with pytest.raises(AwsError):  # the user has no policy; the denied call is in the log
        world.call((key["AccessKeyId"], key["SecretAccessKey"]), "s3", "ListBuckets", {})
    world.call(
        admin, "iam", "DeleteAccessKey", {"UserName": "gone", "AccessKeyId": key["AccessKeyId"]}
    )
    found = whatif.preview(world, lambda copy: None)
    assert found.skipped >= 1
    assert found.flips == ()


def test_only_the_newest_distinct_calls_are_replayed():
    world, arn = fleet(size=2, ticks=5)
    found = whatif.preview(world, put_only_version(arn), limit=4)
    assert found.replayed == 4
    replayable = [e for e in world.events if whatif.replayable(e)]
    assert len(replayable) > 4


def test_shortened_parameters_are_not_replayed():
    event = {
        "eventSource": "iam.amazonaws.com",
        "eventName": "GetRole",
        "requestParameters": {"RoleName": "x" * 301 + "…"},
        "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIAEXAMPLE"},
    }
    world = World.new()
    world.state.events.append(event)
    found = whatif.preview(world, lambda copy: None)
    assert found.replayed == 0
    assert found.skipped == 1


def test_a_fleets_flips_group_into_one_line_per_role():
    world, arn = fleet(size=3)
    found = whatif.preview(world, put_only_version(arn))
    (group,) = found.groups
    assert group.who == "assumed-role/AppRole"
    assert sorted(group.callers) == sorted(world.state.instances), "unnamed: by instance id"
    assert group.first.action == "s3:GetObject"
