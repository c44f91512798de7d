"""The instance metadata service (IMDS): 169.254.169.254 as software on an instance sees it.

    world.imds("i-...", "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    world.imds("i-...", "GET", "/latest/meta-data/iam/security-credentials/", {"X-aws-ec2-metadata-token": t})

IMDSv2 (iam-facts §3): `PUT /latest/api/token` with a TTL of 1..21600 seconds gives a token that
is valid only on that instance; a PUT carrying `X-Forwarded-For` is refused (403); a bad PUT is
400; an invalid or expired token is 401, as is a request without a token when the instance
requires IMDSv2 (`HttpTokens=required`); a disabled endpoint answers 403; anything unknown 404.

The role's credentials (`iam/security-credentials/<role>`, keyed by the ROLE name, not the
profile's) are an STS session named after the instance id, created the first time anything on
the instance needs them, when the associated profile's role trusts ec2.amazonaws.com (the
policy engine decides, with the trust policy as the resource policy). They live six hours; once
they are an hour old the service hands out new ones (so always well over five minutes before
they expire), and the old ones keep working until they expire: temporary credentials cannot
be revoked. Credentials fetched without a token are delivered by IMDS "1.0", with one by "2.0";
the session records which (`ec2:RoleDelivery`, CloudTrail's `ec2RoleDelivery`).

Error documents follow AWS's own metadata mock (aws/amazon-ec2-metadata-mock): XHTML pages
titled "401 - Unauthorized" and so on. An untrusting role gives the document quoted in
aws/aws-cli#2060: `"Code" : "AssumeRoleUnauthorizedAccess"`, "EC2 cannot assume the role ...",
on `iam/info` and on `iam/security-credentials/<role>` alike; botocore's InstanceMetadataFetcher
reads such a 200 answer without credential fields as "no credentials" (its comment names this
case: "if ec2 is not trusted entity for the attached role"). CloudTrail records the failed
AssumeRole EC2 made (`_record_assume_role_failure`), with the trust policy's evaluation and
why each of its statements did not apply, at most once per instance, role and minute.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from simulator import events
from simulator.account import Account, compile_policy
from simulator.clock import iso
from simulator.errors import AwsError
from simulator.iam import (
    Decision,
    Policy,
    PolicyGrammarError,
    PolicyKind,
    Principal,
    Request,
    evaluate,
)
from simulator.iam.explain import StatementCheck, check_policy
from simulator.model import Association, ImdsToken, Instance, InstanceProfile, Role, StsSession

__all__ = [
    "CREDENTIAL_LIFETIME",
    "MAX_TOKEN_TTL",
    "ROTATE_AFTER",
    "RoleLookup",
    "active_association",
    "lookup",
    "request",
    "role_trusts_ec2",
]

TOKEN_PATH = "/latest/api/token"
MAX_TOKEN_TTL = 21600
MAX_TOKENS = 20
"""Tokens kept per instance: the newest; older ones stop working (a simulator limit)."""
CREDENTIAL_LIFETIME = timedelta(hours=6)
ROTATE_AFTER = timedelta(hours=1)
REFRESH_MARGIN = timedelta(minutes=5)
EC2_SERVICE = "ec2.amazonaws.com"
_EC2 = Principal.for_service(EC2_SERVICE)
_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SESSION_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TEXT = {"Content-Type": "text/plain"}
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}
_ACTIVE = ("associating", "associated")

Response = tuple[int, dict[str, str], str]


class RoleLookup(NamedTuple):
    """What the metadata service knows about the instance's role.

    `code` is the `Code` of the iam/info document: "Success", "InstanceProfileNotFound",
    "AssumeRoleUnauthorizedAccess", or "NoRole" (a profile without a role, which AWS reports as
    Success with a message and no credentials).
    """

    code: str
    association: Association
    profile: InstanceProfile | None
    role: Role | None
    session: StsSession | None


# --- the HTTP face ------------------------------------------------------------------------


def request(
    world: Account, instance_id: str, method: str, path: str, headers: dict[str, str]
) -> Response:
    """Answer one HTTP request from software on `instance_id` to 169.254.169.254."""
    instance = world.instance(instance_id)
    if instance.state != "running":
        # Nothing runs on a stopped instance, so nothing can ask; say so rather than crash.
        return 503, dict(_TEXT), f"{instance_id} is {instance.state}: no software runs on it."
    if instance.http_endpoint != "enabled":
        return _error(403)
    lowered = {name.lower(): value for name, value in headers.items()}
    method = method.upper()
    path = path.split("?", 1)[0] or "/"
    if method == "PUT":
        return _put_token(world, instance, path, lowered)
    if method not in ("GET", "HEAD"):
        return _error(405)
    token = lowered.get("x-aws-ec2-metadata-token")
    if token is not None:
        if not _token_valid(world, instance, token):
            return _error(401)
        delivery = "2.0"
    elif instance.http_tokens == "required":
        return _error(401)
    else:
        delivery = "1.0"
    status, response_headers, body = _get(world, instance, path, delivery)
    return status, response_headers, "" if method == "HEAD" else body


def _put_token(world: Account, instance: Instance, path: str, headers: dict[str, str]) -> Response:
    if path.rstrip("/") != TOKEN_PATH:
        # A token PUT to a versioned path (/2021-07-15/api/token) is refused; PUT elsewhere is
        # not a method the service offers.
        return _error(403 if path.rstrip("/").endswith("/api/token") else 405)
    if "x-forwarded-for" in headers:
        return _error(403)
    raw = headers.get("x-aws-ec2-metadata-token-ttl-seconds", "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOKEN_TTL:
        return _error(400)
    ttl = int(raw)
    now = world.now
    token = world.new_id("AQAEA", 51, _TOKEN_ALPHABET)
    tokens = [kept for kept in instance.imds_tokens if kept.expires > now]
    tokens.append(ImdsToken(token=token, expires=now + timedelta(seconds=ttl)))
    instance.imds_tokens = tokens[-MAX_TOKENS:]
    return 200, {**_TEXT, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds": str(ttl)}, token


def _token_valid(world: Account, instance: Instance, token: str) -> bool:
    now = world.now
    return any(kept.token == token and kept.expires > now for kept in instance.imds_tokens)


def _get(world: Account, instance: Instance, path: str, delivery: str) -> Response:
    key = path.rstrip("/")
    if key in ("", "/latest"):
        return _ok("latest" if key == "" else "dynamic\nmeta-data")
    if key == "/latest/dynamic":
        return _ok("instance-identity/")
    if key == "/latest/dynamic/instance-identity":
        return _ok("document")
    if key == "/latest/dynamic/instance-identity/document":
        return _ok(_json(_identity_document(world, instance)))
    prefix = "/latest/meta-data"
    if key == prefix:
        return _ok("\n".join(_listing(instance)))
    if not key.startswith(prefix + "/"):
        return _error(404)
    item = key[len(prefix) + 1 :]
    simple = _simple_items(world, instance)
    if item in simple:
        value = simple[item]
        return _ok(value) if value is not None else _error(404)
    if item == "placement":
        return _ok("availability-zone\nregion")
    if item == "iam" or item.startswith("iam/"):
        return _iam(world, instance, item, delivery)
    return _error(404)


def _listing(instance: Instance) -> list[str]:
    items = ["ami-id", "hostname", "instance-id", "instance-type", "local-hostname", "local-ipv4",
             "placement/", "public-hostname", "public-ipv4"]  # fmt: skip
    if instance.public_ip is None:
        items = [item for item in items if not item.startswith("public-")]
    if active_association(instance) is not None:
        items.insert(2, "iam/")
    return items


def _simple_items(world: Account, instance: Instance) -> dict[str, str | None]:
    local = "ip-" + instance.private_ip.replace(".", "-") + _internal_domain(world.region)
    public = None
    if instance.public_ip is not None:
        public = "ec2-" + instance.public_ip.replace(".", "-") + _public_domain(world.region)
    return {
        "ami-id": instance.image_id,
        "hostname": local,
        "instance-id": instance.instance_id,
        "instance-type": instance.instance_type,
        "local-hostname": local,
        "local-ipv4": instance.private_ip,
        "public-hostname": public,
        "public-ipv4": instance.public_ip,
        "placement/availability-zone": f"{world.region}a",
        "placement/region": world.region,
    }


def _internal_domain(region: str) -> str:
    return ".ec2.internal" if region == "us-east-1" else f".{region}.compute.internal"


def _public_domain(region: str) -> str:
    return (
        ".compute-1.amazonaws.com" if region == "us-east-1" else f".{region}.compute.amazonaws.com"
    )


def _identity_document(world: Account, instance: Instance) -> dict[str, object]:
    return {
        "accountId": world.account_id,
        "architecture": "x86_64",
        "availabilityZone": f"{world.region}a",
        "imageId": instance.image_id,
        "instanceId": instance.instance_id,
        "instanceType": instance.instance_type,
        "pendingTime": iso(instance.launched),
        "privateIp": instance.private_ip,
        "region": world.region,
        "version": "2017-09-30",
    }


def _iam(world: Account, instance: Instance, item: str, delivery: str) -> Response:
    found = lookup(world, instance, delivery=delivery)
    if found is None:
        return _error(404)  # no profile associated: the iam subtree does not exist
    if item == "iam":
        return _ok("info\nsecurity-credentials/")
    if item == "iam/info":
        return _ok(_json(_info_document(world, found)))
    if item == "iam/security-credentials":
        return _ok(found.role.name) if found.role is not None else _error(404)
    name = item.removeprefix("iam/security-credentials/")
    if item == name or found.role is None or name != found.role.name:
        return _error(404)
    if found.code == "AssumeRoleUnauthorizedAccess":
        return _ok(_json(_unauthorized_document(world, found.role)))
    if found.session is None:
        return _error(404)
    session = found.session
    return _ok(
        _json(
            {
                "Code": "Success",
                "LastUpdated": iso(session.issued),
                "Type": "AWS-HMAC",
                "AccessKeyId": session.access_key_id,
                "SecretAccessKey": session.secret_access_key,
                "Token": session.session_token,
                "Expiration": iso(session.expiration),
            }
        )
    )


def _info_document(world: Account, found: RoleLookup) -> dict[str, str]:
    association = found.association
    if found.code == "InstanceProfileNotFound":
        return {
            "Code": "InstanceProfileNotFound",
            "Message": f"Instance Profile {association.instance_profile_arn} does not exist.",
            "LastUpdated": iso(world.now),
        }
    if found.code == "AssumeRoleUnauthorizedAccess" and found.role is not None:
        return {**_unauthorized_document(world, found.role),
                "InstanceProfileArn": association.instance_profile_arn,
                "InstanceProfileId": association.instance_profile_id}  # fmt: skip
    document = {
        "Code": "Success",
        "LastUpdated": iso(found.session.issued if found.session else world.now),
        "InstanceProfileArn": association.instance_profile_arn,
        "InstanceProfileId": association.instance_profile_id,
    }
    if found.code == "NoRole":
        document["Message"] = "Instance Profile does not contain a role."
    return document


def _unauthorized_document(world: Account, role: Role) -> dict[str, str]:
    return {
        "Code": "AssumeRoleUnauthorizedAccess",
        "Message": (
            f"EC2 cannot assume the role {role.name}.  Please see documentation at "
            "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html."
        ),
        "LastUpdated": iso(world.now),
    }


def _ok(body: str) -> Response:
    return 200, dict(_TEXT), body


def _error(status: int) -> Response:
    title = f"{status} - {_REASONS[status]}"
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        f"  <head>\n    <title>{title}</title>\n  </head>\n"
        f"  <body>\n    <h1>{title}</h1>\n  </body>\n</html>"
    )
    return status, {"Content-Type": "text/html"}, body


def _json(document: dict[str, object] | dict[str, str]) -> str:
    """IMDS prints its JSON documents with two-space indents and ` : ` separators."""
    return json.dumps(document, indent=2, separators=(",", " : "))


# --- the role's credentials ----------------------------------------------------------------


def active_association(instance: Instance) -> Association | None:
    """The association that gives the instance its role now (associating counts: at once)."""
    association = instance.association
    if association is None or association.state not in _ACTIVE:
        return None
    return association


def lookup(world: Account, instance: Instance, *, delivery: str) -> RoleLookup | None:
    """The instance's role and current credentials, issuing or rotating them when due.

    None when no instance profile is associated. Credentials are issued only when the role's
    trust policy lets ec2.amazonaws.com assume it.
    """
    association = active_association(instance)
    if association is None:
        return None
    state = world.state
    name = association.instance_profile_arn.rsplit("/", 1)[-1]
    profile = state.instance_profiles.get(name)
    if profile is None or profile.instance_profile_id != association.instance_profile_id:
        return RoleLookup("InstanceProfileNotFound", association, None, None, None)
    role = state.roles.get(profile.roles[0]) if profile.roles else None
    if role is None:
        return RoleLookup("NoRole", association, profile, None, None)
    session = _current_session(world, instance, role, delivery)
    if session is None:
        trust = _trust_policy(role)
        decision = _trust_decision(world, role, trust)
        if decision is None or not decision.allowed:
            _record_assume_role_failure(world, instance, role, trust, decision)
            return RoleLookup("AssumeRoleUnauthorizedAccess", association, profile, role, None)
        session = _issue(world, instance, role, delivery)
        _record_assume_role(world, role, session, decision)
    return RoleLookup("Success", association, profile, role, session)


def role_trusts_ec2(world: Account, role: Role) -> bool:
    """Whether the role's trust policy lets ec2.amazonaws.com sts:AssumeRole (the engine decides)."""
    decision = _trust_decision(world, role, _trust_policy(role))
    return decision is not None and decision.allowed


def _trust_policy(role: Role) -> Policy | None:
    """The role's trust policy, parsed; None if unreadable (IAM never stores such a document)."""
    try:
        return compile_policy(role.trust_policy, "trust policy", PolicyKind.TRUST)
    except (PolicyGrammarError, ValueError):
        return None


def _trust_decision(world: Account, role: Role, trust: Policy | None) -> Decision | None:
    """The engine's answer to "may ec2.amazonaws.com assume this role?"; None if unreadable."""
    if trust is None:
        return None
    return evaluate(
        Request.build(
            principal=_EC2,
            action="sts:AssumeRole",
            resource=role.arn,
            resource_account=world.account_id,
            now=world.now,
        ),
        resource_policy=trust,
    )


def _fresh(session: StsSession | None, role: Role, now: datetime) -> bool:
    return (
        session is not None
        and session.role_name == role.name
        and now - session.issued < ROTATE_AFTER
        and now < session.expiration - REFRESH_MARGIN
    )


def _current_session(
    world: Account, instance: Instance, role: Role, delivery: str
) -> StsSession | None:
    """The credentials the service hands out now, if they are not yet due for rotation."""
    sessions = world.state.sessions
    now = world.now
    key = instance.role_credentials
    session = sessions.get(key) if key else None
    if session is not None and session.delivery == delivery:
        return session if _fresh(session, role, now) else None
    # Credentials delivered by the other IMDS version are a separate session: find the newest.
    for candidate in reversed(sessions.values()):
        if (
            candidate.instance_id == instance.instance_id
            and candidate.source == "InstanceProfile"
            and candidate.delivery == delivery
        ):
            return candidate if _fresh(candidate, role, now) else None
    return None


def _issue(world: Account, instance: Instance, role: Role, delivery: str) -> StsSession:
    now = world.now
    key = world.new_id("ASIA")
    session = StsSession(
        access_key_id=key,
        secret_access_key=world.new_secret(),
        session_token="IQoJb3JpZ2luX2Vj"
        + world.new_id("imds-token:", 176, _SESSION_TOKEN_ALPHABET)[11:],
        role_name=role.name,
        session_name=instance.instance_id,
        issued=now,
        expiration=now + CREDENTIAL_LIFETIME,
        source="InstanceProfile",
        instance_id=instance.instance_id,
        delivery=delivery,
    )
    world.state.sessions[key] = session
    instance.role_credentials = key
    return session


def _record_assume_role(
    world: Account, role: Role, session: StsSession, decision: Decision
) -> None:
    """CloudTrail's record of EC2 assuming the role for the instance (iam-facts §3).

    EC2 calls sts:AssumeRole itself, as the service principal, with the instance id as the
    session name; the event carries the trust policy's decision for the "why" view.
    """
    events.record(
        world.state,
        service="sts",
        operation="AssumeRole",
        source_ip=EC2_SERVICE,
        user_agent=EC2_SERVICE,
        user_identity={"type": "AWSService", "invokedBy": EC2_SERVICE},
        request_parameters={"roleArn": role.arn, "roleSessionName": session.session_name},
        response_elements={
            "credentials": {
                "accessKeyId": session.access_key_id,
                "expiration": iso(session.expiration),
            }
        },
        read_only=True,
        credential_source="AWS service",
        instance_id=session.instance_id,
        decision=decision,
    )


ASSUME_ROLE_DENIED = AwsError("AccessDenied", "Not authorized to perform sts:AssumeRole", 403)
"""What CloudTrail records for EC2's failed AssumeRole. [UNCERTAIN] The event's shape (type
AWSService, invokedBy, sourceIPAddress and userAgent ec2.amazonaws.com, roleArn and the
instance id as roleSessionName) is that of the successful one (CloudTrail User Guide,
cloudtrail-event-reference-user-identity; a recorded event in flaws.cloud's logs); the error
code and message of the failed one are not in AWS's documentation: the message follows STS's
"Not authorized to perform sts:AssumeRoleWithWebIdentity", its answer when a trust policy
does not name a caller that has no ARN of its own."""


def _record_assume_role_failure(
    world: Account, instance: Instance, role: Role, trust: Policy | None, decision: Decision | None
) -> None:
    """CloudTrail's record of EC2 failing to assume the role for the instance.

    The metadata service asks again whenever software on the instance asks it; the log keeps
    one failure per instance, role and minute of the simulated clock, so a fleet's tick or a
    learner's curl does not fill the log with copies.
    """
    state = world.state
    now = iso(world.now)
    for event in reversed(state.events):
        if event.get("instanceId") == instance.instance_id and event["eventName"] == "AssumeRole":
            parameters = event.get("requestParameters")
            if (
                event.get("errorCode")
                and event["eventTime"] == now
                and isinstance(parameters, dict)
                and parameters.get("roleArn") == role.arn
            ):
                return
            break
    statements: tuple[StatementCheck, ...] = ()
    if trust is not None and decision is not None:
        statements = check_policy(trust, decision.request, principal_required=True)
    events.record(
        state,
        service="sts",
        operation="AssumeRole",
        source_ip=EC2_SERVICE,
        user_agent=EC2_SERVICE,
        user_identity={"type": "AWSService", "invokedBy": EC2_SERVICE},
        request_parameters={"roleArn": role.arn, "roleSessionName": instance.instance_id},
        read_only=True,
        credential_source="AWS service",
        instance_id=instance.instance_id,
        error=ASSUME_ROLE_DENIED,
        decision=decision,
        statements=statements,
    )
