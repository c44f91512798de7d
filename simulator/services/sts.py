"""AWS STS: GetCallerIdentity, AssumeRole, DecodeAuthorizationMessage."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from simulator.account import Call, operation
from simulator.errors import AwsError
from simulator.iam import Policy, PolicyGrammarError, PolicyKind
from simulator.model import StsSession

__all__ = ["assume_role", "decode_authorization_message", "get_caller_identity"]

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
SESSION_POLICY_LIMIT = 2048


@operation("sts", "GetCallerIdentity")
def get_caller_identity(call: Call) -> dict[str, Any]:
    """Needs no permission: answered for any valid credentials, even under an explicit Deny."""
    caller = call.caller
    return {"UserId": caller.principal_id, "Account": caller.account_id, "Arn": caller.arn}


def _role_from_arn(call: Call, arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    if parts[4] != call.state.account_id:
        return None
    name = parts[5].rsplit("/", 1)[-1]
    role = call.state.roles.get(name)
    return name if role is not None and role.arn == arn else None


@operation("sts", "AssumeRole")
def assume_role(call: Call) -> dict[str, Any]:
    params = call.params
    role_arn: str = params["RoleArn"]
    session_name: str = params["RoleSessionName"]
    if len(session_name) > 64:
        # The length constraint is reported before the pattern, as AWS and botocore's model
        # order them (roleSessionNameType: min 2, max 64, pattern [\w+=,.@-]*). Both come
        # before authorization: AWS's front end checks a request's members against the
        # model before the service decides who may do what ("1 validation error detected").
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must have length less than or equal to 64",
            400,
        )
    if len(session_name) < 2:  # botocore refuses it first; a call made without botocore meets this
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must have length greater than or equal to 2",
            400,
        )
    if not _SESSION_NAME.match(session_name):
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
            r"satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
            400,
        )
    role_name = _role_from_arn(call, role_arn)
    role = call.state.roles.get(role_name) if role_name else None
    # The trust policy is the resource policy; it must name the caller (iam-facts §1).
    call.authorize(
        "sts:AssumeRole",
        role_arn,
        resource_policy=role.trust_policy if role is not None else None,
        context={"sts:RoleSessionName": session_name},
    )
    if role is None:  # an unknown role is AccessDenied above: no trust policy allows anyone
        raise AwsError("AccessDenied", f"Not authorized to assume {role_arn}", 403)
    duration = int(params.get("DurationSeconds", 3600))
    limit = role.max_session_duration
    if call.caller.session is not None and call.caller.session.source == "AssumeRole":
        limit = 3600  # role chaining: one hour at most
    if duration > limit:
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        )
    session_policy = _session_policy(call, params)
    now = call.state.now
    key_id = call.new_id("ASIA")
    session = StsSession(
        access_key_id=key_id,
        secret_access_key=call.world.new_secret(),
        session_token=call.world.new_secret(356),
        role_name=role.name,
        session_name=session_name,
        issued=now,
        expiration=now + timedelta(seconds=duration),
        session_policy=session_policy,
        source="AssumeRole",
        caller_arn=call.caller.arn,
    )
    call.state.sessions[key_id] = session
    response: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.session_token,
            "Expiration": session.expiration,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.role_id}:{session_name}",
            "Arn": f"arn:aws:sts::{call.state.account_id}:assumed-role/{role.name}/{session_name}",
        },
    }
    if session_policy is not None:
        response["PackedPolicySize"] = max(1, len(session_policy) * 100 // SESSION_POLICY_LIMIT)
    return response


def _session_policy(call: Call, params: dict[str, Any]) -> str | None:
    """The inline Policy and any PolicyArns, taken together as one session policy."""
    statements: list[Any] = []
    text = params.get("Policy")
    if text is not None:
        if len("".join(text.split())) > SESSION_POLICY_LIMIT:
            raise AwsError(
                "PackedPolicyTooLarge",
                "Packed size of the session policy exceeds the limit of 2048 characters.",
                400,
            )
        try:
            policy = Policy.from_json(text, kind=PolicyKind.SESSION)
        except PolicyGrammarError as error:
            raise AwsError("MalformedPolicyDocument", error.message, 400) from None
        statements.extend(statement.to_dict() for statement in policy.statements)
    for item in params.get("PolicyArns") or []:
        managed = call.world.managed_policy(item["arn"])
        if managed is None:
            raise AwsError("InvalidParameterValue", f"Policy {item['arn']} does not exist.", 400)
        document = json.loads(managed.default_document())
        body = document["Statement"]
        statements.extend(body if isinstance(body, list) else [body])
    if text is None and not params.get("PolicyArns"):
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@operation("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(call: Call) -> dict[str, Any]:
    call.authorize("sts:DecodeAuthorizationMessage", "*")
    message = call.state.authorization_messages.get(call.params["EncodedMessage"])
    if message is None:
        raise AwsError(
            "InvalidAuthorizationMessageException",
            "The error message is invalid or has expired.",
            400,
        )
    return {"DecodedMessage": json.dumps(message)}
