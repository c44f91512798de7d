"""The simulated IAM, driven through boto3 as a real user's code would drive it.

Error codes, HTTP statuses and message texts are compared word for word with what AWS returns
(../shared/iam-facts.md and the sources named in simulator/services/iam.py).
"""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import EC2_TRUST, allow, client_error, trust_policy

ACCOUNT = "111122223333"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
SSM_SLR = "AWSServiceRoleForAmazonSSM"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


@pytest.fixture
def iam(world: World) -> Any:
    return world.session().client("iam")


def _user_session(world: World, iam: Any, name: str, *actions: str) -> Any:
    """A new user with an inline policy allowing `actions` (if any), as an IAM client."""
    iam.create_user(UserName=name)
    if actions:
        iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=allow(*actions))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("iam")


# --- The account as it starts -----------------------------------------------------------------


def test_new_account_has_an_admin_user_with_administrator_access_and_one_key(world, iam):
    user = iam.get_user()["User"]
    assert user["UserName"] == "admin"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert user["UserId"].startswith("AIDA")
    attached = iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ACCESS}]
    keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert len(keys) == 1
    assert keys[0]["Status"] == "Active"
    assert keys[0]["AccessKeyId"].startswith("AKIA")
    assert len(keys[0]["AccessKeyId"]) == 20
    assert world.events[-1]["eventName"] == "ListAccessKeys"


def test_same_seed_gives_the_same_ids_and_keys():
    first, second = World.new(seed=3), World.new(seed=3)
    assert first.admin_credentials() == second.admin_credentials()
    assert len(first.admin_credentials().secret_access_key) == 40
    roles = [
        w.session().client("iam").create_role(RoleName="R", AssumeRolePolicyDocument=EC2_TRUST)
        for w in (first, second)
    ]
    assert roles[0]["Role"]["RoleId"] == roles[1]["Role"]["RoleId"]


# --- Users and access keys -------------------------------------------------------------------------


def test_access_key_lifecycle_two_keys_at_most_and_the_secret_shown_once(world, iam):
    iam.create_user(UserName="alice")
    first = iam.create_access_key(UserName="alice")["AccessKey"]
    assert len(first["SecretAccessKey"]) == 40
    iam.create_access_key(UserName="alice")
    with pytest.raises(ClientError) as third:
        iam.create_access_key(UserName="alice")
    assert client_error(third) == (
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
        409,
    )

    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert len(listed) == 2
    assert all("SecretAccessKey" not in key for key in listed)
    assert all("SecretAccessKey" not in json.dumps(event, default=str) for event in world.events)

    with pytest.raises(ClientError) as in_use:
        iam.delete_user(UserName="alice")
    assert client_error(in_use) == (
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
        409,
    )
    for key in listed:
        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as gone:
        iam.get_user(UserName="alice")
    assert client_error(gone) == ("NoSuchEntity", "The user with name alice cannot be found.", 404)


def test_inactive_key_is_refused_on_the_next_call_and_works_again_when_reactivated(world, iam):
    alice = _user_session(world, iam, "alice", "iam:GetUser")
    (key,) = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    key_id = key["AccessKeyId"]
    assert alice.get_user()["User"]["UserName"] == "alice"
    iam.update_access_key(UserName="alice", AccessKeyId=key_id, Status="Inactive")
    with pytest.raises(ClientError) as refused:
        alice.get_user()
    assert client_error(refused) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    iam.update_access_key(UserName="alice", AccessKeyId=key_id, Status="Active")
    assert alice.get_user()["User"]["UserName"] == "alice"


def test_get_access_key_last_used_says_na_until_the_key_is_used(world, iam):
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never["UserName"] == "bob"
    assert never["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    world.advance(3600)
    world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("sts").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts"
    assert used["Region"] == "us-east-1"
    assert used["LastUsedDate"] == world.now


def test_a_user_without_permissions_gets_iams_access_denied_text(world, iam):
    bob = _user_session(world, iam, "bob")
    with pytest.raises(ClientError) as denied:
        bob.get_user(UserName="bob")
    assert client_error(denied) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:GetUser on "
        "resource: user bob because no identity-based policy allows the iam:GetUser action",
        403,
    )
    assert world.events[-1]["errorCode"] == "AccessDenied"
    assert world.events[-1]["decision"]["action"] == "iam:GetUser"


def test_access_denied_comes_before_no_such_entity(world, iam):
    bob = _user_session(world, iam, "bob")
    with pytest.raises(ClientError) as denied:
        bob.get_role(RoleName="Missing")
    assert client_error(denied)[0] == "AccessDenied"
    assert "on resource: role Missing because" in client_error(denied)[1]
    with pytest.raises(ClientError) as missing:
        iam.get_role(RoleName="Missing")
    assert client_error(missing) == (
        "NoSuchEntity",
        "The role with name Missing cannot be found.",
        404,
    )


def test_list_actions_are_authorized_on_the_accounts_path_arns(world, iam):
    bob = _user_session(world, iam, "bob")
    with pytest.raises(ClientError) as roles:
        bob.list_roles()
    assert client_error(roles)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:ListRoles on "
        f"resource: arn:aws:iam::{ACCOUNT}:role/ because no identity-based policy allows the "
        "iam:ListRoles action"
    )
    with pytest.raises(ClientError) as policies:
        bob.list_policies()
    assert client_error(policies)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:ListPolicies on "
        "resource: policy path / because no identity-based policy allows the iam:ListPolicies action"
    )


def test_get_user_without_a_name_is_the_callers_own_user(world, iam):
    alice = _user_session(world, iam, "alice", "iam:GetUser")
    assert alice.get_user()["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_names_are_unique_whatever_their_case_and_follow_aws_patterns(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    with pytest.raises(ClientError) as taken:
        iam.create_role(RoleName="approle", AssumeRolePolicyDocument=EC2_TRUST)
    assert client_error(taken) == (
        "EntityAlreadyExists",
        "Role with name approle already exists.",
        409,
    )
    assert iam.get_role(RoleName="APPROLE")["Role"]["RoleName"] == "AppRole"
    with pytest.raises(ClientError) as bad:
        iam.create_user(UserName="no spaces")
    assert client_error(bad) == (
        "ValidationError",
        "1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
        400,
    )
    with pytest.raises(ClientError) as long_name:
        iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=EC2_TRUST)
    assert client_error(long_name)[0] == "ValidationError"
    assert client_error(long_name)[1].endswith("Member must have length less than or equal to 64")


# --- Groups ------------------------------------------------------------------------------------


def test_group_policies_reach_their_members_and_a_group_with_members_cannot_be_deleted(world, iam):
    carol = _user_session(world, iam, "carol")
    iam.create_group(GroupName="Readers", Path="/team/")
    iam.put_group_policy(
        GroupName="Readers", PolicyName="read", PolicyDocument=allow("iam:ListRoles")
    )
    with pytest.raises(ClientError):
        carol.list_roles()
    iam.add_user_to_group(GroupName="Readers", UserName="carol")
    assert carol.list_roles()["Roles"] == []
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="carol")["Groups"]] == [
        "Readers"
    ]
    group = iam.get_group(GroupName="Readers")
    assert group["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/team/Readers"
    assert [u["UserName"] for u in group["Users"]] == ["carol"]
    with pytest.raises(ClientError) as members:
        iam.delete_group(GroupName="Readers")
    assert client_error(members) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
        409,
    )
    iam.remove_user_from_group(GroupName="Readers", UserName="carol")
    iam.delete_group_policy(GroupName="Readers", PolicyName="read")
    iam.delete_group(GroupName="Readers")
    assert iam.list_groups()["Groups"] == []


# --- Inline and managed policies ----------------------------------------------------------------


def test_inline_policy_comes_back_as_a_document(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    text = allow("s3:GetObject", resource="arn:aws:s3:::bucket/*")
    iam.put_role_policy(RoleName="AppRole", PolicyName="read", PolicyDocument=text)
    got = iam.get_role_policy(RoleName="AppRole", PolicyName="read")
    assert got["PolicyDocument"] == json.loads(text)  # AWS URL-encodes it; botocore decodes it
    assert iam.list_role_policies(RoleName="AppRole")["PolicyNames"] == ["read"]
    assert iam.get_role(RoleName="AppRole")["Role"]["AssumeRolePolicyDocument"] == json.loads(
        EC2_TRUST
    )
    iam.delete_role_policy(RoleName="AppRole", PolicyName="read")
    with pytest.raises(ClientError) as gone:
        iam.get_role_policy(RoleName="AppRole", PolicyName="read")
    assert client_error(gone) == (
        "NoSuchEntity",
        "The role policy with name read cannot be found.",
        404,
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"Version": "2012-10-17", "Statement": [', "Syntax errors in policy."),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                    ],
                }
            ),
            "Policy document should not specify a principal.",
        ),
        (
            allow("s3:GetObject", resource="mybucket"),
            'Resource mybucket must be in ARN format or "*".',
        ),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}
            ),
            "Policy statement must contain actions.",
        ),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
            ),
            "Policy statement must contain resources.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
            "The policy failed legacy parsing",  # Effect spelled exactly: validation.py
        ),
    ],
    ids=["bad-json", "principal", "resource-not-arn", "no-action", "no-resource", "effect-case"],
)
def test_malformed_identity_policies_are_refused_with_iams_text(iam, document, message):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as refused:
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=document)
    assert client_error(refused) == ("MalformedPolicyDocument", message, 400)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []


def test_a_managed_policy_needs_version_2012_10_17(iam):
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    with pytest.raises(ClientError) as refused:
        iam.create_policy(PolicyName="NoVersion", PolicyDocument=document)
    assert client_error(refused) == (
        "MalformedPolicyDocument",
        "Policy document must be version 2012-10-17 or greater.",
        400,
    )


def test_policy_sizes_are_limited_as_aws_limits_them(iam):
    many = [f"arn:aws:s3:::bucket-number-{n:04d}/*" for n in range(190)]  # 6,934 characters
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": many}],
        }
    )
    with pytest.raises(ClientError) as managed:
        iam.create_policy(PolicyName="Big", PolicyDocument=big)
    assert client_error(managed) == (
        "LimitExceeded",
        "Cannot exceed quota for PolicySize: 6144",
        409,
    )
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    iam.put_role_policy(RoleName="AppRole", PolicyName="one", PolicyDocument=big)
    with pytest.raises(ClientError) as inline:
        iam.put_role_policy(RoleName="AppRole", PolicyName="two", PolicyDocument=big)
    assert client_error(inline) == (
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role AppRole",
        409,
    )
    # White space does not count: the same policy pretty-printed still fits once.
    iam.put_role_policy(
        RoleName="AppRole", PolicyName="one", PolicyDocument=json.dumps(json.loads(big), indent=8)
    )


def test_policy_versions_five_at_most_and_the_default_cannot_be_deleted(iam):
    arn = iam.create_policy(PolicyName="AppPolicy", PolicyDocument=allow("s3:GetObject"))["Policy"][
        "Arn"
    ]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/AppPolicy"
    for number in range(2, 6):
        version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("s3:PutObject"))
        assert version["PolicyVersion"]["VersionId"] == f"v{number}"
        assert version["PolicyVersion"]["IsDefaultVersion"] is False
    with pytest.raises(ClientError) as sixth:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("s3:PutObject"))
    assert client_error(sixth) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.",
        409,
    )
    with pytest.raises(ClientError) as default:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert client_error(default) == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )

    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    sixth_try = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=allow("s3:*"), SetAsDefault=True
    )
    assert sixth_try["PolicyVersion"]["VersionId"] == "v6", "version ids are never reused"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v6", "v5", "v4", "v3", "v1"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v6"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"][
        "Document"
    ] == json.loads(allow("s3:GetObject"))
    with pytest.raises(ClientError) as many:
        iam.delete_policy(PolicyArn=arn)
    assert client_error(many)[0] == "DeleteConflict"
    assert client_error(many)[1].startswith("This policy has more than one version.")


def test_set_default_policy_version_rolls_back_what_the_engine_allows(world, iam):
    arn = iam.create_policy(
        PolicyName="Ops", PolicyDocument=allow("iam:ListRoles", "iam:ListUsers")
    )["Policy"]["Arn"]
    dana = _user_session(world, iam, "dana")
    iam.attach_user_policy(UserName="dana", PolicyArn=arn)
    dana.list_roles()
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=allow("iam:ListUsers"), SetAsDefault=True
    )
    with pytest.raises(ClientError) as denied:
        dana.list_roles()
    assert client_error(denied)[0] == "AccessDenied"
    dana.list_users()
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert dana.list_roles()["Roles"] == []


def test_attached_policies_block_deletion_and_are_limited_to_ten_per_role(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    arns = [
        iam.create_policy(PolicyName=f"P{n}", PolicyDocument=allow("s3:GetObject"))["Policy"]["Arn"]
        for n in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName="AppRole", PolicyArn=arn)
    with pytest.raises(ClientError) as eleventh:
        iam.attach_role_policy(RoleName="AppRole", PolicyArn=arns[10])
    assert client_error(eleventh) == (
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerRole: 10",
        409,
    )
    assert iam.get_policy(PolicyArn=arns[0])["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arns[0])
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["AppRole"]
    with pytest.raises(ClientError) as attached:
        iam.delete_policy(PolicyArn=arns[0])
    assert client_error(attached) == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
        409,
    )
    with pytest.raises(ClientError) as role_in_use:
        iam.delete_role(RoleName="AppRole")
    assert client_error(role_in_use) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_role_policy(RoleName="AppRole", PolicyArn=arns[0])
    with pytest.raises(ClientError) as not_attached:
        iam.detach_role_policy(RoleName="AppRole", PolicyArn=arns[0])
    assert client_error(not_attached) == ("NoSuchEntity", f"Policy {arns[0]} was not found.", 404)
    iam.delete_policy(PolicyArn=arns[0])


def test_missing_policy_is_not_attachable(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/Nope"
    with pytest.raises(ClientError) as missing:
        iam.attach_role_policy(RoleName="AppRole", PolicyArn=arn)
    assert client_error(missing) == (
        "NoSuchEntity",
        f"Policy {arn} does not exist or is not attachable.",
        404,
    )


def test_aws_managed_policies_are_listed_with_their_real_documents(iam):
    pages = iam.get_paginator("list_policies").paginate(Scope="AWS")
    listed = [policy for page in pages for policy in page["Policies"]]
    names = {policy["PolicyName"] for policy in listed}
    assert {
        "AdministratorAccess",
        "AmazonS3FullAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonSSMManagedInstanceCore",
        "AmazonSSMServiceRolePolicy",
        "CloudTrailServiceRolePolicy",
        "CloudWatchEventsServiceRolePolicy",
        "IAMReadOnlyAccess",
        "PowerUserAccess",
        "AmazonEC2ReadOnlyAccess",
    } <= names
    core = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")[
        "Policy"
    ]
    assert core["DefaultVersionId"] == "v2"
    document = iam.get_policy_version(PolicyArn=core["Arn"], VersionId="v2")["PolicyVersion"][
        "Document"
    ]
    assert "ssm:UpdateInstanceInformation" in document["Statement"][0]["Action"]
    assert iam.list_policies(Scope="Local")["Policies"] == []
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert [policy["PolicyName"] for policy in attached] == ["AdministratorAccess"]


def test_aws_managed_policies_cannot_be_changed_even_by_the_admin(world, iam):
    with pytest.raises(ClientError) as new_version:
        iam.create_policy_version(PolicyArn=ADMIN_ACCESS, PolicyDocument=allow("s3:GetObject"))
    assert client_error(new_version)[0] == "AccessDenied"
    assert client_error(new_version)[1].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: iam:CreatePolicyVersion"
    )
    assert world.events[-1]["decision"]["reason"] == "aws-owned"
    with pytest.raises(ClientError) as deleted:
        iam.delete_policy(PolicyArn=ADMIN_ACCESS)
    assert client_error(deleted)[0] == "AccessDenied"
    assert iam.get_policy(PolicyArn=ADMIN_ACCESS)["Policy"]["DefaultVersionId"] == "v1"


def test_a_service_linked_role_policy_cannot_be_attached_to_your_roles(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    with pytest.raises(ClientError) as refused:
        iam.attach_role_policy(
            RoleName="AppRole",
            PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy",
        )
    assert client_error(refused) == (
        "PolicyNotAttachable",
        "Cannot attach a Service Role Policy to a Customer Role.",
        400,
    )


# --- Roles and trust policies ----------------------------------------------------------------------


def test_trust_policies_are_validated_as_aws_validates_them(iam):
    def refused(document: str) -> tuple[str, str, int]:
        with pytest.raises(ClientError) as raised:
            iam.create_role(RoleName="Broken", AssumeRolePolicyDocument=document)
        return client_error(raised)

    assert refused("{not json") == (
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
        400,
    )
    missing = f"arn:aws:iam::{ACCOUNT}:role/NoSuchRole"
    trust = trust_policy({"AWS": missing})
    assert refused(trust) == (
        "MalformedPolicyDocument",
        f'Invalid principal in policy: "AWS":"{missing}"',
        400,
    )
    with_resource = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                }
            ],
        }
    )
    assert refused(with_resource) == (
        "MalformedPolicyDocument",
        "Has prohibited field Resource",
        400,
    )
    wrong_action = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "s3:GetObject",
                }
            ],
        }
    )
    assert refused(wrong_action) == (
        "MalformedPolicyDocument",
        "AssumeRole policy may only specify STS AssumeRole actions.",
        400,
    )

    iam.create_role(RoleName="Target", AssumeRolePolicyDocument=EC2_TRUST)
    existing = trust.replace("NoSuchRole", "Target")
    iam.update_assume_role_policy(RoleName="Target", PolicyDocument=existing)
    assert iam.get_role(RoleName="Target")["Role"]["AssumeRolePolicyDocument"] == json.loads(
        existing
    )


def test_update_role_changes_description_and_session_duration_within_limits(iam):
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST, Path="/app/")
    iam.update_role(RoleName="AppRole", Description="Reads reports", MaxSessionDuration=7200)
    role = iam.get_role(RoleName="AppRole")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("Reads reports", 7200)
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/AppRole"
    assert role["RoleLastUsed"] == {}
    with pytest.raises(ClientError) as too_long:
        iam.update_role(RoleName="AppRole", MaxSessionDuration=50000)
    assert client_error(too_long)[0] == "ValidationError"
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/app/")["Roles"]] == ["AppRole"]
    assert iam.list_roles(PathPrefix="/other/")["Roles"] == []


def test_permissions_boundary_caps_a_users_permissions(world, iam):
    erin = _user_session(world, iam, "erin", "iam:ListRoles", "iam:ListUsers")
    boundary = iam.create_policy(PolicyName="OnlyUsers", PolicyDocument=allow("iam:ListUsers"))[
        "Policy"
    ]["Arn"]
    iam.put_user_permissions_boundary(UserName="erin", PermissionsBoundary=boundary)
    assert (
        iam.get_user(UserName="erin")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == boundary
    )
    erin.list_users()
    with pytest.raises(ClientError) as capped:
        erin.list_roles()
    assert (
        "because no permissions boundary allows the iam:ListRoles action" in client_error(capped)[1]
    )
    iam.delete_user_permissions_boundary(UserName="erin")
    erin.list_roles()


# --- Instance profiles -------------------------------------------------------------------------------


def test_an_instance_profile_holds_one_role(iam):
    for name in ("FirstRole", "SecondRole"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    profile = iam.create_instance_profile(InstanceProfileName="Web")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/Web"
    assert profile["InstanceProfileId"].startswith("AIPA")
    iam.add_role_to_instance_profile(InstanceProfileName="Web", RoleName="FirstRole")
    with pytest.raises(ClientError) as second:
        iam.add_role_to_instance_profile(InstanceProfileName="Web", RoleName="SecondRole")
    assert client_error(second) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        409,
    )
    roles = iam.get_instance_profile(InstanceProfileName="Web")["InstanceProfile"]["Roles"]
    assert [role["RoleName"] for role in roles] == ["FirstRole"]
    assert roles[0]["AssumeRolePolicyDocument"] == json.loads(EC2_TRUST)
    listed = iam.list_instance_profiles_for_role(RoleName="FirstRole")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["Web"]

    with pytest.raises(ClientError) as role_in_profile:
        iam.delete_role(RoleName="FirstRole")
    assert client_error(role_in_profile) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
        409,
    )
    with pytest.raises(ClientError) as profile_with_role:
        iam.delete_instance_profile(InstanceProfileName="Web")
    assert client_error(profile_with_role)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName="Web", RoleName="FirstRole")
    iam.add_role_to_instance_profile(InstanceProfileName="Web", RoleName="SecondRole")
    iam.delete_role(RoleName="FirstRole")
    with pytest.raises(ClientError) as missing:
        iam.get_instance_profile(InstanceProfileName="Nope")
    assert client_error(missing) == ("NoSuchEntity", "Instance Profile Nope cannot be found.", 404)


# --- Service-linked roles ---------------------------------------------------------------------------


def test_service_linked_role_comes_with_its_fixed_policy_and_trusts_only_its_service(iam):
    role = iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")["Role"]
    assert role["RoleName"] == SSM_SLR
    assert role["Path"] == "/aws-service-role/ssm.amazonaws.com/"
    assert (
        role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ssm.amazonaws.com/{SSM_SLR}"
    )
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    attached = iam.list_attached_role_policies(RoleName=SSM_SLR)["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AmazonSSMServiceRolePolicy",
            "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy",
        }
    ]
    with pytest.raises(ClientError) as again:
        iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")
    assert client_error(again) == (
        "InvalidInput",
        f"Service role name {SSM_SLR} has been taken in this account, please try a different suffix.",
        400,
    )
    events = iam.create_service_linked_role(AWSServiceName="events.amazonaws.com")["Role"]
    assert events["RoleName"] == "AWSServiceRoleForCloudWatchEvents"
    assert iam.list_attached_role_policies(RoleName=events["RoleName"])["AttachedPolicies"][0][
        "PolicyArn"
    ] == ("arn:aws:iam::aws:policy/aws-service-role/CloudWatchEventsServiceRolePolicy")
    with pytest.raises(ClientError) as unknown:
        iam.create_service_linked_role(AWSServiceName="example.amazonaws.com")
    assert client_error(unknown)[0] == "InvalidInput"


def test_service_linked_role_refuses_every_change_but_its_description(iam):
    iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")
    protected = (
        "Cannot perform the operation on the protected role 'AWSServiceRoleForAmazonSSM' - this role "
        "is only modifiable by AWS"
    )
    changes = [
        lambda: iam.put_role_policy(
            RoleName=SSM_SLR, PolicyName="extra", PolicyDocument=allow("s3:*")
        ),
        lambda: iam.delete_role_policy(RoleName=SSM_SLR, PolicyName="extra"),
        lambda: iam.attach_role_policy(RoleName=SSM_SLR, PolicyArn=ADMIN_ACCESS),
        lambda: iam.detach_role_policy(
            RoleName=SSM_SLR,
            PolicyArn="arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy",
        ),
        lambda: iam.update_assume_role_policy(RoleName=SSM_SLR, PolicyDocument=EC2_TRUST),
        lambda: iam.delete_role(RoleName=SSM_SLR),
        lambda: iam.put_role_permissions_boundary(
            RoleName=SSM_SLR, PermissionsBoundary=ADMIN_ACCESS
        ),
        lambda: iam.delete_role_permissions_boundary(RoleName=SSM_SLR),
        lambda: iam.update_role(RoleName=SSM_SLR, MaxSessionDuration=7200),
    ]
    for change in changes:
        with pytest.raises(ClientError) as refused:
            change()
        assert client_error(refused) == ("UnmodifiableEntity", protected, 400)
    iam.update_role(RoleName=SSM_SLR, Description="Used by Inventory")
    assert iam.get_role(RoleName=SSM_SLR)["Role"]["Description"] == "Used by Inventory"


def test_service_linked_role_deletion_fails_while_in_use_and_succeeds_once_unused(world, iam):
    iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")
    usage = f"arn:aws:ssm:us-east-1:{ACCOUNT}:maintenancewindow/mw-0123456789abcdef0"
    world.state.roles[SSM_SLR].used_by.append(usage)

    task = iam.delete_service_linked_role(RoleName=SSM_SLR)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/ssm.amazonaws.com/{SSM_SLR}/")
    assert (
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "NOT_STARTED"
    )
    world.advance(5)
    assert (
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "IN_PROGRESS"
    )
    world.advance(60)
    failed = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert failed["Status"] == "FAILED"
    assert failed["Reason"]["RoleUsageList"] == [{"Region": "us-east-1", "Resources": [usage]}]
    assert iam.get_role(RoleName=SSM_SLR)["Role"]["RoleName"] == SSM_SLR

    world.state.roles[SSM_SLR].used_by.clear()
    second = iam.delete_service_linked_role(RoleName=SSM_SLR)["DeletionTaskId"]
    assert second != task
    world.advance(60)
    assert (
        iam.get_service_linked_role_deletion_status(DeletionTaskId=second)["Status"] == "SUCCEEDED"
    )
    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName=SSM_SLR)
    assert client_error(gone)[0] == "NoSuchEntity"


def test_creating_a_service_linked_role_needs_permission_for_that_service(world, iam):
    frank = _user_session(world, iam, "frank")
    iam.put_user_policy(
        UserName="frank",
        PolicyName="slr",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:CreateServiceLinkedRole",
                        "Resource": "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/*",
                        "Condition": {"StringEquals": {"iam:AWSServiceName": "ssm.amazonaws.com"}},
                    }
                ],
            }
        ),
    )
    frank.create_service_linked_role(AWSServiceName="ssm.amazonaws.com")
    with pytest.raises(ClientError) as other:
        frank.create_service_linked_role(AWSServiceName="cloudtrail.amazonaws.com")
    assert client_error(other)[0] == "AccessDenied"


# --- Persistence ---------------------------------------------------------------------------------------


def test_json_round_trip_preserves_the_whole_iam_state(world, iam):
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "ops"}])
    iam.create_access_key(UserName="alice")
    iam.create_group(GroupName="Ops")
    iam.add_user_to_group(GroupName="Ops", UserName="alice")
    arn = iam.create_policy(
        PolicyName="P", PolicyDocument=allow("s3:GetObject"), Tags=[{"Key": "k", "Value": "v"}]
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=allow("s3:PutObject"), SetAsDefault=True
    )
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST, PermissionsBoundary=arn)
    iam.attach_role_policy(RoleName="AppRole", PolicyArn=arn)
    iam.put_role_policy(
        RoleName="AppRole", PolicyName="inline", PolicyDocument=allow("s3:ListBucket")
    )
    iam.create_instance_profile(InstanceProfileName="AppRole", Tags=[{"Key": "a", "Value": "b"}])
    iam.add_role_to_instance_profile(InstanceProfileName="AppRole", RoleName="AppRole")
    iam.create_service_linked_role(AWSServiceName="cloudtrail.amazonaws.com")
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForCloudTrail")["DeletionTaskId"]

    data = world.to_dict()
    copy = World.from_dict(json.loads(json.dumps(data)))
    assert copy.to_dict() == data
    again = copy.session().client("iam")
    assert again.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "k", "Value": "v"}]
    assert (
        again.get_role(RoleName="AppRole")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == arn
    )
    assert again.get_instance_profile(InstanceProfileName="AppRole")["InstanceProfile"]["Tags"] == [
        {"Key": "a", "Value": "b"}
    ]
    copy.advance(60)
    assert (
        again.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    )
    assert (
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "NOT_STARTED"
    )
