"""The words of the IAM policy language, and how IAM measures a policy.

One home for what the grammar (`policy.py`), the findings (`findings.py`) and the services'
own checks (`services/iam.py`, `services/s3.py`) all speak of: the policy versions, the
elements of a policy and of a statement, the kinds of principal, and a policy's size as IAM
counts it against its quotas (IUG:reference_policies_elements, IUG:reference_iam-quotas).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EFFECTS",
    "POLICY_ELEMENTS",
    "PRINCIPAL_KEYS",
    "STATEMENT_ELEMENTS",
    "VERSIONS",
    "VERSION_2008",
    "VERSION_2012",
    "json_type",
    "policy_size",
]

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)
"""The versions IAM accepts; policy variables work only under 2012-10-17."""

POLICY_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
EFFECTS = ("Allow", "Deny")
PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")


def policy_size(text: str) -> int:
    """The size IAM counts against its quotas: characters, not counting white space."""
    return len(text) - sum(text.count(space) for space in " \t\n\r")


def json_type(value: Any) -> str:
    """A JSON value's type as a message names it: "a string", "an object", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
