"""Checking a step: its probes and conditions, run on a copy of the learner's world.

A probe is an API call made as someone ("as instance web-1, s3 GetObject on config/app.json:
AccessDenied"); a condition states a fact of the world ("instance web-1 has role AppRole"), one
function each in `CONDITIONS`. Each gives a `CheckItem`: what was checked, in words, whether it
passed, and what actually happened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lessons.scenario.model import ADMIN_ACTOR, Probe, Step
from lessons.scenario.run import (
    PLACEHOLDER,
    actor_credentials,
    instance_id_of,
    save_from,
    saved_value,
    substitute,
)
from simulator import AwsError, World
from simulator.account import Account
from simulator.authenticate import Caller
from simulator.iam import PolicyKind, Request, Response, evaluate, parse_policy
from simulator.iam.wildcard import action_glob
from simulator.services import instances
from simulator.world import CONSOLE_IP

# Where the admin's console and CloudShell call from (the simulation gives both one address).
CONSOLE_ADDRESSES = frozenset({CONSOLE_IP})
CLI_AGENT = "aws-cli/"
"""How the AWS CLI's user agent starts (`aws-cli/1.46.3 md/Botocore#…`)."""

DENIED = "Denied"
"""A probe's `expect: Denied`: any of `DENIAL_CODES`, whichever the service words it with."""
# The codes the services answer a denial with (simulator/iam/denials.py, iam-facts.md §2): S3,
# IAM and STS `AccessDenied`; EC2 `UnauthorizedOperation`; JSON-protocol services such as SSM
# `AccessDeniedException`. Not a denial: NoCredentials, InvalidClientTokenId, ExpiredToken
# (no caller was known), NoSuchKey and the like (the call was allowed and failed).
DENIAL_CODES = frozenset({"AccessDenied", "UnauthorizedOperation", "AccessDeniedException"})

# --- Checking a step --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckItem:
    says: str  # what was checked, in words
    passed: bool
    detail: str  # what actually happened
    line: int
    key: str  # stable id, for the classroom's "most common failing check"


@dataclass(frozen=True, slots=True)
class CheckResult:
    items: tuple[CheckItem, ...]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def first_failure(self) -> CheckItem | None:
        return next((item for item in self.items if not item.passed), None)


def _actor_words(actor: Any) -> str:
    if actor == ADMIN_ACTOR:
        return "As the admin"
    ((kind, name),) = actor.items()
    return {"instance": f"As software on instance {name}",
            "key": f"With the access key saved as {name}",
            "account": f"As the admin of account {name}",
            }[kind]  # fmt: skip


def _outcome_passes(outcome: str, expect: tuple[str, ...]) -> bool:
    return outcome in expect or (DENIED in expect and outcome in DENIAL_CODES)


def _probe(
    world: World, variables: dict[str, Any], probe: Probe, unsaved: Mapping[str, int]
) -> CheckItem:
    """Run one probe; an allowed probe keeps what its `save` names in `variables`.

    `unsaved`: the names an earlier probe of the check would have saved had it been allowed,
    with its line, to say why a probe that needs one cannot run.
    """
    key = f"{probe.line}:{probe.service}:{probe.operation}"
    says = probe.says
    try:
        params = substitute(dict(probe.params), world, variables)
        if not says:
            target = (params.get("Key") or params.get("RoleName") or params.get("UserName")
                      or params.get("Bucket") or "")  # fmt: skip
            says = (
                f"{_actor_words(probe.actor)}, {probe.service} {probe.operation}"
                + (f" {target}" if target else "")
                + f" gives {' or '.join(probe.expect)}"
            )
        outcome, response = _run_probe(world, variables, probe, params)
    except (KeyError, ValueError) as error:
        missing = sorted(name for name in _names_used(probe) if name in unsaved)
        says = says or f"{_actor_words(probe.actor)}, {probe.service} {probe.operation}"
        if missing:
            lines = ", ".join(str(unsaved[name]) for name in missing)
            reason = (f"it needs {', '.join(missing)}, which the probe at line {lines} saves "
                      "only when it is allowed")  # fmt: skip
        else:
            reason = _reason(error)
        return CheckItem(says, False, f"Could not run: {reason}", probe.line, key)
    passed = _outcome_passes(outcome, probe.expect)
    if passed:
        denial = " (a denial)" if outcome not in probe.expect else ""
        detail = f"{outcome}{denial}, as expected"
    elif DENIED in probe.expect and outcome != "Allowed":
        detail = f"got {outcome}, which is not a denial"
    else:
        detail = f"got {outcome}"
    if passed and outcome == "Allowed" and probe.save:
        try:
            save_from(response, probe.save, variables)
        except KeyError as error:
            return CheckItem(says, False, f"Could not save: {_reason(error)}", probe.line, key)
    return CheckItem(says, passed, detail, probe.line, key)


def _reason(error: Exception) -> str:
    """An error's message, without the quotes a KeyError's str() adds."""
    return str(error.args[0]) if error.args else type(error).__name__


def _run_probe(
    world: World, variables: Mapping[str, Any], probe: Probe, params: dict[str, Any]
) -> tuple[str, Any]:
    """The probe's outcome ("Allowed" or the error code) and, when allowed, its response."""
    try:
        credentials, source_ip = actor_credentials(world, variables, probe.actor)
        response = world.call(credentials, probe.service, probe.operation, params,
                              source_ip=source_ip)  # fmt: skip
    except AwsError as error:
        return error.code, None
    return "Allowed", response


# Operations that change nothing another probe could see (they may log an event, or have an
# instance fetch its role's credentials, as any reader does): probes making only these share
# one copy of the world. Every other operation is taken to change it.
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "Simulate")


def _names_used(probe: Probe) -> set[str]:
    """The saved names the probe uses: its `as: {key: NAME}` and `{var:NAME…}` placeholders."""
    names: set[str] = set()
    if isinstance(probe.actor, Mapping) and "key" in probe.actor:
        names.add(str(probe.actor["key"]).split(".", 1)[0])

    def walk(value: Any) -> None:
        if isinstance(value, str):
            names.update(match.group(2).split(".", 1)[0]
                         for match in PLACEHOLDER.finditer(value)
                         if match.group(1) == "var" and match.group(2))  # fmt: skip
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(dict(probe.params))
    return names


def probe_chains(probes: tuple[Probe, ...]) -> list[list[int]]:
    """The probes (by index) that must run one after another on one copy of the world: a probe
    that uses a value an earlier probe saved joins that probe's chain. Others stand alone."""
    chains: list[list[int]] = []
    saved_by: dict[str, int] = {}  # name -> the chain of the last probe that saves it
    for index, probe in enumerate(probes):
        joined = sorted({saved_by[name] for name in _names_used(probe) if name in saved_by})
        if not joined:
            chains.append([index])
            chain = len(chains) - 1
        else:
            chain = joined[0]
            for other in joined[1:]:  # a probe using the values of two chains joins them
                chains[chain].extend(chains[other])
                chains[other] = []
                for name, owner in saved_by.items():
                    if owner == other:
                        saved_by[name] = chain
            chains[chain].append(index)
        for name in probe.save:
            saved_by[name] = chain
    return [sorted(chain) for chain in chains if chain]


def _changes_world(probes: tuple[Probe, ...], chain: list[int]) -> bool:
    return any(not probes[index].operation.startswith(READ_ONLY_PREFIXES) for index in chain)


def check_step(
    world: World, variables: Mapping[str, Any], step: Step, *, scratch: bool = False
) -> CheckResult:
    """Run the step's check; the learner's world and saved values are left as they were.

    Conditions read `world` first. Then each probe sees the world as the learner left it, never
    what another probe did: a chain of probes that may change it (see `probe_chains` and
    `READ_ONLY_PREFIXES`) runs on a copy of its own, the probes that only read share one.
    A probe's `save` keeps values for the probes after it, never in the learner's `variables`.
    With `scratch` the caller's world is a throwaway, and one of the probe chains runs on it.
    """
    conditions = []
    for condition in step.conditions:  # first: the probes' calls must not change what they see
        function = CONDITIONS[condition.kind]
        try:
            args = substitute(dict(condition.args), world, variables)
            passed, detail = function(world, args, variables)
        except (KeyError, ValueError) as error:
            passed, detail = False, _reason(error)
        says = condition.says or detail
        conditions.append(
            CheckItem(says, passed, detail, condition.line, f"{condition.line}:{condition.kind}")
        )
    probes = step.probes
    chains = probe_chains(probes)
    readers = [index for chain in chains if not _changes_world(probes, chain) for index in chain]
    groups = [chain for chain in chains if _changes_world(probes, chain)]
    if readers:
        groups.append(sorted(readers))  # the probes that only read share one copy
    # The copies are made before any probe runs, so a scratch world can be the last group's.
    worlds = world.copies(len(groups) - 1 if scratch and groups else len(groups))
    if scratch and groups:
        worlds.append(world)
    found: dict[int, CheckItem] = {}
    for group, probe_world in zip(groups, worlds, strict=True):
        own = dict(variables)  # the probes' saved values, never the learner's
        unsaved: dict[str, int] = {}
        for index in group:
            probe = probes[index]
            found[index] = _probe(probe_world, own, probe, unsaved)
            if probe.save and not found[index].passed:
                unsaved.update(dict.fromkeys(probe.save, probe.line))
                for name in probe.save:  # never a learner's value of the same name instead
                    own.pop(name, None)
    items = [found[index] for index in range(len(probes))] + conditions
    return CheckResult(tuple(items))


# --- The conditions a check may state -------------------------------------------------------


def _key_id(variables: Mapping[str, Any], name: str) -> str:
    """The id of the access key saved as `name`: a whole CreateAccessKey answer, or its id."""
    saved = saved_value(variables, name)
    return saved["AccessKeyId"] if isinstance(saved, Mapping) else str(saved)


def _role_of_instance(world: World, instance_id: str) -> str | None:
    instance = world.state.instances[instance_id]
    association = instance.association
    if association is None or association.state not in ("associating", "associated"):
        return None
    for profile in world.state.instance_profiles.values():
        if profile.arn == association.instance_profile_arn:
            return profile.roles[0] if profile.roles else None
    return None


def _instance_role(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: web-1, role: AppRole} (role: null means no role)."""
    name = str(args["instance"])
    actual = _role_of_instance(world, instance_id_of(world, name))
    wanted = args.get("role")
    passed = actual == wanted
    have = f"role {actual}" if actual else "no role"
    want = f"role {wanted}" if wanted else "no role"
    return passed, f"Instance {name} has {have}" + ("" if passed else f"; it should have {want}")


def _file_absent(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    name, path = str(args["instance"]), str(args["path"])
    present = world.read_file(instance_id_of(world, name), path) is not None
    return not present, f"{path} on {name} is " + ("still there" if present else "gone")


def _env_absent(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    name, variable = str(args["instance"]), str(args["name"])
    present = variable in world.state.instances[instance_id_of(world, name)].env
    return not present, f"{variable} on {name} is " + ("still set" if present else "not set")


def _user_keys(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{user, active: n, total: n, without: VAR} — counts of the user's access keys."""
    user = str(args["user"])
    keys = [key for key in world.state.access_keys.values() if key.user_name == user]
    active = sum(key.status == "Active" for key in keys)
    problems = []
    if "total" in args and len(keys) != int(args["total"]):
        problems.append(f"{len(keys)} key{'s' if len(keys) != 1 else ''}, not {args['total']}")
    if "active" in args and active != int(args["active"]):
        problems.append(f"{active} active, not {args['active']}")
    if "without" in args:
        old_id = _key_id(variables, str(args["without"]))
        if any(key.access_key_id == old_id for key in keys):
            problems.append(f"the old key {old_id} still exists")
    detail = f"{user} has {len(keys)} access key{'s' if len(keys) != 1 else ''}, {active} active"
    return not problems, detail + ("" if not problems else ": " + "; ".join(problems))


def _key_status(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{key: VAR, status: Active | Inactive | deleted, or a list of them (any one will do)}."""
    key_id = _key_id(variables, str(args["key"]))
    key = world.state.access_keys.get(key_id)
    actual = key.status if key is not None else "deleted"
    wanted = args["status"] if isinstance(args["status"], list) else [args["status"]]
    return actual in wanted, f"Access key {key_id} is {actual}"


def _key_idle(world: World, args: dict[str, Any], variables: Mapping[str, Any]) -> tuple[bool, str]:
    """{key: VAR, seconds: N} — another of the key's user's keys was used at least N seconds
    (simulated) after the saved key's last use: the switch, the wait and a run after it, as
    IAM's *last used* dates show them (IAM User Guide, id_credentials_access-keys.html)."""
    key_id = _key_id(variables, str(args["key"]))
    key = world.state.access_keys.get(key_id)
    if key is None:
        return False, f"Access key {key_id} no longer exists"
    wanted = float(args["seconds"])
    others = [
        other.last_used
        for other in world.state.access_keys.values()
        if other.user_name == key.user_name and other.access_key_id != key_id and other.last_used
    ]
    if not others:
        return False, f"No other access key of {key.user_name} has been used yet"
    newest = max(others)
    if key.last_used is None:
        return True, f"Access key {key_id} was never used; another key of {key.user_name} was"
    gap = (newest - key.last_used) / timedelta(seconds=1)
    return gap >= wanted, (
        f"Access key {key_id} was last used at {key.last_used:%H:%M}, another key of "
        f"{key.user_name} last at {newest:%H:%M}: {_minutes(gap)} later (needs {_minutes(wanted)})"
    )


def _minutes(seconds: float) -> str:
    return f"{max(int(seconds // 60), 0)} min"


def _role_exists(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, trusts: ec2.amazonaws.com (optional)} — the role exists (and the service
    may assume it: an Allow for the service principal covering sts:AssumeRole, the action a
    service assumes a role with; IAM User Guide, id_roles_create_for-service.html)."""
    name = str(args["role"])
    role = world.state.roles.get(name)
    if role is None:
        return False, f"There is no role {name}"
    service = args.get("trusts")
    if service:
        trust = json.loads(role.trust_policy)
        key = _principal_key(str(service))
        if key not in set().union(
            *(p for p, _ in _trusting_statements(trust, ("sts:assumerole",)))
        ):
            named = key in set().union(*(p for p, _ in _trusting_statements(trust, ("*",))))
            if named:
                return False, (f"Role {name}'s trust policy names {service}, but not for "
                               "sts:AssumeRole, the action a service assumes a role with")  # fmt: skip
            return False, f"Role {name} does not trust {service}"
    return True, f"Role {name} exists" + (f" and trusts {service}" if service else "")


def _profile_role(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{profile: NAME, role: NAME}."""
    profile = world.state.instance_profiles.get(str(args["profile"]))
    if profile is None:
        return False, f"There is no instance profile {args['profile']}"
    passed = args["role"] in profile.roles
    return passed, f"Instance profile {profile.name} holds " + (
        ", ".join(profile.roles) or "no role"
    )


def _policy_versions(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{policy: NAME, default_not: v1} — the customer managed policy's default moved on."""
    name = str(args["policy"])
    policy = next((p for p in world.state.policies.values() if p.name == name), None)
    if policy is None:
        return False, f"There is no customer managed policy {name}"
    passed = policy.default_version_id != args.get("default_not", "")
    return passed, f"Policy {name}'s default version is {policy.default_version_id}"


def _event(world: World, args: dict[str, Any], variables: Mapping[str, Any]) -> tuple[bool, str]:
    """A call the learner made since setup, as the log shows it: what, who, from where, with what
    result. Every argument is optional and narrows the search:

    - `operation`: a name or a list of names;
    - `error`: `any` (the default), `null` (it succeeded), a code or a list of codes;
    - `from`: `outside` (an address outside the account: a laptop, copied credentials),
      `console` (the admin's console or CloudShell), `cloudshell` (CloudShell alone: the
      console's address with the AWS CLI's user agent), `instance` (any instance), or an
      instance's Name; `outside: true` is the same as `from: outside`;
    - `key: VAR`: signed with the saved access key (or saved temporary credentials) VAR;
    - `user: NAME`: made as the IAM user NAME;
    - `role: NAME`: made with temporary credentials of role NAME; `delivered_to: INSTANCE`:
      with the instance-profile credentials the metadata service gave that instance. Both
      also find calls AWS refused before knowing the caller (an `ExpiredToken`), by the key;
    - `params`: values the request's parameters hold (`{IamInstanceProfile: {Name: R}}`), a
      null one a parameter not sent (`{ExternalId: null}`);
    - `message`: text in the error message; `user_agent`: text in the user agent
      (`aws-cli`);
    - `invoked_by: SERVICE`: made by that AWS service on the caller's behalf (CloudTrail's
      userIdentity.invokedBy, e.g. `ssm.amazonaws.com` creating its service-linked role);
    - `caller_account: ACCOUNT`: made by a user or role of that account (a name from the
      scenario's `add_account`, or an id): CloudTrail's userIdentity.accountId, which a
      cross-account AssumeRole's record in the role's account keeps (type `AWSAccount`);
    - `account: ACCOUNT`: whose log to search (default: the learner's). A call is logged in the
      account it runs in, that is the caller's; a cross-account AssumeRole in both.
    """
    account = _account(world, str(args["account"])) if args.get("account") else world
    matches = [event for event in _events_since_setup(account, variables)
               if not _event_misses(account, variables, args, event)]  # fmt: skip
    wanted = _event_words(args)
    if not matches:
        return False, f"No {wanted} yet"
    event = matches[-1]
    identity = event.get("userIdentity") or {}
    who = identity.get("arn") or identity.get("accessKeyId") or "nobody"
    if identity.get("type") == "AWSAccount":  # another account's call, in the role owner's log
        who = f"account {identity.get('accountId')}"
    error = event.get("errorCode")
    return True, (
        f"{event.get('eventName')} was called by {who} from {event.get('sourceIPAddress')}"
        + (f" and got {error}" if error else " and succeeded")
    )


def _event_misses(
    world: Account, variables: Mapping[str, Any], args: Mapping[str, Any], event: Mapping[str, Any]
) -> str | None:
    """What keeps `event` (of `world`'s log: the account searched) from matching `args`, or
    None when it matches."""
    names = args.get("operation")
    if names is not None and event.get("eventName") not in _listed(names):
        return "operation"
    wanted_error = args.get("error", "any")
    error = event.get("errorCode")
    if wanted_error != "any" and (error is not None if wanted_error is None
                                  else error not in _listed(wanted_error)):  # fmt: skip
        return "error"
    where = "outside" if args.get("outside") else args.get("from")
    if where and not _comes_from(world, str(where), event):
        return "from"
    identity = event.get("userIdentity") or {}
    key_id = str(identity.get("accessKeyId") or "")
    if args.get("key") and key_id != _key_id(variables, str(args["key"])):
        return "key"
    if args.get("user") and _user_of(world, identity) != args["user"]:
        return "user"
    if args.get("caller_account") and identity.get("accountId") != _account_id(
        world, str(args["caller_account"])
    ):
        return "caller_account"
    session = world.state.sessions.get(key_id)
    if args.get("role"):
        arn = str(identity.get("arn") or "")
        role = session.role_name if session is not None else None
        if f":assumed-role/{args['role']}/" not in arn and role != args["role"]:
            return "role"
    if args.get("delivered_to"):
        instance_id = instance_id_of(world, str(args["delivered_to"]))
        if session is None or session.instance_id != instance_id:
            return "delivered_to"
    if args.get("params") and not _holds(event.get("requestParameters") or {}, args["params"]):
        return "params"
    if args.get("message") and str(args["message"]) not in str(event.get("errorMessage") or ""):
        return "message"
    agent = str(args.get("user_agent") or "").lower()
    if agent and agent not in str(event.get("userAgent") or "").lower():
        return "user_agent"
    invoked_by = args.get("invoked_by")
    if invoked_by and identity.get("invokedBy") != invoked_by:
        return "invoked_by"
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _account(world: Account, name: str) -> Account:
    """The world's account named (or numbered) `name`; KeyError, said plainly, if none."""
    try:
        return world.account(name)
    except KeyError:
        raise KeyError(
            f"There is no account {name}: name one the setup adds (add_account), or its id"
        ) from None


def _account_id(world: Account, name: str) -> str:
    """The id of the world's account named (or numbered) `name`; an id the world does not hold
    stands for itself."""
    if name.isdigit() and len(name) == 12:
        return name
    return _account(world, name).account_id


def _comes_from(world: Account, where: str, event: Mapping[str, Any]) -> bool:
    """Whether the call of `event` comes from `where` (see `_event`)."""
    address = str(event.get("sourceIPAddress", ""))
    by_address = {
        address: instance
        for instance in world.state.instances.values()
        for address in (instance.public_ip, instance.private_ip)
        if address
    }  # fmt: skip
    if where == "console":
        return address in CONSOLE_ADDRESSES
    if where == "cloudshell":
        return address in CONSOLE_ADDRESSES and CLI_AGENT in str(event.get("userAgent") or "")
    if where == "outside":
        return (address not in CONSOLE_ADDRESSES and address not in by_address
                and not address.endswith(".amazonaws.com"))  # fmt: skip
    instance = by_address.get(address)
    if where == "instance":
        return instance is not None
    return instance is not None and instance_id_of(world, where) == instance.instance_id


def _user_of(world: Account, identity: Mapping[str, Any]) -> str | None:
    if identity.get("userName") and identity.get("type") == "IAMUser":
        return str(identity["userName"])
    key = world.state.access_keys.get(str(identity.get("accessKeyId") or ""))
    return key.user_name if key is not None else None


def _holds(actual: Any, wanted: Any) -> bool:
    """Whether `actual` holds every value of `wanted` (mappings: a subset, recursively); a
    wanted None is a value that was not given (`params: {ExternalId: null}`: AssumeRole called
    without an external ID)."""
    if wanted is None:
        return actual is None
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(
            _holds(actual.get(key), value) for key, value in wanted.items()
        )
    return actual == wanted or str(actual) == str(wanted)


def _event_words(args: Mapping[str, Any]) -> str:
    """The call `args` asks for, in words: "GetObject call from outside that succeeded"."""
    names = " or ".join(str(name) for name in _listed(args.get("operation") or "AWS"))
    words = [f"{names} call"]
    where = "outside" if args.get("outside") else args.get("from")
    if where:
        words.append({"outside": "from outside your network", "console": "from the console",
                      "cloudshell": "from CloudShell", "instance": "from an instance",
                      }.get(str(where), f"from {where}"))  # fmt: skip
    for name, said in (("user", "as user {}"), ("role", "with role {}'s credentials"),
                       ("key", "with the access key saved as {}"),
                       ("delivered_to", "with credentials delivered to {}"),
                       ("user_agent", "made with {}"),
                       ("invoked_by", "made by {} on your behalf"),
                       ("caller_account", "by account {}"),
                       ("account", "in account {}'s log")):  # fmt: skip
        if args.get(name):
            words.append(said.format(args[name]))
    wanted_error = args.get("error", "any")
    if wanted_error is None:
        words.append("that succeeded")
    elif wanted_error != "any":
        words.append("ending in " + " or ".join(str(code) for code in _listed(wanted_error)))
    return " ".join(words)


def _events_since_setup(world: Account, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The account's events after setup's last one there (the log keeps only the newest, so
    find it by id): the learner's account's, or another account's (`account:`)."""
    if world is world.root:
        marker = variables.get("_last_setup_event")
    else:
        marker = (variables.get("_last_setup_events") or {}).get(world.account_id)
    events = world.events
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("eventID") == marker:
            return events[index + 1 :]
    return events


def _clock_advanced(
    world: World, args: dict[str, Any], variables: Mapping[str, Any]
) -> tuple[bool, str]:
    """{seconds: N} since the scenario started."""
    started = datetime.fromisoformat(str(variables["_started"]))
    moved = (world.now - started) / timedelta(seconds=1)
    wanted = float(args["seconds"])
    return (
        moved >= wanted,
        f"The clock has moved {int(moved)} s since the start (needs {int(wanted)} s)",
    )


def _fleet_ran(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: NAME, ticks: N} — the application ran at least N ticks."""
    name = str(args["instance"])
    ticks = world.state.instances[instance_id_of(world, name)].ticks
    wanted = int(args.get("ticks", 1))
    return ticks >= wanted, f"{name}'s application has run {ticks} tick{'s' if ticks != 1 else ''}"


def _app_call(world: World, args: dict[str, Any], variables: Mapping[str, Any]) -> tuple[bool, str]:
    """{instance: NAME or instances: [NAMES], operation, result: Allowed | CODE, role: NAME,
    key: VAR, not_key: VAR, message: TEXT} — the latest such call each instance's application
    made (found in the log by the instance's address) ended in `result` (default Allowed); when
    given, it was made with role NAME's credentials or with the saved access key VAR, not with
    the saved access key of `not_key` (a key the learner made in its place is never saved), and
    its error message contains TEXT.
    """
    names = [str(name) for name in args.get("instances") or [args["instance"]]]
    results = [_last_app_call(world, variables, name, args) for name in names]
    if len(results) == 1:
        return results[0]
    failed = [(name, detail) for name, (passed, detail) in zip(names, results, strict=True) if not passed]  # fmt: skip
    if not failed:
        wanted = args.get("result", "Allowed")
        return True, f"All {len(names)} instances: the last {args['operation']} was {wanted}"
    # The first two in full; every other one by name, so none is left to hunt for.
    rest = [name for name, _ in failed[2:]]
    more = f"; and {', '.join(rest)} too" if rest else ""
    shown = "; ".join(detail for _, detail in failed[:2]) + more
    return False, f"{len(failed)} of {len(names)} instances fall short: {shown}"


def _last_app_call(
    world: World, variables: Mapping[str, Any], name: str, args: Mapping[str, Any]
) -> tuple[bool, str]:
    """The instance's application's latest `operation`, as its log (/var/log/app.log) says.

    The log, not the event log: the learner's own commands on the instance come from its
    address too, and a call the SDK never sent (NoCredentials) leaves no event.
    """
    operation = str(args["operation"])
    instance = world.state.instances[instance_id_of(world, name)]
    latest = None
    for line in (instance.files.get(instances.APP_LOG) or "").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("operation") == operation:
            latest = row
    if latest is None:
        return False, f"{name}'s application has made no {operation} call yet: run the fleet"
    outcome = str(latest.get("error") or "Allowed")
    key_id = str(latest.get("access_key_id") or "")
    session = world.state.sessions.get(key_id)
    key = world.state.access_keys.get(key_id)
    if session is not None:
        as_whom = f"as role {session.role_name}"
    elif key is not None:
        as_whom = f"as user {key.user_name}"
    else:
        as_whom = "" if not key_id else "as an unknown caller"
    who = f"{as_whom} with {key_id}" if key_id else "with no credentials at all"
    detail = f"{name}'s last {operation} was {outcome}, {who}"
    problems = []
    if outcome != str(args.get("result", "Allowed")):
        problems.append(f"expected {args.get('result', 'Allowed')}")
    if args.get("message") and str(args["message"]) not in str(latest.get("message") or ""):
        problems.append(f"its error message does not say '{args['message']}'")
    role = args.get("role")
    if role and (session is None or session.role_name != role):
        problems.append(f"not made with role {role}'s credentials")
    if args.get("key") and key_id != _key_id(variables, str(args["key"])):
        problems.append(f"not made with the access key saved as {args['key']}")
    if args.get("not_key") and key_id == _key_id(variables, str(args["not_key"])):
        problems.append(f"still made with the access key saved as {args['not_key']}")
    return not problems, detail + ("" if not problems else ": " + "; ".join(problems))


def _deletion_task(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, status: NOT_STARTED | IN_PROGRESS | SUCCEEDED | FAILED} — the newest
    DeleteServiceLinkedRole task for the role has that status."""
    role = str(args["role"])
    tasks = [task for task in world.state.deletion_tasks.values() if task.role_name == role]
    if not tasks:
        return False, f"Nobody has asked to delete {role} yet"
    status = max(tasks, key=lambda task: task.created).status
    return status == args["status"], f"The deletion of {role} is {status}"


def _bucket_policy(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{bucket: NAME, present: true | false} — the bucket has a bucket policy (or none)."""
    name = str(args["bucket"])
    bucket = world.state.buckets.get(name)
    if bucket is None:
        return False, f"There is no bucket {name}"
    present = bucket.policy is not None
    wanted = bool(args.get("present", True))
    have = "a bucket policy" if present else "no bucket policy"
    return present == wanted, f"Bucket {name} has {have}"


def _role_has_policy(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, policy: NAME or ARN} — attached managed policy, or inline policy, by name."""
    name, wanted = str(args["role"]), str(args["policy"])
    role = world.state.roles.get(name)
    if role is None:
        return False, f"There is no role {name}"
    attached = {arn: arn.rsplit("/", 1)[-1] for arn in role.attached_policies}
    found = wanted in role.inline_policies or any(wanted in pair for pair in attached.items())
    inline = [f"{policy} (inline)" for policy in sorted(role.inline_policies)]
    have = sorted(attached.values()) + inline
    return found, f"Role {name} has " + (", ".join(have) or "no policies") + (
        "" if found else f"; it should have {wanted}"
    )


def _decision(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{user: NAME | role: NAME, action, resource, context: {KEY: VALUE}, result: allowed |
    denied} — what the policies in force now decide for that request, as IAM's policy
    simulator answers it: no call is made. An S3 resource brings its bucket's policy.

    For lasting state ("launcher still may not pass UploadRole"), where a probe would repeat
    the call the step asks the learner to make.
    """
    state = world.state
    if args.get("user"):
        user = state.users.get(str(args["user"]))
        if user is None:
            return False, f"There is no user {args['user']}"
        caller = Caller(user.arn, state.account_id, "", "IAMUser", user.user_id, user=user)
        who = f"user {user.name}"
    else:
        role = state.roles.get(str(args["role"]))
        if role is None:
            return False, f"There is no role {args['role']}"
        arn = f"arn:aws:sts::{state.account_id}:assumed-role/{role.name}/check"
        caller = Caller(
            arn, state.account_id, "", "AssumedRole", f"{role.role_id}:check", role=role
        )
        who = f"role {role.name}"
    action, resource = str(args["action"]), str(args["resource"])
    bucket_policy = None
    if resource.startswith("arn:aws:s3:::"):
        bucket = state.buckets.get(resource.removeprefix("arn:aws:s3:::").split("/", 1)[0])
        bucket_policy = bucket.policy if bucket is not None else None
    decision = world.decide(caller, action, resource, context=dict(args.get("context") or {}),
                            resource_policy=bucket_policy)  # fmt: skip
    allowed = decision.response is Response.ALLOWED
    wanted = str(args.get("result", "allowed")).lower() == "allowed"
    said = "allowed" if allowed else "denied"
    return allowed == wanted, f"{action} on {resource} is {said} for {who}"


def _identity(world: World, args: Mapping[str, Any], kinds: tuple[str, ...]) -> tuple[str, Any]:
    """The user, role or group `args` names ({role: NAME}, ...), in words, and the entity.

    Raises KeyError, said plainly, when it does not exist or `args` names none."""
    tables: dict[str, Mapping[str, Any]] = {
        "user": world.state.users,
        "role": world.state.roles,
        "group": world.state.groups,
    }
    for kind in kinds:
        if args.get(kind):
            name = str(args[kind])
            entity = tables[kind].get(name)
            if entity is None:
                raise KeyError(f"There is no {kind} {name}")
            return f"{kind.capitalize()} {name}", entity
    raise KeyError("name " + " or ".join(f"a {kind}" for kind in kinds))


def _names_policy(arn: str, wanted: str) -> bool:
    """Whether `wanted` (a managed policy's name or ARN) is the policy `arn`."""
    return wanted in (arn, arn.rsplit("/", 1)[-1])


def _permissions_boundary(
    world: World, args: dict[str, Any], _: Mapping[str, Any]
) -> tuple[bool, str]:
    """{role: NAME or user: NAME, policy: NAME or ARN, or null for none} — the permissions
    boundary the role or user has (PutRolePermissionsBoundary, PutUserPermissionsBoundary)."""
    who, entity = _identity(world, args, ("role", "user"))
    boundary: str | None = entity.permissions_boundary
    wanted = args.get("policy")
    passed = boundary is None if wanted is None else (
        boundary is not None and _names_policy(boundary, str(wanted)))  # fmt: skip
    have = f"{boundary.rsplit('/', 1)[-1]} as its permissions boundary" if boundary else (
        "no permissions boundary")  # fmt: skip
    want = f"{wanted}" if wanted is not None else "none"
    return passed, f"{who} has {have}" + ("" if passed else f"; it should have {want}")


def _policy_not_attached(
    world: World, args: dict[str, Any], _: Mapping[str, Any]
) -> tuple[bool, str]:
    """{policy: NAME or ARN, user: NAME or role: NAME or group: NAME} — the managed policy is
    not attached to it, and it has no inline policy of that name. A user's groups are not
    looked at: only what is attached to the user itself."""
    who, entity = _identity(world, args, ("user", "role", "group"))
    wanted = str(args["policy"])
    attached = [arn for arn in entity.attached_policies if _names_policy(arn, wanted)]
    if attached:
        return False, f"Policy {wanted} is still attached to {who.lower()}"
    if wanted in entity.inline_policies:
        return False, f"{who} still has an inline policy {wanted}"
    return True, f"Policy {wanted} is not attached to {who.lower()}"


def _managed_policy(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{policy: NAME or ARN, allows: ACTION(S), denies: ACTION(S), resource: ARN (default *),
    context: {KEY: VALUE}} — a customer managed policy of that name exists (or any managed
    policy of that ARN, AWS's too); with `allows` or `denies`, its default version, weighed
    alone as an identity policy by the policy engine, allows (or does not allow) each action
    on `resource`. It reads the document: no call is made."""
    wanted = str(args["policy"])
    if wanted.startswith("arn:"):
        policy = world.managed_policy(wanted)
    else:
        policy = next((p for p in world.state.policies.values() if p.name == wanted), None)
    if policy is None:
        kind = "managed policy" if wanted.startswith("arn:") else "customer managed policy"
        return False, f"There is no {kind} {wanted}"
    said = f"Policy {policy.name} ({policy.default_version_id})"
    resource = str(args.get("resource") or "*")
    document = parse_policy(json.loads(policy.default_document()), name=policy.name,
                            kind=PolicyKind.IDENTITY)  # fmt: skip
    principal = f"arn:aws:iam::{world.account_id}:user/check"
    problems: list[str] = []
    facts: list[str] = []
    for key, want_allowed in (("allows", True), ("denies", False)):
        for action in (str(name) for name in _listed(args.get(key) or [])):
            request = Request.build(principal=principal, action=action, resource=resource,
                                    context=dict(args.get("context") or {}), now=world.now)  # fmt: skip
            allowed = evaluate(request, identity_policies=[document]).response is Response.ALLOWED
            words = f"{'allows' if allowed else 'does not allow'} {action}"
            (facts if allowed == want_allowed else problems).append(words)
    on = "" if resource == "*" else f" on {resource}"
    if problems:
        return False, f"{said} {', '.join(problems)}{on}"
    return True, f"{said} exists" + (f" and {', '.join(facts)}{on}" if facts else "")


# The STS actions that let a principal in through a role's trust policy.
ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")


def _principal_key(value: str) -> tuple[str, str]:
    """A trust policy's principal, or an author's name for one, as (kind, value) compared as
    IAM stores them: an account id is its root ARN, a service name is lower case."""
    value = value.strip()
    if re.fullmatch(r"\d{12}", value):
        return "AWS", f"arn:aws:iam::{value}:root"
    if value.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return "Service", value.lower()
    if re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:(saml|oidc)-provider/.+", value):
        return "Federated", value
    return "AWS", value


def _principal_words(key: tuple[str, str]) -> str:
    kind, value = key
    account = re.fullmatch(r"arn:aws[\w-]*:iam::(\d{12}):root", value)
    if account:
        return f"account {account.group(1)}"
    if kind == "Service":
        return f"service {value}"
    if value == "*":
        return "everyone (*)"
    return value


def _trusting_statements(
    trust: Any, assume: tuple[str, ...] = ASSUME_ACTIONS
) -> list[tuple[set[tuple[str, str]], dict[str, Any]]]:
    """The Allow statements of a trust policy that let someone assume the role (with one of
    the `assume` actions; "*" for any action): each one's principals (as `_principal_key`s)
    and its Condition block."""
    found = []
    for statement in _listed(trust.get("Statement") or []):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = [str(action).lower() for action in _listed(statement.get("Action") or [])]
        if assume != ("*",) and not any(action_glob(action).matches(wanted)
                                        for action in actions for wanted in assume):  # fmt: skip
            continue
        principal = statement.get("Principal")
        principals: set[tuple[str, str]] = set()
        if principal == "*":
            principals.add(("AWS", "*"))
        elif isinstance(principal, Mapping):
            for kind, values in principal.items():
                for value in (str(value) for value in _listed(values)):
                    if kind == "AWS" and re.fullmatch(r"\d{12}", value):
                        value = f"arn:aws:iam::{value}:root"
                    principals.add((str(kind), value.lower() if kind == "Service" else value))
        condition = statement.get("Condition")
        found.append((principals, dict(condition) if isinstance(condition, Mapping) else {}))
    return found


def _required_values(condition: Mapping[str, Any], key: str) -> list[str] | None:
    """The values a Condition block requires `key` to have ([] for any value), or None when it
    lets a request without the key in: only a positive operator requires it (StringEquals,
    StringLike, ...; not a Not… operator, not …IfExists), or Null with "false"."""
    for operator, tests in condition.items():
        if not isinstance(tests, Mapping):
            continue
        for name, values in tests.items():
            if str(name).lower() != key.lower():
                continue
            listed = [str(value) for value in _listed(values)]
            if operator == "Null":
                if listed == ["false"]:
                    return []
            elif "Not" not in operator and not operator.endswith("IfExists"):
                return listed
    return None


def _role_trust(world: World, args: dict[str, Any], _: Mapping[str, Any]) -> tuple[bool, str]:
    """{role: NAME, principal: WHO or [WHO, ...], only: true, requires: {KEY: VALUE}} — the
    role's trust policy lets WHO assume it (an account id, an ARN, a service such as
    ec2.amazonaws.com); with `only`, nobody else; with `requires`, every Allow statement that
    lets WHO in requires each condition key (with that value; null for any value), as
    sts:ExternalId for a vendor's account. It reads the trust policy: no one assumes the role.
    """
    name = str(args["role"])
    role = world.state.roles.get(name)
    if role is None:
        return False, f"There is no role {name}"
    statements = _trusting_statements(json.loads(role.trust_policy))
    wanted = [_principal_key(str(who)) for who in _listed(args.get("principal") or [])]
    who = " and ".join(_principal_words(key) for key in wanted) or "anyone"
    trusted = set().union(*(principals for principals, _ in statements))
    missing = [key for key in wanted if key not in trusted and ("AWS", "*") not in trusted]
    if missing or not trusted:
        have = ", ".join(sorted(_principal_words(key) for key in trusted)) or "no one"
        return False, f"Role {name} does not trust {who}; it trusts {have}"
    problems = []
    others = sorted(_principal_words(key) for key in trusted - set(wanted))
    if args.get("only") and others:
        problems.append(f"it also trusts {', '.join(others)}")
    required = dict(args.get("requires") or {})
    for key in wanted or sorted(trusted):
        letting_in = [condition for principals, condition in statements
                      if key in principals or ("AWS", "*") in principals]  # fmt: skip
        for condition_key, value in required.items():
            for condition in letting_in:
                values = _required_values(condition, str(condition_key))
                if values is None:
                    problems.append(f"it lets {_principal_words(key)} in without "
                                    f"{condition_key}")  # fmt: skip
                    break
                if value is not None and str(value) not in values:
                    shown = ", ".join(values) or "any value"
                    problems.append(f"it wants {condition_key} {shown}, not {value}")
                    break
    needs = " and ".join(
        str(key) + ("" if value is None else f" {value}") for key, value in required.items()
    )
    words = f"Role {name} trusts {'only ' if args.get('only') and not needs else ''}{who}"
    if needs:
        words += (" (and no one else)" if args.get("only") else "") + f" only with {needs}"
    if problems:
        return False, f"{words}: no, {'; '.join(dict.fromkeys(problems))}"
    return True, words


# Each condition a check may state, by its name in a scenario file: a function of the world, the
# condition's arguments (placeholders replaced) and the saved values, saying whether it holds
# and what it found.
CONDITIONS: dict[str, Callable[[World, dict[str, Any], Mapping[str, Any]], tuple[bool, str]]] = {
    "instance_role": _instance_role,
    "file_absent": _file_absent,
    "env_absent": _env_absent,
    "user_keys": _user_keys,
    "key_status": _key_status,
    "key_idle": _key_idle,
    "role_exists": _role_exists,
    "profile_role": _profile_role,
    "policy_versions": _policy_versions,
    "event": _event,
    "clock_advanced": _clock_advanced,
    "fleet_ran": _fleet_ran,
    "app_call": _app_call,
    "deletion_task": _deletion_task,
    "bucket_policy": _bucket_policy,
    "role_has_policy": _role_has_policy,
    "decision": _decision,
    "permissions_boundary": _permissions_boundary,
    "policy_not_attached": _policy_not_attached,
    "managed_policy": _managed_policy,
    "role_trust": _role_trust,
}
