"""simulator/boto.py: botocore's parameter check, as the console and scenario validation use it."""

import pytest
from botocore import xform_name
from botocore.exceptions import ParamValidationError, UnknownServiceError
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
