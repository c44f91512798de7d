"""AWS's policy evaluation logic.

The order follows the IAM User Guide (reference_policies_evaluation-logic and its
policy-eval-denyallow page):

1. An explicit Deny in any policy that applies — SCP, RCP, VPC endpoint policy, resource-based,
   identity-based, permissions boundary, session policy — is final.
2. Nobody in an account may change what AWS owns: AWS managed policies, AWS reserved roles
   (path `/aws-reserved/`) and AWS managed KMS aliases (`alias/aws/...`) refuse every
   Write, Permissions management and Tagging action.
3. RCPs (for the services that support them; AWS's `RCPFullAWSAccess` sits at every level) and
   SCPs (every level from the root down to the account) must each allow.
4. Every VPC endpoint policy the request came through must allow.
5. Resource-based and identity-based policies: in one account either may allow (a union), with
   AWS's rules for whom a resource policy names (see `_same_account`); across accounts both
   must. Role trust policies and KMS key policies must allow the caller themselves.
6. A permissions boundary and a session policy, where present, must allow too, except for a
   same-account resource-policy grant that names the caller itself (the user, the session's
   ARN, `*`): it is limited by neither. A grant to a role's ARN is limited by both.

SCPs apply to neither anonymous callers nor service principals; identity-based policies,
boundaries and session policies exist only for IAM principals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.iam import catalog
from simulator.iam.decision import (
    Decision,
    Outcome,
    PolicyType,
    Reason,
    Response,
    StatementRef,
    TypeResult,
)
from simulator.iam.matching import MatchKind
from simulator.iam.policy import Effect, Policy, PolicyKind, parse_policy
from simulator.iam.request import PrincipalType, Request

__all__ = ["RCP_FULL_AWS_ACCESS", "OrgLevel", "evaluate"]


@dataclass(frozen=True, slots=True)
class OrgLevel:
    """One level of an AWS Organization (root, an OU, the account) and its SCPs or RCPs."""

    identifier: str
    policies: tuple[Policy, ...]


RCP_FULL_AWS_ACCESS = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    },
    name="RCPFullAWSAccess",
    kind=PolicyKind.RCP,
)

_WRITE_LEVELS = ("Write", "Permissions management", "Tagging")
_IGNORE, _REQUIRED, _OPTIONAL = 0, 1, 2  # how a policy type treats the Principal element
_NONE: list[StatementRef] = []  # shared, never appended to: a policy type that is absent


def _scan(
    policies: Sequence[Policy],
    policy_type: PolicyType,
    request: Request,
    principal_mode: int,
    *,
    level: str | None = None,
    has_boundary: bool = False,
    allows: list[StatementRef],
    denies: list[StatementRef],
) -> None:
    """Append every statement of `policies` that applies to `request` to allows or denies."""
    action = request.action_key
    resource = request.resource
    context = request.context
    lookup = context.get
    principal = request.principal
    for policy_index, policy in enumerate(policies):
        for statement in policy.statements_for(action):
            if statement.resource is not None and not statement.resource.applies(resource, lookup):
                continue
            kind: MatchKind | None = None
            if principal_mode != _IGNORE:
                matcher = statement.principal
                if matcher is None:
                    if principal_mode == _REQUIRED:
                        continue  # a resource policy statement without Principal names nobody
                    kind = MatchKind.CALLER
                elif (
                    matcher.negated
                    and has_boundary
                    and statement.effect is Effect.DENY
                    and principal_mode == _REQUIRED
                ):
                    # IUG reference_policies_elements_notprincipal: a Deny with NotPrincipal
                    # always denies principals that have a permissions boundary.
                    kind = MatchKind.CALLER
                else:
                    kind = matcher.applies(principal)
                    if kind is None:
                        continue
            if statement.conditions and not all(
                condition.evaluate(context, lookup) for condition in statement.conditions
            ):
                continue
            ref = StatementRef(
                policy_type,
                policy.name,
                policy_index,
                statement.index,
                statement.sid,
                statement.effect,
                level,
                kind,
            )
            (denies if statement.effect is Effect.DENY else allows).append(ref)


def _aws_owned(request: Request) -> str | None:
    """Why the resource belongs to AWS and the action would change it, or None."""
    resource = request.resource
    if not resource.startswith(("arn:aws:iam::", "arn:aws:kms:")):
        return None
    if resource.startswith("arn:aws:iam::aws:policy/"):
        owner = "an AWS managed policy"
    elif ":role/aws-reserved/" in resource and resource.startswith("arn:aws:iam::"):
        owner = "an AWS reserved role"
    elif resource.startswith("arn:aws:kms:") and ":alias/aws/" in resource:
        owner = "an AWS managed KMS alias"
    else:
        return None
    service, _, name = request.action.partition(":")
    info = catalog.action(service, name)
    if info is None or not any(level in info.access_level for level in _WRITE_LEVELS):
        return None
    return (
        f"{resource} is {owner}: AWS owns it, so no one in the account may perform "
        f"{request.action} ({info.access_level.lower()} access) on it, whatever the policies say."
    )


_TRUST_ACTIONS = frozenset({"sts:tagsession", "sts:setsourceidentity", "sts:setcontext"})
"""Permissions-only actions a role's trust policy must allow beside sts:AssumeRole*: "trust
policies ... must have the sts:TagSession permission. For roles that don't have this permission
in the trust policy, the AssumeRole operation will fail" (IUG id_session-tags); "You must grant
permissions for the sts:SetSourceIdentity action" in the trust policy (IUG
reference_policies_iam-condition-keys, sts:SourceIdentity; id_credentials_temp_control-access_
monitor). sts:SetContext alike [UNCERTAIN: by analogy, trusted identity propagation]."""


def _trust_action(action: str) -> bool:
    """An action a role's trust policy must allow (`action` lower-cased)."""
    return action.startswith("sts:assumerole") or action in _TRUST_ACTIONS


def _requires_resource_policy(request: Request) -> bool:
    """Role trust policies and KMS key policies must allow the caller explicitly."""
    resource = request.resource
    action = request.action_key
    if _trust_action(action) and ":role/" in resource:
        return True
    return resource.startswith("arn:aws:kms:") and ":key/" in resource


def _best(refs: Sequence[StatementRef]) -> MatchKind | None:
    if not refs:
        return None
    kinds = {ref.principal_match for ref in refs}
    for kind in (MatchKind.CALLER, MatchKind.ROLE, MatchKind.ACCOUNT):
        if kind in kinds:
            return kind
    return None


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | None = None,
    permissions_boundaries: Sequence[Policy] = (),
    session_policy: Policy | None = None,
    scps: Sequence[OrgLevel] | None = None,
    rcps: Sequence[OrgLevel] | None = None,
    endpoint_policies: Sequence[Policy] = (),
) -> Decision:
    """Decide `request` as AWS would, given every policy that could apply to it."""
    principal = request.principal
    anonymous = principal.type is PrincipalType.ANONYMOUS
    service_principal = principal.type is PrincipalType.SERVICE
    iam_principal = not anonymous and not service_principal

    if request.action_key == "sts:getcalleridentity" and not anonymous:
        return Decision(request, Response.ALLOWED, Reason.CALLER_IDENTITY, (), None)

    has_boundary = iam_principal and bool(permissions_boundaries)
    is_session = principal.type in (PrincipalType.ASSUMED_ROLE, PrincipalType.FEDERATED_USER)
    has_session_policy = is_session and session_policy is not None

    # --- gather what every policy type says ---------------------------------------------
    scp_levels: list[tuple[str, list[StatementRef], list[StatementRef]]] = []
    if scps is not None and iam_principal:
        for org_level in scps:
            allows: list[StatementRef] = []
            denies: list[StatementRef] = []
            _scan(org_level.policies, PolicyType.SCP, request, _IGNORE,
                  level=org_level.identifier, allows=allows, denies=denies)  # fmt: skip
            scp_levels.append((org_level.identifier, allows, denies))

    rcp_levels: list[tuple[str, list[StatementRef], list[StatementRef]]] = []
    if rcps is not None and _rcp_applies(request):
        for org_level in rcps:
            allows, denies = [], []
            _scan((RCP_FULL_AWS_ACCESS, *org_level.policies), PolicyType.RCP, request, _OPTIONAL,
                  level=org_level.identifier, allows=allows, denies=denies)  # fmt: skip
            rcp_levels.append((org_level.identifier, allows, denies))

    endpoint_results: list[tuple[list[StatementRef], list[StatementRef]]] = []
    for policy in endpoint_policies:
        allows, denies = [], []
        _scan((policy,), PolicyType.ENDPOINT, request, _OPTIONAL, allows=allows, denies=denies)
        endpoint_results.append((allows, denies))

    resource_allows: list[StatementRef] = []
    resource_denies: list[StatementRef] = []
    if resource_policy is not None:
        _scan((resource_policy,), PolicyType.RESOURCE, request, _REQUIRED,
              has_boundary=has_boundary, allows=resource_allows, denies=resource_denies)  # fmt: skip

    identity_allows: list[StatementRef] = []
    identity_denies: list[StatementRef] = []
    boundary_allows: list[StatementRef] = _NONE
    boundary_denies: list[StatementRef] = _NONE
    session_allows: list[StatementRef] = _NONE
    session_denies: list[StatementRef] = _NONE
    if iam_principal:
        _scan(identity_policies, PolicyType.IDENTITY, request, _IGNORE,
              allows=identity_allows, denies=identity_denies)  # fmt: skip
        if has_boundary:
            boundary_allows, boundary_denies = [], []
            _scan(permissions_boundaries, PolicyType.BOUNDARY, request, _IGNORE,
                  allows=boundary_allows, denies=boundary_denies)  # fmt: skip
        if has_session_policy:
            assert session_policy is not None
            session_allows, session_denies = [], []
            _scan((session_policy,), PolicyType.SESSION, request, _IGNORE,
                  allows=session_allows, denies=session_denies)  # fmt: skip

    trace = _Trace(
        request,
        scp_levels,
        rcp_levels,
        endpoint_results,
        resource_policy is not None,
        (resource_allows, resource_denies),
        iam_principal,
        (identity_allows, identity_denies),
        has_boundary,
        (boundary_allows, boundary_denies),
        has_session_policy,
        (session_allows, session_denies),
    )

    # 1. explicit deny anywhere
    if (
        resource_denies
        or identity_denies
        or boundary_denies
        or session_denies
        or (scp_levels and any(denies for _, _, denies in scp_levels))
        or (rcp_levels and any(denies for _, _, denies in rcp_levels))
        or (endpoint_results and any(denies for _, denies in endpoint_results))
    ):
        for policy_type, refs in (
            (PolicyType.SCP, [ref for _, _, denies in scp_levels for ref in denies]),
            (PolicyType.RCP, [ref for _, _, denies in rcp_levels for ref in denies]),
            (PolicyType.ENDPOINT, [ref for _, denies in endpoint_results for ref in denies]),
            (PolicyType.RESOURCE, resource_denies),
            (PolicyType.IDENTITY, identity_denies),
            (PolicyType.BOUNDARY, boundary_denies),
            (PolicyType.SESSION, session_denies),
        ):
            if refs:
                return trace.decide(
                    Response.EXPLICITLY_DENIED, Reason.EXPLICIT_DENY, tuple(refs), policy_type
                )

    # 2. what AWS owns (a cheap look at the ARN first: almost nothing is AWS's)
    resource = request.resource
    owned = (
        _aws_owned(request)
        if iam_principal
        and (
            ":aws:policy/" in resource or "/aws-reserved/" in resource or ":alias/aws/" in resource
        )
        else None
    )
    if owned is not None:
        return trace.decide(Response.IMPLICITLY_DENIED, Reason.AWS_OWNED, (), None, owned)

    # 3. RCPs and SCPs: every level must allow
    for identifier, allows, _ in rcp_levels:
        if not allows:
            return trace.decide(
                Response.IMPLICITLY_DENIED, Reason.NO_RCP_ALLOW, (), PolicyType.RCP,
                f"no resource control policy at {identifier} allows {request.action}.",
            )  # fmt: skip
    for identifier, allows, _ in scp_levels:
        if not allows:
            return trace.decide(
                Response.IMPLICITLY_DENIED, Reason.NO_SCP_ALLOW, (), PolicyType.SCP,
                f"no service control policy at {identifier} allows {request.action}; SCPs "
                "must allow at every level from the organization root down to the account.",
            )  # fmt: skip

    # 4. VPC endpoint policies
    for index, (allows, _) in enumerate(endpoint_results):
        if not allows:
            return trace.decide(
                Response.IMPLICITLY_DENIED, Reason.NO_ENDPOINT_ALLOW, (), PolicyType.ENDPOINT,
                f"the request came through a VPC endpoint whose policy ({endpoint_policies[index].name}) "
                f"does not allow {request.action}.",
            )  # fmt: skip

    # 5-6. resource-based, identity-based, boundary, session
    grant = _best(resource_allows)
    if not iam_principal:
        if grant is MatchKind.CALLER:
            return trace.decide(
                Response.ALLOWED, Reason.ALLOWED_BY_RESOURCE_POLICY, tuple(resource_allows), None,
                "A resource-based policy is the only way to grant access to "
                + ("an anonymous caller." if anonymous else "a service principal."),
            )  # fmt: skip
        who = "anonymous callers" if anonymous else principal.service
        return trace.decide(
            Response.IMPLICITLY_DENIED, Reason.NO_RESOURCE_ALLOW, (), PolicyType.RESOURCE,
            f"only a resource-based policy can grant access to {who}, and no resource-based "
            f"policy names {principal.display} for {request.action} on {request.resource}.",
        )  # fmt: skip
    if request.same_account:
        return _same_account(request, trace, grant, resource_allows, identity_allows,
                             boundary_allows, session_allows)  # fmt: skip
    return _cross_account(request, trace, grant, resource_allows, identity_allows,
                          boundary_allows, session_allows)  # fmt: skip


def _rcp_applies(request: Request) -> bool:
    return catalog.rcp_supported(request.service)


def _same_account(
    request: Request,
    trace: _Trace,
    grant: MatchKind | None,
    resource_allows: list[StatementRef],
    identity_allows: list[StatementRef],
    boundary_allows: list[StatementRef],
    session_allows: list[StatementRef],
) -> Decision:
    principal = request.principal
    boundary_ok = not trace.has_boundary or bool(boundary_allows)
    session_ok = not trace.has_session_policy or bool(session_allows)

    if grant is MatchKind.CALLER:
        # IUG reference_policies_evaluation-logic (same account): a resource policy that names
        # the user, or the session itself, grants on its own: the silence of the identity
        # policies, the boundary and the session policy does not matter. IUG access_policies
        # (Session policies) and the STS GetFederationToken reference: permissions a
        # resource-based policy grants to the session's ARN are "granted in addition to the
        # permissions that are granted by the session policies". IUG
        # reference_policies_elements_principal: likewise `Principal: "*"` narrowed with
        # aws:PrincipalArn. Only an explicit Deny (step 1) still stops it.
        if not session_ok:
            return trace.decide(
                Response.ALLOWED, Reason.ALLOWED_BY_RESOURCE_POLICY, tuple(resource_allows), None,
                f"In the same account, a resource-based policy that names {principal.display} "
                "itself grants access even though the session policy does not allow it: what a "
                "resource-based policy grants the session is added to what its session policy "
                "allows. A grant to the role's ARN would be limited by the session policy.",
            )  # fmt: skip
        return trace.decide(
            Response.ALLOWED, Reason.ALLOWED_BY_RESOURCE_POLICY, tuple(resource_allows), None,
            f"In the same account, a resource-based policy that names {principal.display} "
            "grants access even when no identity-based policy does.",
        )  # fmt: skip
    if grant is MatchKind.ROLE:
        # A grant to the role ARN: identity policies need not allow, but the role's boundary
        # and the session policy still limit it.
        if not boundary_ok:
            return trace.no_boundary(
                request, "the resource-based policy names the role, not the session, so "
            )
        if not session_ok:
            return trace.no_session(request)
        return trace.decide(
            Response.ALLOWED, Reason.ALLOWED_BY_RESOURCE_POLICY, tuple(resource_allows), None,
            "In the same account, a resource-based policy that names the role grants access "
            "without an identity-based policy; the role's boundary and session policy still apply.",
        )  # fmt: skip

    if not identity_allows:
        detail = f"no identity-based policy of {principal.display} allows {request.action} on {request.resource}"
        if grant is MatchKind.ACCOUNT:
            detail += (
                ". The resource-based policy names only the account, which hands the decision "
                "to the account's identity-based policies"
            )
        return trace.decide(
            Response.IMPLICITLY_DENIED,
            Reason.NO_IDENTITY_ALLOW,
            (),
            PolicyType.IDENTITY,
            detail + ".",
        )
    if grant is None and _requires_resource_policy(request):
        return trace.no_resource_policy(request)
    if not boundary_ok:
        return trace.no_boundary(request, "")
    if not session_ok:
        return trace.no_session(request)
    return trace.decide(
        Response.ALLOWED, Reason.ALLOWED, tuple(identity_allows + resource_allows), None
    )


def _cross_account(
    request: Request,
    trace: _Trace,
    grant: MatchKind | None,
    resource_allows: list[StatementRef],
    identity_allows: list[StatementRef],
    boundary_allows: list[StatementRef],
    session_allows: list[StatementRef],
) -> Decision:
    # IUG reference_policies_evaluation-logic-cross-account: both accounts must allow.
    if not identity_allows:
        return trace.decide(
            Response.IMPLICITLY_DENIED, Reason.NO_IDENTITY_ALLOW, (), PolicyType.IDENTITY,
            f"the request crosses accounts ({request.principal.account} to "
            f"{request.resource_account}), so the caller's own identity-based policies must "
            f"allow {request.action} as well, and none does.",
        )  # fmt: skip
    if grant is None:
        return trace.no_resource_policy(request)
    if trace.has_boundary and not boundary_allows:
        return trace.no_boundary(request, "")
    if trace.has_session_policy and not session_allows:
        return trace.no_session(request)
    return trace.decide(
        Response.ALLOWED, Reason.ALLOWED, tuple(identity_allows + resource_allows), None,
        "Across accounts, both the caller's identity-based policy and the resource's policy allow.",
    )  # fmt: skip


class _Trace:
    """Everything gathered, turned into a `Decision` once the rule that decides is known."""

    __slots__ = (
        "boundary",
        "endpoint_results",
        "has_boundary",
        "has_resource_policy",
        "has_session_policy",
        "iam_principal",
        "identity",
        "rcp_levels",
        "request",
        "resource",
        "scp_levels",
        "session",
    )

    def __init__(
        self,
        request: Request,
        scp_levels: list[tuple[str, list[StatementRef], list[StatementRef]]],
        rcp_levels: list[tuple[str, list[StatementRef], list[StatementRef]]],
        endpoint_results: list[tuple[list[StatementRef], list[StatementRef]]],
        has_resource_policy: bool,
        resource: tuple[list[StatementRef], list[StatementRef]],
        iam_principal: bool,
        identity: tuple[list[StatementRef], list[StatementRef]],
        has_boundary: bool,
        boundary: tuple[list[StatementRef], list[StatementRef]],
        has_session_policy: bool,
        session: tuple[list[StatementRef], list[StatementRef]],
    ) -> None:
        self.request = request
        self.scp_levels = scp_levels
        self.rcp_levels = rcp_levels
        self.endpoint_results = endpoint_results
        self.has_resource_policy = has_resource_policy
        self.resource = resource
        self.iam_principal = iam_principal
        self.identity = identity
        self.has_boundary = has_boundary
        self.boundary = boundary
        self.has_session_policy = has_session_policy
        self.session = session

    def decide(
        self,
        response: Response,
        reason: Reason,
        decided_by: tuple[StatementRef, ...],
        named_type: PolicyType | None,
        detail: str = "",
    ) -> Decision:
        return Decision(
            self.request, response, reason, decided_by, named_type, detail, self.results
        )

    def results(self) -> tuple[TypeResult, ...]:
        results: list[TypeResult] = []

        def add(policy_type: PolicyType, present: bool, allows: list[StatementRef],
                denies: list[StatementRef], note: str = "") -> None:  # fmt: skip
            if not present:
                outcome = Outcome.NOT_APPLICABLE
            elif denies:
                outcome = Outcome.DENIES
            elif allows and not (policy_type is PolicyType.SCP and note.startswith("no allow")):
                outcome = Outcome.ALLOWS
            else:
                outcome = Outcome.NO_ALLOW
            results.append(TypeResult(policy_type, outcome, tuple(allows), tuple(denies), note))

        if self.scp_levels:
            missing = [identifier for identifier, allows, _ in self.scp_levels if not allows]
            # Allows are kept for the levels that allow; the note names the levels that don't.
            add(PolicyType.SCP, True,
                [r for _, a, _ in self.scp_levels for r in a],
                [r for _, _, d in self.scp_levels for r in d],
                f"no allow at {', '.join(missing)}" if missing else "every level allows")  # fmt: skip
        if self.rcp_levels:
            add(PolicyType.RCP, True,
                [r for _, a, _ in self.rcp_levels for r in a],
                [r for _, _, d in self.rcp_levels for r in d],
                "RCPFullAWSAccess is attached at every level")  # fmt: skip
        if self.endpoint_results:
            add(PolicyType.ENDPOINT, True,
                [r for a, _ in self.endpoint_results for r in a]
                if all(a for a, _ in self.endpoint_results) else [],
                [r for _, d in self.endpoint_results for r in d])  # fmt: skip
        add(PolicyType.RESOURCE, self.has_resource_policy, *self.resource)
        add(PolicyType.IDENTITY, self.iam_principal, *self.identity)
        add(PolicyType.BOUNDARY, self.has_boundary, *self.boundary)
        add(PolicyType.SESSION, self.has_session_policy, *self.session)
        return tuple(results)

    def no_boundary(self, request: Request, prefix: str) -> Decision:
        return self.decide(
            Response.IMPLICITLY_DENIED, Reason.NO_BOUNDARY_ALLOW, (), PolicyType.BOUNDARY,
            f"{prefix}the permissions boundary of {request.principal.display} must also allow "
            f"{request.action}, and it does not. A boundary sets the most the identity may do.",
        )  # fmt: skip

    def no_session(self, request: Request) -> Decision:
        return self.decide(
            Response.IMPLICITLY_DENIED, Reason.NO_SESSION_ALLOW, (), PolicyType.SESSION,
            f"the session policy passed when this session was created does not allow "
            f"{request.action}; a session can do no more than its session policy allows.",
        )  # fmt: skip

    def no_resource_policy(self, request: Request) -> Decision:
        if _trust_action(request.action_key):
            what = "the role's trust policy must name the caller (or its account)"
        elif request.resource.startswith("arn:aws:kms:"):
            what = "the key policy must allow the caller (or its account)"
        else:
            what = (
                f"the request crosses accounts, so the resource's own policy in account "
                f"{request.resource_account} must allow it"
            )
        return self.decide(
            Response.IMPLICITLY_DENIED, Reason.NO_RESOURCE_ALLOW, (), PolicyType.RESOURCE,
            f"{what}, and no resource-based policy allows {request.principal.display} "
            f"to perform {request.action}.",
        )  # fmt: skip
