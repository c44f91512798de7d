"""S3 Block Public Access: every new bucket has its four settings on, and a bucket policy that
grants to everyone is refused while BlockPublicPolicy is on, with S3's words; a policy that
fixes who "everyone" may be (an account, an organization, an address) is not public."""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import ACCOUNT, admin_client, client_error

BUCKET = "public-test"
EVERYONE = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*"}  # fmt: skip


def _s3() -> Any:
    s3 = admin_client(World.new(seed=0), "s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def _policy(**condition: Any) -> str:
    statement = {**EVERYONE, **({"Condition": condition} if condition else {})}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_new_bucket_blocks_all_public_access() -> None:
    configuration = _s3().get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]

    assert configuration == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    }  # fmt: skip


def test_a_policy_granting_to_everyone_is_refused_with_s3s_words() -> None:
    s3 = _s3()

    with pytest.raises(ClientError) as refused:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy())

    assert client_error(refused) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: "
        f's3:PutBucketPolicy on resource: "arn:aws:s3:::{BUCKET}" because public policies are '
        "blocked by the BlockPublicPolicy block public access setting.",
        403,
    )
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": "444455556666"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}},
    ],
    ids=["account", "organization", "address", "source-arn"],
)
def test_a_grant_to_everyone_narrowed_to_someone_known_is_not_public(condition: Any) -> None:
    s3 = _s3()

    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy(**condition))

    assert "Statement" in s3.get_bucket_policy(Bucket=BUCKET)["Policy"]


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        {"StringLike": {"aws:SourceAccount": "*"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": "444455556666"}},
        {"StringNotEquals": {"aws:SourceAccount": "444455556666"}},
        {"StringEquals": {"aws:UserAgent": "my-app"}},
    ],
    ids=["every-address", "wildcard", "if-exists", "negated", "not-a-narrowing-key"],
)
def test_a_condition_that_fixes_no_one_leaves_the_policy_public(condition: Any) -> None:
    with pytest.raises(ClientError, match="BlockPublicPolicy"):
        _s3().put_bucket_policy(Bucket=BUCKET, Policy=_policy(**condition))


def test_turning_block_public_policy_off_lets_a_public_policy_in_and_on_again_keeps_it() -> None:
    s3 = _s3()
    s3.put_public_access_block(
        Bucket=BUCKET, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy())
    s3.delete_public_access_block(Bucket=BUCKET)

    with pytest.raises(ClientError) as missing:
        s3.get_public_access_block(Bucket=BUCKET)
    assert client_error(missing) == (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
        404,
    )
    # "Enabling this setting doesn't affect existing bucket policies" (S3 API Reference).
    s3.put_public_access_block(
        Bucket=BUCKET, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    assert "Principal" in s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
