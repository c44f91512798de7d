"""The engine's answer, explaining itself.

A `Decision` carries the response (Allowed, ImplicitlyDenied, ExplicitlyDenied), what each
policy type said and which statements said it, the one policy type AWS would name in its
error, AWS's message text, and a short explanation for a learner. The texts are built only
when asked for, so evaluating stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from simulator.iam.matching import MatchKind
from simulator.iam.policy import Effect
from simulator.iam.request import Request

__all__ = ["Decision", "Outcome", "PolicyType", "Reason", "Response", "StatementRef", "TypeResult"]


class Response(StrEnum):
    ALLOWED = "Allowed"
    IMPLICITLY_DENIED = "ImplicitlyDenied"
    EXPLICITLY_DENIED = "ExplicitlyDenied"


class PolicyType(StrEnum):
    """The policy types of AWS's evaluation logic, named as AWS's messages name them."""

    SCP = "service control policy"
    RCP = "resource control policy"
    ENDPOINT = "VPC endpoint policy"
    RESOURCE = "resource-based policy"
    IDENTITY = "identity-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"

    @property
    def article(self) -> str:
        return "an" if self is PolicyType.IDENTITY else "a"

    @property
    def plural(self) -> str:
        return {
            PolicyType.SCP: "Service control policies (SCPs)",
            PolicyType.RCP: "Resource control policies (RCPs)",
            PolicyType.ENDPOINT: "VPC endpoint policies",
            PolicyType.RESOURCE: "Resource-based policy",
            PolicyType.IDENTITY: "Identity-based policies",
            PolicyType.BOUNDARY: "Permissions boundary",
            PolicyType.SESSION: "Session policy",
        }[self]


class Outcome(StrEnum):
    ALLOWS = "allows"
    DENIES = "explicitly denies"
    NO_ALLOW = "does not allow"
    NOT_APPLICABLE = "does not apply"
    NOT_NEEDED = "not needed"


class Reason(StrEnum):
    """Why the decision came out as it did, for tests, the UI and the explanation."""

    ALLOWED = "allowed"
    ALLOWED_BY_RESOURCE_POLICY = "allowed-by-resource-policy"
    CALLER_IDENTITY = "get-caller-identity"
    EXPLICIT_DENY = "explicit-deny"
    AWS_OWNED = "aws-owned"
    NO_SCP_ALLOW = "no-scp-allow"
    NO_RCP_ALLOW = "no-rcp-allow"
    NO_ENDPOINT_ALLOW = "no-endpoint-allow"
    NO_RESOURCE_ALLOW = "no-resource-allow"
    NO_IDENTITY_ALLOW = "no-identity-allow"
    NO_BOUNDARY_ALLOW = "no-boundary-allow"
    NO_SESSION_ALLOW = "no-session-allow"


class StatementRef(NamedTuple):
    """A statement that matched the request (a NamedTuple: made on the hot path)."""

    policy_type: PolicyType
    policy_name: str
    policy_index: int
    statement_index: int
    sid: str | None
    effect: Effect
    level: str | None = None  # the organization level of an SCP or RCP
    principal_match: MatchKind | None = None

    @property
    def label(self) -> str:
        statement = f"Statement[{self.statement_index}]"
        if self.sid:
            statement += f' ("{self.sid}")'
        where = f" at {self.level}" if self.level else ""
        return f"{statement} of {self.policy_name}{where}"


@dataclass(frozen=True, slots=True)
class TypeResult:
    """What one policy type said about the request."""

    policy_type: PolicyType
    outcome: Outcome
    allows: tuple[StatementRef, ...] = ()
    denies: tuple[StatementRef, ...] = ()
    note: str = ""


class Decision(NamedTuple):
    """The engine's answer (a NamedTuple: made for every request)."""

    request: Request
    response: Response
    reason: Reason
    decided_by: tuple[StatementRef, ...]
    named_type: PolicyType | None  # the one policy type AWS's message names
    detail: str = ""  # what the rule that decided said, for the explanation
    trace: Callable[[], tuple[TypeResult, ...]] | None = None

    @property
    def results(self) -> tuple[TypeResult, ...]:
        """What each policy type said, in AWS's order (built on demand)."""
        return self.trace() if self.trace is not None else ()

    @property
    def allowed(self) -> bool:
        return self.response is Response.ALLOWED

    def result_for(self, policy_type: PolicyType) -> TypeResult | None:
        for result in self.results:
            if result.policy_type is policy_type:
                return result
        return None

    def message(self, *, resource: str | None = None, quote_resource: bool = False) -> str | None:
        """AWS's AccessDenied text, or None when allowed.

        `resource` replaces the request's resource as services show it (IAM shows `role NAME`);
        S3 quotes the ARN (`quote_resource=True`).
        """
        if self.allowed:
            return None
        request = self.request
        shown = resource if resource is not None else request.resource
        if quote_resource:
            shown = f'"{shown}"'
        text = f"User: {request.principal.display} is not authorized to perform: {request.action}"
        if request.resource != "*":  # AWS leaves the resource out for actions on `*`
            text = f"{text} on resource: {shown}"
        if self.reason is Reason.AWS_OWNED:
            return text
        if self.named_type is None:
            return text
        if self.response is Response.EXPLICITLY_DENIED:
            return f"{text} with an explicit deny in {self.named_type.article} {self.named_type}"
        return f"{text} because no {self.named_type} allows the {request.action} action"

    @property
    def explanation(self) -> str:
        """A few plain sentences for a learner."""
        request = self.request
        who = request.principal.display
        what = f"{request.action} on {request.resource}"
        decided = "; ".join(ref.label for ref in self.decided_by)
        match self.reason:
            case Reason.CALLER_IDENTITY:
                return (
                    "Allowed: sts:GetCallerIdentity needs no permission. AWS answers it for any "
                    "valid credentials, even when a policy denies it."
                )
            case Reason.EXPLICIT_DENY:
                assert self.named_type is not None
                return (
                    f"Denied: {decided} explicitly denies {what} for {who}. An explicit Deny in "
                    f"any policy that applies wins over every Allow."
                )
            case Reason.AWS_OWNED:
                return f"Denied: {self.detail}"
            case Reason.ALLOWED | Reason.ALLOWED_BY_RESOURCE_POLICY:
                text = f"Allowed: {decided} allows {what} for {who}, and nothing denies it."
                return f"{text} {self.detail}".rstrip()
            case _:
                return f"Denied (implicitly): {self.detail} Nothing said Deny; without an Allow, AWS denies by default."
