"""simulator/boto.py: botocore's parameter check, as the console and scenario validation use it."""

import re
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError, UnknownServiceError
from botocore.model import OperationNotFoundError

from simulator import World
from simulator.boto import param_error, service_model


def test_valid_parameters_have_no_error() -> None:
    assert param_error("iam", "CreateUser", {"UserName": "alice"}) is None


def test_a_missing_parameter_is_botocores_message() -> None:
    assert param_error("iam", "CreateUser", {}) == (
        'Parameter validation failed:\nMissing required parameter in input: "UserName"'
    )


def test_every_problem_is_reported_at_once() -> None:
    message = param_error("iam", "CreateUser", {"UserName": 5, "Colour": "red"})

    assert message is not None
    assert 'Unknown parameter in input: "Colour"' in message
    assert "Invalid type for parameter UserName, value: 5" in message


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("iam", "CreateUser", {}),
        ("iam", "CreateUser", {"UserName": 5, "Colour": "red"}),
        ("s3", "GetObject", {"Bucket": "reports"}),
        (
            "sts",
            "AssumeRole",
            {"RoleArn": "arn:aws:iam::111122223333:role/R", "DurationSeconds": "1"},
        ),
    ],
    ids=["missing", "unknown-and-mistyped", "s3-missing-key", "sts-wrong-type"],
)
def test_the_message_is_the_one_a_boto3_client_raises(
    service: str, operation: str, params: dict[str, object]
) -> None:
    client = World.new().session().client(service)
    method = getattr(client, xform_name(operation))

    with pytest.raises(ParamValidationError) as raised:
        method(**params)

    assert param_error(service, operation, params) == str(raised.value)


def test_an_operation_without_input_takes_no_parameters() -> None:
    assert param_error("sts", "GetCallerIdentity", {}) is None


def test_an_unknown_service_or_operation_raises_botocores_errors() -> None:
    with pytest.raises(UnknownServiceError):
        param_error("nosuchservice", "DoThing", {})
    with pytest.raises(OperationNotFoundError):
        param_error("iam", "DoThing", {})


def test_the_service_model_is_loaded_once() -> None:
    assert service_model("iam") is service_model("iam")
    assert "CreateUser" in service_model("iam").operation_names


# --- responses as botocore parses the service's HTTP answer ----------------------------------


def _s3_with_object() -> Any:
    s3 = World.new().session().client("s3")
    s3.create_bucket(Bucket="answers")
    s3.put_object(Bucket="answers", Key="k", Body=b"hello", ContentType="text/plain")
    return s3


@pytest.mark.parametrize(
    "call",
    [
        lambda s3: s3.delete_object(Bucket="answers", Key="k"),
        lambda s3: s3.delete_bucket_policy(Bucket="answers"),
        lambda s3: (
            s3.delete_object(Bucket="answers", Key="k"),
            s3.delete_bucket(Bucket="answers"),
        )[1],
    ],
    ids=["DeleteObject", "DeleteBucketPolicy", "DeleteBucket"],
)
def test_s3_deletes_answer_204_no_content(call: Any) -> None:
    assert call(_s3_with_object())["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_a_ranged_read_answers_206_partial_content() -> None:
    s3 = _s3_with_object()

    ranged = s3.get_object(Bucket="answers", Key="k", Range="bytes=0-1")
    whole = s3.get_object(Bucket="answers", Key="k")

    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_response_headers_are_the_output_members_botocore_reads_from_headers() -> None:
    s3 = _s3_with_object()
    s3.put_object(Bucket="answers", Key="m", Body=b"x", Metadata={"Owner": "ana"})

    headers = s3.head_object(Bucket="answers", Key="m")["ResponseMetadata"]["HTTPHeaders"]

    assert headers["content-type"] == "binary/octet-stream"
    assert headers["content-length"] == "1"
    assert headers["etag"] == '"9dd4e461268c8034f5c8564e155c67a6"'
    assert headers["last-modified"].endswith(" GMT")  # RFC 7231's HTTP-date
    assert headers["x-amz-meta-owner"] == "ana"


def test_every_response_carries_a_request_id_in_metadata_and_headers() -> None:
    s3 = _s3_with_object()

    metadata = s3.list_objects_v2(Bucket="answers")["ResponseMetadata"]
    iam = World.new().session().client("iam").list_users()["ResponseMetadata"]

    assert re.fullmatch(r"[0-9A-F]{16}", metadata["RequestId"])
    assert metadata["HTTPHeaders"]["x-amz-request-id"] == metadata["RequestId"]
    assert metadata["HostId"] == metadata["HTTPHeaders"]["x-amz-id-2"]
    assert iam["HTTPHeaders"]["x-amzn-requestid"] == iam["RequestId"]


def test_an_errors_extra_fields_reach_the_parsed_error() -> None:
    s3 = _s3_with_object()

    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket="answers", Key="missing")

    error = raised.value.response["Error"]
    assert error == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "missing",
    }
    assert raised.value.response["ResponseMetadata"]["RequestId"]


def test_a_head_error_has_no_body_and_so_no_extra_fields() -> None:
    s3 = _s3_with_object()

    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket="answers", Key="missing")

    assert raised.value.response["Error"] == {"Code": "404", "Message": "Not Found"}
