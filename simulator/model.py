"""The simulated account's state: plain dataclasses that serialize to JSON without loss.

Everything a learner can change lives here; `Account` (account.py) owns one `State` and every
service module (services/*.py) reads and changes it through `Account.call`. Policy documents
are stored as the JSON text the caller sent (AWS keeps them URL-encoded; we keep the text).
Times are UTC datetimes on the simulated clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "HOME",
    "PUBLIC_ACCESS_SETTINGS",
    "AccessKey",
    "AppSpec",
    "Association",
    "Bucket",
    "DeletionTask",
    "Group",
    "ImdsToken",
    "Instance",
    "InstanceProfile",
    "LaunchApp",
    "ManagedPolicy",
    "PlaceState",
    "PolicyVersion",
    "Role",
    "S3Object",
    "State",
    "StsSession",
    "Terminal",
    "User",
]

HOME = "/home/ec2-user/"
"""The home folder on every instance: its software runs as ec2-user."""


@dataclass(slots=True)
class AccessKey:
    access_key_id: str  # AKIA...
    secret_access_key: str
    user_name: str
    status: str  # "Active" | "Inactive"
    created: datetime
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(slots=True)
class User:
    name: str
    user_id: str  # AIDA...
    path: str
    arn: str
    created: datetime
    inline_policies: dict[str, str] = field(default_factory=dict)  # name -> document text
    attached_policies: list[str] = field(default_factory=list)  # managed policy ARNs
    groups: list[str] = field(default_factory=list)  # group names
    permissions_boundary: str | None = None  # managed policy ARN
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Group:
    name: str
    group_id: str  # AGPA...
    path: str
    arn: str
    created: datetime
    inline_policies: dict[str, str] = field(default_factory=dict)
    attached_policies: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Role:
    name: str
    role_id: str  # AROA...
    path: str
    arn: str
    created: datetime
    trust_policy: str  # AssumeRolePolicyDocument text
    description: str = ""
    max_session_duration: int = 3600
    inline_policies: dict[str, str] = field(default_factory=dict)
    attached_policies: list[str] = field(default_factory=list)
    permissions_boundary: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    service_linked: str | None = None  # the service principal of a service-linked role
    used_by: list[str] = field(default_factory=list)  # resources of the service using this SLR
    last_used: datetime | None = None
    last_used_region: str | None = None


@dataclass(slots=True)
class PolicyVersion:
    version_id: str  # "v1", "v2", ... never reused
    document: str
    created: datetime


@dataclass(slots=True)
class ManagedPolicy:
    name: str
    policy_id: str  # ANPA...
    arn: str  # arn:aws:iam::ACCOUNT:policy/... or arn:aws:iam::aws:policy/...
    path: str
    created: datetime
    updated: datetime
    versions: list[PolicyVersion]
    default_version_id: str
    next_version: int  # the number the next version gets
    description: str = ""
    aws_managed: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def default_document(self) -> str:
        for version in self.versions:
            if version.version_id == self.default_version_id:
                return version.document
        raise LookupError(self.default_version_id)


@dataclass(slots=True)
class InstanceProfile:
    name: str
    instance_profile_id: str  # AIPA...
    path: str
    arn: str
    created: datetime
    roles: list[str] = field(default_factory=list)  # at most one role name
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class StsSession:
    """Temporary credentials: from AssumeRole, or an instance profile's role on EC2."""

    access_key_id: str  # ASIA...
    secret_access_key: str
    session_token: str
    role_name: str
    session_name: str  # the instance id for an instance profile's credentials
    issued: datetime
    expiration: datetime
    session_policy: str | None = None
    source: str = "AssumeRole"  # "AssumeRole" | "InstanceProfile"
    instance_id: str | None = None
    caller_arn: str | None = None  # who assumed the role (AssumeRole)
    delivery: str | None = None  # "1.0" | "2.0": the IMDS version that delivered them
    # What AssumeRole's caller set (simulator/services/sts.py): the source identity, which
    # never changes along a role chain; session tags (aws:PrincipalTag/..., over the role's
    # own tags) and which of them pass on to the next session in a chain.
    source_identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeletionTask:
    """An asynchronous DeleteServiceLinkedRole."""

    task_id: str
    role_name: str
    status: str  # NOT_STARTED | IN_PROGRESS | SUCCEEDED | FAILED
    created: datetime
    reason: str | None = None


@dataclass(slots=True)
class Association:
    """An instance profile association (iip-assoc-...)."""

    association_id: str
    instance_profile_arn: str
    instance_profile_id: str
    state: str  # associating | associated | disassociating | disassociated
    since: datetime


@dataclass(slots=True)
class ImdsToken:
    token: str
    expires: datetime


@dataclass(slots=True)
class AppSpec:
    """The application running on an instance: the calls it makes on every tick.

    Each call is {"service": "s3", "operation": "PutObject", "params": {...}}; string values may
    use {instance} (the instance id), {tick} (the tick number) and {name} (the Name tag).
    """

    name: str
    calls: list[dict[str, object]] = field(default_factory=list)


@dataclass(slots=True)
class LaunchApp:
    """The application new instances of a kind run from launch: those started from `image_id`
    and tagged with every tag in `tags` (an empty filter matches every new instance)."""

    app: AppSpec
    image_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Instance:
    instance_id: str  # i- + 17 hex
    image_id: str
    instance_type: str
    state: str  # pending | running | stopping | stopped | shutting-down | terminated
    private_ip: str
    public_ip: str | None
    launched: datetime
    tags: dict[str, str] = field(default_factory=dict)
    association: Association | None = None
    past_associations: list[Association] = field(default_factory=list)
    http_tokens: str = "optional"  # "optional" | "required"
    http_put_response_hop_limit: int = 1
    http_endpoint: str = "enabled"
    files: dict[str, str] = field(default_factory=dict)  # path -> text
    env: dict[str, str] = field(default_factory=dict)
    app: AppSpec | None = None
    ticks: int = 0
    role_credentials: str | None = None  # access key id of the current StsSession
    app_credentials: str | None = None
    """Access key id of the role credentials the application's SDK holds (and uses until 15
    minutes before they expire, as botocore does: simulator/services/instances.py)."""
    imds_tokens: list[ImdsToken] = field(default_factory=list)
    reservation_id: str = ""  # r- + 17 hex: shared by the instances one RunInstances launched
    # ModifyInstanceAttribute's attributes by AWS's name ("disableApiTermination": "true",
    # "userData": base64 text, ...); absent: AWS's default (simulator/services/ec2.py).
    attributes: dict[str, str] = field(default_factory=dict)
    # Its EBS volumes, in botocore's words: {"DeviceName", "VolumeId", "Size", "VolumeType",
    # "Iops", "Throughput", "Encrypted", "KmsKeyId", "SnapshotId", "DeleteOnTermination",
    # "AttachTime" (ISO 8601), "Detached"}; empty in worlds saved before volumes were kept
    # (simulator/services/ec2.py gives those a root volume).
    block_devices: list[dict[str, str | int | bool | None]] = field(default_factory=list)


@dataclass(slots=True)
class S3Object:
    key: str
    body: bytes
    etag: str
    last_modified: datetime
    content_type: str = "binary/octet-stream"
    # What PutObject and CopyObject keep beside the body; defaults let older saved worlds load.
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-*, keys in lower case
    storage_class: str = "STANDARD"
    content_encoding: str | None = None
    website_redirect_location: str | None = None


PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets",
)  # fmt: skip
"""S3 Block Public Access's four settings (S3 API Reference, PublicAccessBlockConfiguration)."""


def _all_blocked() -> dict[str, bool]:
    """A new bucket's Block Public Access: all four settings on, as S3 makes every bucket
    since April 2023 (S3 User Guide, access-control-block-public-access)."""
    return dict.fromkeys(PUBLIC_ACCESS_SETTINGS, True)


@dataclass(slots=True)
class Bucket:
    name: str
    region: str
    created: datetime
    policy: str | None = None
    objects: dict[str, S3Object] = field(default_factory=dict)
    # None once DeletePublicAccessBlock removed it (GetPublicAccessBlock: not found).
    public_access_block: dict[str, bool] | None = field(default_factory=_all_blocked)


@dataclass(slots=True)
class Terminal:
    """A shell in one place (simulator/terminal/): where it is, what was typed and shown.

    `exported` changes the place's environment as `export` and `unset` do (None: unset);
    `variables` are the shell's own, unexported ones (`NAME=value`).
    """

    cwd: str = ""  # "" is the user's home
    history: list[str] = field(default_factory=list)  # the last commands, newest last
    lines: list[str] = field(default_factory=list)  # the last lines shown, newest last
    exported: dict[str, str | None] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    status: int = 0  # the last command's exit status: $?
    folders: list[str] = field(default_factory=list)  # made by mkdir and still empty of files


@dataclass(slots=True)
class PlaceState:
    """Somewhere the learner can open a terminal (simulator/terminal/places.py).

    CloudShell, the laptop and a scenario's places keep their files and environment here; an
    instance keeps them on `Instance.files` and `Instance.env`, and only its terminal here.
    Created the first time a place is used, so an untouched world stores nothing.
    """

    label: str = ""  # a scenario place's name, such as "launcher's laptop"
    files: dict[str, str] = field(default_factory=dict)  # absolute path -> text
    env: dict[str, str] = field(default_factory=dict)
    terminal: Terminal = field(default_factory=Terminal)


@dataclass(slots=True)
class State:
    """One simulated AWS account.

    A world's first account holds the others in `accounts` (by account id); each of those is a
    whole State of its own (its IAM, S3, EC2, events), with `accounts` empty. `name` is how a
    scenario calls an account ("vendor"). Both are left out of the JSON while they are empty,
    so a one-account world saves as it always has (simulator/account.py, `to_dict`).
    """

    seed: int
    account_id: str
    region: str
    now: datetime
    counters: dict[str, int] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by name
    groups: dict[str, Group] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, ManagedPolicy] = field(default_factory=dict)  # by ARN
    instance_profiles: dict[str, InstanceProfile] = field(default_factory=dict)
    access_keys: dict[str, AccessKey] = field(default_factory=dict)  # by access key id
    sessions: dict[str, StsSession] = field(default_factory=dict)  # by access key id
    deletion_tasks: dict[str, DeletionTask] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    events: list[dict[str, object]] = field(default_factory=list)
    authorization_messages: dict[str, dict[str, object]] = field(default_factory=dict)
    places: dict[str, PlaceState] = field(default_factory=dict)  # by place id
    tick_seconds: int = 60  # how far the clock moves on each fleet tick
    launch_apps: list[LaunchApp] = field(default_factory=list)  # first match wins
    # VPC endpoints a scenario routes the default VPC's calls through: service -> vpce-... id
    # (simulator/services/network.py); calls to other services go over the internet.
    vpc_endpoints: dict[str, str] = field(default_factory=dict)
    # Systems Manager (simulator/services/ssm.py): managed instances by instance id (what the
    # agent last reported), maintenance windows by window id.
    ssm_instances: dict[str, dict[str, str]] = field(default_factory=dict)
    ssm_windows: dict[str, dict[str, object]] = field(default_factory=dict)
    # EC2 key pairs by name (simulator/services/ec2.py): KeyPairId, KeyFingerprint, KeyType,
    # CreateTime (ISO 8601), Tags (JSON). No key material is kept: none is real.
    key_pairs: dict[str, dict[str, str]] = field(default_factory=dict)
    name: str = ""
    accounts: dict[str, State] = field(default_factory=dict)
