"""Amazon S3: buckets, objects and bucket policies.

Every handler asks the policy engine first, as S3 does for callers in the bucket owner's account
(iam-facts §2: same-account callers get the enhanced AccessDenied text, which quotes the ARN),
then looks for the bucket, then acts. The bucket policy takes part in every decision about the
bucket and its objects as the resource-based policy (iam-facts §1): granted to a role's ARN it
lets a session of that role in even when the role's own policies do not.

    GetObject on a missing key: 404 NoSuchKey only for a caller allowed s3:ListBucket on the
    bucket, else 403 AccessDenied (iam-facts §8), so that nobody learns what a bucket holds
    without being allowed to list it.

ARNs as S3 writes them (iam-facts §8): `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`.
Objects are kept whole in the world's state, so their size is capped: one PutObject takes at
most `MAX_OBJECT_SIZE` bytes (AWS allows 5 GB), beyond which S3's `EntityTooLarge` answers,
saying why, and an account holds at most `MAX_OBJECTS` objects and `MAX_STORED_BYTES` in them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from simulator.account import Account, Call, operation
from simulator.errors import AwsError
from simulator.iam import Decision, Policy, PolicyGrammarError, PolicyKind, catalog
from simulator.iam.conditions import OPERATORS
from simulator.iam.jsonpos import loads_text
from simulator.iam.vocabulary import EFFECTS, POLICY_ELEMENTS, STATEMENT_ELEMENTS, VERSIONS
from simulator.iam.wildcard import glob
from simulator.model import PUBLIC_ACCESS_SETTINGS, Bucket, S3Object, State

__all__ = [
    "MAX_BUCKETS",
    "MAX_OBJECTS",
    "MAX_OBJECT_SIZE",
    "MAX_STORED_BYTES",
    "MAX_POLICY_SIZE",
    "bucket_arn",
    "canonical_user_id",
    "copy_object",
    "create_bucket",
    "delete_bucket",
    "delete_bucket_policy",
    "delete_object",
    "delete_objects",
    "get_bucket_location",
    "get_bucket_policy",
    "get_object",
    "get_object_attributes",
    "head_bucket",
    "head_object",
    "list_buckets",
    "list_objects",
    "list_objects_v2",
    "object_arn",
    "put_bucket_policy",
    "put_object",
]

MAX_OBJECT_SIZE = 64 * 1024
"""Bytes in one object. AWS takes 5 GB in one PutObject; a simulated world is saved as JSON
on every change, so RoleCall takes 64 KiB (S3's EntityTooLarge answers beyond, saying why)."""
MAX_OBJECTS = 300
"""Objects in one simulated account, every bucket together (S3 has no such limit)."""
MAX_STORED_BYTES = 128 * 1024
"""Bytes in all the objects of one simulated account (S3 has no such limit): with the rest of
the world, a learner's saved world stays near DESIGN.md's 200 KB."""
MAX_POLICY_SIZE = 20 * 1024
"""Bucket policies are limited to 20 KB (S3 User Guide, "Bucket policies and user policies")."""
MAX_BUCKETS = 100
"""Buckets in one simulated account (AWS's default quota is higher; a world stays small)."""
MAX_KEY_BYTES = 1024
"""An object key is at most 1,024 bytes of UTF-8."""
MAX_LIST_KEYS = 1000

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_CANONICAL_USER = re.compile(r"^[0-9a-f]{64}$")
_OPERATOR_NAMES = {name.lower() for name in OPERATORS}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# --- names, ARNs, errors --------------------------------------------------------------------


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def canonical_user_id(account_id: str) -> str:
    """The account's S3 canonical user ID: 64 hex digits, the same for every call."""
    return hashlib.sha256(f"s3-canonical-user:{account_id}".encode()).hexdigest()


# S3's errors carry further elements beside Code and Message (S3 API Reference, "Error
# responses": "Many error responses contain additional structured data meant to be read and
# understood by a developer diagnosing programming errors"), which botocore puts in the parsed
# Error: NoSuchBucket names the bucket (BucketName), NoSuchKey the key (Key), InvalidArgument
# the argument (ArgumentName, ArgumentValue), EntityTooLarge the sizes (ProposedSize,
# MaxSizeAllowed), InvalidRange the range (RangeRequested, ActualObjectSize). [UNCERTAIN] which
# error carries which element is what S3 answered in issue 13's comparison, not a documented list.


def _no_such_bucket(name: str) -> AwsError:
    return AwsError(
        "NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": name}
    )


def _no_such_key(key: str) -> AwsError:
    return AwsError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


def _malformed(message: str) -> AwsError:
    return AwsError("MalformedPolicy", message, 400)


def _invalid_argument(message: str, argument: str | None = None, value: Any = None) -> AwsError:
    """S3's InvalidArgument, naming the argument (and its value) when S3 does."""
    fields: dict[str, str] = {}
    if argument is not None:
        fields["ArgumentName"] = argument
        fields["ArgumentValue"] = "" if value is None else str(value)
    return AwsError("InvalidArgument", message, 400, fields=fields)


_STRING_PARAMS = frozenset(
    {
        "ACL", "Bucket", "BucketRegion", "ContentType", "ContinuationToken", "Delimiter",
        "EncodingType", "ExpectedBucketOwner", "ExpectedSourceBucketOwner", "Key", "Marker",
        "MetadataDirective", "ObjectOwnership", "Policy", "Prefix", "Range",
        "ServerSideEncryption", "SSEKMSKeyId", "StartAfter", "StorageClass",
        "ResponseCacheControl", "ResponseContentDisposition", "ResponseContentEncoding",
        "ResponseContentLanguage", "ResponseContentType", "VersionId", "ChecksumAlgorithm",
        "ChecksumMode", "ContentMD5", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
        "ChecksumSHA1", "ChecksumSHA256", "ContentEncoding", "WebsiteRedirectLocation",
        "IfMatch", "IfNoneMatch", "CopySourceIfMatch", "CopySourceIfNoneMatch",
    }
)  # fmt: skip
_INT_PARAMS = frozenset({"MaxKeys", "MaxBuckets", "PartNumber"})


def _params(call: Call, *required: str) -> dict[str, Any]:
    """The call's parameters, checked as botocore's model checks them before sending.

    Calls through boto3 arrive checked; calls made with `World.call` directly (an instance's
    application, a scenario's probe) may not, and a bad one must be an AwsError, never a crash.
    """
    params = call.params
    for name in required:
        if params.get(name) in (None, ""):
            raise _invalid_argument(f'Missing required parameter in input: "{name}"')
    for name, value in params.items():
        if value is None:
            continue
        if name in _STRING_PARAMS and not isinstance(value, str):
            raise _invalid_argument(f"Invalid type for parameter {name}: expected a string")
        if name in _INT_PARAMS and (not isinstance(value, int) or isinstance(value, bool)):
            raise _invalid_argument(f"Invalid type for parameter {name}: expected an integer")
    return params


def _valid_bucket_name(name: str) -> bool:
    """S3's rules for general purpose bucket names (S3 User Guide, "Bucket naming rules")."""
    if not _BUCKET_NAME.match(name) or ".." in name:
        return False
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


# --- authorization ---------------------------------------------------------------------------


def _context(
    call: Call, extra: Mapping[str, Any] | None = None, bucket: Bucket | None = None
) -> dict[str, Any]:
    """The condition keys every S3 request carries, plus the operation's own. The resource's
    account is the bucket owner's (the caller's, for a bucket that does not exist)."""
    account = _owner(call, bucket).account_id
    context: dict[str, Any] = {
        "aws:ResourceAccount": account,
        "s3:ResourceAccount": account,
        "s3:authType": "REST-HEADER",
        "s3:signatureversion": "AWS4-HMAC-SHA256",
        "s3:TlsVersion": "1.3",
    }
    if extra:
        context.update(extra)
    return context


def _authorize(
    call: Call,
    action: str,
    resource: str,
    bucket: Bucket | None,
    extra: Mapping[str, Any] | None = None,
) -> Decision:
    return call.authorize(
        action,
        resource,
        context=_context(call, extra, bucket),
        resource_policy=bucket.policy if bucket is not None else None,
        resource_account=_owner(call, bucket).account_id,
    )


def _find(call: Call, name: str) -> Bucket | None:
    """The bucket of that name in whichever of the world's accounts owns it: S3's bucket
    namespace is global (S3 User Guide, bucketnamingrules: "Bucket names must be unique across
    all AWS accounts in all the AWS Regions within a partition")."""
    found = call.state.buckets.get(name)
    if found is not None or not call.world.root.state.accounts:
        return found
    for account in call.world.accounts:
        found = account.state.buckets.get(name)
        if found is not None:
            return found
    return None


def _owner(call: Call, bucket: Bucket | None) -> Account:
    """The account that owns the bucket (the caller's when there is none). A request for a
    bucket of another account is a cross-account request: the bucket policy must allow it,
    and the caller's own identity policies too (IUG reference_policies_evaluation-logic-
    cross-account; S3 User Guide, example-walkthroughs-managing-access-example2)."""
    if bucket is None or call.state.buckets.get(bucket.name) is bucket:
        return call.world
    for account in call.world.accounts:
        if account.state.buckets.get(bucket.name) is bucket:
            return account
    return call.world


def _owner_only(call: Call, bucket: Bucket) -> None:
    """The bucket-policy operations answer an allowed caller of another account 405: "If you
    have the correct permissions, but you're not using an identity that belongs to the bucket
    owner's account, Amazon S3 returns a 405 Method Not Allowed error" (S3 API Reference,
    PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy); the text is S3's for the
    MethodNotAllowed code (S3 API Reference, ErrorResponses)."""
    if _owner(call, bucket) is not call.world:
        raise AwsError(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
            fields={"BucketName": bucket.name},
        )


def _missing_key(call: Call, bucket: Bucket, key: str) -> AwsError:
    """A missing key: NoSuchKey for a caller who may list the bucket, else AccessDenied.

    The ListBucket question is asked without keeping it as the call's decision when it allows:
    the call was a GetObject, and the event should explain that one. When it denies, its denial
    is the reason for the 403, so the error carries it (and its text names s3:ListBucket).
    """
    check = call.decide(
        "s3:ListBucket",
        bucket_arn(bucket.name),
        context=_context(call, None, bucket),
        resource_policy=bucket.policy,
        resource_account=_owner(call, bucket).account_id,
    )
    if call.decisions and call.decisions[-1] is check:
        call.decisions.pop()
    if check.allowed:
        return _no_such_key(key)
    return call.world.denied(check)


def _bucket(call: Call, name: str) -> Bucket:
    """The bucket, after authorization: NoSuchBucket if there is none."""
    bucket = _find(call, name)
    if bucket is None:
        raise _no_such_bucket(name)
    _check_owner(call, call.params.get("ExpectedBucketOwner"), bucket)
    return bucket


def _check_owner(call: Call, expected: Any, bucket: Bucket) -> None:
    if expected is not None and expected != _owner(call, bucket).account_id:
        raise AwsError("AccessDenied", "Access Denied", 403)


# --- buckets -----------------------------------------------------------------------------------


@operation("s3", "CreateBucket")
def create_bucket(call: Call) -> dict[str, Any]:
    params = _params(call, "Bucket")
    name: str = params["Bucket"]
    constraint = _location_constraint(params.get("CreateBucketConfiguration"))
    extra: dict[str, Any] = {}
    if constraint is not None:
        extra["s3:LocationConstraint"] = constraint
    if "ACL" in params:
        extra["s3:x-amz-acl"] = params["ACL"]
    if "ObjectOwnership" in params:
        extra["s3:x-amz-object-ownership"] = params["ObjectOwnership"]
    call.authorize(
        "s3:CreateBucket",
        bucket_arn(name),
        context=_context(call, extra),
        resource_account=call.state.account_id,
    )
    if not _valid_bucket_name(name):
        raise AwsError("InvalidBucketName", "The specified bucket is not valid.", 400)
    region = _bucket_region(call, constraint)
    state = call.state
    elsewhere = _find(call, name)
    if elsewhere is not None and _owner(call, elsewhere) is not call.world:
        # S3 API Reference, ErrorResponses: BucketAlreadyExists (409), its text word for word.
        raise AwsError(
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by "
            "all users of the system. Please select a different name and try again.",
            409,
            fields={"BucketName": name},
        )
    existing = state.buckets.get(name)
    if existing is not None:
        if state.region == "us-east-1" and existing.region == "us-east-1":
            # "For legacy compatibility, if you re-create an existing bucket that you already
            # own in the North Virginia Region, Amazon S3 returns 200 OK" (S3 API Reference).
            return {"Location": f"/{name}"}
        raise AwsError(
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            409,
            fields={"BucketName": name},
        )
    if len(state.buckets) >= MAX_BUCKETS:
        raise AwsError(
            "TooManyBuckets", "You have attempted to create more buckets than allowed", 400
        )
    state.buckets[name] = Bucket(name=name, region=region, created=state.now)
    if state.region == "us-east-1":
        return {"Location": f"/{name}"}
    return {"Location": f"http://{name}.s3.amazonaws.com/"}


def _location_constraint(configuration: Any) -> str | None:
    if configuration is None:
        return None
    constraint = configuration.get("LocationConstraint") if isinstance(configuration, dict) else 0
    if constraint is not None and not isinstance(constraint, str):
        raise _invalid_argument("Invalid type for parameter CreateBucketConfiguration")
    return constraint or None


def _bucket_region(call: Call, constraint: str | None) -> str:
    """Where the bucket goes, by S3's LocationConstraint rules for the endpoint's Region."""
    region = call.state.region
    if region == "us-east-1":
        # The us-east-1 endpoint takes no constraint for itself, and any other real Region.
        if constraint is None:
            return region
        if constraint == "EU":
            return "eu-west-1"
        if constraint == "us-east-1" or not _REGION.match(constraint):
            raise AwsError(
                "InvalidLocationConstraint", "The specified location-constraint is not valid", 400
            )
        return constraint
    if constraint is None:
        raise AwsError(
            "IllegalLocationConstraintException",
            "The unspecified location constraint is incompatible for the region specific "
            "endpoint this request was sent to.",
            400,
        )
    if constraint != region:
        raise AwsError(
            "IllegalLocationConstraintException",
            f"The {constraint} location constraint is incompatible for the region specific "
            "endpoint this request was sent to.",
            400,
        )
    return region


@operation("s3", "DeleteBucket")
def delete_bucket(call: Call) -> dict[str, Any]:
    name: str = _params(call, "Bucket")["Bucket"]
    found = _find(call, name)
    _authorize(call, "s3:DeleteBucket", bucket_arn(name), found)
    bucket = _bucket(call, name)
    if bucket.objects:
        raise AwsError(
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
            409,
            fields={"BucketName": name},
        )
    del _owner(call, bucket).state.buckets[name]
    return {}


@operation("s3", "ListBuckets")
def list_buckets(call: Call) -> dict[str, Any]:
    params = _params(call)
    # An action without resource-level permissions: the engine's text names no resource.
    call.authorize("s3:ListAllMyBuckets", "*", context=_context(call))
    prefix: str = params.get("Prefix") or ""
    region: str | None = params.get("BucketRegion")
    limit = params.get("MaxBuckets")
    if limit is not None and not 1 <= limit <= 10000:  # an int: _params checked
        raise _invalid_argument(
            "Argument max-buckets must be an integer between 1 and 10000", "max-buckets", limit
        )
    after = ""
    token = params.get("ContinuationToken")
    if token is not None:
        after = _decode_token(token)
    names = sorted(
        name
        for name, bucket in call.state.buckets.items()
        if name.startswith(prefix) and name > after and (region is None or bucket.region == region)
    )
    response: dict[str, Any] = {}
    if limit is not None and len(names) > limit:
        names = names[:limit]
        response["ContinuationToken"] = _encode_token(names[-1])
    buckets = call.state.buckets
    response["Buckets"] = [
        {"Name": name, "CreationDate": buckets[name].created, "BucketRegion": buckets[name].region}
        for name in names
    ]
    response["Owner"] = {"ID": canonical_user_id(call.state.account_id)}
    if "Prefix" in params:
        response["Prefix"] = prefix
    return response


@operation("s3", "HeadBucket")
def head_bucket(call: Call) -> dict[str, Any]:
    name: str = _params(call, "Bucket")["Bucket"]
    found = _find(call, name)
    _authorize(call, "s3:ListBucket", bucket_arn(name), found)
    bucket = _bucket(call, name)
    return {"BucketRegion": bucket.region, "AccessPointAlias": False}


@operation("s3", "GetBucketLocation")
def get_bucket_location(call: Call) -> dict[str, Any]:
    name: str = _params(call, "Bucket")["Bucket"]
    found = _find(call, name)
    _authorize(call, "s3:GetBucketLocation", bucket_arn(name), found)
    bucket = _bucket(call, name)
    # us-east-1 buckets have no location constraint: S3 answers an empty one (None in boto3).
    return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}


# --- objects -----------------------------------------------------------------------------------


def _body(value: Any) -> bytes:
    """PutObject's Body as botocore accepts it: bytes, str, or a file-like object."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    read = getattr(value, "read", None)
    if callable(read):
        try:
            data = read(MAX_OBJECT_SIZE + 1)
        except (OSError, ValueError, TypeError):
            data = None
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        if isinstance(data, bytes | bytearray):
            return bytes(data)
    raise AwsError("InvalidArgument", "The request body could not be read.", 400)


def _crc_table(polynomial: int) -> tuple[int, ...]:
    """The byte table of a reflected CRC with this (reversed) polynomial."""
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ polynomial if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


# The CRCs S3 takes that the standard library lacks (S3 User Guide, "Checking object
# integrity"): CRC32C (Castagnoli) and CRC64NVME, both reflected, initial value and final XOR
# all ones. Check values over b"123456789": 0xE3069283 and 0xAE8B14860A799888.
_CRC32C = (_crc_table(0x82F63B78), 0xFFFFFFFF, 4)
_CRC64NVME = (_crc_table(0x9A6C9329AC4BC9B5), 0xFFFFFFFFFFFFFFFF, 8)


def _crc(spec: tuple[tuple[int, ...], int, int], data: bytes) -> bytes:
    table, mask, size = spec
    value = mask
    for byte in data:
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return (value ^ mask).to_bytes(size, "big")


_CHECKSUMS: dict[str, Callable[[bytes], bytes]] = {
    "CRC32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "CRC32C": lambda data: _crc(_CRC32C, data),
    "CRC64NVME": lambda data: _crc(_CRC64NVME, data),
    "SHA1": lambda data: hashlib.sha1(data, usedforsecurity=False).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
}
DEFAULT_CHECKSUM = "CRC32"
"""What boto3 and the AWS CLI send with every upload unless told otherwise (botocore's
httpchecksum.DEFAULT_CHECKSUM_ALGORITHM, with request_checksum_calculation "when_supported").
The parameters reach the account before botocore adds it, so the account assumes it."""


def _checksum(algorithm: str, body: bytes) -> str:
    """A body's checksum as S3 writes it in x-amz-checksum-*: base64 of the digest."""
    return base64.b64encode(_CHECKSUMS[algorithm](body)).decode("ascii")


def _upload_checksum(params: Mapping[str, Any], body: bytes) -> dict[str, str]:
    """The checksum an upload is stored with, as PutObject echoes it, after checking the
    values the caller sent (S3 API Reference, PutObject: x-amz-checksum-*; a value that does
    not match is BadDigest, "The CRC32 you specified did not match the calculated checksum."
    as S3 answers it, aws/aws-sdk-ruby#3322, and "The sha256 you specified ..." for SHA-256,
    apache/arrow-rs-object-store#709; [UNCERTAIN] the spelling for CRC32C, CRC64NVME, SHA1).
    """
    md5 = params.get("ContentMD5")
    if isinstance(md5, str) and md5 != base64.b64encode(
        hashlib.md5(body, usedforsecurity=False).digest()
    ).decode("ascii"):
        raise AwsError(
            "BadDigest", "The Content-MD5 you specified did not match what we received.", 400
        )
    chosen: str | None = None
    for algorithm in _CHECKSUMS:
        sent = params.get(f"Checksum{algorithm}")
        if not isinstance(sent, str):
            continue
        if sent != _checksum(algorithm, body):
            shown = algorithm if algorithm.startswith("CRC") else algorithm.lower()
            raise AwsError(
                "BadDigest",
                f"The {shown} you specified did not match the calculated checksum.",
                400,
            )
        chosen = chosen or algorithm
    requested = params.get("ChecksumAlgorithm")
    if chosen is None:
        chosen = requested if requested in _CHECKSUMS else DEFAULT_CHECKSUM
    return {f"Checksum{chosen}": _checksum(chosen, body), "ChecksumType": "FULL_OBJECT"}


def _etag(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'


def _check_key(key: str) -> None:
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise AwsError("KeyTooLongError", "Your key is too long", 400)


def _write_context(params: Mapping[str, Any]) -> dict[str, Any]:
    """Condition keys of a write that the request headers set."""
    extra: dict[str, Any] = {}
    for param, key in (
        ("ACL", "s3:x-amz-acl"),
        ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
        ("SSEKMSKeyId", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
        ("StorageClass", "s3:x-amz-storage-class"),
        ("MetadataDirective", "s3:x-amz-metadata-directive"),
    ):
        if params.get(param) is not None:
            extra[key] = params[param]
    return extra


def _encryption(params: Mapping[str, Any]) -> str:
    """Every new object is encrypted: SSE-S3 (AES256) unless the request asks for KMS."""
    requested = params.get("ServerSideEncryption")
    return requested if isinstance(requested, str) and requested else "AES256"


def _make_room(state: State, bucket: Bucket, key: str, size: int) -> None:
    """Refuse an object that would take the account past MAX_OBJECTS or MAX_STORED_BYTES
    (RoleCall's limits, not S3's: said so in the message, with S3's InvalidRequest code)."""
    replaced = bucket.objects.get(key)
    count = sum(len(each.objects) for each in state.buckets.values()) + (replaced is None)
    stored = size - (len(replaced.body) if replaced is not None else 0)
    stored += sum(len(o.body) for each in state.buckets.values() for o in each.objects.values())
    if count > MAX_OBJECTS or stored > MAX_STORED_BYTES:
        raise AwsError(
            "InvalidRequest",
            f"This simulated account holds at most {MAX_OBJECTS} objects and "
            f"{MAX_STORED_BYTES // 1024} KiB in them, every bucket together (a RoleCall limit, "
            "not S3's): delete some objects first.",
            400,
        )


@operation("s3", "PutObject")
def put_object(call: Call) -> dict[str, Any]:
    params = _params(call, "Bucket", "Key")
    name: str = params["Bucket"]
    key: str = params["Key"]
    found = _find(call, name)
    _authorize(call, "s3:PutObject", object_arn(name, key), found, _write_context(params))
    bucket = _bucket(call, name)
    _check_key(key)
    body = _body(params.get("Body"))
    if len(body) > MAX_OBJECT_SIZE:
        # S3's code and text (S3 API Reference, "Error responses"), and why, since AWS would
        # take the upload: the limit is RoleCall's (MAX_OBJECT_SIZE).
        raise AwsError(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size: this simulated account "
            f"takes at most {MAX_OBJECT_SIZE // 1024} KiB in one object (a RoleCall limit, not "
            "S3's, which takes 5 GB: the account is saved whole on every change).",
            400,
            fields={"ProposedSize": str(len(body)), "MaxSizeAllowed": str(MAX_OBJECT_SIZE)},
        )
    sums = _upload_checksum(params, body)
    metadata = _user_metadata(params)
    storage_class = _storage_class(params)
    _make_room(_owner(call, bucket).state, bucket, key, len(body))
    etag = _etag(body)
    content_type = params.get("ContentType") or "binary/octet-stream"
    bucket.objects[key] = S3Object(
        key=key,
        body=body,
        etag=etag,
        last_modified=call.state.now,
        content_type=content_type,
        metadata=metadata,
        storage_class=storage_class,
        content_encoding=params.get("ContentEncoding") or None,
        website_redirect_location=params.get("WebsiteRedirectLocation") or None,
    )
    return {"ETag": etag, **sums, "ServerSideEncryption": _encryption(params)}


MAX_METADATA_BYTES = 2 * 1024
"""User-defined metadata: "Within the PUT request header, the user-defined metadata is limited
to 2 KB in size. The size of user-defined metadata is measured by taking the sum of the number
of bytes in the UTF-8 encoding of each key and value." (S3 User Guide, "Working with object
metadata")."""

# Storage classes a general purpose bucket takes (botocore's StorageClass enum, less those of
# other kinds of storage: S3 on Outposts, Snow, directory buckets, FSx, AWS Backup).
# [UNCERTAIN] S3's answer to those here: InvalidStorageClass, S3's code for "The storage class
# you specified is not valid" (S3 API Reference, "Error responses").
_STORAGE_CLASSES = frozenset(
    {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
     "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"}
)  # fmt: skip
_ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
"""Classes whose objects must be restored before GetObject reads them (S3 API Reference,
GetObject: "If the object you are retrieving is stored in the S3 Glacier Flexible Retrieval
storage class, the S3 Glacier Deep Archive storage class ... before you can retrieve the object
you must first restore a copy ... Otherwise, this operation returns an InvalidObjectState
error")."""


def _user_metadata(params: Mapping[str, Any]) -> dict[str, str]:
    """The request's Metadata (x-amz-meta-*), as S3 keeps it: keys in lower case, since they
    travel as HTTP headers and come back so."""
    value = params.get("Metadata")
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _invalid_argument("Invalid type for parameter Metadata")
    metadata = {key.lower(): item for key, item in value.items()}
    size = sum(len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass"))
               for k, v in metadata.items())  # fmt: skip
    if size > MAX_METADATA_BYTES:
        # S3 API Reference, "Error responses": MetadataTooLarge, its text word for word.
        raise AwsError(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            400,
            fields={"Size": str(size), "MaxSizeAllowed": str(MAX_METADATA_BYTES)},
        )
    return metadata


def _storage_class(params: Mapping[str, Any]) -> str:
    value = params.get("StorageClass")
    if value is None or value == "":
        return "STANDARD"
    if value not in _STORAGE_CLASSES:
        raise AwsError("InvalidStorageClass", "The storage class you specified is not valid", 400)
    return str(value)


def _object_for_read(call: Call) -> tuple[Bucket, S3Object]:
    """GetObject's and HeadObject's shared path: authorize, find the bucket, find the key."""
    params = _params(call, "Bucket", "Key")
    name: str = params["Bucket"]
    key: str = params["Key"]
    found = _find(call, name)
    _authorize(call, "s3:GetObject", object_arn(name, key), found)
    bucket = _bucket(call, name)
    obj = bucket.objects.get(key)
    if obj is None:
        raise _missing_key(call, bucket, key)
    return bucket, obj


def _when(value: Any, name: str) -> datetime:
    """A timestamp parameter as botocore takes it (a datetime, naive ones being UTC; seconds
    since the epoch; or an ISO 8601 or HTTP date string), aware, to the second: it travels in
    an HTTP-date header, which has no fractions of a second."""
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        when = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when is None:
        raise _invalid_argument(f"Invalid type for parameter {name}: expected a timestamp")
    return when.replace(microsecond=0)


def _etag_matches(header: str, etag: str) -> bool:
    """If-Match's and If-None-Match's comparison: "*" or any of a comma-separated list of
    entity tags, quoted or not (RFC 7232, sections 3.1 and 3.2)."""
    wanted = {part.strip().strip('"') for part in header.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


def _precondition_failed(condition: str) -> AwsError:
    """S3's PreconditionFailed, 412 (S3 API Reference, "Error responses"), with the text S3
    sends and the header that did not hold in Condition."""
    return AwsError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        fields={"Condition": condition},
    )


def _check_preconditions(params: Mapping[str, Any], obj: S3Object) -> None:
    """GetObject's and HeadObject's conditional headers (S3 API Reference, GetObject and
    HeadObject, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, after
    RFC 7232): If-Match false or If-Unmodified-Since false is 412 PreconditionFailed;
    If-None-Match false or If-Modified-Since false is 304 Not Modified. "If-Match condition
    evaluates to true, and; If-Unmodified-Since condition evaluates to false; then, S3 returns
    200 OK" and "If-None-Match condition evaluates to false, and; If-Modified-Since condition
    evaluates to true; then, S3 returns 304 Not Modified": the entity tag decides when both
    are given (RFC 7232 section 6's order, 412s before 304s). A 304 has no body, so botocore
    reads it as it reads any bodiless error, by its status: Code "304", Message "Not Modified"
    (botocore parsers._parse_error_from_http_status)."""
    modified = obj.last_modified.replace(microsecond=0)
    if params.get("IfMatch") is not None:
        if not _etag_matches(params["IfMatch"], obj.etag):
            raise _precondition_failed("If-Match")
    elif params.get("IfUnmodifiedSince") is not None and modified > _when(
        params["IfUnmodifiedSince"], "IfUnmodifiedSince"
    ):
        raise _precondition_failed("If-Unmodified-Since")
    not_modified = AwsError("304", "Not Modified", 304)
    if params.get("IfNoneMatch") is not None:
        if _etag_matches(params["IfNoneMatch"], obj.etag):
            raise not_modified
    elif params.get("IfModifiedSince") is not None and modified <= _when(
        params["IfModifiedSince"], "IfModifiedSince"
    ):
        raise not_modified


def _check_copy_preconditions(params: Mapping[str, Any], source: S3Object) -> None:
    """CopyObject's x-amz-copy-source-if-* headers (S3 API Reference, CopyObject): the same
    four tests on the source object, every failure 412 PreconditionFailed ("If both the
    x-amz-copy-source-if-none-match and x-amz-copy-source-if-modified-since headers are
    present ... and x-amz-copy-source-if-none-match condition evaluates to false ... Amazon S3
    returns the 412 Precondition Failed response code"); If-Match true wins over
    If-Unmodified-Since false ("returns 200 OK and copies the data").
    [UNCERTAIN] the Condition field's spelling for these headers."""
    modified = source.last_modified.replace(microsecond=0)
    if params.get("CopySourceIfMatch") is not None:
        if not _etag_matches(params["CopySourceIfMatch"], source.etag):
            raise _precondition_failed("x-amz-copy-source-If-Match")
    elif params.get("CopySourceIfUnmodifiedSince") is not None:
        when = _when(params["CopySourceIfUnmodifiedSince"], "CopySourceIfUnmodifiedSince")
        if modified > when:
            raise _precondition_failed("x-amz-copy-source-If-Unmodified-Since")
    if params.get("CopySourceIfNoneMatch") is not None:
        if _etag_matches(params["CopySourceIfNoneMatch"], source.etag):
            raise _precondition_failed("x-amz-copy-source-If-None-Match")
    elif params.get("CopySourceIfModifiedSince") is not None:
        when = _when(params["CopySourceIfModifiedSince"], "CopySourceIfModifiedSince")
        if modified <= when:
            raise _precondition_failed("x-amz-copy-source-If-Modified-Since")


def _archived(obj: S3Object) -> AwsError | None:
    """InvalidObjectState for an object in an archive class, which must be restored before it
    is read or copied (see _ARCHIVED; S3 API Reference, CopyObject: "you can't copy an object
    from ... S3 Glacier Flexible Retrieval ... or S3 Glacier Deep Archive storage class"
    without restoring it first). The text is S3's for this error ([UNCERTAIN] word for word,
    as S3 is reported to send it)."""
    if obj.storage_class not in _ARCHIVED:
        return None
    return AwsError(
        "InvalidObjectState",
        "The operation is not valid for the object's storage class",
        403,
        fields={"StorageClass": obj.storage_class},
    )


def _metadata(obj: S3Object) -> dict[str, Any]:
    """What GetObject and HeadObject say of the object. x-amz-storage-class is left out for
    STANDARD objects (S3 API Reference, HeadObject: "Amazon S3 returns this header for all
    objects except for S3 Standard storage class objects")."""
    response: dict[str, Any] = {
        "AcceptRanges": "bytes",
        "LastModified": obj.last_modified,
        "ContentLength": len(obj.body),
        "ETag": obj.etag,
        "ContentType": obj.content_type,
    }
    if obj.content_encoding is not None:
        response["ContentEncoding"] = obj.content_encoding
    if obj.website_redirect_location is not None:
        response["WebsiteRedirectLocation"] = obj.website_redirect_location
    response["ServerSideEncryption"] = "AES256"
    response["Metadata"] = dict(obj.metadata)
    if obj.storage_class != "STANDARD":
        response["StorageClass"] = obj.storage_class
    return response


def _byte_range(header: Any, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a Range header asks for, or None for the whole object.

    As S3 does, a header it cannot read is ignored; one it can read but not satisfy is an error.
    """
    if not isinstance(header, str):
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise _invalid_range(header, size)
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise _invalid_range(header, size)
    return start, end


def _invalid_range(header: str, size: int) -> AwsError:
    return AwsError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"RangeRequested": header, "ActualObjectSize": str(size)},
    )


def _span(params: Mapping[str, Any], size: int) -> tuple[int, int] | None:
    """The bytes a read asks for by Range or PartNumber (None: the whole object).

    Every object here was uploaded in one PutObject, so it is a single part: PartNumber 1 is
    the whole object, answered as a range (206 with Content-Range, S3 API Reference, GetObject
    "partNumber ... Effectively performs a 'ranged' GET request for the part specified"); a
    higher part does not exist. [UNCERTAIN] the texts of InvalidPartNumber and of Range with
    partNumber, not found in AWS's documentation; these are the texts S3 is reported to send.
    """
    part = params.get("PartNumber")
    if part is None:
        return _byte_range(params.get("Range"), size)
    if params.get("Range") is not None:
        raise AwsError(
            "InvalidRequest", "Cannot specify both Range header and partNumber query parameter", 400
        )
    if part < 1 or part > 10000:
        raise _invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", part
        )
    if part != 1 or size == 0:
        raise AwsError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
    return 0, size - 1


# GetObject's response-header overrides (S3 API Reference, GetObject, "Overriding response
# header values through the request"): each sets the header it names in this response only.
_OVERRIDES = (
    ("ResponseCacheControl", "CacheControl"),
    ("ResponseContentDisposition", "ContentDisposition"),
    ("ResponseContentEncoding", "ContentEncoding"),
    ("ResponseContentLanguage", "ContentLanguage"),
    ("ResponseContentType", "ContentType"),
    ("ResponseExpires", "Expires"),
)


@operation("s3", "GetObject")
def get_object(call: Call) -> dict[str, Any]:
    _, obj = _object_for_read(call)
    archived = _archived(obj)
    if archived is not None:
        raise archived
    _check_preconditions(call.params, obj)
    response, (start, end) = _ranged(call, obj)
    _with_checksum(call, obj, response)
    response["Body"] = obj.body[start : end + 1]
    for param, header in _OVERRIDES:
        if call.params.get(param) is not None:
            response[header] = call.params[param]
    return response


def _ranged(call: Call, obj: S3Object) -> tuple[dict[str, Any], tuple[int, int]]:
    """The object's metadata narrowed to the part or range the request asks for, and the
    first and last byte of it."""
    response = _metadata(obj)
    size = len(obj.body)
    span = _span(call.params, size)
    if span is None:
        return response, (0, size - 1)
    start, end = span
    response["ContentLength"] = end - start + 1
    response["ContentRange"] = f"bytes {start}-{end}/{size}"
    if call.params.get("PartNumber") is not None:
        response["PartsCount"] = 1  # [UNCERTAIN] whether S3 sends it for a one-part upload
    return response, span


def _with_checksum(call: Call, obj: S3Object, response: dict[str, Any]) -> dict[str, Any]:
    """With ChecksumMode ENABLED, a whole-object read carries the object's checksum (S3 API
    Reference, GetObject: "ChecksumMode ... you must enable checksum mode").

    [UNCERTAIN] The account keeps no record of the algorithm an object was uploaded with, so it
    answers the SDK's default one (CRC32), which every boto3 and AWS CLI upload uses unless
    told otherwise."""
    if call.params.get("ChecksumMode") == "ENABLED" and "ContentRange" not in response:
        response[f"Checksum{DEFAULT_CHECKSUM}"] = _checksum(DEFAULT_CHECKSUM, obj.body)
        response["ChecksumType"] = "FULL_OBJECT"
    return response


@operation("s3", "HeadObject")
def head_object(call: Call) -> dict[str, Any]:
    """Authorized by s3:GetObject (iam-facts §8); errors have no body (the adapter's "403")."""
    _, obj = _object_for_read(call)
    _check_preconditions(call.params, obj)
    return _with_checksum(call, obj, _ranged(call, obj)[0])


@operation("s3", "DeleteObject")
def delete_object(call: Call) -> dict[str, Any]:
    params = _params(call, "Bucket", "Key")
    name: str = params["Bucket"]
    key: str = params["Key"]
    found = _find(call, name)
    _authorize(call, "s3:DeleteObject", object_arn(name, key), found)
    bucket = _bucket(call, name)
    bucket.objects.pop(key, None)  # deleting a key that is not there succeeds
    return {}


# botocore's handlers.VERSION_ID_SUFFIX: the one part of a string CopySource it does not encode.
_VERSION_ID_SUFFIX = re.compile(r"\?versionId=[^\s]+$")


MAX_DELETE_KEYS = 1000
"""Keys in one DeleteObjects request (S3 API Reference, DeleteObjects: "up to 1,000 keys")."""


@operation("s3", "DeleteObjects")
def delete_objects(call: Call) -> dict[str, Any]:
    """Each key is its own s3:DeleteObject decision (S3 API Reference, DeleteObjects): a key
    the caller may not delete is reported in Errors as AccessDenied, "Access Denied", and the
    others are deleted. A key that is not there counts as deleted, as DeleteObject's does.
    Quiet mode reports only the errors."""
    params = _params(call, "Bucket", "Delete")
    name: str = params["Bucket"]
    delete = params["Delete"]
    objects = delete.get("Objects") if isinstance(delete, Mapping) else None
    if (
        not isinstance(objects, list)
        or not objects
        or len(objects) > MAX_DELETE_KEYS
        or not all(isinstance(o, Mapping) and isinstance(o.get("Key"), str) for o in objects)
    ):
        # S3 API Reference, "Error responses": MalformedXML, its text word for word.
        raise AwsError(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
            400,
        )
    bucket = _find(call, name)
    if bucket is None:
        raise _no_such_bucket(name)  # [UNCERTAIN] S3's order: no one key's decision to ask first
    _check_owner(call, params.get("ExpectedBucketOwner"), bucket)
    owner = _owner(call, bucket).account_id
    quiet = bool(delete.get("Quiet"))
    deleted: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for entry in objects:
        key: str = entry["Key"]
        version = entry.get("VersionId")
        decision = call.decide(
            "s3:DeleteObject", object_arn(name, key), context=_context(call, None, bucket),
            resource_policy=bucket.policy, resource_account=owner,
        )  # fmt: skip
        if not decision.allowed:
            errors.append({"Key": key, "Code": "AccessDenied", "Message": "Access Denied"})
            continue
        if version is not None and version != "null":
            errors.append(
                {"Key": key, "VersionId": version, "Code": "NoSuchVersion",
                 "Message": "The specified version does not exist."}
            )  # fmt: skip
            continue
        bucket.objects.pop(key, None)
        if not quiet:
            deleted.append({"Key": key} if version is None else {"Key": key, "VersionId": version})
    response: dict[str, Any] = {}
    if deleted:
        response["Deleted"] = deleted
    if errors:
        response["Errors"] = errors
    return response


@operation("s3", "GetObjectAttributes")
def get_object_attributes(call: Call) -> dict[str, Any]:
    """Needs s3:GetObject and s3:GetObjectAttributes for an unversioned object (S3 API
    Reference, GetObjectAttributes, "Permissions"); a missing key is NoSuchKey only for a
    caller allowed s3:ListBucket, as GetObject's is.

    Every object here is one part: ObjectParts is left out. [UNCERTAIN] S3 writes the ETag
    here without the quotes the other operations put around it (what S3 is reported to send;
    the reference's example is a multipart object's)."""
    params = _params(call, "Bucket", "Key", "ObjectAttributes")
    name: str = params["Bucket"]
    key: str = params["Key"]
    wanted = params["ObjectAttributes"]
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise _invalid_argument("Invalid type for parameter ObjectAttributes")
    found = _find(call, name)
    _authorize(call, "s3:GetObject", object_arn(name, key), found)
    _authorize(call, "s3:GetObjectAttributes", object_arn(name, key), found)
    bucket = _bucket(call, name)
    _check_version(params.get("VersionId"))
    unknown = set(wanted) - {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}
    if unknown:
        raise _invalid_argument("Invalid attribute name specified.")  # [UNCERTAIN] the text
    obj = bucket.objects.get(key)
    if obj is None:
        raise _missing_key(call, bucket, key)
    response: dict[str, Any] = {"LastModified": obj.last_modified}
    if "ETag" in wanted:
        response["ETag"] = obj.etag.strip('"')
    if "Checksum" in wanted:
        response["Checksum"] = {
            f"Checksum{DEFAULT_CHECKSUM}": _checksum(DEFAULT_CHECKSUM, obj.body),
            "ChecksumType": "FULL_OBJECT",
        }
    if "StorageClass" in wanted:
        response["StorageClass"] = obj.storage_class
    if "ObjectSize" in wanted:
        response["ObjectSize"] = len(obj.body)
    return response


def _copy_source(value: Any) -> tuple[str, str, str | None]:
    """CopySource as botocore takes it: "bucket/key[?versionId=id]" or {"Bucket", "Key",
    "VersionId"}: (bucket, key, version id or None).

    The parameters arrive as the caller passed them, before botocore encodes them. botocore
    percent-encodes a string CopySource whole except a trailing `?versionId=...`
    (handlers._quote_source_header), and S3 decodes the header it receives ("The value must be
    URL-encoded", S3 API Reference, CopyObject): so S3 reads the key as the caller wrote it,
    a `?` or a `%2F` included, and only the suffix names a version.
    """
    version: Any = None
    if isinstance(value, Mapping):
        bucket, key, version = value.get("Bucket"), value.get("Key"), value.get("VersionId")
    elif isinstance(value, str):
        text = value
        suffix = _VERSION_ID_SUFFIX.search(text)
        if suffix is not None:
            text, version = text[: suffix.start()], text[suffix.start() + len("?versionId=") :]
        bucket, _, key = text.lstrip("/").partition("/")
    else:
        bucket = key = None
    if not (isinstance(bucket, str) and isinstance(key, str) and bucket and key):
        raise _invalid_argument("Invalid copy source object key")
    if version is not None and not isinstance(version, str):
        raise _invalid_argument("Invalid type for parameter CopySource.VersionId")
    return bucket, key, version


def _check_version(version: str | None) -> None:
    """Buckets here are never versioned: their objects' version ID is "null" (S3 User Guide,
    "Working with objects in a versioning-suspended bucket"). [UNCERTAIN] the code and text
    S3 answers for another ID in an unversioned bucket."""
    if version is not None and version != "null":
        raise _invalid_argument("Invalid version id specified")


@operation("s3", "CopyObject")
def copy_object(call: Call) -> dict[str, Any]:
    params = _params(call, "Bucket", "Key", "CopySource")
    source_name, source_key, source_version = _copy_source(params["CopySource"])
    name: str = params["Bucket"]
    key: str = params["Key"]
    source_bucket = _find(call, source_name)
    _authorize(call, "s3:GetObject", object_arn(source_name, source_key), source_bucket)
    extra = _write_context(params)
    extra["s3:x-amz-copy-source"] = f"{source_name}/{source_key}"
    target = _find(call, name)
    _authorize(call, "s3:PutObject", object_arn(name, key), target, extra)
    if source_bucket is None:
        raise _no_such_bucket(source_name)
    bucket = _bucket(call, name)
    _check_owner(call, params.get("ExpectedSourceBucketOwner"), source_bucket)
    _check_key(key)
    _check_version(source_version)
    source = source_bucket.objects.get(source_key)
    if source is None:
        raise _missing_key(call, source_bucket, source_key)
    archived = _archived(source)
    if archived is not None:
        raise archived
    _check_copy_preconditions(params, source)
    replace = params.get("MetadataDirective") == "REPLACE"
    if (
        (source_name, source_key) == (name, key)
        and not replace
        and not (
            params.get("StorageClass")
            or params.get("ServerSideEncryption")
            or params.get("WebsiteRedirectLocation")
        )
    ):
        raise AwsError(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes.",
            400,
        )
    # MetadataDirective COPY (the default) keeps the source's metadata, REPLACE takes the
    # request's (S3 API Reference, CopyObject, x-amz-metadata-directive). The storage class is
    # STANDARD unless the request names one, and the website redirect location "is not copied"
    # (CopyObject, x-amz-storage-class and x-amz-website-redirect-location).
    content_type, encoding, metadata = (
        source.content_type, source.content_encoding, dict(source.metadata)
    )  # fmt: skip
    if replace:
        content_type = params.get("ContentType") or "binary/octet-stream"
        encoding = params.get("ContentEncoding") or None
        metadata = _user_metadata(params)
    storage_class = _storage_class(params)
    _make_room(_owner(call, bucket).state, bucket, key, len(source.body))
    copy = S3Object(
        key=key,
        body=source.body,
        etag=source.etag,
        last_modified=call.state.now,
        content_type=content_type,
        metadata=metadata,
        storage_class=storage_class,
        content_encoding=encoding,
        website_redirect_location=params.get("WebsiteRedirectLocation") or None,
    )
    bucket.objects[key] = copy
    # The copy's checksum: the algorithm ChecksumAlgorithm names, else the source's (S3 API
    # Reference, CopyObject, x-amz-checksum-algorithm: "When you copy an object, if the source
    # object has a checksum, that checksum value will be copied to the new object by
    # default"). [UNCERTAIN] The account keeps no record of the algorithm an object was
    # uploaded with (see _with_checksum): the source's is taken to be the SDK's default.
    requested = params.get("ChecksumAlgorithm")
    algorithm = requested if requested in _CHECKSUMS else DEFAULT_CHECKSUM
    result: dict[str, Any] = {
        "ETag": copy.etag,
        "LastModified": copy.last_modified,
        "ChecksumType": "FULL_OBJECT",
        f"Checksum{algorithm}": _checksum(algorithm, copy.body),
    }
    return {
        "CopyObjectResult": result,
        "ServerSideEncryption": _encryption(params),
    }


# --- listing -----------------------------------------------------------------------------------


def _encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        raise _invalid_argument(
            "The continuation token provided is incorrect", "continuation-token", token
        ) from None


def _list_context(params: Mapping[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "Prefix" in params:
        extra["s3:prefix"] = params["Prefix"]
    if "Delimiter" in params:
        extra["s3:delimiter"] = params["Delimiter"]
    if "MaxKeys" in params:
        extra["s3:max-keys"] = str(params["MaxKeys"])
    return extra


def _walk(
    bucket: Bucket, *, prefix: str, delimiter: str, after: str, max_keys: int
) -> tuple[list[S3Object], list[str], bool]:
    """Keys after `after` (and not under `after` when it is a common prefix), grouped by the
    delimiter: (objects, common prefixes, truncated)."""
    objects: list[S3Object] = []
    prefixes: list[str] = []
    seen: set[str] = set()
    if max_keys == 0:
        return objects, prefixes, False
    skip_under = after if delimiter and after.endswith(delimiter) else None
    for key in sorted(bucket.objects):
        if not key.startswith(prefix) or key <= after:
            continue
        if skip_under is not None and key.startswith(skip_under):
            continue
        common: str | None = None
        if delimiter:
            index = key.find(delimiter, len(prefix))
            if index >= 0:
                common = key[: index + len(delimiter)]
        if common is not None and common in seen:
            continue
        if len(objects) + len(prefixes) >= max_keys:
            return objects, prefixes, True
        if common is not None:
            seen.add(common)
            prefixes.append(common)
        else:
            objects.append(bucket.objects[key])
    return objects, prefixes, False


def _max_keys(params: Mapping[str, Any]) -> int:
    value = params.get("MaxKeys", MAX_LIST_KEYS)
    if not isinstance(value, int) or value < 0:
        raise _invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", value
        )
    return min(value, MAX_LIST_KEYS)


def _entry(obj: S3Object, *, url: bool, owner: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": quote(obj.key, safe="/") if url else obj.key,
        "LastModified": obj.last_modified,
        "ETag": obj.etag,
        "Size": len(obj.body),
        "StorageClass": obj.storage_class,
    }
    if owner is not None:
        entry["Owner"] = {"ID": owner}
    return entry


def _listing(call: Call) -> Bucket:
    params = _params(call, "Bucket")
    name: str = params["Bucket"]
    found = _find(call, name)
    _authorize(call, "s3:ListBucket", bucket_arn(name), found, _list_context(params))
    if params.get("EncodingType") not in (None, "url"):
        raise _invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            params.get("EncodingType"),
        )
    return _bucket(call, name)


@operation("s3", "ListObjectsV2")
def list_objects_v2(call: Call) -> dict[str, Any]:
    """s3:ListBucket on the BUCKET's ARN (iam-facts §8), with s3:prefix, s3:delimiter, s3:max-keys."""
    params = call.params
    bucket = _listing(call)
    prefix: str = params.get("Prefix") or ""
    delimiter: str = params.get("Delimiter") or ""
    max_keys = _max_keys(params)
    after: str = params.get("StartAfter") or ""
    token = params.get("ContinuationToken")
    if token is not None:
        # An empty token is no token S3 gave: refused like any other it cannot read (real S3
        # to boto3, minio/minio#5931), where a missing one starts the listing.
        if not token:
            raise _invalid_argument(
                "The continuation token provided is incorrect", "continuation-token", token
            )
        after = max(after, _decode_token(token))
    objects, prefixes, truncated = _walk(
        bucket, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys
    )
    url = params.get("EncodingType") == "url"
    owner = canonical_user_id(_owner(call, bucket).account_id) if params.get("FetchOwner") else None
    response: dict[str, Any] = {"IsTruncated": truncated, "Name": bucket.name}
    if objects:
        response["Contents"] = [_entry(obj, url=url, owner=owner) for obj in objects]
    response["Prefix"] = _encoded(prefix, url)
    if delimiter:
        response["Delimiter"] = _encoded(delimiter, url)
    response["MaxKeys"] = max_keys
    if prefixes:
        response["CommonPrefixes"] = [{"Prefix": _encoded(p, url)} for p in prefixes]
    if url:
        response["EncodingType"] = "url"
    response["KeyCount"] = len(objects) + len(prefixes)
    if token is not None:
        response["ContinuationToken"] = token
    if truncated:
        last = max([obj.key for obj in objects] + prefixes)
        response["NextContinuationToken"] = _encode_token(last)
    if "StartAfter" in params and token is None:
        # With a token the listing continues from it, and S3 leaves StartAfter out (S3 API
        # Reference, ListObjectsV2: "StartAfter ... If StartAfter was sent with the request, it
        # is included in the response"; [UNCERTAIN] the omission alongside a token is what
        # real S3 answered to an emulator's test suite, issue 13, not documented).
        response["StartAfter"] = _encoded(params["StartAfter"], url)
    return response


@operation("s3", "ListObjects")
def list_objects(call: Call) -> dict[str, Any]:
    """The original listing (boto3's `bucket.objects.all()`), by Marker rather than token."""
    params = call.params
    bucket = _listing(call)
    prefix: str = params.get("Prefix") or ""
    delimiter: str = params.get("Delimiter") or ""
    marker: str = params.get("Marker") or ""
    max_keys = _max_keys(params)
    objects, prefixes, truncated = _walk(
        bucket, prefix=prefix, delimiter=delimiter, after=marker, max_keys=max_keys
    )
    url = params.get("EncodingType") == "url"
    owner = canonical_user_id(_owner(call, bucket).account_id)
    response: dict[str, Any] = {
        "IsTruncated": truncated,
        "Marker": _encoded(marker, url),
        "Name": bucket.name,
        "Prefix": _encoded(prefix, url),
        "MaxKeys": max_keys,
    }
    if objects:
        response["Contents"] = [_entry(obj, url=url, owner=owner) for obj in objects]
    if delimiter:
        response["Delimiter"] = _encoded(delimiter, url)
        if truncated:
            response["NextMarker"] = _encoded(max([o.key for o in objects] + prefixes), url)
    if prefixes:
        response["CommonPrefixes"] = [{"Prefix": _encoded(p, url)} for p in prefixes]
    if url:
        response["EncodingType"] = "url"
    return response


def _encoded(text: str, url: bool) -> str:
    return quote(text, safe="/") if url else text


# --- bucket policies ---------------------------------------------------------------------------


def _owned_bucket(call: Call, action: str) -> Bucket:
    """The bucket of a bucket-configuration call (its policy, its public access block):
    authorized as `action`, then found, then refused to a caller of another account."""
    name: str = _params(call, "Bucket")["Bucket"]
    _authorize(call, action, bucket_arn(name), _find(call, name))
    bucket = _bucket(call, name)
    _owner_only(call, bucket)
    return bucket


@operation("s3", "PutBucketPolicy")
def put_bucket_policy(call: Call) -> dict[str, Any]:
    text: str = _params(call, "Bucket", "Policy")["Policy"]
    bucket = _owned_bucket(call, "s3:PutBucketPolicy")
    name = bucket.name
    _validate_bucket_policy(call, bucket.name, text)
    blocked = bucket.public_access_block or {}
    if blocked.get("BlockPublicPolicy") and is_public_policy(loads_text(text)):
        # Real outputs of this refusal (terraform's, the CLI's) quote it so.
        raise AwsError(
            "AccessDenied",
            f"User: {call.caller.arn} is not authorized to perform: s3:PutBucketPolicy on "
            f'resource: "{bucket_arn(name)}" because public policies are blocked by the '
            "BlockPublicPolicy block public access setting.",
            403,
        )
    bucket.policy = text
    return {}


# --- Block Public Access -----------------------------------------------------------------------
# A bucket policy is public when it grants to everyone ("*") without fixing, in a condition,
# one of the keys that narrow "everyone" to someone known (S3 User Guide,
# access-control-block-public-access.html, "The meaning of public"): an account, an
# organization, a source address, network or service. A value with a wildcard fixes nothing;
# nor does an …IfExists or a negated operator, which let requests without the key in.
_NARROWING_KEYS = frozenset({
    "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
    "aws:sourceaccount", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
    "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
})  # fmt: skip
_FIXING_OPERATORS = frozenset({
    "stringequals", "stringequalsignorecase", "arnequals", "arnlike", "stringlike", "ipaddress",
})  # fmt: skip
_EVERYWHERE = frozenset({"0.0.0.0/0", "::/0"})


def is_public_policy(document: Any) -> bool:
    """Whether a bucket policy grants to everyone, as S3's Block Public Access judges it."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if _to_everyone(statement.get("Principal")) and not _narrowed(statement.get("Condition")):
            return True
    return False


def _to_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS")
        return "*" in (values if isinstance(values, list) else [values])
    return False


def _narrowed(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        name = str(operator).lower()
        if name not in _FIXING_OPERATORS or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            fixed = [str(v) for v in (values if isinstance(values, list) else [values])]
            if (
                str(key).lower() in _NARROWING_KEYS
                and fixed
                and not any("*" in v or "?" in v or v in _EVERYWHERE for v in fixed)
            ):
                return True
    return False


@operation("s3", "GetPublicAccessBlock")
def get_public_access_block(call: Call) -> dict[str, Any]:
    bucket = _owned_bucket(call, "s3:GetBucketPublicAccessBlock")
    if bucket.public_access_block is None:
        raise AwsError(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            404,
            fields={"BucketName": bucket.name},
        )
    return {"PublicAccessBlockConfiguration": dict(bucket.public_access_block)}


@operation("s3", "PutPublicAccessBlock")
def put_public_access_block(call: Call) -> dict[str, Any]:
    """The four settings, each false unless given (S3 API Reference, PutPublicAccessBlock)."""
    given = _params(call, "Bucket", "PublicAccessBlockConfiguration")["PublicAccessBlockConfiguration"]  # fmt: skip
    bucket = _owned_bucket(call, "s3:PutBucketPublicAccessBlock")
    bucket.public_access_block = {
        setting: bool(given.get(setting, False)) for setting in PUBLIC_ACCESS_SETTINGS
    }
    return {}


@operation("s3", "DeletePublicAccessBlock")
def delete_public_access_block(call: Call) -> dict[str, Any]:
    """Authorized as s3:PutBucketPublicAccessBlock, as the Service Authorization Reference lists it."""
    _owned_bucket(call, "s3:PutBucketPublicAccessBlock").public_access_block = None
    return {}


@operation("s3", "GetBucketPolicy")
def get_bucket_policy(call: Call) -> dict[str, Any]:
    bucket = _owned_bucket(call, "s3:GetBucketPolicy")
    if bucket.policy is None:
        raise AwsError(
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
            404,
            fields={"BucketName": bucket.name},
        )
    return {"Policy": bucket.policy}


@operation("s3", "DeleteBucketPolicy")
def delete_bucket_policy(call: Call) -> dict[str, Any]:
    bucket = _owned_bucket(call, "s3:DeleteBucketPolicy")
    bucket.policy = None  # deleting a policy that is not there succeeds (204)
    return {}


def _validate_bucket_policy(call: Call, bucket: str, text: str) -> None:
    """Refuse what S3 refuses, with S3's MalformedPolicy texts, in the order S3 checks.

    Then the engine's own grammar must accept it too, so that a stored policy always takes
    part in decisions (an unreadable one would silently count for nothing).
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_SIZE:
        raise _malformed("Policy exceeds the maximum allowed document size.")
    if not text.lstrip(" \t\r\n").startswith("{"):
        raise _malformed("Policies must be valid JSON and the first byte must be '{'")
    try:
        document = loads_text(text)
    except (ValueError, RecursionError):
        raise _malformed("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise _malformed("This policy contains invalid Json")
    for field in document:
        if field not in POLICY_ELEMENTS:
            raise _malformed(f"Unknown field {field}")
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise _malformed("The policy must contain a valid version string")
    if "Id" in document and not isinstance(document["Id"], str):
        raise _malformed("Invalid policy syntax.")
    if "Statement" not in document:
        raise _malformed("Missing required field Statement")
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise _malformed("Invalid policy syntax.")
    if not statements:
        raise _malformed("Could not parse the policy: Statement is empty!")
    for statement in statements:
        _validate_statement(call, bucket, statement)
    try:
        Policy.from_json(text, name="bucket policy", kind=PolicyKind.RESOURCE)
    except (PolicyGrammarError, ValueError, RecursionError):
        raise _malformed("Invalid policy syntax.") from None


def _validate_statement(call: Call, bucket: str, statement: Any) -> None:
    if not isinstance(statement, dict):
        raise _malformed("Invalid policy syntax.")
    for field in statement:
        if field not in STATEMENT_ELEMENTS:
            raise _malformed(f"Unknown field {field}")
    for element in ("Principal", "Action", "Resource"):
        if element in statement and f"Not{element}" in statement:
            raise _malformed(f"Statement/policy already has instance of {element}")
    effect = statement.get("Effect")
    if effect is None:
        raise _malformed("Missing required field Effect")
    if effect not in EFFECTS:
        shown = effect if isinstance(effect, str) else json.dumps(effect)
        raise _malformed(f"Invalid effect: {shown}")
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise _malformed("Invalid policy syntax.")
    principal = statement.get("Principal", statement.get("NotPrincipal"))
    if principal is None:
        raise _malformed("Missing required field Principal")
    if not _valid_principal(call, principal):
        raise _malformed("Invalid principal in policy")
    actions = _string_list(statement.get("Action", statement.get("NotAction")), "Action")
    for action in actions:
        if not _known_action(action):
            raise _malformed("Policy has invalid action")
    resources = _string_list(statement.get("Resource", statement.get("NotResource")), "Resource")
    for resource in resources:
        if not _resource_of_bucket(resource, bucket):
            raise _malformed("Policy has invalid resource")
    if "Condition" in statement:
        _validate_conditions(statement["Condition"])
    if "Action" in statement and "Resource" in statement:
        for action in actions:
            if not _applies(action, resources):
                raise _malformed("Action does not apply to any resource(s) in statement")


def _string_list(value: Any, element: str) -> list[str]:
    if value is None:
        raise _malformed(f"Missing required field {element}")
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _malformed("Invalid policy syntax.")
    if not value:
        raise _malformed(f"Missing required field {element} cannot be empty!")
    return value


def _valid_principal(call: Call, principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict) or not principal:
        return False
    for kind, value in principal.items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            return False
        for item in items:
            if kind == "AWS":
                if not _valid_aws_principal(call, item):
                    return False
            elif kind == "Service":
                if not _SERVICE_PRINCIPAL.match(item):
                    return False
            elif kind == "CanonicalUser":
                if not _CANONICAL_USER.match(item):
                    return False
            elif kind != "Federated" or not item:
                return False
    return True


def _valid_aws_principal(call: Call, value: str) -> bool:
    """An account, its root, a user, role or session ARN. S3 stores an IAM user or role of the
    account by its unique ID, so one that does not exist is refused (as IAM refuses it in a
    trust policy, iam-facts §6)."""
    if value == "*" or _ACCOUNT_ID.match(value):
        return True
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[1] != "aws" or parts[3] != "":
        return False
    service, account, resource = parts[2], parts[4], parts[5]
    if not _ACCOUNT_ID.match(account) or "*" in resource or "?" in resource:
        return False
    if service == "iam":
        if resource == "root":
            return True
        kind, _, rest = resource.partition("/")
        if kind not in ("user", "role") or not rest:
            return False
        if account != call.state.account_id:
            return True
        entities = call.state.users if kind == "user" else call.state.roles
        return any(entity.arn == value for entity in entities.values())
    if service == "sts":
        kind, _, rest = resource.partition("/")
        return kind in ("assumed-role", "federated-user") and bool(rest)
    return False


def _known_action(action: str) -> bool:
    if action == "*":
        return True
    prefix, colon, name = action.partition(":")
    if not colon or prefix.lower() != "s3" or not name:
        return False
    return bool(catalog.actions_matching(f"s3:{name}", limit=1))


def _resource_of_bucket(resource: str, bucket: str) -> bool:
    """A bucket policy names only its own bucket and the objects in it."""
    if resource == "*":
        return True
    if not resource.startswith("arn:aws:s3:::"):
        return False
    path = resource[len("arn:aws:s3:::") :]
    head = path.split("/", 1)[0]
    if head == bucket:
        return True
    return bool(head) and glob(head).matches(bucket)


def _applies(action: str, resources: list[str]) -> bool:
    """Whether an action (or pattern) works on at least one of the statement's resources."""
    names = catalog.actions_matching(action if action != "*" else "s3:*")
    for full in names:
        info = catalog.action("s3", full.partition(":")[2])
        if info is None or any(catalog.arn_fits_action(info, r) for r in resources):
            return True
    return not names


def _validate_conditions(block: Any) -> None:
    if not isinstance(block, dict):
        raise _malformed("Invalid policy syntax.")
    for operator, keys in block.items():
        base = operator.partition(":")[2] if ":" in operator else operator
        qualifier = operator.partition(":")[0].lower() if ":" in operator else None
        lowered = base.lower()
        if lowered.endswith("ifexists") and lowered != "ifexists":
            lowered = lowered[: -len("ifexists")]
            if lowered == "null":
                lowered = ""
        if lowered not in _OPERATOR_NAMES or qualifier not in (None, "forallvalues", "foranyvalue"):
            raise _malformed(f"Invalid Condition type : {operator}")
        if not isinstance(keys, dict):
            raise _malformed("Invalid policy syntax.")
        for key in keys:
            if not catalog.condition_key_known(key):
                raise _malformed("Policy has an invalid condition key")
