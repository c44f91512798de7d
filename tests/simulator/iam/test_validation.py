"""IAM's own refusal of permissions policies: each bad document -> IAM's code and message, in
the order IAM checks (simulator/iam/validation.py names the sources), through boto3 as a
learner's `aws iam create-policy` / `put-user-policy` reaches it."""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from simulator.iam.validation import _is_date, identity_policy_refusal
from tests.factories import client_error

BUCKET = "arn:aws:s3:::example_bucket"
IAM_PATH = (
    'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, '
    "group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
    "oidc-provider/, report/, access-report/."
)


def statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, **fields}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return json.dumps(document)


REFUSED = [
    # A Resource IAM does not take for an ARN.
    (
        "no-arn-prefix",
        doc(statement(Resource="aws:s3:::example_bucket")),
        'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".',
    ),
    (
        "unknown-partition",
        doc(statement(Resource=["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"])),
        'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".',
    ),
    (
        "bare-arn-aws",
        doc(statement(Resource="arn:aws")),
        "Resource vendor must be fully qualified and cannot contain regexes.",
    ),
    (
        "region-in-s3",
        doc(statement(Resource="arn:aws:s3:us-east-1::example_bucket")),
        "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
    ),
    (
        "region-in-iam",
        doc(statement(Resource="arn:aws:iam:us-east-1::example_bucket")),
        "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
    ),
    ("iam-resource-type", doc(statement(Resource="arn:aws:iam:::example_bucket")), IAM_PATH),
    (
        "not-arn",
        doc(statement(Resource="invalid resource")),
        'Resource invalid resource must be in ARN format or "*".',
    ),
    ("empty-resource", doc(statement(Resource="")), 'Resource  must be in ARN format or "*".'),
    # Actions.
    (
        "two-colons",
        doc(statement(Action="s3:List:Bucket")),
        "Actions/Condition can contain only one colon.",
    ),
    ("space-in-vendor", doc(statement(Action="a a:ListBucket")), "Vendor a a is not valid"),
    (
        "no-vendor",
        doc(statement(Action="invalid")),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    # Legacy parsing.
    (
        "date-unparseable",
        doc(statement(Condition={"DateGreaterThan": {"aws:CurrentTime": "sdfdsf"}})),
        "The policy failed legacy parsing",
    ),
    (
        "date-month-13",
        doc(statement(Condition={"DateLessThanEquals": {"a": "234-13"}})),
        "The policy failed legacy parsing",
    ),
    (
        "date-epoch-too-big",
        doc(statement(Condition={"DateLessThan": {"a": "9223372036854775808"}})),
        "The policy failed legacy parsing",
    ),
    ("effect-case", doc(statement(Effect="allow")), "The policy failed legacy parsing"),
    (
        "s3-arn-too-few-colons",
        doc(statement(Resource="arn:aws:s3::example_bucket")),
        "The policy failed legacy parsing",
    ),
    ("no-service", doc(statement(Resource="arn:aws::fdsasf")), "The policy failed legacy parsing"),
    # Syntax.
    ("not-json", "This is not a json document", "Syntax errors in policy."),
    ("unknown-version", doc(statement(), version="2013-10-17"), "Syntax errors in policy."),
    ("effect-word", doc(statement(Effect="invalid")), "Syntax errors in policy."),
    ("unknown-operator", doc(statement(Condition={"x": {"a": "1"}})), "Syntax errors in policy."),
    (
        "condition-list",
        doc(statement(Condition={"DateGreaterThan": []})),
        "Syntax errors in policy.",
    ),
    ("resource-object", doc(statement(Resource=["adfdf", {}])), "Syntax errors in policy."),
    # Which fault IAM names first.
    (
        "version-before-legacy",
        doc(statement(Condition={"DateGreaterThan": {"a": "sdfdsf"}}), version=None),
        "Policy document must be version 2012-10-17 or greater.",
    ),
    (
        "legacy-before-partition",
        doc(
            statement(
                Resource="arn:error:s3:::example_bucket", Condition={"DateGreaterThan": {"a": "x"}}
            )
        ),
        "The policy failed legacy parsing",
    ),
    (
        "legacy-before-actions",
        doc({"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "x"}}}),
        "The policy failed legacy parsing",
    ),
    (
        "sid-before-actions",
        doc(statement(Sid="s"), {"Sid": "s", "Effect": "Allow"}),
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        "actions-before-resource-arn",
        doc({"Effect": "Allow", "Resource": "adf"}),
        "Policy statement must contain actions.",
    ),
    (
        "resources-before-vendor",
        doc({"Effect": "Allow", "Action": "invalid"}),
        "Policy statement must contain resources.",
    ),
    (
        "resource-arn-before-vendor",
        doc(statement(Action="s:3:ListBucket", Resource="sdfsadf")),
        'Resource sdfsadf must be in ARN format or "*".',
    ),
]

ACCEPTED = [
    ("empty-condition-block", doc(statement(Condition={"DateGreaterThan": {}}))),
    ("empty-unknown-block", doc(statement(Condition={"x": {}, "y": {}}))),
    ("null-in-resource-list", doc(statement(Resource=[BUCKET, None]))),
    ("iam-user", doc(statement(Resource="arn:aws:iam:::user/example_bucket"))),
    ("iam-root", doc(statement(Resource="arn:aws:iam::111122223333:root"))),
    ("other-partition", doc(statement(Resource="arn:aws-cn:s3:::example_bucket"))),
    ("region-in-ec2", doc(statement(Resource="arn:aws:ec2:us-east-1::example_bucket"))),
    ("unknown-service", doc(statement(Resource="arn:aws:invalid-service:::example_bucket"))),
    (
        "s3-access-point",
        doc(statement(Resource="arn:aws:s3:us-east-1:111122223333:accesspoint/ap")),
    ),
    ("vendor-dash-dot", doc(statement(Action=["s3-s:ListBucket", "s3.s:ListBucket"]))),
    (
        "dates",
        doc(
            statement(
                Condition={
                    "DateLessThanEquals": {
                        "a": [
                            "2019-07-01T13:20:15Z",
                            "2016-12-13T21:20:37.593194+00:00",
                            "01T",
                            "-292275054",
                            "1700000000",
                        ]
                    }
                }
            )
        ),
    ),
    ("bool-condition-value", doc(statement(Condition={"Bool": {"aws:SecureTransport": True}}))),
]


@pytest.fixture
def iam() -> Any:
    return World.new(seed=0).session().client("iam")


@pytest.mark.parametrize(
    ("document", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_create_policy_refuses_what_iam_refuses_with_iams_message(iam, document, message):
    with pytest.raises(ClientError) as refused:
        iam.create_policy(PolicyName="p", PolicyDocument=document)
    assert client_error(refused) == ("MalformedPolicyDocument", message, 400)
    assert iam.list_policies(Scope="Local")["Policies"] == []


@pytest.mark.parametrize("document", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_iam_stores_what_iam_accepts(iam, document):
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=document)
    arn = iam.create_policy(PolicyName="p", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document)


def test_inline_policies_get_the_same_refusals(iam):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as refused:
        iam.put_user_policy(
            UserName="alice", PolicyName="p", PolicyDocument=doc(statement(Resource="aws:s3:::b"))
        )
    assert client_error(refused) == (
        "MalformedPolicyDocument",
        'Partition "s3" is not valid for resource "arn:s3:::b:*".',
        400,
    )


def test_a_null_resource_names_nothing(iam):
    """Stored, the null adds no resource: the statement covers only the bucket."""
    assert (
        identity_policy_refusal(
            json.loads(doc(statement(Resource=[None, BUCKET]))), require_2012=True
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2024-01-01", True),
        ("2024-01-01T10", True),
        ("2024-01-01T10:", False),
        ("2024-01-01T10:00:00-05:00", True),
        ("2016-12-13t2:00:00.593194+1", False),
        ("2016-12-13t2:00:00.1999999999+10:59", False),
        ("1_000", False),
        ("", False),
    ],
)
def test_date_values_as_legacy_parsing_reads_them(text, ok):
    assert _is_date(text) is ok


def test_date_check_stays_linear_on_long_text():
    assert _is_date("1" * 100_000 + "-") is False
