"""A world with several accounts: each its own IAM, S3, EC2 and events; AWS's cross-account
rules between them (simulator/account.py, services/sts.py, services/s3.py)."""

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from simulator import World

LEARNER = "111122223333"
VENDOR = "444455556666"
ROLE_ARN = f"arn:aws:iam::{LEARNER}:role/VendorAccess"
FIXTURES = Path(__file__).parent / "fixtures"


def _trust(**condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _world(trust: str | None = None) -> World:
    world = World.new()
    world.add_account(VENDOR, name="vendor")
    world.session().client("iam").create_role(
        RoleName="VendorAccess",
        AssumeRolePolicyDocument=trust or _trust(StringEquals={"sts:ExternalId": "Unique-123"}),
    )
    return world


def _denied_message(principal: str) -> str:
    return f"User: {principal} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}"


# --- the world and its JSON ---------------------------------------------------------------------


def test_a_new_world_saves_the_json_it_saved_before_worlds_had_several_accounts() -> None:
    saved = json.loads((FIXTURES / "world_new_seed0.json").read_text())

    assert World.new().to_dict() == saved
    assert World.from_dict(saved).to_dict() == saved


def test_an_added_account_has_its_own_id_admin_and_keys() -> None:
    world = World.new()
    vendor = world.add_account(VENDOR, name="vendor")

    identity = world.session(account="vendor").client("sts").get_caller_identity()

    assert identity["Arn"] == f"arn:aws:iam::{VENDOR}:user/admin"
    assert identity["Account"] == VENDOR
    assert vendor.admin_credentials() != world.admin_credentials()
    assert world.account(VENDOR) is vendor
    assert [account.account_id for account in world.accounts] == [LEARNER, VENDOR]


def test_a_call_runs_in_the_callers_account() -> None:
    world = World.new()
    vendor = world.add_account(VENDOR, name="vendor")

    world.session(account="vendor").client("iam").create_user(UserName="auditor")

    assert "auditor" in vendor.state.users
    assert "auditor" not in world.state.users
    assert [event["eventName"] for event in vendor.events] == ["CreateUser"]
    assert world.events == []


def test_an_account_id_is_twelve_digits_and_unique() -> None:
    world = World.new()
    world.add_account(VENDOR, name="vendor")

    with pytest.raises(ValueError, match="12 digits"):
        world.add_account("4444")
    with pytest.raises(ValueError, match="already has account"):
        world.add_account(VENDOR)
    with pytest.raises(ValueError, match="already has account"):
        world.add_account(LEARNER)


def test_a_world_of_two_accounts_survives_the_json_round_trip() -> None:
    world = _world()
    world.session(account="vendor").client("s3").create_bucket(Bucket="vendor-tools")
    saved = json.loads(json.dumps(world.to_dict()))

    loaded = World.from_dict(saved)

    assert loaded.to_dict() == saved
    vendor = loaded.account("vendor")
    assert vendor.account_id == VENDOR
    assert "vendor-tools" in vendor.state.buckets
    identity = loaded.session(account="vendor").client("sts").get_caller_identity()
    assert identity["Account"] == VENDOR


def test_an_added_accounts_seed_stays_storable_for_any_learners_seed() -> None:
    # A learner's world is seeded up to 2**32 and stored by orjson, which writes at most 64 bits.
    world = World.new(seed=2**32 - 1)
    vendor = world.add_account(VENDOR, name="vendor")
    other = world.add_account("777788889999")

    assert 0 <= vendor.state.seed < 2**63
    assert orjson.loads(orjson.dumps(world.to_dict())) == world.to_dict()
    assert len({world.state.seed, vendor.state.seed, other.state.seed}) == 3
    again = World.new(seed=2**32 - 1)
    assert again.add_account(VENDOR).admin_credentials() == vendor.admin_credentials()


def test_the_accounts_share_one_clock() -> None:
    world = World.new()
    vendor = world.add_account(VENDOR)

    world.advance(120)

    assert vendor.now == world.now


# --- AssumeRole across accounts ----------------------------------------------------------------


def test_a_vendor_assumes_a_role_in_the_learners_account_with_the_right_external_id() -> None:
    world = _world()
    sts = world.session(account="vendor").client("sts")

    answer = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit", ExternalId="Unique-123")

    assert answer["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{LEARNER}:assumed-role/VendorAccess/audit"
    )
    credentials = answer["Credentials"]
    session = world.session(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    assert session.client("sts").get_caller_identity()["Account"] == LEARNER


@pytest.mark.parametrize("external_id", [None, "Wrong-456"], ids=["missing", "wrong"])
def test_a_wrong_or_missing_external_id_is_access_denied_with_awss_message(
    external_id: str | None,
) -> None:
    world = _world()
    sts = world.session(account="vendor").client("sts")
    extra = {} if external_id is None else {"ExternalId": external_id}

    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit", **extra)

    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == _denied_message(f"arn:aws:iam::{VENDOR}:user/admin")


def test_the_vendors_identity_policy_must_allow_assume_role_even_when_the_trust_does() -> None:
    world = _world()
    vendor_iam = world.session(account="vendor").client("iam")
    vendor_iam.create_user(UserName="robot")
    vendor_iam.put_user_policy(
        UserName="robot",
        PolicyName="OnlyS3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    key = vendor_iam.create_access_key(UserName="robot")["AccessKey"]
    robot = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("sts")

    with pytest.raises(ClientError) as caught:
        robot.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit", ExternalId="Unique-123")

    assert caught.value.response["Error"]["Message"] == _denied_message(
        f"arn:aws:iam::{VENDOR}:user/robot"
    )
    decision = world.account("vendor").events[-1]["decision"]
    assert decision["reason"] == "no-identity-allow"
    trust = [r for r in decision["results"] if r["policyType"] == "resource-based policy"]
    assert trust[0]["outcome"] == "allows"


def test_a_trust_policy_naming_the_vendor_does_not_let_the_learners_own_admin_in() -> None:
    world = _world(_trust())

    with pytest.raises(ClientError) as caught:
        world.session().client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="me")

    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_a_cross_account_assume_role_is_logged_in_both_accounts() -> None:
    world = _world()
    sts = world.session(account="vendor").client("sts")
    sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit", ExternalId="Unique-123")

    vendor_event = world.account("vendor").events[-1]
    learner_event = world.events[-1]

    assert vendor_event["eventName"] == learner_event["eventName"] == "AssumeRole"
    assert vendor_event["recipientAccountId"] == VENDOR
    assert learner_event["recipientAccountId"] == LEARNER
    assert vendor_event["sharedEventID"] == learner_event["sharedEventID"]
    assert vendor_event["eventID"] != learner_event["eventID"]
    assert learner_event["userIdentity"]["accountId"] == VENDOR


def test_the_role_owners_record_of_a_cross_account_assume_role_names_only_the_callers_account() -> (
    None
):
    # CloudTrail User Guide, cloudtrail-event-reference-user-identity.html (type AWSAccount);
    # IAM User Guide, cloudtrail-integration.html#stscloudtrailexample (the role's account's copy).
    world = _world()
    sts = world.session(account="vendor").client("sts")
    sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit", ExternalId="Unique-123")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="audit")

    vendor_admin = world.account("vendor").state.users["admin"]
    for index in (-2, -1):  # allowed, then denied
        assert world.events[index]["userIdentity"] == {
            "type": "AWSAccount",
            "principalId": vendor_admin.user_id,
            "accountId": VENDOR,
        }
        caller_copy = world.account("vendor").events[index]["userIdentity"]
        assert caller_copy["type"] == "IAMUser"
        assert caller_copy["arn"] == f"arn:aws:iam::{VENDOR}:user/admin"


def test_a_role_in_an_account_the_world_does_not_hold_is_access_denied() -> None:
    world = World.new()
    sts = world.session().client("sts")
    role = "arn:aws:iam::999988887777:role/Elsewhere"

    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=role, RoleSessionName="me")

    assert caught.value.response["Error"]["Message"].endswith(f"on resource: {role}")


# --- S3 across accounts ------------------------------------------------------------------------


def _bucket_world(policy: dict[str, Any] | None = None) -> World:
    world = World.new()
    world.add_account(VENDOR, name="vendor")
    s3 = world.session().client("s3")
    s3.create_bucket(Bucket="shared-reports")
    s3.put_object(Bucket="shared-reports", Key="q1.csv", Body=b"region,total\n")
    if policy is not None:
        s3.put_bucket_policy(Bucket="shared-reports", Policy=json.dumps(policy))
    return world


def _read_grant(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared-reports/*",
            }
        ],
    }


def test_a_bucket_policy_naming_the_other_account_lets_it_get_an_object() -> None:
    world = _bucket_world(_read_grant(f"arn:aws:iam::{VENDOR}:root"))
    vendor_s3 = world.session(account="vendor").client("s3")

    body = vendor_s3.get_object(Bucket="shared-reports", Key="q1.csv")["Body"].read()

    assert body == b"region,total\n"


def test_without_a_bucket_policy_another_account_gets_plain_access_denied() -> None:
    world = _bucket_world()
    vendor_s3 = world.session(account="vendor").client("s3")

    with pytest.raises(ClientError) as caught:
        vendor_s3.get_object(Bucket="shared-reports", Key="q1.csv")

    assert caught.value.response["Error"] == {"Code": "AccessDenied", "Message": "Access Denied"}


def test_a_bucket_policy_grant_needs_the_callers_identity_policy_too() -> None:
    world = _bucket_world(_read_grant(f"arn:aws:iam::{VENDOR}:user/intern"))
    vendor_iam = world.session(account="vendor").client("iam")
    vendor_iam.create_user(UserName="intern")
    key = vendor_iam.create_access_key(UserName="intern")["AccessKey"]
    intern = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("s3")

    with pytest.raises(ClientError) as caught:
        intern.get_object(Bucket="shared-reports", Key="q1.csv")

    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_bucket_names_are_unique_across_the_worlds_accounts() -> None:
    world = _bucket_world()
    vendor_s3 = world.session(account="vendor").client("s3")

    with pytest.raises(ClientError) as caught:
        vendor_s3.create_bucket(Bucket="shared-reports")

    assert caught.value.response["Error"]["Code"] == "BucketAlreadyExists"
    assert vendor_s3.list_buckets()["Buckets"] == []


def test_only_the_bucket_owners_account_may_read_its_policy() -> None:
    grant = _read_grant(f"arn:aws:iam::{VENDOR}:root")
    grant["Statement"].append(
        {
            **grant["Statement"][0],
            "Action": "s3:GetBucketPolicy",
            "Resource": "arn:aws:s3:::shared-reports",
        }
    )
    world = _bucket_world(grant)
    vendor_s3 = world.session(account="vendor").client("s3")

    with pytest.raises(ClientError) as caught:
        vendor_s3.get_bucket_policy(Bucket="shared-reports")

    assert caught.value.response["Error"]["Code"] == "MethodNotAllowed"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
