"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy.

`validate_policy(text, policy_type=PolicyKind.IDENTITY)` reads the policy as typed (JSON syntax
errors come back with line and column, never as an exception) and returns `Finding`s sorted by
their place in the text. Each finding has Access Analyzer's finding type and issue code and,
where Access Analyzer's reference gives it, its wording; `learn_more` says in plain words what
the problem means for a learner.

A few checks are RoleCall's own (listed in `ROLECALL_CODES`): an action whose resources can
never match it (`RESOURCE_MISMATCH`, the check Parliament calls by that name), a ForAllValues
Allow without a presence check, repeated JSON keys, and the trust-policy rules IAM enforces
when a role is saved. `Finding.from_access_analyzer` tells them apart.

The checks read the raw JSON value, so they work on policies the grammar in `policy.py` would
refuse, and report every problem rather than the first.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from simulator.iam import catalog
from simulator.iam.jsonpos import (
    JsonPath,
    JsonSyntaxError,
    Span,
    parse_document,
    path_to_str,
)
from simulator.iam.policy import PolicyKind
from simulator.iam.vocabulary import (
    EFFECTS,
    POLICY_ELEMENTS,
    PRINCIPAL_KEYS,
    STATEMENT_ELEMENTS,
    VERSION_2008,
    VERSION_2012,
    json_type,
    policy_size,
)
from simulator.iam.wildcard import glob

__all__ = [
    "MAX_FINDINGS",
    "ROLECALL_CODES",
    "SIZE_LIMITS",
    "Finding",
    "FindingType",
    "IssueCode",
    "PolicyKind",
    "validate_policy",
]


class FindingType(StrEnum):
    """Access Analyzer's finding types, most serious first."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def label(self) -> str:
        """The IAM console's heading: Errors, Security, General warnings, Suggestions."""
        return _LABELS[self]


_RANKS = {
    FindingType.ERROR: 0,
    FindingType.SECURITY_WARNING: 1,
    FindingType.WARNING: 2,
    FindingType.SUGGESTION: 3,
}
_LABELS = {
    FindingType.ERROR: "Error",
    FindingType.SECURITY_WARNING: "Security warning",
    FindingType.WARNING: "Warning",
    FindingType.SUGGESTION: "Suggestion",
}


class IssueCode(StrEnum):
    """Access Analyzer's issue codes, plus RoleCall's own (see ROLECALL_CODES)."""

    # Access Analyzer: errors
    ARN_ACCOUNT_NOT_ALLOWED = "ARN_ACCOUNT_NOT_ALLOWED"
    ARN_REGION_NOT_ALLOWED = "ARN_REGION_NOT_ALLOWED"
    DATA_TYPE_MISMATCH = "DATA_TYPE_MISMATCH"
    DUPLICATE_KEYS_WITH_DIFFERENT_CASE = "DUPLICATE_KEYS_WITH_DIFFERENT_CASE"
    INVALID_ACTION = "INVALID_ACTION"
    INVALID_ARN_ACCOUNT = "INVALID_ARN_ACCOUNT"
    INVALID_ARN_PREFIX = "INVALID_ARN_PREFIX"
    INVALID_ARN_REGION = "INVALID_ARN_REGION"
    INVALID_ARN_RESOURCE = "INVALID_ARN_RESOURCE"
    INVALID_ARN_SERVICE_CASE = "INVALID_ARN_SERVICE_CASE"
    INVALID_CONDITION_KEY_FORMAT = "INVALID_CONDITION_KEY_FORMAT"
    INVALID_CONDITION_OPERATOR = "INVALID_CONDITION_OPERATOR"
    INVALID_EFFECT = "INVALID_EFFECT"
    INVALID_GLOBAL_CONDITION_KEY = "INVALID_GLOBAL_CONDITION_KEY"
    INVALID_PARTITION = "INVALID_PARTITION"
    INVALID_POLICY_ELEMENT = "INVALID_POLICY_ELEMENT"
    INVALID_PRINCIPAL_FORMAT = "INVALID_PRINCIPAL_FORMAT"
    INVALID_PRINCIPAL_KEY = "INVALID_PRINCIPAL_KEY"
    INVALID_SERVICE = "INVALID_SERVICE"
    INVALID_SERVICE_CONDITION_KEY = "INVALID_SERVICE_CONDITION_KEY"
    INVALID_SERVICE_IN_ACTION = "INVALID_SERVICE_IN_ACTION"
    INVALID_SERVICE_PRINCIPAL_FORMAT = "INVALID_SERVICE_PRINCIPAL_FORMAT"
    INVALID_VARIABLE_FOR_OPERATOR = "INVALID_VARIABLE_FOR_OPERATOR"
    INVALID_VERSION = "INVALID_VERSION"
    JSON_SYNTAX_ERROR = "JSON_SYNTAX_ERROR"
    MISSING_ACTION = "MISSING_ACTION"
    MISSING_ARN_FIELD = "MISSING_ARN_FIELD"
    MISSING_ARN_REGION = "MISSING_ARN_REGION"
    MISSING_EFFECT = "MISSING_EFFECT"
    MISSING_PRINCIPAL = "MISSING_PRINCIPAL"
    MISSING_QUALIFIER = "MISSING_QUALIFIER"
    MISSING_RESOURCE = "MISSING_RESOURCE"
    MISSING_STATEMENT = "MISSING_STATEMENT"
    MISSING_TAG_KEY_IN_CONDITION = "MISSING_TAG_KEY_IN_CONDITION"
    NULL_WITH_IF_EXISTS = "NULL_WITH_IF_EXISTS"
    POLICY_SIZE_EXCEEDS_SCP_QUOTA = "POLICY_SIZE_EXCEEDS_SCP_QUOTA"
    SCP_SYNTAX_ERROR_PRINCIPAL = "SCP_SYNTAX_ERROR_PRINCIPAL"
    UNIQUE_SIDS_REQUIRED = "UNIQUE_SIDS_REQUIRED"
    UNSUPPORTED_ELEMENT_COMBINATION = "UNSUPPORTED_ELEMENT_COMBINATION"
    UNSUPPORTED_PRINCIPAL = "UNSUPPORTED_PRINCIPAL"
    UNSUPPORTED_SID = "UNSUPPORTED_SID"
    UNSUPPORTED_WILDCARD_IN_PRINCIPAL = "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
    VARIABLE_UNSUPPORTED_IN_VERSION = "VARIABLE_UNSUPPORTED_IN_VERSION"
    # Access Analyzer: security warnings
    ALLOW_WITH_NOT_PRINCIPAL = "ALLOW_WITH_NOT_PRINCIPAL"
    FORALLVALUES_WITH_SINGLE_VALUED_KEY = "FORALLVALUES_WITH_SINGLE_VALUED_KEY"
    PASS_ROLE_WITH_NOT_RESOURCE = "PASS_ROLE_WITH_NOT_RESOURCE"
    PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE = "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE"
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE = (
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE"
    )
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"
    PASS_ROLE_WITH_STAR_IN_RESOURCE = "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION = (
        "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION"
    )
    # Access Analyzer: general warnings
    DEPRECATED_GLOBAL_CONDITION_KEY = "DEPRECATED_GLOBAL_CONDITION_KEY"
    MISSING_VERSION = "MISSING_VERSION"
    POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA = "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    TYPE_MISMATCH_BOOLEAN = "TYPE_MISMATCH_BOOLEAN"
    TYPE_MISMATCH_DATE = "TYPE_MISMATCH_DATE"
    TYPE_MISMATCH_IP_RANGE = "TYPE_MISMATCH_IP_RANGE"
    TYPE_MISMATCH_NUMBER = "TYPE_MISMATCH_NUMBER"
    UNIQUE_SIDS_RECOMMENDED = "UNIQUE_SIDS_RECOMMENDED"
    WILDCARD_WITHOUT_LIKE_OPERATOR = "WILDCARD_WITHOUT_LIKE_OPERATOR"
    # Access Analyzer: suggestions
    EMPTY_ARRAY_ACTION = "EMPTY_ARRAY_ACTION"
    EMPTY_ARRAY_CONDITION = "EMPTY_ARRAY_CONDITION"
    EMPTY_ARRAY_PRINCIPAL = "EMPTY_ARRAY_PRINCIPAL"
    EMPTY_ARRAY_RESOURCE = "EMPTY_ARRAY_RESOURCE"
    EMPTY_OBJECT_CONDITION = "EMPTY_OBJECT_CONDITION"
    EMPTY_OBJECT_PRINCIPAL = "EMPTY_OBJECT_PRINCIPAL"
    EMPTY_SID_VALUE = "EMPTY_SID_VALUE"
    IMPROVE_IP_RANGE = "IMPROVE_IP_RANGE"
    NULL_WITH_QUALIFIER = "NULL_WITH_QUALIFIER"
    WILDCARD_IN_SERVICE_NAME = "WILDCARD_IN_SERVICE_NAME"
    # RoleCall's own
    DUPLICATE_KEY = "DUPLICATE_KEY"
    FORALLVALUES_WITHOUT_NULL_CHECK = "FORALLVALUES_WITHOUT_NULL_CHECK"
    POLICY_SIZE_EXCEEDS_QUOTA = "POLICY_SIZE_EXCEEDS_QUOTA"
    RESOURCE_IN_TRUST_POLICY = "RESOURCE_IN_TRUST_POLICY"
    RESOURCE_MISMATCH = "RESOURCE_MISMATCH"
    TOO_MANY_FINDINGS = "TOO_MANY_FINDINGS"
    TRUST_POLICY_NON_STS_ACTION = "TRUST_POLICY_NON_STS_ACTION"
    VALIDATOR_ERROR = "VALIDATOR_ERROR"


ROLECALL_CODES: frozenset[IssueCode] = frozenset(
    {
        IssueCode.DUPLICATE_KEY,
        IssueCode.FORALLVALUES_WITHOUT_NULL_CHECK,
        IssueCode.POLICY_SIZE_EXCEEDS_QUOTA,
        IssueCode.RESOURCE_IN_TRUST_POLICY,
        IssueCode.RESOURCE_MISMATCH,
        IssueCode.TOO_MANY_FINDINGS,
        IssueCode.TRUST_POLICY_NON_STS_ACTION,
        IssueCode.VALIDATOR_ERROR,
    }
)
"""Issue codes that are RoleCall's checks, not Access Analyzer's."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or piece of advice about a policy, anchored at a place in its text."""

    finding_type: FindingType
    issue_code: IssueCode
    message: str
    path: JsonPath
    span: Span | None
    learn_more: str

    @property
    def location(self) -> str:
        """Where, as Access Analyzer writes it: `Statement[1].Action[0]` ("" for the whole text)."""
        return path_to_str(self.path)

    @property
    def from_access_analyzer(self) -> bool:
        """False for RoleCall's own checks (ROLECALL_CODES)."""
        return self.issue_code not in ROLECALL_CODES

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, Access Analyzer's field names where it has one."""
        span = self.span
        return {
            "findingType": self.finding_type.value,
            "issueCode": self.issue_code.value,
            "findingDetails": self.message,
            "location": self.location,
            "path": list(self.path),
            "line": span.line if span else None,
            "column": span.column if span else None,
            "endLine": span.end_line if span else None,
            "endColumn": span.end_column if span else None,
            "learnMore": self.learn_more,
        }


SIZE_LIMITS: Mapping[PolicyKind, int] = {
    PolicyKind.IDENTITY: 6_144,  # a managed policy; inline: user 2,048, group 5,120, role 10,240
    PolicyKind.BOUNDARY: 6_144,  # a boundary is a managed policy
    PolicyKind.SESSION: 2_048,
    PolicyKind.TRUST: 2_048,
    PolicyKind.SCP: 5_120,
    PolicyKind.RCP: 5_120,
    PolicyKind.RESOURCE: 20_480,  # an S3 bucket policy
    PolicyKind.ENDPOINT: 20_480,
}
"""Characters allowed, whitespace not counted, by default for each kind. IAM quotas: managed
6,144; inline total per user 2,048, group 5,120, role 10,240; role trust policy 2,048."""

MAX_FINDINGS = 200
"""After this many findings validation stops and says so."""

MAX_STATEMENTS = 1_000
"""Statements beyond this many are not checked one by one (no real policy comes close)."""

MAX_ARN_CHECKS = 1_000
"""How many ARN comparisons against the catalogue one validation may make."""

MAX_RANKED_EXAMPLES = 10
"""How many malformed resource ARNs one validation compares with every template of their
service, to show the closest as examples; later ones show the service's first templates.
difflib's comparison is slow: up to 40 ms for ec2's 118 templates."""

_EXAMPLE_CHARS = 128
"""How much of a malformed resource part is compared with the templates (difflib takes time
in proportion to the product of the lengths; no template's resource part is much longer)."""

_MAX_ARN = 2_048


def validate_policy(
    text: str, *, policy_type: PolicyKind, size_limit: int | None = None
) -> list[Finding]:
    """Check a policy document as written; return findings sorted by position, then severity.

    `policy_type` decides which elements the policy needs and may use (a trust policy needs a
    Principal and may not have a Resource; an identity policy the reverse). `size_limit`
    overrides the default size quota for the kind (`SIZE_LIMITS`), e.g. 10_240 for the inline
    policies of a role. Never raises: any input gives a list, at worst one JSON_SYNTAX_ERROR.
    """
    checker = _Checker(text if isinstance(text, str) else str(text), policy_type, size_limit)
    try:
        checker.run()
    except _Enough:
        checker.findings.append(
            Finding(
                FindingType.SUGGESTION,
                IssueCode.TOO_MANY_FINDINGS,
                f"Only the first {MAX_FINDINGS} findings are shown.",
                (),
                None,
                "Fix these first; the rest will show once there are fewer.",
            )
        )
    except Exception:  # a bug in a check must not cost the learner their work
        checker.findings.append(
            Finding(
                FindingType.WARNING,
                IssueCode.VALIDATOR_ERROR,
                "RoleCall could not finish checking this policy; the findings shown may be "
                "incomplete.",
                (),
                None,
                "This is a fault in RoleCall, not in your policy. You can still save it.",
            )
        )
    return sorted(checker.findings, key=_sort_key)


def _sort_key(finding: Finding) -> tuple[int, int, int, str, str]:
    span = finding.span
    offset = span.offset if span is not None else -1
    return (
        offset,
        span.end_offset if span is not None else -1,
        finding.finding_type.rank,
        finding.issue_code.value,
        finding.message,
    )


# --- What a policy may contain ----------------------------------------------------------------

_PARTITIONS = frozenset(
    {
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    }
)

_WITHOUT_PRINCIPAL = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP}
)
_NEEDS_PRINCIPAL = frozenset(
    {PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP, PolicyKind.ENDPOINT}
)
# IAM itself refuses repeated Sids in the documents it stores ("Statement IDs (SID) in a single
# policy must be unique"); Organizations likewise for SCPs and RCPs.
_SIDS_REQUIRED_UNIQUE = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST, PolicyKind.SCP, PolicyKind.RCP}
)
# IAM accepts only letters and digits in the Sid of a document it stores.
_ALPHANUMERIC_SID = frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST})
_PASS_ROLE_KINDS = frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION})

_KIND_NAMES = {
    PolicyKind.IDENTITY: "an identity-based policy",
    PolicyKind.RESOURCE: "a resource-based policy",
    PolicyKind.TRUST: "a role trust policy",
    PolicyKind.BOUNDARY: "a permissions boundary",
    PolicyKind.SESSION: "a session policy",
    PolicyKind.SCP: "a service control policy",
    PolicyKind.RCP: "a resource control policy",
    PolicyKind.ENDPOINT: "a VPC endpoint policy",
}

# Condition operators by family. Names are case-sensitive: IAM refuses "stringEquals".
_FAMILIES: dict[str, tuple[str, ...]] = {
    "String": (
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ),
    "Numeric": (
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ),
    "Date": (
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ),
    "Bool": ("Bool",),
    "Binary": ("BinaryEquals",),
    "IpAddress": ("IpAddress", "NotIpAddress"),
    "Arn": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
    "Null": ("Null",),
}
_OPERATOR_FAMILY = {op: family for family, ops in _FAMILIES.items() for op in ops}
_ALL_OPERATORS = tuple(
    list(_OPERATOR_FAMILY) + [op + "IfExists" for op in _OPERATOR_FAMILY if op != "Null"]
)
_EQUALS_WITHOUT_WILDCARDS = frozenset(
    {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"}
)
# Which operator families suit a key of each catalogue type (Null suits every key).
_FAMILIES_FOR_TYPE: dict[str, frozenset[str]] = {
    "Bool": frozenset({"Bool"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date", "Numeric"}),
    "IPAddress": frozenset({"IpAddress"}),
}
_OPERATOR_FOR_TYPE = {
    "Bool": "Bool",
    "Numeric": "Numeric",
    "Date": "Date",
    "IPAddress": "IpAddress",
}
_QUALIFIERS = ("ForAllValues", "ForAnyValue")
_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?|-?\d+(\.\d+)?"
)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")
_UNIQUE_ID = re.compile(r"A[A-Z]{3}[A-Z0-9]{16,}")
_SID = re.compile(r"[A-Za-z0-9]*")
_TAG_KEY_MISSING = re.compile(r"[^:]+:[A-Za-z]*Tag/?", re.IGNORECASE)

# --- Plain-language help, by issue code --------------------------------------------------------

_LEARN_MORE: dict[IssueCode, str] = {
    IssueCode.JSON_SYNTAX_ERROR: (
        "A policy is a JSON document. Until the JSON is valid, AWS cannot read any of it."
    ),
    IssueCode.DATA_TYPE_MISMATCH: (
        "Each policy element takes a particular kind of JSON value: Effect and Version are "
        "strings, Action and Resource a string or a list of strings, Condition an object."
    ),
    IssueCode.INVALID_POLICY_ELEMENT: (
        "A policy has only Version, Id and Statement at the top; a statement has only Sid, "
        "Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and "
        "Condition. Element names are case-sensitive."
    ),
    IssueCode.MISSING_VERSION: (
        'Start every policy with "Version": "2012-10-17". Without it, policy variables such '
        "as ${aws:username} are not replaced and are read as plain text."
    ),
    IssueCode.INVALID_VERSION: (
        "The Version element is the policy language version, not a date you choose: use "
        '"2012-10-17".'
    ),
    IssueCode.MISSING_STATEMENT: (
        "The Statement element holds the policy's rules: one statement object or a list of them."
    ),
    IssueCode.MISSING_EFFECT: (
        "Every statement says whether it allows or denies what it describes: "
        '"Effect": "Allow" or "Effect": "Deny".'
    ),
    IssueCode.INVALID_EFFECT: (
        'Effect takes exactly "Allow" or "Deny", with a capital letter: values are case-sensitive.'
    ),
    IssueCode.MISSING_ACTION: (
        "A statement must say which actions it covers, in Action (these actions) or NotAction "
        "(every action except these)."
    ),
    IssueCode.MISSING_RESOURCE: (
        "In this kind of policy a statement must say which resources it covers, in Resource "
        'or NotResource. Use "*" for every resource.'
    ),
    IssueCode.UNSUPPORTED_ELEMENT_COMBINATION: (
        "Action and NotAction, Resource and NotResource, Principal and NotPrincipal are "
        "alternatives: a statement uses one of each pair, never both."
    ),
    IssueCode.INVALID_ACTION: (
        "An action is a service prefix and an action name, such as s3:GetObject. The names "
        "are those of the Service Authorization Reference, which are not always the API "
        "operation names (ListObjectsV2 is authorized by s3:ListBucket)."
    ),
    IssueCode.INVALID_SERVICE_IN_ACTION: (
        "The part before the colon is the service prefix: s3, iam, ec2, sts, ..."
    ),
    IssueCode.INVALID_SERVICE: (
        "The service part of an ARN or a condition key is a service prefix such as s3 or iam."
    ),
    IssueCode.WILDCARD_IN_SERVICE_NAME: (
        "A wildcard in the service name matches services you may not mean, today's and "
        "future ones. Name each service."
    ),
    IssueCode.EMPTY_ARRAY_ACTION: "An empty list of actions matches nothing.",
    IssueCode.EMPTY_ARRAY_RESOURCE: "An empty list of resources matches nothing.",
    IssueCode.EMPTY_ARRAY_PRINCIPAL: "An empty list of principals matches nobody.",
    IssueCode.EMPTY_OBJECT_PRINCIPAL: "An empty Principal names nobody.",
    IssueCode.INVALID_ARN_PREFIX: (
        'Resource takes ARNs, such as arn:aws:s3:::my-bucket/*, or "*" for every resource. '
        "A bare name is not enough: the ARN says which service and which kind of resource."
    ),
    IssueCode.MISSING_ARN_FIELD: (
        "An ARN has six parts separated by colons: arn:partition:service:region:account:"
        "resource. Some parts can be empty (S3 ARNs have no region or account: "
        "arn:aws:s3:::bucket), but the colons must be there."
    ),
    IssueCode.INVALID_ARN_RESOURCE: (
        "The last part of an ARN names the resource in the service's own format, such as "
        "bucket/key for S3 objects or role/NAME for IAM roles."
    ),
    IssueCode.INVALID_ARN_SERVICE_CASE: "ARNs are case-sensitive; service names are lower case.",
    IssueCode.INVALID_PARTITION: (
        'The second part of an ARN is the partition: "aws" for the standard AWS Regions.'
    ),
    IssueCode.ARN_REGION_NOT_ALLOWED: (
        "Some services' ARNs have no Region, because the resource is global: S3 bucket and "
        "object ARNs, IAM ARNs."
    ),
    IssueCode.ARN_ACCOUNT_NOT_ALLOWED: (
        "S3 bucket names are global, so S3 bucket and object ARNs have no account ID: "
        "arn:aws:s3:::bucket."
    ),
    IssueCode.MISSING_ARN_REGION: "This service's resources live in a Region; name it, or use *.",
    IssueCode.INVALID_ARN_ACCOUNT: "An account ID is 12 digits, such as 111122223333.",
    IssueCode.INVALID_ARN_REGION: "A Region code looks like us-east-1 or eu-west-2.",
    IssueCode.RESOURCE_MISMATCH: (
        "Each action works on particular kinds of resource. S3 bucket actions such as "
        "s3:ListBucket act on arn:aws:s3:::bucket; object actions such as s3:GetObject and "
        "s3:PutObject act on arn:aws:s3:::bucket/key (bucket/* for every object). A statement "
        "whose resources are never the right kind does nothing for that action."
    ),
    IssueCode.UNSUPPORTED_PRINCIPAL: (
        "Identity-based policies are attached to a user, group or role, and that identity is "
        "the principal; only resource-based policies and role trust policies name principals."
    ),
    IssueCode.SCP_SYNTAX_ERROR_PRINCIPAL: (
        "An SCP applies to every principal in the accounts it is attached to. To single some "
        "out, use the aws:PrincipalArn condition key."
    ),
    IssueCode.MISSING_PRINCIPAL: (
        "A resource-based policy or trust policy must say who it is about, for example "
        '"Principal": {"Service": "ec2.amazonaws.com"} or {"AWS": "arn:aws:iam::111122223333:root"}.'
    ),
    IssueCode.INVALID_PRINCIPAL_KEY: "Principal keys are AWS, Service, Federated and CanonicalUser.",
    IssueCode.INVALID_PRINCIPAL_FORMAT: (
        'A principal is "*" or an object such as {"AWS": "arn:aws:iam::111122223333:role/R"}, '
        '{"Service": "ec2.amazonaws.com"} or {"Federated": "cognito-identity.amazonaws.com"}.'
    ),
    IssueCode.INVALID_SERVICE_PRINCIPAL_FORMAT: (
        "A service principal is the service's name followed by .amazonaws.com, such as "
        "ec2.amazonaws.com for EC2 instances."
    ),
    IssueCode.UNSUPPORTED_WILDCARD_IN_PRINCIPAL: (
        'Principal ARNs cannot contain wildcards (only "*" on its own, meaning everyone). To '
        "match many roles, name the account and narrow it with the aws:PrincipalArn condition key."
    ),
    IssueCode.ALLOW_WITH_NOT_PRINCIPAL: (
        "Allow with NotPrincipal allows everyone not listed, anonymous callers included."
    ),
    IssueCode.RESOURCE_IN_TRUST_POLICY: (
        "A trust policy says who may assume the role; the role itself is the resource. "
        "Permissions on other resources belong in the role's permissions policies."
    ),
    IssueCode.TRUST_POLICY_NON_STS_ACTION: (
        "A trust policy answers who may assume the role, so its actions are sts:AssumeRole "
        "(or AssumeRoleWithWebIdentity, AssumeRoleWithSAML, TagSession, SetSourceIdentity, "
        "SetContext). What the role may do goes in its permissions policies."
    ),
    IssueCode.EMPTY_SID_VALUE: "A Sid is optional; if you give one, give it a value.",
    IssueCode.UNSUPPORTED_SID: "In IAM policies a Sid may use only letters and digits.",
    IssueCode.UNIQUE_SIDS_REQUIRED: (
        "A Sid names a statement; IAM refuses a policy in which two statements share one "
        '("Statement IDs (SID) in a single policy must be unique").'
    ),
    IssueCode.UNIQUE_SIDS_RECOMMENDED: "A Sid names a statement; give each statement its own.",
    IssueCode.INVALID_CONDITION_OPERATOR: (
        "Condition operators are names such as StringEquals, StringLike, ArnLike, Bool, "
        "NumericLessThan, IpAddress and Null, with an optional IfExists at the end. They are "
        "case-sensitive."
    ),
    IssueCode.NULL_WITH_IF_EXISTS: (
        "Null already tests whether the key exists, so it takes no IfExists."
    ),
    IssueCode.NULL_WITH_QUALIFIER: (
        "Null with ForAllValues is always true, with ForAnyValue always false."
    ),
    IssueCode.EMPTY_OBJECT_CONDITION: "An empty condition block tests nothing.",
    IssueCode.EMPTY_ARRAY_CONDITION: "A condition key with no values never matches.",
    IssueCode.INVALID_CONDITION_KEY_FORMAT: (
        "A condition key is a prefix and a name: aws:SourceIp, s3:prefix, iam:PassedToService."
    ),
    IssueCode.INVALID_GLOBAL_CONDITION_KEY: (
        "Keys starting aws: are AWS's global condition keys; a key AWS does not know is "
        "missing from every request, so the condition never matches (or, with a Not "
        "operator or IfExists, always does). Key names are not case-sensitive."
    ),
    IssueCode.INVALID_SERVICE_CONDITION_KEY: (
        "A service's condition keys are listed in its Service Authorization Reference page; "
        "a key it does not define is missing from every request, so the condition never "
        "matches (or, with a Not operator or IfExists, always does)."
    ),
    IssueCode.MISSING_TAG_KEY_IN_CONDITION: (
        "Tag condition keys name the tag: aws:ResourceTag/team, aws:RequestTag/team."
    ),
    IssueCode.DEPRECATED_GLOBAL_CONDITION_KEY: (
        "aws:ARN is ambiguous; aws:PrincipalArn is the caller, aws:SourceArn the resource "
        "making a service-to-service request."
    ),
    IssueCode.DUPLICATE_KEYS_WITH_DIFFERENT_CASE: (
        "Condition key names are not case-sensitive, so these are the same key twice."
    ),
    IssueCode.WILDCARD_WITHOUT_LIKE_OPERATOR: (
        "StringEquals compares exactly: a * in its value matches only a real *. To use * and "
        "? as wildcards, use StringLike (or StringNotLike)."
    ),
    IssueCode.FORALLVALUES_WITH_SINGLE_VALUED_KEY: (
        "ForAllValues is for keys that can hold several values (aws:TagKeys). It is also true "
        "when the request has no value at all, so on a single-valued key it lets through "
        "requests that lack the key."
    ),
    IssueCode.FORALLVALUES_WITHOUT_NULL_CHECK: (
        "ForAllValues is true when the request has no value for the key, so an Allow with it "
        'also allows requests that lack the key. Add "Null": {"KEY": "false"} to require it.'
    ),
    IssueCode.MISSING_QUALIFIER: (
        "A key that can hold several values (such as aws:TagKeys) needs ForAllValues: (every "
        "value must match) or ForAnyValue: (at least one must)."
    ),
    IssueCode.TYPE_MISMATCH: (
        "Each condition key has a type; use the operators of that type, such as Bool for "
        "aws:SecureTransport and NumericLessThan for aws:MultiFactorAuthAge."
    ),
    IssueCode.TYPE_MISMATCH_BOOLEAN: 'Bool and Null take "true" or "false".',
    IssueCode.TYPE_MISMATCH_NUMBER: "Numeric operators take numbers.",
    IssueCode.TYPE_MISMATCH_DATE: (
        "Date operators take dates such as 2026-01-31 or 2026-01-31T12:00:00Z."
    ),
    IssueCode.TYPE_MISMATCH_IP_RANGE: (
        "IpAddress takes an address or a CIDR range such as 203.0.113.0/24."
    ),
    IssueCode.IMPROVE_IP_RANGE: "A CIDR range ignores the bits after its mask; write the range's first address.",
    IssueCode.INVALID_VARIABLE_FOR_OPERATOR: (
        "Policy variables work in Resource and with String and Arn operators only."
    ),
    IssueCode.VARIABLE_UNSUPPORTED_IN_VERSION: (
        'Policy variables such as ${aws:username} work only with "Version": "2012-10-17"; '
        "otherwise they are plain text."
    ),
    IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE: (
        "iam:PassRole lets the caller hand a role to a service (for example to an EC2 "
        "instance). On every role, the caller can give an instance a more powerful role than "
        "their own. Name the roles, or limit the service with iam:PassedToService."
    ),
    IssueCode.POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA: (
        "IAM limits a managed policy to 6,144 characters (not counting whitespace) and a "
        "role's inline policies together to 10,240. Split it into several policies."
    ),
    IssueCode.POLICY_SIZE_EXCEEDS_SCP_QUOTA: "An SCP may have at most 5,120 characters.",
    IssueCode.POLICY_SIZE_EXCEEDS_QUOTA: "AWS refuses a policy larger than its quota.",
    IssueCode.DUPLICATE_KEY: (
        "When a key appears twice in one JSON object, only the last one counts; the earlier "
        "value is silently lost."
    ),
}
for _code in (
    IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
    IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION,
    IssueCode.PASS_ROLE_WITH_NOT_RESOURCE,
    IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
    IssueCode.PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE,
):
    _LEARN_MORE[_code] = _LEARN_MORE[IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE]

_PASS_ROLE_MESSAGES = {
    IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE: (
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly "
        "permissive because it allows iam:PassRole permissions on multiple resources. We "
        "recommend that you specify resource ARNs or add the iam:PassedToService condition "
        "key to your statement."
    ),
    IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE: (
        "Using wildcards (*) in the action and the resource can be overly permissive because "
        "it allows iam:PassRole permissions on all resources. We recommend that you specify "
        "resource ARNs or add the iam:PassedToService condition key to your statement."
    ),
    IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION: (
        "Using a resource with wildcards (*) and NotAction can be overly permissive because "
        "it allows iam:PassRole permissions on all resources. We recommend that you specify "
        "resource ARNs or add the iam:PassedToService condition key to your statement."
    ),
    IssueCode.PASS_ROLE_WITH_NOT_RESOURCE: (
        "Using the iam:PassRole action with NotResource can be overly permissive because it "
        "can allow iam:PassRole permissions on multiple resources. We recommend that you "
        "specify resource ARNs instead."
    ),
    IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE: (
        "Using an action with a wildcard (*) and NotResource can be overly permissive because "
        "it can allow iam:PassRole permissions on multiple resources. We recommend that you "
        "specify resource ARNs instead."
    ),
    IssueCode.PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE: (
        "Using NotAction with NotResource can be overly permissive because it can allow "
        "iam:PassRole permissions on multiple resources. We recommend that you specify "
        "resource ARNs instead."
    ),
}


# --- The checks -------------------------------------------------------------------------------


class _Enough(Exception):
    """Raised when MAX_FINDINGS findings have been made."""


def _quote(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wildcard_match(pattern: str, value: str) -> bool:
    """Whether an Action pattern (`iam:Pass*`, any case) covers `value`."""
    if len(pattern) > 256:
        return False
    return glob(pattern, ignore_case=True).matches(value)


def _case_hint(name: str, known: Iterable[str]) -> str | None:
    """The known name that `name` differs from only in case, or the closest one."""
    known = list(known)
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    if len(name) > 64:
        return None  # difflib is quadratic, and nothing this long is close to a short name
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return close[0] if close else None


@dataclass(frozen=True, slots=True)
class _ActionRef:
    text: str
    path: JsonPath
    info: catalog.ActionInfo | None


class _Checker:
    def __init__(self, text: str, kind: PolicyKind, size_limit: int | None) -> None:
        self.text = text
        self.kind = kind
        self.size_limit = size_limit
        self.findings: list[Finding] = []
        self.spans: Mapping[JsonPath, Span] = {}
        self.version: Any = None
        self.arn_budget = MAX_ARN_CHECKS
        self.example_budget = MAX_RANKED_EXAMPLES

    # -- recording --

    def add(
        self,
        finding_type: FindingType,
        code: IssueCode,
        message: str,
        path: JsonPath,
        *,
        learn_more: str | None = None,
        at_key: bool = False,
        span: Span | None = None,
    ) -> None:
        if len(self.findings) >= MAX_FINDINGS:
            raise _Enough
        if span is None:
            span = self.span(path, at_key=at_key)
        self.findings.append(
            Finding(
                finding_type,
                code,
                message,
                path,
                span,
                learn_more if learn_more is not None else _LEARN_MORE.get(code, ""),
            )
        )

    def span(self, path: JsonPath, *, at_key: bool = False) -> Span | None:
        while True:
            span = self.spans.get(path) if path in self.spans else None
            if span is not None:
                if at_key and span.key is not None:
                    return span.key
                return span
            if not path:
                return None
            path = path[:-1]

    # -- the document --

    def run(self) -> None:
        try:
            parsed = parse_document(self.text)
        except JsonSyntaxError as error:
            offset = min(error.offset, len(self.text))
            self.add(
                FindingType.ERROR,
                IssueCode.JSON_SYNTAX_ERROR,
                f"Fix the JSON syntax error at line {error.line}, column {error.column}: "
                f"{error.message}.",
                (),
                span=Span(
                    error.line, error.column, error.line, error.column + 1, offset, offset + 1
                ),
            )
            self.check_size()
            return
        self.spans = parsed.spans
        for duplicate in parsed.duplicate_keys:
            self.add(
                FindingType.WARNING,
                IssueCode.DUPLICATE_KEY,
                f'The key "{_quote(duplicate.key)}" appears more than once in this object; only '
                f"the last one counts, so the one on line {duplicate.first.line} is ignored.",
                duplicate.path,
                span=duplicate.repeated,
            )
        self.check_size()
        self.check_document(parsed.value)

    def check_size(self) -> None:
        limit = self.size_limit if self.size_limit is not None else SIZE_LIMITS.get(self.kind)
        if limit is None:
            return
        size = policy_size(self.text)
        if size <= limit:
            return
        detail = f" (It has {size:,} characters, not counting whitespace; the limit is {limit:,}.)"
        if self.kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION):
            code = IssueCode.POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA
            message = (
                "The characters in the identity policy, excluding whitespace, exceed the "
                "character maximum for inline and managed policies. We recommend that you use "
                "multiple granular policies." + detail
            )
            finding_type = FindingType.WARNING
        elif self.kind is PolicyKind.SCP:
            code = IssueCode.POLICY_SIZE_EXCEEDS_SCP_QUOTA
            message = (
                "The characters in the service control policy (SCP) exceed the character "
                "maximum for SCPs. We recommend that you use multiple granular policies." + detail
            )
            finding_type = FindingType.ERROR
        else:
            code = IssueCode.POLICY_SIZE_EXCEEDS_QUOTA
            message = (
                f"This policy is larger than AWS allows for {_KIND_NAMES[self.kind]}." + detail
            )
            finding_type = FindingType.ERROR
        self.add(finding_type, code, message, (), span=self.span(()))

    def check_document(self, document: Any) -> None:
        if not isinstance(document, dict):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"A policy must be a JSON object ({{ ... }}), not {json_type(document)}.",
                (),
            )
            return
        for key in document:
            if key not in POLICY_ELEMENTS:
                self.unknown_element(key, (key,), POLICY_ELEMENTS, "policy")
        self.check_version(document)
        if "Id" in document and not isinstance(document["Id"], str):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"Id must be a string, not {json_type(document['Id'])}.",
                ("Id",),
            )
        if "Statement" not in document:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_STATEMENT,
                "Add a statement to the policy.",
                (),
            )
            return
        statements = document["Statement"]
        if isinstance(statements, dict):
            entries: list[tuple[Any, JsonPath]] = [(statements, ("Statement",))]
        elif isinstance(statements, list):
            if not statements:
                self.add(
                    FindingType.ERROR,
                    IssueCode.MISSING_STATEMENT,
                    "Add a statement to the policy: the Statement list is empty.",
                    ("Statement",),
                )
                return
            entries = [(s, ("Statement", i)) for i, s in enumerate(statements)]
        else:
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"Statement must be an object or a list of objects, not {json_type(statements)}.",
                ("Statement",),
            )
            return
        sids: dict[str, JsonPath] = {}
        for statement, path in entries[:MAX_STATEMENTS]:
            self.check_statement(statement, path, sids)

    def unknown_element(self, key: str, path: JsonPath, known: tuple[str, ...], where: str) -> None:
        hint = _case_hint(key, known)
        message = f'The policy element "{_quote(key)}" is not valid in a {where}.'
        if hint is not None:
            message += f" Did you mean {hint}?"
            if hint.lower() == key.lower():
                message += " Element names are case-sensitive."
        self.add(FindingType.ERROR, IssueCode.INVALID_POLICY_ELEMENT, message, path, at_key=True)

    def check_version(self, document: dict[str, Any]) -> None:
        if "Version" not in document:
            self.add(
                FindingType.WARNING,
                IssueCode.MISSING_VERSION,
                "We recommend that you specify the Version element to help you with debugging "
                "permission issues.",
                (),
            )
            return
        version = document["Version"]
        self.version = version
        if version in (VERSION_2012, VERSION_2008):
            return
        self.add(
            FindingType.ERROR,
            IssueCode.INVALID_VERSION,
            f"The version {_quote(version) if isinstance(version, str) else json_type(version)} "
            f"is not valid. Use one of the following versions: {VERSION_2012}, {VERSION_2008}.",
            ("Version",),
        )

    # -- statements --

    def check_statement(self, statement: Any, path: JsonPath, sids: dict[str, JsonPath]) -> None:
        if not isinstance(statement, dict):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"Each statement must be an object, not {json_type(statement)}.",
                path,
            )
            return
        for key in statement:
            if key not in STATEMENT_ELEMENTS:
                self.unknown_element(key, (*path, key), STATEMENT_ELEMENTS, "statement")
        self.check_sid(statement, path, sids)
        effect = self.check_effect(statement, path)
        actions = self.check_actions(statement, path)
        resources = self.check_resources(statement, path)
        self.check_principal(statement, path, effect)
        condition_keys = self.check_condition(statement, path, effect)
        if actions is not None and resources is not None:
            self.check_resource_mismatch(actions, resources)
        self.check_pass_role(statement, path, effect, condition_keys)
        self.check_variables(statement, path)

    def check_sid(
        self, statement: dict[str, Any], path: JsonPath, sids: dict[str, JsonPath]
    ) -> None:
        if "Sid" not in statement:
            return
        sid = statement["Sid"]
        where = (*path, "Sid")
        if not isinstance(sid, str):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"Sid must be a string, not {json_type(sid)}.",
                where,
            )
            return
        if sid == "":
            self.add(
                FindingType.SUGGESTION,
                IssueCode.EMPTY_SID_VALUE,
                "Add a value to the empty string in the Sid element.",
                where,
            )
            return
        if self.kind in _ALPHANUMERIC_SID and not _SID.fullmatch(sid):
            self.add(
                FindingType.ERROR,
                IssueCode.UNSUPPORTED_SID,
                "Update the characters in the Sid element to use one of the following character "
                "types: [a-z, A-Z, 0-9]",
                where,
            )
        if sid in sids:
            if self.kind in _SIDS_REQUIRED_UNIQUE:
                self.add(
                    FindingType.ERROR,
                    IssueCode.UNIQUE_SIDS_REQUIRED,
                    f"Duplicate statement IDs are not supported for this policy type. Update the "
                    f'Sid value "{_quote(sid)}" (also used at {path_to_str(sids[sid])}).',
                    where,
                )
            else:
                self.add(
                    FindingType.WARNING,
                    IssueCode.UNIQUE_SIDS_RECOMMENDED,
                    "We recommend that you use statement IDs that are unique to your policy. "
                    f'Update the Sid value "{_quote(sid)}" (also used at '
                    f"{path_to_str(sids[sid])}).",
                    where,
                )
        else:
            sids[sid] = path

    def check_effect(self, statement: dict[str, Any], path: JsonPath) -> str | None:
        if "Effect" not in statement:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_EFFECT,
                "Add an Effect element to the policy statement with a value of Allow or Deny.",
                path,
            )
            return None
        effect = statement["Effect"]
        if effect in EFFECTS:
            return str(effect)
        learn_more = None
        if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
            proper = effect.capitalize()
            learn_more = (
                f'Write "{proper}", not "{effect}": Effect values are case-sensitive, and AWS '
                "refuses any other spelling."
            )
        shown = (
            f'The effect "{_quote(effect)}" is not valid.'
            if isinstance(effect, str)
            else f"The effect must be a string, not {json_type(effect)}."
        )
        self.add(
            FindingType.ERROR,
            IssueCode.INVALID_EFFECT,
            f"{shown} Use Allow or Deny.",
            (*path, "Effect"),
            learn_more=learn_more,
        )
        return None

    def strings(
        self, value: Any, path: JsonPath, element: str, empty_code: IssueCode, empty_message: str
    ) -> list[tuple[str, JsonPath]] | None:
        """The string values of an element that takes a string or a list of strings."""
        if isinstance(value, str):
            return [(value, path)]
        if isinstance(value, list):
            if not value:
                self.add(FindingType.SUGGESTION, empty_code, empty_message, path)
                return []
            items: list[tuple[str, JsonPath]] = []
            for index, item in enumerate(value):
                if isinstance(item, str):
                    items.append((item, (*path, index)))
                else:
                    self.add(
                        FindingType.ERROR,
                        IssueCode.DATA_TYPE_MISMATCH,
                        f"Each value in {element} must be a string, not {json_type(item)}.",
                        (*path, index),
                    )
            return items
        self.add(
            FindingType.ERROR,
            IssueCode.DATA_TYPE_MISMATCH,
            f"{element} must be a string or a list of strings, not {json_type(value)}.",
            path,
        )
        return None

    def pick(
        self, statement: dict[str, Any], path: JsonPath, positive: str, negative: str
    ) -> str | None:
        """Which of an element pair the statement uses; reports using both."""
        if positive in statement and negative in statement:
            self.add(
                FindingType.ERROR,
                IssueCode.UNSUPPORTED_ELEMENT_COMBINATION,
                f"The policy elements {positive} and {negative} can not be used in the same "
                "statement. Remove one of these elements.",
                (*path, negative),
                at_key=True,
            )
            return positive
        if positive in statement:
            return positive
        if negative in statement:
            return negative
        return None

    # -- actions --

    def check_actions(self, statement: dict[str, Any], path: JsonPath) -> list[_ActionRef] | None:
        element = self.pick(statement, path, "Action", "NotAction")
        if element is None:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_ACTION,
                "Add an Action or NotAction element to the policy statement.",
                path,
            )
            return None
        items = self.strings(
            statement[element],
            (*path, element),
            element,
            IssueCode.EMPTY_ARRAY_ACTION,
            "This statement includes no actions and does not affect the policy. Specify actions.",
        )
        if items is None:
            return None
        refs = [self.check_action(text, where) for text, where in items]
        if self.kind is PolicyKind.TRUST:
            for ref in refs:
                service = ref.text.partition(":")[0].lower()
                if ref.text != "*" and ":" in ref.text and service != "sts":
                    self.add(
                        FindingType.ERROR,
                        IssueCode.TRUST_POLICY_NON_STS_ACTION,
                        "AssumeRole policy may only specify STS AssumeRole actions. "
                        f"{ref.text} is not one.",
                        ref.path,
                    )
        return refs if element == "Action" else None

    def check_action(self, text: str, path: JsonPath) -> _ActionRef:
        if text == "*":
            return _ActionRef(text, path, None)
        service, colon, name = text.partition(":")
        if not colon or not service or not name:
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_ACTION,
                f"The action {_quote(text)} is not valid: write a service prefix and an action "
                "name separated by a colon, such as s3:GetObject.",
                path,
            )
            return _ActionRef(text, path, None)
        if ":" in name:
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_ACTION,
                f"The action {_quote(text)} is not valid: Actions/Condition can contain only one "
                "colon.",
                path,
            )
            return _ActionRef(text, path, None)
        if "*" in service or "?" in service:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.WILDCARD_IN_SERVICE_NAME,
                "Avoid using wildcards (*, ?) in the service name because it might grant "
                "unintended access to other AWS services with similar names.",
                path,
            )
            return _ActionRef(text, path, None)
        if not catalog.service_exists(service):
            guess = catalog.suggest_service(service)
            message = (
                f"The service {_quote(service)} specified in the action {_quote(text)} does not "
                "exist."
            )
            if guess is not None:
                message += (
                    f" Did you mean {guess}:{name}?"
                    if "*" not in name
                    else f" Did you mean {guess}?"
                )
            self.add(FindingType.ERROR, IssueCode.INVALID_SERVICE_IN_ACTION, message, path)
            return _ActionRef(text, path, None)
        if "*" in name or "?" in name:
            if not catalog.actions_matching(text, limit=1):
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_ACTION,
                    f"The action {_quote(text)} does not match any action of "
                    f"{catalog.service_name(service)}.",
                    path,
                )
            return _ActionRef(text, path, None)
        info = catalog.action(service, name)
        if info is None:
            message = f"The action {_quote(text)} does not exist."
            suggestion = catalog.suggest_action(service, name)
            if suggestion is not None:
                message += f" Did you mean {suggestion}?"
            api = catalog.api_operation_hint(service, name)
            if api is not None:
                message += f" The API called {name} authorizes against the IAM action {api}."
            self.add(FindingType.ERROR, IssueCode.INVALID_ACTION, message, path)
        return _ActionRef(text, path, info)

    # -- resources --

    def check_resources(
        self, statement: dict[str, Any], path: JsonPath
    ) -> list[tuple[str, JsonPath]] | None:
        element = self.pick(statement, path, "Resource", "NotResource")
        if self.kind is PolicyKind.TRUST:
            if element is not None:
                self.add(
                    FindingType.ERROR,
                    IssueCode.RESOURCE_IN_TRUST_POLICY,
                    f"Has prohibited field {element}: a role trust policy names no resources.",
                    (*path, element),
                    at_key=True,
                )
            return None
        if element is None:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_RESOURCE,
                "Add a Resource or NotResource element to the policy statement.",
                path,
            )
            return None
        items = self.strings(
            statement[element],
            (*path, element),
            element,
            IssueCode.EMPTY_ARRAY_RESOURCE,
            "This statement includes no resources and does not affect the policy. Specify "
            "resources.",
        )
        if items is None:
            return None
        for text, where in items:
            self.check_arn(text, where)
        return items if element == "Resource" else None

    def check_arn(self, text: str, path: JsonPath) -> None:
        if text == "*":
            return
        if not text.startswith("arn:"):
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_ARN_PREFIX,
                f'Resource {_quote(text)} must be in ARN format or "*".',
                path,
                learn_more=_LEARN_MORE[IssueCode.INVALID_ARN_PREFIX]
                + (
                    f" For an S3 bucket that is arn:aws:s3:::{text}, for its objects "
                    f"arn:aws:s3:::{text}/*."
                    if re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", text)
                    else ""
                ),
            )
            return
        if len(text) > _MAX_ARN:
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_ARN_RESOURCE,
                f"This ARN is {len(text):,} characters long; an ARN has at most {_MAX_ARN:,}.",
                path,
            )
            return
        fields = text.split(":", 5)
        if len(fields) < 6:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_ARN_FIELD,
                "Resource ARNs must include at least 6 fields in the following structure: "
                f"arn:partition:service:region:account:resource ({_quote(text)} has "
                f"{len(fields)}).",
                path,
            )
            return
        _, partition, service, region, account, resource = fields
        if not service or not resource:
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_ARN_FIELD,
                "Resource ARNs must include at least 6 fields in the following structure: "
                f"arn:partition:service:region:account:resource (the "
                f"{'service' if not service else 'resource'} of {_quote(text)} is empty).",
                path,
            )
            return
        if "*" in service or "?" in service:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.WILDCARD_IN_SERVICE_NAME,
                "Avoid using wildcards (*, ?) in the service name because it might grant "
                "unintended access to other AWS services with similar names.",
                path,
            )
            return
        if "${" in service:
            return
        if partition not in _PARTITIONS and not any(c in partition for c in "*?$"):
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_PARTITION,
                f"The resource ARN for the service does not support the partition "
                f"{_quote(partition)}. Use the supported values: aws, aws-cn, aws-us-gov.",
                path,
            )
            return
        if service != service.lower() and catalog.service_exists(service):
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_ARN_SERVICE_CASE,
                "Update the service name in the resource ARN to use all lowercase letters.",
                path,
            )
            return
        if not catalog.arn_namespace_exists(service):
            guess = catalog.suggest_service(service)
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_SERVICE,
                f"The service {_quote(service)} in the resource ARN does not exist."
                + (f" Did you mean {guess}?" if guess else ""),
                path,
            )
            return
        if self.arn_budget > 0:  # each check reads the catalogue's ARN templates
            self.arn_budget -= 1
            self.check_arn_fields(text, path, service, region, account)

    def check_arn_fields(
        self, text: str, path: JsonPath, service: str, region: str, account: str
    ) -> None:
        wild = ("*", "?", "${")
        matched = catalog.arn_resource_types(text)
        if matched:
            accounts = {rt.arn.split(":", 5)[4] for rt in matched}
            concrete = account and not any(w in account for w in wild)
            if (
                concrete
                and all("Account" in field for field in accounts)
                and not _ACCOUNT.fullmatch(account)
                and account != "aws"
            ):
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_ARN_ACCOUNT,
                    "The resource ARN account ID is not valid. Provide a 12-digit account ID.",
                    path,
                )
                return
            regions = {rt.arn.split(":", 5)[3] for rt in matched}
            if (
                region
                and not any(w in region for w in wild)
                and regions == {"${Region}"}
                and not _REGION.fullmatch(region)
            ):
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_ARN_REGION,
                    f"The Region {_quote(region)} is not valid for this resource. Update the "
                    "resource ARN to include a supported Region.",
                    path,
                )
            return
        templates = catalog.resource_types_for_namespace(service)
        if not templates:
            return  # a service without resource types: nothing to compare with
        fitting = catalog.resource_types_by_resource_part(text)
        if fitting:
            regions = {rt.arn.split(":", 5)[3] for rt in fitting}
            accounts = {rt.arn.split(":", 5)[4] for rt in fitting}
            if region and not any(w in region for w in wild) and regions == {""}:
                self.add(
                    FindingType.ERROR,
                    IssueCode.ARN_REGION_NOT_ALLOWED,
                    "The service does not support specifying a Region in the resource ARN.",
                    path,
                )
                return
            if not region and "" not in regions:
                self.add(
                    FindingType.ERROR,
                    IssueCode.MISSING_ARN_REGION,
                    "Add a Region to the resource ARN.",
                    path,
                )
                return
            if account and not any(w in account for w in wild) and accounts == {""}:
                self.add(
                    FindingType.ERROR,
                    IssueCode.ARN_ACCOUNT_NOT_ALLOWED,
                    "The service does not support specifying an account ID in the resource ARN.",
                    path,
                )
                return
            if not account and "" not in accounts:
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_ARN_ACCOUNT,
                    "The resource ARN account ID is not valid. Provide a 12-digit account ID.",
                    path,
                )
                return
        examples = [rt.arn for rt in templates]
        if self.example_budget > 0:
            self.example_budget -= 1
            resource = text.split(":", 5)[5][:_EXAMPLE_CHARS]
            examples.sort(
                key=lambda arn: (
                    -difflib.SequenceMatcher(None, resource, arn.split(":", 5)[5]).ratio()
                )
            )
        self.add(
            FindingType.ERROR,
            IssueCode.INVALID_ARN_RESOURCE,
            "Resource ARN does not match the expected ARN format. Update the resource portion "
            f"of the ARN. {service} ARNs look like: {', '.join(examples[:3])}.",
            path,
        )

    def check_resource_mismatch(
        self, actions: list[_ActionRef], resources: list[tuple[str, JsonPath]]
    ) -> None:
        arns = [(text, where) for text, where in resources if text != "*"]
        if len(arns) != len(resources) or not arns or len(arns) * len(actions) > self.arn_budget:
            return
        self.arn_budget -= len(arns) * len(actions)
        if not all(text.startswith("arn:") and text.count(":") >= 5 for text, _ in arns):
            return  # the ARN checks have something to say first
        for ref in actions:
            info = ref.info
            if info is None or any(catalog.arn_fits_action(info, text) for text, _ in arns):
                continue
            described = ", ".join(_describe_arn(text) for text, _ in arns[:3])
            if len(arns) > 3:
                described += f" and {len(arns) - 3} more"
            if not info.resource_types:
                message = (
                    f"{info.full_name} supports no resource-level permissions: its requests name "
                    f'the resource "*", which only "Resource": "*" matches. This statement '
                    f"names {described}, so it never applies to {info.full_name}."
                )
            else:
                kinds = _describe_types(info, arns[0][0])
                message = (
                    f"{info.full_name} acts on {kinds}, but no resource in this statement is "
                    f"one: {described}. So the statement never applies to {info.full_name}."
                )
            self.add(FindingType.WARNING, IssueCode.RESOURCE_MISMATCH, message, ref.path)

    # -- principals --

    def check_principal(
        self, statement: dict[str, Any], path: JsonPath, effect: str | None
    ) -> None:
        element = self.pick(statement, path, "Principal", "NotPrincipal")
        if element is None:
            if self.kind in _NEEDS_PRINCIPAL:
                self.add(
                    FindingType.ERROR,
                    IssueCode.MISSING_PRINCIPAL,
                    "Add a Principal element to the policy statement.",
                    path,
                )
            return
        where = (*path, element)
        if self.kind is PolicyKind.SCP:
            self.add(
                FindingType.ERROR,
                IssueCode.SCP_SYNTAX_ERROR_PRINCIPAL,
                "SCPs do not support specifying principals. Remove the Principal or "
                "NotPrincipal element.",
                where,
                at_key=True,
            )
            return
        if self.kind in _WITHOUT_PRINCIPAL:
            self.add(
                FindingType.ERROR,
                IssueCode.UNSUPPORTED_PRINCIPAL,
                "Policy document should not specify a principal.",
                where,
                at_key=True,
                learn_more=_LEARN_MORE[IssueCode.UNSUPPORTED_PRINCIPAL]
                + f" This is {_KIND_NAMES[self.kind]}.",
            )
            return
        if element == "NotPrincipal" and effect == "Allow":
            self.add(
                FindingType.SECURITY_WARNING,
                IssueCode.ALLOW_WITH_NOT_PRINCIPAL,
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you "
                "use Principal instead.",
                where,
                at_key=True,
            )
        self.check_principal_value(statement[element], where)

    def check_principal_value(self, value: Any, path: JsonPath) -> None:
        if value == "*":
            return
        if not isinstance(value, dict):
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_PRINCIPAL_FORMAT,
                "The Principal element contents are not valid. Specify a key-value pair in the "
                'Principal element (or "*" for everyone).',
                path,
            )
            return
        if not value:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.EMPTY_OBJECT_PRINCIPAL,
                "This statement includes no principals and does not affect the policy. Specify "
                "principals.",
                path,
            )
            return
        for key, entries in value.items():
            where = (*path, key)
            if key not in PRINCIPAL_KEYS:
                hint = _case_hint(key, PRINCIPAL_KEYS)
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_PRINCIPAL_KEY,
                    f'The principal key "{_quote(key)}" is not valid.'
                    + (f" Did you mean {hint}?" if hint else ""),
                    where,
                    at_key=True,
                )
                continue
            items = self.strings(
                entries,
                where,
                f"Principal {key}",
                IssueCode.EMPTY_ARRAY_PRINCIPAL,
                "This statement includes no principals and does not affect the policy. Specify "
                "principals.",
            )
            for text, item_path in items or ():
                self.check_principal_entry(key, text, item_path)

    def check_principal_entry(self, key: str, text: str, path: JsonPath) -> None:
        if key == "AWS":
            if text == "*" or _ACCOUNT.fullmatch(text) or _UNIQUE_ID.fullmatch(text):
                return
            if not text.startswith("arn:"):
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_PRINCIPAL_FORMAT,
                    f'Invalid principal in policy: "AWS":"{_quote(text)}". Use "*", a 12-digit '
                    "account ID or an ARN such as arn:aws:iam::111122223333:role/NAME.",
                    path,
                )
                return
            if "*" in text or "?" in text:
                self.add(
                    FindingType.ERROR,
                    IssueCode.UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
                    "Wildcards (*, ?) are not supported with the principal key. Replace the "
                    "wildcard with a valid principal value.",
                    path,
                )
        elif key == "Service" and text != "*" and "." not in text:
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_SERVICE_PRINCIPAL_FORMAT,
                f'Invalid principal in policy: "SERVICE":"{_quote(text)}". A service '
                f"principal looks like {text.lower()}.amazonaws.com.",
                path,
            )

    # -- conditions --

    def check_condition(
        self, statement: dict[str, Any], path: JsonPath, effect: str | None
    ) -> set[str]:
        """Checks the Condition block; returns the (lower-case) keys it tests."""
        if "Condition" not in statement:
            return set()
        block = statement["Condition"]
        where = (*path, "Condition")
        if not isinstance(block, dict):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"Condition must be an object, not {json_type(block)}.",
                where,
            )
            return set()
        if not block:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.EMPTY_OBJECT_CONDITION,
                "This condition block is empty and it does not affect the policy. Specify "
                "conditions.",
                where,
            )
            return set()
        tested: set[str] = set()
        present = _presence_checked(block)
        for operator, entries in block.items():
            self.check_operator_block(
                operator, entries, (*where, operator), effect, present, tested
            )
        return tested

    def check_operator_block(
        self,
        operator: str,
        entries: Any,
        path: JsonPath,
        effect: str | None,
        present: set[str],
        tested: set[str],
    ) -> None:
        parsed = self.parse_operator(operator, path)
        if not isinstance(entries, dict):
            self.add(
                FindingType.ERROR,
                IssueCode.DATA_TYPE_MISMATCH,
                f"The value of {_quote(operator)} must be an object of condition keys and "
                f"values, not {json_type(entries)}.",
                path,
            )
            return
        if not entries:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.EMPTY_OBJECT_CONDITION,
                "This condition block is empty and it does not affect the policy. Specify "
                "conditions.",
                path,
            )
            return
        seen: dict[str, str] = {}
        for key, value in entries.items():
            key_path = (*path, key)
            lowered = key.lower()
            tested.add(lowered)
            if lowered in seen and seen[lowered] != key:
                self.add(
                    FindingType.ERROR,
                    IssueCode.DUPLICATE_KEYS_WITH_DIFFERENT_CASE,
                    "The condition key appears more than once with different capitalization in "
                    f"the same condition block ({seen[lowered]}, {key}). Remove the duplicate "
                    "condition keys.",
                    key_path,
                    at_key=True,
                )
            seen.setdefault(lowered, key)
            info = self.check_condition_key(key, key_path)
            values = self.condition_values(value, key_path, parsed)
            if parsed is None:
                continue
            qualifier, base, _ = parsed
            self.check_key_against_operator(key, key_path, info, qualifier, base, effect, present)
            if values is not None:
                self.check_condition_values(base, values, key_path)

    def parse_operator(self, operator: str, path: JsonPath) -> tuple[str | None, str, bool] | None:
        """(qualifier, base operator, IfExists) for a valid operator name; reports others."""
        qualifier: str | None = None
        rest = operator
        head, colon, tail = operator.partition(":")
        if colon:
            if head in _QUALIFIERS:
                qualifier, rest = head, tail
            else:
                hint = _case_hint(head, _QUALIFIERS)
                self.add(
                    FindingType.ERROR,
                    IssueCode.INVALID_CONDITION_OPERATOR,
                    f"The condition operator {_quote(operator)} is not valid. Use a valid "
                    "condition operator." + (f" Did you mean {hint}:{tail}?" if hint else ""),
                    path,
                    at_key=True,
                )
                return None
        if_exists = rest.endswith("IfExists")
        base = rest[: -len("IfExists")] if if_exists else rest
        if base == "Null" and if_exists:
            self.add(
                FindingType.ERROR,
                IssueCode.NULL_WITH_IF_EXISTS,
                "The Null condition operator cannot be used with the IfExists suffix. Update "
                "the operator or the suffix.",
                path,
                at_key=True,
            )
            return None
        if base not in _OPERATOR_FAMILY:
            hint = _case_hint(rest, _ALL_OPERATORS)
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_CONDITION_OPERATOR,
                f"The condition operator {_quote(operator)} is not valid. Use a valid condition "
                "operator."
                + (
                    f" Did you mean {(qualifier + ':') if qualifier else ''}{hint}?" if hint else ""
                ),
                path,
                at_key=True,
            )
            return None
        if base == "Null" and qualifier is not None:
            self.add(
                FindingType.SUGGESTION,
                IssueCode.NULL_WITH_QUALIFIER,
                "Avoid using the Null condition operator with the ForAllValues or ForAnyValue "
                "qualifiers because they always return a true or false respectively.",
                path,
                at_key=True,
            )
        return qualifier, base, if_exists

    def check_condition_key(self, key: str, path: JsonPath) -> catalog.ConditionKeyInfo | None:
        prefix, colon, rest = key.partition(":")
        if not colon or not prefix or not rest:
            self.add(
                FindingType.ERROR,
                IssueCode.INVALID_CONDITION_KEY_FORMAT,
                f"The condition key format of {_quote(key)} is not valid. Use the format "
                "service:keyname.",
                path,
                at_key=True,
            )
            return None
        info = catalog.condition_key_info(key)
        if info is not None or catalog.condition_key_known(key):
            return info
        if key.lower() == "aws:arn":
            self.add(
                FindingType.WARNING,
                IssueCode.DEPRECATED_GLOBAL_CONDITION_KEY,
                "We recommend that you update aws:ARN to use the newer condition keys "
                "aws:PrincipalArn or aws:SourceArn.",
                path,
                at_key=True,
            )
            return None
        if _TAG_KEY_MISSING.fullmatch(key):
            self.add(
                FindingType.ERROR,
                IssueCode.MISSING_TAG_KEY_IN_CONDITION,
                "The condition key must include a tag key to control access based on tags. Use "
                f"the format {key.rstrip('/')}/tag-key and specify a key name for tag-key.",
                path,
                at_key=True,
            )
            return None
        lowered = prefix.lower()
        suggestion = catalog.suggest_condition_key(key)
        hint = f" Did you mean {suggestion}?" if suggestion else ""
        # Access Analyzer reports unknown keys as errors; RoleCall warns, because its copy of
        # the catalogue can lag behind AWS, and a key the request lacks only makes the
        # condition false (or true for a negated operator or IfExists).
        if lowered == "aws":
            code = IssueCode.INVALID_GLOBAL_CONDITION_KEY
            message = f"The condition key {_quote(key)} does not exist. Use a valid condition key."
        elif catalog.service_exists(lowered):
            code = IssueCode.INVALID_SERVICE_CONDITION_KEY
            message = (
                f"The condition key {_quote(key)} does not exist in the service "
                f"{catalog.service_name(lowered)}. Use a valid condition key."
            )
        else:
            code = IssueCode.INVALID_SERVICE
            message = (
                f"The service {_quote(prefix)} in the condition key {_quote(key)} does not "
                "exist. Use a valid service name."
            )
        self.add(FindingType.WARNING, code, message + hint, path, at_key=True)
        return None

    def condition_values(
        self, value: Any, path: JsonPath, parsed: tuple[str | None, str, bool] | None
    ) -> list[tuple[Any, JsonPath]] | None:
        scalar = (str, int, float, bool)
        if isinstance(value, scalar):
            return [(value, path)]
        if isinstance(value, list):
            if not value:
                qualifier = parsed[0] if parsed else None
                if_exists = parsed[2] if parsed else False
                if qualifier == "ForAllValues":
                    message = (
                        "The ForAllValues prefix with an empty condition key matches only if the "
                        "key is missing from the request context. To determine if the request "
                        "context is empty, we recommend that you use the Null condition operator "
                        "with the value of true instead."
                    )
                elif qualifier == "ForAnyValue":
                    message = (
                        "The ForAnyValue prefix with an empty condition key never matches the "
                        "request context and it does not affect the policy. Specify conditions."
                    )
                elif if_exists:
                    message = (
                        "The IfExists suffix with an empty condition key matches only if the key "
                        "is missing from the request context. To determine if the request "
                        "context is empty, we recommend that you use the Null condition operator "
                        "with the value of true instead."
                    )
                else:
                    message = (
                        "There are no values for the condition key and it does not affect the "
                        "policy. Specify conditions."
                    )
                self.add(FindingType.SUGGESTION, IssueCode.EMPTY_ARRAY_CONDITION, message, path)
                return []
            items: list[tuple[Any, JsonPath]] = []
            for index, item in enumerate(value):
                if isinstance(item, scalar):
                    items.append((item, (*path, index)))
                else:
                    self.add(
                        FindingType.ERROR,
                        IssueCode.DATA_TYPE_MISMATCH,
                        f"A condition value must be a string, number or boolean, not "
                        f"{json_type(item)}.",
                        (*path, index),
                    )
            return items
        self.add(
            FindingType.ERROR,
            IssueCode.DATA_TYPE_MISMATCH,
            "A condition value must be a string, number or boolean, or a list of them, not "
            f"{json_type(value)}.",
            path,
        )
        return None

    def check_key_against_operator(
        self,
        key: str,
        path: JsonPath,
        info: catalog.ConditionKeyInfo | None,
        qualifier: str | None,
        base: str,
        effect: str | None,
        present: set[str],
    ) -> None:
        family = _OPERATOR_FAMILY[base]
        if info is not None and family != "Null":
            element_type = info.type.removeprefix("ArrayOf")
            allowed = _FAMILIES_FOR_TYPE.get(element_type)
            if allowed is not None and family not in allowed:
                self.add(
                    FindingType.WARNING,
                    IssueCode.TYPE_MISMATCH,
                    f"Use the operator type {_OPERATOR_FOR_TYPE[element_type]} instead of "
                    f"operator {base} for the condition key {info.key}.",
                    path,
                    at_key=True,
                )
            if info.multivalued and qualifier is None:
                self.add(
                    FindingType.ERROR,
                    IssueCode.MISSING_QUALIFIER,
                    f"The request context key {info.key} has multiple values. Use the "
                    "ForAllValues or ForAnyValue condition key qualifiers in your policy.",
                    path,
                    at_key=True,
                )
        if qualifier != "ForAllValues" or family == "Null":
            return
        if info is not None and not info.multivalued:
            self.add(
                FindingType.SECURITY_WARNING,
                IssueCode.FORALLVALUES_WITH_SINGLE_VALUED_KEY,
                f"Using ForAllValues qualifier with the single-valued condition key {info.key} "
                "can be overly permissive. We recommend that you remove ForAllValues:.",
                path,
                at_key=True,
            )
            return
        if effect == "Allow" and key.lower() not in present:
            self.add(
                FindingType.SECURITY_WARNING,
                IssueCode.FORALLVALUES_WITHOUT_NULL_CHECK,
                f"ForAllValues:{base} on {key} is also true when the request carries no {key} at "
                "all, so this Allow applies to such requests too. Add "
                f'"Null": {{"{key}": "false"}} to the condition to require the key.',
                path,
                at_key=True,
            )

    def check_condition_values(
        self, base: str, values: list[tuple[Any, JsonPath]], path: JsonPath
    ) -> None:
        family = _OPERATOR_FAMILY[base]
        variables = self.version == VERSION_2012
        for value, where in values:
            text = value if isinstance(value, str) else None
            if text is not None and "${" in text:
                if variables and family not in ("String", "Arn"):
                    self.add(
                        FindingType.ERROR,
                        IssueCode.INVALID_VARIABLE_FOR_OPERATOR,
                        "Policy variables can only be used with String and ARN operators.",
                        where,
                    )
                continue
            if (
                base in _EQUALS_WITHOUT_WILDCARDS
                and text is not None
                and ("*" in text or "?" in text)
            ):
                self.add(
                    FindingType.WARNING,
                    IssueCode.WILDCARD_WITHOUT_LIKE_OPERATOR,
                    "Your condition value includes a * or ? character. If you meant to use a "
                    "wildcard (*, ?), update the condition operator to include Like.",
                    where,
                )
            elif family in ("Bool", "Null"):
                if not (
                    isinstance(value, bool)
                    or (text is not None and text.lower() in ("true", "false"))
                ):
                    self.add(
                        FindingType.WARNING,
                        IssueCode.TYPE_MISMATCH_BOOLEAN,
                        "Add a valid Boolean value (true or false) for the condition operator.",
                        where,
                    )
            elif family == "Numeric":
                if isinstance(value, bool) or not (
                    isinstance(value, int | float) or (text is not None and _NUMBER.fullmatch(text))
                ):
                    self.add(
                        FindingType.WARNING,
                        IssueCode.TYPE_MISMATCH_NUMBER,
                        "Add a valid numeric value for the condition operator.",
                        where,
                    )
            elif family == "Date":
                if isinstance(value, bool) or not (
                    isinstance(value, int | float) or (text is not None and _DATE.fullmatch(text))
                ):
                    self.add(
                        FindingType.WARNING,
                        IssueCode.TYPE_MISMATCH_DATE,
                        "The date condition operator is used with an invalid value. Specify a "
                        "valid date using YYYY-MM-DD or other ISO 8601 date/time format.",
                        where,
                    )
            elif family == "IpAddress":
                self.check_ip(value, where)

    def check_ip(self, value: Any, path: JsonPath) -> None:
        text = value if isinstance(value, str) else None
        try:
            if text is None:
                raise ValueError
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.add(
                FindingType.WARNING,
                IssueCode.TYPE_MISMATCH_IP_RANGE,
                "The condition operator is used with an invalid IP range value. Specify the IP "
                "range in standard CIDR format.",
                path,
            )
            return
        if "/" in text and str(network) != text and network.with_prefixlen != text:
            try:
                ipaddress.ip_network(text, strict=True)
            except ValueError:
                self.add(
                    FindingType.SUGGESTION,
                    IssueCode.IMPROVE_IP_RANGE,
                    "The non-zero bits in the IP address after the masked bits are ignored. "
                    f"Replace {text} with {network.with_prefixlen}.",
                    path,
                )

    # -- statement-wide advice --

    def check_pass_role(
        self, statement: dict[str, Any], path: JsonPath, effect: str | None, tested: set[str]
    ) -> None:
        if effect != "Allow" or self.kind not in _PASS_ROLE_KINDS:
            return
        if "iam:passedtoservice" in tested:
            return
        action_element = "Action" if "Action" in statement else "NotAction"
        resource_element = "Resource" if "Resource" in statement else "NotResource"
        actions = _string_list(statement.get(action_element))
        resources = _string_list(statement.get(resource_element))
        if actions is None or resources is None or not actions or not resources:
            return
        if action_element == "Action":
            exact = any(a.lower() == "iam:passrole" for a in actions)
            starred = not exact and any(_wildcard_match(a, "iam:PassRole") for a in actions)
            if not exact and not starred:
                return
        else:
            if any(_wildcard_match(a, "iam:PassRole") for a in actions):
                return  # NotAction excludes PassRole
            exact = starred = False
        if resource_element == "Resource":
            if not any(_all_roles(r) for r in resources):
                return
            if action_element == "NotAction":
                code = IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION
            elif exact:
                code = IssueCode.PASS_ROLE_WITH_STAR_IN_RESOURCE
            else:
                code = IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE
        elif action_element == "NotAction":
            code = IssueCode.PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE
        elif exact:
            code = IssueCode.PASS_ROLE_WITH_NOT_RESOURCE
        else:
            code = IssueCode.PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE
        self.add(
            FindingType.SECURITY_WARNING,
            code,
            _PASS_ROLE_MESSAGES[code],
            (*path, resource_element),
        )

    def check_variables(self, statement: dict[str, Any], path: JsonPath) -> None:
        if self.version == VERSION_2012:
            return
        for element in ("Resource", "NotResource"):
            for text, where in _strings_with_paths(statement.get(element), (*path, element)):
                if "${" in text:
                    self.variable_unsupported(where)
        condition = statement.get("Condition")
        if isinstance(condition, dict):
            for operator, entries in condition.items():
                if not isinstance(entries, dict):
                    continue
                for key, value in entries.items():
                    for text, where in _strings_with_paths(
                        value, (*path, "Condition", operator, key)
                    ):
                        if "${" in text:
                            self.variable_unsupported(where)

    def variable_unsupported(self, path: JsonPath) -> None:
        self.add(
            FindingType.ERROR,
            IssueCode.VARIABLE_UNSUPPORTED_IN_VERSION,
            "To include variables in your policy, use the policy version 2012-10-17 or later.",
            path,
        )


# --- Small helpers ----------------------------------------------------------------------------


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return None


def _strings_with_paths(value: Any, path: JsonPath) -> list[tuple[str, JsonPath]]:
    if isinstance(value, str):
        return [(value, path)]
    if isinstance(value, list):
        return [(item, (*path, i)) for i, item in enumerate(value) if isinstance(item, str)]
    return []


def _all_roles(resource: str) -> bool:
    """Whether a Resource value covers every role (of an account, or of every account)."""
    if resource == "*":
        return True
    fields = resource.split(":", 5)
    if len(fields) != 6 or fields[2] not in ("iam", "*"):
        return False
    return fields[5] in ("*", "role/*", "role*", "*role/*")


def _presence_checked(block: dict[str, Any]) -> set[str]:
    """Keys (lower case) that the block requires to be present: "Null": {"key": "false"}."""
    null = block.get("Null")
    if not isinstance(null, dict):
        return set()
    return {
        key.lower()
        for key, value in null.items()
        if value is False or (isinstance(value, str) and value.lower() == "false")
    }


def _describe_arn(arn: str) -> str:
    """`arn:aws:s3:::b (a bucket ARN)`."""
    found = catalog.arn_resource_types(arn)
    if not found:
        return arn
    kind = found[0].key
    return f"{arn} ({_article(kind)} {kind} ARN)"


def _example(template: str) -> str:
    """An ARN template with its partition, Region and account filled in, for a message."""
    return (
        template.replace("${Partition}", "aws")
        .replace("${Region}", "us-east-1")
        .replace("${Account}", "111122223333")
    )


def _describe_types(info: catalog.ActionInfo, arn: str) -> str:
    """`object ARNs (arn:aws:s3:::${BucketName}/${ObjectName})`, the types most like `arn` first."""
    fields = arn.split(":", 5)
    described: list[tuple[int, str]] = []
    for ref in info.resource_types:
        resource = catalog.resource_type(info.service, ref.name)
        if resource is None:
            described.append((2, f"{ref.name} ARNs"))
            continue
        template = resource.arn.split(":", 5)
        # Types whose Region and account are as present (or absent) as in `arn` come first.
        unlike = sum(
            (template[i] == "") != (fields[i] == "")
            for i in (3, 4)
            if len(template) == 6 and len(fields) == 6
        )
        described.append((unlike, f"{ref.name} ARNs ({_example(resource.arn)})"))
    described.sort(key=lambda item: item[0])
    parts = [text for _, text in described[:2]]
    if len(described) > 2:
        parts.append(f"{len(described) - 2} other kinds")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
