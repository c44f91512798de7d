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

import base64
import email.utils
import functools
import hashlib
import http.client
import io
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
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
            return _error_response(error, operation, service=service)
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
    """botocore's parsed answer for `result`, as the service's HTTP response would give it.

    The status is the one the service model gives the operation (S3's deletes answer 204 No
    Content, botocore's `http.responseCode`), or 206 Partial Content for a read of a part or a
    range (S3 API Reference, GetObject: the response carries Content-Range). ResponseMetadata
    carries a request id, and HTTPHeaders the output members botocore reads from headers
    (location "header", and "headers" for S3's x-amz-meta-* user metadata), as botocore lists
    them: names in lower case.
    """
    parsed = dict(result)
    output = model.output_shape
    status = 206 if "ContentRange" in result else model.http.get("responseCode", 200)
    request_id = _request_id(model.service_model.service_name)
    headers: dict[str, str] = {}
    if output is not None:
        for name, member in output.members.items():
            if member.type_name == "blob" and member.serialization.get("streaming"):
                data = parsed.get(name, b"")
                if isinstance(data, str):
                    data = data.encode()
                parsed[name] = StreamingBody(io.BytesIO(data), len(data))
            elif name in result:
                headers.update(_headers(member, result[name]))
    headers.update(_request_id_headers(model.service_model.service_name, request_id))
    parsed.setdefault("ResponseMetadata", {})
    parsed["ResponseMetadata"].update(
        {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": headers,
         "RetryAttempts": 0}
    )  # fmt: skip
    if "x-amz-id-2" in headers:
        parsed["ResponseMetadata"]["HostId"] = headers["x-amz-id-2"]
    return AWSResponse("https://rolecall.invalid", status, headers, None), parsed


def _request_id(service: str) -> str:
    """A new request id as the service writes them: S3's are 16 upper-case hex digits, the
    others' a UUID (as in the examples of the S3 and IAM API references)."""
    if service == "s3":
        return secrets.token_hex(8).upper()
    return str(uuid.uuid4())


def _request_id_headers(service: str, request_id: str) -> dict[str, str]:
    """S3 sends its request id in x-amz-request-id and an extended one in x-amz-id-2 (S3 API
    Reference, "Common response headers"); the other services here, in x-amzn-requestid."""
    if service == "s3":
        host_id = base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode("ascii")
        return {"x-amz-request-id": request_id, "x-amz-id-2": host_id}
    return {"x-amzn-requestid": request_id}


def _headers(member: Any, value: Any) -> dict[str, str]:
    """The HTTP headers an output member travels in, or none for one in the body."""
    location = member.serialization.get("location")
    name = member.serialization.get("name", member.name)
    if location == "headers" and isinstance(value, Mapping):
        return {f"{name}{key}".lower(): str(item) for key, item in value.items()}
    if location != "header" or value is None:
        return {}
    return {name.lower(): _header_value(member, value)}


def _header_value(member: Any, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if member.serialization.get("timestampFormat") == "iso8601":
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        # A header's timestamps are RFC 7231's HTTP-date unless the model says otherwise.
        return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)
    return str(value)


def _error_response(
    error: AwsError, operation: str, *, service: str | None = None
) -> tuple[AWSResponse, dict[str, Any]]:
    """botocore's parsed error: Code, Message and the service's further fields (S3's Key,
    BucketName...), which a HEAD response cannot carry, having no body."""
    code, message = error.code, error.message
    fields: dict[str, str] = dict(error.fields)
    if operation.startswith("Head"):
        # A HEAD response has no body: the SDK shows the status and its reason only, taken from
        # http.client.responses as botocore's parsers do (_do_generic_error_parse).
        code, message = str(error.status), http.client.responses.get(error.status, "")
        fields = {}
    metadata: dict[str, Any] = {"HTTPStatusCode": error.status, "HTTPHeaders": {}}
    if service is not None:
        request_id = _request_id(service)
        metadata["RequestId"] = request_id
        metadata["HTTPHeaders"] = _request_id_headers(service, request_id)
        if service == "s3":
            metadata["HostId"] = metadata["HTTPHeaders"]["x-amz-id-2"]
    metadata["RetryAttempts"] = 0
    parsed = {"Error": {"Code": code, "Message": message, **fields}, "ResponseMetadata": metadata}
    headers = metadata["HTTPHeaders"]
    return AWSResponse("https://rolecall.invalid", error.status, headers, None), parsed
