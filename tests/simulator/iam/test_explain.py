"""Why a statement did or did not apply, element by element — and never at odds with the engine."""

from hypothesis import given, settings

from simulator.iam import PolicyKind, evaluate
from simulator.iam.explain import Check, check_policy, check_statement
from tests.factories import ACCOUNT, OBJECT, ROLE, SESSION, policy, request, statement
from tests.simulator.iam.strategies import documents, requests


def test_put_only_statement_explains_its_action_does_not_cover_get():
    put_only = policy(statement(action="s3:PutObject", resource="arn:aws:s3:::reports-bucket/*"))
    (check,) = check_policy(put_only, request())
    assert not check.applies
    assert check.summary == (
        "Statement[0] does not apply: Action lists s3:PutObject, which does not cover s3:GetObject."
    )


def test_bucket_arn_for_an_object_action_is_explained():
    on_bucket = policy(statement(resource="arn:aws:s3:::reports-bucket"))
    (check,) = check_policy(on_bucket, request())
    resource = next(e for e in check.elements if e.element == "Resource")
    assert resource.check is Check.DOES_NOT_MATCH
    assert "a bucket ARN is not its objects' ARN" in resource.detail


def test_missing_condition_key_is_named():
    from_office = policy(statement(Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    (check,) = check_policy(from_office, request())
    condition = check.elements[-1]
    assert condition.check is Check.DOES_NOT_MATCH
    assert condition.detail == "aws:SourceIp is absent from the request, so IpAddress is false."


def test_condition_values_are_shown_when_compared():
    alice_only = policy(statement(Condition={"StringEquals": {"aws:username": "bob"}}))
    (check,) = check_policy(alice_only, request())
    assert check.elements[-1].detail == (
        'The request has aws:username = "alice"; compared with "bob", StringEquals does not hold.'
    )


def test_resource_policy_principal_is_checked():
    bucket_policy = policy(
        statement(resource="arn:aws:s3:::reports-bucket/*", Principal={"AWS": ROLE}),
        kind=PolicyKind.RESOURCE,
    )
    (check,) = check_policy(bucket_policy, request(principal=SESSION), principal_required=True)
    assert check.applies
    principal = next(e for e in check.elements if e.element == "Principal")
    assert principal.detail == "Principal names the caller's role."


def test_account_principal_says_identity_policies_must_also_allow():
    bucket_policy = policy(
        statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), kind=PolicyKind.RESOURCE
    )
    (check,) = check_policy(bucket_policy, request(resource=OBJECT), principal_required=True)
    assert "identity policies must also allow" in check.elements[-1].detail


@settings(max_examples=300, deadline=None)
@given(documents, requests)
def test_explanation_agrees_with_the_engine_on_every_statement(doc, req):
    parsed = (
        policy(*doc["Statement"])
        if isinstance(doc["Statement"], list)
        else policy(doc["Statement"])
    )
    decision = evaluate(req, identity_policies=[parsed])
    matched = {ref.statement_index for ref in (*decision.decided_by,)}
    for check in check_policy(parsed, req):
        statement_alone = policy(parsed.statements[check.statement_index].to_dict())
        alone = evaluate(req, identity_policies=[statement_alone])
        assert check.applies == bool(alone.decided_by), check.summary
    assert matched <= {c.statement_index for c in check_policy(parsed, req) if c.applies}


def test_check_statement_is_exported_for_single_statements():
    parsed = policy(statement())
    assert check_statement(parsed, parsed.statements[0], request()).applies
