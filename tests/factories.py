"""Keyword-default factories for tests: policies, statements and requests; worlds with a
bucket, roles for instances, users with keys, a fleet; self-paced learners and class members;
a test browser's learner and member cookies."""

import json
import weakref
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.http import HttpRequest, HttpResponse
from django.test import Client

from simulator import Credentials, World
from simulator.iam import Policy, PolicyKind, Request, parse_policy
from simulator.model import AppSpec
from simulator.services import instances

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/AppRole"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/i-0abc1234def567890"
OBJECT = "arn:aws:s3:::reports-bucket/reports/q1.csv"


def statement(
    *,
    effect: str = "Allow",
    action: str | list[str] = "s3:GetObject",
    resource: str | list[str] | None = "*",
    **extra: Any,
) -> dict[str, Any]:
    found: dict[str, Any] = {"Effect": effect, "Action": action}
    if resource is not None:
        found["Resource"] = resource
    found.update(extra)
    return found


def document(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    found: dict[str, Any] = {"Statement": list(statements) or [statement()]}
    if version is not None:
        found["Version"] = version
    return found


def policy(
    *statements: dict[str, Any],
    name: str = "TestPolicy",
    kind: PolicyKind = PolicyKind.IDENTITY,
    version: str | None = "2012-10-17",
) -> Policy:
    return parse_policy(document(*statements, version=version), name=name, kind=kind)


def request(
    *,
    principal: Any = USER,
    action: str = "s3:GetObject",
    resource: str = OBJECT,
    resource_account: str | None = ACCOUNT,
    context: dict[str, Any] | None = None,
) -> Request:
    return Request.build(
        principal=principal,
        action=action,
        resource=resource,
        resource_account=resource_account,
        context=context,
    )


# --- Worlds --------------------------------------------------------------------------------

AMI = "ami-0abcdef1234567890"
BUCKET = "reports-bucket"
OBJECTS = f"arn:aws:s3:::{BUCKET}/*"
REPORT_WRITER = AppSpec(
    name="report-writer",
    calls=[
        {"service": "s3", "operation": "PutObject",
         "params": {"Bucket": BUCKET, "Key": "reports/{name}/{instance}/{tick}.csv", "Body": "a,b\n"}},
        {"service": "s3", "operation": "GetObject",
         "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
    ],
)  # fmt: skip
"""An application that writes a report and reads its configuration, every tick."""


def trust_policy(principal: dict[str, str] | None = None) -> str:
    """A role's trust policy, as JSON text, letting `principal` (EC2 unless told) assume it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": principal or {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


EC2_TRUST = trust_policy()


def policy_text(*statements: dict[str, Any]) -> str:
    """A policy document as JSON text, as a learner writes it: Version first."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions: str, resource: str | list[str] = "*") -> str:
    """An identity policy, as JSON text, allowing `actions` on `resource`."""
    return policy_text({"Effect": "Allow", "Action": list(actions), "Resource": resource})


_CLIENTS: weakref.WeakKeyDictionary[World, dict[str, Any]] = weakref.WeakKeyDictionary()


def admin_client(world: World, service: str) -> Any:
    """The admin's boto3 client for `service`, made once per world (a client takes ~0.2 s)."""
    clients = _CLIENTS.setdefault(world, {})
    if service not in clients:
        clients[service] = world.session().client(service)
    return clients[service]


def client_error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the ClientError a boto3 call raised."""
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def bucket_world(*, seed: int = 0) -> World:
    """A new world whose admin made BUCKET, holding the config/app.json REPORT_WRITER reads."""
    world = World.new(seed=seed)
    s3 = admin_client(world, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    return world


def instance_role(world: World, name: str, *actions: str) -> str:
    """A role EC2 may assume, with a customer managed policy allowing `actions` on BUCKET's
    objects, in an instance profile of the same name; returns the policy's ARN."""
    iam = admin_client(world, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    policy = iam.create_policy(
        PolicyName=f"{name}Policy", PolicyDocument=allow(*actions, resource=OBJECTS)
    )
    iam.attach_role_policy(RoleName=name, PolicyArn=policy["Policy"]["Arn"])
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return str(policy["Policy"]["Arn"])


def user_key(world: World, name: str, *actions: str) -> Credentials:
    """A new IAM user with an inline policy allowing `actions` on BUCKET's objects, and its key."""
    iam = admin_client(world, "iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name, PolicyName="s3", PolicyDocument=allow(*actions, resource=OBJECTS)
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def credentials_file(key: Credentials, *, profile: str = "default") -> str:
    """~/.aws/credentials holding `key` in the section `profile`."""
    return (
        f"[{profile}]\naws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )


def launch(world: World, count: int = 1, *, profile: str | None = None, **extra: Any) -> list[str]:
    """`count` running t3.micro instances launched by the admin (with `profile`'s role)."""
    params: dict[str, Any] = {"ImageId": AMI, "InstanceType": "t3.micro", "MinCount": count,
                              "MaxCount": count, **extra}  # fmt: skip
    if profile:
        params["IamInstanceProfile"] = {"Name": profile}
    reservation = admin_client(world, "ec2").run_instances(**params)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def fleet(
    world: World,
    *,
    size: int = 10,
    role: str = "FleetRole",
    actions: tuple[str, ...] = ("s3:PutObject", "s3:GetObject"),
    app: AppSpec = REPORT_WRITER,
) -> tuple[str, list[str]]:
    """`size` instances sharing one role (see instance_role), each running `app`:
    (the role's policy ARN, the instance ids)."""
    policy_arn = instance_role(world, role, *actions)
    instance_ids = launch(world, size, profile=role)
    for instance_id in instance_ids:
        instances.set_app(world, instance_id, app)
    return policy_arn, instance_ids


# --- Learners and class members ----------------------------------------------------------------


def _cookie_value(client: Client, cookie: str) -> str | None:
    from lessons.learners import SALTS

    morsel = client.cookies.get(cookie)
    if morsel is None or not morsel.value:
        return None
    request = HttpRequest()
    request.COOKIES[cookie] = morsel.value
    return request.get_signed_cookie(cookie, salt=SALTS[cookie])


def _hold(client: Client, cookie: str, key: str) -> None:
    from lessons.learners import SALTS

    response = HttpResponse()
    response.set_signed_cookie(cookie, key, salt=SALTS[cookie])
    client.cookies[cookie] = response.cookies[cookie].value


def learner_key(client: Client) -> str | None:
    """The self-paced learner key a test browser holds (None: no cookie)."""
    from lessons.learners import LEARNER_COOKIE

    return _cookie_value(client, LEARNER_COOKIE)


def hold_learner_key(client: Client, key: str) -> None:
    """Give a test browser a learner cookie holding `key`, signed as the app signs it."""
    from lessons.learners import LEARNER_COOKIE

    _hold(client, LEARNER_COOKIE, key)


def member_key(client: Client) -> str | None:
    """The class membership key a test browser holds (None: it is no one in a class)."""
    from lessons.learners import MEMBER_COOKIE

    return _cookie_value(client, MEMBER_COOKIE)


def hold_member_key(client: Client, key: str) -> None:
    """Make a test browser the class member whose key is `key`."""
    from lessons.learners import MEMBER_COOKIE

    _hold(client, MEMBER_COOKIE, key)


def new_learner(*, key: str = "") -> Any:
    """A stored self-paced Learner."""
    from lessons.models import Learner, new_key

    return Learner.objects.create(key=key or new_key())


def self_paced(learner: Any = None) -> Any:
    """The Owner of a self-paced learner's work (a new stored learner by default)."""
    from lessons.models import Owner

    return Owner(learner_key=(learner or new_learner()).key)


def member(classroom: Any, name: str = "Sam", **fields: Any) -> Any:
    """A Membership of `classroom` called `name` (made unique as a join would)."""
    from lessons.models import Membership

    return Membership.objects.create(
        classroom=classroom, display_name=classroom.free_name(name), **fields
    )


def started(client: Client, slug: str) -> Any:
    """Open a scenario's page in a test browser and store its attempt as the browser's first
    change would (a GET alone stores nothing): the class member's if it is one, else its own."""
    from lessons.models import Attempt, Membership, Owner, catalogue

    client.get(f"/s/{slug}/")
    member = member_key(client)
    if member is not None:
        owner = Owner(membership=Membership.objects.get(key=member))
    else:
        key = learner_key(client)
        assert key is not None
        owner = Owner(learner_key=key)
    return Attempt.start(owner, catalogue()[slug])
