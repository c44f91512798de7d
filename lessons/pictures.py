"""Pictures drawn on the server as accessible SVG: who can assume what, and the fleet.

    graph = access_graph(world)            # nodes and edges, from the account's state
    picture = draw_graph(graph, id_prefix="access")
    picture.svg                            # markup: role="img", <title>, <desc>, a viewBox
    picture.lines                          # the same edges in words, one sentence each

    picture = draw_fleet(tiles, id_prefix="fleet")   # one tile per instance, ✔/✖ and words

Every edge drawn is also a sentence in `lines` (and the `<title>` of its arrow), so the list
next to a picture says everything the picture shows; allowed and denied are told by symbol and
word as well as colour. The drawing is one column of lanes, 360 units wide, readable on a
375 px phone without zooming; a wider screen just scales it. Colours come from app.css classes
(`pic-*`) so dark mode and the CSP (no style attributes) both hold.

The trust part reads what each trust policy *says* (its Allow statements for sts:AssumeRole);
whether EC2 may in fact assume a role held by an instance profile is asked of the policy
engine (`imds.role_trusts_ec2`). No Django here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from lessons.names import natural_key
from simulator import World, aws_managed
from simulator.account import ADMIN
from simulator.model import Role, State, User
from simulator.services import imds

__all__ = [
    "Edge",
    "Graph",
    "Lane",
    "Node",
    "Picture",
    "Tile",
    "TileCall",
    "access_graph",
    "draw_fleet",
    "draw_graph",
]

WIDTH = 360
MARGIN = 6
GAP = 8
BOX_HEIGHT = 40
ROW_GAP = 30
LANE_TITLE = 26
CHARS_PER_BOX = 22  # at font-size 12 in a 170-unit box
CHARS_PER_WIDE_BOX = 48  # a box as wide as the picture
CHARS_SQUEEZED = 1.25  # how much longer a text may be drawn narrower (textLength) before it is cut


@dataclass(frozen=True, slots=True)
class Node:
    key: str  # unique within the graph
    kind: str  # principal | instance | profile | role | user | policy | resource
    label: str  # what the box says (shortened to fit when drawn)
    full: str  # the whole name, for the text and the box's <title>

    @property
    def words(self) -> str:
        kind = _KIND_WORDS[self.kind]
        return f"{kind} {self.full}" if kind else self.full


_KIND_WORDS = {
    "principal": "",  # its name says what it is: "service principal ec2.amazonaws.com"
    "instance": "instance",
    "profile": "instance profile",
    "role": "role",
    "user": "user",
    "policy": "policy",
    "resource": "",
}


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    verb: str  # "can assume", "uses", "holds", "has", "allows s3:GetObject on"
    note: str = ""  # said after the sentence, in brackets
    deny: bool = False

    def sentence(self, nodes: dict[str, Node]) -> str:
        words = f"{nodes[self.source].words} {self.verb} {nodes[self.target].words}"
        words = words[:1].upper() + words[1:]
        return words + (f" ({self.note})" if self.note else "") + "."


@dataclass(frozen=True, slots=True)
class Lane:
    """One role's (or user's) part of the picture: rows of boxes, top to bottom."""

    title: str
    rows: tuple[tuple[str, ...], ...]  # node keys, row by row


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, Node]
    edges: tuple[Edge, ...]
    lanes: tuple[Lane, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(edge.sentence(self.nodes) for edge in self.edges)


@dataclass(frozen=True, slots=True)
class Picture:
    svg: str  # safe markup: every text in it is escaped
    title: str
    desc: str
    lines: tuple[str, ...]  # the text equivalent


# --- The access graph --------------------------------------------------------------------------


def access_graph(world: World) -> Graph:
    """Principals → roles they may assume; instances → profiles → roles; roles and users →
    their policies → the resources those policies name. The console's own admin is left out."""
    state = world.state
    builder = _Builder()
    holders: dict[str, list[str]] = {}  # role name -> profiles holding it
    for profile in state.instance_profiles.values():
        for role_name in profile.roles:
            holders.setdefault(role_name, []).append(profile.name)
    users_of_profile: dict[str, list[tuple[str, str]]] = {}  # profile arn -> [(id, name)]
    for instance in state.instances.values():
        association = imds.active_association(instance)
        if association is None or instance.state == "terminated":
            continue
        users_of_profile.setdefault(association.instance_profile_arn, []).append(
            (instance.instance_id, instance.tags.get("Name", ""))
        )
    for role in sorted(
        state.roles.values(), key=lambda r: (r.service_linked is not None, natural_key(r.name))
    ):
        builder.role_lane(world, role, holders.get(role.name, []), users_of_profile)
    for user in sorted(state.users.values(), key=lambda u: natural_key(u.name)):
        if user.name != ADMIN:
            builder.user_lane(state, user)
    return builder.graph()


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.lanes: list[Lane] = []
        self.lane = 0

    def node(self, kind: str, name: str, label: str | None = None) -> str:
        key = f"{self.lane}:{kind}:{name}"
        if key not in self.nodes:
            self.nodes[key] = Node(key, kind, label or name, name)
        return key

    def graph(self) -> Graph:
        return Graph(dict(self.nodes), tuple(self.edges), tuple(self.lanes))

    def role_lane(
        self,
        world: World,
        role: Role,
        profiles: list[str],
        users_of_profile: dict[str, list[tuple[str, str]]],
    ) -> None:
        self.lane += 1
        state = world.state
        role_key = self.node("role", role.name)
        instances: list[str] = []
        sources: list[str] = []
        for kind, who, note in _trusted(role.trust_policy):
            key = self.node("principal", _principal_words(kind, who), _short_principal(who))
            sources.append(key)
            self.edges.append(Edge(key, role_key, "may assume", note or "its trust policy says so"))
        trusted = imds.role_trusts_ec2(world, role) if profiles else True
        for name in profiles:
            profile = state.instance_profiles[name]
            profile_key = self.node("profile", name)
            sources.append(profile_key)
            for instance_id, tag in users_of_profile.get(profile.arn, []):
                label = f"{tag} ({instance_id})" if tag else instance_id
                key = self.node("instance", label, tag or instance_id)
                instances.append(key)
                self.edges.append(Edge(key, profile_key, "uses"))
            note = "" if trusted else "but the role does not trust EC2: no credentials"
            self.edges.append(Edge(profile_key, role_key, "holds", note))
        policies, resources = self.policies_of(role.inline_policies, role.attached_policies, state)
        for policy_key in policies:
            self.edges.append(Edge(role_key, policy_key, "has"))
        title = f"Role {role.name}"
        if role.service_linked:
            title += f" (service-linked, for {role.service_linked})"
        rows = [tuple(instances), tuple(sources), (role_key,), tuple(policies), tuple(resources)]
        self.lanes.append(Lane(title, tuple(row for row in rows if row)))

    def user_lane(self, state: State, user: User) -> None:
        self.lane += 1
        user_key = self.node("user", user.name)
        policies, resources = self.policies_of(user.inline_policies, user.attached_policies, state)
        for policy_key in policies:
            self.edges.append(Edge(user_key, policy_key, "has"))
        keys = sum(1 for key in state.access_keys.values() if key.user_name == user.name)
        title = f"User {user.name}" + (f" ({keys} access key{'s' if keys != 1 else ''})")
        rows = [(user_key,), tuple(policies), tuple(resources)]
        self.lanes.append(Lane(title, tuple(row for row in rows if row)))

    def policies_of(
        self, inline: dict[str, str], attached: list[str], state: State
    ) -> tuple[list[str], list[str]]:
        policies: list[str] = []
        resources: list[str] = []
        documents: list[tuple[str, str]] = []
        for name, text in inline.items():
            key = self.node("policy", f"{name} (inline)", name)
            policies.append(key)
            documents.append((key, text))
        for arn in attached:
            managed = state.policies.get(arn) or aws_managed.get(arn)
            name = arn.rsplit("/", 1)[-1]
            owner = "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "customer managed"
            key = self.node("policy", f"{name} ({owner})", name)
            policies.append(key)
            if managed is not None:
                documents.append((key, managed.default_document()))
        for policy_key, text in documents:
            for effect, actions, resource in _grants(text):
                key = self.node("resource", resource, _short_resource(resource))
                if key not in resources:
                    resources.append(key)
                verb = f"{'denies' if effect == 'Deny' else 'allows'} {actions} on"
                self.edges.append(Edge(policy_key, key, verb, deny=effect == "Deny"))
        return policies, resources


@lru_cache(maxsize=1024)
def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _statements(text: str) -> list[dict[str, Any]]:
    document = _document(text)
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return []
    return [statement for statement in statements if isinstance(statement, dict)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _trusted(text: str) -> list[tuple[str, str, str]]:
    """(kind, principal, note) for each principal a trust policy's Allow statements name."""
    found: list[tuple[str, str, str]] = []
    for statement in _statements(text):
        if statement.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _strings(statement.get("Action"))]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        note = "with conditions" if statement.get("Condition") else ""
        principal = statement.get("Principal")
        if principal == "*":
            found.append(("AWS", "*", note))
        elif isinstance(principal, dict):
            for kind in ("Service", "AWS", "Federated"):
                for value in _strings(principal.get(kind)):
                    if (kind, value, note) not in found:
                        found.append((kind, value, note))
    return found


def _principal_words(kind: str, value: str) -> str:
    if value == "*":
        return "anyone (Principal *)"
    if kind == "AWS" and value.endswith(":root") and value.startswith("arn:aws:iam::"):
        return f"any principal of account {value.split(':')[4]} that its own policies allow"
    return {"Service": "service principal", "AWS": "AWS principal"}.get(
        kind, "federated principal"
    ) + f" {value}"


def _grants(text: str) -> list[tuple[str, str, str]]:
    """(effect, actions in words, resource) for each resource each statement names."""
    merged: dict[tuple[str, str], list[str]] = {}
    for statement in _statements(text):
        effect = "Deny" if statement.get("Effect") == "Deny" else "Allow"
        if "NotAction" in statement:
            actions = ["every action except " + ", ".join(_strings(statement["NotAction"]))]
        else:
            actions = ["every action" if a == "*" else a for a in _strings(statement.get("Action"))]
        if "NotResource" in statement:
            resources = ["every resource except " + ", ".join(_strings(statement["NotResource"]))]
        else:
            resources = _strings(statement.get("Resource"))
        for resource in resources:
            bucket = merged.setdefault((effect, resource), [])
            bucket.extend(action for action in actions if action not in bucket)
    return [
        (effect, ", ".join(actions), resource) for (effect, resource), actions in merged.items()
    ]


def _short_principal(value: str) -> str:
    if value == "*":
        return "Anyone (*)"
    if value.endswith(":root") and value.startswith("arn:aws:iam::"):
        return f"Account {value.split(':')[4]}"
    if value.startswith("arn:aws:"):
        return value.rsplit(":", 1)[-1]
    return value


def _short_resource(value: str) -> str:
    if value == "*":
        return "* (every resource)"
    if value.startswith("arn:aws:s3:::"):
        return "s3: " + value.removeprefix("arn:aws:s3:::")
    if value.startswith("arn:aws:"):
        parts = value.split(":", 5)
        if len(parts) == 6:
            return f"{parts[2]}: {parts[5]}"
    return value


# --- Drawing the graph -------------------------------------------------------------------------


@dataclass(slots=True)
class _Box:
    x: float
    y: float
    width: float


@dataclass(slots=True)
class _Canvas:
    prefix: str
    parts: list[str] = field(default_factory=list)
    y: float = MARGIN


def draw_graph(
    graph: Graph,
    *,
    id_prefix: str = "access",
    title: str = "Who can assume which role, and what their policies reach",
) -> Picture:
    lines = graph.lines
    roles = sum(1 for lane in graph.lanes if lane.title.startswith("Role"))
    users = len(graph.lanes) - roles
    desc = (
        f"{roles} role{'s' if roles != 1 else ''} and {users} user{'s' if users != 1 else ''}, "
        "each drawn top to bottom: the instances and principals that use the role, the role, "
        "its policies, and the resources those policies name. Arrows point from who to what; "
        "the list next to the picture says each arrow in words."
    )
    if not graph.lanes:
        desc = "There are no roles or users (other than the console's admin) to draw yet."
    canvas = _Canvas(id_prefix)
    boxes: dict[str, _Box] = {}
    edge_parts: list[str] = []
    box_parts: list[str] = []
    for lane in graph.lanes:
        box_parts.append(
            f'<text class="pic-lane" x="{MARGIN}" y="{canvas.y + 16:.0f}">{escape(lane.title)}</text>'
        )
        canvas.y += LANE_TITLE
        for row in lane.rows:
            placed = list(_layout_row(row, canvas.y, graph.nodes))
            boxes.update(placed)
            bottom = max(box.y for _key, box in placed) + BOX_HEIGHT
            canvas.y = bottom + ROW_GAP
        canvas.y += 4
        box_parts.append(
            f'<line class="pic-rule" x1="0" x2="{WIDTH}" y1="{canvas.y - ROW_GAP / 2:.0f}" '
            f'y2="{canvas.y - ROW_GAP / 2:.0f}"/>'
        )
    for edge, sentence in zip(graph.edges, lines, strict=True):
        source, target = boxes.get(edge.source), boxes.get(edge.target)
        if source is None or target is None:
            continue
        x1, y1 = source.x + source.width / 2, source.y + BOX_HEIGHT
        x2, y2 = target.x + target.width / 2, target.y - 3
        css = "pic-edge pic-edge--deny" if edge.deny else "pic-edge"
        edge_parts.append(
            f'<g class="{css}"><title>{escape(sentence)}</title>'
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            f'marker-end="url(#{id_prefix}-arrow)"/></g>'
        )
    for key, box in boxes.items():
        node = graph.nodes[key]
        box_parts.append(_node_markup(node, box))
    height = max(canvas.y, 40)
    body = "".join(edge_parts) + "".join(box_parts)
    svg = _svg(id_prefix, title, desc, height, body)
    return Picture(svg=svg, title=title, desc=desc, lines=lines)


def _layout_row(
    row: Sequence[str], top: float, nodes: dict[str, Node]
) -> Iterable[tuple[str, _Box]]:
    """Two boxes a line; a lone box is centred; a box whose name would not fit in half the
    width has a line of its own, as wide as the picture (so "sandbox-data/reports/*" is read
    whole, not cut)."""
    half = (WIDTH - 2 * MARGIN - GAP) / 2
    y, pending = top, ""
    for index, key in enumerate(row):
        wide = len(nodes[key].label) > CHARS_PER_BOX
        if pending and wide:  # the half box waiting for a neighbour is alone on its line
            yield pending, _Box((WIDTH - half) / 2, y, half)
            y, pending = y + BOX_HEIGHT + GAP, ""
        if wide:
            yield key, _Box(MARGIN, y, WIDTH - 2 * MARGIN)
            y += BOX_HEIGHT + GAP
        elif pending:
            yield pending, _Box(MARGIN, y, half)
            yield key, _Box(MARGIN + half + GAP, y, half)
            y, pending = y + BOX_HEIGHT + GAP, ""
        else:
            pending = key
        if pending and index == len(row) - 1:
            yield pending, _Box((WIDTH - half) / 2, y, half)


_KIND_LABELS = {
    "principal": "Trusted principal",
    "instance": "Instance",
    "profile": "Instance profile",
    "role": "Role",
    "user": "User",
    "policy": "Policy",
    "resource": "Resource",
}


def _node_markup(node: Node, box: _Box) -> str:
    chars = CHARS_PER_BOX if box.width < WIDTH / 2 else CHARS_PER_WIDE_BOX
    return (
        f'<g class="pic-node pic-node--{node.kind}"><title>{escape(node.words.strip())}</title>'
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" height="{BOX_HEIGHT}" rx="5"/>'
        f'<text class="pic-kind" x="{box.x + 8:.0f}" y="{box.y + 15:.0f}">'
        f"{escape(_KIND_LABELS[node.kind])}</text>"
        f'<text class="pic-name" x="{box.x + 8:.0f}" y="{box.y + 32:.0f}"'
        f"{_text_fit(node.label, chars, box.width - 16)}</text></g>"
    )


def _fit(text: str, limit: int = CHARS_PER_BOX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_fit(text: str, chars: int, width: float, *, whole: bool = False) -> str:
    """The rest of a <text> element (`>` and its content) holding `text` whole in `width`
    units: as it is when it fits, drawn narrower (textLength) when a little too long, cut with
    … only beyond that (the element's <title> and the words beside the picture say it whole);
    never cut if `whole` (an error code)."""
    if len(text) <= chars:
        return f">{escape(text)}"
    shown = text if whole else _fit(text, int(chars * CHARS_SQUEEZED))
    return f' textLength="{width:.0f}" lengthAdjust="spacingAndGlyphs">{escape(shown)}'


def _svg(prefix: str, title: str, desc: str, height: float, body: str) -> str:
    return (
        f'<svg class="picture" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path class="pic-arrow" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
        f"{body}</svg>"
    )


# --- The fleet -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TileCall:
    operation: str
    ok: bool
    error: str | None = None
    message: str | None = None

    @property
    def words(self) -> str:
        if self.ok:
            return f"{self.operation} allowed"
        return f"{self.operation} failed: {self.error}" + (
            f" — {self.message}" if self.message else ""
        )


@dataclass(frozen=True, slots=True)
class Tile:
    instance_id: str
    name: str
    state: str
    tick: int | None = None  # the tick the results are from; None: not run yet
    credentials: str = ""  # where the application found its credentials
    calls: tuple[TileCall, ...] = ()
    app: bool = True  # whether the instance runs an application
    ran_at: str = ""  # the simulated time of that run, "09:03 UTC"

    @property
    def denied(self) -> bool:
        return any(not call.ok for call in self.calls)

    @property
    def status(self) -> str:
        if not self.app:
            return "no application"
        if self.tick is None:
            return "not run yet"
        return "something failed" if self.denied else "all calls allowed"

    @property
    def css(self) -> str:
        if not self.app or self.tick is None:
            return "idle"
        return "denied" if self.denied else "allowed"

    @property
    def sentence(self) -> str:
        who = f"{self.name} ({self.instance_id})" if self.name else self.instance_id
        if not self.app:
            return f"{who}, {self.state}: runs no application."
        if self.tick is None:
            return f"{who}, {self.state}: the application has not run yet."
        via = f" with credentials from the {self.credentials}" if self.credentials else ""
        calls = "; ".join(call.words for call in self.calls)
        return f"{who}, {self.when}{via}: {calls}."

    @property
    def when(self) -> str:
        """Which run, and when on the simulated clock: "tick 3 at 09:03 UTC"."""
        return f"tick {self.tick}" + (f" at {self.ran_at}" if self.ran_at else "")


TILE_WIDTH = (WIDTH - 2 * MARGIN - GAP) / 2
TILE_LINE = 17
TILE_HEAD = 48 + TILE_LINE  # name; the run and its time; where the credentials came from


def draw_fleet(tiles: Sequence[Tile], *, id_prefix: str = "fleet") -> Picture:
    title = "The fleet: each instance's last run"
    denied = sum(tile.denied for tile in tiles if tile.tick is not None)
    ran = sum(tile.tick is not None for tile in tiles)
    desc = (
        f"{len(tiles)} instance{'s' if len(tiles) != 1 else ''}; {ran} ran their application, "
        f"{denied} of them had a call fail. A tick mark means the call was allowed, a cross "
        "that it failed; the list next to the picture gives each result in words."
    )
    parts: list[str] = []
    y = MARGIN
    for start in range(0, len(tiles), 2):
        pair = tiles[start : start + 2]
        height = TILE_HEAD + TILE_LINE * max(max(_call_lines(tile), 1) for tile in pair)
        for column, tile in enumerate(pair):
            x = MARGIN + column * (TILE_WIDTH + GAP)
            parts.append(_tile_markup(tile, x, y, height))
        y += height + GAP
    svg = _svg(id_prefix, title, desc, max(y, 40), "".join(parts))
    return Picture(svg, title, desc, _fleet_lines(tiles))


def _fleet_lines(tiles: Sequence[Tile]) -> tuple[str, ...]:
    """The fleet in words, one line per outcome: instances whose last run went the same way
    (same tick, same credentials, same calls with the same results) share a line, which names
    them and counts them, so twenty identical denials read as one line, not twenty."""
    groups: dict[tuple[object, ...], list[Tile]] = {}
    for tile in tiles:
        same = (tile.app, tile.state, tile.tick, tile.ran_at, tile.credentials,
                tuple((call.operation, call.ok, call.error) for call in tile.calls))  # fmt: skip
        groups.setdefault(same, []).append(tile)
    return tuple(_group_line(group) for group in groups.values())


def _group_line(group: list[Tile]) -> str:
    if len(group) == 1:
        return group[0].sentence
    first = group[0]
    names = [tile.name or tile.instance_id for tile in group]
    shown = ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]} … {names[-1]}"
    who = f"{len(group)} instances ({shown}), {first.state}"
    if not first.app:
        return f"{who}: run no application."
    if first.tick is None:
        return f"{who}: the application has not run yet."
    via = f" with credentials from the {first.credentials}" if first.credentials else ""
    calls = "; ".join(call.words for call in first.calls)
    example = f" (the words AWS gave {names[0]})" if any(c.message for c in first.calls) else ""
    return f"{who}, {first.when}{via}, each: {calls}{example}."


def _call_lines(tile: Tile) -> int:
    """Lines a tile's calls take: a failed call has its error code on a line of its own."""
    return sum(1 if call.ok else 2 for call in tile.calls)


def _tile_markup(tile: Tile, x: float, y: float, height: float) -> str:
    width = TILE_WIDTH - 16
    lines = [
        f'<g class="pic-tile pic-tile--{tile.css}"><title>{escape(tile.sentence)}</title>'
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{TILE_WIDTH:.0f}" height="{height:.0f}" rx="6"/>'
        f'<text class="pic-name" x="{x + 8:.0f}" y="{y + 17:.0f}"'
        f"{_text_fit(tile.name or tile.instance_id, 20, width)}</text>"
        f'<text class="pic-kind" x="{x + 8:.0f}" y="{y + 33:.0f}"'
        f"{_text_fit(_tile_caption(tile), 26, width)}</text>"
    ]
    if tile.tick is not None:
        lines.append(
            f'<text class="pic-kind" x="{x + 8:.0f}" y="{y + 33 + TILE_LINE:.0f}"'
            f"{_text_fit(_SOURCES.get(tile.credentials, tile.credentials or 'no credentials'), 26, width)}</text>"
        )
    line_y = y + 51 + TILE_LINE
    for call in tile.calls:
        mark = "✔" if call.ok else "✖"
        css = "ok" if call.ok else "fail"
        lines.append(
            f'<text class="pic-call pic-call--{css}" x="{x + 8:.0f}" y="{line_y:.0f}"'
            f"{_text_fit(f'{mark} {call.operation}', 22, width)}</text>"
        )
        line_y += TILE_LINE
        if not call.ok:  # the whole error code, under its call: AccessDenied, NoCredentials
            lines.append(
                f'<text class="pic-call pic-call--fail pic-call__error" x="{x + 22:.0f}" '
                f'y="{line_y:.0f}"{_text_fit(call.error or "failed", 21, width - 14, whole=True)}</text>'
            )
            line_y += TILE_LINE
    if not tile.calls:
        lines.append(
            f'<text class="pic-kind" x="{x + 8:.0f}" y="{line_y:.0f}">{escape(tile.status)}</text>'
        )
    lines.append("</g>")
    return "".join(lines)


_SOURCES = {
    "instance profile": "instance role",
    "shared credentials file": "stored key (file)",
    "config file": "stored key (config)",
    "environment": "key in environment",
}


def _tile_caption(tile: Tile) -> str:
    if tile.tick is None:
        return tile.state
    return tile.when
