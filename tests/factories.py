"""Keyword-default factories for tests: policies, statements and requests; self-paced learners
and class members; a test browser's learner and member cookies."""

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
