"""Where the learner can open a terminal, what each place holds, and who they are there.

    places(world)                        # CloudShell, each running instance, the laptop, ...
    add_place(world, "launchers-laptop", "launcher's laptop", files={"~/.aws/credentials": ...})
    resolve(world, place, env, profile)  # (Credentials, source) or None; raises AwsError
    held_credentials(world)              # every credential set some place holds

A place is CloudShell (in the account as its admin, calling from the console's address), the
CloudShell of each other account the world holds (`cloudshell@<account id>`, as that account's
admin), a shell on a running instance (as ec2-user, from the instance's address, with its instance
profile behind the metadata service), the learner's laptop outside AWS (no credentials until
given some), or a laptop-like place a scenario adds. Files are a place's simulated files by
absolute path; nothing here touches the real disk or network.

Import names from this module (`from simulator.terminal.places import resolve`):
`from simulator.terminal import places` is the package's `places()` function. For the aws command (cli.py): `resolve` is the CLI's credential chain in a place
(the same `instances.chain` the SDK sessions on instances use), `path` makes a path absolute
in the place's shell, and `read_file`/`write_file` read and write its files within the limits
below (an instance's files are `Instance.files`, the others' `PlaceState.files`).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import NamedTuple

from simulator.account import CONSOLE_IP, OUTSIDE_IP, Account
from simulator.authenticate import Credentials
from simulator.errors import AwsError
from simulator.model import Instance, PlaceState, Terminal
from simulator.services import instances

__all__ = [
    "CLOUDSHELL",
    "LAPTOP",
    "MAX_FILE",
    "MAX_FILES",
    "MAX_PLACE_BYTES",
    "MAX_STORED_FILES",
    "MAX_STORED_SHELLS",
    "MAX_STORED_VARIABLES",
    "NO_CREDENTIALS",
    "Held",
    "Place",
    "add_place",
    "clean",
    "delete_file",
    "fit_shells",
    "size",
    "variables_size",
    "environment",
    "file_paths",
    "find",
    "held_credentials",
    "may_write",
    "path",
    "places",
    "read_file",
    "resolve",
    "terminal",
    "write_file",
]

CLOUDSHELL = "cloudshell"
LAPTOP = "laptop"
MAX_FILE = 32 * 1024
"""Characters one file may hold: a policy document is at most 6 KiB, a credentials file less."""
MAX_FILES = 100
MAX_PLACE_BYTES = 128 * 1024
"""Characters all of a place's files may hold together: the world is saved with the attempt."""
MAX_STORED_FILES = 64 * 1024
"""What the files of every place together may take in the saved world (JSON characters): a
learner who fills one instance after another meets "No space left on device" here, and a saved
world stays within DESIGN.md's 200 KB."""
MAX_STORED_SHELLS = 48 * 1024
"""What every place's shell keeps together in the saved world (JSON characters): transcripts and
history. Past it, the oldest lines of the biggest transcripts are dropped."""
MAX_STORED_VARIABLES = 16 * 1024
"""What every place's shell variables together may take in the saved world (JSON characters)."""
NO_CREDENTIALS = (
    'Unable to locate credentials. You can configure credentials by running "aws configure".'
)
"""What the AWS CLI prints when its chain finds nothing (botocore's NoCredentialsError)."""
CONTAINER = "container credentials"
ACCOUNT_SHELL = CLOUDSHELL + "@"
"""Another account's CloudShell is `cloudshell@<its id>`: no scenario place can take that id
(theirs are letters, digits and hyphens)."""
WRITABLE = ("/tmp/",)
"""Where a user may write besides their home: elsewhere is `Permission denied`."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class Place:
    place_id: str
    label: str
    kind: str  # "cloudshell" | "instance" | "laptop"
    user: str  # "cloudshell-user" | "ec2-user" | "you"
    home: str  # "/home/ec2-user"
    source_ip: str  # where AWS sees this place's calls come from
    hostname: str  # "ip-10-0-1-23", "laptop"
    account_id: str = ""  # another account's CloudShell: that account ("" for the first one)


class Held(NamedTuple):
    """A credential set some place holds: the console may act as it."""

    label: str  # "web-1 (i-…): instance profile"
    place_id: str
    source: str  # "environment" | "~/.aws/credentials [NAME]" | "~/.aws/config [NAME]" | ...
    credentials: Credentials


def places(world: Account) -> list[Place]:
    """Where the learner can be, in display order: CloudShell, the other accounts' CloudShells,
    each running instance, the laptop, then the places scenarios added."""
    found = [_builtin(CLOUDSHELL)]
    found += [_account_shell(account) for account in world.root.accounts[1:]]
    found += [_instance_place(world, i) for i in world.state.instances.values() if _up(i)]
    found.append(_builtin(LAPTOP))
    found += [
        _added(place_id, kept)
        for place_id, kept in world.state.places.items()
        if _is_added(place_id)
    ]
    return found


def find(world: Account, place_id: str) -> Place | None:
    """The place with this id, or None (unknown, or an instance that is not running)."""
    if place_id in (CLOUDSHELL, LAPTOP):
        return _builtin(place_id)
    if place_id.startswith(ACCOUNT_SHELL):
        account = world.root.account_by_id(place_id[len(ACCOUNT_SHELL) :])
        if account is None or account is world.root:
            return None
        return _account_shell(account)
    if place_id.startswith("i-"):
        instance = world.state.instances.get(place_id)
        return _instance_place(world, instance) if instance and _up(instance) else None
    kept = world.state.places.get(place_id)
    return _added(place_id, kept) if kept is not None else None


def add_place(
    world: Account,
    place_id: str,
    label: str,
    *,
    files: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Place:
    """A scenario's laptop-like place outside AWS; again with the same id, the same place with
    these files and variables set. Raises ValueError for a bad id, path or size."""
    if not _is_added(place_id) or not 0 < len(place_id) <= 40 or set(place_id) - _ID_CHARACTERS:
        raise ValueError(
            f"A place id is 1-40 lowercase letters, digits, - or _, and not {CLOUDSHELL!r}, "
            f"{LAPTOP!r} or an instance id: {place_id!r}"
        )
    kept = world.state.places.setdefault(place_id, PlaceState())
    kept.label = label
    place = _added(place_id, kept)
    for name, text in (files or {}).items():
        absolute = path(world, place, name)
        error = _too_big(kept.files, absolute, text)
        if error or not absolute.startswith(place.home + "/"):
            raise ValueError(f"{name}: {error or 'files of a place live in ~/'}")
        kept.files[absolute] = text
    kept.env.update(env or {})
    return place


# --- files -----------------------------------------------------------------------------------


def path(world: Account, place: Place, name: str) -> str:
    """`name` as an absolute, normalised path in the place's shell (its cwd, `~` its home)."""
    if name == "~" or name.startswith("~/"):
        name = place.home + name[1:]
    elif not name.startswith("/"):
        name = posixpath.join(terminal(world, place, create=False).cwd or place.home, name)
    # normpath keeps a leading "//"; bash would too, but one root is simpler to compare.
    return "/" + posixpath.normpath(name).lstrip("/")


def read_file(world: Account, place: Place, absolute: str) -> str | None:
    return _files(world, place).get(absolute)


def file_paths(world: Account, place: Place) -> list[str]:
    return sorted(_files(world, place))


def write_file(world: Account, place: Place, absolute: str, text: str) -> None:
    """Write (replace) a file; ValueError("No space left on device") past the limits."""
    files = _files(world, place, create=True)
    text = clean(text)
    error = _too_big(files, absolute, text, world)
    if error:
        raise ValueError(error)
    files[absolute] = text


def may_write(place: Place, absolute: str) -> bool:
    """Whether the place's user may write `absolute`: in their home or in /tmp."""
    return (absolute + "/").startswith((place.home + "/", *WRITABLE))


def delete_file(world: Account, place: Place, absolute: str) -> None:
    _files(world, place, create=True).pop(absolute, None)


def _too_big(
    files: dict[str, str], absolute: str, text: str, world: Account | None = None
) -> str | None:
    if len(text) > MAX_FILE:
        return f"File too large ({MAX_FILE // 1024} KiB at most in this terminal)"
    others = sum(len(kept) for name, kept in files.items() if name != absolute)
    if others + len(text) > MAX_PLACE_BYTES or (absolute not in files and len(files) >= MAX_FILES):
        return "No space left on device"
    if world is not None:
        before = size(absolute) + size(files[absolute]) if absolute in files else 0
        growth = size(absolute) + size(text) - before
        if growth > 0 and _stored_files(world) + growth > MAX_STORED_FILES:
            return "No space left on device"
    return None


def _stored_files(world: Account) -> int:
    """What the files of every place take in the saved world."""
    kept = [*(i.files for i in world.state.instances.values()),
            *(p.files for p in world.state.places.values())]  # fmt: skip
    return sum(size(name) + size(text) for files in kept for name, text in files.items())


def size(text: str) -> int:
    """The characters `text` takes in the saved world's JSON (quotes and escapes included)."""
    if text.isascii() and text.isprintable():
        return len(text) + 2 + text.count('"') + text.count("\\")
    return len(json.dumps(text))


def clean(text: str) -> str:
    """`text` as the saved world can keep it: no NUL (PostgreSQL's jsonb refuses \\u0000) and no
    lone surrogate (not UTF-8), each replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _files(world: Account, place: Place, *, create: bool = False) -> dict[str, str]:
    if place.kind == "instance":
        return world.instance(place.place_id).files
    if create:
        return world.state.places.setdefault(place.place_id, PlaceState()).files
    kept = world.state.places.get(place.place_id)
    return kept.files if kept is not None else {}


# --- the shell's state and environment ------------------------------------------------------------


def terminal(world: Account, place: Place, *, create: bool = True) -> Terminal:
    """The place's shell state, kept in the world (a fresh, unsaved one when not `create`)."""
    kept = world.state.places.get(place.place_id)
    if kept is None:
        if not create:
            return Terminal()
        kept = world.state.places[place.place_id] = PlaceState()
    return kept.terminal


def environment(world: Account, place: Place) -> dict[str, str]:
    """The variables a command run in the place's shell sees: the login environment, the
    place's own (an instance's `Instance.env`), then what the shell exported or unset."""
    env = {
        "HOME": place.home,
        "USER": place.user,
        "LOGNAME": place.user,
        "SHELL": "/bin/bash",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOSTNAME": place.hostname,
    }
    if place.kind == CLOUDSHELL:
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = world.region
    if place.kind == "instance":
        env.update(world.instance(place.place_id).env)
    else:
        kept = world.state.places.get(place.place_id)
        env.update(kept.env if kept is not None else {})
    shell = terminal(world, place, create=False)
    for name, value in shell.exported.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PWD"] = shell.cwd or place.home
    return env


# --- credentials -----------------------------------------------------------------------------


def resolve(
    world: Account, place: Place, env: dict[str, str], profile: str | None = None
) -> tuple[Credentials, str] | None:
    """The credentials the AWS CLI finds in `place` with environment `env` (see `environment`)
    and `--profile` (None when not given), and where it found them.

    The chain is botocore's (`instances.chain`): the environment's keys (ignored with an
    explicit profile), the profile in ~/.aws/credentials and ~/.aws/config (a `role_arn` +
    `source_profile` profile assumes the role: STS AssumeRole from the place's address), then
    the instance profile on an instance, CloudShell's container credentials (the admin) in
    CloudShell, nothing on a laptop. Returns None when nothing is found: the CLI prints
    NO_CREDENTIALS and exits 253. Raises AwsError named after botocore's exception
    (ProfileNotFound, PartialCredentialsError, ConfigParseError, InvalidConfigError), or an
    `instances.AssumeRoleError` carrying STS's own error code and message.

    Sources: "environment", "shared credentials file", "config file", "assume role",
    "instance profile", "container credentials".
    """
    instance = world.instance(place.place_id) if place.kind == "instance" else None

    def last() -> tuple[Credentials, str] | None:
        if instance is not None:
            return instances.from_instance_profile(world, instance)
        if place.kind == CLOUDSHELL:
            return _shell_account(world, place).admin_credentials(), CONTAINER
        return None

    return instances.chain(
        world,
        env=env,
        files=_files(world, place),
        home=place.home + "/",
        source_ip=place.source_ip,
        last=last,
        profile=profile,
    )


def held_credentials(world: Account) -> list[Held]:
    """Every credential set some place holds: its environment's keys, each profile with keys
    in its ~/.aws files, an instance's instance profile role. CloudShell's own credentials are
    the admin's, whom the console already is, so they are not listed; another account's
    CloudShell holds that account's admin's; a file botocore cannot read holds nothing."""
    held: list[Held] = []
    for place in places(world):
        env = environment(world, place)

        def add(source: str, credentials: Credentials, place: Place = place) -> None:
            held.append(Held(f"{place.label}: {source}", place.place_id, source, credentials))

        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if key and secret:
            token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None
            add("environment", Credentials(key, secret, token))
        try:
            profiles = instances.profiles(env, _files(world, place), place.home + "/")
        except AwsError:
            profiles = {}
        for name, section in profiles.items():
            key, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
            if key and secret:
                where = "credentials" if section[instances.ORIGIN] != "config-file" else "config"
                token = section.get("aws_session_token") or None
                add(f"~/.aws/{where} [{name}]", Credentials(key, secret, token))
        if place.kind == "instance":
            found = instances.from_instance_profile(world, world.instance(place.place_id))
            if found is not None:
                add(found[1], found[0])
        if place.account_id:
            add(CONTAINER, _shell_account(world, place).admin_credentials())
    return held


# --- the places themselves ---------------------------------------------------------------------


def _builtin(place_id: str) -> Place:
    if place_id == CLOUDSHELL:
        return Place(CLOUDSHELL, "CloudShell", CLOUDSHELL, "cloudshell-user",
                     "/home/cloudshell-user", CONSOLE_IP, "cloudshell")  # fmt: skip
    return Place(LAPTOP, "your laptop", LAPTOP, "you", "/home/you", OUTSIDE_IP, "laptop")


def _account_shell(account: Account) -> Place:
    """Another account's CloudShell: its admin, from the console's address (the console is
    AWS's, whichever account signs in to it)."""
    name = account.state.name
    label = f"{name}'s CloudShell ({account.account_id})" if name else f"CloudShell of account {account.account_id}"  # fmt: skip
    return Place(ACCOUNT_SHELL + account.account_id, label, CLOUDSHELL, "cloudshell-user",
                 "/home/cloudshell-user", CONSOLE_IP, "cloudshell", account.account_id)  # fmt: skip


def _shell_account(world: Account, place: Place) -> Account:
    """The account a CloudShell is in: the first one, or the other account it names."""
    if not place.account_id:
        return world.root
    account = world.root.account_by_id(place.account_id)
    if account is None:
        raise LookupError(f"The world has no account {place.account_id}.")
    return account


def _instance_place(world: Account, instance: Instance) -> Place:
    name = instance.tags.get("Name")
    label = f"{name} ({instance.instance_id})" if name else instance.instance_id
    return Place(
        instance.instance_id,
        label,
        "instance",
        "ec2-user",
        "/home/ec2-user",
        instances.source_ip(world, instance.instance_id),
        "ip-" + instance.private_ip.replace(".", "-"),
    )


def _added(place_id: str, kept: PlaceState) -> Place:
    return Place(place_id, kept.label or place_id, LAPTOP, "you", "/home/you", OUTSIDE_IP, place_id)


def _is_added(place_id: str) -> bool:
    return place_id not in (CLOUDSHELL, LAPTOP) and not place_id.startswith(("i-", ACCOUNT_SHELL))


def _up(instance: Instance) -> bool:
    return instance.state == "running"


# --- what the shells keep in the saved world ---------------------------------------------------


def variables_size(world: Account) -> int:
    """What every shell's variables take in the saved world (JSON characters)."""
    return sum(
        size(name) + size(value or "")
        for kept in world.state.places.values()
        for variables in (kept.terminal.variables, kept.terminal.exported)
        for name, value in variables.items()
    )


def fit_shells(world: Account, keep: str) -> None:
    """Drop the oldest lines, then commands, of the biggest transcripts until every place's
    transcript and history together fit MAX_STORED_SHELLS; the place `keep` (where the learner
    just typed) loses its own last."""
    sizes = {
        place_id: _transcript_size(kept.terminal) for place_id, kept in world.state.places.items()
    }
    total = sum(sizes.values())
    while total > MAX_STORED_SHELLS:
        others = [place_id for place_id in sizes if place_id != keep and sizes[place_id]]
        place_id = max(others, key=sizes.__getitem__) if others else keep
        term = world.state.places[place_id].terminal
        kept = term.lines if term.lines else term.history
        if not kept:
            return
        del kept[: max(1, len(kept) // 2)]
        total -= sizes[place_id]
        sizes[place_id] = _transcript_size(term)
        total += sizes[place_id]


def _transcript_size(term: Terminal) -> int:
    return sum(map(size, term.lines)) + sum(map(size, term.history))
