"""The instance metadata service, as software on an instance reaches it (iam-facts.md §3)."""

import json
import re
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from simulator import AwsError, World
from tests.factories import EC2_TRUST, admin_client, allow, launch, trust_policy

ACCOUNT = "111122223333"
TOKEN_PATH = "/latest/api/token"
CREDENTIALS = "/latest/meta-data/iam/security-credentials/"


def _profile(
    world: World, role: str = "AppRole", profile: str = "AppProfile", trust: str = EC2_TRUST
) -> None:
    """A role in an instance profile with a different name: IMDS keys credentials by ROLE."""
    iam = admin_client(world, "iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName=role,
        PolicyName="read",
        PolicyDocument=allow("s3:ListAllMyBuckets"),
    )
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)


def _token(world: World, instance_id: str, ttl: int = 21600) -> str:
    status, _, token = world.imds(
        instance_id, "PUT", TOKEN_PATH, {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)}
    )
    assert status == 200
    return token


def _get(world: World, instance_id: str, path: str, token: str | None = None) -> tuple[int, str]:
    headers = {"X-aws-ec2-metadata-token": token} if token is not None else {}
    status, _, body = world.imds(instance_id, "GET", path, headers)
    return status, body


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


# --- IMDSv2 tokens ------------------------------------------------------------------------------


def test_imdsv2_required_answers_401_without_a_token_and_200_with_one(world):
    (instance_id,) = launch(world, MetadataOptions={"HttpTokens": "required"})
    status, body = _get(world, instance_id, "/latest/meta-data/instance-id")
    assert status == 401
    assert "<title>401 - Unauthorized</title>" in body
    token = _token(world, instance_id)
    assert re.fullmatch(r"AQAEA[A-Za-z0-9_-]{51}", token)
    assert _get(world, instance_id, "/latest/meta-data/instance-id", token) == (200, instance_id)


def test_imdsv1_works_while_tokens_are_optional(world):
    (instance_id,) = launch(world)
    assert _get(world, instance_id, "/latest/meta-data/instance-id") == (200, instance_id)
    admin_client(world, "ec2").modify_instance_metadata_options(
        InstanceId=instance_id, HttpTokens="required"
    )
    assert _get(world, instance_id, "/latest/meta-data/instance-id")[0] == 401


def test_a_token_is_valid_only_on_the_instance_that_issued_it(world):
    first, second = launch(world, 2)
    token = _token(world, first)
    assert _get(world, second, "/latest/meta-data/instance-id", token)[0] == 401
    assert _get(world, first, "/latest/meta-data/instance-id", token)[0] == 200


def test_a_token_expires_after_its_ttl(world):
    (instance_id,) = launch(world)
    token = _token(world, instance_id, ttl=60)
    world.advance(61)
    # A token that is not valid is refused even while tokens are optional.
    assert _get(world, instance_id, "/latest/meta-data/instance-id", token)[0] == 401


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),
        ({"X-aws-ec2-metadata-token-ttl-seconds": "0"}, 400),
        ({"X-aws-ec2-metadata-token-ttl-seconds": "21601"}, 400),
        ({"X-aws-ec2-metadata-token-ttl-seconds": "ten"}, 400),
        ({"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.9"}, 403),
    ],
    ids=["no-ttl", "zero", "too-long", "not-a-number", "forwarded"],
)
def test_bad_token_requests_are_refused(world, headers, status):
    (instance_id,) = launch(world)
    assert world.imds(instance_id, "PUT", TOKEN_PATH, headers)[0] == status


def test_a_disabled_endpoint_answers_403(world):
    (instance_id,) = launch(world, MetadataOptions={"HttpEndpoint": "disabled"})
    assert _get(world, instance_id, "/latest/meta-data/instance-id")[0] == 403
    assert (
        world.imds(instance_id, "PUT", TOKEN_PATH, {"X-aws-ec2-metadata-token-ttl-seconds": "60"})[
            0
        ]
        == 403
    )


# --- metadata ------------------------------------------------------------------------------


def test_metadata_describes_the_instance(world):
    (instance_id,) = launch(world)
    instance = world.state.instances[instance_id]
    status, listing = _get(world, instance_id, "/latest/meta-data/")
    assert status == 200
    assert {"instance-id", "local-ipv4", "ami-id"} <= set(listing.split("\n"))
    assert "iam/" not in listing.split("\n"), "no profile, no iam subtree"
    assert _get(world, instance_id, "/latest/meta-data/local-ipv4") == (200, instance.private_ip)
    assert _get(world, instance_id, "/latest/meta-data/public-ipv4") == (200, instance.public_ip)
    assert _get(world, instance_id, "/latest/meta-data/iam/info")[0] == 404
    assert _get(world, instance_id, "/latest/meta-data/no-such-thing")[0] == 404
    document = json.loads(_get(world, instance_id, "/latest/dynamic/instance-identity/document")[1])
    assert (document["accountId"], document["instanceId"]) == (ACCOUNT, instance_id)


# --- the role's credentials --------------------------------------------------------------------


def test_credentials_are_listed_by_role_name_and_shaped_as_aws_serves_them(world):
    _profile(world, role="AppRole", profile="AppProfile")
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    token = _token(world, instance_id)
    assert _get(world, instance_id, CREDENTIALS, token) == (200, "AppRole")
    status, body = _get(world, instance_id, CREDENTIALS + "AppRole", token)
    assert status == 200
    assert body.startswith('{\n  "Code" : "Success",\n  "LastUpdated" : "')
    document = json.loads(body)
    assert list(document) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey",
                              "Token", "Expiration"]  # fmt: skip
    assert document["Type"] == "AWS-HMAC"
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", document["AccessKeyId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["Expiration"])
    assert _time(document["Expiration"]) - _time(document["LastUpdated"]) == timedelta(hours=6)
    assert _get(world, instance_id, CREDENTIALS + "AppProfile", token)[0] == 404

    info = json.loads(_get(world, instance_id, "/latest/meta-data/iam/info", token)[1])
    assert info["Code"] == "Success"
    assert info["InstanceProfileArn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/AppProfile"
    assert info["InstanceProfileId"].startswith("AIPA")
    assert info["LastUpdated"] == document["LastUpdated"]

    session = world.session(document["AccessKeyId"], document["SecretAccessKey"], document["Token"])
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{instance_id}"


def test_ec2_assuming_the_role_is_recorded_as_cloudtrail_records_it(world):
    _profile(world)
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    document = json.loads(_get(world, instance_id, CREDENTIALS + "AppRole")[1])
    _get(world, instance_id, CREDENTIALS + "AppRole")  # served again: no second AssumeRole
    assumed = [e for e in world.events if e["eventName"] == "AssumeRole"]
    assert len(assumed) == 1
    (event,) = assumed
    assert event["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert event["sourceIPAddress"] == "ec2.amazonaws.com"
    assert event["requestParameters"] == {
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/AppRole",
        "roleSessionName": instance_id,
    }
    assert event["responseElements"]["credentials"]["accessKeyId"] == document["AccessKeyId"]
    assert event["decision"]["response"] == "Allowed"


def test_the_delivery_version_is_recorded_with_the_credentials(world):
    _profile(world)
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    v1 = json.loads(_get(world, instance_id, CREDENTIALS + "AppRole")[1])
    v2 = json.loads(
        _get(world, instance_id, CREDENTIALS + "AppRole", _token(world, instance_id))[1]
    )
    assert v1["AccessKeyId"] != v2["AccessKeyId"], "each IMDS version delivers its own session"
    sessions = world.state.sessions
    assert sessions[v1["AccessKeyId"]].delivery == "1.0"
    assert sessions[v2["AccessKeyId"]].delivery == "2.0"
    world.session(v1["AccessKeyId"], v1["SecretAccessKey"], v1["Token"]).client("s3").list_buckets()
    assert world.events[-1]["userIdentity"]["sessionContext"]["ec2RoleDelivery"] == "1.0"


def test_a_policy_on_ec2_role_delivery_refuses_credentials_fetched_with_imdsv1(world):
    _profile(world)
    admin_client(world, "iam").put_role_policy(
        RoleName="AppRole",
        PolicyName="imdsv2-only",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"NumericLessThan": {"ec2:RoleDelivery": "2.0"}}}]}),
    )  # fmt: skip
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    v1 = json.loads(_get(world, instance_id, CREDENTIALS + "AppRole")[1])
    v2 = json.loads(
        _get(world, instance_id, CREDENTIALS + "AppRole", _token(world, instance_id))[1]
    )
    with pytest.raises(ClientError) as denied:
        world.session(v1["AccessKeyId"], v1["SecretAccessKey"], v1["Token"]).client(
            "s3"
        ).list_buckets()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    world.session(v2["AccessKeyId"], v2["SecretAccessKey"], v2["Token"]).client("s3").list_buckets()


def test_credentials_rotate_hourly_and_old_ones_work_until_they_expire(world):
    _profile(world)
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    path = CREDENTIALS + "AppRole"
    first = json.loads(_get(world, instance_id, path)[1])
    world.advance(30 * 60)
    assert json.loads(_get(world, instance_id, path)[1])["AccessKeyId"] == first["AccessKeyId"]
    world.advance(31 * 60)
    second = json.loads(_get(world, instance_id, path)[1])
    assert second["AccessKeyId"] != first["AccessKeyId"]
    assert _time(second["Expiration"]) - _time(first["Expiration"]) == timedelta(minutes=61)

    old = world.session(first["AccessKeyId"], first["SecretAccessKey"], first["Token"]).client(
        "sts"
    )
    assert old.get_caller_identity()["Arn"].endswith(f"assumed-role/AppRole/{instance_id}")
    world.advance(5 * 3600)  # 6 h 1 min after the first were issued
    with pytest.raises(ClientError) as expired:
        old.get_caller_identity()
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"
    assert expired.value.response["Error"]["Message"] == (
        "The security token included in the request is expired"
    )


def test_an_untrusting_role_gives_no_credentials(world):
    _profile(world, trust=trust_policy({"Service": "lambda.amazonaws.com"}))
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    document = json.loads(_get(world, instance_id, CREDENTIALS + "AppRole")[1])
    assert document["Code"] == "AssumeRoleUnauthorizedAccess"
    assert document["Message"] == (
        "EC2 cannot assume the role AppRole.  Please see documentation at "
        "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html."
    )
    assert "AccessKeyId" not in document
    info = json.loads(_get(world, instance_id, "/latest/meta-data/iam/info")[1])
    assert info["Code"] == "AssumeRoleUnauthorizedAccess"
    assert not world.state.sessions

    admin_client(world, "iam").update_assume_role_policy(
        RoleName="AppRole", PolicyDocument=EC2_TRUST
    )
    assert json.loads(_get(world, instance_id, CREDENTIALS + "AppRole")[1])["Code"] == "Success"


def test_replacing_the_profile_switches_the_role_at_once(world):
    _profile(world, role="FirstRole", profile="First")
    _profile(world, role="SecondRole", profile="Second")
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "First"})
    first = json.loads(_get(world, instance_id, CREDENTIALS + "FirstRole")[1])
    ec2 = admin_client(world, "ec2")
    (association,) = ec2.describe_iam_instance_profile_associations()[
        "IamInstanceProfileAssociations"
    ]
    ec2.replace_iam_instance_profile_association(
        AssociationId=association["AssociationId"], IamInstanceProfile={"Name": "Second"}
    )
    assert _get(world, instance_id, CREDENTIALS) == (200, "SecondRole")
    assert _get(world, instance_id, CREDENTIALS + "FirstRole")[0] == 404
    second = json.loads(_get(world, instance_id, CREDENTIALS + "SecondRole")[1])
    assert second["AccessKeyId"] != first["AccessKeyId"]
    old = world.session(first["AccessKeyId"], first["SecretAccessKey"], first["Token"])
    assert old.client("sts").get_caller_identity()["Arn"].endswith(f"/FirstRole/{instance_id}")


def test_a_deleted_profile_is_reported_by_iam_info(world):
    _profile(world)
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    iam = admin_client(world, "iam")
    iam.remove_role_from_instance_profile(InstanceProfileName="AppProfile", RoleName="AppRole")
    info = json.loads(_get(world, instance_id, "/latest/meta-data/iam/info")[1])
    assert info["Code"] == "Success"
    assert "does not contain a role" in info["Message"]
    assert _get(world, instance_id, CREDENTIALS)[0] == 404
    iam.delete_instance_profile(InstanceProfileName="AppProfile")
    info = json.loads(_get(world, instance_id, "/latest/meta-data/iam/info")[1])
    assert info["Code"] == "InstanceProfileNotFound"


def test_untrusting_role_gives_assume_role_unauthorized_access_on_imds(world):
    _profile(world, trust=trust_policy({"Service": "lambda.amazonaws.com"}))
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    assert _get(world, instance_id, CREDENTIALS) == (200, "AppRole")
    for path in (CREDENTIALS + "AppRole", "/latest/meta-data/iam/info"):
        status, body = _get(world, instance_id, path)
        assert status == 200
        assert '"Code" : "AssumeRoleUnauthorizedAccess"' in body
        assert "EC2 cannot assume the role AppRole." in json.loads(body)["Message"]
    with pytest.raises(AwsError) as raised:  # the SDK reads the document as "no credentials"
        world.instance_session(instance_id)
    assert raised.value.code == "NoCredentialsError"


def test_ec2_failing_to_assume_an_untrusting_role_is_recorded_with_the_trust_evaluation(world):
    _profile(world, trust=trust_policy({"Service": "lambda.amazonaws.com"}))
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppProfile"})
    _get(world, instance_id, CREDENTIALS + "AppRole")
    _get(world, instance_id, "/latest/meta-data/iam/info")  # the same minute: one record
    (event,) = [e for e in world.events if e["eventName"] == "AssumeRole"]
    assert event["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert event["sourceIPAddress"] == "ec2.amazonaws.com"
    assert event["requestParameters"] == {
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/AppRole",
        "roleSessionName": instance_id,
    }
    assert event["errorCode"] == "AccessDenied"
    assert "responseElements" not in event
    decision = event["decision"]
    assert decision["response"] == "ImplicitlyDenied"
    (statement,) = decision["statements"]
    assert statement["applies"] is False
    assert statement["label"] == "trust policy Statement[0]"
    principal = next(e for e in statement["elements"] if e["element"] == "Principal")
    assert principal["check"] == "does not match"
    assert "ec2.amazonaws.com" in principal["detail"]

    world.advance(60)
    _get(world, instance_id, CREDENTIALS + "AppRole")  # a minute later EC2 tries again
    assert len([e for e in world.events if e["eventName"] == "AssumeRole"]) == 2
