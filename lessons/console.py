"""The console panels of the workspace: IAM, EC2, S3 and the pictures, as AWS's console has them.

The workspace view (someone else's) includes `templates/lessons/_console.html` with
`console = panels(attempt, world)`, and hands every POST whose `action` starts with
`console-` to `perform(attempt, request.POST)`, then re-renders `#console`.

Every change goes through `attempt.act(...)` (AWS called as the account's admin: the policy
engine decides) or, for what no API sets (an instance's files and environment, the fleet, the
clock), `attempt.apply(...)`. A form builds the API call's parameters, botocore's own model
validates them (`ParamValidationError`, as boto3 raises it), and AWS's error comes back
unchanged: code and exact text in the `Outcome`. Nothing raises to the view, and what the
learner typed comes back with the outcome (`Outcome.draft`), to be shown again.

`panels()` only reads the state already loaded: no API calls, no replays, no pictures until the
template asks for one (`console.pictures.access` is worked out on first use).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from lessons import pictures, whatif
from lessons.pictures import Picture, Tile, TileCall
from lessons.whatif import Preview
from simulator import AwsError, World, aws_managed
from simulator.iam import PolicyKind
from simulator.iam.findings import Finding, FindingType, validate_policy
from simulator.model import Instance, ManagedPolicy, Role, User
from simulator.services import imds, instances
from simulator.world import OUTSIDE_IP, Credentials

if TYPE_CHECKING:
    from django.http import QueryDict

    from lessons.models import Attempt

__all__ = ["APP_LOG", "Outcome", "panels", "perform"]

APP_LOG = instances.APP_LOG
"""Where an instance's application logs its last run (JSON lines): the fleet tiles read it."""

DEFAULT_IMAGE = "ami-0abcdef1234567890"
DEFAULT_TYPE = "t3.micro"
MAX_DOCUMENT_CHARS = 30_000
MAX_FILE_CHARS = 20_000
MAX_OBJECT_CHARS = 10_000
MAX_SHOWN_OBJECTS = 25
MAX_ANSWER_CHARS = 4_000
FLEET_TICKS = (1, 5)
CLOCK_STEPS = {60: "1 minute", 3600: "1 hour", 21600: "6 hours"}

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
EMPTY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}],
    },
    indent=2,
)
KINDS = {
    "identity": PolicyKind.IDENTITY,
    "trust": PolicyKind.TRUST,
    "resource": PolicyKind.RESOURCE,
}
FINDING_ICONS = {
    FindingType.ERROR: "✖",
    FindingType.SECURITY_WARNING: "⚠",
    FindingType.WARNING: "△",
    FindingType.SUGGESTION: "ℹ",
}


# --- What perform() answers ----------------------------------------------------------------------


@dataclass
class Outcome:
    """What a console action did, for the view's status message and the console's re-render.

    The first four fields are the agreed interface. The rest are optional extras:
    `form` is the DOM id of the console form that was posted and `draft` what was typed in it
    (shown again, so nothing typed is lost); `findings` and `preview` belong to a policy
    editor; `answer` is what AWS returned worth showing (an object's text); `changed` is False
    when nothing was saved (validation, a preview), so no `world-changed` is needed; and when
    `partial` is set, an htmx request can be answered with just
    `lessons/_console.html#<partial>` rendered with `partial_context` (the as-you-type findings)
    instead of the whole console.
    """

    ok: bool
    message: str
    error_code: str | None = None
    error_message: str | None = None
    form: str | None = None
    draft: dict[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] | None = None
    preview: Preview | None = None
    answer: str | None = None
    changed: bool = True
    partial: str | None = None
    partial_context: dict[str, Any] = field(default_factory=dict)


logger = logging.getLogger(__name__)

_OUTCOME = "_console_outcome"
"""perform() leaves its Outcome on the attempt instance, for panels() in the same request."""


class FormError(ValueError):
    """A form the console cannot even turn into a call (an unknown instance, a bad path)."""


# --- perform -----------------------------------------------------------------------------------


def perform(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    """Do the console action `data["action"]` names; never raises for a bad input."""
    action = str(data.get("action", ""))
    form = _form_id(data)
    draft = _draft(data)
    handler = _HANDLERS.get(action)
    if handler is None:
        shown = action[:40] + ("…" if len(action) > 40 else "")
        outcome = Outcome(False, f"The console has no action “{shown}”.", changed=False)
    else:
        try:
            outcome = handler(attempt, _Form(data))
        except FormError as error:  # the console's own check: nothing reached AWS
            outcome = Outcome(False, str(error), changed=False)
        except (KeyError, LookupError, TypeError, ValueError) as error:
            # A fault of RoleCall's, not of the learner's input; the transaction rolled back.
            logger.exception("console action %s failed", action)
            outcome = Outcome(
                False,
                f"RoleCall could not do this ({type(error).__name__}); nothing was changed.",
                changed=False,
            )
    if outcome.form is None:
        outcome.form = form
    if not outcome.ok and not outcome.draft:
        outcome.draft = draft
    setattr(attempt, _OUTCOME, outcome)
    return outcome


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


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    from simulator.boto import shared_loader  # botocore's models, loaded once per process

    session = botocore.session.Session()
    session.register_component("data_loader", shared_loader())
    return session.get_service_model(service)


def param_error(service: str, operation: str, params: Mapping[str, Any]) -> str | None:
    """botocore's ParamValidationError text for these parameters, or None when they are valid."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    try:
        validate_parameters(
            dict(params), _service_model(service).operation_model(operation).input_shape
        )
    except ParamValidationError as error:
        return str(error)
    return None


def _call(
    attempt: Attempt,
    service: str,
    operation: str,
    params: dict[str, Any],
    success: Callable[[dict[str, Any]], str],
    *,
    answer: Callable[[dict[str, Any]], str | None] | None = None,
) -> Outcome:
    problem = param_error(service, operation, params)
    if problem is not None:
        return Outcome(
            False,
            f"{operation} was not sent: {problem}",
            "ParamValidationError",
            problem,
            changed=False,
        )
    try:
        response = attempt.act(service, operation, params)
    except AwsError as error:
        return _refused(operation, error)
    return Outcome(True, success(response), answer=answer(response) if answer else None)


def _refused(operation: str, error: AwsError) -> Outcome:
    """AWS's error as it came: the status shows the code and the message beside the words."""
    return Outcome(False, f"{operation} failed.", error.code, error.message)


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


def _run_api(api: _Api) -> Callable[[Attempt, _Form], Outcome]:
    def handler(attempt: Attempt, form: _Form) -> Outcome:
        params = api.build(form)
        outcome = _call(
            attempt,
            api.service,
            api.operation,
            params,
            lambda response: api.success(params, response),
            answer=api.answer,
        )
        if api.document is not None:
            text = str(params.get(api.document, ""))
            outcome.findings = tuple(validate_policy(text, policy_type=api.kind))
        return outcome

    return handler


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


def _secret_message(params: dict[str, Any], response: dict[str, Any]) -> str:
    key = response.get("AccessKey", {})
    return (
        f"Created access key {key.get('AccessKeyId')} for {key.get('UserName')}. Its secret "
        f"access key is {key.get('SecretAccessKey')} — this is the only time it is shown: "
        "AWS never shows a secret access key again, so copy it now."
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
    **{
        f"console-user-{verb}": api
        for verb, api in {
            "policy-put": _Api(
                "iam", "PutUserPolicy",
                lambda f: {"UserName": f.text("user_name"), "PolicyName": f.text("policy_name"),
                           "PolicyDocument": f.document()},
                lambda p, r: f"Saved inline policy {p['PolicyName']} of {p['UserName']}.",
                document="PolicyDocument",
            ),
            "policy-delete": _Api(
                "iam", "DeleteUserPolicy",
                lambda f: {"UserName": f.text("user_name"), "PolicyName": f.text("policy_name")},
                lambda p, r: f"Deleted inline policy {p['PolicyName']} of {p['UserName']}.",
            ),
            "attach": _Api(
                "iam", "AttachUserPolicy",
                lambda f: {"UserName": f.text("user_name"), "PolicyArn": f.text("policy_arn")},
                lambda p, r: f"Attached {p['PolicyArn']} to {p['UserName']}.",
            ),
            "detach": _Api(
                "iam", "DetachUserPolicy",
                lambda f: {"UserName": f.text("user_name"), "PolicyArn": f.text("policy_arn")},
                lambda p, r: f"Detached {p['PolicyArn']} from {p['UserName']}.",
            ),
        }.items()
    },
    "console-role-policy-put": _Api(
        "iam", "PutRolePolicy",
        lambda f: {"RoleName": f.text("role_name"), "PolicyName": f.text("policy_name"),
                   "PolicyDocument": f.document()},
        lambda p, r: f"Saved inline policy {p['PolicyName']} of {p['RoleName']}.",
        document="PolicyDocument",
    ),
    "console-role-policy-delete": _Api(
        "iam", "DeleteRolePolicy",
        lambda f: {"RoleName": f.text("role_name"), "PolicyName": f.text("policy_name")},
        lambda p, r: f"Deleted inline policy {p['PolicyName']} of {p['RoleName']}.",
    ),
    "console-role-attach": _Api(
        "iam", "AttachRolePolicy",
        lambda f: {"RoleName": f.text("role_name"), "PolicyArn": f.text("policy_arn")},
        lambda p, r: f"Attached {p['PolicyArn']} to {p['RoleName']}.",
    ),
    "console-role-detach": _Api(
        "iam", "DetachRolePolicy",
        lambda f: {"RoleName": f.text("role_name"), "PolicyArn": f.text("policy_arn")},
        lambda p, r: f"Detached {p['PolicyArn']} from {p['RoleName']}.",
    ),
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
        lambda p, r: f"Put {p['Key']} in {p['Bucket']} ({len(p['Body'])} bytes).",
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
    return Outcome(
        True,
        "",
        form=form_id,
        draft={"document": text},
        findings=findings,
        changed=False,
        partial="policy-findings",
        partial_context={
            "findings_id": f"findings-{form_id}",
            "findings": _finding_items(findings),
        },
    )


def _preview(attempt: Attempt, form: _Form) -> Outcome:
    """What saving this form would flip among the recent calls; the world is left as it is."""
    api = API.get(form.text("save"))
    if api is None:
        return Outcome(False, "There is nothing to preview for this form.", changed=False)
    params = api.build(form)
    findings = None
    if api.document is not None:
        findings = tuple(validate_policy(str(params.get(api.document, "")), policy_type=api.kind))
    problem = param_error(api.service, api.operation, params)
    if problem is not None:
        return Outcome(
            False,
            f"{api.operation} would not be sent: {problem}",
            "ParamValidationError",
            problem,
            findings=findings,
            changed=False,
        )
    world = attempt.load_world()
    admin = world.admin_credentials()
    found = whatif.preview(world, lambda copy: copy.call(admin, api.service, api.operation, params))
    outcome = Outcome(
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


def _finding_items(findings: tuple[Finding, ...] | None) -> list[tuple[str, Finding]] | None:
    if findings is None:
        return None
    return [(FINDING_ICONS[finding.finding_type], finding) for finding in findings]


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
    return Outcome(True, f"Saved {path} on {instance_id}.")


def _file_delete(attempt: Attempt, form: _Form) -> Outcome:
    path = _path(form)
    instance_id = form.text("instance_id")

    def delete(world: World) -> bool:
        _instance(world, instance_id)
        present = world.read_file(instance_id, path) is not None
        world.delete_file(instance_id, path)
        return present

    if not attempt.apply(delete):
        return Outcome(False, f"There is no file {path} on {instance_id}.", changed=False)
    return Outcome(True, f"Deleted {path} on {instance_id}.")


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
    return Outcome(True, f"Set {name} on {instance_id}.")


def _env_delete(attempt: Attempt, form: _Form) -> Outcome:
    name = form.text("name", limit=128)
    instance_id = form.text("instance_id")

    def change(world: World) -> None:
        _instance(world, instance_id)
        world.set_env(instance_id, name, None)

    attempt.apply(change)
    return Outcome(True, f"Unset {name} on {instance_id}.")


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

    results = attempt.apply(lambda world: instances.tick(world, ticks=ticks))
    if not results:
        return Outcome(True, "No instance is running an application: nothing ran.")
    last_tick = instances.last_tick(results)
    calls = [row for rows in last_tick.values() for row in rows]
    failed = [row for row in calls if not row["ok"]]
    words = f"Ran the fleet {ticks} tick{'s' if ticks != 1 else ''}: {len(last_tick)} instances."
    words += f" Last tick: {len(calls) - len(failed)} of {len(calls)} calls allowed"
    if failed:
        kinds: dict[str, int] = {}
        for row in failed:
            label = f"{row['operation']} {row['error']}"
            kinds[label] = kinds.get(label, 0) + 1
        words += "; failed: " + ", ".join(f"{label} ×{count}" for label, count in kinds.items())
    return Outcome(True, words + ".")


def _advance(attempt: Attempt, form: _Form) -> Outcome:
    try:
        seconds = int(form.text("seconds"))
    except ValueError:
        seconds = 0
    if seconds not in CLOCK_STEPS:
        raise FormError("Advance the clock by 1 minute, 1 hour or 6 hours.")
    now = attempt.apply(lambda world: (world.advance(seconds), world.now)[1])
    return Outcome(True, f"The clock moved on {CLOCK_STEPS[seconds]}: it is now {_clock(now)}.")


def _clock(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y, %H:%M UTC")


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
        return Outcome(False, f"{operation} was not sent: {problem}", "ParamValidationError",
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
        return Outcome(
            False, f"There are no credentials to copy on {instance_id}.", error.code, error.message
        )
    where = "copied earlier" if copied else f"copied from {instance_id}'s {source}"
    prefix = f"With {key_id} ({where}), used from {OUTSIDE_IP} outside your network, s3 {operation}"
    if error is not None:
        outcome = _refused(operation, error)
        outcome.message = f"{prefix} failed."
        outcome.answer = None
        return outcome
    assert response is not None
    if operation == "ListBuckets":
        names = [bucket["Name"] for bucket in response.get("Buckets", [])]
        said = f"{len(names)} bucket{'s' if len(names) != 1 else ''}: " + ", ".join(names)
        return Outcome(True, f"{prefix} was allowed. AWS listed {said}.", answer=", ".join(names))
    text = _object_text(response)
    return Outcome(True, f"{prefix} was allowed: AWS returned the object.", answer=text)


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
        if form.text("user_name") == "admin" and form.text("status") != "Active":
            key_id = form.text("access_key_id")
            keys = attempt.load_world().state.access_keys.values()
            active = [
                k.access_key_id for k in keys if k.user_name == "admin" and k.status == "Active"
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
            attempt.act("iam", operation, params)
        except AwsError as error:
            return Outcome(
                False,
                f"Created role {name}, but not the instance profile the console makes for an "
                f"EC2 role: {operation} failed.",
                error.code,
                error.message,
            )
    outcome.message = (
        f"Created role {name} and, as the console does for an EC2 role, the instance profile "
        f"{name} holding it."
    )
    return outcome


_HANDLERS: dict[str, Callable[[Attempt, _Form], Outcome]] = {
    **{action: _run_api(api) for action, api in API.items()},
    "console-role-create": _role_create,
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
ACTIONS = tuple(sorted(_HANDLERS))
"""Every action value the console posts."""


# --- panels: what the template shows -------------------------------------------------------------


def dom_id(*parts: str) -> str:
    """A DOM id (and CSS selector) from names that may hold . , + = @ / characters."""
    raw = "-".join(parts)
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", raw)
    if clean != raw:
        clean += "-" + hashlib.sha1(raw.encode()).hexdigest()[:6]
    return clean


@lru_cache(maxsize=2048)
def pretty(text: str) -> str:
    """A policy document as AWS's console shows it: indented JSON (as stored if unreadable)."""
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


@dataclass
class Editor:
    """A policy editor: a textarea with findings, a Preview button and a Save button."""

    id: str
    label: str
    kind: str  # identity | trust | resource
    save: str  # the action value of Save
    text: str
    hidden: dict[str, str] = field(default_factory=dict)
    name_field: tuple[str, str, str] | None = None  # (field, label, value)
    set_default: bool | None = None  # None: no "set as default" box
    save_label: str = "Save"
    template: str = "ec2"  # creating a role: "ec2" or "paste"
    description: str = ""
    findings: list[tuple[str, Finding]] | None = None
    preview: Preview | None = None
    error: tuple[str, str] | None = None
    open: bool = False

    @property
    def rows(self) -> int:
        return min(max(self.text.count("\n") + 2, 6), 24)


class _Typed(dict[str, str]):
    """What was typed in a form: a field not in it reads as "" (so the template's lookup
    never fails; a failed lookup costs Django a dir() of the object)."""

    def __missing__(self, key: str) -> str:
        return ""


_NO_DRAFT = _Typed()


@dataclass
class _Drafts:
    """The last outcome, handed to the form it answers (matched by the form's DOM id)."""

    outcome: Outcome | None

    def of(self, form_id: str) -> dict[str, str] | None:
        """What was typed in that form (missing fields read as ""), or None."""
        outcome = self.outcome
        if outcome is None or outcome.form != form_id:
            return None
        return _Typed(outcome.draft)

    def exactly(self, form_id: str) -> Outcome | None:
        outcome = self.outcome
        return outcome if outcome is not None and outcome.form == form_id else None

    def within(self, dom: str) -> bool:
        """Whether the outcome answers a form of this item (its details stay open)."""
        form = self.outcome.form if self.outcome is not None else None
        return form is not None and (form == dom or form.startswith(dom + "--"))

    def editor(self, editor: Editor) -> Editor:
        outcome = self.outcome
        if outcome is None or outcome.form != editor.id:
            return editor
        draft = outcome.draft
        if "document" in draft:
            editor.text = draft["document"]
        if editor.name_field is not None and editor.name_field[0] in draft:
            field_name, label, _ = editor.name_field
            editor.name_field = (field_name, label, draft[field_name])
        if not outcome.ok or outcome.preview is not None:
            if editor.set_default is not None:
                editor.set_default = draft.get("set_as_default", "") == "on"
            editor.template = draft.get("template", editor.template)
            editor.description = draft.get("description", editor.description)
        editor.findings = _finding_items(outcome.findings)
        editor.preview = outcome.preview
        if outcome.error_code:
            editor.error = (outcome.error_code, outcome.error_message or "")
        editor.open = True
        return editor


class Pictures:
    """The pictures, drawn only when the template asks for them."""

    def __init__(self, world: World, tiles: list[Tile]) -> None:
        self.world = world
        self.tiles = tiles

    @cached_property
    def access(self) -> Picture:
        return pictures.draw_graph(pictures.access_graph(self.world), id_prefix="access-graph")

    @cached_property
    def fleet(self) -> Picture:
        return pictures.draw_fleet(self.tiles, id_prefix="fleet-tiles")


def panels(attempt: Attempt, world: World, outcome: Outcome | None = None) -> dict[str, Any]:
    """Everything `templates/lessons/_console.html` shows, read from the loaded world.

    `outcome` defaults to what `perform` just did on this attempt instance: its typed text,
    findings, preview and AWS's answer are shown again beside the form that was posted.
    """
    if outcome is None:
        outcome = getattr(attempt, _OUTCOME, None)
    drafts = _Drafts(outcome)
    state = world.state
    customer = sorted(state.policies.values(), key=lambda p: p.name)
    fleet = _instances(world)
    tiles = [_tile(instance) for instance in fleet]
    copied = _copied_keys(world) if fleet else {}
    return {
        "outcome": outcome,
        "form": outcome.form or "" if outcome else "",
        "clock": world.now,
        "clock_text": _clock(world.now),
        "clock_steps": list(CLOCK_STEPS.items()),
        "fleet_ticks": FLEET_TICKS,
        "users": [_user(world, user_name, drafts) for user_name in sorted(state.users)],
        "roles": [_role(world, role, drafts) for role in _roles(world)],
        "role_names": sorted(n for n, role in state.roles.items() if not role.service_linked),
        "policies": [_policy(world, policy, drafts) for policy in customer],
        "policy_choices": _policy_choices(customer),
        "profiles": [_profile(world, name, drafts) for name in sorted(state.instance_profiles)],
        "profile_names": sorted(state.instance_profiles),
        "slr_services": _slr_services(world),
        "new_role": drafts.editor(
            Editor(
                "role-new",
                "Trust policy (used when you choose a custom trust policy)",
                "trust",
                "console-role-create",
                EC2_TRUST,
                name_field=("role_name", "Role name", ""),
                save_label="Create role",
            )  # fmt: skip
        ),
        "new_policy": drafts.editor(
            Editor(
                "policy-new",
                "Policy document",
                "identity",
                "console-policy-create",
                EMPTY_POLICY,
                name_field=("policy_name", "Policy name", ""),
                save_label="Create policy",
            )  # fmt: skip
        ),
        "drafts": {
            name.replace("-", "_"): drafts.of(name) or _NO_DRAFT
            for name in ("user-new", "profile-new", "launch", "bucket-new")
        },
        "instances": [
            _instance_view(world, instance, tile, drafts, copied)
            for instance, tile in zip(fleet, tiles, strict=True)
        ],
        "tiles": tiles,
        "buckets": [_bucket(world, name, drafts) for name in sorted(state.buckets)],
        "pictures": Pictures(world, tiles),
        "steal_operations": STEAL_OPERATIONS,
        "outside_ip": OUTSIDE_IP,
        "default_image": DEFAULT_IMAGE,
        "default_type": DEFAULT_TYPE,
    }


# --- IAM views ---


@dataclass(frozen=True, slots=True)
class KeyView:
    access_key_id: str
    status: str
    created: datetime
    last_used: datetime | None
    last_used_service: str | None
    last_used_region: str | None

    @property
    def active(self) -> bool:
        return self.status == "Active"


def _user(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    user = state.users[name]
    dom = dom_id("user", name)
    keys = [
        KeyView(
            key.access_key_id,
            key.status,
            key.created,
            key.last_used,
            key.last_used_service,
            key.last_used_region,
        )  # fmt: skip
        for key in state.access_keys.values()
        if key.user_name == name
    ]
    return {
        "name": name,
        "arn": user.arn,
        "created": user.created,
        "keys": keys,
        "is_console": name == "admin",
        **_permissions(world, user, "user", dom, drafts),
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
    }


def _roles(world: World) -> list[Role]:
    return sorted(world.state.roles.values(), key=lambda r: (r.service_linked is not None, r.name))


def _permissions(
    world: World, entity: User | Role, kind: str, dom: str, drafts: _Drafts
) -> dict[str, Any]:
    """The inline and attached policies of a user or role, with their editors."""
    state = world.state
    owner = {f"{kind}_name": entity.name}
    inline = [
        {
            "name": name,
            "editor": drafts.editor(
                Editor(
                    f"{dom}--inline-{dom_id(name)}",
                    f"Inline policy {name}",
                    "identity",
                    f"console-{kind}-policy-put",
                    pretty(text),
                    hidden={**owner, "policy_name": name},
                    save_label="Save inline policy",
                )  # fmt: skip
            ),
        }
        for name, text in sorted(entity.inline_policies.items())
    ]
    attached = []
    for arn in entity.attached_policies:
        managed = state.policies.get(arn) or aws_managed.get(arn)
        attached.append(
            {
                "arn": arn,
                "name": arn.rsplit("/", 1)[-1],
                "aws_managed": arn.startswith("arn:aws:iam::aws:"),
                "text": pretty(managed.default_document()) if managed else "",
                "version": managed.default_version_id if managed else "",
            }
        )
    return {
        "kind": kind,
        "inline": inline,
        "attached": attached,
        "new_inline": drafts.editor(
            Editor(
                f"{dom}--inline-new",
                "New inline policy",
                "identity",
                f"console-{kind}-policy-put",
                EMPTY_POLICY,
                hidden=owner,
                name_field=("policy_name", "Policy name", ""),
                save_label="Add inline policy",
            )  # fmt: skip
        ),
    }


def _role(world: World, role: Role, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    dom = dom_id("role", role.name)
    permissions = _permissions(world, role, "role", dom, drafts)
    tasks = [
        {"id": task.task_id, "status": task.status, "reason": task.reason}
        for task in state.deletion_tasks.values()
        if task.role_name == role.name
    ]
    return {
        **permissions,
        "name": role.name,
        "arn": role.arn,
        "description": role.description,
        "service_linked": role.service_linked,
        "used_by": role.used_by,
        "trust": pretty(role.trust_policy),
        "trusts_ec2": imds.role_trusts_ec2(world, role),
        "policy_count": len(permissions["inline"]) + len(permissions["attached"]),
        "profiles": sorted(
            p.name for p in state.instance_profiles.values() if role.name in p.roles
        ),
        "last_used": role.last_used,
        "last_used_region": role.last_used_region,
        "tasks": tasks,
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "trust_editor": drafts.editor(
            Editor(
                f"{dom}--trust",
                "Trust policy",
                "trust",
                "console-role-trust-update",
                pretty(role.trust_policy),
                hidden={"role_name": role.name},
                save_label="Update trust policy",
            )  # fmt: skip
        ),
    }


def _policy(world: World, policy: ManagedPolicy, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    dom = dom_id("policy", policy.name)
    versions = sorted(policy.versions, key=lambda v: int(v.version_id[1:]), reverse=True)
    users = [u.name for u in state.users.values() if policy.arn in u.attached_policies]
    roles = [r.name for r in state.roles.values() if policy.arn in r.attached_policies]
    groups = [g.name for g in state.groups.values() if policy.arn in g.attached_policies]
    return {
        "name": policy.name,
        "arn": policy.arn,
        "default": policy.default_version_id,
        "versions": [
            {
                "id": version.version_id,
                "created": version.created,
                "default": version.version_id == policy.default_version_id,
                "text": pretty(version.document),
            }
            for version in versions
        ],
        "attached_to": [
            *(f"role {n}" for n in roles),
            *(f"user {n}" for n in users),
            *(f"group {n}" for n in groups),
        ],  # fmt: skip
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "editor": drafts.editor(
            Editor(
                f"{dom}--version",
                "New version",
                "identity",
                "console-policy-version-create",
                pretty(policy.default_document()),
                hidden={"policy_arn": policy.arn},
                set_default=True,
                save_label="Create version",
            )  # fmt: skip
        ),
    }


@cache
def _aws_choices() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    attachable, service = [], []
    for entry in aws_managed.entries():
        target = service if aws_managed.is_service_role_policy(entry.arn) else attachable
        target.append((entry.arn, entry.name))
    return tuple(sorted(attachable, key=lambda c: c[1])), tuple(sorted(service, key=lambda c: c[1]))


def _policy_choices(customer: list[ManagedPolicy]) -> list[tuple[str, list[tuple[str, str]]]]:
    attachable, service = _aws_choices()
    return [
        ("Customer managed", [(policy.arn, policy.name) for policy in customer]),
        ("AWS managed", list(attachable)),
        ("AWS managed, for service-linked roles only", list(service)),
    ]


def _profile(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    profile = world.state.instance_profiles[name]
    dom = dom_id("profile", name)
    used_by = [
        instance.tags.get("Name") or instance.instance_id
        for instance in world.state.instances.values()
        if (association := imds.active_association(instance)) is not None
        and association.instance_profile_arn == profile.arn
    ]
    return {"name": name, "arn": profile.arn, "roles": profile.roles, "used_by": used_by,
            "dom": dom, "outcome": drafts.exactly(dom)}  # fmt: skip


def _slr_services(world: World) -> list[tuple[str, str]]:
    from simulator.services.iam import SERVICE_LINKED_ROLES

    return [
        (service, name)
        for service, (name, _policy, _description) in sorted(SERVICE_LINKED_ROLES.items())
        if name not in world.state.roles
    ]


# --- EC2 views ---


def _instances(world: World) -> list[Instance]:
    """Terminated last; by Name as people sort (web-2 before web-10), then id."""
    return sorted(
        world.state.instances.values(),
        key=lambda i: (i.state == "terminated", _natural(i.tags.get("Name", "")), i.instance_id),
    )


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


@lru_cache(maxsize=1024)
def _log_rows(text: str) -> tuple[dict[str, Any], ...]:
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("operation"), str):
            rows.append(row)
    return tuple(rows)


def _tile(instance: Instance) -> Tile:
    """The instance's tile: its application's last run, as its log tells it."""
    name = instance.tags.get("Name", "")
    if instance.app is None or not instance.app.calls:
        return Tile(instance.instance_id, name, instance.state, app=False)
    log = instance.files.get(APP_LOG)
    rows = _log_rows(log) if log else ()
    if not rows:
        return Tile(instance.instance_id, name, instance.state)
    calls = tuple(
        TileCall(
            str(row["operation"]),
            bool(row.get("ok")),
            _text(row.get("error")),
            _text(row.get("message")),
        )  # fmt: skip
        for row in rows
    )
    tick = rows[-1].get("tick")
    return Tile(
        instance.instance_id,
        name,
        instance.state,
        tick=tick if isinstance(tick, int) else 0,
        credentials=str(rows[-1].get("source") or ""),
        calls=calls,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _instance_view(
    world: World, instance: Instance, tile: Tile, drafts: _Drafts, copied: dict[str, str]
) -> dict[str, Any]:
    state = world.state
    dom = dom_id("instance", instance.instance_id)
    association = instance.association
    profile_name = role_name = None
    if association is not None:
        profile_name = association.instance_profile_arn.rsplit("/", 1)[-1]
        profile = state.instance_profiles.get(profile_name)
        if profile is not None and profile.roles:
            role_name = profile.roles[0]
    files = []
    for path, text in sorted(instance.files.items()):
        form = f"{dom}--file-{dom_id(path)}"
        files.append(
            {
                "path": path,
                "text": text,
                "form": form,
                "draft": drafts.of(form),
                "is_log": path == APP_LOG,
            }  # fmt: skip
        )
    steal_form = f"{dom}--steal"
    return {
        "id": instance.instance_id,
        "name": instance.tags.get("Name", ""),
        "state": instance.state,
        "type": instance.instance_type,
        "private_ip": instance.private_ip,
        "public_ip": instance.public_ip,
        "association": association,
        "association_active": imds.active_association(instance) is not None,
        "profile_name": profile_name,
        "role_name": role_name,
        "http_tokens": instance.http_tokens,
        "http_endpoint": instance.http_endpoint,
        "hop_limit": instance.http_put_response_hop_limit,
        "files": files,
        "env": sorted(instance.env.items()),
        "app": instance.app.name if instance.app else None,
        "ticks": instance.ticks,
        "tile": tile,
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "new_file": f"{dom}--file-new",
        "new_file_draft": drafts.of(f"{dom}--file-new") or _NO_DRAFT,
        "new_env": f"{dom}--env-new",
        "new_env_draft": drafts.of(f"{dom}--env-new") or _NO_DRAFT,
        "steal_form": steal_form,
        "steal": drafts.of(steal_form)
        or _steal_defaults(instance, copied.get(instance.instance_id, "")),
        "steal_answer": drafts.exactly(steal_form),
    }


def _steal_defaults(instance: Instance, copied: str) -> dict[str, str]:
    """The object the instance's application reads, to try from outside."""
    found = {"operation": "ListBuckets", "bucket": "", "key": "", "copied_key": copied}
    if instance.app is not None:
        for spec in instance.app.calls:
            params = spec.get("params")
            if spec.get("operation") == "GetObject" and isinstance(params, dict):
                key = str(params.get("Key", "")).replace("{instance}", instance.instance_id)
                key = key.replace("{name}", instance.tags.get("Name", ""))
                found.update(operation="GetObject", bucket=str(params.get("Bucket", "")), key=key)
                break
    return found


def _copied_keys(world: World) -> dict[str, str]:
    """Instance id -> the role credentials last used from outside (copied off it)."""
    found: dict[str, str] = {}
    for event in world.events:
        if event.get("sourceIPAddress") == OUTSIDE_IP and event.get("instanceId"):
            identity = event.get("userIdentity")
            if isinstance(identity, dict) and identity.get("accessKeyId"):
                found[str(event["instanceId"])] = str(identity["accessKeyId"])
    return found


# --- S3 views ---


def _bucket(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    bucket = world.state.buckets[name]
    objects = sorted(bucket.objects.values(), key=lambda o: (o.last_modified, o.key), reverse=True)
    dom = dom_id("bucket", name)
    return {
        "name": name,
        "region": bucket.region,
        "created": bucket.created,
        "count": len(objects),
        "objects": [{"key": o.key, "size": len(o.body)} for o in objects[:MAX_SHOWN_OBJECTS]],
        "more": max(len(objects) - MAX_SHOWN_OBJECTS, 0),
        "policy": pretty(bucket.policy) if bucket.policy else None,
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "objects_form": f"{dom}--objects",
        "answer": drafts.exactly(f"{dom}--objects"),
        "new_object": f"{dom}--object-new",
        "new_object_draft": drafts.of(f"{dom}--object-new") or _NO_DRAFT,
        "editor": drafts.editor(
            Editor(
                f"{dom}--policy",
                "Bucket policy",
                "resource",
                "console-bucket-policy-put",
                pretty(bucket.policy) if bucket.policy else _bucket_policy_example(world, name),
                hidden={"bucket": name},
                save_label="Save bucket policy",
            )  # fmt: skip
        ),
    }


def _bucket_policy_example(world: World, name: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{world.account_id}:role/AppRole"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        },
        indent=2,
    )
