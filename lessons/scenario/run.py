"""Running a scenario's actions on a world: its setup, a step's reference solution.

An action is an API call, made as an actor (the admin by default); a command line typed in a
place of the terminal (`terminal:`, through `simulator.terminal.run`, so `aws` is the real CLI);
or a fact no API sets (a file on an instance, the application it runs, the clock): `FACTS`, one
function each. Strings name instances and saved values through placeholders (`substitute`).
A scenario's own places (`places:`) are added once setup has run (`add_places`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lessons.scenario.model import ADMIN_ACTOR, Action, Place, Scenario
from simulator import AwsError, World, network
from simulator.account import Account
from simulator.model import AppSpec, LaunchApp
from simulator.services import instances
from simulator.world import OUTSIDE_IP, Credentials

# {instance:NAME} and {var:NAME} need their argument: a bare {instance} is left alone, for an
# application's own placeholders ({instance}, {name}, {tick}; see simulator.model.AppSpec).
PLACEHOLDER = re.compile(r"\{((?:instance|var)(?=:)|account|region)(?::([^{}]+))?\}")
# Who a solution's call may act as, besides the admin: `as: {KIND: NAME}`. `stolen_from` is
# what the console's "copy the credentials and use them from outside" does; `account` is the
# admin of another account of the world (by name or id: see the `add_account` fact).
ACTORS = ("instance", "key", "stolen_from", "account")
# Who a probe may act as: never a thief. Using copied credentials is the learner's experiment;
# a check finds it in the log (the `event` condition) and does not perform it.
PROBE_ACTORS = ("instance", "key", "account")
# The places every world has besides its instances (simulator.terminal.places); a scenario
# adds its own with `places:`.
BUILTIN_PLACES = ("cloudshell", "laptop")


def instance_id_of(world: Account, name: str) -> str:
    """The id of the running instance tagged Name `name` (or `name` itself when it is an id)."""
    if name.startswith("i-") and name in world.state.instances:
        return name
    for instance in world.state.instances.values():
        if instance.tags.get("Name") == name and instance.state != "terminated":
            return instance.instance_id
    raise KeyError(f"no instance named {name!r}")


def saved_value(variables: Mapping[str, Any], dotted: str) -> Any:
    """A value a call saved (`save:`), or a field of it: `app_key.AccessKeyId`."""
    value: Any = variables
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(f"no saved value {dotted!r}")
        value = value[part]
    return value


def substitute(value: Any, world: World, variables: Mapping[str, Any]) -> Any:
    """Replace {instance:NAME}, {var:NAME.Field}, {account} and {region} in strings."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) == "var":
            return saved_value(variables, whole.group(2) or "")

        def replace(match: re.Match[str]) -> str:
            kind, arg = match.group(1), match.group(2) or ""
            if kind == "instance":
                return instance_id_of(world, arg)
            if kind == "var":
                return str(saved_value(variables, arg))
            if kind == "account":
                return world.account_id
            return world.region

        return PLACEHOLDER.sub(replace, value)
    if isinstance(value, list):
        return [substitute(item, world, variables) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, world, variables) for key, item in value.items()}
    return value


def run_actions(world: World, variables: dict[str, Any], actions: Sequence[Action]) -> None:
    """Apply actions in order; a failing API call raises AwsError (setup must not fail)."""
    for action in actions:
        data = substitute(dict(action.data), world, variables)
        if action.kind == "call":
            _call(world, variables, data)
        elif action.kind == "terminal":
            _terminal(world, variables, data)
        else:
            FACTS[action.kind](world, data)


def build_world(scenario: Scenario, *, seed: int = 0) -> tuple[World, dict[str, Any]]:
    """The scenario's starting world and the values its setup saved."""
    world = World.new(seed=seed)
    variables: dict[str, Any] = {}
    world.state.tick_seconds = scenario.tick_seconds
    run_actions(world, variables, scenario.setup)
    add_places(world, variables, scenario.places)
    variables["_started"] = world.now.isoformat()
    variables["_last_setup_event"] = world.events[-1]["eventID"] if world.events else None
    if len(world.accounts) > 1:  # the other accounts' logs, for `event` with `account:`
        variables["_last_setup_events"] = {
            account.account_id: account.events[-1]["eventID"] if account.events else None
            for account in world.accounts[1:]
        }
    return world, variables


# --- An API call --------------------------------------------------------------------------------


def _call(world: World, variables: dict[str, Any], data: Mapping[str, Any]) -> None:
    expect = str(data.get("expect") or "Allowed")
    try:
        credentials, source_ip = actor_credentials(world, variables, data.get("as", ADMIN_ACTOR))
        response = world.call(credentials, data["service"], data["operation"],
                              data.get("params") or {}, source_ip=source_ip)  # fmt: skip
    except AwsError as error:
        if error.code != expect:
            raise
        return  # a call that must fail (a solution showing AWS's refusal)
    if expect != "Allowed":
        raise ValueError(f"{data['operation']} succeeded, but {expect} was expected")
    save_from(response, data.get("save") or {}, variables)


def save_from(response: Any, save: Mapping[str, Any], variables: dict[str, Any]) -> None:
    """`save: {NAME: Path}`: keep the parts of a response (a call's, a probe's, a command's JSON
    output) under their names; dots walk into it, a number picks a list item."""
    for name, path in save.items():
        variables[name] = _jsonable(_pick(response, str(path)))


# --- A command in the terminal ------------------------------------------------------------------


def place_id_of(world: World, place: str) -> str:
    """The terminal's id of a place: an instance's Name tag becomes its id; others stay."""
    if place in BUILTIN_PLACES or place.startswith("i-"):
        return place
    try:
        return instance_id_of(world, place)
    except KeyError:
        return place  # a scenario's own place ("launchers-laptop")


def add_places(world: World, variables: Mapping[str, Any], places: Sequence[Place]) -> None:
    """Create the scenario's places, their files and environment filled in from setup."""
    if not places:
        return
    from simulator import terminal  # the terminal is needed only by scenarios that use it

    for place in places:
        files = {
            path: str(substitute(text, world, variables)) for path, text in place.files.items()
        }
        env = {name: str(substitute(value, world, variables)) for name, value in place.env.items()}
        terminal.add_place(world, place.id, place.label, files=files, env=env)


def _terminal(world: World, variables: dict[str, Any], data: Mapping[str, Any]) -> None:
    """`terminal: {place, command, expect?, save?, match?}`: run a command line as a learner would.

    It must exit 0, or, with `expect: CODE`, fail with that AWS error code in its output.
    `save: {NAME: Path}` keeps part of its JSON output; `match: {NAME: REGEX}` the first group
    of a regular expression searched in its output (text such as an encoded message).
    """
    from simulator import terminal

    place, command = place_id_of(world, str(data["place"])), str(data["command"])
    ran = terminal.run(world, place, command)
    output = ran.output
    shown = command.splitlines()[0] if command else command
    expect = data.get("expect")
    if expect:
        if ran.status == 0 or f"({expect})" not in output:
            raise ValueError(f"`{shown}` in {place} should fail with {expect}: {output.strip()}")
    elif ran.status != 0:
        raise ValueError(f"`{shown}` in {place} exited {ran.status}: {output.strip()}")
    if data.get("save"):
        try:
            parsed = json.loads(output)
        except ValueError:
            raise ValueError(f"`{shown}` in {place} printed no JSON to save from") from None
        save_from(parsed, data["save"], variables)
    for name, pattern in (data.get("match") or {}).items():
        found = re.search(str(pattern), output)
        if found is None:
            raise ValueError(f"the output of `{shown}` in {place} has nothing matching {pattern}")
        variables[name] = found.group(1) if found.groups() else found.group(0)


def _pick(response: Any, path: str) -> Any:
    value = response
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise KeyError(f"the response has no {path!r}")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- The facts no API sets ----------------------------------------------------------------------


def _write_file(world: World, data: Mapping[str, Any]) -> None:
    world.write_file(instance_id_of(world, data["instance"]), data["path"], str(data["text"]))


def _delete_file(world: World, data: Mapping[str, Any]) -> None:
    world.delete_file(instance_id_of(world, data["instance"]), data["path"])


def _set_env(world: World, data: Mapping[str, Any]) -> None:
    world.set_env(instance_id_of(world, data["instance"]), data["name"], data.get("value"))


def _set_app(world: World, data: Mapping[str, Any]) -> None:
    app = AppSpec(name=str(data.get("name", "app")), calls=list(data.get("calls") or []))
    names = data.get("instances") or [data.get("instance")]
    for name in (str(name) for name in names if name):
        instances.set_app(world, instance_id_of(world, name), app)


def _launch_app(world: World, data: Mapping[str, Any]) -> None:
    app = AppSpec(name=str(data.get("name", "app")), calls=list(data.get("calls") or []))
    tags = data.get("tags") or {}
    if not isinstance(tags, Mapping):
        raise ValueError("'tags' maps tag keys to values, such as {Name: app-2}")
    image = data.get("image")
    rule = LaunchApp(app, str(image) if image else None, {str(k): str(v) for k, v in tags.items()})
    instances.set_launch_app(world, rule)


def _advance(world: World, data: Mapping[str, Any]) -> None:
    world.advance(float(data.get("seconds", data.get("value", 0))))


def _run_fleet(world: World, data: Mapping[str, Any]) -> None:
    instances.tick(world, ticks=int(data.get("ticks", data.get("value", 1))))


def _in_use(world: World, data: Mapping[str, Any]) -> None:
    role = world.state.roles[data["role"]]
    role.used_by.append(str(data["by"]))


def _vpc_endpoint(world: World, data: Mapping[str, Any]) -> None:
    """`vpc_endpoint: s3`: the default VPC reaches that service through a VPC endpoint, so its
    instances' calls carry aws:SourceVpc, aws:SourceVpce and aws:VpcSourceIp, not aws:SourceIp."""
    network.add_endpoint(world.state, str(data.get("service", data.get("value", ""))))


def _add_account(world: World, data: Mapping[str, Any]) -> None:
    """`add_account: {id: "444455556666", name: vendor}`: another AWS account in the world, with
    its own admin (AdministratorAccess and an access key); calls made `as: {account: vendor}`
    run there. Quote the id: YAML would read it as a number and drop a leading zero."""
    world.add_account(str(data.get("id", data.get("value", ""))), name=str(data.get("name", "")))


# A fact written as a bare value (`advance: 60`) comes as {"value": 60}.
FACTS: dict[str, Callable[[World, Mapping[str, Any]], None]] = {
    "write_file": _write_file,
    "delete_file": _delete_file,
    "set_env": _set_env,
    "set_app": _set_app,
    "launch_app": _launch_app,
    "advance": _advance,
    "run_fleet": _run_fleet,
    "in_use": _in_use,
    "vpc_endpoint": _vpc_endpoint,
    "add_account": _add_account,
}


# --- Whom a call or a probe acts as -------------------------------------------------------------


def actor_credentials(
    world: World, variables: Mapping[str, Any], actor: Any
) -> tuple[Credentials, str | None]:
    """The credentials of a probe's or an action's `as`, and the address the call comes from.

    Raises AwsError when software on the instance would find none (NoCredentials) or the SDK
    there fails (PartialCredentialsError, ConfigParseError...).
    """
    if actor == ADMIN_ACTOR or "key" in actor:
        return _credentials(world, variables, actor), None
    if "account" in actor:  # the admin of another account, calling as its console does
        return world.account(str(actor["account"])).admin_credentials(), None
    name = actor.get("instance") or actor.get("stolen_from")
    instance_id = instance_id_of(world, str(name))
    found = instances.resolve_credentials(world, instance_id)
    if found is None:
        raise AwsError("NoCredentials", "Unable to locate credentials", 400)
    source_ip = OUTSIDE_IP if "stolen_from" in actor else instances.source_ip(world, instance_id)
    return found[0], source_ip


def _credentials(world: World, variables: Mapping[str, Any], actor: Any) -> Credentials:
    if actor == ADMIN_ACTOR:
        return world.admin_credentials()
    if isinstance(actor, Mapping) and "key" in actor:
        key = saved_value(variables, str(actor["key"]))
        # An access key (CreateAccessKey's AccessKey) or temporary credentials (AssumeRole's
        # Credentials, which carry a SessionToken).
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken"))
    raise KeyError(f"cannot act as {actor!r} here")
