"""S3's conditional reads and copies, archived copy sources and a copy's checksum (issue 13,
the emulator suite's groups 2, 6 and 9). Driven through boto3."""

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import BUCKET


@pytest.fixture
def s3() -> Any:
    world = World.new(seed=0)
    client = world.session().client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="k", Body=b"data")
    return client


def _error(s3: Any, call: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        getattr(s3, call)(Bucket=BUCKET, Key="k", **params)
    return dict(caught.value.response["Error"], Status=caught.value.response[
        "ResponseMetadata"]["HTTPStatusCode"])  # fmt: skip


def test_get_object_if_match_another_etag_is_precondition_failed(s3: Any) -> None:
    error = _error(s3, "get_object", IfMatch='"nope"')
    assert error["Code"] == "PreconditionFailed"
    assert error["Message"] == "At least one of the pre-conditions you specified did not hold"
    assert error["Condition"] == "If-Match"
    assert error["Status"] == 412


def test_get_object_if_none_match_its_etag_is_304_not_modified(s3: Any) -> None:
    etag = s3.head_object(Bucket=BUCKET, Key="k")["ETag"]
    error = _error(s3, "get_object", IfNoneMatch=etag)
    assert (error["Code"], error["Message"], error["Status"]) == ("304", "Not Modified", 304)
    assert s3.get_object(Bucket=BUCKET, Key="k", IfMatch=etag)["Body"].read() == b"data"


def test_dates_decide_when_no_etag_is_given(s3: Any) -> None:
    modified = s3.head_object(Bucket=BUCKET, Key="k")["LastModified"]
    assert _error(s3, "get_object", IfModifiedSince=modified)["Code"] == "304"
    earlier = modified - timedelta(seconds=1)
    error = _error(s3, "get_object", IfUnmodifiedSince=earlier)
    assert (error["Code"], error["Condition"]) == ("PreconditionFailed", "If-Unmodified-Since")
    assert s3.get_object(Bucket=BUCKET, Key="k", IfModifiedSince=earlier)["ContentLength"] == 4
    assert s3.head_object(Bucket=BUCKET, Key="k", IfUnmodifiedSince=modified)["ContentLength"]


def test_the_etag_wins_over_the_date_it_is_paired_with(s3: Any) -> None:
    head = s3.head_object(Bucket=BUCKET, Key="k")
    earlier = head["LastModified"] - timedelta(seconds=1)
    got = s3.get_object(Bucket=BUCKET, Key="k", IfMatch=head["ETag"], IfUnmodifiedSince=earlier)
    assert got["Body"].read() == b"data"
    error = _error(s3, "get_object", IfNoneMatch=head["ETag"], IfModifiedSince=earlier)
    assert error["Code"] == "304"


def test_head_object_answers_preconditions_by_status(s3: Any) -> None:
    failed = _error(s3, "head_object", IfMatch='"nope"')
    assert (failed["Code"], failed["Message"]) == ("412", "Precondition Failed")
    unchanged = _error(s3, "head_object", IfNoneMatch="*")
    assert (unchanged["Code"], unchanged["Message"]) == ("304", "Not Modified")


def test_copy_source_if_match_another_etag_is_precondition_failed(s3: Any) -> None:
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=BUCKET, Key="c", CopySource=f"{BUCKET}/k", CopySourceIfMatch='"x"')
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=BUCKET, Key="c", CopySource=f"{BUCKET}/k", CopySourceIfNoneMatch="*")
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"


@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_copying_an_archived_object_is_invalid_object_state(s3: Any, storage_class: str) -> None:
    s3.put_object(Bucket=BUCKET, Key="cold", Body=b"x", StorageClass=storage_class)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=BUCKET, Key="warm", CopySource=f"{BUCKET}/cold")
    assert caught.value.response["Error"]["Code"] == "InvalidObjectState"
    assert caught.value.response["Error"]["StorageClass"] == storage_class


def test_a_copy_returns_the_checksum_asked_for_or_the_sources(s3: Any) -> None:
    put = s3.put_object(Bucket=BUCKET, Key="src", Body=b"abc")
    kept = s3.copy_object(Bucket=BUCKET, Key="a", CopySource=f"{BUCKET}/src")
    assert kept["CopyObjectResult"]["ChecksumCRC32"] == put["ChecksumCRC32"]
    asked = s3.copy_object(
        Bucket=BUCKET, Key="b", CopySource=f"{BUCKET}/src", ChecksumAlgorithm="SHA256"
    )
    # SHA-256 of b"abc", base64.
    sha = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    assert asked["CopyObjectResult"]["ChecksumSHA256"] == sha
