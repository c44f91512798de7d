"""IAM's own refusal of a permissions policy (CreatePolicy, CreatePolicyVersion, Put*Policy) or
of a role's trust policy (CreateRole, UpdateAssumeRolePolicy): which `MalformedPolicyDocument`
message IAM gives, and which first when a document has several faults.

IAM checks in stages and reports the first stage that fails (iam-facts §6):

1. syntax: JSON, the elements and their types -> "Syntax errors in policy.";
2. a Principal in a permissions policy -> "Policy document should not specify a principal.";
3. (managed policies) the Version -> "Policy document must be version 2012-10-17 or greater.";
4. "legacy parsing": Effect spelled exactly `Allow`/`Deny`, every Date condition value a date or
   an epoch number, and resources that are ARN-shaped (enough colons, a service) -> "The policy
   failed legacy parsing";
5. unique Sids, then Action/NotAction present, then Resource/NotResource present;
6. the first resource whose ARN IAM refuses (unknown partition, no service, a Region in an S3 or
   IAM ARN, an IAM resource type that does not exist), with its own message;
7. each action's vendor prefix.

Sources: IAM's texts and this order are the ones the getmoto/moto and localstack/localstack
emulators reproduce in their policy validators, whose test tables (tests/test_iam/
test_iam_policies.py) their maintainers checked against real AWS; the texts also appear in
users' reports (iam-facts §6; gh:99designs/iamy#65 and others for "The policy failed legacy
parsing"). A `null` inside a Resource list, booleans as condition values: getmoto/moto#9715,
tested against an AWS-provided CloudFormation template [UNCERTAIN: not in AWS's documentation].
The partitions are botocore's (botocore/data/partitions.json).

A trust policy goes through the same syntax and legacy-parsing stages (no Version required:
AWS's own service-role examples long said 2008-10-17), then: no Resource or NotResource ("Has
prohibited field Resource", as users quote it from `aws iam create-role` and Terraform; one
emulator adds a period [UNCERTAIN]); a Principal, which AWS's docs make required in a role trust
policy ("You must use the Principal element in resource-based policies", IUG
reference_policies_elements_principal), with "Missing required field Principal" [UNCERTAIN: the
wording S3 gives for bucket policies]; unique Sids, actions and their vendors as above; then
only STS actions ("AssumeRole policy may only specify STS AssumeRole actions.", users' reports)
[UNCERTAIN: the order of these last stages].

Everything here walks the learner's text once: no regular expressions (see `wildcard.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.iam.conditions import OPERATORS
from simulator.iam.vocabulary import (
    EFFECTS,
    POLICY_ELEMENTS,
    STATEMENT_ELEMENTS,
    VERSION_2012,
    VERSIONS,
)

__all__ = [
    "LEGACY",
    "SYNTAX",
    "identity_policy_refusal",
    "syntax_statements",
    "trust_policy_refusal",
]

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
PRINCIPAL = "Policy document should not specify a principal."
VERSION = "Policy document must be version 2012-10-17 or greater."
SIDS = "Statement IDs (SID) in a single policy must be unique."
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
NO_SERVICE = "Resource vendor must be fully qualified and cannot contain regexes."
TRUST_RESOURCE = "Has prohibited field Resource"
TRUST_PRINCIPAL = "Missing required field Principal"
TRUST_ACTIONS = "AssumeRole policy may only specify STS AssumeRole actions."

# botocore/data/partitions.json; `*` is taken as any partition.
PARTITIONS = frozenset(
    (
        "*",
        "aws",
        "aws-cn",
        "aws-eusc",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-us-gov",
    )
)
# The resource types an `arn:aws:iam` ARN may name, and IAM's text when it names another
# (localstack's current list and text, which adds `root` to moto's) [UNCERTAIN: "root" wording].
IAM_RESOURCE_TYPES = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
IAM_RESOURCE_PATH = 'IAM resource path must either be "*", root, or start with {}.'.format(
    ", ".join(IAM_RESOURCE_TYPES)
)
_VENDOR_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")
_BASE_OPERATORS = frozenset(OPERATORS)


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def identity_policy_refusal(document: Any, *, require_2012: bool) -> str | None:
    """IAM's message refusing a parsed (JSON-decoded) permissions policy, or None to accept it.

    `require_2012`: managed policies must say Version 2012-10-17 (inline ones, as the simulator
    has always taken them, may not) [UNCERTAIN whether IAM asks it of inline policies too].
    """
    try:
        _check(document, require_2012=require_2012)
    except _Refused as refused:
        return refused.message
    return None


def trust_policy_refusal(document: Any) -> str | None:
    """IAM's message refusing a parsed role trust policy, or None to accept it (the principals'
    existence is the caller's to check: it needs the account)."""
    try:
        _check_trust(document)
    except _Refused as refused:
        return refused.message
    return None


def syntax_statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a document IAM can read; raises ValueError(SYNTAX) otherwise."""
    try:
        return _syntax(document)
    except _Refused:
        raise ValueError(SYNTAX) from None


def _check(document: Any, *, require_2012: bool) -> None:
    statements = _syntax(document)
    if any("Principal" in st or "NotPrincipal" in st for st in statements):
        raise _Refused(PRINCIPAL)
    if require_2012 and document.get("Version") != VERSION_2012:
        raise _Refused(VERSION)
    _legacy_statements(statements)
    resource_error = ""
    for key in ("Resource", "NotResource"):
        for statement in statements:
            if key not in statement:
                continue
            resources = _present(statement[key])
            # IAM names the last faulty resource in this walk (a list is read in reverse
            # sorted order): AWS answers a list of "arn:error:s3:::b" and "arn:error:s3::b"
            # with the first (moto's AWS-checked case).
            for resource in sorted(resources, reverse=True):
                resource_error = _resource_error(resource) or resource_error
            if not resource_error and not all(_legacy_resource(r) for r in resources):
                raise _Refused(LEGACY)
    _check_sids(statements)
    if not all(_has(st, "Action", "NotAction") for st in statements):
        raise _Refused(NO_ACTIONS)
    if not all(_has(st, "Resource", "NotResource") for st in statements):
        raise _Refused(NO_RESOURCES)
    if resource_error:
        raise _Refused(resource_error)
    _check_actions(statements)


def _check_trust(document: Any) -> None:
    statements = _syntax(document)
    _legacy_statements(statements)
    if any("Resource" in st or "NotResource" in st for st in statements):
        raise _Refused(TRUST_RESOURCE)
    if any("Principal" not in st and "NotPrincipal" not in st for st in statements):
        raise _Refused(TRUST_PRINCIPAL)
    _check_sids(statements)
    if not all(_has(st, "Action", "NotAction") for st in statements):
        raise _Refused(NO_ACTIONS)
    _check_actions(statements)
    for statement in statements:
        for action in _present(statement.get("Action", statement.get("NotAction", []))):
            if action != "*" and not action.lower().startswith("sts:"):
                raise _Refused(TRUST_ACTIONS)


def _legacy_statements(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        if statement["Effect"] not in EFFECTS or not _dates_parse(statement.get("Condition", {})):
            raise _Refused(LEGACY)


def _check_sids(statements: list[dict[str, Any]]) -> None:
    sids = [st["Sid"] for st in statements if st.get("Sid")]
    if len(sids) != len(set(sids)):
        raise _Refused(SIDS)


def _check_actions(statements: list[dict[str, Any]]) -> None:
    for key in ("Action", "NotAction"):
        for statement in statements:
            for action in _present(statement.get(key, [])):
                _check_action(action)


# --- 1. Syntax ---------------------------------------------------------------------------------


def _syntax(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or any(key not in POLICY_ELEMENTS for key in document):
        raise _Refused(SYNTAX)
    if "Version" in document and document["Version"] not in VERSIONS:
        raise _Refused(SYNTAX)
    if "Id" in document and not isinstance(document["Id"], str):
        raise _Refused(SYNTAX)
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise _Refused(SYNTAX)
    for statement in statements:
        _statement_syntax(statement)
    return statements


def _statement_syntax(statement: Any) -> None:
    if not isinstance(statement, dict) or any(key not in STATEMENT_ELEMENTS for key in statement):
        raise _Refused(SYNTAX)
    for positive, negative in (
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ):
        if positive in statement and negative in statement:
            raise _Refused(SYNTAX)
    effect = statement.get("Effect")
    # Case-insensitive here; the exact spelling is legacy parsing's to ask.
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise _Refused(SYNTAX)
    for key in ("Action", "NotAction"):
        if key in statement and not _strings(statement[key], allow_null=False):
            raise _Refused(SYNTAX)
    for key in ("Resource", "NotResource"):
        if key in statement and not _strings(statement[key], allow_null=True):
            raise _Refused(SYNTAX)
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise _Refused(SYNTAX)
    if "Condition" in statement and not _condition_syntax(statement["Condition"]):
        raise _Refused(SYNTAX)


def _strings(value: Any, *, allow_null: bool) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, list):
        return False
    return all(isinstance(item, str) or (allow_null and item is None) for item in value)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def _condition_syntax(condition: Any) -> bool:
    """A map of operators to (possibly empty) maps of keys to values; an unknown operator is
    allowed only with an empty block."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(block, dict):
            return False
        for value in block.values():
            if not (_scalar(value) or isinstance(value, list)):
                return False
        if block and _base_operator(operator) not in _BASE_OPERATORS:
            return False
    return True


def _base_operator(operator: str) -> str:
    for qualifier in _QUALIFIERS:
        if operator.startswith(qualifier):
            operator = operator[len(qualifier) :]
            break
    if operator.endswith("IfExists"):
        operator = operator[: -len("IfExists")]
    return operator


def _present(value: Any) -> list[str]:
    """The strings of an element that passed the syntax stage (nulls left out)."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)]


def _has(statement: Mapping[str, Any], positive: str, negative: str) -> bool:
    for key in (positive, negative):
        if key in statement:
            return bool(statement[key] != [])
    return False


# --- 4. Legacy parsing -------------------------------------------------------------------------


def _dates_parse(condition: Mapping[str, Any]) -> bool:
    for operator, block in condition.items():
        if not _base_operator(operator).startswith("Date"):
            continue
        for value in block.values():
            values: Iterable[Any] = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) and _is_date(item) for item in values):
                return False
    return True


def _digits(text: str, low: int, high: int, *, width: int | None = None) -> bool:
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if not body or not body.isascii() or not body.isdigit():
        return False
    if (width is not None and len(body) != width) or len(body) > 19:  # 2**63 has 19 digits
        return False
    number = -int(body) if negative else int(body)
    return low <= number <= high


def _is_date(text: str) -> bool:
    """An ISO 8601 date or date-time (`2024-01-01`, `2024-01-01T00:00:00Z`, fractions, offsets),
    or epoch seconds: what IAM's legacy parser takes for a Date condition's value."""
    lowered = text.lower()
    if "t" not in lowered and "-" not in lowered:
        return _digits(text, 0, 2**63 - 1)
    date, _, time = lowered.partition("t")
    negative = date.startswith("-")
    fields = (date[1:] if negative else date).split("-")
    if len(fields) > 3 or not _digits(("-" if negative else "") + fields[0], -292275054, 292278993):
        return False
    if len(fields) > 1 and not _digits(fields[1], 1, 12):
        return False
    if len(fields) > 2 and not _digits(fields[2], 1, 31):
        return False
    hours, colon, rest = time.partition(":")
    if hours and not _digits(hours, 0, 23):
        return False
    if not colon:
        return True
    minutes, colon, seconds = rest.partition(":")
    if not _digits(minutes, 0, 59):
        return False
    return not colon or _is_seconds(seconds)


def _is_seconds(text: str) -> bool:
    """`SS`, `SS.fff…`, then nothing, `z`, or an offset `+HH`/`+HH:MM` (or `-`)."""
    offset = ""
    for mark in ("z", "+", "-"):
        if mark in text:
            text, _, offset = text.partition(mark)
            if mark == "z" and offset:
                return False
            if mark != "z":
                zone_hours, colon, zone_minutes = offset.partition(":")
                if not _digits(zone_hours, 0, 23, width=2):
                    return False
                if colon and not _digits(zone_minutes, 0, 59, width=2):
                    return False
            break
    whole, dot, fraction = text.partition(".")
    if not _digits(whole, 0, 59):
        return False
    return not dot or _digits(fraction, 0, 999_999_999)


def _legacy_resource(resource: str) -> bool:
    """Enough colons for an ARN whenever it has an empty field, and a service."""
    if resource == "*":
        return True
    if resource.count(":") < 5 and "::" in resource:
        return False
    fields = resource.split(":", 3)
    return len(fields) > 2 and fields[2] != ""


# --- 6. Resource ARNs --------------------------------------------------------------------------


def _resource_error(resource: str) -> str:
    """IAM's text refusing one resource, or "" when it passes."""
    if resource == "*":
        return ""
    _, colon, rest = resource.partition(":")
    if not colon:
        return f'Resource {resource} must be in ARN format or "*".'
    partition, colon, rest = rest.partition(":")
    if partition not in PARTITIONS:
        fields = rest.split(":")
        shown = [
            fields[0] if fields[0] or len(fields) > 1 else "*",
            fields[1] if len(fields) > 1 else "*",
            fields[2] if len(fields) > 2 else "*",
            ":".join(fields[3:]) if len(fields) > 3 else "*",
        ]
        return f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(shown)}".'
    if not colon:
        return NO_SERVICE
    service, _, after_service = rest.partition(":")
    _, _, rest = after_service.partition(":")
    _, _, path = rest.partition(":")
    has_region = not after_service.startswith(":")
    if service == "iam" and has_region:
        return f"IAM resource {resource} cannot contain region information."
    if service == "s3" and has_region and not path.startswith("accesspoint/"):
        return f"Resource {resource} can not contain region information."
    if service == "iam" and path not in ("*", "root") and not path.startswith(IAM_RESOURCE_TYPES):
        return IAM_RESOURCE_PATH
    return ""


# --- 7. Actions --------------------------------------------------------------------------------


def _check_action(action: str) -> None:
    vendor, colon, name = action.partition(":")
    if not colon:
        if action != "*":
            raise _Refused(NO_VENDOR)
        return
    if ":" in name:
        raise _Refused(ONE_COLON)
    if vendor != "*" and not all(character in _VENDOR_CHARACTERS for character in vendor):
        raise _Refused(f"Vendor {vendor} is not valid")
