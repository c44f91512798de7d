"""The simulated AWS account, and the one path every call takes: `World.call`.

    world = World.new(seed=0)
    world.call(credentials, "s3", "GetObject", {"Bucket": "b", "Key": "k"})

`call` authenticates the credentials (long-term AKIA keys, temporary ASIA keys with their
session token and expiry), runs the operation's handler (services/*.py), which asks `Call.authorize`
for every IAM action the operation needs (the policy engine decides; nothing else does), acts
on the state or raises `AwsError` with AWS's code, status and message, and appends one
CloudTrail-shaped event carrying the engine's decision. Deterministic: the same seed and the
same calls give the same ids, keys and times.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from simulator import serde
from simulator.errors import AwsError
from simulator.iam import (
    Decision,
    Outcome,
    Policy,
    PolicyGrammarError,
    PolicyKind,
    Principal,
    Request,
    evaluate,
)
from simulator.iam.denials import denied_error
from simulator.model import Instance, Role, State, StsSession, User

if TYPE_CHECKING:
    import boto3

__all__ = ["Call", "Caller", "Credentials", "World"]

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
"""The simulated clock starts here: a Monday morning."""

OUTSIDE_IP = "198.51.100.23"
"""Where a copied key is used from: an address outside the account's network."""
CONSOLE_IP = "203.0.113.10"
"""The learner's own computer, for calls made from the console panels."""
MAX_EVENTS = 60
"""Events kept in the world: the newest; older ones fall off (a saved world stays small)."""
MAX_LOGGED_TEXT = 300
"""Longer request parameters (policy documents, bodies) are shortened in the event log."""

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


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


@lru_cache(maxsize=4096)
def compile_policy(text: str, name: str, kind: PolicyKind) -> Policy:
    """A stored policy document, parsed once (documents are immutable strings)."""
    return Policy.from_dict(json.loads(text), name=name, kind=kind)


class Call:
    """One call in progress: what a service handler gets."""

    __slots__ = ("caller", "decisions", "operation", "params", "service", "source_ip", "world")

    def __init__(
        self,
        world: World,
        caller: Caller,
        service: str,
        operation: str,
        params: dict[str, Any],
        source_ip: str,
    ) -> None:
        self.world = world
        self.caller = caller
        self.service = service
        self.operation = operation
        self.params = params
        self.source_ip = source_ip
        self.decisions: list[Decision] = []

    @property
    def state(self) -> State:
        return self.world.state

    def decide(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: str | None = None,
        resource_account: str | None = None,
    ) -> Decision:
        """Ask the policy engine; record the decision; do not raise."""
        decision = self.world.decide(
            self.caller,
            action,
            resource,
            context=context,
            resource_policy=resource_policy,
            resource_account=resource_account,
            source_ip=self.source_ip,
        )
        self.decisions.append(decision)
        return decision

    def authorize(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: str | None = None,
        resource_account: str | None = None,
    ) -> Decision:
        """Ask the policy engine; raise the service's AccessDenied error when denied."""
        decision = self.decide(
            action,
            resource,
            context=context,
            resource_policy=resource_policy,
            resource_account=resource_account,
        )
        if not decision.allowed:
            raise self.world.denied(decision)
        return decision

    def new_id(self, prefix: str, length: int = 16, alphabet: str = _BASE32) -> str:
        return self.world.new_id(prefix, length, alphabet)


class World:
    """A simulated AWS account: its state, its clock, and `call`."""

    def __init__(self, state: State) -> None:
        self.state = state

    # --- creation, persistence ----------------------------------------------------------

    @classmethod
    def new(
        cls, seed: int = 0, *, account_id: str = "111122223333", region: str = "us-east-1"
    ) -> World:
        """A new account with one IAM user, `admin`, holding AdministratorAccess and a key."""
        world = cls(State(seed=seed, account_id=account_id, region=region, now=EPOCH))
        from simulator.services import iam

        iam.bootstrap_admin(world)
        return world

    def to_dict(self) -> dict[str, Any]:
        return serde.to_json(self.state)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> World:
        return cls(serde.from_json(State, dict(data)))

    def copy(self) -> World:
        """An independent copy (for step checks that probe without changing the world)."""
        return World.from_dict(copy.deepcopy(self.to_dict()))

    # --- identifiers and the clock -------------------------------------------------------

    def new_id(self, prefix: str, length: int = 16, alphabet: str = _BASE32) -> str:
        """`prefix` + `length` characters, deterministic from the seed and a counter."""
        counters = self.state.counters
        number = counters.get(prefix, 0) + 1
        counters[prefix] = number
        digest = hashlib.sha256(f"{self.state.seed}:{prefix}:{number}".encode()).digest()
        while len(digest) < length:
            digest += hashlib.sha256(digest).digest()
        return prefix + "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])

    def new_secret(self, length: int = 40) -> str:
        return self.new_id("secret:", length, _ALNUM + "/+")[len("secret:") :]

    @property
    def now(self) -> datetime:
        return self.state.now

    @property
    def account_id(self) -> str:
        return self.state.account_id

    @property
    def region(self) -> str:
        return self.state.region

    def advance(self, seconds: float) -> None:
        """Move the simulated clock on; time-driven work (deletions, associations) catches up."""
        if seconds < 0:
            raise ValueError("The clock only moves forward.")
        self.state.now = self.state.now + timedelta(seconds=seconds)
        from simulator.services import settle

        settle(self)

    # --- the one path ----------------------------------------------------------------------

    def call(
        self,
        credentials: Credentials | tuple[str, str] | tuple[str, str, str | None],
        service: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        source_ip: str | None = None,
    ) -> dict[str, Any]:
        """Authenticate, authorize, act, record. Returns the response dict or raises AwsError."""
        from simulator.services import handler_for

        creds = Credentials(*credentials)
        params = dict(params or {})
        handler = handler_for(service, operation)
        caller: Caller | None = None
        call: Call | None = None
        ip = source_ip or CONSOLE_IP
        try:
            caller = self.authenticate(creds, service)
            call = Call(self, caller, service, operation, params, ip)
            if handler is None:
                raise AwsError(
                    "InvalidAction",
                    f"The simulator does not offer {service}:{operation} yet.",
                    400,
                )
            response = handler(call)
        except AwsError as error:
            self._record(service, operation, params, ip, caller, call, error, creds)
            raise
        self._record(service, operation, params, ip, caller, call, None, creds)
        return response

    def authenticate(self, credentials: Credentials, service: str) -> Caller:
        key_id = credentials.access_key_id or ""
        state = self.state
        if key_id.startswith("AKIA"):
            key = state.access_keys.get(key_id)
            user = state.users.get(key.user_name) if key is not None else None
            if key is None or user is None or key.status != "Active":
                raise self._invalid_key(service)
            if credentials.secret_access_key != key.secret_access_key:
                raise _signature_mismatch()
            key.last_used = state.now
            key.last_used_service = service
            key.last_used_region = state.region
            return Caller(user.arn, state.account_id, key_id, "IAMUser", user.user_id, user=user)
        session = state.sessions.get(key_id)
        if session is None or credentials.session_token != session.session_token:
            raise self._invalid_key(service)
        if credentials.secret_access_key != session.secret_access_key:
            raise _signature_mismatch()
        if state.now >= session.expiration:
            raise _expired(service)
        role = state.roles.get(session.role_name)
        if role is None:
            raise self._invalid_key(service)
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

    def _invalid_key(self, service: str) -> AwsError:
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

    # --- authorization --------------------------------------------------------------------

    def identity_policies(self, caller: Caller) -> tuple[list[Policy], list[Policy], Policy | None]:
        """(identity policies, permissions boundary, session policy) of the caller."""
        state = self.state
        identity: list[Policy] = []
        boundary: list[Policy] = []
        session_policy: Policy | None = None
        entity: User | Role | None = caller.user or caller.role
        if entity is None:
            return identity, boundary, None
        for name, text in entity.inline_policies.items():
            identity.append(compile_policy(text, name, PolicyKind.IDENTITY))
        for arn in entity.attached_policies:
            identity.append(self._managed(arn))
        if caller.user is not None:
            for group_name in caller.user.groups:
                group = state.groups.get(group_name)
                if group is None:
                    continue
                for name, text in group.inline_policies.items():
                    identity.append(
                        compile_policy(text, f"{group.name}/{name}", PolicyKind.IDENTITY)
                    )
                for arn in group.attached_policies:
                    identity.append(self._managed(arn))
        if entity.permissions_boundary:
            boundary.append(self._managed(entity.permissions_boundary, PolicyKind.BOUNDARY))
        if caller.session is not None and caller.session.session_policy:
            session_policy = compile_policy(
                caller.session.session_policy, "session policy", PolicyKind.SESSION
            )
        return identity, boundary, session_policy

    def _managed(self, arn: str, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
        from simulator.services import iam

        policy = iam.managed_policy(self, arn)
        if policy is None:
            raise LookupError(arn)
        return compile_policy(policy.default_document(), policy.name, kind)

    def request_context(self, caller: Caller, source_ip: str) -> dict[str, Any]:
        """The condition keys AWS sets for this caller (the engine derives the principal's)."""
        context: dict[str, Any] = {
            "aws:SourceIp": source_ip,
            "aws:RequestedRegion": self.state.region,
            "aws:SecureTransport": "true",
            "aws:ViaAWSService": "false",
        }
        entity = caller.user or caller.role
        tags = entity.tags if entity is not None else {}
        for key, value in tags.items():
            context[f"aws:PrincipalTag/{key}"] = value
        session = caller.session
        if session is not None:
            context["aws:TokenIssueTime"] = _iso(session.issued)
            if session.instance_id is not None:
                context["ec2:SourceInstanceARN"] = (
                    f"arn:aws:ec2:{self.state.region}:{self.state.account_id}:instance/{session.instance_id}"
                )
                if session.delivery:
                    context["ec2:RoleDelivery"] = session.delivery
        else:
            context["aws:MultiFactorAuthPresent"] = "false"
        return context

    def decide(
        self,
        caller: Caller,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: str | None = None,
        resource_account: str | None = None,
        source_ip: str = CONSOLE_IP,
    ) -> Decision:
        identity, boundary, session_policy = self.identity_policies(caller)
        request_context = self.request_context(caller, source_ip)
        if context:
            request_context.update(context)
        request = Request.build(
            principal=caller.principal(),
            action=action,
            resource=resource,
            resource_account=resource_account or self.state.account_id,
            context=request_context,
            now=self.state.now,
        )
        resource_doc: Policy | None = None
        if resource_policy:
            kind = (
                PolicyKind.TRUST
                if action.lower().startswith("sts:assumerole")
                else PolicyKind.RESOURCE
            )
            name = "trust policy" if kind is PolicyKind.TRUST else "resource-based policy"
            try:
                resource_doc = compile_policy(resource_policy, name, kind)
            except (PolicyGrammarError, ValueError):
                resource_doc = None
        return evaluate(
            request,
            identity_policies=identity,
            resource_policy=resource_doc,
            permissions_boundaries=boundary,
            session_policy=session_policy,
        )

    def denied(self, decision: Decision) -> AwsError:
        """The error the service returns for a denied decision."""
        encoded: str | None = None
        if decision.request.service == "ec2":
            encoded = self._encode_authorization_message(decision)
        error = denied_error(decision, encoded_message=encoded)
        assert error is not None
        if decision.request.action_key in ("sts:assumerole",):
            # STS names the role and leaves out the reason (iam-facts §2).
            message = (
                f"User: {decision.request.principal.display} is not authorized to perform: "
                f"sts:AssumeRole on resource: {decision.request.resource}"
            )
            return AwsError("AccessDenied", message, 403, decision=decision)
        return AwsError(error.code, error.message, error.status, decision=decision)

    def _encode_authorization_message(self, decision: Decision) -> str:
        token = self.new_id("", 60, _ALNUM + "-_")
        request = decision.request
        self.state.authorization_messages[token] = {
            "allowed": decision.allowed,
            "explicitDeny": decision.response.value == "ExplicitlyDenied",
            "matchedStatements": {
                "items": [
                    {
                        "statementId": ref.sid or "",
                        "effect": ref.effect.value,
                        "policy": ref.policy_name,
                    }
                    for ref in decision.decided_by
                ]  # fmt: skip
            },
            "failures": {"items": []},
            "context": {
                "principal": {
                    "id": request.context.get("aws:userid", ("",))[0],
                    "arn": request.principal.display,
                },  # fmt: skip
                "action": request.action,
                "resource": request.resource,
                "conditions": {
                    "items": [
                        {"key": key, "values": {"items": [{"value": v} for v in values]}}
                        for key, values in sorted(request.context.items())
                    ]
                },
            },
        }
        return token

    # --- events ---------------------------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.state.events

    def _record(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        source_ip: str,
        caller: Caller | None,
        call: Call | None,
        error: AwsError | None,
        credentials: Credentials,
    ) -> None:
        state = self.state
        decision = None
        if error is not None and error.decision is not None:
            decision = error.decision
        elif call is not None and call.decisions:
            decision = call.decisions[-1]
        event: dict[str, Any] = {
            "eventVersion": "1.08",
            "eventTime": _iso(state.now),
            "eventSource": f"{service}.amazonaws.com",
            "eventName": operation,
            "awsRegion": state.region,
            "sourceIPAddress": source_ip,
            "userAgent": "rolecall",
            "userIdentity": _user_identity(caller, credentials, state.account_id),
            "requestParameters": _loggable(params),
            "requestID": self.new_id("req-", 20, "0123456789ABCDEF")[4:],
            "eventID": self.new_id("evt-", 32, "0123456789abcdef")[4:],
            "readOnly": operation.startswith(("Get", "List", "Describe", "Head")),
            "eventType": "AwsApiCall",
            "recipientAccountId": state.account_id,
            "credentialSource": caller.credential_source if caller else "unknown",
        }
        if caller is not None and caller.session is not None and caller.session.instance_id:
            event["instanceId"] = caller.session.instance_id
        if error is not None:
            event["errorCode"] = error.code
            event["errorMessage"] = error.message
        if decision is not None:
            event["decision"] = decision_summary(decision)
        state.events.append(event)
        if len(state.events) > MAX_EVENTS:
            del state.events[: len(state.events) - MAX_EVENTS]

    # --- instances: files, environment, metadata service ---------------------------------

    def instance(self, instance_id: str) -> Instance:
        found = self.state.instances.get(instance_id)
        if found is None:
            raise KeyError(f"No instance {instance_id}")
        return found

    def write_file(self, instance_id: str, path: str, text: str) -> None:
        self.instance(instance_id).files[_home(path)] = text

    def read_file(self, instance_id: str, path: str) -> str | None:
        return self.instance(instance_id).files.get(_home(path))

    def delete_file(self, instance_id: str, path: str) -> None:
        self.instance(instance_id).files.pop(_home(path), None)

    def set_env(self, instance_id: str, name: str, value: str | None) -> None:
        env = self.instance(instance_id).env
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value

    def imds(
        self, instance_id: str, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        from simulator.services import imds

        return imds.request(self, instance_id, method, path, dict(headers or {}))

    # --- boto3 ------------------------------------------------------------------------------

    def admin_credentials(self) -> Credentials:
        from simulator.services import iam

        return iam.admin_credentials(self)

    def session(
        self,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        *,
        source_ip: str | None = None,
    ) -> boto3.Session:
        """A real boto3.Session whose clients are answered by this world, in-process."""
        from simulator.boto import make_session

        if access_key_id is None:
            creds = self.admin_credentials()
        else:
            creds = Credentials(access_key_id, secret_access_key or "", session_token)
        return make_session(self, creds, source_ip=source_ip)

    def instance_session(self, instance_id: str) -> boto3.Session:
        """AWS as software on that instance sees it: the SDK's default credential chain there."""
        from simulator.boto import make_session
        from simulator.services import instances

        found = instances.resolve_credentials(self, instance_id)
        if found is None:
            raise AwsError(
                "NoCredentialsError",
                "Unable to locate credentials on this instance: no environment variables, no "
                "~/.aws/credentials, and no instance profile role.",
                400,
            )
        creds, _source = found
        return make_session(self, creds, source_ip=instances.source_ip(self, instance_id))


def decision_summary(decision: Decision) -> dict[str, Any]:
    """The engine's decision as JSON, for the event log's "why" view."""
    # The event already carries who, what and AWS's error text; the summary adds only why.
    return {
        "response": decision.response.value,
        "reason": decision.reason.value,
        "action": decision.request.action,
        "resource": decision.request.resource,
        "namedType": decision.named_type.value if decision.named_type else None,
        "explanation": decision.explanation,
        "decidedBy": [ref.label for ref in decision.decided_by],
        "results": [
            {
                "policyType": result.policy_type.value,
                "outcome": result.outcome.value,
                "allows": [ref.label for ref in result.allows],
                "denies": [ref.label for ref in result.denies],
                "note": result.note,
            }
            for result in decision.results
            if result.outcome is not Outcome.NOT_APPLICABLE
        ],
    }


def _user_identity(caller: Caller | None, credentials: Credentials, account: str) -> dict[str, Any]:
    if caller is None:
        return {"type": "Unknown", "accessKeyId": credentials.access_key_id}
    if caller.user is not None:
        return {
            "type": "IAMUser",
            "principalId": caller.principal_id,
            "arn": caller.arn,
            "accountId": account,
            "accessKeyId": caller.access_key_id,
            "userName": caller.user.name,
        }
    assert caller.role is not None
    assert caller.session is not None
    identity: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": caller.principal_id,
        "arn": caller.arn,
        "accountId": account,
        "accessKeyId": caller.access_key_id,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": caller.role.role_id,
                "arn": caller.role.arn,
                "accountId": account,
                "userName": caller.role.name,
            },
            "attributes": {
                "creationDate": _iso(caller.session.issued),
                "mfaAuthenticated": "false",
            },
        },
    }
    if caller.session.delivery:
        identity["sessionContext"]["ec2RoleDelivery"] = caller.session.delivery
    return identity


_SECRET_PARAMS = {"SecretAccessKey", "SessionToken", "Password", "Body"}


def _loggable(params: Mapping[str, Any]) -> dict[str, Any]:
    logged: dict[str, Any] = {}
    for key, value in params.items():
        if key in _SECRET_PARAMS:
            continue
        if isinstance(value, str) and len(value) > MAX_LOGGED_TEXT:
            value = value[:MAX_LOGGED_TEXT] + "…"
        elif isinstance(value, bytes):
            continue
        logged[key] = value
    return logged


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _home(path: str) -> str:
    """`~/.aws/credentials` on an instance is ec2-user's: /home/ec2-user/.aws/credentials."""
    if path.startswith("~/"):
        return "/home/ec2-user/" + path[2:]
    return path


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
