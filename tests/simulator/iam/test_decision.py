"""What a decision says: AWS's message text, the policy type it names, and why."""

from simulator.iam import (
    OrgLevel,
    Outcome,
    PolicyKind,
    PolicyType,
    Reason,
    Response,
    evaluate,
)
from tests.factories import ACCOUNT, OBJECT, ROLE, SESSION, USER, policy, request, statement

PUT_ONLY = policy(statement(action="s3:PutObject", resource="arn:aws:s3:::reports-bucket/*"))


def test_put_only_policy_still_allows_put():
    decision = evaluate(
        request(principal=SESSION, action="s3:PutObject"), identity_policies=[PUT_ONLY]
    )
    assert decision.allowed
    assert decision.decided_by[0].policy_name == "TestPolicy"


def test_explicit_deny_names_the_deciding_statement_and_policy_type():
    deny = policy(
        statement(action="s3:*"),
        statement(effect="Deny", action="s3:GetObject", Sid="NoReads"),
        name="ReadBlocker",
    )
    decision = evaluate(request(), identity_policies=[deny])
    assert decision.response is Response.EXPLICITLY_DENIED
    assert decision.named_type is PolicyType.IDENTITY
    assert [(ref.policy_name, ref.statement_index, ref.sid) for ref in decision.decided_by] == [
        ("ReadBlocker", 1, "NoReads")
    ]
    assert decision.message() == (
        f"User: {USER} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
        "with an explicit deny in an identity-based policy"
    )
    assert 'Statement[1] ("NoReads") of ReadBlocker' in decision.explanation


def test_scp_deny_is_named_even_when_identity_also_denies():
    scp = policy(statement(effect="Deny", action="s3:*"), name="DenyS3")
    own = policy(statement(effect="Deny", action="s3:GetObject"))
    decision = evaluate(request(), identity_policies=[own], scps=[OrgLevel("r-root", (scp,))])
    assert decision.message().endswith("with an explicit deny in a service control policy")


def test_scp_level_without_allow_denies_implicitly():
    allow_all = policy(statement(action="*"), name="FullAWSAccess")
    only_ec2 = policy(statement(action="ec2:*"), name="OnlyEC2")
    decision = evaluate(
        request(),
        identity_policies=[policy(statement())],
        scps=[OrgLevel("r-root", (allow_all,)), OrgLevel("ou-workloads", (only_ec2,))],
    )
    assert decision.reason is Reason.NO_SCP_ALLOW
    assert decision.message().endswith(
        "because no service control policy allows the s3:GetObject action"
    )
    assert "ou-workloads" in decision.explanation


def test_boundary_implicit_deny_is_named():
    decision = evaluate(
        request(),
        identity_policies=[policy(statement())],
        permissions_boundaries=[policy(statement(action="ec2:*"), name="Boundary")],
    )
    assert decision.named_type is PolicyType.BOUNDARY
    assert decision.message().endswith(
        "because no permissions boundary allows the s3:GetObject action"
    )


def test_results_say_what_every_policy_type_did():
    bucket_policy = policy(
        statement(effect="Deny", action="s3:DeleteObject", Principal="*"),
        kind=PolicyKind.RESOURCE,
        name="BucketPolicy",
    )
    decision = evaluate(
        request(), identity_policies=[policy(statement())], resource_policy=bucket_policy
    )
    outcomes = {result.policy_type: result.outcome for result in decision.results}
    assert outcomes[PolicyType.IDENTITY] is Outcome.ALLOWS
    assert outcomes[PolicyType.RESOURCE] is Outcome.NO_ALLOW
    assert outcomes[PolicyType.BOUNDARY] is Outcome.NOT_APPLICABLE


def test_get_caller_identity_is_allowed_under_explicit_deny():
    deny_all = policy(statement(effect="Deny", action="*"))
    decision = evaluate(
        request(action="sts:GetCallerIdentity", resource="*"), identity_policies=[deny_all]
    )
    assert decision.allowed
    assert decision.reason is Reason.CALLER_IDENTITY


def test_aws_managed_policy_cannot_be_deleted_even_by_admin():
    admin = policy(statement(action="*"))
    decision = evaluate(
        request(action="iam:DeletePolicy", resource="arn:aws:iam::aws:policy/AdministratorAccess"),
        identity_policies=[admin],
    )
    assert decision.reason is Reason.AWS_OWNED
    assert "AWS managed policy" in decision.explanation


def test_aws_managed_policy_can_be_read():
    admin = policy(statement(action="*"))
    decision = evaluate(
        request(action="iam:GetPolicy", resource="arn:aws:iam::aws:policy/AdministratorAccess"),
        identity_policies=[admin],
    )
    assert decision.allowed


def test_bucket_policy_grant_to_role_lets_put_only_role_read_in_same_account():
    """iam-facts §1: a same-account bucket-policy grant to the role ARN needs no identity allow."""
    bucket_policy = policy(
        statement(resource="arn:aws:s3:::reports-bucket/*", Principal={"AWS": ROLE}),
        kind=PolicyKind.RESOURCE,
    )
    decision = evaluate(
        request(principal=SESSION), identity_policies=[PUT_ONLY], resource_policy=bucket_policy
    )
    assert decision.allowed
    assert decision.reason is Reason.ALLOWED_BY_RESOURCE_POLICY


def test_bucket_policy_grant_to_account_root_defers_to_identity_policies():
    bucket_policy = policy(
        statement(
            resource="arn:aws:s3:::reports-bucket/*",
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        ),
        kind=PolicyKind.RESOURCE,
    )
    decision = evaluate(
        request(principal=SESSION), identity_policies=[PUT_ONLY], resource_policy=bucket_policy
    )
    assert decision.reason is Reason.NO_IDENTITY_ALLOW
    assert "names only the account" in decision.explanation


def test_cross_account_needs_the_resource_policy_too():
    decision = evaluate(
        request(resource_account="444455556666"),
        identity_policies=[policy(statement())],
    )
    assert decision.reason is Reason.NO_RESOURCE_ALLOW
    assert decision.named_type is PolicyType.RESOURCE


def test_anonymous_caller_is_named_anonymous():
    decision = evaluate(request(principal="anonymous"))
    assert decision.message().startswith(
        "User: anonymous is not authorized to perform: s3:GetObject"
    )


def test_current_time_condition_uses_the_clock_given():
    from datetime import UTC, datetime

    from simulator.iam import Request
    from simulator.iam import evaluate as run

    timed = policy(
        statement(Condition={"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}})
    )
    before = Request.build(
        principal=USER, action="s3:GetObject", resource=OBJECT, now=datetime(2025, 6, 1, tzinfo=UTC)
    )
    after = Request.build(
        principal=USER, action="s3:GetObject", resource=OBJECT, now=datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert run(before, identity_policies=[timed]).allowed
    assert not run(after, identity_policies=[timed]).allowed
