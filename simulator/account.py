"""The simulated AWS account, and the one path every call takes: `Account.call`.

    account.call(credentials, "s3", "GetObject", {"Bucket": "b", "Key": "k"})

`call` authenticates the credentials (authenticate.py), runs the operation's handler, which
asks `Call.authorize` for every IAM action the operation needs (the policy engine decides;
nothing else does), acts on the state or raises `AwsError` with AWS's code, status and message,
and appends one CloudTrail-shaped event carrying the engine's decision (events.py).
Deterministic: the same seed and the same calls give the same ids, keys and times.

Handlers are one function per AWS operation, each registered here by `@operation(service,
name)` from its service module (services/*.py); work the clock drives registers with
`@settles`. This module knows no service: the services import it, never the reverse. The
public `World` (world.py) adds what the outside uses to reach the account: boto3 sessions,
software on an instance, the metadata service.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Self

from simulator import aws_managed, ids, network, serde
from simulator.authenticate import Caller, Credentials, authenticate
from simulator.clock import EPOCH, iso
from simulator.errors import AwsError
from simulator.events import record_call, share_event
from simulator.iam import (
    Decision,
    Policy,
    PolicyGrammarError,
    PolicyKind,
    Request,
    evaluate,
)
from simulator.iam.denials import denied_error
from simulator.iam.explain import condition_evidence
from simulator.model import HOME, AccessKey, Instance, ManagedPolicy, Role, State, User

__all__ = [
    "CONSOLE_IP",
    "OUTSIDE_IP",
    "Account",
    "Call",
    "Handler",
    "compile_policy",
    "handler_for",
    "operation",
    "operations",
    "settle",
    "settles",
]

OUTSIDE_IP = "198.51.100.23"
"""Where a copied key is used from: an address outside the account's network."""
CONSOLE_IP = "203.0.113.10"
"""The learner's own computer, for calls made from the console panels."""
ADMIN = "admin"
"""The IAM user a new account starts with."""
_STS_ROLE_ACTIONS = {
    "sts:assumerole": "sts:AssumeRole",
    "sts:tagsession": "sts:TagSession",
    "sts:setsourceidentity": "sts:SetSourceIdentity",
}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_CALLED_VIA = frozenset({"athena", "cloudformation", "dynamodb", "kms"})
"""Services that set aws:CalledVia (IAM User Guide, reference_policies_condition-keys.html
#calledvia-services)."""


@lru_cache(maxsize=4096)
def compile_policy(text: str, name: str, kind: PolicyKind) -> Policy:
    """A stored policy document, parsed once (documents are immutable strings)."""
    return Policy.from_dict(json.loads(text), name=name, kind=kind)


class Call:
    """One call in progress: what a service handler gets."""

    __slots__ = (
        "also_recorded_in",
        "caller",
        "decisions",
        "evaluated",
        "operation",
        "params",
        "service",
        "source_ip",
        "via_service",
        "world",
    )

    def __init__(
        self,
        world: Account,
        caller: Caller,
        service: str,
        operation: str,
        params: dict[str, Any],
        source_ip: str,
        via_service: str | None = None,
    ) -> None:
        self.world = world
        self.caller = caller
        self.service = service
        self.operation = operation
        self.params = params
        self.source_ip = source_ip
        self.via_service = via_service  # the service making this call on the caller's behalf
        self.decisions: list[Decision] = []
        # The policies the last decision weighed ((policy, is resource-based)), for the log.
        self.evaluated: tuple[tuple[Policy, bool], ...] = ()
        # Another account whose event log also records this call (a cross-account AssumeRole
        # is logged in the caller's account and in the role's: simulator/services/sts.py).
        self.also_recorded_in: Account | None = None

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
        decision, self.evaluated = self.world.decide_with_policies(
            self.caller,
            action,
            resource,
            context=context,
            resource_policy=resource_policy,
            resource_account=resource_account,
            source_ip=self.source_ip,
            via_service=self.via_service,
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

    def new_id(self, prefix: str, length: int = 16, alphabet: str = ids.BASE32) -> str:
        return self.world.new_id(prefix, length, alphabet)


# --- the operations the services offer ------------------------------------------------------

Handler = Callable[[Call], dict[str, Any]]
"""One AWS operation: the call in progress in, botocore's response shape out, or AwsError."""

_HANDLERS: dict[tuple[str, str], Handler] = {}
_SETTLERS: list[Callable[[Account], None]] = []


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register a handler for `service` (botocore's service name) and `name` (its operation)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[(service, name)] = handler
        return handler

    return register


def settles(function: Callable[[Account], None]) -> Callable[[Account], None]:
    """Register work the clock drives (`Account.advance` runs it after moving the clock)."""
    _SETTLERS.append(function)
    return function


def handler_for(service: str, name: str) -> Handler | None:
    return _HANDLERS.get((service, name))


def operations() -> list[tuple[str, str]]:
    """Every (service, operation) the simulator offers."""
    return sorted(_HANDLERS)


def settle(account: Account) -> None:
    for function in _SETTLERS:
        function(account)


# --- the account ------------------------------------------------------------------------------


class Account:
    """A simulated AWS account: its state, its clock, and `call`.

    A world may hold several accounts (`add_account`). The first one, made by `new` or
    `from_dict`, is the world's *root*: it owns the others' states (`State.accounts`), the
    clock they share, and the JSON. Every other account is reached as a view (`account(...)`),
    an `Account` over that account's state whose `root` is the world's first account. A call
    runs in the account its credentials belong to, whichever account object it is made on.
    """

    def __init__(self, state: State, root: Account | None = None) -> None:
        self.state = state
        self.root: Account = root if root is not None else self
        self._views: dict[str, Account] = {}  # the root's views of the other accounts

    # --- creation, persistence ----------------------------------------------------------

    @classmethod
    def new(
        cls, seed: int = 0, *, account_id: str = "111122223333", region: str = "us-east-1"
    ) -> Self:
        """A new account with one IAM user, `admin`, holding AdministratorAccess and a key."""
        account = cls(State(seed=seed, account_id=account_id, region=region, now=EPOCH))
        account._add_admin()
        return account

    def _add_admin(self) -> None:
        """The new account's `admin` user: AdministratorAccess and one active key. No event."""
        state = self.state
        user = User(
            name=ADMIN,
            user_id=self.new_id("AIDA", 17),
            path="/",
            arn=f"arn:aws:iam::{state.account_id}:user/{ADMIN}",
            created=state.now,
            attached_policies=[aws_managed.ADMINISTRATOR_ACCESS],
        )
        state.users[user.name] = user
        key = AccessKey(
            access_key_id=self.new_id("AKIA"),
            secret_access_key=self.new_secret(),
            user_name=user.name,
            status="Active",
            created=state.now,
        )
        state.access_keys[key.access_key_id] = key

    def admin_credentials(self) -> Credentials:
        """The `admin` user's first active access key (of this account: `account(...)` for
        another's)."""
        for key in self.state.access_keys.values():
            if key.user_name == ADMIN and key.status == "Active":
                return Credentials(key.access_key_id, key.secret_access_key)
        raise LookupError("The admin user has no active access key.")

    def to_dict(self) -> dict[str, Any]:
        """The whole world as JSON-shaped data: this account and every other one it holds.

        `name` and `accounts` are left out while empty, so a one-account world's JSON is what
        it was before worlds had several accounts (and such saved worlds load unchanged)."""
        data = serde.to_json(self.root.state)
        _drop_empty(data)
        for nested in data.get("accounts", {}).values():
            _drop_empty(nested)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(serde.from_json(State, dict(data)))

    def copy(self) -> Self:
        """An independent copy (for step checks that probe without changing the world).

        Through the world's JSON text, as a learner's world is stored (lossless: a test
        compares), not a deepcopy of its dict: the text shares nothing with the state (the
        dict may: serde passes `Any` values through), and JSON's few types are quicker to
        write and read than deepcopy is to walk. Measured on the built-in scenarios' worlds,
        medians of 200 (step 10): fleet-put-only (109 KB) 2.3 ms against 3.2 ms,
        attach-replace (25 KB) 0.73 ms against 0.95 ms.
        """
        return self.copies(1)[0]

    def copies(self, count: int) -> list[Self]:
        """`count` independent copies, as `copy` makes one, the world written to JSON once for
        all of them (a step check whose probes each need a world of their own): three copies
        of fleet-put-only's world (109 KB) take 3.6 ms where three `copy()` take 5.6 ms
        (medians of 60, step 10)."""
        if count <= 0:
            return []
        text = json.dumps(self.to_dict())
        return [self.from_dict(json.loads(text)) for _ in range(count)]

    # --- several accounts ---------------------------------------------------------------------

    def add_account(self, account_id: str, *, name: str = "") -> Account:
        """A new account in this world, with its own `admin` user (AdministratorAccess and one
        access key), as `new` makes the first one; returns it. Its ids are deterministic from
        the world's seed and its account id (`_account_seed`), so they never repeat the first
        account's.

            vendor = world.add_account("444455556666", name="vendor")
            world.session(account="vendor").client("sts").get_caller_identity()
        """
        root = self.root
        if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
            raise ValueError(f"An account id is 12 digits, not {account_id!r}.")
        if any(other.account_id == account_id for other in root.accounts):
            raise ValueError(f"The world already has account {account_id}.")
        if name and any(other.state.name == name for other in root.accounts):
            raise ValueError(f"The world already has an account named {name!r}.")
        state = State(
            seed=_account_seed(root.state.seed, account_id),
            account_id=account_id,
            region=root.state.region,
            now=root.state.now,
            name=name,
        )
        root.state.accounts[account_id] = state
        account = root._view(state)
        account._add_admin()
        return account

    @property
    def accounts(self) -> list[Account]:
        """Every account of the world, the first one first."""
        root = self.root
        return [root, *(root._view(state) for state in root.state.accounts.values())]

    def account(self, key: str) -> Account:
        """One account of the world, by its id or its name; KeyError if there is none."""
        for candidate in self.root.accounts:
            if key in (candidate.account_id, candidate.state.name) and key:
                return candidate
        raise KeyError(f"The world has no account {key!r}.")

    def account_by_id(self, account_id: str) -> Account | None:
        """The world's account with this id, or None (an account the world does not hold)."""
        root = self.root
        if account_id == root.state.account_id:
            return root
        state = root.state.accounts.get(account_id)
        return root._view(state) if state is not None else None

    def _view(self, state: State) -> Account:
        """The root's Account over one of its states (the same object each time)."""
        if state is self.state:
            return self
        view = self._views.get(state.account_id)
        if view is None or view.state is not state:
            view = Account(state, self)
            self._views[state.account_id] = view
        return view

    def _owner(self, access_key_id: str) -> Account:
        """The account whose credentials these are: the one a call with them runs in."""
        root = self.root
        others = root.state.accounts
        if not others:
            return root
        for state in (root.state, *others.values()):
            if access_key_id in state.access_keys or access_key_id in state.sessions:
                return root._view(state)
        return self

    # --- identifiers and the clock -------------------------------------------------------

    def new_id(self, prefix: str, length: int = 16, alphabet: str = ids.BASE32) -> str:
        """`prefix` + `length` characters, deterministic from the seed and a counter."""
        return ids.new_id(self.state, prefix, length, alphabet)

    def new_secret(self, length: int = 40) -> str:
        return ids.new_secret(self.state, length)

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
        root = self.root
        root.state.now = root.state.now + timedelta(seconds=seconds)
        for account in root.accounts:
            account.state.now = root.state.now  # one clock for the whole world
            settle(account)

    # --- the one path ----------------------------------------------------------------------

    def call(
        self,
        credentials: Credentials | tuple[str, str] | tuple[str, str, str | None],
        service: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        source_ip: str | None = None,
        user_agent: str | None = None,
        via_service: str | None = None,
    ) -> dict[str, Any]:
        """Authenticate, authorize, act, record. Returns the response dict or raises AwsError.

        `user_agent` is what the event log shows as the caller's software (the CLI's name).
        `via_service` (e.g. "ssm.amazonaws.com") marks a call a service makes with the caller's
        credentials on the caller's behalf (a forward access session): aws:ViaAWSService is
        true, and the record says `invokedBy` that service, from that service's address."""
        creds = Credentials(*credentials)
        owner = self._owner(creds.access_key_id)
        if owner is not self:  # the call runs in the account the credentials belong to
            return owner.call(
                creds,
                service,
                operation,
                params,
                source_ip=source_ip,
                user_agent=user_agent,
                via_service=via_service,
            )
        if self.root is not self:
            self.state.now = self.root.state.now  # one clock for the whole world
        params = dict(params or {})
        handler = _HANDLERS.get((service, operation))
        caller: Caller | None = None
        call: Call | None = None
        ip = source_ip or CONSOLE_IP
        try:
            caller = authenticate(self.state, creds, service)
            call = Call(self, caller, service, operation, params, ip, via_service)
            if handler is None:
                raise AwsError(
                    "InvalidAction",
                    f"The simulator does not offer {service}:{operation} yet.",
                    400,
                )
            response = handler(call)
        except AwsError as error:
            self._record(service, operation, params, ip, creds, caller, call, error, user_agent)
            self._annotate(service, ip, via_service)
            self._share(call)
            raise
        self._record(service, operation, params, ip, creds, caller, call, None, user_agent)
        self._annotate(service, ip, via_service)
        self._share(call)
        return response

    def _share(self, call: Call | None) -> None:
        """A copy of the call's record in the other account that logs it too, if any."""
        if call is not None and call.also_recorded_in is not None and self.state.events:
            share_event(self.state, call.also_recorded_in.state, self.state.events[-1])

    def _annotate(self, service: str, source_ip: str, via_service: str | None) -> None:
        """What the record says of the road: a call through a VPC endpoint shows the caller's
        private address and `vpcEndpointId`; a call a service made on the caller's behalf shows
        `invokedBy` and the service as its source and agent, as CloudTrail records
        CreateServiceLinkedRole made by a service for a user (Amazon EFS User Guide,
        logging-using-cloudtrail.html, "invokedBy": "elasticfilesystem.amazonaws.com"; CloudTrail
        User Guide, cloudtrail-event-reference-user-identity.html, invokedBy)."""
        event = self.state.events[-1] if self.state.events else None
        if event is None:
            return
        if via_service is not None:
            identity = event.get("userIdentity")
            if isinstance(identity, dict):
                identity["invokedBy"] = via_service
            event["sourceIPAddress"] = via_service
            event["userAgent"] = via_service
            return
        path = network.route(self.state, source_ip, service)
        if path is not None:
            event["sourceIPAddress"] = path.private_ip
            event["vpcEndpointId"] = path.endpoint_id

    def _record(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        source_ip: str,
        credentials: Credentials,
        caller: Caller | None,
        call: Call | None,
        error: AwsError | None,
        user_agent: str | None = None,
    ) -> None:
        decision = None
        if error is not None and error.decision is not None:
            decision = error.decision
        elif call is not None and call.decisions:
            decision = call.decisions[-1]
        evidence = None
        if decision is not None and call is not None and call.decisions and decision is call.decisions[-1]:  # fmt: skip
            evidence = condition_evidence(call.evaluated, decision.request)
        record_call(
            self.state,
            service=service,
            operation=operation,
            params=params,
            source_ip=source_ip,
            credentials=credentials,
            caller=caller,
            error=error,
            decision=decision,
            user_agent=user_agent,
            evidence=evidence,
        )

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.state.events

    # --- authorization --------------------------------------------------------------------

    def managed_policy(self, arn: str) -> ManagedPolicy | None:
        """A customer managed policy of the account, or an AWS managed one from the catalogue."""
        return self.state.policies.get(arn) or aws_managed.get(arn)

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
        policy = self.managed_policy(arn)
        if policy is None:
            raise LookupError(arn)
        return compile_policy(policy.default_document(), policy.name, kind)

    def request_context(
        self,
        caller: Caller,
        source_ip: str,
        service: str = "",
        via_service: str | None = None,
    ) -> dict[str, Any]:
        """The condition keys AWS sets for this caller (the engine derives the principal's).

        Presence as the IAM User Guide's global condition keys page states it
        (reference_policies_condition-keys.html; anchors below):

        - network keys (simulator/network.py): aws:SourceIp for a call over the internet, or
          aws:SourceVpc, aws:SourceVpce and aws:VpcSourceIp for one through a VPC endpoint;
          a service calling on the caller's behalf keeps the caller's aws:SourceIp but not
          the source VPC ("the source VPC of the initial request is not preserved",
          #condition-keys-sourcevpc);
        - aws:ViaAWSService: true "when a service uses the credentials of an IAM principal to
          make a request on behalf of the principal", false when the principal calls directly
          (#condition-keys-viaawsservice);
        - aws:CalledVia, aws:CalledViaFirst, aws:CalledViaLast: only when one of the services
          that support it (Athena, CloudFormation, DynamoDB, KMS) calls on the principal's
          behalf (#condition-keys-calledvia) — so never for Systems Manager;
        - aws:Ec2InstanceSourceVpc and aws:Ec2InstanceSourcePrivateIPv4: "included in the
          request context whenever the requester is signing requests with an Amazon EC2 role
          credential", wherever the request comes from (#condition-keys-ec2instancesourcevpc,
          #condition-keys-ec2instancesourceprivateip4); with ec2:SourceInstanceARN and
          ec2:RoleDelivery (#condition-keys-ec2-source-instance-arn, -role-delivery).
        Key names are spelled as that page spells them (names are case-insensitive).
        """
        state = self.state
        context: dict[str, Any] = {
            "aws:RequestedRegion": state.region,
            "aws:SecureTransport": "true",
            "aws:ViaAWSService": "true" if via_service else "false",
        }
        if via_service:
            first_hop = network.route(state, source_ip, via_service.split(".", 1)[0])
            if first_hop is None:
                context["aws:SourceIp"] = source_ip
            if via_service.split(".", 1)[0] in _CALLED_VIA:
                context["aws:CalledVia"] = [via_service]
                context["aws:CalledViaFirst"] = via_service
                context["aws:CalledViaLast"] = via_service
        else:
            path = network.route(state, source_ip, service) if service else None
            if path is None:
                context["aws:SourceIp"] = source_ip
            else:
                context["aws:SourceVpc"] = path.vpc_id
                context["aws:SourceVpce"] = path.endpoint_id
                context["aws:VpcSourceIp"] = path.private_ip
        entity = caller.user or caller.role
        tags = entity.tags if entity is not None else {}
        session = caller.session
        if session is not None and session.tags:
            # "New session tags override existing assumed role or federated user tags with the
            # same tag key, regardless of case" (IUG id_session-tags, Things to know).
            passed = {key.lower() for key in session.tags}
            tags = {k: v for k, v in tags.items() if k.lower() not in passed} | session.tags
        for key, value in tags.items():
            context[f"aws:PrincipalTag/{key}"] = value
        if session is not None:
            context["aws:TokenIssueTime"] = iso(session.issued)
            if session.source_identity is not None:
                # Present "for all actions taken with the role by the source identity" (IUG
                # reference_policies_iam-condition-keys, sts:SourceIdentity; the global key
                # is aws:SourceIdentity, reference_policies_condition-keys).
                context["aws:SourceIdentity"] = session.source_identity
            if session.instance_id is not None:
                context["ec2:SourceInstanceARN"] = (
                    f"arn:aws:ec2:{state.region}:{state.account_id}:instance/{session.instance_id}"
                )
                if session.delivery:
                    context["ec2:RoleDelivery"] = session.delivery
                instance = state.instances.get(session.instance_id)
                if instance is not None:
                    context["aws:Ec2InstanceSourceVpc"] = network.vpc_id(state)
                    context["aws:Ec2InstanceSourcePrivateIPv4"] = instance.private_ip
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
        via_service: str | None = None,
    ) -> Decision:
        decision, _ = self.decide_with_policies(
            caller,
            action,
            resource,
            context=context,
            resource_policy=resource_policy,
            resource_account=resource_account,
            source_ip=source_ip,
            via_service=via_service,
        )
        return decision

    def decide_with_policies(
        self,
        caller: Caller,
        action: str,
        resource: str,
        *,
        context: Mapping[str, Any] | None = None,
        resource_policy: str | None = None,
        resource_account: str | None = None,
        source_ip: str = CONSOLE_IP,
        via_service: str | None = None,
    ) -> tuple[Decision, tuple[tuple[Policy, bool], ...]]:
        """`decide`, and the policies it weighed ((policy, is resource-based)): what the
        event log explains the call's conditions with."""
        identity, boundary, session_policy = self.identity_policies(caller)
        service = action.partition(":")[0].lower()
        request_context = self.request_context(caller, source_ip, service, via_service)
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
            # STS's only resource policies are roles' trust policies (sts:AssumeRole*, and
            # sts:TagSession and sts:SetSourceIdentity, which the trust policy must allow too).
            kind = PolicyKind.TRUST if action.lower().startswith("sts:") else PolicyKind.RESOURCE
            name = "trust policy" if kind is PolicyKind.TRUST else "resource-based policy"
            try:
                resource_doc = compile_policy(resource_policy, name, kind)
            except (PolicyGrammarError, ValueError):
                resource_doc = None
        decision = evaluate(
            request,
            identity_policies=identity,
            resource_policy=resource_doc,
            permissions_boundaries=boundary,
            session_policy=session_policy,
        )
        weighed = [(policy, False) for policy in (*identity, *boundary)]
        if session_policy is not None:
            weighed.append((session_policy, False))
        if resource_doc is not None:
            weighed.append((resource_doc, True))
        return decision, tuple(weighed)

    def denied(self, decision: Decision) -> AwsError:
        """The error the service returns for a denied decision."""
        encoded: str | None = None
        if decision.request.service == "ec2":
            encoded = self._encode_authorization_message(decision)
        error = denied_error(decision, encoded_message=encoded)
        assert error is not None
        if decision.request.action_key in _STS_ROLE_ACTIONS:
            # STS names the role and leaves out the reason (iam-facts §2), across accounts as
            # within one. [UNCERTAIN] sts:TagSession and sts:SetSourceIdentity assumed alike.
            message = (
                f"User: {decision.request.principal.display} is not authorized to perform: "
                f"{_STS_ROLE_ACTIONS[decision.request.action_key]} on resource: "
                f"{decision.request.resource}"
            )
            return AwsError("AccessDenied", message, 403, decision=decision)
        return AwsError(error.code, error.message, error.status, decision=decision)

    def _encode_authorization_message(self, decision: Decision) -> str:
        # Base64url-like, as AWS's are, but never starting with "-" or "_": a learner pastes it
        # after `--encoded-message`, and the CLI would read a leading "-" as an option.
        token = self.new_id("", 1, ids.ALNUM) + self.new_id("", 59, ids.ALNUM + "-_")
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

    # --- instances: files and environment ------------------------------------------------

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


def _account_seed(world_seed: int, account_id: str) -> int:
    """An added account's seed: from a hash of the world's seed and the account's id, so each
    account draws its own ids, the same ones each time, and the seed stays below 2**63 whatever
    the world's seed (a learner's world is stored as JSON, and orjson writes integers of at most
    64 bits; `world_seed * 10**12 + id` passed 2**64 for a seed above about 18 million)."""
    digest = hashlib.sha256(f"{world_seed}:account:{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _drop_empty(data: dict[str, Any]) -> None:
    """Leave out a State's `name` and `accounts` while they are empty (see `to_dict`)."""
    if not data.get("name"):
        data.pop("name", None)
    if not data.get("accounts"):
        data.pop("accounts", None)


def _home(path: str) -> str:
    """`~/.aws/credentials` on an instance is ec2-user's: /home/ec2-user/.aws/credentials."""
    if path.startswith("~/"):
        return HOME + path[2:]
    return path
