"""Keyword-default factories for tests: policies, statements and requests; a test browser's
learner cookie."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.test import Client

from simulator.iam import Policy, PolicyKind, Request, parse_policy

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


def learner_key(client: Client) -> str | None:
    """The learner key a test browser holds in its signed learner cookie (None: no cookie)."""
    from lessons.learners import COOKIE, SALT

    morsel = client.cookies.get(COOKIE)
    if morsel is None or not morsel.value:
        return None
    request = HttpRequest()
    request.COOKIES[COOKIE] = morsel.value
    return request.get_signed_cookie(COOKIE, salt=SALT)


def hold_learner_key(client: Client, key: str) -> None:
    """Give a test browser a learner cookie holding `key`, signed as the app signs it."""
    from lessons.learners import COOKIE, SALT

    response = HttpResponse()
    response.set_signed_cookie(COOKIE, key, salt=SALT)
    client.cookies[COOKIE] = response.cookies[COOKIE].value
