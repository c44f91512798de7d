"""Who asks for what: the `Principal` and the `Request` the engine evaluates.

The request context is normalised once: condition key names are case-insensitive, so keys are
stored lower-cased; every value is a tuple of strings (a single-valued key is a 1-tuple). Keys
AWS derives from the caller (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
aws:username, aws:userid, aws:PrincipalIsAWSService, aws:PrincipalServiceName) and from the
clock (aws:CurrentTime, aws:EpochTime) are added when the caller did not supply them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["ContextValue", "Principal", "PrincipalType", "Request"]

ContextValue = str | Sequence[str]


class PrincipalType(StrEnum):
    """The value of aws:PrincipalType (plus Role and Service, which AWS does not name)."""

    ACCOUNT = "Account"
    USER = "User"
    ROLE = "Role"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    SERVICE = "Service"
    ANONYMOUS = "Anonymous"


_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. `arn` is None only for anonymous and service principals."""

    type: PrincipalType
    arn: str | None
    account: str | None = None
    name: str | None = None  # user, role or federated user name
    session_name: str | None = None
    role_arn: str | None = None  # the role behind a session (aws:PrincipalArn)
    service: str | None = None  # a service principal, lower-cased
    user_id: str | None = None  # aws:userid when known (AIDA..., AROA...:session)

    @property
    def role_key(self) -> str | None:
        """`account:role-name` for a role or a role session, to match role ARNs in policies."""
        if self.type in (PrincipalType.ROLE, PrincipalType.ASSUMED_ROLE) and self.name:
            return f"{self.account}:{self.name}"
        return None

    @property
    def principal_arn(self) -> str | None:
        """aws:PrincipalArn: for a role session, the role's ARN."""
        return self.role_arn or self.arn

    @property
    def display(self) -> str:
        """How AWS names the caller in an AccessDenied message."""
        if self.type is PrincipalType.ANONYMOUS:
            return "anonymous"
        return self.arn or self.service or "unknown"

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(PrincipalType.ANONYMOUS, None)

    @classmethod
    def for_service(cls, service: str) -> Principal:
        return cls(PrincipalType.SERVICE, None, service=service.lower())

    @classmethod
    def parse(
        cls, value: Any, *, role_arn: str | None = None, user_id: str | None = None
    ) -> Principal:
        """From an ARN, a service principal name, or {"type": "Anonymous"}.

        Raises ValueError with a learner-friendly message for anything else.
        """
        if isinstance(value, Mapping):
            if str(value.get("type", "")).lower() == "anonymous":
                return cls.anonymous()
            raise ValueError('A principal object must be {"type": "Anonymous"}.')
        if not isinstance(value, str) or not value.strip():
            raise ValueError("Say who the caller is: an ARN, a service principal, or anonymous.")
        value = value.strip()
        if value.lower() == "anonymous":
            return cls.anonymous()
        if _SERVICE.match(value):
            return cls.for_service(value)
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[4]:
            raise ValueError(
                f"{value!r} is not a principal: use an IAM ARN such as "
                "arn:aws:iam::111122223333:user/alice, an assumed-role ARN, or a service "
                "principal such as ec2.amazonaws.com."
            )
        partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
        if service == "iam":
            if resource == "root":
                return cls(PrincipalType.ACCOUNT, value, account, user_id=user_id or account)
            kind, _, rest = resource.partition("/")
            name = rest.rsplit("/", 1)[-1]
            if kind == "user" and name:
                return cls(PrincipalType.USER, value, account, name, user_id=user_id)
            if kind == "role" and name:
                return cls(
                    PrincipalType.ROLE, value, account, name, role_arn=value, user_id=user_id
                )
        if service == "sts":
            kind, _, rest = resource.partition("/")
            if kind == "assumed-role":
                role, _, session = rest.partition("/")
                if role and session:
                    return cls(
                        PrincipalType.ASSUMED_ROLE,
                        value,
                        account,
                        role,
                        session,
                        role_arn=role_arn or f"arn:{partition}:iam::{account}:role/{role}",
                        user_id=user_id,
                    )
            if kind == "federated-user" and rest:
                return cls(PrincipalType.FEDERATED_USER, value, account, rest, user_id=user_id)
        raise ValueError(
            f"{value!r} is not a principal ARN: IAM principals are users, roles, the account "
            "root, or sts assumed-role and federated-user sessions."
        )


def _normalise(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, int | float):
        return (str(value),)
    if isinstance(value, Sequence):
        return tuple(_normalise(item)[0] if not isinstance(item, str) else item for item in value)
    return (str(value),)


class Request(NamedTuple):
    """One authorization question: may `principal` perform `action` on `resource`?

    A NamedTuple rather than a frozen dataclass: it is built for every API call, and a frozen
    dataclass's __init__ costs four times as much.
    """

    principal: Principal
    action: str  # as given, e.g. "s3:GetObject"
    resource: str  # an ARN, or "*" for an action without resource-level permissions
    resource_account: str | None
    context: Mapping[str, tuple[str, ...]]  # lower-cased keys, derived keys included
    multivalued: frozenset[str]  # keys the caller gave as lists
    wildcard_only_action: bool = False
    action_key: str = ""  # the action lower-cased, for matching
    service: str = ""  # the action's service prefix, lower-cased

    @property
    def same_account(self) -> bool:
        return (
            self.resource_account is None
            or self.principal.account is None
            or self.resource_account == self.principal.account
        )

    @classmethod
    def build(
        cls,
        *,
        principal: Principal | str | Mapping[str, Any],
        action: str,
        resource: str = "*",
        resource_account: str | None = None,
        context: Mapping[str, Any] | None = None,
        wildcard_only_action: bool = False,
        now: datetime | None = None,
    ) -> Request:
        if isinstance(principal, str):
            principal, derived = _parse_cached(principal)
        else:
            if not isinstance(principal, Principal):
                principal = Principal.parse(principal)
            derived = _derived_from_principal(principal)
        # Derived keys first, so that what the caller supplied wins.
        values: dict[str, tuple[str, ...]] = dict(_derived_from_clock(now))
        values.update(derived)
        multivalued: set[str] = set()
        if context:
            for key, value in context.items():
                lowered = key.lower()
                if isinstance(value, str):
                    values[lowered] = (value,)
                else:
                    values[lowered] = _normalise(value)
                    if isinstance(value, Sequence):
                        multivalued.add(lowered)
        action_key = action.lower()
        if resource_account is None and resource != "*":
            parts = resource.split(":", 5)
            if len(parts) == 6 and parts[4]:
                resource_account = parts[4]
        return cls(
            principal=principal,
            action=action,
            resource=resource,
            resource_account=resource_account,
            context=values,
            multivalued=frozenset(multivalued),
            wildcard_only_action=wildcard_only_action,
            action_key=action_key,
            service=action_key.partition(":")[0],
        )


@lru_cache(maxsize=1024)
def _parse_cached(value: str) -> tuple[Principal, tuple[tuple[str, tuple[str, ...]], ...]]:
    principal = Principal.parse(value)
    return principal, _derived_from_principal(principal)


_clock_cache: tuple[int, tuple[tuple[str, tuple[str, ...]], ...]] = (-1, ())


def _derived_from_clock(now: datetime | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """aws:CurrentTime and aws:EpochTime; the text is made once per second."""
    global _clock_cache
    second = int(now.timestamp() if now is not None else time.time())
    if _clock_cache[0] != second:
        moment = datetime.fromtimestamp(second, UTC)
        _clock_cache = (
            second,
            (
                ("aws:currenttime", (moment.strftime("%Y-%m-%dT%H:%M:%SZ"),)),
                ("aws:epochtime", (str(second),)),
            ),
        )
    return _clock_cache[1]


@lru_cache(maxsize=1024)
def _derived_from_principal(principal: Principal) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((key, (value,)) for key, value in _derived(principal))


def _derived(principal: Principal) -> list[tuple[str, str]]:
    derived: list[tuple[str, str]] = []
    if principal.type is PrincipalType.ANONYMOUS:
        derived.append(("aws:principaltype", "Anonymous"))
        return derived
    if principal.type is PrincipalType.SERVICE:
        assert principal.service is not None
        derived.append(("aws:principalisawsservice", "true"))
        derived.append(("aws:principalservicename", principal.service))
        return derived
    derived.append(("aws:principalisawsservice", "false"))
    principal_arn = principal.principal_arn
    if principal_arn:
        derived.append(("aws:principalarn", principal_arn))
    if principal.account:
        derived.append(("aws:principalaccount", principal.account))
    aws_type = {
        PrincipalType.ROLE: "AssumedRole",
        PrincipalType.ASSUMED_ROLE: "AssumedRole",
    }.get(principal.type, principal.type.value)
    derived.append(("aws:principaltype", aws_type))
    if principal.type is PrincipalType.USER and principal.name:
        derived.append(("aws:username", principal.name))
    if principal.user_id:
        derived.append(("aws:userid", principal.user_id))
    if principal.type is PrincipalType.FEDERATED_USER and principal.account and principal.name:
        derived.append(("aws:userid", f"{principal.account}:{principal.name}"))
    return derived
