"""What the console shows: IAM, EC2, S3 and the pictures, as AWS's console has them.

`panels(world, outcome, opened=...)` reads the world already loaded (no API calls, no replays,
no pictures until the template asks for one) and decides, once, what is open: the item the
learner opened (`?open=<dom id>`), and the item whose form the last action answered, with what
was typed there, its findings, its preview and AWS's answer shown again beside it.
`templates/lessons/_console.html` only shows what it is given.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from lessons import pictures
from lessons.console import acting
from lessons.console.actions import (
    CLOCK_STEPS,
    DEFAULT_IMAGE,
    DEFAULT_TYPE,
    EC2_TRUST,
    FLEET_TICKS,
    STEAL_OPERATIONS,
    clock_text,
    duration_text,
)
from lessons.http import kept_query
from lessons.names import natural_key
from lessons.outcome import Outcome
from lessons.pictures import Picture, Tile, TileCall
from lessons.whatif import Preview
from simulator import World, aws_managed
from simulator.account import ADMIN
from simulator.iam.findings import Finding, FindingType
from simulator.model import Group, Instance, ManagedPolicy, Role, User
from simulator.services import imds, instances
from simulator.world import OUTSIDE_IP

__all__ = ["APP_LOG", "Editor", "dom_id", "panels", "pretty"]

APP_LOG = instances.APP_LOG
"""Where an instance's application logs its last run (JSON lines): the fleet tiles read it."""

MAX_SHOWN_OBJECTS = 25
# The console's services, each a <section id="con-<key>">: on a narrow screen only the chosen
# one is shown (`?service=<key>`, a page setting kept by every link and form, as `?as=` is).
SERVICES = {"iam": "IAM", "ec2": "EC2 and the fleet", "s3": "S3", "pictures": "Pictures"}
# The service an item belongs to, by its DOM id's start: with no `?service=`, the one holding
# the item opened or the form the last action answered (else IAM, the first).
_SERVICE_OF = (
    ("instance-", "ec2"), ("con-launch", "ec2"), ("con-fleet", "ec2"), ("con-clock", "ec2"),
    ("con-ssm", "ec2"),
    ("bucket-", "s3"), ("con-access-picture", "pictures"),
)  # fmt: skip
EMPTY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}],
    },
    indent=2,
)


# --- panels: what the template shows -------------------------------------------------------------


def dom_id(*parts: str) -> str:
    """A DOM id (and CSS selector) from names that may hold . , + = @ / characters."""
    raw = "-".join(parts)
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", raw)
    if clean != raw:
        clean += "-" + hashlib.sha1(raw.encode()).hexdigest()[:6]
    return clean


@lru_cache(maxsize=2048)
def pretty(text: str) -> str:
    """A policy document as AWS's console shows it: indented JSON (as stored if unreadable)."""
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class Toggle:
    """The heading that opens or closes a console item: a link, so it works without JavaScript
    (`?open=<dom>`, the page's other query parameters kept). Built here, not in the template:
    a console has dozens, and each costs the template ten times what it costs format_html."""

    dom: str
    open: bool
    html: SafeString


class _Toggles:
    """Makes the toggles of one console, from the page's query: each link keeps the page's
    other parameters and sets (or, to close, drops) `open`."""

    def __init__(self, query: Mapping[str, Any] | None) -> None:
        kept = QueryDict(mutable=True)
        if isinstance(query, QueryDict):
            for key, values in query.lists():
                kept.setlist(key, values)
        elif query:
            kept.update(query)
        kept.pop("open", None)
        self.base = kept.urlencode()

    def href(self, dom: str, is_open: bool) -> str:
        if is_open:
            return "?" + self.base
        return "?" + (self.base + "&" if self.base else "") + urlencode({"open": dom})

    def make(self, dom: str, is_open: bool, label: str, level: str = "h5") -> Toggle:
        """`label` is HTML, already escaped."""
        href, safe_dom = escape(self.href(dom, is_open)), escape(dom)
        opened = " con-toggle--open" if is_open else ""
        html = (
            f'<{level} class="con-item__head"><a class="con-toggle{opened}" id="{safe_dom}-toggle" '
            f'href="{href}#{safe_dom}" hx-get="{href}" hx-push-url="true" '
            f'aria-expanded="{"true" if is_open else "false"}">{label}</a></{level}>'
        )
        return Toggle(dom, is_open, mark_safe(html))  # noqa: S308 -- every value escaped above

    def item(self, dom: str, is_open: bool, name: str, *details: str, tag: str = "") -> Toggle:
        """An item's heading: its name in bold, a tag, and its details after middle dots."""
        label = f"<strong>{escape(name)}</strong>"
        if tag:
            label += f' <span class="tag">{escape(tag)}</span>'
        said = " · ".join(detail for detail in details if detail)
        if said:
            label += f' <span class="muted">· {escape(said)}</span>'
        return self.make(dom, is_open, label)

    def section(self, dom: str, is_open: bool, title: str, *, level: str = "h5") -> Toggle:
        return self.make(dom, is_open, str(escape(title)), level)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@dataclass
class Editor:
    """A policy editor: a textarea with findings, a Preview button and a Save button."""

    id: str
    label: str
    kind: str  # identity | trust | resource
    save: str  # the action value of Save
    text: str
    hidden: dict[str, str] = field(default_factory=dict)
    name_field: tuple[str, str, str] | None = None  # (field, label, value)
    set_default: bool | None = None  # None: no "set as default" box
    save_label: str = "Save"
    template: str = "ec2"  # creating a role: "ec2" or "paste"
    description: str = ""
    findings: tuple[Finding, ...] | None = None
    preview: Preview | None = None
    error: tuple[str, str] | None = None
    saved: str = ""  # what a successful save did, said beside its button
    open: bool = False

    @property
    def rows(self) -> int:
        return min(max(self.text.count("\n") + 2, 6), 24)

    @property
    def gutter(self) -> list[tuple[int, str]]:
        """The line numbers beside the text, each with the type of the most serious finding
        on that line ("" if none): an ERROR's line is marked in the gutter."""
        marks: dict[int, FindingType] = {}
        for finding in self.findings or ():
            if finding.span is not None:
                line, kind = finding.span.line, finding.finding_type
                if line not in marks or kind.rank < marks[line].rank:
                    marks[line] = kind
        lines = max(self.text.count("\n") + 1, self.rows, *marks)
        return [(number, str(marks.get(number, ""))) for number in range(1, lines + 1)]


class _Typed(dict[str, str]):
    """What was typed in a form: a field not in it reads as "" (so the template's lookup
    never fails; a failed lookup costs Django a dir() of the object)."""

    def __missing__(self, key: str) -> str:
        return ""


_NO_DRAFT = _Typed()


@dataclass
class _Drafts:
    """The last outcome, handed to the form it answers (matched by the form's DOM id), and the
    item the learner opened: together they decide what is open."""

    outcome: Outcome | None
    opened: str = ""
    toggles: _Toggles = field(default_factory=lambda: _Toggles(None))

    def of(self, form_id: str) -> dict[str, str] | None:
        """What was typed in that form (missing fields read as ""), or None."""
        outcome = self.outcome
        if outcome is None or outcome.form != form_id:
            return None
        return _Typed(outcome.draft)

    def exactly(self, form_id: str) -> Outcome | None:
        outcome = self.outcome
        return outcome if outcome is not None and outcome.form == form_id else None

    def within(self, dom: str) -> bool:
        """Whether this item is open: the learner opened it, or the last outcome answers one of
        its forms (it stays open, with what was typed)."""
        if self.opened == dom:
            return True
        form = self.outcome.form if self.outcome is not None else None
        return form is not None and (form == dom or form.startswith(dom + "--"))

    def editor(self, editor: Editor) -> Editor:
        outcome = self.outcome
        if outcome is None or outcome.form != editor.id:
            return editor
        draft = outcome.draft
        if "document" in draft:
            editor.text = draft["document"]
        if editor.name_field is not None and editor.name_field[0] in draft:
            field_name, label, _ = editor.name_field
            editor.name_field = (field_name, label, draft[field_name])
        if not outcome.ok or outcome.preview is not None:
            if editor.set_default is not None:
                editor.set_default = draft.get("set_as_default", "") == "on"
            editor.template = draft.get("template", editor.template)
            editor.description = draft.get("description", editor.description)
        # The findings are about the document sent: shown only while it is the one in the box
        # (a saved new policy or role leaves the box to its template).
        editor.findings = outcome.findings if "document" in draft else None
        editor.preview = outcome.preview
        if outcome.status.error_code:
            editor.error = (outcome.status.error_code, outcome.status.error_message)
        elif outcome.ok and outcome.preview is None:
            editor.saved = outcome.status.message
        editor.open = True
        return editor


class Pictures:
    """The pictures, drawn only when the template asks for them."""

    def __init__(self, world: World, tiles: list[Tile]) -> None:
        self.world = world
        self.tiles = tiles

    @cached_property
    def access(self) -> Picture:
        return pictures.draw_graph(pictures.access_graph(self.world), id_prefix="access-graph")

    @cached_property
    def fleet(self) -> Picture:
        return pictures.draw_fleet(self.tiles, id_prefix="fleet-tiles")


def panels(
    world: World,
    outcome: Outcome | None = None,
    *,
    opened: str = "",
    query: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything `templates/lessons/_console.html` shows, read from the loaded world.

    `outcome`: what the action of this request did (its typed text, findings, preview and
    AWS's answer are shown again beside the form that was posted); `opened`: the DOM id of the
    item the learner opened with a link (`?open=`), or ""; `query`: the page's query parameters,
    which the items' links keep, and whom the console acts as (`?as=`: lessons.console.acting).
    """
    drafts = _Drafts(outcome, opened, _Toggles(query))
    state = world.state
    customer = sorted(state.policies.values(), key=lambda p: natural_key(p.name))
    fleet = _instances(world)
    tiles = [_tile(instance) for instance in fleet]
    copied = _copied_keys(world) if fleet else {}
    new_role = drafts.editor(
        Editor(
            "role-new",
            "Trust policy (used when you choose a custom trust policy)",
            "trust",
            "console-role-create",
            EC2_TRUST,
            name_field=("role_name", "Role name", ""),
            save_label="Create role",
        )
    )
    new_policy = drafts.editor(
        Editor(
            "policy-new",
            "Policy document",
            "identity",
            "console-policy-create",
            EMPTY_POLICY,
            name_field=("policy_name", "Policy name", ""),
            save_label="Create policy",
        )
    )
    launched = outcome is not None and outcome.form == "launch"
    maintained = outcome is not None and outcome.form in ("ssm-window", "ssm-task")
    toggles = drafts.toggles
    chosen = str(query.get("as", "") or "") if query else ""
    service = _service(query, opened or (outcome.form or "" if outcome else ""))
    return {
        "outcome": outcome,
        "service": service,
        "services": _service_links(query, service),
        "form": outcome.form or "" if outcome else "",
        "acting": acting.acting(world, chosen),
        "admin": ADMIN,
        "keep": kept_query(query, without=("as", "reset")),
        "clock": world.now,
        "clock_text": clock_text(world.now),
        "clock_steps": list(CLOCK_STEPS.items()),
        "fleet_ticks": FLEET_TICKS,
        "tick_text": duration_text(state.tick_seconds),
        "users": [
            _user(world, user_name, drafts) for user_name in sorted(state.users, key=natural_key)
        ],
        "groups": [_group(world, name, drafts) for name in sorted(state.groups, key=natural_key)],
        "user_names": sorted(state.users, key=natural_key),
        "roles": [_role(world, role, drafts) for role in _roles(world)],
        "role_names": sorted(
            (n for n, role in state.roles.items() if not role.service_linked), key=natural_key
        ),
        "policies": [_policy(world, policy, drafts) for policy in customer],
        "aws_policy": _aws_policy_lookup(world, query, drafts),
        "keep_but_aws_policy": kept_query(query, without=("read_policy", "reset")),
        "policy_choices": (choices := _policy_choices(customer)),
        # A boundary is a managed policy you could attach: not a service-linked role's.
        "boundary_choices": choices[:2],
        "profiles": [
            _profile(world, name, drafts)
            for name in sorted(state.instance_profiles, key=natural_key)
        ],
        "profile_names": sorted(state.instance_profiles, key=natural_key),
        "slr_services": _slr_services(world),
        "maintenance_windows": _maintenance_windows(world),
        "new_role": new_role,
        "new_policy": new_policy,
        # The headings of what is not a listed item (the items carry their own).
        "sections": {
            "role_new": toggles.section(
                "con-role-new", new_role.open or drafts.within("con-role-new"), "Create a role"
            ),
            "policy_new": toggles.section(
                "con-policy-new",
                new_policy.open or drafts.within("con-policy-new"),
                "Create a policy",
            ),
            "launch": toggles.section(
                "con-launch", launched or drafts.within("con-launch"), "Launch an instance"
            ),
            "ssm": toggles.section(
                "con-ssm",
                maintained or drafts.within("con-ssm"),
                "Systems Manager: maintenance windows",
            ),
            "access_picture": toggles.section(
                "con-access-picture",
                drafts.within("con-access-picture"),
                "Who can assume which role, and what their policies reach",
                level="h4",
            ),
        },
        "drafts": {
            name.replace("-", "_"): drafts.of(name) or _NO_DRAFT
            for name in ("user-new", "group-new", "profile-new", "launch", "bucket-new")
        },
        "instances": [
            _instance_view(world, instance, tile, drafts, copied)
            for instance, tile in zip(fleet, tiles, strict=True)
        ],
        "tiles": tiles,
        "buckets": [
            _bucket(world, name, drafts) for name in sorted(state.buckets, key=natural_key)
        ],
        "pictures": Pictures(world, tiles),
        "steal_operations": STEAL_OPERATIONS,
        "outside_ip": OUTSIDE_IP,
        "default_image": DEFAULT_IMAGE,
        "default_type": DEFAULT_TYPE,
    }


def _service(query: Mapping[str, Any] | None, item: str) -> str:
    """The service the page shows on a narrow screen: the one asked for, else the one holding
    `item` (an opened item or the form just answered), else IAM."""
    asked = str(query.get("service", "") or "") if query else ""
    if asked in SERVICES:
        return asked
    return next((key for start, key in _SERVICE_OF if item.startswith(start)), "iam")


@dataclass(frozen=True, slots=True)
class ServiceLink:
    key: str
    label: str
    href: str  # the page's query with this service chosen
    current: bool


def _service_links(query: Mapping[str, Any] | None, chosen: str) -> list[ServiceLink]:
    kept = kept_query(query, without=("service", "reset"))
    return [
        ServiceLink(key, label, "?" + urlencode([*kept, ("service", key)]), key == chosen)
        for key, label in SERVICES.items()
    ]


# --- IAM views ---


@dataclass(frozen=True, slots=True)
class KeyView:
    access_key_id: str
    status: str
    created: datetime
    last_used: datetime | None
    last_used_service: str | None
    last_used_region: str | None

    @property
    def active(self) -> bool:
        return self.status == "Active"


def _user(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    user = state.users[name]
    dom = dom_id("user", name)
    keys = [
        KeyView(
            key.access_key_id,
            key.status,
            key.created,
            key.last_used,
            key.last_used_service,
            key.last_used_region,
        )  # fmt: skip
        for key in state.access_keys.values()
        if key.user_name == name
    ]
    return {
        "name": name,
        "arn": user.arn,
        "created": user.created,
        "keys": keys,
        "is_console": name == ADMIN,
        "groups": sorted(user.groups, key=natural_key),
        "group_links": [
            (
                group,
                f"{drafts.toggles.href(dom_id('group', group), False)}#{dom_id('group', group)}",
            )
            for group in sorted(user.groups, key=natural_key)
        ],
        **_permissions(world, user, "user", dom, drafts),
        "dom": dom,
        "open": drafts.within(dom),
        "toggle": drafts.toggles.item(
            dom,
            drafts.within(dom),
            name,
            _plural(len(keys), "access key"),
            tag="you, in this console" if name == ADMIN else "",
        ),  # fmt: skip
        "outcome": drafts.exactly(dom),
    }


def _group(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    """A user group: its members, and its policies, which apply to each of them."""
    group = world.state.groups[name]
    dom = dom_id("group", name)
    members = sorted(
        (user.name for user in world.state.users.values() if name in user.groups), key=natural_key
    )
    permissions = _permissions(world, group, "group", dom, drafts)
    policy_count = len(permissions["inline"]) + len(permissions["attached"])
    return {
        **permissions,
        "name": name,
        "arn": group.arn,
        "members": members,
        "others": [
            user for user in sorted(world.state.users, key=natural_key) if user not in members
        ],
        "dom": dom,
        "open": drafts.within(dom),
        "toggle": drafts.toggles.item(
            dom,
            drafts.within(dom),
            name,
            _plural(len(members), "user"),
            _plural(policy_count, "policy", "policies"),
        ),  # fmt: skip
        "outcome": drafts.exactly(dom),
    }


def _roles(world: World) -> list[Role]:
    return sorted(
        world.state.roles.values(),
        key=lambda r: (r.service_linked is not None, natural_key(r.name)),
    )


def _permissions(
    world: World, entity: User | Group | Role, kind: str, dom: str, drafts: _Drafts
) -> dict[str, Any]:
    """The inline and attached policies of a user, group or role, with their editors, and the
    permissions boundary of a user or role (a group has none)."""
    owner = {f"{kind}_name": entity.name}
    inline = [
        {
            "name": name,
            "editor": drafts.editor(
                Editor(
                    f"{dom}--inline-{dom_id(name)}",
                    f"Inline policy {name}",
                    "identity",
                    f"console-{kind}-policy-put",
                    pretty(text),
                    hidden={**owner, "policy_name": name},
                    save_label="Save inline policy",
                )  # fmt: skip
            ),
        }
        for name, text in sorted(entity.inline_policies.items())
    ]
    boundary = None if isinstance(entity, Group) else entity.permissions_boundary
    return {
        "kind": kind,
        "inline": inline,
        "attached": [_managed_view(world, arn, drafts) for arn in entity.attached_policies],
        "boundary": _managed_view(world, boundary, drafts) if boundary else None,
        "boundary_form": f"{dom}--boundary",
        "boundary_outcome": drafts.exactly(f"{dom}--boundary"),
        "boundary_draft": (typed := drafts.of(f"{dom}--boundary") or _NO_DRAFT),
        "boundary_selected": typed["policy_arn"] or boundary or "",
        "new_inline": drafts.editor(
            Editor(
                f"{dom}--inline-new",
                "New inline policy",
                "identity",
                f"console-{kind}-policy-put",
                EMPTY_POLICY,
                hidden=owner,
                name_field=("policy_name", "Policy name", ""),
                save_label="Add inline policy",
            )  # fmt: skip
        ),
    }


class ManagedView:
    """A managed policy where it is used (attached, or as a permissions boundary): its name and
    ARN, who manages it, a link to it in the console's list of customer managed policies, and
    its default version's document, read only when the template shows it (an AWS managed
    policy's is inflated from the catalogue: lazily, and only for an item that is open)."""

    def __init__(self, arn: str, policy: ManagedPolicy | None, href: str) -> None:
        self.arn = arn
        self.name = arn.rsplit("/", 1)[-1]
        self.aws_managed = arn.startswith("arn:aws:iam::aws:")
        self.href = href  # "" when the console lists no such policy (AWS managed, or deleted)
        self.policy = policy

    @property
    def version(self) -> str:
        return self.policy.default_version_id if self.policy is not None else ""

    @cached_property
    def text(self) -> str:
        return pretty(self.policy.default_document()) if self.policy is not None else ""


def _managed_view(world: World, arn: str, drafts: _Drafts) -> ManagedView:
    customer = world.state.policies.get(arn)
    if customer is not None:
        dom = dom_id("policy", customer.name)
        return ManagedView(arn, customer, f"{drafts.toggles.href(dom, False)}#{dom}")
    return ManagedView(arn, aws_managed.get(arn), "")


MAX_POLICY_NAME = 128  # IAM's PolicyName: 1-128 characters (IAM API Reference, CreatePolicy)


@dataclass(frozen=True, slots=True)
class AwsPolicyLookup:
    """An AWS managed policy asked for by name or ARN (`?read_policy=`): a GET, nothing saved."""

    asked: str
    found: ManagedView | None
    description: str = ""


def _aws_policy_lookup(
    world: World, query: Mapping[str, Any] | None, drafts: _Drafts
) -> AwsPolicyLookup | None:
    asked = " ".join(str(query.get("read_policy", "") or "").split())[:2048] if query else ""
    if not asked:
        return None
    arn = asked
    if not asked.startswith("arn:"):
        entry = aws_managed.entry_named(asked[:MAX_POLICY_NAME])
        arn = entry.arn if entry is not None else ""
    policy = aws_managed.get(arn) if arn else None
    if policy is None:
        return AwsPolicyLookup(asked, None)
    return AwsPolicyLookup(asked, _managed_view(world, arn, drafts), policy.description or "")


def _role(world: World, role: Role, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    dom = dom_id("role", role.name)
    permissions = _permissions(world, role, "role", dom, drafts)
    # A failed deletion names the resources still using the role, as
    # GetServiceLinkedRoleDeletionStatus's RoleUsageList does (its reason points there).
    tasks = [
        {
            "id": task.task_id,
            "status": task.status,
            "reason": task.reason,
            "usage": list(role.used_by) if task.status == "FAILED" else [],
            "region": state.region,
        }
        for task in state.deletion_tasks.values()
        if task.role_name == role.name
    ]
    profiles = sorted(
        (p.name for p in state.instance_profiles.values() if role.name in p.roles), key=natural_key
    )
    policy_count = len(permissions["inline"]) + len(permissions["attached"])
    toggle = drafts.toggles.item(
        dom,
        drafts.within(dom),
        role.name,
        _plural(policy_count, "policy", "policies"),
        f"in profile {', '.join(profiles)}" if profiles else "",
        tag="service-linked" if role.service_linked else "",
    )
    return {
        **permissions,
        "toggle": toggle,
        "name": role.name,
        "arn": role.arn,
        "description": role.description,
        "service_linked": role.service_linked,
        "used_by": role.used_by,
        "trust": pretty(role.trust_policy),
        "trusts_ec2": imds.role_trusts_ec2(world, role),
        "policy_count": policy_count,
        "profiles": profiles,
        "last_used": role.last_used,
        "last_used_region": role.last_used_region,
        "tasks": tasks,
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "trust_editor": drafts.editor(
            Editor(
                f"{dom}--trust",
                "Trust policy",
                "trust",
                "console-role-trust-update",
                pretty(role.trust_policy),
                hidden={"role_name": role.name},
                save_label="Update trust policy",
            )  # fmt: skip
        ),
    }


def _policy(world: World, policy: ManagedPolicy, drafts: _Drafts) -> dict[str, Any]:
    state = world.state
    dom = dom_id("policy", policy.name)
    versions = sorted(policy.versions, key=lambda v: int(v.version_id[1:]), reverse=True)
    users = [u.name for u in state.users.values() if policy.arn in u.attached_policies]
    roles = [r.name for r in state.roles.values() if policy.arn in r.attached_policies]
    groups = [g.name for g in state.groups.values() if policy.arn in g.attached_policies]
    attached_to = [
        *(f"role {n}" for n in roles),
        *(f"user {n}" for n in users),
        *(f"group {n}" for n in groups),
    ]  # fmt: skip
    bounds = [
        *(f"role {r.name}" for r in state.roles.values() if r.permissions_boundary == policy.arn),
        *(f"user {u.name}" for u in state.users.values() if u.permissions_boundary == policy.arn),
    ]  # fmt: skip
    toggle = drafts.toggles.item(
        dom,
        drafts.within(dom),
        policy.name,
        f"default {policy.default_version_id} of {len(versions)}",
        f"attached to {', '.join(attached_to)}" if attached_to else "",
        f"the permissions boundary of {', '.join(bounds)}" if bounds else "",
    )
    return {
        "toggle": toggle,
        "name": policy.name,
        "arn": policy.arn,
        "default": policy.default_version_id,
        "document": pretty(policy.default_document()),
        "bounds": bounds,
        "versions": [
            {
                "id": version.version_id,
                "created": version.created,
                "default": version.version_id == policy.default_version_id,
                "text": pretty(version.document),
            }
            for version in versions
        ],
        "attached_to": attached_to,
        "dom": dom,
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "editor": drafts.editor(
            Editor(
                f"{dom}--version",
                "New version",
                "identity",
                "console-policy-version-create",
                pretty(policy.default_document()),
                hidden={"policy_arn": policy.arn},
                set_default=True,
                save_label="Create version",
            )  # fmt: skip
        ),
    }


# The AWS managed policies the attach list offers: those the scenarios and AWS's tutorials use.
# Any other of the ~1,600 is attached by typing its name (a list of them all would weigh
# ~150 KB on every console that shows a user, group or role).
LISTED_AWS_POLICIES = (
    "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "ViewOnlyAccess",
    "SecurityAudit", "IAMFullAccess", "IAMReadOnlyAccess", "AmazonEC2FullAccess",
    "AmazonEC2ReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
    "AmazonSSMManagedInstanceCore", "AWSLambdaBasicExecutionRole", "AmazonSSMServiceRolePolicy",
    "CloudTrailServiceRolePolicy", "CloudWatchEventsServiceRolePolicy",
)  # fmt: skip


@cache
def _aws_choices() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    attachable: list[tuple[str, str]] = []
    service: list[tuple[str, str]] = []
    by_name = {entry.name: entry for entry in aws_managed.entries()}
    for name in LISTED_AWS_POLICIES:
        entry = by_name.get(name)
        if entry is None:
            continue
        target = service if aws_managed.is_service_role_policy(entry.arn) else attachable
        target.append((entry.arn, entry.name))
    return tuple(sorted(attachable, key=lambda c: c[1])), tuple(sorted(service, key=lambda c: c[1]))


def _policy_choices(customer: list[ManagedPolicy]) -> list[tuple[str, list[tuple[str, str]]]]:
    attachable, service = _aws_choices()
    return [
        ("Customer managed", [(policy.arn, policy.name) for policy in customer]),
        ("AWS managed", list(attachable)),
        ("AWS managed, for service-linked roles only", list(service)),
    ]


def _profile(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    profile = world.state.instance_profiles[name]
    dom = dom_id("profile", name)
    used_by = sorted(
        (
            instance.tags.get("Name") or instance.instance_id
            for instance in world.state.instances.values()
            if (association := imds.active_association(instance)) is not None
            and association.instance_profile_arn == profile.arn
        ),
        key=natural_key,
    )
    return {"name": name, "arn": profile.arn, "roles": profile.roles, "used_by": used_by,
            "dom": dom, "outcome": drafts.exactly(dom)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Window:
    """A Systems Manager maintenance window and the service role each of its tasks runs as."""

    window_id: str
    name: str
    task_roles: tuple[str, ...]


def _maintenance_windows(world: World) -> list[Window]:
    windows = []
    for window_id, window in sorted(world.state.ssm_windows.items()):
        tasks = window.get("Tasks")
        roles = tuple(
            str(task.get("ServiceRoleArn", ""))
            for task in (tasks if isinstance(tasks, list) else [])
            if isinstance(task, dict)
        )
        windows.append(Window(window_id, str(window.get("Name", "")), roles))
    return windows


def _slr_services(world: World) -> list[tuple[str, str]]:
    from simulator.services.iam import SERVICE_LINKED_ROLES

    return [
        (service, name)
        for service, (name, _policy, _description) in sorted(SERVICE_LINKED_ROLES.items())
        if name not in world.state.roles
    ]


# --- EC2 views ---


def _instances(world: World) -> list[Instance]:
    """Terminated last; by Name as people sort (web-2 before web-10), then id."""
    return sorted(
        world.state.instances.values(),
        key=lambda i: (i.state == "terminated", natural_key(i.tags.get("Name", "")), i.instance_id),
    )


@lru_cache(maxsize=1024)
def _log_rows(text: str) -> tuple[dict[str, Any], ...]:
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("operation"), str):
            rows.append(row)
    return tuple(rows)


def _tile(instance: Instance) -> Tile:
    """The instance's tile: its application's last run, as its log tells it."""
    name = instance.tags.get("Name", "")
    if instance.app is None or not instance.app.calls:
        return Tile(instance.instance_id, name, instance.state, app=False)
    log = instance.files.get(APP_LOG)
    rows = _log_rows(log) if log else ()
    if not rows:
        return Tile(instance.instance_id, name, instance.state)
    calls = tuple(
        TileCall(
            str(row["operation"]),
            bool(row.get("ok")),
            _text(row.get("error")),
            _text(row.get("message")),
        )  # fmt: skip
        for row in rows
    )
    tick = rows[-1].get("tick")
    when = str(rows[-1].get("time") or "")  # ISO 8601, as the application logged it
    return Tile(
        instance.instance_id,
        name,
        instance.state,
        tick=tick if isinstance(tick, int) else 0,
        credentials=str(rows[-1].get("source") or ""),
        calls=calls,
        ran_at=f"{when[11:16]} UTC" if _LOGGED_TIME.match(when) else "",
    )


_LOGGED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _instance_view(
    world: World, instance: Instance, tile: Tile, drafts: _Drafts, copied: dict[str, str]
) -> dict[str, Any]:
    state = world.state
    dom = dom_id("instance", instance.instance_id)
    association = instance.association
    profile_name = role_name = None
    role_words = "role: none"
    if association is not None:
        profile_name = association.instance_profile_arn.rsplit("/", 1)[-1]
        profile = state.instance_profiles.get(profile_name)
        held = profile.roles[0] if profile is not None and profile.roles else None
        role_words = _role_words(association.state, held or f"no role ({profile_name})")
        if imds.active_association(instance) is not None:
            role_name = held  # what the metadata service serves now; not while disassociating
    files = []
    for path, text in sorted(instance.files.items()):
        form = f"{dom}--file-{dom_id(path)}"
        files.append(
            {
                "path": path,
                "text": text,
                "form": form,
                "draft": drafts.of(form),
                "is_log": path == APP_LOG,
            }  # fmt: skip
        )
    steal_form = f"{dom}--steal"
    return {
        "id": instance.instance_id,
        "name": instance.tags.get("Name", ""),
        "state": instance.state,
        "type": instance.instance_type,
        "private_ip": instance.private_ip,
        "public_ip": instance.public_ip,
        "association": association,
        "association_active": imds.active_association(instance) is not None,
        "profile_name": profile_name,
        "role_name": role_name,
        "http_tokens": instance.http_tokens,
        "http_endpoint": instance.http_endpoint,
        "hop_limit": instance.http_put_response_hop_limit,
        "files": files,
        "env": sorted(instance.env.items()),
        "app": instance.app.name if instance.app else None,
        "ticks": instance.ticks,
        "tile": tile,
        "dom": dom,
        "open": drafts.within(dom),
        "toggle": drafts.toggles.item(
            dom,
            drafts.within(dom),
            instance.tags.get("Name") or instance.instance_id,
            instance.state,
            role_words,
        ),  # fmt: skip
        "outcome": drafts.exactly(dom),
        "new_file": f"{dom}--file-new",
        "new_file_draft": drafts.of(f"{dom}--file-new") or _NO_DRAFT,
        "new_env": f"{dom}--env-new",
        "new_env_draft": drafts.of(f"{dom}--env-new") or _NO_DRAFT,
        "steal_form": steal_form,
        "steal": drafts.of(steal_form)
        or _steal_defaults(instance, copied.get(instance.instance_id, "")),
        "steal_answer": drafts.exactly(steal_form),
    }


def _role_words(association_state: str, role: str) -> str:
    """The instance's role as its association stands: served at once while `associating`, no
    longer while `disassociating` (both settle on the next fleet tick or clock advance)."""
    if association_state == "associated":
        return f"role: {role}"
    if association_state == "associating":
        return f"role: {role} (associating)"
    return f"role: none ({role} {association_state})"


def _steal_defaults(instance: Instance, copied: str) -> dict[str, str]:
    """The object the instance's application reads, to try from outside."""
    found = {"operation": "ListBuckets", "bucket": "", "key": "", "copied_key": copied}
    if instance.app is not None:
        for spec in instance.app.calls:
            params = spec.get("params")
            if spec.get("operation") == "GetObject" and isinstance(params, dict):
                key = str(params.get("Key", "")).replace("{instance}", instance.instance_id)
                key = key.replace("{name}", instance.tags.get("Name", ""))
                found.update(operation="GetObject", bucket=str(params.get("Bucket", "")), key=key)
                break
    return found


def _copied_keys(world: World) -> dict[str, str]:
    """Instance id -> the role credentials last used from outside (copied off it)."""
    found: dict[str, str] = {}
    for event in world.events:
        if event.get("sourceIPAddress") == OUTSIDE_IP and event.get("instanceId"):
            identity = event.get("userIdentity")
            if isinstance(identity, dict) and identity.get("accessKeyId"):
                found[str(event["instanceId"])] = str(identity["accessKeyId"])
    return found


# --- S3 views ---


def _bucket(world: World, name: str, drafts: _Drafts) -> dict[str, Any]:
    bucket = world.state.buckets[name]
    objects = sorted(bucket.objects.values(), key=lambda o: (o.last_modified, o.key), reverse=True)
    dom = dom_id("bucket", name)
    return {
        "name": name,
        "region": bucket.region,
        "created": bucket.created,
        "count": len(objects),
        "objects": [{"key": o.key, "size": len(o.body)} for o in objects[:MAX_SHOWN_OBJECTS]],
        "more": max(len(objects) - MAX_SHOWN_OBJECTS, 0),
        "policy": pretty(bucket.policy) if bucket.policy else None,
        "dom": dom,
        "toggle": drafts.toggles.item(
            dom,
            drafts.within(dom),
            name,
            _plural(len(objects), "object"),
            "has a bucket policy" if bucket.policy else "",
        ),  # fmt: skip
        "open": drafts.within(dom),
        "outcome": drafts.exactly(dom),
        "objects_form": f"{dom}--objects",
        "answer": drafts.exactly(f"{dom}--objects"),
        "new_object": f"{dom}--object-new",
        "new_object_draft": drafts.of(f"{dom}--object-new") or _NO_DRAFT,
        "editor": drafts.editor(
            Editor(
                f"{dom}--policy",
                "Bucket policy",
                "resource",
                "console-bucket-policy-put",
                pretty(bucket.policy) if bucket.policy else _bucket_policy_example(world, name),
                hidden={"bucket": name},
                save_label="Save bucket policy",
            )  # fmt: skip
        ),
    }


def _bucket_policy_example(world: World, name: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{world.account_id}:role/AppRole"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        },
        indent=2,
    )
