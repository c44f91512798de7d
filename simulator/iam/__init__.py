"""The policy engine: parse IAM policies, evaluate requests as AWS does, explain the answer.

    from simulator.iam import Policy, Request, evaluate
    policy = Policy.from_dict({"Version": "2012-10-17", "Statement": [...]}, name="AppPolicy")
    request = Request.build(principal="arn:aws:iam::111122223333:user/alice",
                            action="s3:GetObject", resource="arn:aws:s3:::b/k")
    decision = evaluate(request, identity_policies=[policy])
    decision.response, decision.message(), decision.explanation, decision.results

Pure Python: no Django, no network, no file writes.
"""

from simulator.iam.decision import (
    Decision,
    Outcome,
    PolicyType,
    Reason,
    Response,
    StatementRef,
    TypeResult,
)
from simulator.iam.errors import PolicyGrammarError
from simulator.iam.evaluate import RCP_FULL_AWS_ACCESS, OrgLevel, evaluate
from simulator.iam.matching import MatchKind
from simulator.iam.policy import Effect, Policy, PolicyKind, parse_policy
from simulator.iam.request import Principal, PrincipalType, Request

__all__ = [
    "RCP_FULL_AWS_ACCESS",
    "Decision",
    "Effect",
    "MatchKind",
    "OrgLevel",
    "Outcome",
    "Policy",
    "PolicyGrammarError",
    "PolicyKind",
    "PolicyType",
    "Principal",
    "PrincipalType",
    "Reason",
    "Request",
    "Response",
    "StatementRef",
    "TypeResult",
    "evaluate",
    "parse_policy",
]
