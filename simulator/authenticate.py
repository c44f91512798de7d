"""Who is calling: the credentials a call carries in, a `Caller` out, or AWS's error.

Long-term keys (AKIA...) belong to an IAM user and must be active; temporary keys (ASIA...)
belong to an STS session and need its session token and an unexpired session. A wrong secret
is SignatureDoesNotMatch; an unknown key is each service's own "invalid key" error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from simulator.errors import AwsError
from simulator.iam import Principal
from simulator.model import Role, State, StsSession, User

__all__ = ["Caller", "Credentials", "authenticate"]


class Credentials(NamedTuple):
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


@dataclass(slots=True)
class Caller:
    """Who is calling, after authentication."""

    arn: str
    account_id: str
    access_key_id: str
    kind: str  # "IAMUser" | "AssumedRole"
    principal_id: str  # AIDA... or AROA...:session
    user: User | None = None
    role: Role | None = None
    session: StsSession | None = None

    @property
    def credential_source(self) -> str:
        if self.session is None:
            return "long-term access key"
        if self.session.source == "InstanceProfile":
            return "instance profile role"
        return "assumed role"

    def principal(self) -> Principal:
        if self.role is not None:
            return Principal.parse(self.arn, role_arn=self.role.arn, user_id=self.principal_id)
        return Principal.parse(self.arn, user_id=self.principal_id)


def authenticate(state: State, credentials: Credentials, service: str) -> Caller:
    """The caller these credentials prove, as of the account's clock; raises AwsError."""
    key_id = credentials.access_key_id or ""
    if key_id.startswith("AKIA"):
        key = state.access_keys.get(key_id)
        user = state.users.get(key.user_name) if key is not None else None
        if key is None or user is None or key.status != "Active":
            raise _invalid_key(service)
        if credentials.secret_access_key != key.secret_access_key:
            raise _signature_mismatch()
        key.last_used = state.now
        key.last_used_service = service
        key.last_used_region = state.region
        return Caller(user.arn, state.account_id, key_id, "IAMUser", user.user_id, user=user)
    session = state.sessions.get(key_id)
    if session is None or credentials.session_token != session.session_token:
        raise _invalid_key(service)
    if credentials.secret_access_key != session.secret_access_key:
        raise _signature_mismatch()
    if state.now >= session.expiration:
        raise _expired(service)
    role = state.roles.get(session.role_name)
    if role is None:
        raise _invalid_key(service)
    arn = f"arn:aws:sts::{state.account_id}:assumed-role/{role.name}/{session.session_name}"
    role.last_used = state.now
    role.last_used_region = state.region
    return Caller(
        arn,
        state.account_id,
        key_id,
        "AssumedRole",
        f"{role.role_id}:{session.session_name}",
        role=role,
        session=session,
    )


def _invalid_key(service: str) -> AwsError:
    if service == "s3":
        return AwsError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
        )
    if service == "ec2":
        return AwsError(
            "AuthFailure", "AWS was not able to validate the provided access credentials", 401
        )
    return AwsError(
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403
    )


def _signature_mismatch() -> AwsError:
    return AwsError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        403,
    )


def _expired(service: str) -> AwsError:
    if service == "s3":
        return AwsError("ExpiredToken", "The provided token has expired.", 400)
    if service == "ec2":
        return AwsError("RequestExpired", "Request has expired.", 400)
    return AwsError("ExpiredToken", "The security token included in the request is expired", 403)
