"""Amazon S3 in the simulated account, driven through boto3 as a learner's code would drive it.

Message texts are AWS's, word for word (iam-facts.md §2 and §8).

The principals other than the admin are made by the admin through `World.call` (IAM's
CreateUser/PutUserPolicy/CreateAccessKey, CreateRole/PutRolePolicy and STS AssumeRole): the
same path as boto3, without building a client per helper.
"""

import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import AwsError, World
from simulator.services.s3 import MAX_OBJECT_SIZE, MAX_OBJECTS, MAX_STORED_BYTES
from simulator.world import Credentials
from tests.factories import BUCKET, client_error, policy_text, trust_policy

ACCOUNT = "111122223333"
ACCOUNT_TRUST = trust_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
SESSION = "i-0abc1234567890def"
ROLE_SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{SESSION}"


# --- helpers ------------------------------------------------------------------------------


def _allow(*actions: str, resource: str | list[str] = f"arn:aws:s3:::{BUCKET}/*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def _admin_call(world: World, service: str, operation: str, **params: Any) -> dict[str, Any]:
    return world.call(world.admin_credentials(), service, operation, params)


def _user(world: World, name: str, *statements: dict[str, Any]) -> Credentials:
    """An IAM user with an inline policy and an access key, made by the admin."""
    _admin_call(world, "iam", "CreateUser", UserName=name)
    if statements:
        _admin_call(
            world, "iam", "PutUserPolicy", UserName=name, PolicyName="s3",
            PolicyDocument=policy_text(*statements),
        )  # fmt: skip
    key = _admin_call(world, "iam", "CreateAccessKey", UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def _role_session(
    world: World, name: str, *statements: dict[str, Any], session_name: str = SESSION
) -> Credentials:
    """A role with an inline policy, and a session of it (the admin assumes it)."""
    _admin_call(world, "iam", "CreateRole", RoleName=name, AssumeRolePolicyDocument=ACCOUNT_TRUST)
    if statements:
        _admin_call(
            world, "iam", "PutRolePolicy", RoleName=name, PolicyName="s3",
            PolicyDocument=policy_text(*statements),
        )  # fmt: skip
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    found = _admin_call(world, "sts", "AssumeRole", RoleArn=role_arn, RoleSessionName=session_name)
    creds = found["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def _s3(world: World, credentials: Credentials | None = None, source_ip: str | None = None) -> Any:
    if credentials is None:
        return world.session(source_ip=source_ip).client("s3")
    return world.session(*credentials, source_ip=source_ip).client("s3")


def _not_authorized(principal: str, action: str, resource: str, *, why: str | None = None) -> str:
    reason = why or f"because no identity-based policy allows the {action} action"
    return f'User: {principal} is not authorized to perform: {action} on resource: "{resource}" {reason}'


@pytest.fixture
def world() -> World:
    world = World.new(seed=0)
    admin = _s3(world)
    admin.create_bucket(Bucket=BUCKET)
    admin.put_object(Bucket=BUCKET, Key="config/app.json", Body=b'{"debug": false}')
    return world


# --- the Put-only role ----------------------------------------------------------------------


def test_put_only_role_puts_but_get_object_is_denied_naming_the_object_arn(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject")))

    s3.put_object(Bucket=BUCKET, Key="reports/1.csv", Body=b"a,b\n")
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="reports/1.csv")

    assert client_error(caught) == (
        "AccessDenied",
        f"User: {ROLE_SESSION_ARN} is not authorized to perform: s3:GetObject on resource: "
        f'"arn:aws:s3:::{BUCKET}/reports/1.csv" because no identity-based policy allows the '
        "s3:GetObject action",
        403,
    )


def test_put_only_user_is_denied_get_object_in_the_same_words(world: World) -> None:
    s3 = _s3(world, _user(world, "app-user", _allow("s3:PutObject")))

    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="config/app.json")

    assert client_error(caught) == (
        "AccessDenied",
        _not_authorized(
            f"arn:aws:iam::{ACCOUNT}:user/app-user",
            "s3:GetObject",
            f"arn:aws:s3:::{BUCKET}/config/app.json",
        ),
        403,
    )


def test_head_object_denied_is_a_bare_403_forbidden(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject")))

    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=BUCKET, Key="config/app.json")

    assert client_error(caught) == ("403", "Forbidden", 403)


def test_head_object_is_authorized_by_get_object(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:GetObject")))

    head = s3.head_object(Bucket=BUCKET, Key="config/app.json")

    assert head["ContentLength"] == len(b'{"debug": false}')
    assert head["ETag"] == '"' + hashlib.md5(b'{"debug": false}').hexdigest() + '"'


def test_denied_get_object_event_carries_the_engine_decision(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject")))

    with pytest.raises(ClientError):
        s3.get_object(Bucket=BUCKET, Key="config/app.json")

    event = world.events[-1]
    assert event["eventName"] == "GetObject"
    assert event["errorCode"] == "AccessDenied"
    assert event["decision"]["action"] == "s3:GetObject"
    assert event["decision"]["response"] != "Allowed"


# --- a missing key: 404 only for those who may list --------------------------------------------


def test_missing_key_with_list_bucket_is_no_such_key(world: World) -> None:
    credentials = _role_session(
        world,
        "AppRole",
        _allow("s3:GetObject"),
        _allow("s3:ListBucket", resource=f"arn:aws:s3:::{BUCKET}"),
    )
    s3 = _s3(world, credentials)

    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="no/such/key")
    assert client_error(caught) == ("NoSuchKey", "The specified key does not exist.", 404)
    decision = world.events[-1]["decision"]
    assert (decision["action"], decision["response"]) == ("s3:GetObject", "Allowed")

    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=BUCKET, Key="no/such/key")
    assert client_error(caught) == ("404", "Not Found", 404)


def test_missing_key_without_list_bucket_is_access_denied(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:GetObject")))

    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="no/such/key")
    assert client_error(caught) == (
        "AccessDenied",
        _not_authorized(ROLE_SESSION_ARN, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
        403,
    )

    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=BUCKET, Key="no/such/key")
    assert client_error(caught) == ("403", "Forbidden", 403)


def test_missing_bucket_is_no_such_bucket_only_after_authorization(world: World) -> None:
    with pytest.raises(ClientError) as caught:
        _s3(world).get_object(Bucket="no-such-bucket", Key="k")
    assert client_error(caught) == ("NoSuchBucket", "The specified bucket does not exist", 404)

    put_only = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject")))
    with pytest.raises(ClientError) as caught:
        put_only.get_object(Bucket="no-such-bucket", Key="k")
    assert client_error(caught)[0] == "AccessDenied"


# --- listing ---------------------------------------------------------------------------------


def test_list_objects_denied_names_list_bucket_on_the_bucket_arn(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject", "s3:GetObject")))

    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=BUCKET)

    assert client_error(caught) == (
        "AccessDenied",
        _not_authorized(ROLE_SESSION_ARN, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
        403,
    )


def test_list_bucket_granted_on_the_objects_arn_matches_nothing(world: World) -> None:
    s3 = _s3(world, _role_session(world, "AppRole", _allow("s3:ListBucket")))  # on bucket/*

    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=BUCKET)

    assert client_error(caught)[0] == "AccessDenied"


def test_list_objects_v2_groups_by_delimiter_and_pages_by_token(world: World) -> None:
    s3 = _s3(world)
    for key in (
        "logs/a.txt",
        "logs/b.txt",
        "reports/2026/q1.csv",
        "reports/2026/q2.csv",
        "top.txt",
    ):
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())

    top = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["config/", "logs/", "reports/"]
    assert [o["Key"] for o in top["Contents"]] == ["top.txt"]
    assert top["KeyCount"] == 4

    under = s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/", Delimiter="/")
    assert [p["Prefix"] for p in under["CommonPrefixes"]] == ["reports/2026/"]
    assert "Contents" not in under

    first = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [o["Key"] for o in first["Contents"]] == ["config/app.json", "logs/a.txt"]
    rest = s3.list_objects_v2(Bucket=BUCKET, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == [
        "logs/b.txt", "reports/2026/q1.csv", "reports/2026/q2.csv", "top.txt",
    ]  # fmt: skip

    paged = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, PaginationConfig={"PageSize": 2}
        )
        for item in page.get("Contents", [])
    ]
    assert paged == sorted(paged)
    assert len(paged) == 6

    after = s3.list_objects_v2(Bucket=BUCKET, StartAfter="reports/2026/q1.csv")
    assert [o["Key"] for o in after["Contents"]] == ["reports/2026/q2.csv", "top.txt"]


def test_list_objects_pages_delimited_listings_past_common_prefixes(world: World) -> None:
    s3 = _s3(world)
    for key in ("a/1", "a/2", "b/1", "c"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"")

    first = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/", MaxKeys=2)
    second = s3.list_objects_v2(
        Bucket=BUCKET, Delimiter="/", MaxKeys=2, ContinuationToken=first["NextContinuationToken"]
    )

    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["a/", "b/"]
    assert [p["Prefix"] for p in second.get("CommonPrefixes", [])] == ["config/"]
    assert [o["Key"] for o in second["Contents"]] == ["c"]
    assert second["IsTruncated"] is False


def test_boto3_resource_lists_objects_with_the_original_listing(world: World) -> None:
    _s3(world).put_object(Bucket=BUCKET, Key="logs/a.txt", Body=b"a")

    bucket = world.session().resource("s3").Bucket(BUCKET)

    assert [item.key for item in bucket.objects.all()] == ["config/app.json", "logs/a.txt"]
    assert world.events[-1]["eventName"] == "ListObjects"


def test_list_bucket_conditions_see_the_prefix(world: World) -> None:
    home = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{BUCKET}",
        "Condition": {"StringLike": {"s3:prefix": "home/alice/*"}},
    }
    s3 = _s3(world, _user(world, "alice", home))

    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="home/alice/")["KeyCount"] == 0
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=BUCKET)
    assert client_error(caught)[0] == "AccessDenied"


def test_list_buckets_needs_list_all_my_buckets(world: World) -> None:
    assert [b["Name"] for b in _s3(world).list_buckets()["Buckets"]] == [BUCKET]

    s3 = _s3(world, _user(world, "app-user", _allow("s3:PutObject")))
    with pytest.raises(ClientError) as caught:
        s3.list_buckets()

    assert client_error(caught) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/app-user is not authorized to perform: "
        "s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action",
        403,
    )


# --- bucket policies -------------------------------------------------------------------------


def _bucket_policy(world: World, *statements: dict[str, Any]) -> None:
    _s3(world).put_bucket_policy(Bucket=BUCKET, Policy=policy_text(*statements))


def test_bucket_policy_grant_to_the_role_arn_lets_a_put_only_role_read(world: World) -> None:
    credentials = _role_session(world, "AppRole", _allow("s3:PutObject"))
    _bucket_policy(
        world,
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        },
    )

    body = _s3(world, credentials).get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read()

    assert body == b'{"debug": false}'
    assert world.events[-1]["decision"]["response"] == "Allowed"


def test_bucket_policy_grant_to_the_account_root_defers_to_identity_policies(world: World) -> None:
    credentials = _role_session(world, "AppRole", _allow("s3:PutObject"))
    _bucket_policy(
        world,
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        },
    )

    with pytest.raises(ClientError) as caught:
        _s3(world, credentials).get_object(Bucket=BUCKET, Key="config/app.json")

    assert client_error(caught) == (
        "AccessDenied",
        _not_authorized(ROLE_SESSION_ARN, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/config/app.json"),
        403,
    )


def test_explicit_deny_in_the_bucket_policy_beats_the_admins_allow(world: World) -> None:
    _bucket_policy(
        world,
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/config/*",
        },
    )

    with pytest.raises(ClientError) as caught:
        _s3(world).get_object(Bucket=BUCKET, Key="config/app.json")

    assert client_error(caught) == (
        "AccessDenied",
        _not_authorized(
            f"arn:aws:iam::{ACCOUNT}:user/admin",
            "s3:GetObject",
            f"arn:aws:s3:::{BUCKET}/config/app.json",
            why="with an explicit deny in a resource-based policy",
        ),
        403,
    )


def test_bucket_policy_source_ip_condition_allows_one_address_and_not_another(world: World) -> None:
    credentials = _role_session(world, "AppRole", _allow("s3:PutObject"))
    _bucket_policy(
        world,
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}},
        },
    )

    inside = _s3(world, credentials, source_ip="10.0.1.25")
    assert (
        inside.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read()
        == b'{"debug": false}'
    )

    outside = _s3(world, credentials, source_ip="198.51.100.23")
    with pytest.raises(ClientError) as caught:
        outside.get_object(Bucket=BUCKET, Key="config/app.json")
    assert client_error(caught)[0] == "AccessDenied"
    assert world.events[-1]["sourceIPAddress"] == "198.51.100.23"


def test_get_bucket_policy_returns_the_text_as_put_and_delete_removes_it(world: World) -> None:
    s3 = _s3(world)
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=BUCKET)
    assert client_error(caught) == ("NoSuchBucketPolicy", "The bucket policy does not exist", 404)

    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                 "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        },
        indent=2,
    )  # fmt: skip
    s3.put_bucket_policy(Bucket=BUCKET, Policy=text)
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == text

    s3.delete_bucket_policy(Bucket=BUCKET)
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=BUCKET)
    assert client_error(caught)[0] == "NoSuchBucketPolicy"


def _statement(**changes: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    for key, value in changes.items():
        if value is None:
            statement.pop(key)
        else:
            statement[key] = value
    return statement


MALFORMED = [
    ("not-json", "Statement: allow", "Policies must be valid JSON and the first byte must be '{'"),
    ("bad-json", '{"Version": "2012-10-17",', "This policy contains invalid Json"),
    ("no-statement", '{"Version": "2012-10-17"}', "Missing required field Statement"),
    ("empty-statement", '{"Version": "2012-10-17", "Statement": []}',
     "Could not parse the policy: Statement is empty!"),
    ("no-principal", policy_text(_statement(Principal=None)), "Missing required field Principal"),
    ("missing-role", policy_text(_statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/Nobody"})),
     "Invalid principal in policy"),
    ("other-bucket", policy_text(_statement(Resource="arn:aws:s3:::someone-elses/*")),
     "Policy has invalid resource"),
    ("iam-action", policy_text(_statement(Action="iam:GetRole")), "Policy has invalid action"),
    ("unknown-action", policy_text(_statement(Action="s3:GetObjects")), "Policy has invalid action"),
    ("get-on-bucket", policy_text(_statement(Resource=f"arn:aws:s3:::{BUCKET}")),
     "Action does not apply to any resource(s) in statement"),
    ("bad-effect", policy_text(_statement(Effect="Permit")), "Invalid effect: Permit"),
    ("bad-operator", policy_text(_statement(Condition={"StringEqualz": {"aws:SourceIp": "x"}})),
     "Invalid Condition type : StringEqualz"),
    ("bad-key", policy_text(_statement(Condition={"StringEquals": {"aws:SourceIpAddress": "x"}})),
     "Policy has an invalid condition key"),
    ("too-large", policy_text(*[_statement(Sid=f"S{n}") for n in range(200)]),
     "Policy exceeds the maximum allowed document size."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [(t, m) for _, t, m in MALFORMED], ids=[i for i, _, _ in MALFORMED]
)
def test_put_bucket_policy_refuses_what_s3_refuses(world: World, text: str, message: str) -> None:
    with pytest.raises(ClientError) as caught:
        _s3(world).put_bucket_policy(Bucket=BUCKET, Policy=text)

    assert client_error(caught) == ("MalformedPolicy", message, 400)
    assert world.state.buckets[BUCKET].policy is None


def test_put_bucket_policy_accepts_an_existing_role_and_a_service(world: World) -> None:
    _role_session(world, "AppRole")
    text = policy_text(
        _statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"}),
        _statement(Principal={"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject"),
        _statement(Action="s3:ListBucket", Resource=f"arn:aws:s3:::{BUCKET}"),
    )

    _s3(world).put_bucket_policy(Bucket=BUCKET, Policy=text)

    assert world.state.buckets[BUCKET].policy == text


# --- buckets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "My-Bucket",
        "my_bucket",
        "-bucket",
        "bucket-",
        "my..bucket",
        "192.168.5.4",
        "xn--bucket",
    ],
)
def test_create_bucket_refuses_invalid_names(name: str) -> None:
    world = World.new(seed=0)

    with pytest.raises(ClientError) as caught:
        _s3(world).create_bucket(Bucket=name)

    assert client_error(caught) == ("InvalidBucketName", "The specified bucket is not valid.", 400)
    assert name not in world.state.buckets


def test_creating_an_owned_bucket_again_in_us_east_1_answers_200(world: World) -> None:
    assert _s3(world).create_bucket(Bucket=BUCKET)["Location"] == f"/{BUCKET}"
    assert list(world.state.buckets[BUCKET].objects) == ["config/app.json"]


def test_creating_an_owned_bucket_again_elsewhere_is_a_conflict() -> None:
    world = World.new(seed=0, region="eu-west-1")
    s3 = _s3(world)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    with pytest.raises(ClientError) as caught:
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )

    assert client_error(caught) == (
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
    )


def test_location_constraint_follows_the_endpoint_region() -> None:
    east = _s3(World.new(seed=0))
    with pytest.raises(ClientError) as caught:
        east.create_bucket(
            Bucket="east-bucket", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
        )
    assert client_error(caught) == (
        "InvalidLocationConstraint",
        "The specified location-constraint is not valid",
        400,
    )

    west_world = World.new(seed=0, region="eu-west-1")
    with pytest.raises(ClientError) as caught:
        _s3(west_world).create_bucket(Bucket="west-bucket")
    assert client_error(caught) == (
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint "
        "this request was sent to.",
        400,
    )
    assert west_world.state.buckets == {}


def test_delete_bucket_refuses_a_bucket_that_holds_objects(world: World) -> None:
    s3 = _s3(world)

    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket=BUCKET)
    assert client_error(caught) == (
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
        409,
    )

    s3.delete_object(Bucket=BUCKET, Key="config/app.json")
    s3.delete_bucket(Bucket=BUCKET)
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket=BUCKET)
    assert client_error(caught) == ("404", "Not Found", 404)


def test_head_bucket_is_authorized_by_list_bucket(world: World) -> None:
    s3 = _s3(world, _user(world, "app-user", _allow("s3:GetObject", "s3:PutObject")))

    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket=BUCKET)

    assert client_error(caught) == ("403", "Forbidden", 403)
    assert world.events[-1]["decision"]["action"] == "s3:ListBucket"


# --- objects ---------------------------------------------------------------------------------


def test_put_object_answers_the_quoted_md5_and_keeps_the_content_type(world: World) -> None:
    s3 = _s3(world)

    put = s3.put_object(Bucket=BUCKET, Key="notes.txt", Body="héllo", ContentType="text/plain")
    got = s3.get_object(Bucket=BUCKET, Key="notes.txt")

    assert put["ETag"] == '"' + hashlib.md5("héllo".encode()).hexdigest() + '"'
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == len("héllo".encode())
    assert got["Body"].read() == "héllo".encode()
    assert got["LastModified"] == world.now


def test_get_object_honours_a_byte_range(world: World) -> None:
    s3 = _s3(world)
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")

    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=2-4")["Body"].read() == b"234"
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=20-")
    assert client_error(caught) == ("InvalidRange", "The requested range is not satisfiable", 416)


def test_an_account_full_of_objects_refuses_one_more_saying_it_is_rolecalls_limit(
    world: World,
) -> None:
    s3 = _s3(world)
    existing = sum(len(bucket.objects) for bucket in world.state.buckets.values())
    for number in range(MAX_OBJECTS - existing):
        s3.put_object(Bucket=BUCKET, Key=f"many/{number}", Body=b"x")

    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=BUCKET, Key="one-more", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="many/0", Body=b"replaced")  # a replacement still fits

    code, message, status = client_error(caught)
    assert (code, status) == ("InvalidRequest", 400)
    assert "RoleCall limit, not S3's" in message
    assert "one-more" not in world.state.buckets[BUCKET].objects


def test_copies_cannot_take_an_account_past_its_stored_bytes(world: World) -> None:
    s3 = _s3(world)
    held = sum(len(o.body) for b in world.state.buckets.values() for o in b.objects.values())
    copies = (MAX_STORED_BYTES - held) // MAX_OBJECT_SIZE  # the first copy that cannot fit
    s3.put_object(Bucket=BUCKET, Key="big/0", Body=b"x" * MAX_OBJECT_SIZE)
    for number in range(1, copies):
        s3.copy_object(Bucket=BUCKET, Key=f"big/{number}", CopySource=f"{BUCKET}/big/0")

    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=BUCKET, Key=f"big/{copies}", CopySource=f"{BUCKET}/big/0")

    stored = sum(len(o.body) for b in world.state.buckets.values() for o in b.objects.values())
    assert client_error(caught)[0] == "InvalidRequest"
    assert stored <= MAX_STORED_BYTES
    assert f"big/{copies}" not in world.state.buckets[BUCKET].objects


def test_put_object_over_the_simulators_size_limit_is_entity_too_large(world: World) -> None:
    with pytest.raises(ClientError) as caught:
        _s3(world).put_object(Bucket=BUCKET, Key="big", Body=b"x" * (MAX_OBJECT_SIZE + 1))

    code, message, status = client_error(caught)
    assert (code, status) == ("EntityTooLarge", 400)
    assert message.startswith("Your proposed upload exceeds the maximum allowed size")
    assert "a RoleCall limit, not S3's" in message
    assert "big" not in world.state.buckets[BUCKET].objects


def test_put_object_refuses_a_key_over_1024_bytes(world: World) -> None:
    with pytest.raises(ClientError) as caught:
        _s3(world).put_object(Bucket=BUCKET, Key="k" * 1025, Body=b"")

    assert client_error(caught) == ("KeyTooLongError", "Your key is too long", 400)


def test_copy_object_needs_get_on_the_source_and_put_on_the_target(world: World) -> None:
    put_only = _s3(world, _role_session(world, "AppRole", _allow("s3:PutObject")))
    with pytest.raises(ClientError) as caught:
        put_only.copy_object(Bucket=BUCKET, Key="copy.json", CopySource=f"{BUCKET}/config/app.json")
    assert world.events[-1]["decision"]["action"] == "s3:GetObject"
    assert client_error(caught)[0] == "AccessDenied"

    s3 = _s3(world)
    result = s3.copy_object(
        Bucket=BUCKET, Key="copy.json", CopySource={"Bucket": BUCKET, "Key": "config/app.json"}
    )
    assert (
        result["CopyObjectResult"]["ETag"]
        == world.state.buckets[BUCKET].objects["config/app.json"].etag
    )
    assert s3.get_object(Bucket=BUCKET, Key="copy.json")["Body"].read() == b'{"debug": false}'


def test_delete_object_of_a_missing_key_succeeds(world: World) -> None:
    _s3(world).delete_object(Bucket=BUCKET, Key="never/there")

    assert world.events[-1].get("errorCode") is None


# --- the world as JSON -----------------------------------------------------------------------


def test_world_round_trip_keeps_objects_bytes_and_policies(world: World) -> None:
    s3 = _s3(world)
    raw = bytes(range(256))
    s3.put_object(Bucket=BUCKET, Key="blob.bin", Body=raw, ContentType="application/octet-stream")
    _bucket_policy(world, _statement())

    copy = World.from_dict(json.loads(json.dumps(world.to_dict())))

    restored = copy.state.buckets[BUCKET]
    original = world.state.buckets[BUCKET]
    assert restored == original
    got = _s3(copy).get_object(Bucket=BUCKET, Key="blob.bin")
    assert got["Body"].read() == raw
    assert got["ContentType"] == "application/octet-stream"
    assert _s3(copy).get_bucket_policy(Bucket=BUCKET)["Policy"] == original.policy


# --- never a crash -----------------------------------------------------------------------------


BAD_CALLS = [
    ("PutObject", {"Bucket": BUCKET}),
    ("PutObject", {"Bucket": 7, "Key": "k"}),
    ("PutObject", {"Bucket": BUCKET, "Key": "k", "Body": object()}),
    ("GetObject", {"Bucket": BUCKET, "Key": ["k"]}),
    ("GetObject", {"Bucket": BUCKET, "Key": "config/app.json", "Range": 5}),
    ("ListObjectsV2", {"Bucket": BUCKET, "MaxKeys": "10"}),
    ("ListObjectsV2", {"Bucket": BUCKET, "MaxKeys": -1}),
    ("ListObjectsV2", {"Bucket": BUCKET, "ContinuationToken": "not base64!"}),
    ("ListBuckets", {"MaxBuckets": 0}),
    ("CreateBucket", {"Bucket": "new-bucket", "CreateBucketConfiguration": "us-east-1"}),
    ("CopyObject", {"Bucket": BUCKET, "Key": "k", "CopySource": 3}),
    (
        "PutBucketPolicy",
        {"Bucket": BUCKET, "Policy": '{"Statement":' + "[" * 9000 + "]" * 9000 + "}"},
    ),
    ("PutBucketPolicy", {"Bucket": BUCKET, "Policy": {"Statement": []}}),
]


@pytest.mark.parametrize(
    ("operation", "params"), BAD_CALLS, ids=[f"{o}-{n}" for n, (o, _) in enumerate(BAD_CALLS)]
)
def test_bad_parameters_from_world_call_are_aws_errors(
    world: World, operation: str, params: dict[str, Any]
) -> None:
    with pytest.raises(AwsError) as caught:
        world.call(world.admin_credentials(), "s3", operation, params)

    assert 400 <= caught.value.status < 500


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
GOOD = {
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Principal": st.sampled_from(["*", {"AWS": ACCOUNT}, {"Service": "ec2.amazonaws.com"}]),
    "Action": st.sampled_from(["s3:GetObject", "s3:*", ["s3:ListBucket", "s3:Get*"], "*"]),
    "Resource": st.sampled_from([f"arn:aws:s3:::{BUCKET}/*", [f"arn:aws:s3:::{BUCKET}", "*"]]),
}
NOISY = {
    "Effect": st.sampled_from(["allow", ""]) | json_values,
    "Principal": st.sampled_from([{"AWS": f"arn:aws:iam::{ACCOUNT}:role/X"}, {"AWS": "x"}])
    | json_values,
    "Action": st.sampled_from(["s3:Nope", "iam:GetRole", []]) | json_values,
    "Resource": st.sampled_from([f"arn:aws:s3:::{BUCKET}", "arn:aws:s3:::other/*"]) | json_values,
}
CONDITIONS = st.sampled_from(
    [{"Bool": {"aws:SecureTransport": "true"}}, {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", 5]}},
     {"NumericLessThan": {"s3:max-keys": "x"}}, {"Null": {"aws:SourceIp": "maybe"}}]
) | json_values  # fmt: skip
good_statements = st.fixed_dictionaries(GOOD, optional={"Condition": CONDITIONS, "Sid": st.text()})
noisy_statements = st.fixed_dictionaries(
    {},
    optional={**{k: GOOD[k] | NOISY[k] for k in GOOD}, "Condition": CONDITIONS, "Sid": json_values},
)
statements = good_statements | noisy_statements
documents = st.fixed_dictionaries(
    {"Version": st.sampled_from(["2012-10-17", "2008-10-17"])},
    optional={
        "Statement": st.lists(statements, max_size=3) | statements | json_values,
        "Id": json_values,
    },
)


def _outcome(world: World, operation: str, params: dict[str, Any]) -> str:
    try:
        world.call(world.admin_credentials(), "s3", operation, params)
    except AwsError as error:
        return f"{error.code} {error.status}"
    return "ok"


@settings(max_examples=150, deadline=None)
@given(document=documents)
def test_put_bucket_policy_stores_or_refuses_but_never_crashes(document: dict[str, Any]) -> None:
    world = World.new(seed=0)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": BUCKET})
    # Public policies too: Block Public Access has tests of its own (test_s3_public_access).
    world.call(admin, "s3", "DeletePublicAccessBlock", {"Bucket": BUCKET})
    world.call(admin, "s3", "PutObject", {"Bucket": BUCKET, "Key": "config/app.json", "Body": b""})
    text = json.dumps(document)

    outcome = _outcome(world, "PutBucketPolicy", {"Bucket": BUCKET, "Policy": text})

    assert outcome in ("ok", "MalformedPolicy 400")
    if outcome == "ok":
        # A stored policy takes part in decisions: the admin's own calls are still answered.
        assert world.state.buckets[BUCKET].policy == text
        read = _outcome(world, "GetObject", {"Bucket": BUCKET, "Key": "config/app.json"})
        assert read in ("ok", "AccessDenied 403")
