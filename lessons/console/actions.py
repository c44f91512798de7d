"""What the console's forms do: each one posts an `action` named in `ACTIONS`, whose handler
returns an `Outcome` (lessons.outcome) and never raises for a bad input.

Every change goes through `attempt.act(...)` (AWS called as the account's admin, or as whom the
console acts as: lessons.console.acting; the policy engine decides) or, for what no API sets (an instance's files and environment, the fleet, the
clock), `attempt.apply(...)`. A form builds the API call's parameters, botocore's own model
validates them (`simulator.boto.param_error`, the message boto3 would raise), and AWS's error
comes back unchanged: code and exact text in the outcome's status. What the learner typed comes
back with it (`Outcome.draft`), to be shown again beside the form (lessons.console.panels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lessons import whatif
from lessons.console import acting
from lessons.outcome import Outcome, Region, Status
from simulator import AwsError, World, aws_managed
from simulator.account import ADMIN
from simulator.boto import param_error
from simulator.iam import PolicyKind
from simulator.iam.findings import validate_policy
from simulator.model import Instance
from simulator.services import instances
from simulator.world import OUTSIDE_IP, Credentials

if TYPE_CHECKING:
    from django.http import QueryDict

    from lessons.models import Attempt

__all__ = ["ACTIONS", "FormError", "Handler", "console_action"]

DEFAULT_IMAGE = "ami-0abcdef1234567890"
DEFAULT_TYPE = "t3.micro"
MAX_DOCUMENT_CHARS = 30_000
MAX_FILE_CHARS = 20_000
MAX_OBJECT_CHARS = 10_000
MAX_ANSWER_CHARS = 4_000
FLEET_TICKS = (1, 5)
CLOCK_STEPS = {60: "1 minute", 3600: "1 hour", 21600: "6 hours"}
# The trust policy of a role "for EC2", as AWS's console writes it.
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
    indent=2,
)
KINDS = {
    "identity": PolicyKind.IDENTITY,
    "trust": PolicyKind.TRUST,
    "resource": PolicyKind.RESOURCE,
}


# --- What a console action answers ------------------------------------------------------------


def _outcome(
    ok: bool,
    message: str,
    error_code: str | None = None,
    error_message: str | None = None,
    *,
    changed: bool = True,
    **extra: Any,
) -> Outcome:
    """A console action's outcome. `changed` is False when nothing was saved (the form could
    not be used, a preview): a refused call is saved too, as an event in the log. Without
    JavaScript a refusal, or anything that saved nothing, shows the page again at once, with
    what was typed."""
    return Outcome(
        Status("done" if ok else "failed", message, error_code or "", error_message or ""),
        Region.CONSOLE,
        world_changed=changed,
        show_again=not ok or not changed,
        **extra,
    )


class FormError(ValueError):
    """A form the console cannot even turn into a call (an unknown instance, a bad path)."""


# --- Reading a form ------------------------------------------------------------------------------

Handler = Callable[["Attempt", "_Form"], Outcome]


def console_action(handler: Handler) -> Callable[[Attempt, QueryDict | Mapping[str, str]], Outcome]:
    """`handler` as the workspace's action table runs it: the posted fields read as a form, an
    input the console cannot use answered in words (FormError), and the outcome told which
    form it answers and, when it did not work, what was typed there."""

    def run(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
        try:
            outcome = handler(attempt, _Form(data))
        except FormError as error:  # the console's own check: nothing reached AWS
            outcome = _outcome(False, str(error), changed=False)
        if outcome.form is None:
            outcome.form = _form_id(data)
        if not outcome.ok and not outcome.draft:
            outcome.draft = _draft(data)
        return outcome

    return run


class _Form:
    """The posted fields, read the way the console needs them."""

    def __init__(self, data: QueryDict | Mapping[str, str]) -> None:
        self.data = data

    def text(self, name: str, *, strip: bool = True, limit: int = 2048) -> str:
        value = self.data.get(name, "")
        text = str(value if value is not None else "").replace("\r\n", "\n")
        if len(text) > limit:
            raise FormError(f"{_label(name)} is {len(text):,} characters long; at most {limit:,}.")
        return text.strip() if strip else text

    def document(self, name: str = "document") -> str:
        return self.text(name, strip=False, limit=MAX_DOCUMENT_CHARS)

    def flag(self, name: str) -> bool:
        return str(self.data.get(name, "")).lower() in ("on", "true", "1", "yes")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _form_id(data: QueryDict | Mapping[str, str]) -> str | None:
    value = str(data.get("form", ""))
    return value if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,120}", value) else None


def _draft(data: QueryDict | Mapping[str, str]) -> dict[str, str]:
    return {
        str(key): str(data.get(key, "")).replace("\r\n", "\n")[:MAX_DOCUMENT_CHARS]
        for key in data
        if key not in ("csrfmiddlewaretoken", "action", "form")
    }


# --- API calls: validated as botocore validates them, then made as the admin --------------------


@dataclass(frozen=True, slots=True)
class _Api:
    """A console form that is one API call."""

    service: str
    operation: str
    build: Callable[[_Form], dict[str, Any]]
    success: Callable[[dict[str, Any], dict[str, Any]], str]  # (params, response) -> message
    document: str | None = None  # the field holding a policy document, for the findings
    kind: PolicyKind = PolicyKind.IDENTITY
    answer: Callable[[dict[str, Any]], str | None] | None = None
    secret: Callable[[dict[str, Any]], str] | None = None  # (response) -> shown once, to copy


def _run_api(api: _Api) -> Handler:
    """The handler of a form that is one API call: build the parameters, validate them as
    botocore would, call AWS as the admin, say how it went (and, for a policy, its findings)."""

    def handler(attempt: Attempt, form: _Form) -> Outcome:
        params = api.build(form)
        findings = None
        if api.document is not None:
            text = str(params.get(api.document, ""))
            findings = tuple(validate_policy(text, policy_type=api.kind))
        problem = param_error(api.service, api.operation, params)
        if problem is not None:
            message = f"{api.operation} was not sent: {problem}"
            return _outcome(False, message, "ParamValidationError", problem, changed=False, findings=findings)  # fmt: skip
        try:
            response, who = _call(attempt, form, api.service, api.operation, params)
        except AwsError as error:
            return _outcome(False, f"{api.operation} failed.", error.code, error.message, findings=findings)  # fmt: skip
        answer = api.answer(response) if api.answer else None
        message = api.success(params, response) + who
        outcome = _outcome(True, message, answer=answer, findings=findings)
        if api.secret is not None:
            outcome.status = replace(outcome.status, secret=api.secret(response))
        return outcome

    return handler


def _call(
    attempt: Attempt, form: _Form, service: str, operation: str, params: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """Call AWS as whom the console acts as (the form's `as`: lessons.console.acting), else as
    the admin; returns the response and, when not the admin, words saying as whom."""
    key = form.text("as", limit=acting.MAX_KEY_CHARS)
    if not key:
        return attempt.act(service, operation, params), ""

    def call(world: World) -> tuple[dict[str, Any], str]:
        found = acting.find(world, key)
        if found is None:
            raise FormError(acting.NOT_HELD)
        choice, credentials = found
        response = world.call(credentials, service, operation, params, source_ip=choice.source_ip)
        return response, f" (as {choice.text})"

    return attempt.apply(call)


def _optional(params: dict[str, Any], **values: Any) -> dict[str, Any]:
    params.update({key: value for key, value in values.items() if value})
    return params


def _role_params(form: _Form) -> dict[str, Any]:
    template = form.text("template") or "ec2"
    trust = EC2_TRUST if template == "ec2" else form.document("document")
    return _optional(
        {"RoleName": form.text("role_name"), "AssumeRolePolicyDocument": trust},
        Description=form.text("description", limit=1000),
    )


def _launch_params(form: _Form) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ImageId": DEFAULT_IMAGE,
        "InstanceType": DEFAULT_TYPE,
        "MinCount": 1,
        "MaxCount": 1,
        "MetadataOptions": {"HttpTokens": form.text("http_tokens") or "required"},
    }
    name = form.text("name", limit=256)
    if name:
        params["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
        ]
    profile = form.text("profile")
    if profile:
        params["IamInstanceProfile"] = {"Name": profile}
    return params


def _policy_arn(form: _Form) -> str:
    """The policy an attach form names: the chosen one, or any AWS managed policy typed by name
    (or ARN) in `aws_policy`. A name AWS does not have becomes its ARN, for IAM to answer
    NoSuchEntity as it would."""
    typed = form.text("aws_policy", limit=2048)
    if not typed:
        return form.text("policy_arn")
    if typed.startswith("arn:"):
        return typed
    entry = aws_managed.entry_named(typed)
    return entry.arn if entry is not None else f"arn:aws:iam::aws:policy/{typed}"


def _boundary_set(name: str, arn: str) -> str:
    # "An entity's permissions boundary allows it to perform only the actions that are allowed
    # by both its identity-based policies and its permissions boundaries"; "Policies that are
    # used as permissions boundaries do not provide permissions" (IAM User Guide,
    # access_policies_boundaries.html; IAM API Reference, PutUserPermissionsBoundary).
    return (
        f"{arn.rsplit('/', 1)[-1]} is now the permissions boundary of {name}: its policies "
        "grant only what this policy allows too."
    )


def _boundary_removed(name: str) -> str:
    return f"Removed the permissions boundary of {name}: its policies alone decide again."


def _whole_number(text: str) -> int | str:
    """A form's number as an int; anything else as typed, for botocore's validator to name."""
    return int(text) if text.isascii() and text.isdigit() else text


def _window_params(form: _Form) -> dict[str, Any]:
    return {
        "Name": form.text("name", limit=128),
        "Schedule": form.text("schedule", limit=256),
        "Duration": _whole_number(form.text("duration")),
        "Cutoff": _whole_number(form.text("cutoff")),
        "AllowUnassociatedTargets": False,
    }


def _task_params(form: _Form) -> dict[str, Any]:
    return _optional(
        {
            "WindowId": form.text("window_id"),
            "TaskArn": form.text("task_arn", limit=1600),
            "TaskType": "RUN_COMMAND",
        },
        ServiceRoleArn=form.text("service_role_arn", limit=2048),
    )


def _secret_message(params: dict[str, Any], response: dict[str, Any]) -> str:
    key = response.get("AccessKey", {})
    return (
        f"Created access key {key.get('AccessKeyId')} for {key.get('UserName')}. Its secret "
        "access key is below: this is the only time it is shown, as on AWS, which never shows "
        "a secret access key again, so copy it now."
    )


def _quoted(text: str, limit: int = 200) -> str:
    """A short quotation of a text, for a status message."""
    text = " ".join(text.split())
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def _object_text(response: dict[str, Any]) -> str | None:
    body = response.get("Body", b"")
    if isinstance(body, str):
        body = body.encode()
    text = bytes(body[:MAX_ANSWER_CHARS]).decode("utf-8", errors="replace")
    return text + ("\n…" if len(body) > MAX_ANSWER_CHARS else "")


def _policy_apis(noun: str, *, of: str = "", boundary: bool = False) -> dict[str, _Api]:
    """A user's, group's or role's (`noun`) policy forms, `console-<noun>-<verb>`: inline
    policies put and deleted, managed policies attached and detached, and for users and roles
    the permissions boundary set and removed. `of` comes before the name in what the form says
    ("group " for a group)."""
    entity = noun.title()  # User, Group, Role: IAM's operation and parameter names
    name, field = f"{entity}Name", f"{noun}_name"

    def named(form: _Form, **more: Any) -> dict[str, Any]:
        return {name: form.text(field), **more}

    apis = {
        "policy-put": _Api(
            "iam",
            f"Put{entity}Policy",
            lambda f: named(f, PolicyName=f.text("policy_name"), PolicyDocument=f.document()),
            lambda p, r: f"Saved inline policy {p['PolicyName']} of {of}{p[name]}.",
            document="PolicyDocument",
        ),
        "policy-delete": _Api(
            "iam",
            f"Delete{entity}Policy",
            lambda f: named(f, PolicyName=f.text("policy_name")),
            lambda p, r: f"Deleted inline policy {p['PolicyName']} of {of}{p[name]}.",
        ),
        "attach": _Api(
            "iam",
            f"Attach{entity}Policy",
            lambda f: named(f, PolicyArn=_policy_arn(f)),
            lambda p, r: f"Attached {p['PolicyArn']} to {of}{p[name]}.",
        ),
        "detach": _Api(
            "iam",
            f"Detach{entity}Policy",
            lambda f: named(f, PolicyArn=f.text("policy_arn")),
            lambda p, r: f"Detached {p['PolicyArn']} from {of}{p[name]}.",
        ),
    }
    if boundary:
        apis["boundary-put"] = _Api(
            "iam",
            f"Put{entity}PermissionsBoundary",
            lambda f: named(f, PermissionsBoundary=_policy_arn(f)),
            lambda p, r: _boundary_set(p[name], p["PermissionsBoundary"]),
        )
        apis["boundary-delete"] = _Api(
            "iam",
            f"Delete{entity}PermissionsBoundary",
            named,
            lambda p, r: _boundary_removed(p[name]),
        )
    return {f"console-{noun}-{verb}": api for verb, api in apis.items()}


API: dict[str, _Api] = {
    # IAM users and access keys
    "console-user-create": _Api(
        "iam", "CreateUser", lambda f: {"UserName": f.text("user_name")},
        lambda p, r: f"Created user {p['UserName']}.",
    ),
    "console-user-delete": _Api(
        "iam", "DeleteUser", lambda f: {"UserName": f.text("user_name")},
        lambda p, r: f"Deleted user {p['UserName']}.",
    ),
    "console-key-create": _Api(
        "iam", "CreateAccessKey", lambda f: {"UserName": f.text("user_name")}, _secret_message,
        secret=lambda r: str(r.get("AccessKey", {}).get("SecretAccessKey", "")),
    ),
    "console-key-status": _Api(
        "iam", "UpdateAccessKey",
        lambda f: {"UserName": f.text("user_name"), "AccessKeyId": f.text("access_key_id"),
                   "Status": f.text("status")},
        lambda p, r: f"Access key {p['AccessKeyId']} is now {p['Status']}.",
    ),
    "console-key-delete": _Api(
        "iam", "DeleteAccessKey",
        lambda f: {"UserName": f.text("user_name"), "AccessKeyId": f.text("access_key_id")},
        lambda p, r: f"Deleted access key {p['AccessKeyId']}.",
    ),
    # user groups: a group's policies apply to every user in it (IAM User Guide, id_groups.html)
    "console-group-create": _Api(
        "iam", "CreateGroup", lambda f: {"GroupName": f.text("group_name")},
        lambda p, r: f"Created group {p['GroupName']}.",
    ),
    "console-group-delete": _Api(
        "iam", "DeleteGroup", lambda f: {"GroupName": f.text("group_name")},
        lambda p, r: f"Deleted group {p['GroupName']}.",
    ),
    "console-group-add-user": _Api(
        "iam", "AddUserToGroup",
        lambda f: {"GroupName": f.text("group_name"), "UserName": f.text("user_name")},
        lambda p, r: (f"Added {p['UserName']} to {p['GroupName']}: the group's policies now "
                      f"apply to {p['UserName']} too."),
    ),
    "console-group-remove-user": _Api(
        "iam", "RemoveUserFromGroup",
        lambda f: {"GroupName": f.text("group_name"), "UserName": f.text("user_name")},
        lambda p, r: f"Removed {p['UserName']} from {p['GroupName']}.",
    ),
    **_policy_apis("group", of="group "),
    # roles
    "console-role-create": _Api(
        "iam", "CreateRole", _role_params,
        lambda p, r: f"Created role {p['RoleName']}.",
        document="AssumeRolePolicyDocument", kind=PolicyKind.TRUST,
    ),
    "console-role-delete": _Api(
        "iam", "DeleteRole", lambda f: {"RoleName": f.text("role_name")},
        lambda p, r: f"Deleted role {p['RoleName']}.",
    ),
    "console-role-trust-update": _Api(
        "iam", "UpdateAssumeRolePolicy",
        lambda f: {"RoleName": f.text("role_name"), "PolicyDocument": f.document()},
        lambda p, r: f"Updated the trust policy of {p['RoleName']}.",
        document="PolicyDocument", kind=PolicyKind.TRUST,
    ),
    **_policy_apis("user", boundary=True),
    **_policy_apis("role", boundary=True),
    "console-slr-create": _Api(
        "iam", "CreateServiceLinkedRole", lambda f: {"AWSServiceName": f.text("service")},
        lambda p, r: f"Created the service-linked role {r.get('Role', {}).get('RoleName')}.",
    ),
    "console-slr-delete": _Api(
        "iam", "DeleteServiceLinkedRole", lambda f: {"RoleName": f.text("role_name")},
        lambda p, r: (f"Asked AWS to delete {p['RoleName']}: deletion task "
                      f"{r.get('DeletionTaskId')}. AWS checks whether the role is in use first; "
                      "advance the clock to see the result."),
    ),
    # customer managed policies and their versions
    "console-policy-create": _Api(
        "iam", "CreatePolicy",
        lambda f: _optional({"PolicyName": f.text("policy_name"), "PolicyDocument": f.document()},
                            Description=f.text("description", limit=1000)),
        lambda p, r: f"Created policy {r.get('Policy', {}).get('Arn')}.",
        document="PolicyDocument",
    ),
    "console-policy-delete": _Api(
        "iam", "DeletePolicy", lambda f: {"PolicyArn": f.text("policy_arn")},
        lambda p, r: f"Deleted policy {p['PolicyArn']}.",
    ),
    "console-policy-version-create": _Api(
        "iam", "CreatePolicyVersion",
        lambda f: {"PolicyArn": f.text("policy_arn"), "PolicyDocument": f.document(),
                   "SetAsDefault": f.flag("set_as_default")},
        lambda p, r: (f"Created version {r.get('PolicyVersion', {}).get('VersionId')} of "
                      f"{p['PolicyArn'].rsplit('/', 1)[-1]}"
                      + (", now the default." if p["SetAsDefault"] else
                         " (not the default: it has no effect until you make it the default).")),
        document="PolicyDocument",
    ),
    "console-policy-version-default": _Api(
        "iam", "SetDefaultPolicyVersion",
        lambda f: {"PolicyArn": f.text("policy_arn"), "VersionId": f.text("version_id")},
        lambda p, r: f"{p['VersionId']} is now the default version of {p['PolicyArn'].rsplit('/', 1)[-1]}.",
    ),
    "console-policy-version-delete": _Api(
        "iam", "DeletePolicyVersion",
        lambda f: {"PolicyArn": f.text("policy_arn"), "VersionId": f.text("version_id")},
        lambda p, r: f"Deleted version {p['VersionId']} of {p['PolicyArn'].rsplit('/', 1)[-1]}.",
    ),
    # instance profiles
    "console-profile-create": _Api(
        "iam", "CreateInstanceProfile", lambda f: {"InstanceProfileName": f.text("profile_name")},
        lambda p, r: f"Created instance profile {p['InstanceProfileName']}.",
    ),
    "console-profile-delete": _Api(
        "iam", "DeleteInstanceProfile", lambda f: {"InstanceProfileName": f.text("profile_name")},
        lambda p, r: f"Deleted instance profile {p['InstanceProfileName']}.",
    ),
    "console-profile-add-role": _Api(
        "iam", "AddRoleToInstanceProfile",
        lambda f: {"InstanceProfileName": f.text("profile_name"), "RoleName": f.text("role_name")},
        lambda p, r: f"Instance profile {p['InstanceProfileName']} now holds role {p['RoleName']}.",
    ),
    "console-profile-remove-role": _Api(
        "iam", "RemoveRoleFromInstanceProfile",
        lambda f: {"InstanceProfileName": f.text("profile_name"), "RoleName": f.text("role_name")},
        lambda p, r: f"Removed role {p['RoleName']} from instance profile {p['InstanceProfileName']}.",
    ),
    # EC2
    # Systems Manager: a maintenance window and its task, the service's first use
    "console-ssm-window-create": _Api(
        "ssm", "CreateMaintenanceWindow", _window_params,
        lambda p, r: f"Created maintenance window {r.get('WindowId')} ({p['Name']}).",
    ),
    "console-ssm-task-register": _Api(
        "ssm", "RegisterTaskWithMaintenanceWindow", _task_params,
        lambda p, r: (f"Registered task {r.get('WindowTaskId')} ({p['TaskArn']}) with "
                      f"{p['WindowId']}" + (f", as {p['ServiceRoleArn']}." if p.get("ServiceRoleArn")
                      else ", with no service role of yours: Systems Manager uses its "
                           "service-linked role.")),
    ),
    "console-launch": _Api(
        "ec2", "RunInstances", _launch_params,
        lambda p, r: "Launched " + ", ".join(i["InstanceId"] for i in r.get("Instances", [])) + ".",
    ),
    "console-associate": _Api(
        "ec2", "AssociateIamInstanceProfile",
        lambda f: {"InstanceId": f.text("instance_id"),
                   "IamInstanceProfile": {"Name": f.text("profile")}},
        lambda p, r: (f"Associated instance profile {p['IamInstanceProfile']['Name']} with "
                      f"{p['InstanceId']}: {r['IamInstanceProfileAssociation']['AssociationId']}, "
                      f"{r['IamInstanceProfileAssociation']['State']}."),
    ),
    "console-replace": _Api(
        "ec2", "ReplaceIamInstanceProfileAssociation",
        lambda f: {"AssociationId": f.text("association_id"),
                   "IamInstanceProfile": {"Name": f.text("profile")}},
        lambda p, r: (f"Replaced association {p['AssociationId']} with instance profile "
                      f"{p['IamInstanceProfile']['Name']}: "
                      f"{r['IamInstanceProfileAssociation']['AssociationId']}."),
    ),
    "console-disassociate": _Api(
        "ec2", "DisassociateIamInstanceProfile",
        lambda f: {"AssociationId": f.text("association_id")},
        lambda p, r: (f"Association {p['AssociationId']} is "
                      f"{r['IamInstanceProfileAssociation']['State']}."),
    ),
    "console-metadata": _Api(
        "ec2", "ModifyInstanceMetadataOptions",
        lambda f: {"InstanceId": f.text("instance_id"), "HttpTokens": f.text("http_tokens")},
        lambda p, r: f"Metadata options of {p['InstanceId']}: HttpTokens {p['HttpTokens']}.",
    ),
    # S3
    "console-bucket-create": _Api(
        "s3", "CreateBucket", lambda f: {"Bucket": f.text("bucket")},
        lambda p, r: f"Created bucket {p['Bucket']}.",
    ),
    "console-object-put": _Api(
        "s3", "PutObject",
        lambda f: {"Bucket": f.text("bucket"), "Key": f.text("key", limit=1024),
                   "Body": f.text("body", strip=False, limit=MAX_OBJECT_CHARS).encode(),
                   "ContentType": "text/plain"},
        lambda p, r: f"Put {p['Key']} in {p['Bucket']} ({len(p['Body'])} byte{'s' if len(p['Body']) != 1 else ''}).",
    ),
    "console-object-get": _Api(
        "s3", "GetObject", lambda f: {"Bucket": f.text("bucket"), "Key": f.text("key", limit=1024)},
        lambda p, r: f"Got {p['Key']} from {p['Bucket']} ({r.get('ContentLength', 0)} bytes): "
                     + _quoted(_object_text(r) or ""),
        answer=_object_text,
    ),
    "console-object-delete": _Api(
        "s3", "DeleteObject", lambda f: {"Bucket": f.text("bucket"), "Key": f.text("key", limit=1024)},
        lambda p, r: f"Deleted {p['Key']} from {p['Bucket']}.",
    ),
    "console-bucket-policy-put": _Api(
        "s3", "PutBucketPolicy",
        lambda f: {"Bucket": f.text("bucket"), "Policy": f.document()},
        lambda p, r: f"Saved the bucket policy of {p['Bucket']}.",
        document="Policy", kind=PolicyKind.RESOURCE,
    ),
    "console-bucket-policy-delete": _Api(
        "s3", "DeleteBucketPolicy", lambda f: {"Bucket": f.text("bucket")},
        lambda p, r: f"Deleted the bucket policy of {p['Bucket']}.",
    ),
}  # fmt: skip


# --- the policy editor: findings as you type, and what a change would flip --------------------


def _validate(attempt: Attempt, form: _Form) -> Outcome:
    """Findings for the text in an editor (nothing is saved or sent to AWS)."""
    kind = KINDS.get(form.text("kind"), PolicyKind.IDENTITY)
    text = form.document()
    findings = tuple(validate_policy(text, policy_type=kind))
    form_id = _form_id(form.data) or "editor"
    return _outcome(
        True,
        "",
        form=form_id,
        draft={"document": text},
        findings=findings,
        changed=False,
        partial="policy-findings",
        partial_context={
            "findings_id": f"findings-{form_id}",
            "findings": findings,
        },
    )


def _preview(attempt: Attempt, form: _Form) -> Outcome:
    """What saving this form would flip among the recent calls; the world is left as it is."""
    api = API.get(form.text("save"))
    if api is None:
        return _outcome(False, "There is nothing to preview for this form.", changed=False)
    params = api.build(form)
    findings = None
    if api.document is not None:
        findings = tuple(validate_policy(str(params.get(api.document, "")), policy_type=api.kind))
    problem = param_error(api.service, api.operation, params)
    if problem is not None:
        return _outcome(
            False,
            f"{api.operation} would not be sent: {problem}",
            "ParamValidationError",
            problem,
            findings=findings,
            changed=False,
        )
    world = attempt.load_world()
    credentials, source_ip = world.admin_credentials(), None
    key = form.text("as", limit=acting.MAX_KEY_CHARS)
    if key:
        held = acting.find(world, key)
        if held is None:
            raise FormError(acting.NOT_HELD)
        credentials, source_ip = held[1], held[0].source_ip
    found = whatif.preview(
        world,
        lambda copy: copy.call(
            credentials, api.service, api.operation, params, source_ip=source_ip
        ),
    )
    outcome = _outcome(
        found.refused is None,
        f"Preview, nothing saved: {found.summary}",
        found.refused.code if found.refused else None,
        found.refused.message if found.refused else None,
        findings=findings,
        preview=found,
        changed=False,
    )
    outcome.draft = _draft(form.data)
    return outcome


# --- EC2: files, environment, the fleet, the clock, stolen credentials ---------------------------

_PATH = re.compile(r"(~/|/)[A-Za-z0-9._/@+=-]*[A-Za-z0-9._@+=-]")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _path(form: _Form) -> str:
    path = form.text("path", limit=512)
    if not _PATH.fullmatch(path) or "/../" in path + "/" or "//" in path:
        raise FormError(
            f"{path!r} is not a file path on the instance: write an absolute path such as "
            "/home/ec2-user/.aws/credentials, or ~/.aws/credentials."
        )
    return path


def _file_save(attempt: Attempt, form: _Form) -> Outcome:
    path = _path(form)
    text = form.text("text", strip=False, limit=MAX_FILE_CHARS)
    instance_id = form.text("instance_id")

    def write(world: World) -> None:
        _instance(world, instance_id)
        world.write_file(instance_id, path, text)

    attempt.apply(write)
    return _outcome(True, f"Saved {path} on {instance_id}.")


def _file_delete(attempt: Attempt, form: _Form) -> Outcome:
    path = _path(form)
    instance_id = form.text("instance_id")

    def delete(world: World) -> bool:
        _instance(world, instance_id)
        present = world.read_file(instance_id, path) is not None
        world.delete_file(instance_id, path)
        return present

    if not attempt.apply(delete):
        return _outcome(False, f"There is no file {path} on {instance_id}.", changed=False)
    return _outcome(True, f"Deleted {path} on {instance_id}.")


def _env_set(attempt: Attempt, form: _Form) -> Outcome:
    name = form.text("name", limit=128)
    value = form.text("value", strip=False, limit=4096)
    instance_id = form.text("instance_id")
    if not _ENV_NAME.fullmatch(name):
        raise FormError(
            f"{name!r} is not an environment variable name: letters, digits and _, not "
            "starting with a digit (e.g. AWS_PROFILE)."
        )

    def change(world: World) -> None:
        _instance(world, instance_id)
        world.set_env(instance_id, name, value)

    attempt.apply(change)
    return _outcome(True, f"Set {name} on {instance_id}.")


def _env_delete(attempt: Attempt, form: _Form) -> Outcome:
    name = form.text("name", limit=128)
    instance_id = form.text("instance_id")

    def change(world: World) -> None:
        _instance(world, instance_id)
        world.set_env(instance_id, name, None)

    attempt.apply(change)
    return _outcome(True, f"Unset {name} on {instance_id}.")


def _instance(world: World, instance_id: str) -> Instance:
    found = world.state.instances.get(instance_id)
    if found is None:
        raise FormError(f"There is no instance {instance_id!r} in this account.")
    return found


def _run_fleet(attempt: Attempt, form: _Form) -> Outcome:
    try:
        ticks = int(form.text("ticks") or "1")
    except ValueError:
        ticks = 0
    if ticks not in FLEET_TICKS:
        raise FormError("Run the fleet for 1 tick or 5.")

    def run(world: World) -> tuple[list[dict[str, Any]], int, datetime]:
        results = instances.tick(world, ticks=ticks)
        return results, ticks * world.state.tick_seconds, world.now

    results, moved, now = attempt.apply(run)
    # Each tick moves the simulated clock on (a minute unless the scenario says otherwise).
    clock = f"the clock moved on {duration_text(moved)}: it is now {clock_text(now)}"
    if not results:
        return _outcome(True, f"No instance is running an application: nothing ran, but {clock}.")
    last_tick = instances.last_tick(results)
    calls = [row for rows in last_tick.values() for row in rows]
    failed = [row for row in calls if not row["ok"]]
    ran = len(last_tick)
    words = f"Ran the fleet {ticks} tick{'s' if ticks != 1 else ''} ({clock}): {ran} instance{'s' if ran != 1 else ''}."
    words += f" Last tick: {len(calls) - len(failed)} of {len(calls)} call{'s' if len(calls) != 1 else ''} allowed"
    if failed:
        kinds: dict[str, int] = {}
        for row in failed:
            label = f"{row['operation']} {row['error']}"
            kinds[label] = kinds.get(label, 0) + 1
        words += "; failed: " + ", ".join(f"{label} ×{count}" for label, count in kinds.items())
    outcome = _outcome(True, words + ".")
    if failed:  # the run worked, its calls did not all: the status says so (✖, or ⚠ if some did)
        kind = "failed" if len(failed) == len(calls) else "mixed"
        outcome.status = replace(outcome.status, kind=kind)
    return outcome


def _advance(attempt: Attempt, form: _Form) -> Outcome:
    try:
        seconds = int(form.text("seconds"))
    except ValueError:
        seconds = 0
    if seconds not in CLOCK_STEPS:
        raise FormError("Advance the clock by 1 minute, 1 hour or 6 hours.")
    now = attempt.apply(lambda world: (world.advance(seconds), world.now)[1])
    return _outcome(
        True, f"The clock moved on {CLOCK_STEPS[seconds]}: it is now {clock_text(now)}."
    )


def clock_text(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y, %H:%M UTC")


def duration_text(seconds: int) -> str:
    """A stretch of simulated time in words: "1 minute", "5 minutes", "1 hour 30 minutes",
    "45 seconds"."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{count} {unit}{'s' if count != 1 else ''}"
        for count, unit in ((hours, "hour"), (minutes, "minute"), (seconds, "second"))
        if count
    ]
    return " ".join(parts) or "0 seconds"


STEAL_OPERATIONS = ("ListBuckets", "GetObject")


def _steal(attempt: Attempt, form: _Form) -> Outcome:
    """Copy the credentials the SDK finds on an instance, and use them from outside.

    With `copied_key` (an access key id copied earlier), those credentials are used again, as
    an attacker who kept them would: a deleted key or an expired role session fails as AWS says.
    """
    instance_id = form.text("instance_id")
    operation = form.text("operation") or "ListBuckets"
    copied = form.text("copied_key", limit=128)
    if operation not in STEAL_OPERATIONS:
        raise FormError("From outside, try ListBuckets or GetObject.")
    params: dict[str, Any] = {}
    if operation == "GetObject":
        params = {"Bucket": form.text("bucket"), "Key": form.text("key", limit=1024)}
    problem = param_error("s3", operation, params)
    if problem is not None:
        return _outcome(False, f"{operation} was not sent: {problem}", "ParamValidationError",
                       problem, changed=False)  # fmt: skip

    def use(world: World) -> tuple[str, str, AwsError | None, dict[str, Any] | None]:
        _instance(world, instance_id)
        if copied:
            credentials, source = _copied(world, copied), "credentials copied earlier"
        else:
            try:
                found = instances.resolve_credentials(world, instance_id)
            except AwsError as error:
                return "", "", error, None
            if found is None:
                return "", "", AwsError("NoCredentials", "Unable to locate credentials", 400), None
            credentials, source = found
        try:
            response = world.call(credentials, "s3", operation, params, source_ip=OUTSIDE_IP)
        except AwsError as error:
            return credentials.access_key_id, source, error, None
        return credentials.access_key_id, source, None, response

    key_id, source, error, response = attempt.apply(use)
    if not key_id:
        assert error is not None
        return _outcome(
            False, f"There are no credentials to copy on {instance_id}.", error.code, error.message
        )
    where = "copied earlier" if copied else f"copied from {instance_id}'s {source}"
    prefix = f"With {key_id} ({where}), used from {OUTSIDE_IP} outside your network, s3 {operation}"
    if error is not None:
        return _outcome(False, f"{prefix} failed.", error.code, error.message)
    assert response is not None
    if operation == "ListBuckets":
        names = [bucket["Name"] for bucket in response.get("Buckets", [])]
        said = f"{len(names)} bucket{'s' if len(names) != 1 else ''}: " + ", ".join(names)
        return _outcome(True, f"{prefix} was allowed. AWS listed {said}.", answer=", ".join(names))
    text = _object_text(response)
    return _outcome(True, f"{prefix} was allowed: AWS returned the object.", answer=text)


def _copied(world: World, key_id: str) -> Credentials:
    """The whole credentials behind a copied access key id (the thief copied them all)."""
    key = world.state.access_keys.get(key_id)
    if key is not None:
        return Credentials(key.access_key_id, key.secret_access_key)
    session = world.state.sessions.get(key_id)
    if session is not None:
        return Credentials(session.access_key_id, session.secret_access_key, session.session_token)
    return Credentials(key_id, "")  # deleted, or never real: AWS says which


def _keep_console_key(
    run: Callable[[Attempt, _Form], Outcome],
) -> Callable[[Attempt, _Form], Outcome]:
    """The console acts as the admin user with its active key: never leave it without one."""

    def handler(attempt: Attempt, form: _Form) -> Outcome:
        if form.text("user_name") == ADMIN and form.text("status") != "Active":
            key_id = form.text("access_key_id")
            keys = attempt.load_world().state.access_keys.values()
            active = [
                k.access_key_id for k in keys if k.user_name == ADMIN and k.status == "Active"
            ]
            if active == [key_id]:
                raise FormError(
                    f"{key_id} is the key this console itself uses (as the admin user): it stays "
                    "active. Try this on another user's key."
                )
        return run(attempt, form)

    return handler


def _role_create(attempt: Attempt, form: _Form) -> Outcome:
    """CreateRole; for an EC2 role, as AWS's console does, an instance profile of the same
    name holding it (CreateInstanceProfile, AddRoleToInstanceProfile)."""
    outcome = _run_api(API["console-role-create"])(attempt, form)
    if not outcome.ok or (form.text("template") or "ec2") != "ec2":
        return outcome
    name = form.text("role_name")
    for operation, params in (
        ("CreateInstanceProfile", {"InstanceProfileName": name}),
        ("AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": name}),
    ):
        try:
            _call(attempt, form, "iam", operation, params)
        except AwsError as error:
            return _outcome(
                False,
                f"Created role {name}, but not the instance profile the console makes for an "
                f"EC2 role: {operation} failed.",
                error.code,
                error.message,
            )
    said = (
        f"Created role {name} and, as the console does for an EC2 role, the instance profile "
        f"{name} holding it."
    )
    if form.text("as", limit=acting.MAX_KEY_CHARS):
        said = said[:-1] + outcome.status.message.removeprefix(f"Created role {name}.")
    outcome.status = replace(outcome.status, message=said)
    return outcome


# What AWS's console removes before it deletes a user or a role, each with the call that
# lists it and the calls that remove one: "When you use the AWS Management Console to delete a
# role, IAM also automatically deletes the policies associated with the role. It also deletes
# any Amazon EC2 instance profile that contains the role" (IAM User Guide,
# id_roles_manage_delete.html); deleting a user there removes its group memberships, access
# keys and inline policies and detaches its managed policies (id_users_manage.html). The API's
# DeleteRole and DeleteUser refuse (DeleteConflict) while any of it remains.
_Cleanup = tuple[str, str, Callable[[str, Any], list[tuple[str, dict[str, Any]]]]]
_CONSOLE_CLEANUP: dict[str, tuple[_Cleanup, ...]] = {
    "role": (
        ("ListInstanceProfilesForRole", "InstanceProfiles", lambda name, item: [
            ("RemoveRoleFromInstanceProfile", {"InstanceProfileName": item["InstanceProfileName"], "RoleName": name}),
            ("DeleteInstanceProfile", {"InstanceProfileName": item["InstanceProfileName"]})]),
        ("ListRolePolicies", "PolicyNames", lambda name, item: [
            ("DeleteRolePolicy", {"RoleName": name, "PolicyName": item})]),
        ("ListAttachedRolePolicies", "AttachedPolicies", lambda name, item: [
            ("DetachRolePolicy", {"RoleName": name, "PolicyArn": item["PolicyArn"]})]),
    ),
    "user": (
        ("ListGroupsForUser", "Groups", lambda name, item: [
            ("RemoveUserFromGroup", {"UserName": name, "GroupName": item["GroupName"]})]),
        ("ListAccessKeys", "AccessKeyMetadata", lambda name, item: [
            ("DeleteAccessKey", {"UserName": name, "AccessKeyId": item["AccessKeyId"]})]),
        ("ListUserPolicies", "PolicyNames", lambda name, item: [
            ("DeleteUserPolicy", {"UserName": name, "PolicyName": item})]),
        ("ListAttachedUserPolicies", "AttachedPolicies", lambda name, item: [
            ("DetachUserPolicy", {"UserName": name, "PolicyArn": item["PolicyArn"]})]),
    ),
}  # fmt: skip
_CLEANED = {
    "DeleteInstanceProfile": lambda p: f"deleted its instance profile {p['InstanceProfileName']}",
    "RemoveUserFromGroup": lambda p: f"took it out of group {p['GroupName']}",
    "DeleteAccessKey": lambda p: f"deleted its access key {p['AccessKeyId']}",
    "DeleteRolePolicy": lambda p: f"deleted its inline policy {p['PolicyName']}",
    "DeleteUserPolicy": lambda p: f"deleted its inline policy {p['PolicyName']}",
    "DetachRolePolicy": lambda p: f"detached {p['PolicyArn']}",
    "DetachUserPolicy": lambda p: f"detached {p['PolicyArn']}",
}


def _console_delete(kind: str) -> Handler:
    """Delete a user or a role as AWS's console does: first what it holds (_CONSOLE_CLEANUP),
    each a call in the log, as whom the console acts as; then DeleteUser or DeleteRole. A
    service-linked role is AWS's to delete: DeleteRole alone, which IAM refuses."""
    delete = _run_api(API[f"console-{kind}-delete"])

    def handler(attempt: Attempt, form: _Form) -> Outcome:
        name = form.text(f"{kind}_name")
        if kind == "user" and name == ADMIN:
            raise FormError(
                f"{ADMIN} is the user this console itself signs in as: it stays. Try this on "
                "another user."
            )
        state = attempt.load_world().state
        held = state.roles.get(name) if kind == "role" else state.users.get(name)
        if held is None or getattr(held, "path", "").startswith("/aws-service-role/"):
            return delete(attempt, form)
        calls: list[tuple[str, dict[str, Any]]] = []
        try:
            for listing, items, removals in _CONSOLE_CLEANUP[kind]:
                params = {f"{kind.title()}Name": name}
                listed = _call(attempt, form, "iam", listing, params)[0]
                for item in listed.get(items, []):
                    calls += removals(name, item)
            for operation, params in calls:
                _call(attempt, form, "iam", operation, params)
        except AwsError as error:
            return _outcome(False, f"{kind.title()} {name} was not deleted: {error.code}.", error.code, error.message)  # fmt: skip
        outcome = delete(attempt, form)
        done = [_CLEANED[operation](params) for operation, params in calls if operation in _CLEANED]  # fmt: skip
        if outcome.ok and done:
            said = (
                f"{outcome.status.message[:-1]}; first, as the console does, it {', '.join(done)}."
            )
            outcome.status = replace(outcome.status, message=said)
        return outcome

    return handler


ACTIONS: dict[str, Handler] = {
    **{action: _run_api(api) for action, api in API.items()},
    "console-role-create": _role_create,
    "console-role-delete": _console_delete("role"),
    "console-user-delete": _console_delete("user"),
    "console-key-status": _keep_console_key(_run_api(API["console-key-status"])),
    "console-key-delete": _keep_console_key(_run_api(API["console-key-delete"])),
    "console-validate": _validate,
    "console-preview": _preview,
    "console-file-save": _file_save,
    "console-file-delete": _file_delete,
    "console-env-set": _env_set,
    "console-env-delete": _env_delete,
    "console-run-fleet": _run_fleet,
    "console-advance": _advance,
    "console-steal": _steal,
}
"""Every action a console form posts, and what does it (lessons.actions runs them)."""
