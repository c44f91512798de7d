"""Policy validation in the manner of IAM Access Analyzer: what is flagged, how, and where."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.iam.findings import (
    MAX_FINDINGS,
    MAX_RANKED_EXAMPLES,
    SIZE_LIMITS,
    Finding,
    FindingType,
    IssueCode,
    validate_policy,
)
from simulator.iam.policy import PolicyKind
from simulator.iam.vocabulary import policy_size
from tests.simulator.iam.strategies import json_values

ACCOUNT = "111122223333"


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    document: dict[str, Any] = {} if version is None else {"Version": version}
    document["Statement"] = list(statements)
    return json.dumps(document, indent=2)


def allow(**elements: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **elements}


def check(text: str, kind: PolicyKind = PolicyKind.IDENTITY, **options: Any) -> list[Finding]:
    return validate_policy(text, policy_type=kind, **options)


def codes(findings: list[Finding]) -> list[IssueCode]:
    return [finding.issue_code for finding in findings]


def only(findings: list[Finding], code: IssueCode) -> Finding:
    matching = [finding for finding in findings if finding.issue_code is code]
    assert len(matching) == 1, findings
    return matching[0]


# --- Correct policies stay quiet --------------------------------------------------------------

GOOD = {
    "put-and-get-objects-and-list-the-bucket": (
        PolicyKind.IDENTITY,
        policy(
            allow(Action=["s3:PutObject", "s3:GetObject"], Resource="arn:aws:s3:::reports/*"),
            allow(Action="s3:ListBucket", Resource="arn:aws:s3:::reports"),
        ),
    ),
    "ec2-trust-policy": (
        PolicyKind.TRUST,
        policy(allow(Principal={"Service": "ec2.amazonaws.com"}, Action="sts:AssumeRole")),
    ),
    "bucket-policy": (
        PolicyKind.RESOURCE,
        policy(
            allow(
                Sid="AppRead",
                Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"},
                Action="s3:GetObject",
                Resource="arn:aws:s3:::reports/*",
            ),
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
    ),
    "scoped-pass-role-and-run-instances": (
        PolicyKind.IDENTITY,
        policy(
            allow(
                Action="iam:PassRole",
                Resource=f"arn:aws:iam::{ACCOUNT}:role/AppRole",
                Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            ),
            allow(
                Action="ec2:RunInstances",
                Resource=[
                    "arn:aws:ec2:us-east-1::image/ami-*",
                    "arn:aws:ec2:*:*:instance/*",
                    "arn:aws:ec2:*:*:network-interface/*",
                    "arn:aws:ec2:*:*:subnet/*",
                    "arn:aws:ec2:*:*:security-group/*",
                    "arn:aws:ec2:*:*:volume/*",
                ],
            ),
            allow(Action="ec2:AssociateIamInstanceProfile", Resource="arn:aws:ec2:*:*:instance/*"),
            allow(Action="ec2:Describe*", Resource="*"),
        ),
    ),
    "revoke-older-sessions": (
        PolicyKind.IDENTITY,
        policy(
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-28T03:00:00Z"}},
            }
        ),
    ),
    "mfa-and-network-conditions": (
        PolicyKind.IDENTITY,
        policy(
            {
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:GetSessionToken"],
                "Resource": "*",
                "Condition": {
                    "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                    "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                },
            }
        ),
    ),
    "github-oidc-trust": (
        PolicyKind.TRUST,
        policy(
            allow(
                Principal={
                    "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
                },
                Action="sts:AssumeRoleWithWebIdentity",
                Condition={
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
                    },
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"},
                },
            )
        ),
    ),
    "many-services": (
        PolicyKind.IDENTITY,
        policy(
            allow(
                Action="lambda:InvokeFunction",
                Resource=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:report:*",
            ),
            allow(
                Action=["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/report:*",
            ),
            allow(
                Action="dynamodb:Query",
                Resource=[
                    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders",
                    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders/index/*",
                ],
            ),
            allow(
                Action="kms:Decrypt",
                Resource=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            ),
            allow(
                Action="ssm:GetParameter",
                Resource=f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/*",
            ),
            allow(Action="sts:AssumeRole", Resource=f"arn:aws:iam::{ACCOUNT}:role/Other"),
            allow(Action="iam:GetPolicy", Resource="arn:aws:iam::aws:policy/ReadOnlyAccess"),
            allow(
                Action="iam:CreateAccessKey",
                Resource=f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
            ),
            allow(
                Action="s3:ListBucket",
                Resource="arn:aws:s3:::home",
                Condition={"StringLike": {"s3:prefix": ["", "home/${aws:username}/*"]}},
            ),
            allow(
                Action="ec2:CreateTags",
                Resource="*",
                Condition={
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                    "Null": {"aws:TagKeys": "false"},
                    "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                },
            ),
            allow(Action=["s3:ListAllMyBuckets", "sts:GetCallerIdentity"], Resource="*"),
        ),
    ),
    "scp-region-guard": (
        PolicyKind.SCP,
        policy(
            {
                "Sid": "DenyOtherRegions",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}},
            }
        ),
    ),
    "single-statement-object": (
        PolicyKind.IDENTITY,
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": allow(Action="s3:*", Resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"]),
            }
        ),
    ),
}


@pytest.mark.parametrize(("kind", "text"), GOOD.values(), ids=GOOD.keys())
def test_correct_policies_have_no_findings(kind: PolicyKind, text: str) -> None:
    assert check(text, kind) == []


# --- Actions ----------------------------------------------------------------------------------


def test_unknown_action_suggests_closest() -> None:
    findings = check(policy(allow(Action="s3:GetObjects", Resource="arn:aws:s3:::b/*")))

    finding = only(findings, IssueCode.INVALID_ACTION)
    assert finding.finding_type is FindingType.ERROR
    assert finding.message == "The action s3:GetObjects does not exist. Did you mean s3:GetObject?"
    assert finding.location == "Statement[0].Action"


def test_api_operation_name_points_to_the_action_that_authorizes_it() -> None:
    findings = check(policy(allow(Action=["s3:ListBuckets"], Resource="*")))

    assert only(findings, IssueCode.INVALID_ACTION).message == (
        "The action s3:ListBuckets does not exist. Did you mean s3:ListAllMyBuckets? The API "
        "called ListBuckets authorizes against the IAM action s3:ListAllMyBuckets."
    )


def test_unknown_service_in_an_action_suggests_the_service() -> None:
    findings = check(policy(allow(Action=["s4:GetObject"], Resource="*")))

    finding = only(findings, IssueCode.INVALID_SERVICE_IN_ACTION)
    assert "Did you mean s3:GetObject?" in finding.message
    assert finding.location == "Statement[0].Action[0]"


def test_a_wildcard_action_that_matches_nothing_is_an_error() -> None:
    findings = check(policy(allow(Action="s3:Gte*", Resource="*")))

    assert "does not match any action" in only(findings, IssueCode.INVALID_ACTION).message


@pytest.mark.parametrize(
    ("action", "message"),
    [("GetObject", "separated by a colon"), ("s3:Get:Object", "only one colon")],
)
def test_malformed_actions_are_errors(action: str, message: str) -> None:
    findings = check(policy(allow(Action=action, Resource="*")))

    assert message in only(findings, IssueCode.INVALID_ACTION).message


def test_actions_are_case_insensitive() -> None:
    assert check(policy(allow(Action="S3:getobject", Resource="arn:aws:s3:::b/*"))) == []


def test_a_wildcard_in_an_action_service_is_a_suggestion() -> None:
    findings = check(policy(allow(Action="s*:GetObject", Resource="*")))

    assert only(findings, IssueCode.WILDCARD_IN_SERVICE_NAME).finding_type is FindingType.SUGGESTION


# --- Actions against resources ----------------------------------------------------------------


def test_get_object_on_bucket_arn_is_flagged() -> None:
    findings = check(policy(allow(Action="s3:GetObject", Resource="arn:aws:s3:::reports")))

    finding = only(findings, IssueCode.RESOURCE_MISMATCH)
    assert finding.finding_type is FindingType.WARNING
    assert finding.location == "Statement[0].Action"
    assert finding.message.startswith(
        "s3:GetObject acts on object ARNs (arn:aws:s3:::${BucketName}/${ObjectName})"
    )
    assert "arn:aws:s3:::reports (a bucket ARN)" in finding.message
    assert not finding.from_access_analyzer


def test_list_bucket_on_object_arn_is_flagged() -> None:
    findings = check(policy(allow(Action="s3:ListBucket", Resource="arn:aws:s3:::reports/*")))

    finding = only(findings, IssueCode.RESOURCE_MISMATCH)
    assert "s3:ListBucket acts on" in finding.message
    assert "arn:aws:s3:::reports/* (an object ARN)" in finding.message


def test_actions_that_fit_any_of_the_resources_are_not_flagged() -> None:
    text = policy(
        allow(
            Action=["s3:GetObject", "s3:ListBucket"],
            Resource=["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
        )
    )

    assert check(text) == []


def test_an_action_without_resource_types_needs_star() -> None:
    findings = check(policy(allow(Action="s3:ListAllMyBuckets", Resource="arn:aws:s3:::*")))

    assert 'only "Resource": "*" matches' in only(findings, IssueCode.RESOURCE_MISMATCH).message


def test_a_deny_that_can_never_match_is_flagged_too() -> None:
    text = policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"})

    assert codes(check(text)) == [IssueCode.RESOURCE_MISMATCH]


def test_not_action_and_not_resource_are_not_compared() -> None:
    text = policy(
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b"},
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b"},
    )

    assert check(text) == []


# --- The document -----------------------------------------------------------------------------


def test_json_syntax_error_reports_line_and_column() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}'

    [finding] = check(text)

    assert finding.issue_code is IssueCode.JSON_SYNTAX_ERROR
    assert finding.finding_type is FindingType.ERROR
    assert finding.span is not None
    assert (finding.span.line, finding.span.column) == (4, 24)
    assert finding.message == (
        "Fix the JSON syntax error at line 4, column 24: Trailing comma before }: remove the "
        "last ','."
    )


def test_deeply_nested_input_gets_a_clear_error() -> None:
    findings = check("[" * 10_000)

    finding = only(findings, IssueCode.JSON_SYNTAX_ERROR)
    assert "nested too deeply" in finding.message


@pytest.mark.parametrize("text", ["[]", '"policy"', "42", "null"])
def test_the_top_level_must_be_an_object(text: str) -> None:
    finding = only(check(text), IssueCode.DATA_TYPE_MISMATCH)

    assert finding.message.startswith("A policy must be a JSON object")


def test_an_unknown_top_level_element_suggests_the_right_case() -> None:
    text = json.dumps({"version": "2012-10-17", "Statement": allow(Action="*", Resource="*")})

    finding = only(check(text), IssueCode.INVALID_POLICY_ELEMENT)

    assert finding.message == (
        'The policy element "version" is not valid in a policy. Did you mean Version? Element '
        "names are case-sensitive."
    )
    assert finding.span is not None
    assert finding.span.column == 2


def test_missing_version_is_a_warning() -> None:
    findings = check(policy(allow(Action="s3:GetObject", Resource="*"), version=None))

    finding = only(findings, IssueCode.MISSING_VERSION)
    assert finding.finding_type is FindingType.WARNING
    assert "2012-10-17" in finding.learn_more


@pytest.mark.parametrize("version", ["2012-10-18", "2024-01-01", "latest"])
def test_an_invalid_version_is_an_error(version: str) -> None:
    finding = only(
        check(policy(allow(Action="*", Resource="*"), version=version)), IssueCode.INVALID_VERSION
    )

    assert finding.finding_type is FindingType.ERROR
    assert finding.location == "Version"


def test_the_2008_version_is_accepted() -> None:
    assert (
        check(policy(allow(Action="s3:ListAllMyBuckets", Resource="*"), version="2008-10-17")) == []
    )


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ({"Version": "2012-10-17"}, IssueCode.MISSING_STATEMENT),
        ({"Version": "2012-10-17", "Statement": []}, IssueCode.MISSING_STATEMENT),
        ({"Version": "2012-10-17", "Statement": "Allow everything"}, IssueCode.DATA_TYPE_MISMATCH),
        ({"Version": "2012-10-17", "Statement": ["s3:GetObject"]}, IssueCode.DATA_TYPE_MISMATCH),
    ],
    ids=["missing", "empty", "a-string", "list-of-strings"],
)
def test_statement_missing_or_of_the_wrong_type(document: dict, code: IssueCode) -> None:
    assert codes(check(json.dumps(document))) == [code]


def test_repeated_json_keys_are_reported() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",\n "Action": "s3:PutObject", "Resource": "*"}}'

    finding = only(check(text), IssueCode.DUPLICATE_KEY)

    assert finding.location == "Statement.Action"
    assert finding.span is not None
    assert finding.span.line == 2
    assert "only the last one counts" in finding.message


def test_an_unknown_statement_element_is_an_error() -> None:
    findings = check(policy(allow(Action="*", Resource="*", Resources="*")))

    finding = only(findings, IssueCode.INVALID_POLICY_ELEMENT)
    assert "Did you mean Resource?" in finding.message


# --- Effect, Action, Resource presence ----------------------------------------------------------


def test_a_missing_effect_is_an_error() -> None:
    text = policy({"Action": "s3:GetObject", "Resource": "*"})

    finding = only(check(text), IssueCode.MISSING_EFFECT)

    assert finding.message == (
        "Add an Effect element to the policy statement with a value of Allow or Deny."
    )
    assert finding.location == "Statement[0]"


@pytest.mark.parametrize("effect", ["allow", "ALLOW", "Permit", True])
def test_an_invalid_effect_says_use_allow_or_deny(effect: Any) -> None:
    text = policy({"Effect": effect, "Action": "s3:ListAllMyBuckets", "Resource": "*"})

    finding = only(check(text), IssueCode.INVALID_EFFECT)

    assert finding.message.endswith("Use Allow or Deny.")
    assert finding.location == "Statement[0].Effect"


def test_an_effect_of_the_wrong_type_names_the_type() -> None:
    finding = only(
        check(policy({"Effect": 5, "Action": "*", "Resource": "*"})), IssueCode.INVALID_EFFECT
    )
    assert finding.message == "The effect must be a string, not a number. Use Allow or Deny."


def test_a_lower_case_effect_explains_case_sensitivity() -> None:
    finding = only(
        check(policy({"Effect": "allow", "Action": "*", "Resource": "*"})), IssueCode.INVALID_EFFECT
    )

    assert 'Write "Allow", not "allow"' in finding.learn_more


def test_a_missing_action_is_an_error() -> None:
    assert codes(check(policy(allow(Resource="*")))) == [IssueCode.MISSING_ACTION]


def test_action_and_not_action_together_are_an_error() -> None:
    findings = check(policy(allow(Action="s3:GetObject", NotAction="s3:PutObject", Resource="*")))

    finding = only(findings, IssueCode.UNSUPPORTED_ELEMENT_COMBINATION)
    assert "Action and NotAction" in finding.message


@pytest.mark.parametrize("kind", [PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION])
def test_a_missing_resource_is_an_error_where_resources_are_required(kind: PolicyKind) -> None:
    assert codes(check(policy(allow(Action="s3:GetObject")), kind)) == [IssueCode.MISSING_RESOURCE]


def test_a_trust_policy_needs_no_resource_and_may_not_have_one() -> None:
    text = policy(
        allow(
            Principal={"Service": "ec2.amazonaws.com"},
            Action="sts:AssumeRole",
            Resource=f"arn:aws:iam::{ACCOUNT}:role/AppRole",
        )
    )

    finding = only(check(text, PolicyKind.TRUST), IssueCode.RESOURCE_IN_TRUST_POLICY)

    assert finding.message.startswith("Has prohibited field Resource")


def test_a_trust_policy_may_only_allow_sts_actions() -> None:
    text = policy(
        allow(Principal={"Service": "ec2.amazonaws.com"}, Action=["sts:AssumeRole", "s3:GetObject"])
    )

    finding = only(check(text, PolicyKind.TRUST), IssueCode.TRUST_POLICY_NON_STS_ACTION)

    assert finding.message.startswith("AssumeRole policy may only specify STS AssumeRole actions.")
    assert finding.location == "Statement[0].Action[1]"


def test_empty_lists_are_suggestions() -> None:
    findings = check(policy(allow(Action=[], Resource=[])))

    assert set(codes(findings)) == {IssueCode.EMPTY_ARRAY_ACTION, IssueCode.EMPTY_ARRAY_RESOURCE}


# --- Principals -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION])
def test_principal_in_an_identity_policy_is_an_error(kind: PolicyKind) -> None:
    text = policy(allow(Principal={"AWS": ACCOUNT}, Action="s3:GetObject", Resource="*"))

    finding = only(check(text, kind), IssueCode.UNSUPPORTED_PRINCIPAL)

    assert finding.finding_type is FindingType.ERROR
    assert finding.message == "Policy document should not specify a principal."
    assert finding.location == "Statement[0].Principal"


def test_principal_in_an_scp_is_an_error() -> None:
    text = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})

    assert IssueCode.SCP_SYNTAX_ERROR_PRINCIPAL in codes(check(text, PolicyKind.SCP))


@pytest.mark.parametrize(
    "kind", [PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP, PolicyKind.ENDPOINT]
)
def test_a_missing_principal_is_an_error_where_one_is_needed(kind: PolicyKind) -> None:
    statement = allow(Action="sts:AssumeRole")
    if kind is not PolicyKind.TRUST:
        statement["Resource"] = "*"

    finding = only(check(policy(statement), kind), IssueCode.MISSING_PRINCIPAL)

    assert finding.message == "Add a Principal element to the policy statement."


def test_allow_with_not_principal_is_a_security_warning() -> None:
    text = policy(
        allow(NotPrincipal={"AWS": ACCOUNT}, Action="s3:GetObject", Resource="arn:aws:s3:::b/*")
    )

    finding = only(check(text, PolicyKind.RESOURCE), IssueCode.ALLOW_WITH_NOT_PRINCIPAL)

    assert finding.finding_type is FindingType.SECURITY_WARNING


@pytest.mark.parametrize(
    ("principal", "code"),
    [
        ({"Service": "ec2"}, IssueCode.INVALID_SERVICE_PRINCIPAL_FORMAT),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/*"}, IssueCode.UNSUPPORTED_WILDCARD_IN_PRINCIPAL),
        ({"AWS": "alice"}, IssueCode.INVALID_PRINCIPAL_FORMAT),
        ({"Aws": ACCOUNT}, IssueCode.INVALID_PRINCIPAL_KEY),
        ("everyone", IssueCode.INVALID_PRINCIPAL_FORMAT),
        ({}, IssueCode.EMPTY_OBJECT_PRINCIPAL),
    ],
    ids=["service-without-domain", "wildcard-arn", "bare-name", "key-case", "string", "empty"],
)
def test_malformed_principals_are_flagged(principal: Any, code: IssueCode) -> None:
    text = policy(allow(Principal=principal, Action="sts:AssumeRole"))

    assert codes(check(text, PolicyKind.TRUST)) == [code]


def test_a_service_principal_without_domain_suggests_the_full_name() -> None:
    text = policy(allow(Principal={"Service": "ec2"}, Action="sts:AssumeRole"))

    finding = only(check(text, PolicyKind.TRUST), IssueCode.INVALID_SERVICE_PRINCIPAL_FORMAT)

    assert "ec2.amazonaws.com" in finding.message


# --- Resources --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "code", "message"),
    [
        ("reports", IssueCode.INVALID_ARN_PREFIX, 'Resource reports must be in ARN format or "*".'),
        ("arn:aws:s3", IssueCode.MISSING_ARN_FIELD, "at least 6 fields"),
        ("arn:aws:s3:::", IssueCode.MISSING_ARN_FIELD, "the resource of arn:aws:s3::: is empty"),
        ("arn:aws:s3:us-east-1::reports", IssueCode.ARN_REGION_NOT_ALLOWED, "Region"),
        (f"arn:aws:s3::{ACCOUNT}:reports", IssueCode.ARN_ACCOUNT_NOT_ALLOWED, "account ID"),
        ("arn:aws:iam::12345:role/AppRole", IssueCode.INVALID_ARN_ACCOUNT, "12-digit"),
        (f"arn:aws:ec2::{ACCOUNT}:instance/*", IssueCode.MISSING_ARN_REGION, "Add a Region"),
        (f"arn:aws:ec2:us-east-1:{ACCOUNT}:instanse/*", IssueCode.INVALID_ARN_RESOURCE, "instance/"),
        ("arn:aws:S3:::reports", IssueCode.INVALID_ARN_SERVICE_CASE, "lowercase"),
        ("arn:aws:s4:::reports", IssueCode.INVALID_SERVICE, "Did you mean s3?"),
        ("arn:amazon:s3:::reports", IssueCode.INVALID_PARTITION, "partition"),
        ("arn:aws:s3:::" + "b" * 3000, IssueCode.INVALID_ARN_RESOURCE, "at most 2,048"),
    ],
    ids=["bare-name", "short", "empty-resource", "region", "account", "bad-account",
         "no-region", "typo-type", "service-case", "unknown-service", "partition", "too-long"],
)  # fmt: skip
def test_malformed_arns_are_errors(resource: str, code: IssueCode, message: str) -> None:
    findings = check(policy(allow(Action="*", Resource=resource)))

    finding = only(findings, code)
    assert finding.finding_type is FindingType.ERROR
    assert message in finding.message
    assert finding.location == "Statement[0].Resource"


def test_a_long_malformed_arn_is_compared_with_the_templates_by_its_start() -> None:
    # difflib's time grows with the product of the lengths: 1,900 characters took half a
    # second against ec2's 118 templates. The first 128 are compared, more than any template's.
    head = f"arn:aws:ec2:us-east-1:{ACCOUNT}:"
    resource = "instanse/i-1-" + "e-" * 950

    def examples(arn: str) -> str:
        found = check(policy(allow(Action="*", Resource=arn)))
        return only(found, IssueCode.INVALID_ARN_RESOURCE).message.partition("look like: ")[2]

    assert examples(head + resource) == examples(head + resource[:128])
    assert examples(head + resource) != examples(head + resource[:100])


def test_only_the_first_malformed_arns_are_compared_with_every_template() -> None:
    resources = [
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:instanse/i-{i}" for i in range(MAX_RANKED_EXAMPLES + 1)
    ]

    findings = check(policy(allow(Action="*", Resource=resources)))

    messages = [f.message for f in findings if f.issue_code is IssueCode.INVALID_ARN_RESOURCE]
    assert len(messages) == MAX_RANKED_EXAMPLES + 1
    assert all(":instance/${InstanceId}" in message for message in messages[:-1])
    assert ":instance/${InstanceId}" not in messages[-1]  # ec2's first templates
    assert "ec2 ARNs look like: arn:${Partition}:ec2:" in messages[-1]


def test_a_bare_bucket_name_suggests_its_arns() -> None:
    findings = check(policy(allow(Action="s3:GetObject", Resource="reports")))

    learn_more = only(findings, IssueCode.INVALID_ARN_PREFIX).learn_more
    assert "arn:aws:s3:::reports/*" in learn_more


def test_a_wildcard_in_the_service_of_an_arn_is_a_suggestion() -> None:
    findings = check(policy(allow(Action="s3:GetObject", Resource="arn:aws:s*:::reports/*")))

    finding = only(findings, IssueCode.WILDCARD_IN_SERVICE_NAME)
    assert finding.finding_type is FindingType.SUGGESTION


# --- Conditions -------------------------------------------------------------------------------


def conditioned(condition: Any, effect: str = "Allow") -> str:
    return policy(
        {
            "Effect": effect,
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": condition,
        }
    )


@pytest.mark.parametrize(
    ("operator", "hint"),
    [("stringEquals", "Did you mean StringEquals?"), ("StringEqual", "Did you mean StringEquals?"),
     ("StringEqualsIfExist", "Did you mean StringEqualsIfExists?"), ("Equals", "")],
)  # fmt: skip
def test_an_unknown_condition_operator_is_an_error(operator: str, hint: str) -> None:
    findings = check(conditioned({operator: {"aws:SourceVpc": "vpc-1"}}))

    finding = only(findings, IssueCode.INVALID_CONDITION_OPERATOR)
    assert finding.message.startswith(f"The condition operator {operator} is not valid.")
    assert hint in finding.message
    assert finding.location == f"Statement[0].Condition.{operator}"


def test_null_with_if_exists_is_an_error() -> None:
    findings = check(conditioned({"NullIfExists": {"aws:SourceVpc": "true"}}))

    assert only(findings, IssueCode.NULL_WITH_IF_EXISTS).message == (
        "The Null condition operator cannot be used with the IfExists suffix. Update the "
        "operator or the suffix."
    )


@pytest.mark.parametrize("operator", ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"])
def test_wildcard_in_a_string_equals_value_is_flagged(operator: str) -> None:
    findings = check(conditioned({operator: {"aws:PrincipalTag/team": ["blue", "admin-*"]}}))

    finding = only(findings, IssueCode.WILDCARD_WITHOUT_LIKE_OPERATOR)
    assert finding.finding_type is FindingType.WARNING
    assert finding.location == f"Statement[0].Condition.{operator}.aws:PrincipalTag/team[1]"


def test_wildcards_with_like_operators_are_fine() -> None:
    assert check(conditioned({"StringLike": {"aws:PrincipalTag/team": "admin-*"}})) == []


def test_for_all_values_with_a_single_valued_key_is_a_security_warning() -> None:
    findings = check(conditioned({"ForAllValues:StringEquals": {"aws:SourceVpc": ["vpc-1"]}}))

    finding = only(findings, IssueCode.FORALLVALUES_WITH_SINGLE_VALUED_KEY)
    assert finding.finding_type is FindingType.SECURITY_WARNING
    assert finding.message == (
        "Using ForAllValues qualifier with the single-valued condition key aws:SourceVpc can "
        "be overly permissive. We recommend that you remove ForAllValues:."
    )


def test_for_all_values_on_an_allow_without_a_presence_check_is_a_security_warning() -> None:
    findings = check(conditioned({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}))

    finding = only(findings, IssueCode.FORALLVALUES_WITHOUT_NULL_CHECK)
    assert finding.finding_type is FindingType.SECURITY_WARNING
    assert '"Null": {"aws:TagKeys": "false"}' in finding.message


@pytest.mark.parametrize(
    ("condition", "effect"),
    [
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}, "Null": {"aws:TagKeys": "false"}}, "Allow"),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, "Deny"),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, "Allow"),
    ],
    ids=["with-null-check", "deny", "for-any-value"],
)  # fmt: skip
def test_for_all_values_is_fine_with_a_presence_check_or_on_a_deny(
    condition: Any, effect: str
) -> None:
    assert check(conditioned(condition, effect)) == []


def test_a_multivalued_key_without_a_qualifier_is_an_error() -> None:
    findings = check(conditioned({"StringEquals": {"aws:TagKeys": "team"}}))

    assert "has multiple values" in only(findings, IssueCode.MISSING_QUALIFIER).message


def test_an_operator_of_the_wrong_type_for_the_key_is_a_warning() -> None:
    findings = check(conditioned({"StringEquals": {"aws:SecureTransport": "true"}}))

    assert only(findings, IssueCode.TYPE_MISMATCH).message == (
        "Use the operator type Bool instead of operator StringEquals for the condition key "
        "aws:SecureTransport."
    )


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({"Bool": {"aws:SecureTransport": "yes"}}, IssueCode.TYPE_MISMATCH_BOOLEAN),
        ({"NumericLessThan": {"aws:MultiFactorAuthAge": "an hour"}}, IssueCode.TYPE_MISMATCH_NUMBER),
        ({"DateGreaterThan": {"aws:CurrentTime": "next monday"}}, IssueCode.TYPE_MISMATCH_DATE),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}, IssueCode.TYPE_MISMATCH_IP_RANGE),
        ({"IpAddress": {"aws:SourceIp": "10.1.2.3/8"}}, IssueCode.IMPROVE_IP_RANGE),
    ],
    ids=["bool", "number", "date", "ip", "ip-host-bits"],
)  # fmt: skip
def test_condition_values_of_the_wrong_type_are_flagged(condition: Any, code: IssueCode) -> None:
    assert codes(check(conditioned(condition))) == [code]


def test_an_ip_range_with_host_bits_suggests_the_network() -> None:
    findings = check(conditioned({"IpAddress": {"aws:SourceIp": "10.1.2.3/8"}}))

    assert (
        "Replace 10.1.2.3/8 with 10.0.0.0/8." in only(findings, IssueCode.IMPROVE_IP_RANGE).message
    )


def test_an_unknown_condition_key_is_a_warning_with_a_suggestion() -> None:
    findings = check(conditioned({"StringEquals": {"aws:SourceVPC4": "vpc-1", "s3:prefx": "a/"}}))

    global_key = only(findings, IssueCode.INVALID_GLOBAL_CONDITION_KEY)
    service_key = only(findings, IssueCode.INVALID_SERVICE_CONDITION_KEY)
    assert global_key.finding_type is service_key.finding_type is FindingType.WARNING
    assert "Did you mean aws:SourceVpc?" in global_key.message
    assert "Did you mean s3:prefix?" in service_key.message
    assert global_key.span is not None
    assert global_key.span.key is None


def test_a_condition_key_of_an_unknown_service_is_a_warning() -> None:
    findings = check(conditioned({"StringEquals": {"s4:prefix": "a/"}}))

    assert only(findings, IssueCode.INVALID_SERVICE).finding_type is FindingType.WARNING


def test_condition_key_names_are_case_insensitive() -> None:
    assert check(conditioned({"Bool": {"AWS:SECURETRANSPORT": "true"}})) == []


def test_the_same_condition_key_twice_with_different_case_is_an_error() -> None:
    findings = check(conditioned({"StringEquals": {"aws:SourceVpc": "a", "aws:sourcevpc": "b"}}))

    assert IssueCode.DUPLICATE_KEYS_WITH_DIFFERENT_CASE in codes(findings)


def test_a_tag_key_condition_without_a_tag_name_is_an_error() -> None:
    findings = check(conditioned({"StringEquals": {"aws:ResourceTag/": "blue"}}))

    assert IssueCode.MISSING_TAG_KEY_IN_CONDITION in codes(findings)


def test_a_deprecated_global_key_is_a_warning() -> None:
    findings = check(conditioned({"ArnLike": {"aws:ARN": "arn:aws:iam::*:role/*"}}))

    assert codes(findings) == [IssueCode.DEPRECATED_GLOBAL_CONDITION_KEY]


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({}, IssueCode.EMPTY_OBJECT_CONDITION),
        ({"StringEquals": {}}, IssueCode.EMPTY_OBJECT_CONDITION),
        ({"StringEquals": {"aws:SourceVpc": []}}, IssueCode.EMPTY_ARRAY_CONDITION),
        ({"ForAnyValue:Null": {"aws:TagKeys": "true"}}, IssueCode.NULL_WITH_QUALIFIER),
        ("aws:SourceVpc", IssueCode.DATA_TYPE_MISMATCH),
        ({"StringEquals": {"aws:SourceVpc": {"value": 1}}}, IssueCode.DATA_TYPE_MISMATCH),
    ],
    ids=["empty-block", "empty-operator", "empty-values", "null-qualifier", "not-object", "object-value"],
)  # fmt: skip
def test_empty_or_misshapen_conditions(condition: Any, code: IssueCode) -> None:
    assert code in codes(check(conditioned(condition)))


def test_policy_variables_need_version_2012() -> None:
    text = policy(
        allow(Action="s3:GetObject", Resource="arn:aws:s3:::home/${aws:username}/*"), version=None
    )

    finding = only(check(text), IssueCode.VARIABLE_UNSUPPORTED_IN_VERSION)

    assert finding.location == "Statement[0].Resource"


def test_policy_variables_only_work_with_string_and_arn_operators() -> None:
    findings = check(
        conditioned({"NumericLessThan": {"aws:MultiFactorAuthAge": "${aws:username}"}})
    )

    assert IssueCode.INVALID_VARIABLE_FOR_OPERATOR in codes(findings)


# --- Security advice --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        (allow(Action="iam:PassRole", Resource="*"), IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE),
        (allow(Action="iam:PassRole", Resource=f"arn:aws:iam::{ACCOUNT}:role/*"), IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE),
        (allow(Action="iam:*", Resource="*"), IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE),
        (allow(Action="*", Resource="*"), IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE),
        (allow(NotAction="s3:*", Resource="*"), IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION),
        (allow(Action="iam:PassRole", NotResource=f"arn:aws:iam::{ACCOUNT}:role/Admin"), IssueCode.PASS_ROLE_WITH_NOT_RESOURCE),
    ],
    ids=["pass-role-star", "all-roles", "iam-star", "star", "not-action", "not-resource"],
)  # fmt: skip
def test_pass_role_on_every_role_is_a_security_warning(statement: dict, code: IssueCode) -> None:
    finding = only(check(policy(statement)), code)

    assert finding.finding_type is FindingType.SECURITY_WARNING
    assert "iam:PassRole" in finding.message


def test_pass_role_star_message_is_access_analyzers() -> None:
    finding = only(
        check(policy(allow(Action="iam:PassRole", Resource="*"))),
        IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE,
    )

    assert finding.message == (
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly "
        "permissive because it allows iam:PassRole permissions on multiple resources. We "
        "recommend that you specify resource ARNs or add the iam:PassedToService condition key "
        "to your statement."
    )


@pytest.mark.parametrize(
    "statement",
    [
        allow(Action="iam:PassRole", Resource="*", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        allow(Action="iam:PassRole", Resource=f"arn:aws:iam::{ACCOUNT}:role/AppRole"),
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
        allow(Action="s3:*", Resource="*"),
        allow(NotAction="iam:*", Resource="*"),
    ],
    ids=["passed-to-service", "one-role", "deny", "other-service", "not-action-excludes"],
)  # fmt: skip
def test_pass_role_that_is_scoped_or_absent_is_not_flagged(statement: dict) -> None:
    assert check(policy(statement)) == []


# --- Sids -------------------------------------------------------------------------------------


def test_duplicate_sids_are_errors_in_identity_policies() -> None:
    text = policy(
        allow(Sid="Read", Action="s3:GetObject", Resource="arn:aws:s3:::b/*"),
        allow(Sid="Read", Action="s3:PutObject", Resource="arn:aws:s3:::b/*"),
    )

    finding = only(check(text), IssueCode.UNIQUE_SIDS_REQUIRED)

    assert finding.finding_type is FindingType.ERROR
    assert finding.location == "Statement[1].Sid"
    assert "Statement[0]" in finding.message


def test_duplicate_sids_are_a_warning_in_bucket_policies() -> None:
    statement = allow(Sid="Read", Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::b/*")

    finding = only(
        check(policy(statement, statement), PolicyKind.RESOURCE), IssueCode.UNIQUE_SIDS_RECOMMENDED
    )

    assert finding.finding_type is FindingType.WARNING


def test_sids_with_punctuation_are_refused_in_iam_policies_only() -> None:
    statement = allow(Sid="Read-Reports", Action="s3:GetObject", Resource="arn:aws:s3:::b/*")
    in_bucket = dict(statement, Principal="*")

    assert codes(check(policy(statement))) == [IssueCode.UNSUPPORTED_SID]
    assert check(policy(in_bucket), PolicyKind.RESOURCE) == []


def test_an_empty_sid_is_a_suggestion() -> None:
    findings = check(policy(allow(Sid="", Action="s3:ListAllMyBuckets", Resource="*")))

    assert codes(findings) == [IssueCode.EMPTY_SID_VALUE]


# --- Size -------------------------------------------------------------------------------------


def big_policy(size: int) -> str:
    resources = [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(size // 28 + 1)]
    return policy(allow(Action="s3:GetObject", Resource=resources))


def test_an_identity_policy_over_6144_characters_is_a_warning() -> None:
    text = big_policy(7_000)

    finding = only(check(text), IssueCode.POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA)

    assert finding.finding_type is FindingType.WARNING
    assert f"It has {policy_size(text):,} characters" in finding.message
    assert "the limit is 6,144" in finding.message


def test_whitespace_does_not_count_towards_the_size() -> None:
    text = big_policy(5_000)

    padded = text.replace(",", ",\n" + " " * 40)

    assert policy_size(padded) == policy_size(text) < 6_144
    assert check(padded) == []


def test_a_size_limit_can_be_given_for_inline_role_policies() -> None:
    text = big_policy(7_000)

    assert check(text, size_limit=10_240) == []


def test_a_trust_policy_over_2048_characters_is_an_error() -> None:
    principals = [f"arn:aws:iam::{ACCOUNT}:role/caller-{i:03d}" for i in range(60)]
    text = policy(allow(Principal={"AWS": principals}, Action="sts:AssumeRole"))

    finding = only(check(text, PolicyKind.TRUST), IssueCode.POLICY_SIZE_EXCEEDS_QUOTA)

    assert "role trust policy" in finding.message
    assert "2,048" in finding.message


def test_an_scp_over_5120_characters_is_an_error() -> None:
    text = policy(
        {"Effect": "Deny", "Action": [f"ec2:Describe{i:04d}" for i in range(400)], "Resource": "*"}
    )

    finding = only(check(text, PolicyKind.SCP), IssueCode.POLICY_SIZE_EXCEEDS_SCP_QUOTA)

    assert finding.finding_type is FindingType.ERROR
    assert SIZE_LIMITS[PolicyKind.SCP] == 5_120


# --- Findings themselves ----------------------------------------------------------------------


def test_findings_are_sorted_by_position() -> None:
    text = policy(
        allow(Action="s3:GetObjects", Resource="reports"),
        {"Effect": "allow", "Action": "iam:PassRole", "Resource": "*"},
        version=None,
    )

    findings = check(text)
    offsets = [finding.span.offset for finding in findings if finding.span is not None]

    assert offsets == sorted(offsets)
    assert codes(findings)[0] is IssueCode.MISSING_VERSION


def test_a_finding_has_a_location_a_span_and_plain_data() -> None:
    [finding] = check(policy(allow(Action="s3:GetObjects", Resource="*")))

    data = finding.to_dict()

    assert finding.location == "Statement[0].Action"
    assert data["findingType"] == "ERROR"
    assert data["issueCode"] == "INVALID_ACTION"
    assert data["location"] == "Statement[0].Action"
    assert (data["line"], data["column"]) == (6, 17)
    assert data["learnMore"]
    assert json.loads(json.dumps(data)) == data


def test_access_analyzer_checks_are_told_apart_from_rolecall_checks() -> None:
    findings = check(policy(allow(Action="s3:GetObjects", Resource="arn:aws:s3:::b")))

    assert [finding.from_access_analyzer for finding in findings] == [True]
    mismatch = check(policy(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b")))
    assert [finding.from_access_analyzer for finding in mismatch] == [False]


def test_too_many_findings_are_capped_with_a_note() -> None:
    text = policy(allow(Action=[f"s3:Nope{i}" for i in range(MAX_FINDINGS + 50)], Resource="*"))

    findings = check(text)

    assert len(findings) == MAX_FINDINGS + 1
    assert IssueCode.TOO_MANY_FINDINGS in codes(findings)


# --- Never raises -----------------------------------------------------------------------------

STATEMENT = allow(Sid="S", Action=["s3:GetObject", "s3:PutObject"], Resource="arn:aws:s3:::b/*")


@pytest.mark.parametrize(
    "text",
    [
        "[" + ",".join(["1"] * 500_000) + "]",
        "x" * 1_000_000,
        "{" * 1_000_000,
        json.dumps({"Version": "2012-10-17", "Statement": [STATEMENT] * 6_000}, indent=2),
        json.dumps({"Version": "2012-10-17", "Statement": [dict(STATEMENT, Sid=f"S{i}") for i in range(6_000)]}),
        json.dumps({"Statement": [allow(Action="s3:ListBucket", Resource=[f"arn:aws:s3:::b{i}/*" for i in range(40_000)])]}),
        json.dumps({"Statement": [allow(Action="s3:" + "Get" * 300_000, Resource="*")]}),
        json.dumps({"Statement": [STATEMENT] * 6_000})[:-2],
    ],
    ids=["numbers", "garbage", "open-braces", "statements", "unique-sids", "arns", "long-action", "cut-short"],
)  # fmt: skip
def test_a_megabyte_of_text_gets_findings_not_an_exception(text: str) -> None:
    findings = check(text)

    assert findings
    assert IssueCode.VALIDATOR_ERROR not in codes(findings)


policy_words = st.sampled_from(
    ["Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
     "Principal", "NotPrincipal", "Condition", "AWS", "Service", "StringEquals", "StringLike",
     "ForAllValues:StringLike", "Null", "NullIfExists", "Bool", "IpAddress", "NumericLessThan",
     "aws:SourceIp", "aws:TagKeys", "s3:prefix", "iam:PassedToService", "aws:RequestTag/"]
)  # fmt: skip
policy_values = st.sampled_from(
    ["Allow", "Deny", "allow", "*", "s3:GetObject", "s3:Get*", "iam:PassRole", "s3:ListBucket",
     "arn:aws:s3:::b", "arn:aws:s3:::b/*", f"arn:aws:iam::{ACCOUNT}:role/R", "2012-10-17", "true",
     "10.0.0.1/8", "${aws:username}", "arn:aws:s3:us-east-1:1:b", "arn:", "arn:aws:*:::x", ""]
)  # fmt: skip
policy_shaped = st.recursive(
    policy_values | st.text(max_size=12) | st.integers() | st.booleans() | st.none(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(policy_words | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=40,
)
kinds = st.sampled_from(list(PolicyKind))
quick = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(st.text(max_size=300), kinds)
def test_validate_policy_never_raises_on_any_text(text: str, kind: PolicyKind) -> None:
    findings = validate_policy(text, policy_type=kind)

    assert IssueCode.VALIDATOR_ERROR not in codes(findings)


@quick
@given(json_values, kinds)
def test_validate_policy_never_raises_on_any_json_value(value: Any, kind: PolicyKind) -> None:
    findings = validate_policy(json.dumps(value), policy_type=kind)

    assert IssueCode.VALIDATOR_ERROR not in codes(findings)


@quick
@given(policy_shaped, kinds, st.booleans())
def test_validate_policy_never_raises_on_policy_shaped_values(
    value: Any, kind: PolicyKind, indent: bool
) -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": value}, indent=2 if indent else None)

    findings = validate_policy(text, policy_type=kind)

    assert IssueCode.VALIDATOR_ERROR not in codes(findings)
    for finding in findings:
        assert finding.span is None or 0 <= finding.span.offset <= len(text)
