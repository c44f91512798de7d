"""IAM's tags as AWS checks them, the tag operations of managed policies and instance profiles,
UpdateGroup, CreatePolicy's and GetPolicy's shapes (issue 13, items 7 and 8), and STS's order of
RoleSessionName's constraints. Sources are named in simulator/services/iam.py and sts.py."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import AwsError, World
from tests.factories import EC2_TRUST, allow, client_error

ACCOUNT = "111122223333"
DUPLICATE = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


@pytest.fixture
def iam(world: World) -> Any:
    return world.session().client("iam")


def _user_client(world: World, iam: Any, name: str, *actions: str, resource: str = "*") -> Any:
    iam.create_user(UserName=name)
    if actions:
        iam.put_user_policy(
            UserName=name, PolicyName="allow", PolicyDocument=allow(*actions, resource=resource)
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("iam")


def _policy(iam: Any, name: str = "P", **extra: Any) -> str:
    arn: str = iam.create_policy(PolicyName=name, PolicyDocument=allow("s3:GetObject"), **extra)[
        "Policy"
    ]["Arn"]
    return arn


# --- Item 7: shapes and tag checks -----------------------------------------------------------


def test_create_policy_leaves_the_description_out_and_get_policy_shows_it(iam):
    created = iam.create_policy(
        PolicyName="P", PolicyDocument=allow("s3:GetObject"), Description="reads"
    )["Policy"]
    assert "Description" not in created
    assert "Tags" not in created
    fetched = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert fetched["Description"] == "reads"


def test_get_policy_returns_an_empty_tag_list(iam):
    arn = _policy(iam)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == []


@pytest.mark.parametrize(
    "tags",
    [
        [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}],
        [{"Key": "Team", "Value": "a"}, {"Key": "tEAM", "Value": "b"}],
    ],
)
def test_duplicate_tag_keys_whatever_their_case_are_refused_everywhere(iam, tags):
    iam.create_role(RoleName="R", AssumeRolePolicyDocument=EC2_TRUST)
    arn = _policy(iam)
    iam.create_instance_profile(InstanceProfileName="IP")
    calls = [
        lambda: iam.create_user(UserName="u", Tags=tags),
        lambda: iam.tag_role(RoleName="R", Tags=tags),
        lambda: iam.create_policy(PolicyName="Q", PolicyDocument=allow("s3:*"), Tags=tags),
        lambda: iam.tag_policy(PolicyArn=arn, Tags=tags),
        lambda: iam.tag_instance_profile(InstanceProfileName="IP", Tags=tags),
    ]
    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert client_error(raised) == ("InvalidInput", DUPLICATE, 400)


def test_tag_keys_with_invalid_characters_are_refused_with_the_pattern(iam):
    iam.create_role(RoleName="R", AssumeRolePolicyDocument=EC2_TRUST)
    with pytest.raises(ClientError) as raised:
        iam.tag_role(
            RoleName="R", Tags=[{"Key": "ok", "Value": "v"}, {"Key": "NOWAY!", "Value": ""}]
        )
    assert client_error(raised) == (
        "ValidationError",
        "1 validation error detected: Value 'NOWAY!' at 'tags.2.member.key' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {KEY_PATTERN}",
        400,
    )
    assert iam.list_role_tags(RoleName="R")["Tags"] == []
    # Letters, spaces and numbers of any script and _.:/=+-@ are fine.
    iam.tag_role(
        RoleName="R", Tags=[{"Key": "Kostenstelle é 1:a/b=c+d-e@f_g.h", "Value": "Zürich"}]
    )


def test_a_longer_tag_key_gets_the_length_error(iam):
    with pytest.raises(ClientError) as raised:
        iam.create_user(UserName="u", Tags=[{"Key": "k" * 129, "Value": ""}])
    assert client_error(raised)[1].endswith(
        "at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_tagging_a_key_in_another_case_replaces_it(iam):
    iam.create_role(RoleName="R", AssumeRolePolicyDocument=EC2_TRUST)
    iam.tag_role(RoleName="R", Tags=[{"Key": "Test", "Value": "1"}])
    iam.tag_role(RoleName="R", Tags=[{"Key": "test", "Value": "2"}])
    assert iam.list_role_tags(RoleName="R")["Tags"] == [{"Key": "test", "Value": "2"}]


def test_a_65_character_role_session_name_gets_the_length_error(world, iam):
    arn = iam.create_role(
        RoleName="R",
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            f'{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}'
        ),
    )["Role"]["Arn"]
    sts = world.session().client("sts")
    name = "a" * 65
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=arn, RoleSessionName=name)
    assert client_error(raised) == (
        "ValidationError",
        f"1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64",
        400,
    )
    with pytest.raises(ClientError) as pattern:
        sts.assume_role(RoleArn=arn, RoleSessionName="bad name")
    assert "regular expression pattern" in client_error(pattern)[1]


def test_a_bad_role_session_name_is_refused_before_anyone_is_asked(world):
    """The request's members are checked against the model before authorization: a caller
    who may not assume a role (here it does not exist) still learns the name is malformed."""
    sts = world.session().client("sts")
    arn = f"arn:aws:iam::{ACCOUNT}:role/NoSuchRole"
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=arn, RoleSessionName="a" * 65)
    assert client_error(raised)[0] == "ValidationError"
    assert "length less than or equal to 64" in client_error(raised)[1]
    # botocore refuses a one-character name itself; a call made without it (a scenario's
    # probe) gets the service's answer.
    with pytest.raises(AwsError) as short:
        world.call(
            world.admin_credentials(), "sts", "AssumeRole", {"RoleArn": arn, "RoleSessionName": "a"}
        )
    assert short.value.code == "ValidationError"
    assert "length greater than or equal to 2" in short.value.message


# --- Item 8: the policy and instance-profile tag operations ------------------------------------


def test_policy_tags_can_be_added_listed_sorted_and_removed(iam):
    arn = _policy(iam)
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "3"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "3"},
    ]
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=1)
    assert page["IsTruncated"] is True
    assert page["Tags"] == [{"Key": "a", "Value": "1"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "b", "Value": "3"}]


def test_policy_tag_operations_are_authorized_and_refused_on_aws_managed_policies(world, iam):
    arn = _policy(iam)
    bob = _user_client(world, iam, "bob", "iam:ListPolicyTags")
    with pytest.raises(ClientError) as denied:
        bob.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    assert client_error(denied)[0] == "AccessDenied"
    assert bob.list_policy_tags(PolicyArn=arn)["Tags"] == []
    with pytest.raises(ClientError) as managed:
        iam.tag_policy(
            PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
            Tags=[{"Key": "a", "Value": "1"}],
        )
    assert client_error(managed)[0] == "AccessDenied"
    with pytest.raises(ClientError) as missing:
        iam.untag_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/Nope", TagKeys=["a"])
    assert client_error(missing)[0] == "NoSuchEntity"


def test_tag_policy_sees_request_tags_in_conditions(world, iam):
    arn = _policy(iam)
    iam.create_user(UserName="carol")
    iam.put_user_policy(
        UserName="carol",
        PolicyName="only-team",
        PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagPolicy",'
            '"Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}'
        ),
    )
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("iam")
    carol.tag_policy(PolicyArn=arn, Tags=[{"Key": "team", "Value": "ops"}])
    with pytest.raises(ClientError) as denied:
        carol.tag_policy(PolicyArn=arn, Tags=[{"Key": "owner", "Value": "x"}])
    assert client_error(denied)[0] == "AccessDenied"


def test_instance_profile_tags_can_be_added_listed_and_removed(world, iam):
    iam.create_instance_profile(InstanceProfileName="IP")
    iam.tag_instance_profile(
        InstanceProfileName="IP", Tags=[{"Key": "z", "Value": "1"}, {"Key": "m", "Value": "2"}]
    )
    assert iam.list_instance_profile_tags(InstanceProfileName="IP")["Tags"] == [
        {"Key": "m", "Value": "2"},
        {"Key": "z", "Value": "1"},
    ]
    iam.untag_instance_profile(InstanceProfileName="IP", TagKeys=["Z"])
    assert iam.get_instance_profile(InstanceProfileName="IP")["InstanceProfile"]["Tags"] == [
        {"Key": "m", "Value": "2"}
    ]
    dave = _user_client(world, iam, "dave")
    with pytest.raises(ClientError) as denied:
        dave.untag_instance_profile(InstanceProfileName="IP", TagKeys=["m"])
    assert client_error(denied)[0] == "AccessDenied"
    with pytest.raises(ClientError) as missing:
        iam.list_instance_profile_tags(InstanceProfileName="Nope")
    assert client_error(missing)[0] == "NoSuchEntity"


def test_tag_calls_are_recorded(world, iam):
    arn = _policy(iam)
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    names = [event["eventName"] for event in world.events]
    assert "TagPolicy" in names


# --- Item 8: UpdateGroup -------------------------------------------------------------------------


def test_update_group_renames_and_moves_a_group_keeping_members_and_policies(world, iam):
    iam.create_group(GroupName="Managers")
    iam.create_user(UserName="ann")
    iam.add_user_to_group(GroupName="Managers", UserName="ann")
    iam.put_group_policy(GroupName="Managers", PolicyName="p", PolicyDocument=allow("s3:*"))
    iam.update_group(GroupName="Managers", NewGroupName="MGRs", NewPath="/staff/")
    group = iam.get_group(GroupName="MGRs")
    assert group["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/staff/MGRs"
    assert group["Group"]["Path"] == "/staff/"
    assert [u["UserName"] for u in group["Users"]] == ["ann"]
    assert iam.list_group_policies(GroupName="MGRs")["PolicyNames"] == ["p"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="ann")["Groups"]] == ["MGRs"]
    with pytest.raises(ClientError) as gone:
        iam.get_group(GroupName="Managers")
    assert client_error(gone)[0] == "NoSuchEntity"


def test_update_group_refuses_a_taken_name_and_needs_both_names_allowed(world, iam):
    iam.create_group(GroupName="Managers")
    iam.create_group(GroupName="Admins")
    with pytest.raises(ClientError) as taken:
        iam.update_group(GroupName="Managers", NewGroupName="admins")
    assert client_error(taken) == (
        "EntityAlreadyExists",
        "Group with name admins already exists.",
        409,
    )
    erin = _user_client(
        world, iam, "erin", "iam:UpdateGroup", resource=f"arn:aws:iam::{ACCOUNT}:group/Managers"
    )
    with pytest.raises(ClientError) as denied:
        erin.update_group(GroupName="Managers", NewGroupName="MGRs")
    assert client_error(denied)[0] == "AccessDenied"
    assert iam.get_group(GroupName="Managers")["Group"]["GroupName"] == "Managers"
    with pytest.raises(ClientError) as missing:
        iam.update_group(GroupName="Nope", NewGroupName="X")
    assert client_error(missing)[0] == "NoSuchEntity"
