"""Amazon S3's API details a learner meets when typing AWS's own examples: part and range
reads, response-header overrides, string CopySource values, listing tokens, checksums,
DeleteObjects and GetObjectAttributes (issue 13, items 6 and 8).

Driven through boto3, as a learner's code drives the account.
"""

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import AwsError, World
from tests.factories import BUCKET, client_error, policy_text


@pytest.fixture
def world() -> World:
    world = World.new(seed=0)
    world.session().client("s3").create_bucket(Bucket=BUCKET)
    return world


@pytest.fixture
def s3(world: World) -> Any:
    return world.session().client("s3")


# --- reads: parts, ranges, overrides ----------------------------------------------------------


def test_part_number_one_of_a_single_part_object_is_the_whole_object_as_a_range(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")

    got = s3.get_object(Bucket=BUCKET, Key="digits", PartNumber=1)
    head = s3.head_object(Bucket=BUCKET, Key="digits", PartNumber=1)

    assert got["Body"].read() == b"0123456789"
    assert got["ContentRange"] == head["ContentRange"] == "bytes 0-9/10"
    assert got["ContentLength"] == head["ContentLength"] == 10
    assert got["PartsCount"] == 1


def test_a_part_the_object_does_not_have_is_not_satisfiable(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")

    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=BUCKET, Key="digits", PartNumber=2)
    with pytest.raises(ClientError) as both:
        s3.get_object(Bucket=BUCKET, Key="digits", PartNumber=1, Range="bytes=0-1")

    assert client_error(caught) == (
        "InvalidPartNumber",
        "The requested partnumber is not satisfiable",
        416,
    )
    assert client_error(both)[0::2] == ("InvalidRequest", 400)


def test_a_range_read_answers_the_content_range_and_its_length(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")

    got = s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=2-4")
    head = s3.head_object(Bucket=BUCKET, Key="digits", Range="bytes=-3")

    assert (got["Body"].read(), got["ContentRange"], got["ContentLength"]) == (
        b"234",
        "bytes 2-4/10",
        3,
    )
    assert (head["ContentRange"], head["ContentLength"]) == ("bytes 7-9/10", 3)


def test_response_overrides_set_the_headers_of_this_response_only(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="report.csv", Body=b"a,b\n", ContentType="text/csv")
    expires = datetime(2030, 1, 1, tzinfo=UTC)

    got = s3.get_object(
        Bucket=BUCKET,
        Key="report.csv",
        ResponseContentType="application/octet-stream",
        ResponseContentDisposition='attachment; filename="r.csv"',
        ResponseContentEncoding="identity",
        ResponseContentLanguage="en",
        ResponseCacheControl="no-cache",
        ResponseExpires=expires,
    )
    again = s3.get_object(Bucket=BUCKET, Key="report.csv")

    assert got["ContentType"] == "application/octet-stream"
    assert got["ContentDisposition"] == 'attachment; filename="r.csv"'
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "en"
    assert got["CacheControl"] == "no-cache"
    assert got["Expires"] == expires
    assert again["ContentType"] == "text/csv"
    assert "ContentDisposition" not in again


# --- CopySource as a string -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["what?.txt", "a%2Fb.txt", "dir/with space+plus.txt"])
def test_a_string_copy_source_names_the_key_as_written(s3: Any, key: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"source")
    s3.put_object(Bucket=BUCKET, Key="a/b.txt", Body=b"decoy")  # what %2F would decode to

    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/{key}")

    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == b"source"


def test_a_string_copy_source_takes_the_version_after_version_id(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"source")

    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src?versionId=null")
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket=BUCKET, Key="copy2", CopySource=f"{BUCKET}/src?versionId=3HL4kqtJ")

    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == b"source"
    assert client_error(caught)[0::2] == ("InvalidArgument", 400)


# --- ListObjectsV2 tokens ---------------------------------------------------------------------


def test_list_objects_v2_refuses_an_empty_continuation_token(s3: Any) -> None:
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=BUCKET, ContinuationToken="")

    assert client_error(caught) == (
        "InvalidArgument",
        "The continuation token provided is incorrect",
        400,
    )


def test_list_objects_v2_echoes_start_after_only_without_a_token(s3: Any) -> None:
    for key in ("a", "b", "c", "d"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"")

    first = s3.list_objects_v2(Bucket=BUCKET, StartAfter="a", MaxKeys=1)
    second = s3.list_objects_v2(
        Bucket=BUCKET, StartAfter="a", MaxKeys=1, ContinuationToken=first["NextContinuationToken"]
    )

    assert first["StartAfter"] == "a"
    assert [o["Key"] for o in first["Contents"]] == ["b"]
    assert "StartAfter" not in second
    assert [o["Key"] for o in second["Contents"]] == ["c"]


# --- checksums --------------------------------------------------------------------------------


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def test_put_object_echoes_the_crc32_boto3_sends_by_default(s3: Any) -> None:
    put = s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello")

    assert put["ChecksumCRC32"] == _b64(zlib.crc32(b"hello").to_bytes(4, "big"))
    assert put["ChecksumType"] == "FULL_OBJECT"


def test_put_object_echoes_the_algorithm_asked_for(s3: Any) -> None:
    put = s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello", ChecksumAlgorithm="SHA256")

    assert put["ChecksumSHA256"] == _b64(hashlib.sha256(b"hello").digest())
    assert "ChecksumCRC32" not in put


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("CRC32C", 0xE3069283.to_bytes(4, "big")),
        ("CRC64NVME", 0xAE8B14860A799888.to_bytes(8, "big")),
    ],
)
def test_the_crcs_outside_the_standard_library_give_their_check_values(
    world: World, algorithm: str, expected: bytes
) -> None:
    put = world.call(
        world.admin_credentials(), "s3", "PutObject",
        {"Bucket": BUCKET, "Key": "k", "Body": b"123456789", "ChecksumAlgorithm": algorithm},
    )  # fmt: skip

    assert put[f"Checksum{algorithm}"] == _b64(expected)


def test_a_checksum_that_does_not_match_the_body_is_bad_digest(s3: Any, world: World) -> None:
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello", ChecksumSHA256=_b64(b"x" * 32))

    assert client_error(caught) == (
        "BadDigest",
        "The sha256 you specified did not match the calculated checksum.",
        400,
    )
    assert "k" not in world.state.buckets[BUCKET].objects


def test_get_and_head_object_answer_the_checksum_in_checksum_mode(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello")
    crc = _b64(zlib.crc32(b"hello").to_bytes(4, "big"))

    got = s3.get_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")
    head = s3.head_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")

    assert got["Body"].read() == b"hello"
    assert got["ChecksumCRC32"] == head["ChecksumCRC32"] == crc


# --- DeleteObjects and GetObjectAttributes ----------------------------------------------------


def _user_s3(world: World, *statements: dict[str, Any]) -> Any:
    """An IAM user with these statements, as a boto3 S3 client."""
    admin = world.admin_credentials()
    world.call(admin, "iam", "CreateUser", {"UserName": "dev"})
    world.call(
        admin, "iam", "PutUserPolicy",
        {"UserName": "dev", "PolicyName": "s3", "PolicyDocument": policy_text(*statements)},
    )  # fmt: skip
    key = world.call(admin, "iam", "CreateAccessKey", {"UserName": "dev"})["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("s3")


def test_delete_objects_deletes_each_key_and_reports_each(s3: Any, world: World) -> None:
    for key in ("a", "b"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")

    answer = s3.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never-there"}]}
    )

    assert [d["Key"] for d in answer["Deleted"]] == ["a", "b", "never-there"]
    assert "Errors" not in answer
    assert world.state.buckets[BUCKET].objects == {}


def test_delete_objects_reports_a_denied_key_and_deletes_the_others(s3: Any, world: World) -> None:
    for key in ("tmp/a", "keep/b"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    dev = _user_s3(
        world,
        {
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/tmp/*",
        },
    )

    answer = dev.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/b"}]}
    )
    quiet = dev.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "tmp/z"}], "Quiet": True})

    assert answer["Deleted"] == [{"Key": "tmp/a"}]
    assert answer["Errors"] == [
        {"Key": "keep/b", "Code": "AccessDenied", "Message": "Access Denied"}
    ]
    assert "Deleted" not in quiet
    assert "Errors" not in quiet
    assert sorted(world.state.buckets[BUCKET].objects) == ["keep/b"]


def test_delete_objects_refuses_an_empty_list_as_s3_refuses_its_xml(world: World) -> None:
    with pytest.raises(AwsError) as caught:
        world.call(
            world.admin_credentials(), "s3", "DeleteObjects",
            {"Bucket": BUCKET, "Delete": {"Objects": []}},
        )  # fmt: skip

    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_get_object_attributes_answers_the_attributes_asked_for(s3: Any, world: World) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello")

    answer = s3.get_object_attributes(
        Bucket=BUCKET, Key="k", ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"]
    )
    only_size = s3.get_object_attributes(Bucket=BUCKET, Key="k", ObjectAttributes=["ObjectSize"])

    assert answer["ETag"] == hashlib.md5(b"hello").hexdigest()
    assert answer["ObjectSize"] == 5
    assert answer["StorageClass"] == "STANDARD"
    assert answer["Checksum"]["ChecksumCRC32"] == _b64(zlib.crc32(b"hello").to_bytes(4, "big"))
    assert answer["LastModified"] == world.now
    assert "ETag" not in only_size
    assert only_size["ObjectSize"] == 5


def test_get_object_attributes_needs_its_own_action_besides_get_object(
    s3: Any, world: World
) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello")
    dev = _user_s3(
        world, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    )

    dev.get_object(Bucket=BUCKET, Key="k")
    with pytest.raises(ClientError) as caught:
        dev.get_object_attributes(Bucket=BUCKET, Key="k", ObjectAttributes=["ObjectSize"])

    code, message, status = client_error(caught)
    assert (code, status) == ("AccessDenied", 403)
    assert "s3:GetObjectAttributes" in message


# --- errors' further fields, as S3 sends them -----------------------------------------------


def _error(raised: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    error: dict[str, Any] = raised.value.response["Error"]
    return error


def test_no_such_key_names_the_key(s3: Any) -> None:
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="reports/missing.csv")

    assert _error(raised)["Key"] == "reports/missing.csv"


def test_no_such_bucket_names_the_bucket(s3: Any) -> None:
    with pytest.raises(ClientError) as raised:
        s3.list_objects_v2(Bucket="nobody-made-this-bucket")

    assert _error(raised)["BucketName"] == "nobody-made-this-bucket"


def test_bucket_not_empty_names_the_bucket(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")

    with pytest.raises(ClientError) as raised:
        s3.delete_bucket(Bucket=BUCKET)

    assert _error(raised)["BucketName"] == BUCKET


def test_invalid_argument_names_the_argument_and_its_value(s3: Any) -> None:
    with pytest.raises(ClientError) as raised:
        s3.list_objects_v2(Bucket=BUCKET, ContinuationToken="")

    error = _error(raised)
    assert (error["Code"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument",
        "continuation-token",
        "",
    )


def test_an_unsatisfiable_range_names_the_range_and_the_objects_size(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")

    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=20-30")

    error = _error(raised)
    assert (error["RangeRequested"], error["ActualObjectSize"]) == ("bytes=20-30", "10")


def test_entity_too_large_gives_the_proposed_and_the_allowed_size(s3: Any) -> None:
    from simulator.services.s3 import MAX_OBJECT_SIZE

    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key="big", Body=b"x" * (MAX_OBJECT_SIZE + 1))

    error = _error(raised)
    assert (error["ProposedSize"], error["MaxSizeAllowed"]) == (
        str(MAX_OBJECT_SIZE + 1),
        str(MAX_OBJECT_SIZE),
    )


# --- what an object keeps beside its body ---------------------------------------------------


def test_user_metadata_comes_back_from_get_and_head_with_keys_in_lower_case(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x", Metadata={"Owner": "ana", "team": "data"})

    got = s3.get_object(Bucket=BUCKET, Key="k")
    head = s3.head_object(Bucket=BUCKET, Key="k")

    assert got["Metadata"] == head["Metadata"] == {"owner": "ana", "team": "data"}


def test_storage_class_encoding_and_redirect_are_kept_and_standard_is_not_shown(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET, Key="ia", Body=b"x", StorageClass="STANDARD_IA", ContentEncoding="gzip",
        WebsiteRedirectLocation="/elsewhere.html",
    )  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key="std", Body=b"x")

    head = s3.head_object(Bucket=BUCKET, Key="ia")
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}

    assert (head["StorageClass"], head["ContentEncoding"], head["WebsiteRedirectLocation"]) == (
        "STANDARD_IA", "gzip", "/elsewhere.html",
    )  # fmt: skip
    assert "StorageClass" not in s3.head_object(Bucket=BUCKET, Key="std")
    assert listed == {"ia": "STANDARD_IA", "std": "STANDARD"}


def test_an_unknown_storage_class_is_refused(s3: Any) -> None:
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x", StorageClass="COLD")

    assert client_error(raised)[0] == "InvalidStorageClass"


def test_an_archived_object_cannot_be_read_until_restored(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="old", Body=b"x", StorageClass="GLACIER")

    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="old")

    assert client_error(raised)[:2] == (
        "InvalidObjectState",
        "The operation is not valid for the object's storage class",
    )
    assert s3.head_object(Bucket=BUCKET, Key="old")["StorageClass"] == "GLACIER"


def test_user_metadata_over_2_kb_is_refused(s3: Any) -> None:
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x", Metadata={"note": "n" * 2100})

    assert client_error(raised)[0] == "MetadataTooLarge"


def test_copy_keeps_the_sources_metadata_by_default(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET, Key="src", Body=b"x", Metadata={"owner": "ana"}, ContentType="text/csv",
        ContentEncoding="gzip", StorageClass="STANDARD_IA", WebsiteRedirectLocation="/r.html",
    )  # fmt: skip

    s3.copy_object(Bucket=BUCKET, Key="dst", CopySource=f"{BUCKET}/src")
    head = s3.head_object(Bucket=BUCKET, Key="dst")

    assert (head["Metadata"], head["ContentType"], head["ContentEncoding"]) == (
        {"owner": "ana"}, "text/csv", "gzip",
    )  # fmt: skip
    # The storage class is STANDARD unless asked for; the redirect is never copied.
    assert "StorageClass" not in head
    assert "WebsiteRedirectLocation" not in head


def test_copy_with_replace_takes_the_requests_metadata(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"x", Metadata={"owner": "ana"})

    s3.copy_object(
        Bucket=BUCKET, Key="src", CopySource=f"{BUCKET}/src", MetadataDirective="REPLACE",
        Metadata={"owner": "ben"}, StorageClass="ONEZONE_IA",
    )  # fmt: skip
    head = s3.head_object(Bucket=BUCKET, Key="src")

    assert (head["Metadata"], head["StorageClass"]) == ({"owner": "ben"}, "ONEZONE_IA")


def test_an_object_saved_before_these_fields_existed_loads_with_their_defaults() -> None:
    from simulator.model import S3Object
    from simulator.serde import from_json, to_json

    saved = to_json(S3Object(key="k", body=b"x", etag='"e"', last_modified=datetime.now(UTC)))
    for name in ("metadata", "storage_class", "content_encoding", "website_redirect_location"):
        del saved[name]

    loaded = from_json(S3Object, saved)

    assert (loaded.metadata, loaded.storage_class, loaded.content_encoding) == (
        {},
        "STANDARD",
        None,
    )
