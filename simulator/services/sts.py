"""AWS STS: GetCallerIdentity, AssumeRole, DecodeAuthorizationMessage."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from simulator.account import Account, Call, operation
from simulator.errors import AwsError
from simulator.iam import Policy, PolicyGrammarError, PolicyKind
from simulator.model import Role, StsSession

__all__ = ["assume_role", "decode_authorization_message", "get_caller_identity"]

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]+$")
_SOURCE_IDENTITY = re.compile(r"^[\w+=,.@-]+$")
SESSION_POLICY_LIMIT = 2048


@operation("sts", "GetCallerIdentity")
def get_caller_identity(call: Call) -> dict[str, Any]:
    """Needs no permission: answered for any valid credentials, even under an explicit Deny."""
    caller = call.caller
    return {"UserId": caller.principal_id, "Account": caller.account_id, "Arn": caller.arn}


def _role_from_arn(call: Call, arn: str) -> tuple[Account | None, Role | None]:
    """The account the ARN names (if the world holds it) and its role (if it exists)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None, None
    owner = call.world.account_by_id(parts[4])
    if owner is None:
        return None, None
    role = owner.state.roles.get(parts[5].rsplit("/", 1)[-1])
    return owner, role if role is not None and role.arn == arn else None


def _resource_account(arn: str, default: str) -> str:
    """The account an ARN names (the role's, for AssumeRole), or `default` if it names none."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else default


def _assume_role_context(params: dict[str, Any], role: Role | None) -> dict[str, Any]:
    """The request context AssumeRole's parameters add (IUG reference_policies_iam-condition-keys,
    Available keys for AWS STS; IUG id_session-tags, Permissions required to add session tags):

    - sts:RoleSessionName, always;
    - sts:ExternalId "when the principal provides an external ID", so a trust policy requiring
      it denies a caller who gives none or another;
    - sts:SourceIdentity when the caller sets a source identity;
    - aws:RequestTag/<key> for each session tag, aws:TagKeys (their keys, multivalued) and
      sts:TransitiveTagKeys when the caller passes tags or transitive keys;
    - aws:ResourceTag/<key> for the role's own tags (the role is the resource).
    """
    context: dict[str, Any] = {"sts:RoleSessionName": params["RoleSessionName"]}
    if "ExternalId" in params:
        context["sts:ExternalId"] = params["ExternalId"]
    if "SourceIdentity" in params:
        context["sts:SourceIdentity"] = params["SourceIdentity"]
    tags = params.get("Tags") or []
    for tag in tags:
        context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
    if tags:
        context["aws:TagKeys"] = [tag["Key"] for tag in tags]
    if params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    if role is not None:
        for key, value in role.tags.items():
            context[f"aws:ResourceTag/{key}"] = value
    return context


def _check_pattern(
    value: str, member: str, pattern: re.Pattern[str], shown: str, most: int
) -> None:
    """STS's ValidationError for a parameter longer than its limit or outside its pattern
    (botocore checks only the minimum length): the length first, as for roleSessionName."""
    if len(value) > most:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must have length less than or equal to {most}",
            400,
        )
    if not pattern.match(value):
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {shown}",
            400,
        )


@operation("sts", "AssumeRole")
def assume_role(call: Call) -> dict[str, Any]:
    """A role of this account or of another the world holds (a cross-account AssumeRole: the
    caller's identity policies and the role's trust policy must both allow, as the engine
    decides for a request whose principal and resource are in different accounts; IUG
    reference_policies_evaluation-logic-cross-account). The session lives in the role's
    account; the call is logged in the caller's account and, across accounts, in the role's
    too (IUG cloudtrail-integration, Logging sign-in events for temporary credentials; AWS
    records a denied attempt in the role's account as well [UNCERTAIN: only the successful
    case is described there])."""
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
    # botocore's model: externalIdType 2..1224 [\w+=,.@:\/-]*; sourceIdentityType 2..256
    # [\w+=,.@-]* (and the IUG's sts:ExternalId entry states the same characters).
    if "ExternalId" in params:
        _check_pattern(params["ExternalId"], "externalId", _EXTERNAL_ID, r"[\w+=,.@:\/-]*", 1224)
    if "SourceIdentity" in params:
        _check_pattern(
            params["SourceIdentity"], "sourceIdentity", _SOURCE_IDENTITY, r"[\w+=,.@-]*", 256
        )
    owner, role = _role_from_arn(call, role_arn)
    if owner is not None and owner is not call.world and role is not None:
        call.also_recorded_in = owner
    resource_account = _resource_account(role_arn, call.state.account_id)
    trust = role.trust_policy if role is not None else None
    context = _assume_role_context(params, role)
    # The trust policy is the resource policy; it must name the caller (iam-facts §1).
    call.authorize(
        "sts:AssumeRole",
        role_arn,
        resource_policy=trust,
        context=context,
        resource_account=resource_account,
    )
    if role is None or owner is None:  # an unknown role is AccessDenied above: no trust policy
        raise AwsError("AccessDenied", f"Not authorized to assume {role_arn}", 403)
    # "In addition to the action that matches the API operation", passing session tags needs
    # sts:TagSession (IUG id_session-tags) and setting a source identity sts:SetSourceIdentity
    # (IUG reference_policies_iam-condition-keys, sts:SourceIdentity), both in the trust policy
    # (and, across accounts, in the caller's identity policies).
    if params.get("Tags") or params.get("TransitiveTagKeys"):
        call.authorize(
            "sts:TagSession",
            role_arn,
            resource_policy=trust,
            context=context,
            resource_account=resource_account,
        )
    if "SourceIdentity" in params:
        call.authorize(
            "sts:SetSourceIdentity",
            role_arn,
            resource_policy=trust,
            context=context,
            resource_account=resource_account,
        )
    duration = int(params.get("DurationSeconds", 3600))
    limit = role.max_session_duration
    previous = call.caller.session
    if previous is not None and previous.source == "AssumeRole":
        limit = 3600  # role chaining: one hour at most
    if duration > limit:
        raise AwsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        )
    session_policy = _session_policy(call, params)
    tags, transitive = _session_tags(params, previous)
    # A source identity "cannot be changed" once set and "persists into subsequent role
    # sessions" (IUG reference_policies_iam-condition-keys, sts:SourceIdentity).
    source_identity = params.get("SourceIdentity")
    if previous is not None and previous.source_identity is not None:
        source_identity = previous.source_identity
    now = call.state.now
    key_id = owner.new_id("ASIA")
    session = StsSession(
        access_key_id=key_id,
        secret_access_key=owner.new_secret(),
        session_token=owner.new_secret(356),
        role_name=role.name,
        session_name=session_name,
        issued=now,
        expiration=now + timedelta(seconds=duration),
        session_policy=session_policy,
        source="AssumeRole",
        caller_arn=call.caller.arn,
        source_identity=source_identity,
        tags=tags,
        transitive_tag_keys=transitive,
    )
    owner.state.sessions[key_id] = session
    response: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.session_token,
            "Expiration": session.expiration,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.role_id}:{session_name}",
            "Arn": f"arn:aws:sts::{owner.account_id}:assumed-role/{role.name}/{session_name}",
        },
    }
    if session_policy is not None or tags:
        size = len(session_policy or "") + sum(len(k) + len(v) for k, v in tags.items())
        response["PackedPolicySize"] = max(1, size * 100 // SESSION_POLICY_LIMIT)
    if source_identity is not None:
        response["SourceIdentity"] = source_identity
    return response


def _session_tags(
    params: dict[str, Any], previous: StsSession | None
) -> tuple[dict[str, str], list[str]]:
    """The new session's tags and transitive keys: the caller's incoming transitive tags (from
    a previous session in a role chain), then the tags passed now (IUG id_session-tags,
    Chaining roles with session tags). [UNCERTAIN] AWS refuses a passed tag that would
    override an inherited transitive one ("the operation will fail"); its error is not
    documented, so here the inherited value is kept."""
    tags: dict[str, str] = {}
    transitive: list[str] = []
    if previous is not None:
        for key in previous.transitive_tag_keys:
            if key in previous.tags:
                tags[key] = previous.tags[key]
                transitive.append(key)
    inherited = {key.lower() for key in tags}
    for tag in params.get("Tags") or []:
        if tag["Key"].lower() not in inherited:
            tags[tag["Key"]] = tag["Value"]
    for key in params.get("TransitiveTagKeys") or []:
        if key in tags and key not in transitive:
            transitive.append(key)
    return tags, transitive


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
