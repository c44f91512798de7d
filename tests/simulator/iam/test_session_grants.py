"""A session policy limits a resource-policy grant to the role, not a grant to the session.

IAM User Guide, access_policies.html#policies_session, and the STS GetFederationToken
reference: what a resource-based policy grants to the session's own ARN is "granted in addition
to the permissions that are granted by the session policies"; a grant to the role's ARN is
limited by them (reference_policies_evaluation-logic, same account).
"""

from simulator.iam import PolicyKind, PolicyType, Reason, Response, evaluate
from simulator.iam.policy import Policy
from tests.factories import ROLE, SESSION, policy, request, statement

EC2_ONLY = policy(statement(action="ec2:*"), name="SessionPolicy", kind=PolicyKind.SESSION)


def _bucket_policy(principal: object) -> Policy:
    return policy(
        statement(Principal=principal, resource="arn:aws:s3:::reports-bucket/*"),
        name="BucketPolicy",
        kind=PolicyKind.RESOURCE,
    )


def test_grant_to_the_session_arn_is_not_limited_by_the_session_policy():
    decision = evaluate(
        request(principal=SESSION),
        resource_policy=_bucket_policy({"AWS": SESSION}),
        session_policy=EC2_ONLY,
    )
    assert decision.response is Response.ALLOWED
    assert decision.reason is Reason.ALLOWED_BY_RESOURCE_POLICY
    assert "even though the session policy does not allow it" in decision.explanation


def test_grant_to_the_role_arn_is_limited_by_the_session_policy():
    decision = evaluate(
        request(principal=SESSION),
        resource_policy=_bucket_policy({"AWS": ROLE}),
        session_policy=EC2_ONLY,
    )
    assert decision.response is Response.IMPLICITLY_DENIED
    assert decision.reason is Reason.NO_SESSION_ALLOW
    assert decision.named_type is PolicyType.SESSION


def test_session_policy_deny_still_stops_a_grant_to_the_session_arn():
    deny = policy(
        statement(action="*"),
        statement(effect="Deny"),
        name="SessionPolicy",
        kind=PolicyKind.SESSION,
    )
    decision = evaluate(
        request(principal=SESSION),
        resource_policy=_bucket_policy({"AWS": SESSION}),
        session_policy=deny,
    )
    assert decision.response is Response.EXPLICITLY_DENIED
