"""IAM's own refusal of role trust policies (CreateRole's AssumeRolePolicyDocument,
UpdateAssumeRolePolicy): the stages permissions policies go through, then a trust policy's own
(no Resource, a Principal, only STS actions), with IAM's messages in IAM's order
(simulator/iam/validation.py names the sources)."""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import client_error

EC2 = {"Service": "ec2.amazonaws.com"}
LEGACY = "The policy failed legacy parsing"
RESOURCE = "Has prohibited field Resource"
STS_ONLY = "AssumeRole policy may only specify STS AssumeRole actions."


def statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": EC2, "Action": "sts:AssumeRole", **fields}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return json.dumps(document)


def without(key: str, **fields: Any) -> dict[str, Any]:
    trimmed = statement(**fields)
    del trimmed[key]
    return trimmed


REFUSED = [
    ("bad-json", "{not json", "This policy contains invalid Json"),
    ("unknown-element", doc(statement(Actions="sts:AssumeRole")), "Syntax errors in policy."),
    ("effect-not-a-word", doc(statement(Effect="Permit")), "Syntax errors in policy."),
    # Legacy parsing: Effect spelled exactly, Date values that parse.
    ("effect-lowercase", doc(statement(Effect="allow")), LEGACY),
    (
        "unparseable-date",
        doc(statement(Condition={"DateGreaterThan": {"aws:CurrentTime": "not-a-date"}})),
        LEGACY,
    ),
    # Legacy parsing comes before the trust policy's own checks.
    ("legacy-before-resource", doc(statement(Effect="deny", Resource="*")), LEGACY),
    ("resource", doc(statement(Resource="*")), RESOURCE),
    ("not-resource", doc(statement(NotResource="*")), RESOURCE),
    ("null-in-resource", doc(statement(Resource=[None, "*"])), RESOURCE),
    ("no-principal", doc(without("Principal")), "Missing required field Principal"),
    ("resource-before-principal", doc(without("Principal", Resource="*")), RESOURCE),
    (
        "duplicate-sids",
        doc(statement(Sid="Ec2"), statement(Sid="Ec2")),
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    ("no-action", doc(without("Action")), "Policy statement must contain actions."),
    ("empty-action-list", doc(statement(Action=[])), "Policy statement must contain actions."),
    (
        "action-without-vendor",
        doc(statement(Action="AssumeRole")),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "action-two-colons",
        doc(statement(Action="sts:Assume:Role")),
        "Actions/Condition can contain only one colon.",
    ),
    ("space-in-vendor", doc(statement(Action="s ts:AssumeRole")), "Vendor s ts is not valid"),
    (
        "vendor-before-sts-only",
        doc(statement(Action=["s3:GetObject", "sts"])),
        ("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ),
    ("not-sts", doc(statement(Action="s3:GetObject")), STS_ONLY),
    ("not-sts-in-not-action", doc(without("Action", NotAction="s3:GetObject")), STS_ONLY),
]

ACCEPTED = [
    ("plain", doc(statement())),
    ("no-version", doc(statement(), version=None)),
    ("version-2008", doc(statement(), version="2008-10-17")),
    ("empty-condition-block", doc(statement(Condition={"DateGreaterThan": {}}))),
    ("empty-block-unknown-operator", doc(statement(Condition={"NoSuchOperator": {}}))),
    (
        "date-condition",
        doc(statement(Condition={"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}})),
    ),
    ("epoch-date", doc(statement(Condition={"DateGreaterThan": {"aws:EpochTime": "1700000000"}}))),
    (
        "sts-actions",
        doc(statement(Action=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])),
    ),
    ("single-statement-object", json.dumps({"Version": "2012-10-17", "Statement": statement()})),
]


@pytest.fixture
def iam() -> Any:
    return World.new(seed=0).session().client("iam")


@pytest.mark.parametrize(
    ("document", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_create_role_refuses_what_iam_refuses_with_iams_message(iam, document, message):
    with pytest.raises(ClientError) as refused:
        iam.create_role(RoleName="Broken", AssumeRolePolicyDocument=document)
    assert client_error(refused) == ("MalformedPolicyDocument", message, 400)
    assert iam.list_roles()["Roles"] == []


@pytest.mark.parametrize(
    ("document", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_update_assume_role_policy_refuses_the_same(iam, document, message):
    iam.create_role(RoleName="Ec2Role", AssumeRolePolicyDocument=doc(statement()))
    with pytest.raises(ClientError) as refused:
        iam.update_assume_role_policy(RoleName="Ec2Role", PolicyDocument=document)
    assert client_error(refused) == ("MalformedPolicyDocument", message, 400)
    stored = iam.get_role(RoleName="Ec2Role")["Role"]["AssumeRolePolicyDocument"]
    assert stored == json.loads(doc(statement()))


@pytest.mark.parametrize("document", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_iam_stores_the_trust_policies_iam_accepts(iam, document):
    iam.create_role(RoleName="Ec2Role", AssumeRolePolicyDocument=document)
    assert iam.get_role(RoleName="Ec2Role")["Role"]["AssumeRolePolicyDocument"] == json.loads(
        document
    )
    iam.update_assume_role_policy(RoleName="Ec2Role", PolicyDocument=document)
