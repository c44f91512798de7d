"""Amazon EC2: instances, their instance profile associations, their metadata options.

Every operation asks for its `ec2:` action on the instance ARN
(`arn:aws:ec2:REGION:ACCOUNT:instance/i-...`; `instance/*` for RunInstances; `*` for the
Describe operations) with the instance's condition keys, and, when it hands a role to an
instance (RunInstances, AssociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation),
`iam:PassRole` on the role ARN with `iam:PassedToService=ec2.amazonaws.com`. EC2 reports any
denial, PassRole's included, as `UnauthorizedOperation` (403): "You are not authorized to
perform this operation. User: ... is not authorized to perform: iam:PassRole on resource:
arn:aws:iam::ACCOUNT:role/NAME because no identity-based policy allows the iam:PassRole
action. Encoded authorization failure message: ...", as a real RunInstances does.

The clock: an instance boots at once. RunInstances and StartInstances answer `pending` as AWS
does, but the instance is `running` by the time anyone looks, so its software can act straight
away. Stopping and terminating take until the clock next moves (`stopping` -> `stopped`,
`shutting-down` -> `terminated`), and so does an association (`associating` -> `associated`,
`disassociating` -> gone), although the metadata service serves a new association's role at
once and stops serving a disassociated one at once.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from simulator.account import Account, Call, Handler, operation, settles
from simulator.errors import AwsError
from simulator.iam.wildcard import Glob, glob_from_chunks
from simulator.model import AppSpec, Association, Instance, InstanceProfile, LaunchApp, Role
from simulator.services import imds

__all__ = [
    "INSTANCE_QUOTA",
    "KNOWN_IMAGES",
    "associate_iam_instance_profile",
    "create_key_pair",
    "create_tags",
    "delete_key_pair",
    "delete_tags",
    "describe_iam_instance_profile_associations",
    "describe_instance_attribute",
    "describe_instance_status",
    "describe_instances",
    "describe_key_pairs",
    "describe_volumes",
    "disassociate_iam_instance_profile",
    "modify_instance_attribute",
    "modify_instance_metadata_options",
    "reboot_instances",
    "replace_iam_instance_profile_association",
    "run_instances",
    "settle",
    "start_instances",
    "stop_instances",
    "terminate_instances",
]

KNOWN_IMAGES = frozenset({"ami-0abcdef1234567890", "ami-0fedcba9876543210"})
"""The images the account can launch (the ids AWS's own examples use; the scenarios launch the
first), besides any a scenario's launch application names (`LaunchApp.image_id`)."""

INSTANCE_QUOTA = 250
"""Instances not yet terminated that one account may hold (AWS's quota is in vCPUs)."""
SESSION_RETENTION = timedelta(hours=12)
"""How long expired instance-role credentials are remembered (to answer ExpiredToken)."""
PAST_ASSOCIATIONS_KEPT = 10

_HEX = "0123456789abcdef"
_BYTES = "".join(chr(byte) for byte in range(256))
_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_IMAGE_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_ASSOCIATION_ID = re.compile(r"^iip-assoc-[0-9a-f]{17}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
                "stopping": 64, "stopped": 80}  # fmt: skip
_PASSED_TO_EC2 = {"iam:PassedToService": "ec2.amazonaws.com"}


def _guarded(handler: Handler) -> Handler:
    """Only AwsError leaves a handler, even for parameters botocore never validated.

    Calls through boto3 arrive validated against botocore's model; a direct `World.call` (a
    scenario's setup, a form) may carry a missing or mistyped parameter: AWS's
    MissingParameter / InvalidParameterValue rather than a Python exception.
    """

    @functools.wraps(handler)
    def run(call: Call) -> dict[str, Any]:
        try:
            return handler(call)
        except KeyError as missing:
            raise AwsError(
                "MissingParameter", f"The request must contain the parameter {missing.args[0]}", 400
            ) from None
        except (TypeError, ValueError, AttributeError):
            raise AwsError(
                "InvalidParameterValue",
                f"A parameter of {call.operation} has a value of the wrong type or shape.",
                400,
            ) from None

    return run


# --- RunInstances -------------------------------------------------------------------------


@operation("ec2", "RunInstances")
@_guarded
def run_instances(call: Call) -> dict[str, Any]:
    params = call.params
    state = call.state
    if params.get("LaunchTemplate"):
        raise AwsError(
            "InvalidParameterValue",
            "The simulator does not offer launch templates: give ImageId and InstanceType.",
            400,
        )
    image_id = params.get("ImageId")
    if not image_id:
        raise AwsError("MissingParameter", "The request must contain the parameter ImageId", 400)
    instance_type = params.get("InstanceType") or "m1.small"
    tags = _tags_from_specifications(params.get("TagSpecifications") or [])
    metadata = params.get("MetadataOptions") or {}
    http_tokens = metadata.get("HttpTokens") or "optional"
    hop_limit = metadata.get("HttpPutResponseHopLimit", 1)
    http_endpoint = metadata.get("HttpEndpoint") or "enabled"
    profile_spec = params.get("IamInstanceProfile") or {}
    profile_arn = _profile_arn_hint(call, profile_spec)
    context: dict[str, Any] = {
        "ec2:Region": state.region,
        "ec2:InstanceType": instance_type,
        "ec2:MetadataHttpTokens": http_tokens,
        "ec2:MetadataHttpPutResponseHopLimit": str(hop_limit),
        "ec2:MetadataHttpEndpoint": http_endpoint,
    }
    if profile_arn:
        context["ec2:InstanceProfile"] = profile_arn
    if tags:
        context["aws:TagKeys"] = list(tags)
        for key, value in tags.items():
            context[f"aws:RequestTag/{key}"] = value
    call.authorize("ec2:RunInstances", _arn(call, "*"), context=context)

    if not _IMAGE_ID.match(image_id):
        raise AwsError(
            "InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")', 400
        )
    if image_id not in KNOWN_IMAGES and all(r.image_id != image_id for r in state.launch_apps):
        # Error text as EC2 returns it (e.g. awsdocs' tutorials quote "The image id
        # '[ami-...]' does not exist").
        raise AwsError("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist", 400)
    if not _INSTANCE_TYPE.match(instance_type) or len(instance_type) > 32:
        raise AwsError(
            "InvalidParameterValue", f"Invalid value '{instance_type}' for InstanceType.", 400
        )
    launch_attributes = _launch_attributes(call)
    block_devices = _block_device_plan(call, image_id)
    _check_hop_limit(hop_limit)
    _check_choice("HttpTokens", http_tokens, ("optional", "required"))
    _check_choice("HttpEndpoint", http_endpoint, ("enabled", "disabled"))
    min_count, max_count = int(params["MinCount"]), int(params["MaxCount"])
    if min_count < 1:
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({min_count}) for parameter minCount is invalid. Expected a positive integer.",
            400,
        )
    if max_count < min_count:
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({max_count}) for parameter maxCount is invalid. "
            "maxCount must be greater than or equal to minCount.",
            400,
        )
    profile: InstanceProfile | None = None
    if profile_spec:
        profile, role = _resolve_profile(call, profile_spec)
        _authorize_pass_role(call, role)
    alive = sum(1 for instance in state.instances.values() if instance.state != "terminated")
    room = INSTANCE_QUOTA - alive
    if min_count > room:
        raise AwsError(
            "InstanceLimitExceeded",
            f"Your quota allows for {max(room, 0)} more running instance(s). "
            f"You requested at least {min_count}",
            400,
        )
    if params.get("DryRun"):
        raise _dry_run()
    public = _wants_public_ip(params)
    reservation_id = call.new_id("r-", 17, _HEX)
    launched: list[dict[str, Any]] = []
    for index in range(min(max_count, room)):
        instance = Instance(
            instance_id=call.new_id("i-", 17, _HEX),
            image_id=image_id,
            instance_type=instance_type,
            state="running",
            private_ip=_new_private_ip(call.world),
            public_ip=_new_public_ip(call.world) if public else None,
            launched=state.now,
            tags=dict(tags),
            http_tokens=http_tokens,
            http_put_response_hop_limit=int(hop_limit),
            http_endpoint=http_endpoint,
            reservation_id=reservation_id,
            attributes=dict(launch_attributes),
        )
        instance.block_devices = _attach_volumes(call, instance, block_devices)
        instance.app = _launch_app(state.launch_apps, instance)
        if profile is not None:
            instance.association = Association(
                association_id=call.new_id("iip-assoc-", 17, _HEX),
                instance_profile_arn=profile.arn,
                instance_profile_id=profile.instance_profile_id,
                state="associated",
                since=state.now,
            )
        state.instances[instance.instance_id] = instance
        launched.append(_describe(call.world, instance, state_name="pending", launch_index=index))
    return {
        "ReservationId": reservation_id,
        "OwnerId": state.account_id,
        "Groups": [],
        "Instances": launched,
    }


def _launch_attributes(call: Call) -> dict[str, str]:
    """What RunInstances' Placement, Monitoring, KeyName and security groups set, checked.

    A key pair must exist (CreateKeyPair below); the account has one security group, the
    default VPC's `default`: any other is refused as AWS refuses one that does not exist.
    [UNCERTAIN: exact wording of InvalidKeyPair.NotFound, InvalidGroup.NotFound and the zone
    error.]"""
    params = call.params
    attributes: dict[str, str] = {}
    zone = (params.get("Placement") or {}).get("AvailabilityZone")
    if zone:
        if not re.fullmatch(re.escape(call.state.region) + "[a-f]", zone):
            raise AwsError("InvalidParameterValue", f"Invalid availability zone: [{zone}]", 400)
        attributes["availabilityZone"] = zone
    if (params.get("Monitoring") or {}).get("Enabled"):
        attributes["monitoring"] = "enabled"
    key_name = params.get("KeyName")
    if key_name:
        if key_name not in call.state.key_pairs:
            raise _key_pair_not_found(key_name)
        attributes["keyName"] = key_name
    default_group = _default_group(call.world)
    for group_id in params.get("SecurityGroupIds") or []:
        if group_id != default_group:
            raise _group_not_found(group_id)
    for group_name in params.get("SecurityGroups") or []:
        if group_name != "default":
            raise AwsError(
                "InvalidGroup.NotFound",
                f"The security group '{group_name}' does not exist in default VPC "
                f"'{_stable_id(call.world, 'vpc-', 'vpc')}'",
                400,
            )
    return attributes


def _launch_app(rules: list[LaunchApp], instance: Instance) -> AppSpec | None:
    """The application a new instance runs from launch: the first rule matching its image and
    tags (a scenario's fact, standing for the user data script or image that would install it)."""
    for rule in rules:
        if rule.image_id not in (None, instance.image_id):
            continue
        if all(instance.tags.get(key) == value for key, value in rule.tags.items()):
            return copy.deepcopy(rule.app)
    return None


def _tags_from_specifications(specifications: list[dict[str, Any]]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for specification in specifications:
        if specification.get("ResourceType", "instance") != "instance":
            continue  # volumes, network interfaces: not simulated
        for tag in specification.get("Tags") or []:
            key, value = tag.get("Key", ""), tag.get("Value", "")
            _check_tag(key, value)
            tags[key] = value
    if len(tags) > 50:
        raise AwsError("TagLimitExceeded", "The maximum number of tags per resource is 50.", 400)
    return tags


def _check_tag(key: str, value: str) -> None:
    if not key or len(key) > 128:
        raise AwsError(
            "InvalidParameterValue",
            f"Tag key must be between 1 and 128 characters long: '{key[:128]}'",
            400,
        )
    if key.lower().startswith("aws:"):
        raise AwsError(
            "InvalidParameterValue",
            "Tag keys starting with 'aws:' are reserved for internal use",
            400,
        )
    if len(value) > 256:
        raise AwsError(
            "InvalidParameterValue", "Tag value must be no longer than 256 characters.", 400
        )


def _dry_run() -> AwsError:
    return AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """botocore does not check enum values; EC2 does."""
    if value not in choices:
        raise AwsError(
            "InvalidParameterValue",
            f"The {name} value '{value}' is not valid. Specify one of: {', '.join(choices)}.",
            400,
        )


def _check_hop_limit(hop_limit: Any) -> None:
    if not isinstance(hop_limit, int) or not 1 <= hop_limit <= 64:
        raise AwsError(
            "InvalidParameterValue",
            f"The HttpPutResponseHopLimit value '{hop_limit}' is not valid. "
            "Specify a value between 1 and 64.",
            400,
        )


def _wants_public_ip(params: dict[str, Any]) -> bool:
    """Default subnets give instances a public address unless the interface says otherwise."""
    for interface in params.get("NetworkInterfaces") or []:
        if interface.get("DeviceIndex", 0) == 0 and "AssociatePublicIpAddress" in interface:
            return bool(interface["AssociatePublicIpAddress"])
    return True


def _new_private_ip(world: Account) -> str:
    """172.31.x.y in the default VPC, deterministic and unused."""
    taken = {instance.private_ip for instance in world.state.instances.values()}
    while True:
        third, fourth = _draw(world, "ip-private:", 2)
        address = f"172.31.{third}.{4 + fourth % 251}"
        if address not in taken:
            return address


def _new_public_ip(world: Account) -> str:
    """An address in Amazon's 54.144.0.0/12 range, deterministic and unused."""
    taken = {instance.public_ip for instance in world.state.instances.values()}
    while True:
        second, third, fourth = _draw(world, "ip-public:", 3)
        address = f"54.{144 + second % 16}.{third}.{1 + fourth % 254}"
        if address not in taken:
            return address


def _draw(world: Account, label: str, count: int) -> list[int]:
    """`count` deterministic bytes from the world's id source."""
    return [ord(char) for char in world.new_id(label, count, _BYTES)[len(label) :]]


# --- instance profiles: finding them, passing their role ------------------------------------


def _profile_arn_hint(call: Call, spec: dict[str, Any]) -> str | None:
    """The profile ARN for condition keys, before knowing whether the profile exists."""
    if spec.get("Arn"):
        return str(spec["Arn"])
    if spec.get("Name"):
        profile = call.state.instance_profiles.get(spec["Name"])
        if profile is not None:
            return profile.arn
        return f"arn:aws:iam::{call.state.account_id}:instance-profile/{spec['Name']}"
    return None


def _resolve_profile(call: Call, spec: dict[str, Any]) -> tuple[InstanceProfile, Role]:
    """The profile named by {Name} or {Arn}, and its role, or EC2's InvalidParameterValue."""
    profiles = call.state.instance_profiles
    profile: InstanceProfile | None = None
    if spec.get("Arn"):
        arn = str(spec["Arn"])
        profile = profiles.get(arn.rsplit("/", 1)[-1])
        if profile is None or profile.arn != arn:
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. "
                "Invalid IAM Instance Profile ARN",
                400,
            )
        if spec.get("Name") and spec["Name"] != profile.name:
            raise AwsError(
                "InvalidParameterCombination",
                "The IAM instance profile name and ARN do not refer to the same profile.",
                400,
            )
    else:
        name = str(spec.get("Name") or "")
        profile = profiles.get(name)
        if profile is None:
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({name}) for parameter iamInstanceProfile.name is invalid. "
                "Invalid IAM Instance Profile name",
                400,
            )
    role = call.state.roles.get(profile.roles[0]) if profile.roles else None
    if role is None:
        raise AwsError(
            "InvalidParameterValue",
            f'IAM Instance Profile "{profile.arn}" has no associated IAM Roles',
            400,
        )
    return profile, role


def _authorize_pass_role(call: Call, role: Role) -> None:
    """iam:PassRole on the role; EC2 reports a denial as its own UnauthorizedOperation."""
    decision = call.decide("iam:PassRole", role.arn, context=_PASSED_TO_EC2)
    if decision.allowed:
        return
    as_ec2 = decision._replace(request=decision.request._replace(service="ec2"))
    error = call.world.denied(as_ec2)
    raise AwsError(error.code, error.message, error.status, decision=decision)


# --- block devices: the EBS volumes an instance has ------------------------------------------
# Request and response shapes: botocore's ec2 model (BlockDeviceMapping, EbsBlockDevice,
# InstanceBlockDeviceMapping, EbsInstanceBlockDevice, Volume). Sizes, IOPS and throughput per
# volume type: EbsBlockDevice's documentation in that model. Error codes and messages, as EC2
# returns them to RunInstances (quoted in public bug reports): InvalidBlockDeviceMapping "Volume
# of size 5GB is smaller than  snapshot 'snap-...', expect size >= 8GB" (scylladb/scylladb#6999,
# aws/karpenter-provider-aws#3302: the double space is EC2's), "Either snapshot ID or volume
# size must be provided for: /dev/sdb" (nortontruter/infracoders-workshop#3), "Invalid device
# name /dev/sde1" (aws/aws-cli#1071), "The device 'xvdb' is used in more than one block-device
# mapping" (hashicorp/terraform#7233), "throughput cannot be specified with the volumeType of
# device '/dev/xvda'" (gardener/machine-controller-manager-provider-aws#95);
# InvalidParameterCombination "The parameter iops is not supported for gp2 volumes."
# (boto/boto3#2474, aws/aws-sdk#542), "The parameter iops must be specified for io2 volumes."
# (velero-io/velero-plugin-for-aws#119); InvalidParameterValue "Iops to volume size ratio of
# 750.000000 is too high; maximum is 500" (rocicorp/mono#4410).

_IMAGE_ROOTS: dict[str, tuple[str, int, str]] = {
    # image -> (root device, size GiB, volume type): what the image's block device mapping says
    "ami-0abcdef1234567890": ("/dev/xvda", 8, "gp3"),  # as Amazon Linux 2023 images
    "ami-0fedcba9876543210": ("/dev/xvda", 8, "gp2"),  # as Amazon Linux 2 images
}
_DEFAULT_ROOT = ("/dev/xvda", 8, "gp2")
"""A scenario's own image (LaunchApp.image_id): an 8 GiB gp2 root at /dev/xvda."""
_VOLUME_SIZES = {"gp2": (1, 16384), "gp3": (1, 65536), "io1": (4, 16384), "io2": (4, 65536),
                 "st1": (125, 16384), "sc1": (125, 16384), "standard": (1, 1024)}  # fmt: skip
_VOLUME_IOPS = {"gp3": (3000, 80000), "io1": (100, 64000), "io2": (100, 256000)}
# Most IOPS per GiB (EBS User Guide, volume types) [UNCERTAIN: io2's 1000]
_IOPS_PER_GIB = {"gp3": 500, "io1": 50, "io2": 1000}
_THROUGHPUT = (125, 2000)
_DEVICE_NAME = re.compile(r"^(?:/dev/)?(?:sd[a-z]|xvd[a-z]{1,2}|sda1)$")
_VOLUME_ID = re.compile(r"^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def _image_root(image_id: str) -> tuple[str, int, str]:
    return _IMAGE_ROOTS.get(image_id, _DEFAULT_ROOT)


def _image_snapshot(world: Account, image_id: str) -> str:
    """The snapshot behind an image's root device: a stable id of its own."""
    return _stable_id(world, "snap-", f"snapshot:{image_id}")


def _device_key(name: str) -> str:
    """How EC2 names a device in its messages: without /dev/ ('xvdb')."""
    return name.removeprefix("/dev/")


def _block_device_plan(call: Call, image_id: str) -> list[dict[str, Any]]:
    """The volumes each instance of this launch gets: the image's root device, changed or
    joined by the request's BlockDeviceMappings, each checked as EC2 checks it. Instance store
    mappings (VirtualName) are accepted and have no effect: the simulated instance types have
    no instance store [UNCERTAIN: AWS ignores them for such types]."""
    root_name, root_size, root_type = _image_root(image_id)
    root_snapshot = _image_snapshot(call.world, image_id)
    plan: dict[str, dict[str, Any]] = {
        _device_key(root_name): {
            "DeviceName": root_name,
            "Size": root_size,
            "VolumeType": root_type,
            "Iops": None,
            "Throughput": None,
            "Encrypted": False,
            "KmsKeyId": None,
            "SnapshotId": root_snapshot,
            "DeleteOnTermination": True,
        }
    }
    seen: set[str] = set()
    for mapping in call.params.get("BlockDeviceMappings") or []:
        name = str(mapping.get("DeviceName") or "")
        if not _DEVICE_NAME.match(name):
            raise AwsError("InvalidBlockDeviceMapping", f"Invalid device name {name}", 400)
        key = _device_key(name)
        if key in seen:
            raise AwsError(
                "InvalidBlockDeviceMapping",
                f"The device '{key}' is used in more than one block-device mapping",
                400,
            )
        seen.add(key)
        if "NoDevice" in mapping:
            if key == _device_key(root_name):
                # [UNCERTAIN: code and wording] an EBS-backed instance needs its root volume
                raise AwsError(
                    "InvalidBlockDeviceMapping",
                    f"The root device {root_name} of the image cannot be suppressed (NoDevice).",
                    400,
                )
            plan.pop(key, None)
            continue
        ebs = mapping.get("Ebs")
        if ebs is None:
            if mapping.get("VirtualName"):
                continue
            raise AwsError(
                "InvalidBlockDeviceMapping",
                f"Either snapshot ID or volume size must be provided for: {name}",
                400,
            )
        plan[key] = _ebs_device(call, name, ebs, plan.get(key), image_id)
    return list(plan.values())


def _ebs_device(
    call: Call, name: str, ebs: dict[str, Any], base: dict[str, Any] | None, image_id: str
) -> dict[str, Any]:
    """One mapping's volume, from the request over the image's (`base`), checked."""
    snapshot_id = ebs.get("SnapshotId") or (base["SnapshotId"] if base else None)
    snapshot_size: int | None = base["Size"] if base and snapshot_id == base["SnapshotId"] else None
    if snapshot_id and snapshot_size is None:
        snapshots = {_image_snapshot(call.world, image_id): _image_root(image_id)[1]}
        if snapshot_id not in snapshots:
            # [UNCERTAIN: wording] the account has no snapshots but its images'
            raise AwsError(
                "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.", 400
            )
        snapshot_size = snapshots[snapshot_id]
    volume_type = str(ebs.get("VolumeType") or (base["VolumeType"] if base else "gp2"))
    _check_choice("VolumeType", volume_type, tuple(_VOLUME_SIZES))
    size = ebs.get("VolumeSize")
    if size is None:
        size = snapshot_size
    if size is None:
        raise AwsError(
            "InvalidBlockDeviceMapping",
            f"Either snapshot ID or volume size must be provided for: {name}",
            400,
        )
    size = int(size)
    if snapshot_size is not None and size < snapshot_size:
        raise AwsError(
            "InvalidBlockDeviceMapping",
            f"Volume of size {size}GB is smaller than  snapshot '{snapshot_id}', "
            f"expect size >= {snapshot_size}GB",
            400,
        )
    low, high = _VOLUME_SIZES[volume_type]
    if not low <= size <= high:
        # [UNCERTAIN: wording] EC2's InvalidParameterValue for a size out of the type's range
        raise AwsError(
            "InvalidParameterValue",
            f"Volume of {size}GiB is out of range for volume type {volume_type}: "
            f"the size must be between {low} and {high} GiB.",
            400,
        )
    iops = ebs.get("Iops")
    if iops is not None and volume_type not in _VOLUME_IOPS:
        raise AwsError(
            "InvalidParameterCombination",
            f"The parameter iops is not supported for {volume_type} volumes.",
            400,
        )
    if iops is None and volume_type in ("io1", "io2"):
        raise AwsError(
            "InvalidParameterCombination",
            f"The parameter iops must be specified for {volume_type} volumes.",
            400,
        )
    if iops is not None:
        iops = int(iops)
        low, high = _VOLUME_IOPS[volume_type]
        if not low <= iops <= high:
            # [UNCERTAIN: wording]
            raise AwsError(
                "InvalidParameterValue",
                f"Volume iops of {iops} is out of range for volume type {volume_type}: "
                f"the iops must be between {low} and {high}.",
                400,
            )
        ratio = iops / size
        if ratio > _IOPS_PER_GIB[volume_type]:
            raise AwsError(
                "InvalidParameterValue",
                f"Iops to volume size ratio of {ratio:.6f} is too high; "
                f"maximum is {_IOPS_PER_GIB[volume_type]}",
                400,
            )
    throughput = ebs.get("Throughput")
    if throughput is not None:
        if volume_type != "gp3":
            raise AwsError(
                "InvalidBlockDeviceMapping",
                f"throughput cannot be specified with the volumeType of device '{name}'",
                400,
            )
        throughput = int(throughput)
        if not _THROUGHPUT[0] <= throughput <= _THROUGHPUT[1]:
            # [UNCERTAIN: wording]
            raise AwsError(
                "InvalidParameterValue",
                f"Volume throughput of {throughput} MiB/s is out of range: "
                f"the throughput must be between {_THROUGHPUT[0]} and {_THROUGHPUT[1]} MiB/s.",
                400,
            )
    kms_key_id = ebs.get("KmsKeyId")
    encrypted = bool(ebs.get("Encrypted"))
    if kms_key_id and not encrypted:
        # [UNCERTAIN: code and wording] a KMS key is for an encrypted volume
        raise AwsError(
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
            400,
        )
    delete = ebs.get("DeleteOnTermination")
    if delete is None:
        # the image's value for its own devices; True for a volume added at launch
        # [UNCERTAIN: AWS's default for a volume added at launch]
        delete = base["DeleteOnTermination"] if base else True
    return {
        "DeviceName": name,
        "Size": size,
        "VolumeType": volume_type,
        "Iops": iops,
        "Throughput": throughput,
        "Encrypted": encrypted,
        "KmsKeyId": str(kms_key_id) if kms_key_id else None,
        "SnapshotId": snapshot_id,
        "DeleteOnTermination": bool(delete),
    }


def _attach_volumes(
    call: Call, instance: Instance, plan: list[dict[str, Any]]
) -> list[dict[str, str | int | bool | None]]:
    """Each planned volume with an id of its own, as stored: keys whose value is None left out
    (a saved world stays small)."""
    return [
        {
            **{key: value for key, value in device.items() if value is not None},
            "VolumeId": call.new_id("vol-", 17, _HEX),
            "AttachTime": call.state.now.isoformat(),
        }
        for device in plan
    ]


def _devices(world: Account, instance: Instance) -> list[dict[str, Any]]:
    """The instance's volumes, detached ones included. An instance saved before volumes were
    kept has its image's root volume, with a stable id of its own."""
    if instance.block_devices or instance.state == "terminated":
        return list(instance.block_devices)
    name, size, volume_type = _image_root(instance.image_id)
    return [
        {
            "DeviceName": name,
            "Size": size,
            "VolumeType": volume_type,
            "Iops": None,
            "Throughput": None,
            "Encrypted": False,
            "KmsKeyId": None,
            "SnapshotId": _image_snapshot(world, instance.image_id),
            "DeleteOnTermination": True,
            "VolumeId": _stable_id(world, "vol-", f"volume:{instance.instance_id}"),
            "AttachTime": instance.launched.isoformat(),
            "Detached": False,
        }
    ]


def _attached(world: Account, instance: Instance) -> list[dict[str, Any]]:
    return [device for device in _devices(world, instance) if not device.get("Detached")]


def _root_device_name(instance: Instance) -> str:
    return _image_root(instance.image_id)[0]


def _mapping(device: dict[str, Any]) -> dict[str, Any]:
    """An attached volume in botocore's InstanceBlockDeviceMapping shape."""
    return {
        "DeviceName": device["DeviceName"],
        "Ebs": {
            "AttachTime": datetime.fromisoformat(str(device["AttachTime"])),
            "DeleteOnTermination": bool(device["DeleteOnTermination"]),
            "Status": "attached",
            "VolumeId": device["VolumeId"],
        },
    }


def _release_volumes(world: Account, instance: Instance) -> None:
    """On termination, volumes marked DeleteOnTermination go; the others stay, detached
    (`available` in DescribeVolumes)."""
    instance.block_devices = [
        {**device, "Detached": True}
        for device in _devices(world, instance)
        if not device["DeleteOnTermination"]
    ]


def _modify_block_devices(call: Call, instance: Instance, mappings: list[dict[str, Any]]) -> None:
    """ModifyInstanceAttribute's BlockDeviceMappings: DeleteOnTermination of attached volumes
    (absent: true, as the API reference says). [UNCERTAIN: the error for a device the instance
    does not have.]"""
    devices = {device["DeviceName"]: device for device in _attached(call.world, instance)}
    changes: list[tuple[str, bool]] = []
    for mapping in mappings:
        name = str(mapping.get("DeviceName") or "")
        ebs = mapping.get("Ebs") or {}
        if name not in devices:
            raise AwsError(
                "InvalidInstanceAttributeValue", f"No device is currently mapped at {name}", 400
            )
        volume_id = ebs.get("VolumeId")
        if volume_id and volume_id != devices[name]["VolumeId"]:
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"The volume {volume_id} is not attached at {name}",  # [UNCERTAIN: wording]
                400,
            )
        changes.append((name, bool(ebs.get("DeleteOnTermination", True))))
    if call.params.get("DryRun"):
        raise _dry_run()
    stored = _devices(call.world, instance)
    for name, delete in changes:
        for device in stored:
            if device["DeviceName"] == name and not device.get("Detached"):
                device["DeleteOnTermination"] = delete
    instance.block_devices = stored


# --- DescribeInstances --------------------------------------------------------------------


def _instances_asked(call: Call) -> list[Instance]:
    """DescribeInstances' and DescribeInstanceStatus's InstanceIds (each must exist), or every
    instance; AWS refuses InstanceIds with MaxResults."""
    ids = list(call.params.get("InstanceIds") or [])
    if ids and call.params.get("MaxResults") is not None:
        raise AwsError(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
            400,
        )
    _check_instance_ids(ids)
    return _existing(call, ids) if ids else list(call.state.instances.values())


@operation("ec2", "DescribeInstances")
@_guarded
def describe_instances(call: Call) -> dict[str, Any]:
    call.authorize("ec2:DescribeInstances", "*", context={"ec2:Region": call.state.region})
    params = call.params
    found = _instances_asked(call)
    checks = [
        _instance_filter(call.world, f["Name"], f.get("Values") or [])
        for f in params.get("Filters") or []
    ]
    if params.get("DryRun"):
        raise _dry_run()
    selected = [instance for instance in found if all(check(instance) for check in checks)]
    # MaxResults counts instances; a page holds the reservations of the instances on it, so a
    # reservation may be split across pages. [UNCERTAIN: AWS documents MaxResults as "the
    # maximum number of items to return", without saying which items.]
    start, end = _page(params.get("NextToken"), params.get("MaxResults"), len(selected))
    reservations: dict[str, dict[str, Any]] = {}
    indices = _launch_indices(call.world)
    for instance in selected[start:end]:
        reservation_id = _reservation_id(call.world, instance)
        reservation = reservations.setdefault(
            reservation_id,
            {
                "ReservationId": reservation_id,
                "OwnerId": call.state.account_id,
                "Groups": [],
                "Instances": [],
            },
        )
        reservation["Instances"].append(
            _describe(call.world, instance, launch_index=indices[instance.instance_id])
        )
    response: dict[str, Any] = {"Reservations": list(reservations.values())}
    if end < len(selected):
        response["NextToken"] = _token(end)
    return response


def _instance_filter(world: Account, name: str, values: list[str]) -> Callable[[Instance], bool]:
    """A DescribeInstances filter, as the API reference's list of filters names them (those the
    simulated instance has a value for; network-interface.* describe its one interface)."""
    patterns = [_wildcard(value) for value in values]

    def matches(value: str | None) -> bool:
        return value is not None and any(pattern.matches(value) for pattern in patterns)

    if name.startswith("tag:"):
        key = name[4:]
        return lambda instance: matches(instance.tags.get(key))
    getters: dict[str, Callable[[Instance], str | None]] = {
        "instance-id": lambda i: i.instance_id,
        "instance-state-name": lambda i: i.state,
        "instance-state-code": lambda i: str(_STATE_CODES[i.state]),
        "instance-type": lambda i: i.instance_type,
        "image-id": lambda i: i.image_id,
        "private-ip-address": lambda i: i.private_ip,
        "ip-address": lambda i: i.public_ip,
        "iam-instance-profile.arn": lambda i: (
            i.association.instance_profile_arn if i.association else None
        ),
        "iam-instance-profile.id": lambda i: (
            i.association.instance_profile_id if i.association else None
        ),
        "metadata-options.http-tokens": lambda i: i.http_tokens,
        "metadata-options.http-endpoint": lambda i: i.http_endpoint,
        "metadata-options.http-put-response-hop-limit": lambda i: str(
            i.http_put_response_hop_limit
        ),
        "availability-zone": lambda i: _availability_zone(world, i),
        "owner-id": lambda i: world.state.account_id,
        "architecture": lambda i: "x86_64",
        "reservation-id": lambda i: _reservation_id(world, i),
        "vpc-id": lambda i: _vpc_id(world, i),
        "subnet-id": lambda i: _subnet_id(world, i),
        "private-dns-name": lambda i: _private_dns(world, i) or None,
        "dns-name": lambda i: _public_dns(world, i) or None,
        "key-name": lambda i: i.attributes.get("keyName"),
        "root-device-type": lambda i: "ebs",
        "root-device-name": lambda i: _root_device_name(i),
        "virtualization-type": lambda i: "hvm",
        "hypervisor": lambda i: "xen",
        "tenancy": lambda i: "default",
        "platform-details": lambda i: "Linux/UNIX",
        "monitoring-state": lambda i: i.attributes.get("monitoring", "disabled"),
        "source-dest-check": lambda i: _attribute(i, "sourceDestCheck"),
        "instance.group-id": lambda i: _default_group(world),
        "instance.group-name": lambda i: "default",
        "network-interface.addresses.private-ip-address": lambda i: i.private_ip,
        "network-interface.private-dns-name": lambda i: _private_dns(world, i) or None,
        "network-interface.addresses.association.public-ip": lambda i: i.public_ip,
        "network-interface.association.public-ip": lambda i: i.public_ip,
        "network-interface.subnet-id": lambda i: _subnet_id(world, i),
        "network-interface.vpc-id": lambda i: _vpc_id(world, i),
        "network-interface.owner-id": lambda i: world.state.account_id,
        "network-interface.availability-zone": lambda i: _availability_zone(world, i),
        "network-interface.attachment.device-index": lambda i: (
            "0" if i.state != "terminated" else None
        ),
        "network-interface.attachment.instance-id": lambda i: (
            i.instance_id if i.state != "terminated" else None
        ),
        "network-interface.attachment.status": lambda i: (
            "attached" if i.state != "terminated" else None
        ),
        "network-interface.status": lambda i: "in-use" if i.state != "terminated" else None,
        "network-interface.source-dest-check": lambda i: _attribute(i, "sourceDestCheck"),
        "network-interface.group-id": lambda i: _default_group(world),
        "network-interface.group-name": lambda i: "default",
    }
    if name.startswith("block-device-mapping."):
        field = _DEVICE_FILTERS.get(name.removeprefix("block-device-mapping."))
        if field is None:
            raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
        return lambda instance: any(
            matches(field(_mapping(device))) for device in _attached(world, instance)
        )
    if name == "tag-key":
        return lambda instance: any(matches(key) for key in instance.tags)
    if name == "tag-value":
        return lambda instance: any(matches(value) for value in instance.tags.values())
    getter = getters.get(name)
    if getter is None:
        raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
    return lambda instance: matches(getter(instance))


_DEVICE_FILTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    # DescribeInstances' block-device-mapping.* filters, on an InstanceBlockDeviceMapping
    "attach-time": lambda m: m["Ebs"]["AttachTime"].isoformat().replace("+00:00", ".000Z"),
    "delete-on-termination": lambda m: str(m["Ebs"]["DeleteOnTermination"]).lower(),
    "device-name": lambda m: m["DeviceName"],
    "status": lambda m: m["Ebs"]["Status"],
    "volume-id": lambda m: m["Ebs"]["VolumeId"],
}


def _wildcard(value: str) -> Glob:
    """EC2 filter values: `*` any run, `?` one character, `\\` escapes."""
    chunks: list[tuple[str, bool]] = []
    escaped = False
    for char in value:
        if escaped:
            chunks.append((char, False))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            chunks.append((char, True))
    return glob_from_chunks(tuple(chunks))


def _page(token: str | None, max_results: int | None, total: int) -> tuple[int, int]:
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token.encode(), validate=True).decode().removeprefix("o:"))
        except ValueError:
            raise AwsError(
                "InvalidParameterValue", f"Invalid value '{token}' for NextToken", 400
            ) from None
    if max_results is None:
        return start, total
    if not 5 <= max_results <= 1000:
        raise AwsError(
            "InvalidParameterValue",
            f"Value ( {max_results} ) for parameter maxResults is invalid. "
            "Expecting a value greater than 5.",
            400,
        )
    return start, min(total, start + max_results)


def _token(offset: int) -> str:
    return base64.b64encode(f"o:{offset}".encode()).decode()


def _launch_indices(world: Account) -> dict[str, int]:
    """Each instance's AmiLaunchIndex: its place among the instances of its reservation."""
    seen: dict[str, int] = {}
    indices: dict[str, int] = {}
    for instance in world.state.instances.values():
        if instance.reservation_id:
            indices[instance.instance_id] = seen.get(instance.reservation_id, 0)
            seen[instance.reservation_id] = indices[instance.instance_id] + 1
        else:
            indices[instance.instance_id] = 0
    return indices


def _reservation_id(world: Account, instance: Instance) -> str:
    """The id RunInstances returned; instances launched together share it (AWS: "a
    reservation ... is the set of instances launched by one request"). Instances saved before
    reservations were kept get a stable id of their own."""
    if instance.reservation_id:
        return instance.reservation_id
    digest = hashlib.sha256(
        f"{world.state.seed}:reservation:{instance.instance_id}".encode()
    ).hexdigest()
    return "r-" + digest[:17]


def _stable_id(world: Account, prefix: str, label: str) -> str:
    digest = hashlib.sha256(f"{world.state.seed}:{label}".encode()).hexdigest()
    return prefix + digest[:17]


def _describe(
    world: Account, instance: Instance, *, state_name: str | None = None, launch_index: int = 0
) -> dict[str, Any]:
    """An instance in botocore's `Instance` shape."""
    name = state_name or instance.state
    private_dns = _private_dns(world, instance, name)
    described: dict[str, Any] = {
        "AmiLaunchIndex": launch_index,
        "ImageId": instance.image_id,
        "InstanceId": instance.instance_id,
        "InstanceType": instance.instance_type,
        "LaunchTime": instance.launched,
        "Monitoring": {"State": instance.attributes.get("monitoring", "disabled")},
        "Placement": {
            "AvailabilityZone": _availability_zone(world, instance),
            "GroupName": "",
            "Tenancy": "default",
        },
        "PrivateDnsName": private_dns,
        "PrivateIpAddress": instance.private_ip,
        "ProductCodes": [],
        "PublicDnsName": "",
        "State": {"Code": _STATE_CODES[name], "Name": name},
        "StateTransitionReason": "",
        "Architecture": "x86_64",
        "BlockDeviceMappings": [_mapping(device) for device in _attached(world, instance)],
        "EbsOptimized": _attribute(instance, "ebsOptimized") == "true",
        "EnaSupport": _attribute(instance, "enaSupport") == "true",
        "Hypervisor": "xen",
        "RootDeviceName": _root_device_name(instance),
        "RootDeviceType": "ebs",
        "SecurityGroups": [{"GroupName": "default", "GroupId": _default_group(world)}],
        "SourceDestCheck": _attribute(instance, "sourceDestCheck") == "true",
        "VirtualizationType": "hvm",
        "PlatformDetails": "Linux/UNIX",
        "MetadataOptions": _metadata_options(instance, "applied"),
    }
    if name != "terminated":
        described["SubnetId"] = _stable_id(world, "subnet-", "subnet")
        described["VpcId"] = _stable_id(world, "vpc-", "vpc")
    if instance.public_ip is not None:
        described["PublicIpAddress"] = instance.public_ip
        described["PublicDnsName"] = _public_dns(world, instance)
    if instance.tags:
        described["Tags"] = [{"Key": key, "Value": value} for key, value in instance.tags.items()]
    if instance.attributes.get("keyName"):
        described["KeyName"] = instance.attributes["keyName"]
    association = instance.association
    if association is not None and association.state != "disassociated":
        described["IamInstanceProfile"] = {
            "Arn": association.instance_profile_arn,
            "Id": association.instance_profile_id,
        }
    return described


def _private_dns(world: Account, instance: Instance, state: str | None = None) -> str:
    """ip-172-31-x-y.ec2.internal (us-east-1) or ip-....REGION.compute.internal; "" once
    terminated."""
    if (state or instance.state) == "terminated":
        return ""
    region = world.region
    suffix = ".ec2.internal" if region == "us-east-1" else f".{region}.compute.internal"
    return "ip-" + instance.private_ip.replace(".", "-") + suffix


def _public_dns(world: Account, instance: Instance) -> str:
    if instance.public_ip is None:
        return ""
    region = world.region
    domain = (
        ".compute-1.amazonaws.com" if region == "us-east-1" else f".{region}.compute.amazonaws.com"
    )
    return "ec2-" + instance.public_ip.replace(".", "-") + domain


def _vpc_id(world: Account, instance: Instance) -> str | None:
    return _stable_id(world, "vpc-", "vpc") if instance.state != "terminated" else None


def _subnet_id(world: Account, instance: Instance) -> str | None:
    return _stable_id(world, "subnet-", "subnet") if instance.state != "terminated" else None


def _metadata_options(instance: Instance, state: str) -> dict[str, Any]:
    return {
        "State": state,
        "HttpTokens": instance.http_tokens,
        "HttpPutResponseHopLimit": instance.http_put_response_hop_limit,
        "HttpEndpoint": instance.http_endpoint,
        "HttpProtocolIpv6": instance.attributes.get("httpProtocolIpv6", "disabled"),
        "InstanceMetadataTags": instance.attributes.get("instanceMetadataTags", "disabled"),
    }


# --- Start, Stop, Terminate -------------------------------------------------------------------


@operation("ec2", "StartInstances")
@_guarded
def start_instances(call: Call) -> dict[str, Any]:
    instances = _authorized_instances(call, "ec2:StartInstances")
    changes = []
    for instance in instances:
        if instance.state in ("shutting-down", "terminated", "stopping"):
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{instance.instance_id}' is not in a state from which it can be started.",
                400,
            )
    for instance in instances:
        previous = instance.state
        current = "pending" if previous == "stopped" else previous
        instance.state = "running"
        changes.append(_state_change(instance, previous, current))
    return {"StartingInstances": changes}


@operation("ec2", "StopInstances")
@_guarded
def stop_instances(call: Call) -> dict[str, Any]:
    instances = _authorized_instances(call, "ec2:StopInstances")
    for instance in instances:
        if instance.state in ("shutting-down", "terminated"):
            raise AwsError(
                "IncorrectInstanceState",
                f"This instance '{instance.instance_id}' is not in a state from which it can be stopped.",
                400,
            )
        if _attribute(instance, "disableApiStop") == "true":
            # [UNCERTAIN: wording], as for disableApiTermination
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{instance.instance_id}' may not be stopped. "
                "Modify its 'disableApiStop' instance attribute and try again.",
                400,
            )
    changes = []
    for instance in instances:
        previous = instance.state
        if previous in ("pending", "running"):
            instance.state = "stopping"
            _forget_credentials(instance)
        changes.append(_state_change(instance, previous, instance.state))
    return {"StoppingInstances": changes}


@operation("ec2", "TerminateInstances")
@_guarded
def terminate_instances(call: Call) -> dict[str, Any]:
    instances = _authorized_instances(call, "ec2:TerminateInstances")
    for instance in instances:
        if _attribute(instance, "disableApiTermination") == "true":
            # AWS's OperationNotPermitted for a protected instance [UNCERTAIN: wording]
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{instance.instance_id}' may not be terminated. "
                "Modify its 'disableApiTermination' instance attribute and try again.",
                400,
            )
    changes = []
    for instance in instances:
        previous = instance.state
        if previous != "terminated":
            instance.state = "shutting-down"
            _forget_credentials(instance)
            instance.public_ip = None
            if instance.association is not None:
                _retire(instance, instance.association)
                instance.association = None
        changes.append(_state_change(instance, previous, instance.state))
    return {"TerminatingInstances": changes}


def _state_change(instance: Instance, previous: str, current: str) -> dict[str, Any]:
    return {
        "InstanceId": instance.instance_id,
        "CurrentState": {"Code": _STATE_CODES[current], "Name": current},
        "PreviousState": {"Code": _STATE_CODES[previous], "Name": previous},
    }


def _authorized_instances(call: Call, action: str) -> list[Instance]:
    """Instances named by InstanceIds, each authorized for `action`, then checked to exist."""
    ids = list(call.params.get("InstanceIds") or [])
    if not ids:
        raise AwsError("MissingParameter", "The request must contain the parameter InstanceId", 400)
    _check_instance_ids(ids)
    for instance_id in ids:
        instance = call.state.instances.get(instance_id)
        call.authorize(action, _arn(call, instance_id), context=_instance_context(call, instance))
    instances = _existing(call, ids)
    if call.params.get("DryRun"):
        raise _dry_run()
    return instances


def _forget_credentials(instance: Instance) -> None:
    """The metadata service stops serving; issued credentials stay valid until they expire.
    The application stops too, and with it the credentials its SDK held."""
    instance.role_credentials = None
    instance.app_credentials = None
    instance.imds_tokens = []


# --- instance profile associations ---------------------------------------------------------


@operation("ec2", "AssociateIamInstanceProfile")
@_guarded
def associate_iam_instance_profile(call: Call) -> dict[str, Any]:
    instance_id: str = call.params["InstanceId"]
    spec: dict[str, Any] = call.params["IamInstanceProfile"]
    _check_instance_ids([instance_id])
    instance = call.state.instances.get(instance_id)
    context = _instance_context(call, instance)
    hint = _profile_arn_hint(call, spec)
    if hint:
        context["ec2:NewInstanceProfile"] = hint
    call.authorize("ec2:AssociateIamInstanceProfile", _arn(call, instance_id), context=context)
    (instance,) = _existing(call, [instance_id])
    profile, role = _resolve_profile(call, spec)
    _authorize_pass_role(call, role)
    if instance.association is not None:
        raise AwsError(
            "IncorrectState", f"There is an existing association for instance {instance_id}", 400
        )
    if instance.state not in ("running", "stopped"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
            400,
        )
    instance.association = _new_association(call, profile)
    instance.role_credentials = None
    return {"IamInstanceProfileAssociation": _association(instance, instance.association)}


@operation("ec2", "ReplaceIamInstanceProfileAssociation")
@_guarded
def replace_iam_instance_profile_association(call: Call) -> dict[str, Any]:
    association_id: str = call.params["AssociationId"]
    spec: dict[str, Any] = call.params["IamInstanceProfile"]
    instance = _instance_for_association(call, association_id)
    context = _instance_context(call, instance)
    hint = _profile_arn_hint(call, spec)
    if hint:
        context["ec2:NewInstanceProfile"] = hint
    resource = _arn(call, instance.instance_id if instance else "*")
    call.authorize("ec2:ReplaceIamInstanceProfileAssociation", resource, context=context)
    if instance is None or instance.association is None:
        raise _association_not_found(association_id)
    profile, role = _resolve_profile(call, spec)
    _authorize_pass_role(call, role)
    current = instance.association
    if instance.state != "running" or current.state not in ("associating", "associated"):
        raise AwsError(
            "IncorrectState", f"The association {association_id} is not the active association", 400
        )
    _retire(instance, current)
    instance.association = _new_association(call, profile)
    instance.role_credentials = None
    return {"IamInstanceProfileAssociation": _association(instance, instance.association)}


@operation("ec2", "DisassociateIamInstanceProfile")
@_guarded
def disassociate_iam_instance_profile(call: Call) -> dict[str, Any]:
    association_id: str = call.params["AssociationId"]
    instance = _instance_for_association(call, association_id)
    resource = _arn(call, instance.instance_id if instance else "*")
    call.authorize(
        "ec2:DisassociateIamInstanceProfile", resource, context=_instance_context(call, instance)
    )
    if instance is None or instance.association is None:
        raise _association_not_found(association_id)
    association = instance.association
    if association.state not in ("associating", "associated"):
        raise AwsError(
            "IncorrectState", f"The association {association_id} is not the active association", 400
        )
    association.state = "disassociating"
    association.since = call.state.now
    instance.role_credentials = None
    return {"IamInstanceProfileAssociation": _association(instance, association)}


@operation("ec2", "DescribeIamInstanceProfileAssociations")
@_guarded
def describe_iam_instance_profile_associations(call: Call) -> dict[str, Any]:
    call.authorize(
        "ec2:DescribeIamInstanceProfileAssociations", "*", context={"ec2:Region": call.state.region}
    )
    params = call.params
    wanted = list(params.get("AssociationIds") or [])
    current = [
        (instance, instance.association)
        for instance in call.state.instances.values()
        if instance.association is not None
    ]
    if wanted:
        known = {association.association_id for _, association in current}
        for association_id in wanted:
            if not _ASSOCIATION_ID.match(association_id):
                raise AwsError("InvalidParameterValue", "Invalid value for associationId.", 400)
            if association_id not in known:
                raise _association_not_found(association_id)
        current = [pair for pair in current if pair[1].association_id in wanted]
    for item in params.get("Filters") or []:
        name, values = item["Name"], item.get("Values") or []
        patterns = [_wildcard(value) for value in values]
        if name == "instance-id":
            current = [p for p in current if any(x.matches(p[0].instance_id) for x in patterns)]
        elif name == "state":
            current = [p for p in current if any(x.matches(p[1].state) for x in patterns)]
        else:
            raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
    start, end = _page(params.get("NextToken"), params.get("MaxResults"), len(current))
    response: dict[str, Any] = {
        "IamInstanceProfileAssociations": [
            {**_association(instance, association), "Timestamp": association.since}
            for instance, association in current[start:end]
        ]
    }
    if end < len(current):
        response["NextToken"] = _token(end)
    return response


def _new_association(call: Call, profile: InstanceProfile) -> Association:
    return Association(
        association_id=call.new_id("iip-assoc-", 17, _HEX),
        instance_profile_arn=profile.arn,
        instance_profile_id=profile.instance_profile_id,
        state="associating",
        since=call.state.now,
    )


def _retire(instance: Instance, association: Association) -> None:
    association.state = "disassociated"
    instance.past_associations.append(association)
    del instance.past_associations[:-PAST_ASSOCIATIONS_KEPT]


def _association(instance: Instance, association: Association) -> dict[str, Any]:
    return {
        "AssociationId": association.association_id,
        "InstanceId": instance.instance_id,
        "IamInstanceProfile": {
            "Arn": association.instance_profile_arn,
            "Id": association.instance_profile_id,
        },
        "State": association.state,
    }


def _instance_for_association(call: Call, association_id: str) -> Instance | None:
    if not _ASSOCIATION_ID.match(association_id):
        raise AwsError("InvalidParameterValue", "Invalid value for associationId.", 400)
    for instance in call.state.instances.values():
        if (
            instance.association is not None
            and instance.association.association_id == association_id
        ):
            return instance
    return None


def _association_not_found(association_id: str) -> AwsError:
    return AwsError(
        "InvalidAssociationID.NotFound",
        f"The association ID '{association_id}' does not exist",
        400,
    )


# --- ModifyInstanceMetadataOptions --------------------------------------------------------------


@operation("ec2", "ModifyInstanceMetadataOptions")
@_guarded
def modify_instance_metadata_options(call: Call) -> dict[str, Any]:
    params = call.params
    instance_id: str = params["InstanceId"]
    _check_instance_ids([instance_id])
    instance = call.state.instances.get(instance_id)
    context = _instance_context(call, instance)
    for param, key in (("HttpTokens", "ec2:MetadataHttpTokens"),
                       ("HttpEndpoint", "ec2:MetadataHttpEndpoint"),
                       ("HttpPutResponseHopLimit", "ec2:MetadataHttpPutResponseHopLimit")):  # fmt: skip
        if param in params:
            context[key] = str(params[param])
    call.authorize("ec2:ModifyInstanceMetadataOptions", _arn(call, instance_id), context=context)
    (instance,) = _existing(call, [instance_id])
    if "HttpPutResponseHopLimit" in params and params["HttpPutResponseHopLimit"] != -1:
        _check_hop_limit(params["HttpPutResponseHopLimit"])
    if params.get("HttpTokens"):
        _check_choice("HttpTokens", params["HttpTokens"], ("optional", "required"))
    if params.get("HttpEndpoint"):
        _check_choice("HttpEndpoint", params["HttpEndpoint"], ("enabled", "disabled"))
    for param in ("HttpProtocolIpv6", "InstanceMetadataTags"):
        if params.get(param):
            _check_choice(param, params[param], ("enabled", "disabled"))
    if instance.state in ("shutting-down", "terminated"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a state from which its metadata options can be modified.",
            400,
        )
    if params.get("DryRun"):
        raise _dry_run()
    if params.get("HttpTokens"):
        instance.http_tokens = params["HttpTokens"]
    if params.get("HttpEndpoint"):
        instance.http_endpoint = params["HttpEndpoint"]
    if params.get("HttpPutResponseHopLimit", -1) != -1:
        instance.http_put_response_hop_limit = int(params["HttpPutResponseHopLimit"])
    # Kept in the instance's attributes under botocore's member names, lower-camel-cased.
    if params.get("HttpProtocolIpv6"):
        instance.attributes["httpProtocolIpv6"] = params["HttpProtocolIpv6"]
    if params.get("InstanceMetadataTags"):
        instance.attributes["instanceMetadataTags"] = params["InstanceMetadataTags"]
    return {
        "InstanceId": instance_id,
        "InstanceMetadataOptions": _metadata_options(instance, "pending"),
    }


# --- key pairs: CreateKeyPair, DescribeKeyPairs, DeleteKeyPair ----------------------------------
# Shapes: botocore's ec2 model (2016-11-15: CreateKeyPairRequest, KeyPair, KeyPairInfo,
# DeleteKeyPairResult). Actions and resource: the Service Authorization Reference for Amazon
# EC2 (ec2:CreateKeyPair, ec2:DeleteKeyPair on `key-pair/NAME`; ec2:DescribeKeyPairs, a list
# action, on `*`). Error codes InvalidKeyPair.NotFound and InvalidKeyPair.Duplicate: EC2's API
# error codes (the search corpus did not hold AWS's page; old EC2 SDKs list the same codes:
# "Specified keypair name does not exist", "Attempt to create a duplicate keypair").
# [UNCERTAIN: the exact message texts EC2 returns with them.] CreateKeyPair's docs: "If a key
# with the specified name already exists, Amazon EC2 returns an error"; fingerprints: KeyPair's
# KeyFingerprint member (SHA-1 of the DER private key for RSA, base64 SHA-256 for ED25519).

_KEY_NAME_LIMIT = 255  # "Constraints: Up to 255 ASCII characters" (CreateKeyPair's KeyName)
_KEY_PAIR_ID = re.compile(r"^key-[0-9a-f]{17}$")


def _key_pair_arn(call: Call, name: str) -> str:
    return f"arn:aws:ec2:{call.state.region}:{call.state.account_id}:key-pair/{name}"


def _key_pair_not_found(name: str) -> AwsError:
    return AwsError("InvalidKeyPair.NotFound", f"The key pair '{name}' does not exist", 400)


def _key_material(world: Account, key_pair_id: str, key_type: str) -> tuple[str, str]:
    """A private key's look, and its fingerprint, derived from the world's seed and the key
    pair's id: NOT a real key (no key is ever generated; nothing can sign or decrypt with it),
    so that a learner's `--query KeyMaterial > my-key.pem` has something to save.

    The fingerprint follows AWS's rule on these bytes: RSA, the SHA-1 digest of the (here
    pretend) DER encoding, as colon-separated hex; ED25519, the base64 SHA-256 digest."""
    der = b""
    block = f"{world.state.seed}:key-pair:{key_pair_id}".encode()
    size = 1190 if key_type == "rsa" else 119  # about a 2048-bit RSA / an ed25519 key's size
    while len(der) < size:
        block = hashlib.sha256(block).digest()
        der += block
    der = der[:size]
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    label = "RSA PRIVATE KEY" if key_type == "rsa" else "OPENSSH PRIVATE KEY"
    material = "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])
    if key_type == "rsa":
        digest = hashlib.sha1(der).hexdigest()  # noqa: S324 - AWS's fingerprint is SHA-1
        fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    else:
        fingerprint = base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    return material, fingerprint


def _key_pair_tags(specifications: list[dict[str, Any]]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for specification in specifications:
        if specification.get("ResourceType") != "key-pair":
            raise AwsError(
                "InvalidParameterValue",
                f"'{specification.get('ResourceType')}' is not a valid taggable resource type "
                "for this operation.",  # [UNCERTAIN: wording]
                400,
            )
        for tag in specification.get("Tags") or []:
            key, value = tag.get("Key", ""), tag.get("Value", "")
            _check_tag(key, value)
            tags[key] = value
    return tags


def _key_pair_info(name: str, pair: dict[str, str]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "KeyPairId": pair["KeyPairId"],
        "KeyFingerprint": pair["KeyFingerprint"],
        "KeyName": name,
        "KeyType": pair["KeyType"],
        "Tags": [{"Key": k, "Value": v} for k, v in json.loads(pair.get("Tags", "{}")).items()],
        "CreateTime": datetime.fromisoformat(pair["CreateTime"]),
    }
    return info


@operation("ec2", "CreateKeyPair")
@_guarded
def create_key_pair(call: Call) -> dict[str, Any]:
    params = call.params
    name: str = params["KeyName"]
    key_type = params.get("KeyType") or "rsa"
    tags = _key_pair_tags(params.get("TagSpecifications") or [])
    context: dict[str, Any] = {"ec2:Region": call.state.region, "ec2:KeyType": key_type}
    if tags:
        context["aws:TagKeys"] = list(tags)
        for key, value in tags.items():
            context[f"aws:RequestTag/{key}"] = value
    call.authorize("ec2:CreateKeyPair", _key_pair_arn(call, name), context=context)
    if not name or len(name) > _KEY_NAME_LIMIT or not name.isascii():
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({name}) for parameter keyName is invalid. "
            f"Up to {_KEY_NAME_LIMIT} ASCII characters.",  # [UNCERTAIN: wording]
            400,
        )
    _check_choice("KeyType", key_type, ("rsa", "ed25519"))
    _check_choice("KeyFormat", params.get("KeyFormat") or "pem", ("pem", "ppk"))
    if name in call.state.key_pairs:
        raise AwsError("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.", 400)
    if params.get("DryRun"):
        raise _dry_run()
    key_pair_id = call.new_id("key-", 17, _HEX)
    material, fingerprint = _key_material(call.world, key_pair_id, key_type)
    call.state.key_pairs[name] = {
        "KeyPairId": key_pair_id,
        "KeyFingerprint": fingerprint,
        "KeyType": key_type,
        "Tags": json.dumps(tags),
        "CreateTime": call.state.now.isoformat(),
    }
    response: dict[str, Any] = {
        "KeyFingerprint": fingerprint,
        "KeyMaterial": material,
        "KeyName": name,
        "KeyPairId": key_pair_id,
    }
    if tags:
        response["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return response


_KEY_PAIR_FILTERS: dict[str, Callable[[str, dict[str, str]], list[str]]] = {
    "key-name": lambda name, pair: [name],
    "key-pair-id": lambda name, pair: [pair["KeyPairId"]],
    "fingerprint": lambda name, pair: [pair["KeyFingerprint"]],
    "key-type": lambda name, pair: [pair["KeyType"]],
    "tag-key": lambda name, pair: list(json.loads(pair.get("Tags", "{}"))),
}


def _key_pair_filter(name: str, values: list[str]) -> Callable[[str, dict[str, str]], bool]:
    globs = [_wildcard(value) for value in values]
    if name.startswith("tag:"):
        tag = name[4:]

        def tagged(key_name: str, pair: dict[str, str]) -> bool:
            value = json.loads(pair.get("Tags", "{}")).get(tag)
            return value is not None and any(glob.matches(value) for glob in globs)

        return tagged
    field = _KEY_PAIR_FILTERS.get(name)
    if field is None:
        raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
    return lambda key_name, pair: any(
        glob.matches(value) for value in field(key_name, pair) for glob in globs
    )


@operation("ec2", "DescribeKeyPairs")
@_guarded
def describe_key_pairs(call: Call) -> dict[str, Any]:
    call.authorize("ec2:DescribeKeyPairs", "*", context={"ec2:Region": call.state.region})
    params = call.params
    pairs = call.state.key_pairs
    names = list(params.get("KeyNames") or [])
    ids = list(params.get("KeyPairIds") or [])
    for name in names:
        if name not in pairs:
            raise _key_pair_not_found(name)
    by_id = {pair["KeyPairId"]: name for name, pair in pairs.items()}
    for key_pair_id in ids:
        if key_pair_id not in by_id:
            raise AwsError(
                "InvalidKeyPair.NotFound", f"The key pair ID '{key_pair_id}' does not exist", 400
            )
    checks = [
        _key_pair_filter(f["Name"], f.get("Values") or []) for f in params.get("Filters") or []
    ]
    if params.get("DryRun"):
        raise _dry_run()
    wanted = set(names) | {by_id[key_pair_id] for key_pair_id in ids}
    return {
        "KeyPairs": [
            _key_pair_info(name, pair)
            for name, pair in pairs.items()
            if (not wanted or name in wanted) and all(check(name, pair) for check in checks)
        ]
    }


@operation("ec2", "DeleteKeyPair")
@_guarded
def delete_key_pair(call: Call) -> dict[str, Any]:
    """By name or by id. Deleting a name that does not exist succeeds, as EC2's does
    [UNCERTAIN: observed behaviour, not documented]; an unknown id is InvalidKeyPair.NotFound."""
    params = call.params
    pairs = call.state.key_pairs
    name: str | None = params.get("KeyName")
    key_pair_id: str | None = params.get("KeyPairId")
    if not name and not key_pair_id:
        raise AwsError("MissingParameter", "The request must contain the parameter KeyName", 400)
    if key_pair_id and not name:
        if not _KEY_PAIR_ID.match(key_pair_id):
            raise AwsError(
                "InvalidKeyPair.NotFound", f"The key pair ID '{key_pair_id}' does not exist", 400
            )
        name = next((n for n, pair in pairs.items() if pair["KeyPairId"] == key_pair_id), None)
        if name is None:
            raise AwsError(
                "InvalidKeyPair.NotFound", f"The key pair ID '{key_pair_id}' does not exist", 400
            )
    assert name is not None
    call.authorize(
        "ec2:DeleteKeyPair", _key_pair_arn(call, name), context={"ec2:Region": call.state.region}
    )
    if params.get("DryRun"):
        raise _dry_run()
    removed = pairs.pop(name, None)
    response: dict[str, Any] = {"Return": True}
    if removed is not None:
        response["KeyPairId"] = removed["KeyPairId"]
    return response


# --- tags, status, reboot, attributes (issue 13, item 8) ----------------------------------------
# Request and response shapes: botocore's ec2 model (2016-11-15). Actions and resources: the
# Service Authorization Reference for Amazon EC2 (each on `instance/ID`, DescribeInstanceStatus
# on `*`).

_ATTRIBUTES: dict[str, tuple[str, str]] = {
    # AWS's attribute name -> (response member, default)
    "disableApiTermination": ("DisableApiTermination", "false"),
    "disableApiStop": ("DisableApiStop", "false"),
    "instanceInitiatedShutdownBehavior": ("InstanceInitiatedShutdownBehavior", "stop"),
    "sourceDestCheck": ("SourceDestCheck", "true"),
    "ebsOptimized": ("EbsOptimized", "false"),
    "enaSupport": ("EnaSupport", "true"),
    "userData": ("UserData", ""),
}
_BOOLEAN_ATTRIBUTES = {"disableApiTermination", "disableApiStop", "sourceDestCheck",
                       "ebsOptimized", "enaSupport"}  # fmt: skip


def _attribute(instance: Instance, name: str) -> str:
    return instance.attributes.get(name, _ATTRIBUTES[name][1])


@operation("ec2", "CreateTags")
@_guarded
def create_tags(call: Call) -> dict[str, Any]:
    tags = _tag_list(call.params.get("Tags"), require=True)
    context: dict[str, Any] = {"aws:TagKeys": list(tags)}
    for key, value in tags.items():
        context[f"aws:RequestTag/{key}"] = value
    instances = _tagged_resources(call, "ec2:CreateTags", context)
    for key, value in tags.items():
        _check_tag(key, value)
    for instance in instances:
        if len(instance.tags.keys() | tags.keys()) > 50:
            raise AwsError(
                "TagLimitExceeded", "The maximum number of tags per resource is 50.", 400
            )
    if call.params.get("DryRun"):
        raise _dry_run()
    for instance in instances:
        instance.tags.update(tags)
    return {}


@operation("ec2", "DeleteTags")
@_guarded
def delete_tags(call: Call) -> dict[str, Any]:
    """No Tags: every tag goes. A tag with a Value goes only if its value is that value (an
    empty string included); a tag without one goes whatever its value (AWS's DeleteTags)."""
    given = call.params.get("Tags")
    wanted = [(str(tag["Key"]), tag.get("Value")) for tag in given or []]
    context: dict[str, Any] = {"aws:TagKeys": [key for key, _ in wanted]} if wanted else {}
    instances = _tagged_resources(call, "ec2:DeleteTags", context)
    if call.params.get("DryRun"):
        raise _dry_run()
    for instance in instances:
        if given is None:
            instance.tags.clear()
        for key, value in wanted:
            if key in instance.tags and (value is None or instance.tags[key] == value):
                del instance.tags[key]
    return {}


def _tag_list(tags: Any, *, require: bool) -> dict[str, str]:
    if not tags and require:
        raise AwsError("MissingParameter", "The request must contain the parameter Tags", 400)
    return {str(tag["Key"]): str(tag.get("Value") or "") for tag in tags or []}


def _tagged_resources(call: Call, action: str, context: dict[str, Any]) -> list[Instance]:
    """The instances named by Resources, each authorized. Only instances are simulated: any
    other id is refused. [UNCERTAIN: the error AWS gives for an unknown id of another type.]"""
    ids = list(call.params.get("Resources") or [])
    if not ids:
        raise AwsError(
            "MissingParameter", "The request must contain the parameter resourceIdSet", 400
        )
    for resource_id in ids:
        if not resource_id.startswith("i-"):
            raise AwsError(
                "InvalidID",
                f"The ID '{resource_id}' is not valid. The simulated account tags only instances.",
                400,
            )
    _check_instance_ids(ids)
    for instance_id in ids:
        instance = call.state.instances.get(instance_id)
        call.authorize(
            action,
            _arn(call, instance_id),
            context={**_instance_context(call, instance), **context},
        )
    return _existing(call, ids)


@operation("ec2", "DescribeInstanceStatus")
@_guarded
def describe_instance_status(call: Call) -> dict[str, Any]:
    """Running instances only unless IncludeAllInstances; a running instance's checks pass
    (it boots at once). Others' checks are `not-applicable`."""
    call.authorize("ec2:DescribeInstanceStatus", "*", context={"ec2:Region": call.state.region})
    params = call.params
    found = _instances_asked(call)
    if not params.get("IncludeAllInstances"):
        found = [instance for instance in found if instance.state == "running"]
    statuses = [_instance_status(call.world, instance) for instance in found]
    for item in params.get("Filters") or []:
        statuses = _filter_statuses(statuses, item["Name"], item.get("Values") or [])
    if params.get("DryRun"):
        raise _dry_run()
    start, end = _page(params.get("NextToken"), params.get("MaxResults"), len(statuses))
    response: dict[str, Any] = {"InstanceStatuses": statuses[start:end]}
    if end < len(statuses):
        response["NextToken"] = _token(end)
    return response


def _instance_status(world: Account, instance: Instance) -> dict[str, Any]:
    def summary() -> dict[str, Any]:
        if instance.state != "running":
            return {"Status": "not-applicable"}
        return {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}

    return {
        "AvailabilityZone": _availability_zone(world, instance),
        "InstanceId": instance.instance_id,
        "InstanceState": {"Code": _STATE_CODES[instance.state], "Name": instance.state},
        "InstanceStatus": summary(),
        "SystemStatus": summary(),
    }


def _filter_statuses(
    statuses: list[dict[str, Any]], name: str, values: list[str]
) -> list[dict[str, Any]]:
    patterns = [_wildcard(value) for value in values]
    getters: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        "availability-zone": lambda s: [s["AvailabilityZone"]],
        "instance-state-name": lambda s: [s["InstanceState"]["Name"]],
        "instance-state-code": lambda s: [str(s["InstanceState"]["Code"])],
        "instance-status.status": lambda s: [s["InstanceStatus"]["Status"]],
        "system-status.status": lambda s: [s["SystemStatus"]["Status"]],
        "instance-status.reachability": lambda s: [
            d["Status"] for d in s["InstanceStatus"].get("Details", [])
        ],
        "system-status.reachability": lambda s: [
            d["Status"] for d in s["SystemStatus"].get("Details", [])
        ],
    }
    getter = getters.get(name)
    if getter is None:
        raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
    return [s for s in statuses if any(p.matches(v) for p in patterns for v in getter(s))]


@operation("ec2", "RebootInstances")
@_guarded
def reboot_instances(call: Call) -> dict[str, Any]:
    """A reboot restarts the instance's software at once: its application's SDK fetches
    credentials afresh, and metadata tokens issued before it are gone (they live in the
    instance's memory). [UNCERTAIN: the message for an instance that is not running.]"""
    instances = _authorized_instances(call, "ec2:RebootInstances")
    for instance in instances:
        if instance.state in ("shutting-down", "terminated"):
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{instance.instance_id}' is not in a state from which it can be rebooted.",
                400,
            )
    for instance in instances:
        if instance.state == "running":
            instance.app_credentials = None
            instance.imds_tokens = []
    return {}


@operation("ec2", "DescribeInstanceAttribute")
@_guarded
def describe_instance_attribute(call: Call) -> dict[str, Any]:
    instance_id: str = call.params["InstanceId"]
    attribute: str = call.params["Attribute"]
    _check_instance_ids([instance_id])
    instance = call.state.instances.get(instance_id)
    context = _instance_context(call, instance)
    call.authorize("ec2:DescribeInstanceAttribute", _arn(call, instance_id), context=context)
    (instance,) = _existing(call, [instance_id])
    if call.params.get("DryRun"):
        raise _dry_run()
    response: dict[str, Any] = {"InstanceId": instance_id}
    if attribute in _ATTRIBUTES:
        member, _ = _ATTRIBUTES[attribute]
        value = _attribute(instance, attribute)
        if attribute in _BOOLEAN_ATTRIBUTES:
            response[member] = {"Value": value == "true"}
        elif attribute == "userData":
            response[member] = {"Value": value} if value else {}
        else:
            response[member] = {"Value": value}
    elif attribute == "instanceType":
        response["InstanceType"] = {"Value": instance.instance_type}
    elif attribute == "rootDeviceName":
        response["RootDeviceName"] = {"Value": _root_device_name(instance)}
    elif attribute == "groupSet":
        response["Groups"] = [{"GroupName": "default", "GroupId": _default_group(call.world)}]
    elif attribute == "blockDeviceMapping":
        response["BlockDeviceMappings"] = [
            _mapping(device) for device in _attached(call.world, instance)
        ]
    elif attribute == "productCodes":
        response["ProductCodes"] = []
    elif attribute in ("kernel", "ramdisk", "sriovNetSupport"):
        response[
            {"kernel": "KernelId", "ramdisk": "RamdiskId"}.get(attribute, "SriovNetSupport")
        ] = {}
    elif attribute == "enclaveOptions":
        response["EnclaveOptions"] = {"Enabled": False}
    else:
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.",
            400,
        )
    return response


@operation("ec2", "ModifyInstanceAttribute")
@_guarded
def modify_instance_attribute(call: Call) -> dict[str, Any]:
    """One attribute per call, as AWS requires: either Attribute + Value or one of the
    attribute's own parameters. BlockDeviceMappings changes DeleteOnTermination of attached
    volumes. Kernel, ramdisk, SR-IOV and enclave changes are refused: the simulated instances
    have none of them."""
    params = call.params
    instance_id: str = params["InstanceId"]
    _check_instance_ids([instance_id])
    instance = call.state.instances.get(instance_id)
    context = _instance_context(call, instance)
    call.authorize("ec2:ModifyInstanceAttribute", _arn(call, instance_id), context=context)
    (instance,) = _existing(call, [instance_id])
    changes = _requested_attributes(params)
    if len(changes) != 1:
        raise AwsError(
            "InvalidParameterCombination",
            "Exactly one attribute must be specified for modification."
            if changes
            else "No attributes specified.",
            400,
        )
    ((name, value),) = changes.items()
    if params.get("DryRun"):
        # DryRun "checks whether you have the required permissions for the action, without
        # actually making the request" (EC2 API reference, ModifyInstanceAttribute): it answers
        # once the caller is authorized, whatever state the instance is in.
        raise _dry_run()
    if name == "blockDeviceMapping":
        _modify_block_devices(call, instance, list(params["BlockDeviceMappings"]))
        return {}
    if name == "instanceType":
        if not _INSTANCE_TYPE.match(value) or len(value) > 32:
            raise AwsError(
                "InvalidParameterValue", f"Invalid value '{value}' for InstanceType.", 400
            )
        if instance.state != "stopped":
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{instance_id}' is not in the 'stopped' state.",
                400,
            )
    elif name == "instanceInitiatedShutdownBehavior":
        _check_choice("InstanceInitiatedShutdownBehavior", value, ("stop", "terminate"))
    elif name == "groupSet":
        for group in value.split(","):
            if group != _default_group(call.world):
                raise _group_not_found(group)
        value = ""
    elif name == "userData":
        if instance.state != "stopped":
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{instance_id}' is not in the 'stopped' state.",
                400,
            )
    elif name not in _ATTRIBUTES:
        raise AwsError(
            "InvalidParameterValue",
            f"Value ({name}) for parameter attribute is invalid. "
            "The simulated instances do not have this attribute.",
            400,
        )
    if name == "instanceType":
        instance.instance_type = value
    elif name in _ATTRIBUTES:
        instance.attributes[name] = value
    return {}


def _requested_attributes(params: dict[str, Any]) -> dict[str, str]:
    """{AWS attribute name: value as text} for what the request asks to change."""
    changes: dict[str, str] = {}
    if params.get("Attribute"):
        name = str(params["Attribute"])
        value = params.get("Value")
        if value is None:
            raise AwsError("MissingParameter", "The request must contain the parameter value", 400)
        changes[name] = str(value).lower() if name in _BOOLEAN_ATTRIBUTES else str(value)
    for member, name in (("SourceDestCheck", "sourceDestCheck"),
                         ("DisableApiTermination", "disableApiTermination"),
                         ("DisableApiStop", "disableApiStop"),
                         ("EbsOptimized", "ebsOptimized"),
                         ("EnaSupport", "enaSupport")):  # fmt: skip
        if member in params:
            changes[name] = "true" if params[member].get("Value") else "false"
    for member, name in (("InstanceType", "instanceType"),
                         ("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior"),
                         ("Kernel", "kernel"), ("Ramdisk", "ramdisk"),
                         ("SriovNetSupport", "sriovNetSupport")):  # fmt: skip
        if member in params:
            changes[name] = str(params[member].get("Value") or "")
    if "UserData" in params:
        raw = params["UserData"].get("Value") or b""
        raw = raw.encode() if isinstance(raw, str) else bytes(raw)
        changes["userData"] = base64.b64encode(raw).decode()
    if params.get("Groups"):
        changes["groupSet"] = ",".join(params["Groups"])
    for member, name in (("BlockDeviceMappings", "blockDeviceMapping"),
                         ("EnclaveOptions", "enclaveOptions")):  # fmt: skip
        if member in params:
            changes[name] = ""
    return changes


def _default_group(world: Account) -> str:
    return _stable_id(world, "sg-", "sg")


def _group_not_found(group: str) -> AwsError:
    # [UNCERTAIN: wording] EC2's InvalidGroup.NotFound names the group that does not exist.
    return AwsError("InvalidGroup.NotFound", f"The security group '{group}' does not exist", 400)


def _availability_zone(world: Account, instance: Instance) -> str:
    return instance.attributes.get("availabilityZone") or f"{world.region}a"


# --- shared helpers -----------------------------------------------------------------------------


def _arn(call: Call, instance_id: str) -> str:
    return f"arn:aws:ec2:{call.state.region}:{call.state.account_id}:instance/{instance_id}"


def _instance_context(call: Call, instance: Instance | None) -> dict[str, Any]:
    """The condition keys EC2 sets for an instance resource."""
    context: dict[str, Any] = {"ec2:Region": call.state.region}
    if instance is None:
        return context
    context["ec2:InstanceID"] = instance.instance_id
    context["ec2:InstanceType"] = instance.instance_type
    context["ec2:MetadataHttpTokens"] = instance.http_tokens
    context["ec2:MetadataHttpEndpoint"] = instance.http_endpoint
    context["ec2:MetadataHttpPutResponseHopLimit"] = str(instance.http_put_response_hop_limit)
    if instance.association is not None and instance.association.state != "disassociated":
        context["ec2:InstanceProfile"] = instance.association.instance_profile_arn
    for key, value in instance.tags.items():
        context[f"ec2:ResourceTag/{key}"] = value
        context[f"aws:ResourceTag/{key}"] = value
    return context


def _check_instance_ids(ids: Iterable[str]) -> None:
    for instance_id in ids:
        if not _INSTANCE_ID.match(instance_id):
            raise AwsError("InvalidInstanceID.Malformed", f'Invalid id: "{instance_id}"', 400)


def _existing(call: Call, ids: list[str]) -> list[Instance]:
    instances = call.state.instances
    missing = [instance_id for instance_id in dict.fromkeys(ids) if instance_id not in instances]
    if len(missing) == 1:
        raise AwsError(
            "InvalidInstanceID.NotFound", f"The instance ID '{missing[0]}' does not exist", 400
        )
    if missing:
        raise AwsError(
            "InvalidInstanceID.NotFound",
            f"The instance IDs '{', '.join(missing)}' do not exist",
            400,
        )
    return [instances[instance_id] for instance_id in dict.fromkeys(ids)]


# --- the clock ------------------------------------------------------------------------------------


@settles
def settle(world: Account) -> None:
    """Stops and terminations finish, associations settle, stale tokens and credentials go."""
    now = world.now
    for instance in world.state.instances.values():
        if instance.state == "stopping":
            instance.state = "stopped"
        elif instance.state == "shutting-down":
            _release_volumes(world, instance)
            instance.state = "terminated"
        elif instance.state == "pending":
            instance.state = "running"
        association = instance.association
        if association is not None and now > association.since:
            if association.state == "associating":
                association.state = "associated"
            elif association.state == "disassociating":
                _retire(instance, association)
                instance.association = None
        if instance.imds_tokens:
            instance.imds_tokens = [token for token in instance.imds_tokens if token.expires > now]
    sessions = world.state.sessions
    stale = [
        key
        for key, session in sessions.items()
        if session.source == "InstanceProfile" and now - session.expiration > SESSION_RETENTION
    ]
    for key in stale:
        del sessions[key]


# Re-exported for instances.py and tests: the metadata service's view of an association.
active_association = imds.active_association


# --- DescribeVolumes ------------------------------------------------------------------------------
# The volumes the account's instances have (attached, or kept detached after a termination).
# Shapes: botocore's ec2 model (DescribeVolumesRequest, Volume, VolumeAttachment); filters: its
# documentation of DescribeVolumes' Filters; action: the Service Authorization Reference
# (ec2:DescribeVolumes, a list action, on `*`). [UNCERTAIN: the wording of
# InvalidVolume.NotFound and InvalidVolumeID.Malformed.]


@operation("ec2", "DescribeVolumes")
@_guarded
def describe_volumes(call: Call) -> dict[str, Any]:
    call.authorize("ec2:DescribeVolumes", "*", context={"ec2:Region": call.state.region})
    params = call.params
    ids = list(params.get("VolumeIds") or [])
    max_results = params.get("MaxResults")
    if ids and max_results is not None:
        raise AwsError(
            "InvalidParameterCombination",
            "The parameter volumeSet cannot be used with the parameter maxResults",
            400,
        )
    for volume_id in ids:
        if not _VOLUME_ID.match(volume_id):
            raise AwsError(
                "InvalidVolumeID.Malformed", f'Invalid id: "{volume_id}" (expecting "vol-...")', 400
            )
    volumes = [
        _volume(call.world, instance, device)
        for instance in call.state.instances.values()
        for device in _devices(call.world, instance)
    ]
    known = {volume["VolumeId"] for volume in volumes}
    missing = [volume_id for volume_id in dict.fromkeys(ids) if volume_id not in known]
    if missing:
        raise AwsError(
            "InvalidVolume.NotFound",
            f"The volume '{missing[0]}' does not exist."
            if len(missing) == 1
            else f"The volumes '{', '.join(missing)}' do not exist.",
            400,
        )
    if ids:
        volumes = [volume for volume in volumes if volume["VolumeId"] in ids]
    for item in params.get("Filters") or []:
        volumes = _filter_volumes(volumes, item["Name"], item.get("Values") or [])
    if params.get("DryRun"):
        raise _dry_run()
    start, end = _page(params.get("NextToken"), max_results, len(volumes))
    response: dict[str, Any] = {"Volumes": volumes[start:end]}
    if end < len(volumes):
        response["NextToken"] = _token(end)
    return response


def _volume(world: Account, instance: Instance, device: dict[str, Any]) -> dict[str, Any]:
    """A volume in botocore's Volume shape. A gp2 volume's Iops is its baseline (3 per GiB,
    100 to 16,000); gp3's default 3,000 IOPS and 125 MiB/s (EBS User Guide, volume types)."""
    size = int(device["Size"])
    volume_type = str(device["VolumeType"])
    iops = device.get("Iops")
    if iops is None and volume_type == "gp2":
        iops = min(max(3 * size, 100), 16000)
    elif iops is None and volume_type == "gp3":
        iops = 3000
    attach_time = datetime.fromisoformat(str(device["AttachTime"]))
    volume: dict[str, Any] = {
        "Attachments": [],
        "AvailabilityZone": _availability_zone(world, instance),
        "CreateTime": attach_time,
        "Encrypted": bool(device["Encrypted"]),
        "Size": size,
        "SnapshotId": device.get("SnapshotId") or "",
        "State": "available" if device.get("Detached") else "in-use",
        "VolumeId": device["VolumeId"],
        "VolumeType": volume_type,
        "MultiAttachEnabled": False,
    }
    if iops is not None:
        volume["Iops"] = int(iops)
    if volume_type == "gp3":
        volume["Throughput"] = int(device.get("Throughput") or 125)
    if device.get("KmsKeyId"):
        volume["KmsKeyId"] = device["KmsKeyId"]
    if not device.get("Detached"):
        volume["Attachments"] = [
            {
                "AttachTime": attach_time,
                "Device": device["DeviceName"],
                "InstanceId": instance.instance_id,
                "State": "attached",
                "VolumeId": device["VolumeId"],
                "DeleteOnTermination": bool(device["DeleteOnTermination"]),
            }
        ]
    return volume


_VOLUME_FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "attachment.attach-time": lambda v: [
        a["AttachTime"].isoformat().replace("+00:00", ".000Z") for a in v["Attachments"]
    ],
    "attachment.delete-on-termination": lambda v: [
        str(a["DeleteOnTermination"]).lower() for a in v["Attachments"]
    ],
    "attachment.device": lambda v: [a["Device"] for a in v["Attachments"]],
    "attachment.instance-id": lambda v: [a["InstanceId"] for a in v["Attachments"]],
    "attachment.status": lambda v: [a["State"] for a in v["Attachments"]],
    "availability-zone": lambda v: [v["AvailabilityZone"]],
    "create-time": lambda v: [v["CreateTime"].isoformat().replace("+00:00", ".000Z")],
    "encrypted": lambda v: [str(v["Encrypted"]).lower()],
    "multi-attach-enabled": lambda v: ["false"],
    "size": lambda v: [str(v["Size"])],
    "snapshot-id": lambda v: [v["SnapshotId"]],
    "status": lambda v: [v["State"]],
    "volume-id": lambda v: [v["VolumeId"]],
    "volume-type": lambda v: [v["VolumeType"]],
    "tag-key": lambda v: [],  # the simulated volumes carry no tags
}


def _filter_volumes(
    volumes: list[dict[str, Any]], name: str, values: list[str]
) -> list[dict[str, Any]]:
    patterns = [_wildcard(value) for value in values]
    if name.startswith("tag:"):
        return []
    getter = _VOLUME_FILTERS.get(name)
    if getter is None:
        raise AwsError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
    return [v for v in volumes if any(p.matches(x) for p in patterns for x in getter(v))]
