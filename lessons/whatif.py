"""What a change would flip: the recent calls whose outcome it would turn around.

    found = preview(world, lambda copy: copy.call(admin, "iam", "CreatePolicyVersion", params))
    found.flips   # e.g. AppRole on i-0abc…: s3 GetObject reports/q1.csv  Allowed → AccessDenied

Nothing here decides anything: each recent call is made again, through `World.call`, on two
copies of the world, one as it is and one with the change applied, and the two answers are
compared. The learner's world is never touched. The calls come from the event log (newest
first, each distinct call once): the caller's credentials are found again from the event's
access key id (a stored key in `state.access_keys`, temporary credentials in
`state.sessions`), the parameters from `requestParameters`. Calls whose credentials are gone
or expired, whose parameters the log shortened, or that change more than they read, are left
out. EC2's own AssumeRole on an instance's behalf (getting the role's credentials for the
metadata service) is asked again of the role's trust policy.

No Django here: the console (`lessons/console.py`) calls it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator import AwsError, World
from simulator.services import imds
from simulator.world import MAX_LOGGED_TEXT, Credentials

__all__ = ["REPLAY_LIMIT", "Flip", "FlipGroup", "Preview", "preview", "replayable"]

REPLAY_LIMIT = 60
"""How many distinct recent calls are made again: one run of a twenty-instance fleet (two
calls each) and then some. The log keeps 100 events, so this is most of what it holds."""

_REPLAYED_WRITES = frozenset({("s3", "PutObject"), ("sts", "AssumeRole")})
"""Calls that change something but are replayed anyway: what they change is small, and whether
they are allowed is the point (the fleet's Put; assuming a role)."""

_READ_PREFIXES = ("Get", "List", "Describe", "Head")


@dataclass(frozen=True, slots=True)
class Flip:
    """One recent call whose outcome the change would turn around."""

    who: str  # the caller's ARN (or the service acting for an instance)
    credentials: str  # "instance profile role", "long-term access key", ...
    instance_id: str | None
    instance_name: str  # its Name tag ("" if none)
    service: str
    operation: str
    target: str  # the bucket/key, role, user... the call was about ("" if none)
    before: str  # "Allowed" or the error code, as the world is now
    after: str  # ... and with the change
    message: str | None  # AWS's error text after the change (None when allowed)

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def who_short(self) -> str:
        """The ARN without its partition and account: assumed-role/AppRole/i-0abc…, user/bob."""
        if self.who.startswith("arn:") and self.who.count(":") >= 5:
            return self.who.split(":", 5)[5]
        return self.who

    @property
    def direction(self) -> str:
        """In words: "allowed → denied", "denied → allowed", or the two codes."""
        if self.before == "Allowed" and self.after != "Allowed":
            return "allowed → denied"
        if self.after == "Allowed" and self.before != "Allowed":
            return "denied → allowed"
        return f"{self.before} → {self.after}"

    @property
    def now_denied(self) -> bool:
        return self.after != "Allowed"


@dataclass(frozen=True, slots=True)
class FlipGroup:
    """Flips that differ only in the role session that made them (a fleet sharing a role)."""

    first: Flip
    callers: tuple[str, ...]  # the sessions (an instance id each) or the one caller

    @property
    def who(self) -> str:
        """assumed-role/FleetRole for a role's sessions; the caller otherwise."""
        return _principal(self.first.who_short)


def _principal(who: str) -> str:
    return who.rsplit("/", 1)[0] if who.startswith("assumed-role/") else who


@dataclass(frozen=True, slots=True)
class Preview:
    """What a proposed change would flip, among the recent calls made again."""

    flips: tuple[Flip, ...]
    replayed: int  # distinct calls made again
    skipped: int  # recent calls that could not be made again
    refused: AwsError | None = None  # AWS would refuse the change itself: nothing would flip

    @property
    def groups(self) -> list[FlipGroup]:
        """The flips, one line per change and principal (ten instances of a role: one line)."""
        found: dict[tuple[str, ...], list[Flip]] = {}
        for flip in self.flips:
            key = (flip.action, flip.target, flip.before, flip.after, _principal(flip.who_short))
            found.setdefault(key, []).append(flip)
        return [
            FlipGroup(flips[0], tuple(_session(flip) for flip in flips)) for flips in found.values()
        ]

    @property
    def summary(self) -> str:
        if self.refused is not None:
            return (
                f"AWS would refuse this change ({self.refused.code}: {self.refused.message}), "
                "so nothing would change."
            )
        if not self.replayed:
            return "There are no recent calls to try this change on yet."
        calls = f"{self.replayed} recent call{'s' if self.replayed != 1 else ''}"
        if not self.flips:
            return f"Of the {calls} made again, none would change outcome."
        denied = sum(flip.now_denied for flip in self.flips)
        allowed = len(self.flips) - denied
        parts = []
        if denied:
            parts.append(f"{denied} would now fail")
        if allowed:
            parts.append(f"{allowed} would now be allowed")
        return f"Of the {calls} made again, {' and '.join(parts)}."


@dataclass(frozen=True, slots=True)
class _Replay:
    event: Mapping[str, Any]
    service: str
    operation: str
    params: dict[str, Any]
    credentials: Credentials | None  # None: EC2 assuming a role for an instance
    source_ip: str | None
    role_name: str | None = None


def preview(
    world: World, change: Callable[[World], object], *, limit: int = REPLAY_LIMIT
) -> Preview:
    """Make the recent calls again, without and with `change`; report the ones that differ.

    `change` is applied to a copy (it may raise AwsError: AWS refusing the change itself).
    `world` is left exactly as it was.
    """
    replays, skipped = _recent(world, limit)
    data = world.to_dict()
    changed = World.from_dict(copy.deepcopy(data))
    try:
        change(changed)
    except AwsError as error:
        return Preview((), len(replays), skipped, refused=error)
    if not replays:
        return Preview((), 0, skipped)
    unchanged = World.from_dict(data)
    before = [_outcome(unchanged, replay) for replay in replays]
    after = [_outcome(changed, replay) for replay in replays]
    flips = [
        _flip(world, replay, was, now)
        for replay, was, now in zip(replays, before, after, strict=True)
        if was[0] != now[0]
    ]
    flips.reverse()  # newest first, as the activity log shows them
    return Preview(tuple(flips), len(replays), skipped)


def replayable(event: Mapping[str, Any]) -> bool:
    """Whether an event is a call whose authorization is worth asking again."""
    service = str(event.get("eventSource", "")).removesuffix(".amazonaws.com")
    operation = str(event.get("eventName", ""))
    return operation.startswith(_READ_PREFIXES) or (service, operation) in _REPLAYED_WRITES


def _recent(world: World, limit: int) -> tuple[list[_Replay], int]:
    """The newest `limit` distinct replayable calls, oldest first; and how many were skipped."""
    seen: set[str] = set()
    found: list[_Replay] = []
    skipped = 0
    for event in reversed(world.events):
        if len(found) >= limit:
            break
        if not replayable(event):
            continue
        replay = _replay_of(world, event)
        if replay is None:
            skipped += 1
            continue
        key = json.dumps(
            [replay.credentials and replay.credentials.access_key_id, replay.service,
             replay.operation, replay.params, replay.role_name, event.get("instanceId")],
            sort_keys=True, default=str,
        )  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        found.append(replay)
    found.reverse()
    return found, skipped


def _replay_of(world: World, event: Mapping[str, Any]) -> _Replay | None:
    service = str(event.get("eventSource", "")).removesuffix(".amazonaws.com")
    operation = str(event.get("eventName", ""))
    params = event.get("requestParameters")
    if not isinstance(params, dict) or _shortened(params):
        return None
    identity = event.get("userIdentity")
    if not isinstance(identity, dict):
        return None
    if identity.get("type") == "AWSService":
        # EC2 fetching an instance's role credentials: the trust policy's answer.
        role_arn = str(params.get("roleArn", ""))
        role_name = role_arn.rsplit("/", 1)[-1]
        if operation != "AssumeRole" or role_name not in world.state.roles:
            return None
        return _Replay(event, service, operation, {}, None, None, role_name=role_name)
    credentials = _credentials(world, str(identity.get("accessKeyId", "")))
    if credentials is None:
        return None
    source_ip = event.get("sourceIPAddress")
    return _Replay(
        event,
        service,
        operation,
        copy.deepcopy(params),
        credentials,
        source_ip if isinstance(source_ip, str) else None,
    )


def _credentials(world: World, key_id: str) -> Credentials | None:
    state = world.state
    key = state.access_keys.get(key_id)
    if key is not None:
        return Credentials(key.access_key_id, key.secret_access_key)
    session = state.sessions.get(key_id)
    if session is not None and world.now < session.expiration:
        return Credentials(session.access_key_id, session.secret_access_key, session.session_token)
    return None  # deleted, expired or never valid: asking again says nothing new


def _shortened(value: Any) -> bool:
    """The log cut long values short (policy documents, bodies): such a call is incomplete."""
    if isinstance(value, str):
        return len(value) > MAX_LOGGED_TEXT and value.endswith("…")
    if isinstance(value, dict):
        return any(_shortened(item) for item in value.values())
    if isinstance(value, list):
        return any(_shortened(item) for item in value)
    return False


def _outcome(world: World, replay: _Replay) -> tuple[str, str | None]:
    """("Allowed", None) or (error code, AWS's message), from making the call again."""
    if replay.credentials is None:
        assert replay.role_name is not None
        role = world.state.roles.get(replay.role_name)
        if role is not None and imds.role_trusts_ec2(world, role):
            return "Allowed", None
        return "AccessDenied", (
            f"ec2.amazonaws.com is not allowed to assume {replay.role_name}: its trust policy "
            "does not trust EC2, so the instance gets no credentials from it."
        )
    try:
        world.call(
            replay.credentials,
            replay.service,
            replay.operation,
            replay.params,
            source_ip=replay.source_ip,
        )
    except AwsError as error:
        return error.code, error.message
    return "Allowed", None


def _flip(
    world: World, replay: _Replay, before: tuple[str, str | None], after: tuple[str, str | None]
) -> Flip:
    event = replay.event
    identity = event.get("userIdentity") or {}
    instance_id = event.get("instanceId")
    if replay.credentials is None:
        who = f"ec2.amazonaws.com for {instance_id or 'an instance'}"
        target = replay.role_name or ""
    else:
        who = str(identity.get("arn") or identity.get("accessKeyId") or "unknown")
        target = _target(replay.params)
    return Flip(
        who=who,
        credentials=str(event.get("credentialSource", "")),
        instance_id=str(instance_id) if instance_id else None,
        instance_name=_name_of(world, instance_id),
        service=replay.service,
        operation=replay.operation,
        target=target,
        before=before[0],
        after=after[0],
        message=after[1],
    )


def _session(flip: Flip) -> str:
    """The session, by its instance's Name when it has one."""
    if flip.instance_name:
        return flip.instance_name
    who = flip.who_short
    return who.rsplit("/", 1)[1] if who.startswith("assumed-role/") else who


def _name_of(world: World, instance_id: Any) -> str:
    instance = world.state.instances.get(str(instance_id)) if instance_id else None
    return instance.tags.get("Name", "") if instance is not None else ""


def _target(params: Mapping[str, Any]) -> str:
    bucket, key = params.get("Bucket"), params.get("Key")
    if bucket and key:
        return f"{bucket}/{key}"
    for name in ("Bucket", "RoleName", "UserName", "PolicyArn", "InstanceProfileName", "RoleArn"):
        if params.get(name):
            return str(params[name])
    ids = params.get("InstanceIds")
    if isinstance(ids, list) and ids:
        return ", ".join(str(item) for item in ids)
    return ""
