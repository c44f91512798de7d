"""boto3 and botocore as the simulated account meets them: sessions, and parameter checks.

    boto.session(world)                      # a boto3.Session acting as the account's admin
    boto.instance_session(world, "i-...")    # as software on that instance: its credential chain
    boto.param_error("iam", "CreateUser", {})  # botocore's ParamValidationError text, or None

A session is a real `boto3.Session` answered by the account in-process through botocore's
event hooks, as botocore's own `Stubber` does: `before-parameter-build` captures the parameters
the caller passed (after which botocore validates them against the service model and
serializes them), and `before-call` answers with `Account.call`'s response instead of sending
anything. Errors come back as real `botocore.exceptions.ClientError`s with AWS's code, status
and message. No request ever leaves the process: the HTTP layer is never reached.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ParamValidationError
from botocore.response import StreamingBody
from botocore.validate import validate_parameters

from simulator.authenticate import Credentials
from simulator.errors import AwsError
from simulator.services import instances

if TYPE_CHECKING:
    from simulator.account import Account

__all__ = [
    "instance_session",
    "make_session",
    "param_error",
    "service_model",
    "session",
    "shared_loader",
]

_PARAMS = "rolecall_params"
_HEAD_REASONS = {301: "Moved Permanently", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


def session(
    world: Account,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    session_token: str | None = None,
    *,
    source_ip: str | None = None,
) -> boto3.Session:
    """A session with these credentials; with no access key id, the account's admin user's."""
    if access_key_id is None:
        credentials = world.admin_credentials()
    else:
        credentials = Credentials(access_key_id, secret_access_key or "", session_token)
    return make_session(world, credentials, source_ip=source_ip)


def instance_session(world: Account, instance_id: str) -> boto3.Session:
    """AWS as software on that instance sees it: the SDK's default credential chain there,
    calling from the instance's address. Raises AwsError("NoCredentialsError") when the chain
    finds nothing, as the SDK raises botocore's NoCredentialsError."""
    found = instances.resolve_credentials(world, instance_id)
    if found is None:
        raise AwsError(
            "NoCredentialsError",
            "Unable to locate credentials on this instance: no environment variables, no "
            "~/.aws/credentials, and no instance profile role.",
            400,
        )
    credentials, _source = found
    return make_session(world, credentials, source_ip=instances.source_ip(world, instance_id))


def make_session(
    world: Account, credentials: Credentials, *, source_ip: str | None
) -> boto3.Session:
    """A boto3.Session whose every call goes to `world.call` with `credentials`."""
    core = botocore.session.Session()
    # One loader for every session: botocore's service models are read from disk once.
    core.register_component("data_loader", shared_loader())
    core.set_config_variable("region", world.region)
    # Never read the host's ~/.aws files or environment for anything that matters here.
    core.set_config_variable("credentials_file", "/dev/null")
    core.set_config_variable("config_file", "/dev/null")
    made = boto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        region_name=world.region,
        botocore_session=core,
    )

    def capture(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    def answer(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        service = model.service_model.service_name
        operation = model.name
        captured = context.get(_PARAMS, {})
        try:
            result = world.call(credentials, service, operation, captured, source_ip=source_ip)
        except AwsError as error:
            return _error_response(error, operation)
        return _success_response(model, result)

    events = core.get_component("event_emitter")
    events.register_first("before-parameter-build.*.*", capture, unique_id="rolecall-capture")
    events.register("before-call.*.*", answer, unique_id="rolecall-answer")
    return made


@functools.cache
def shared_loader() -> Any:
    """botocore's model loader, one per process: every session shares the parsed models."""
    return botocore.session.Session().get_component("data_loader")


@functools.cache
def service_model(service: str) -> Any:
    """botocore's model of `service` (its operations and their shapes), loaded once."""
    session = botocore.session.Session()
    session.register_component("data_loader", shared_loader())
    return session.get_service_model(service)


def param_error(service: str, operation: str, params: Mapping[str, Any]) -> str | None:
    """The message boto3 would raise (botocore's ParamValidationError) for these parameters,
    or None when they are valid: the console and scenario validation check every call with
    it before it is made, as a boto3 client would.

    Raises botocore's UnknownServiceError for an unknown service and its
    OperationNotFoundError (a KeyError) for an operation the service does not have.
    """
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return None  # an operation without input: a client checks nothing (and sends nothing)
    try:
        validate_parameters(dict(params), shape)
    except ParamValidationError as error:
        return str(error)
    return None


def _success_response(model: Any, result: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = dict(result)
    output = model.output_shape
    if output is not None:
        for name, member in output.members.items():
            if member.type_name == "blob" and member.serialization.get("streaming"):
                data = parsed.get(name, b"")
                if isinstance(data, str):
                    data = data.encode()
                parsed[name] = StreamingBody(io.BytesIO(data), len(data))
    parsed.setdefault("ResponseMetadata", {})
    parsed["ResponseMetadata"].update(
        {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
    )
    return AWSResponse("https://rolecall.invalid", 200, {}, None), parsed


def _error_response(error: AwsError, operation: str) -> tuple[AWSResponse, dict[str, Any]]:
    code, message = error.code, error.message
    if operation.startswith("Head"):
        # A HEAD response has no body: the SDK shows the status and its reason only.
        code, message = str(error.status), _HEAD_REASONS.get(error.status, "Error")
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": error.status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse("https://rolecall.invalid", error.status, {}, None), parsed
