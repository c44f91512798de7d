"""World.copy and World.copies: an independent copy, whole (every account, the event log, S3's bytes), sharing
no changeable object with the world it copies."""

import dataclasses
import json
from typing import Any

from simulator import World

VENDOR = "444455556666"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "Unique-123"}},
            }
        ],
    }
)
READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


def _busy_world() -> World:
    """Two accounts; users, roles, inline and managed policies (two versions), a bucket with
    bytes in it and a policy, an instance with a profile, an assumed session, and the events
    all of that logged."""
    world = World.new(seed=7)
    world.add_account(VENDOR, name="vendor")
    iam = world.session().client("iam")
    iam.create_role(RoleName="VendorAccess", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="VendorAccess", PolicyName="read", PolicyDocument=READ)
    arn = iam.create_policy(PolicyName="Reports", PolicyDocument=READ)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=READ, SetAsDefault=True)
    iam.create_user(UserName="sam", Tags=[{"Key": "team", "Value": "blue"}])
    iam.attach_user_policy(UserName="sam", PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName="VendorAccess")
    iam.add_role_to_instance_profile(InstanceProfileName="VendorAccess", RoleName="VendorAccess")
    s3 = world.session().client("s3")
    s3.create_bucket(Bucket="reports-7")
    s3.put_object(Bucket="reports-7", Key="a.bin", Body=bytes(range(256)))
    ec2 = world.session().client("ec2")
    ec2.run_instances(
        ImageId="ami-0abcdef1234567890",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        IamInstanceProfile={"Name": "VendorAccess"},
    )
    world.session(account="vendor").client("sts").assume_role(
        RoleArn="arn:aws:iam::111122223333:role/VendorAccess",
        RoleSessionName="vendor",
        ExternalId="Unique-123",
    )
    return world


def _changeable(value: Any, found: dict[int, Any]) -> dict[int, Any]:
    """Every list, dict, set and dataclass instance reachable from `value`, by id."""
    if id(value) in found:
        return found
    if isinstance(value, dict):
        found[id(value)] = value
        for key, item in value.items():
            _changeable(key, found)
            _changeable(item, found)
    elif isinstance(value, list | set | tuple):
        if not isinstance(value, tuple):
            found[id(value)] = value
        for item in value:
            _changeable(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        found[id(value)] = value
        for field in dataclasses.fields(value):
            _changeable(getattr(value, field.name), found)
    return found


def test_a_copy_is_the_whole_world_every_account_its_log_and_its_bytes() -> None:
    world = _busy_world()

    copied = world.copy()

    assert copied.to_dict() == world.to_dict()
    body = copied.session().client("s3").get_object(Bucket="reports-7", Key="a.bin")["Body"]
    assert body.read() == bytes(range(256))
    vendor = copied.session(account="vendor").client("sts").get_caller_identity()
    assert vendor["Account"] == VENDOR


def test_a_copy_shares_no_changeable_object_with_the_world() -> None:
    world = _busy_world()

    copied = world.copy()

    shared = _changeable(world.state, {}).keys() & _changeable(copied.state, {}).keys()
    assert shared == set()


def test_a_change_to_a_copy_leaves_the_world_as_it_was() -> None:
    world = _busy_world()
    before = world.to_dict()
    copied = world.copy()

    copied.session().client("iam").create_user(UserName="only-in-the-copy")
    copied.state.events[0]["eventName"] = "Changed"

    assert world.to_dict() == before
    assert "only-in-the-copy" not in world.state.users


def test_copies_are_whole_and_independent_of_the_world_and_of_each_other() -> None:
    world = _busy_world()
    before = world.to_dict()

    first, second = world.copies(2)
    first.session().client("iam").create_user(UserName="only-in-the-first")

    assert second.to_dict() == world.to_dict() == before
    assert "only-in-the-first" not in second.state.users
    assert _changeable(first.state, {}).keys() & _changeable(second.state, {}).keys() == set()
    assert world.copies(0) == []
