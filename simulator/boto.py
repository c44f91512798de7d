"""Real boto3 sessions answered by the World, in-process, through botocore's event hooks.

As botocore's own `Stubber` does: `before-parameter-build` captures the parameters the caller
passed (after which botocore validates them against the service model and serializes them),
and `before-call` answers with the World's response instead of sending anything. Errors come
back as real `botocore.exceptions.ClientError`s with AWS's code, status and message. No request
ever leaves the process: the HTTP layer is never reached.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from simulator.errors import AwsError

if TYPE_CHECKING:
    from simulator.world import Credentials, World

__all__ = ["make_session", "param_error", "shared_loader"]

_PARAMS = "rolecall_params"
_HEAD_REASONS = {301: "Moved Permanently", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


def make_session(world: World, credentials: Credentials, *, source_ip: str | None) -> boto3.Session:
    core = botocore.session.Session()
    # One loader for every session: botocore's service models are read from disk once.
    core.register_component("data_loader", shared_loader())
    core.set_config_variable("region", world.region)
    # Never read the host's ~/.aws files or environment for anything that matters here.
    core.set_config_variable("credentials_file", "/dev/null")
    core.set_config_variable("config_file", "/dev/null")
    session = boto3.Session(
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
            return _error_response(error, operation, world)
        return _success_response(model, result)

    events = core.get_component("event_emitter")
    events.register_first("before-parameter-build.*.*", capture, unique_id="rolecall-capture")
    events.register("before-call.*.*", answer, unique_id="rolecall-answer")
    return session


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
    it before it is made, as a boto3 client would."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    try:
        shape = service_model(service).operation_model(operation).input_shape
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


def _error_response(
    error: AwsError, operation: str, world: World
) -> tuple[AWSResponse, dict[str, Any]]:
    code, message = error.code, error.message
    if operation.startswith("Head"):
        # A HEAD response has no body: the SDK shows the status and its reason only.
        code, message = str(error.status), _HEAD_REASONS.get(error.status, "Error")
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": error.status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse("https://rolecall.invalid", error.status, {}, None), parsed
