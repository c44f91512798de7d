"""Invariants of the evaluation logic, over generated policies and requests (hypothesis)."""

import json

from hypothesis import given, settings

from simulator.iam import Response, evaluate, parse_policy
from tests.simulator.iam.strategies import documents, requests, statements


@settings(max_examples=300, deadline=None)
@given(documents, statements(effect="Deny"), requests)
def test_adding_a_deny_never_turns_a_denial_into_an_allow(doc, deny, req):
    before = evaluate(req, identity_policies=[parse_policy(doc)])
    extended = {"Version": "2012-10-17", "Statement": [*_as_list(doc["Statement"]), deny]}
    after = evaluate(req, identity_policies=[parse_policy(extended)])
    if not before.allowed:
        assert not after.allowed
    if before.response is Response.EXPLICITLY_DENIED:
        assert after.response is Response.EXPLICITLY_DENIED


@settings(max_examples=300, deadline=None)
@given(documents, statements(effect="Allow"), requests)
def test_adding_an_allow_never_turns_an_allow_into_a_denial(doc, allow, req):
    before = evaluate(req, identity_policies=[parse_policy(doc)])
    extended = {"Version": "2012-10-17", "Statement": [*_as_list(doc["Statement"]), allow]}
    after = evaluate(req, identity_policies=[parse_policy(extended)])
    if before.allowed:
        assert after.allowed


@settings(max_examples=300, deadline=None)
@given(documents, requests)
def test_a_boundary_never_widens_what_identity_policies_allow(doc, req):
    alone = evaluate(req, identity_policies=[parse_policy(doc)])
    bounded = evaluate(
        req, identity_policies=[parse_policy(doc)], permissions_boundaries=[parse_policy(doc)]
    )
    if not alone.allowed:
        assert not bounded.allowed


@settings(max_examples=300, deadline=None)
@given(documents)
def test_parse_then_serialize_is_the_identity(doc):
    raw = json.loads(json.dumps(doc))
    assert parse_policy(raw).to_dict() == raw


@settings(max_examples=200, deadline=None)
@given(documents, requests)
def test_evaluation_is_deterministic_and_parsing_is_reusable(doc, req):
    parsed = parse_policy(doc)
    first = evaluate(req, identity_policies=[parsed])
    again = evaluate(req, identity_policies=[parsed])
    fresh = evaluate(req, identity_policies=[parse_policy(doc)])
    assert first.response == again.response == fresh.response


def _as_list(value):
    return value if isinstance(value, list) else [value]
