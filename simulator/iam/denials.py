"""How each AWS service words a denial: error code, HTTP status and message text.

From iam-facts.md §2: S3, IAM and STS answer `AccessDenied` (403), S3 quoting the resource ARN
and IAM naming its own resources `role NAME` / `user NAME`; EC2 answers
`UnauthorizedOperation` (403) with an encoded authorization message; JSON-protocol services
(SSM, KMS, Lambda, DynamoDB, ...) answer `AccessDeniedException`, SSM with HTTP 400.
"""

from __future__ import annotations

from typing import NamedTuple

from simulator.iam.decision import Decision

__all__ = ["DeniedError", "denied_error", "iam_resource_name"]

# JSON-protocol services and the HTTP status of their AccessDeniedException.
_JSON_PROTOCOL = {"ssm": 400, "kms": 400, "dynamodb": 400, "secretsmanager": 400, "logs": 400,
                  "events": 400, "lambda": 403}  # fmt: skip


class DeniedError(NamedTuple):
    code: str
    status: int
    message: str


def iam_resource_name(arn: str) -> str:
    """IAM's messages name `role NAME`, `user NAME`, `policy NAME` rather than the ARN."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam":
        kind, _, rest = parts[5].partition("/")
        if kind in ("role", "user", "group", "policy", "instance-profile") and rest:
            return f"{kind} {rest.rsplit('/', 1)[-1]}"
    return arn


def denied_error(decision: Decision, *, encoded_message: str | None = None) -> DeniedError | None:
    """The error the service would return for `decision`, or None when it was allowed.

    For EC2, `encoded_message` is the blob DecodeAuthorizationMessage can decode.
    """
    if decision.allowed:
        return None
    service = decision.request.service
    if service == "s3":
        if not decision.request.same_account:
            # S3 explains a denial only to callers of the same account or organization; a
            # caller of another account gets plain "Access Denied" (iam-facts §2, S3 User
            # Guide troubleshoot-403-errors). RoleCall's accounts share no organization.
            return DeniedError("AccessDenied", 403, "Access Denied")
        return DeniedError("AccessDenied", 403, decision.message(quote_resource=True) or "")
    if service == "iam":
        resource = iam_resource_name(decision.request.resource)
        return DeniedError("AccessDenied", 403, decision.message(resource=resource) or "")
    if service == "ec2":
        text = "You are not authorized to perform this operation."
        detail = decision.message()
        if detail:
            text = f"{text} {detail}."
        if encoded_message:
            text = f"{text} Encoded authorization failure message: {encoded_message}"
        return DeniedError("UnauthorizedOperation", 403, text)
    if service in _JSON_PROTOCOL:
        return DeniedError(
            "AccessDeniedException", _JSON_PROTOCOL[service], decision.message() or ""
        )
    return DeniedError("AccessDenied", 403, decision.message() or "")
