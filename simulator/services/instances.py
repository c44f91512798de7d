"""Software on the instances: the SDK's credential chain there, and the application each runs.

    instances.set_app(world, "i-...", AppSpec(name="reports", calls=[...]))
    instances.set_launch_app(world, LaunchApp(app, image_id="ami-..."))  # new instances run it
    results = instances.tick(world)          # every running instance's application, once
    instances.resolve_credentials(world, "i-...")  # (Credentials, "instance profile") or None
    instances.chain(world, env=..., files=..., home=..., source_ip=..., last=...)  # any machine

The chain is botocore's default one, in its order (iam-facts §3: env > ~/.aws/credentials >
~/.aws/config > instance profile), read from the instance's own environment and files:

1. environment: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SECURITY_TOKEN` or
   `AWS_SESSION_TOKEN`); an id without a secret is botocore's PartialCredentialsError;
2. shared credentials file: `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`), the profile
   `AWS_DEFAULT_PROFILE`/`AWS_PROFILE` names, else `[default]`; a file configparser cannot read
   is botocore's ConfigParseError ("Unable to parse config file: PATH"), as the SDK raises it
   rather than skipping the file;
3. config file: `~/.aws/config` (or `AWS_CONFIG_FILE`), `[default]` or `[profile NAME]`;
   a profile (in either file) with `role_arn` and `source_profile` assumes that role with the
   source profile's credentials, as botocore's AssumeRoleProvider does;
4. instance profile: the role's credentials from the metadata service, fetched the way the SDKs
   fetch them (IMDSv2 first: a token, then the credentials, so delivered by "2.0"), unless
   `AWS_EC2_METADATA_DISABLED=true` or the instance's metadata endpoint is disabled.

The application (`tick`) is a long-running process: its SDK keeps the role credentials it
fetched (`Instance.app_credentials`) and asks the metadata service again only when they are
within 15 minutes of expiring, as botocore's RefreshableCredentials does (credentials.py:
`_DEFAULT_ADVISORY_REFRESH_TIMEOUT = 15 * 60`, `_DEFAULT_MANDATORY_REFRESH_TIMEOUT = 10 * 60`;
the metadata service's credentials live six hours). So after its role is removed or replaced
the application goes on calling as the old role for hours; when the refresh then finds no
credentials, botocore raises CredentialRetrievalError ("Credential refresh failed, response
did not contain: ..."), in the advisory window as in the mandatory one, because the fetcher
returns an empty answer rather than raising. A stop or a termination ends the process and its
cache (ec2.py). The application reads its environment and files on every run (a
simplification: a real process reads them when it starts). Everything else that asks (the
terminal's `aws`, a check's probe, `instance_session`) is a new process: it fetches afresh.

A failure the SDK raises comes back as an `AwsError` whose code is botocore's exception name.
Only ec2-user's home matters: software runs as ec2-user. `chain` is the same chain for any
machine (the terminal's places use it too: simulator/terminal/places.py).
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from simulator.account import Account
from simulator.authenticate import Credentials
from simulator.clock import iso
from simulator.errors import AwsError
from simulator.model import HOME, AppSpec, Instance, LaunchApp
from simulator.services import imds

__all__ = [
    "CREDENTIALS_FILE",
    "MAX_APP_CALLS",
    "ORIGIN",
    "AssumeRoleError",
    "app_credentials",
    "chain",
    "checked_app",
    "from_instance_profile",
    "profiles",
    "resolve_credentials",
    "set_app",
    "set_launch_app",
    "source_ip",
    "tick",
]

CREDENTIALS_FILE = HOME + ".aws/credentials"
MAX_APP_CALLS = 10
"""Calls an application may make per tick: keeps a fleet's tick within its time budget."""

ENVIRONMENT = "environment"
SHARED_FILE = "shared credentials file"
CONFIG = "config file"
INSTANCE_PROFILE = "instance profile"
ASSUME_ROLE = "assume role"

Ini = Mapping[str, Mapping[str, str]]


def resolve_credentials(world: Account, instance_id: str) -> tuple[Credentials, str] | None:
    """The credentials the AWS SDK finds on the instance, and where it found them.

    None when the chain finds nothing (botocore's NoCredentialsError). Raises AwsError with
    botocore's exception name for what the SDK raises: PartialCredentialsError,
    ConfigParseError, ProfileNotFound, InvalidConfigError (or STS's own error, as an
    AssumeRoleError, when a profile's role cannot be assumed).
    """
    instance = world.instance(instance_id)
    return chain(
        world,
        env=instance.env,
        files=instance.files,
        home=HOME,
        source_ip=source_ip(world, instance_id),
        last=lambda: from_instance_profile(world, instance),
    )


class AssumeRoleError(AwsError):
    """STS refused the AssumeRole a profile's `role_arn` asked for (the CLI prints it as
    `An error occurred (CODE) when calling the AssumeRole operation: MESSAGE`)."""

    operation = "AssumeRole"


def chain(
    world: Account,
    *,
    env: Mapping[str, str],
    files: Mapping[str, str],
    home: str,
    source_ip: str,
    last: Callable[[], tuple[Credentials, str] | None],
    profile: str | None = None,
) -> tuple[Credentials, str] | None:
    """botocore's default credential chain over one machine's environment and files.

    `home` is the user's home folder ("/home/ec2-user/"), `files` the machine's files by
    absolute path, `last` what the machine offers after the profiles (its instance profile, a
    container's credentials, or nothing). `profile` is an explicit `--profile`: as botocore
    does, it turns the environment's keys off. A profile with `role_arn` and `source_profile`
    calls STS AssumeRole from `source_ip` with the source profile's credentials.
    """
    # botocore reads both files (and checks the profile) whenever it makes a client, so a
    # broken file breaks the SDK even when the environment holds the credentials.
    name = profile or env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or "default"
    found_profiles = profiles(env, files, home)
    if name != "default" and name not in found_profiles:
        raise AwsError("ProfileNotFound", f"The config profile ({name}) could not be found", 400)
    if profile is None:
        found = _from_environment(env)
        if found is not None:
            return found, ENVIRONMENT
    section = found_profiles.get(name, {})
    _refuse_unsupported(name, section)
    if "role_arn" in section:
        return _assume_role(world, found_profiles, name, source_ip, visited=[]), ASSUME_ROLE
    if "aws_access_key_id" in section:
        where = section[ORIGIN]
        return _from_section(section, where), SHARED_FILE if where == _SHARED else CONFIG
    if env.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return None
    return last()


ORIGIN = " origin"
"""A key no file can hold (configparser strips spaces): which file a profile's keys are in."""
_SHARED = "shared-credentials-file"
_UNSUPPORTED = ("credential_process", "credential_source", "web_identity_token_file", "sso_")


def profiles(
    env: Mapping[str, str], files: Mapping[str, str], home: str
) -> dict[str, dict[str, str]]:
    """The profiles of a machine's two files, merged as botocore merges them; each holds its
    keys and, under ORIGIN, "shared-credentials-file" or "config-file". Raises AwsError
    (ConfigParseError) for a file botocore cannot read."""
    credentials_path = _home(env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", home)
    config_path = _home(env.get("AWS_CONFIG_FILE") or "~/.aws/config", home)
    return _profiles(_read_ini(files, config_path), _read_ini(files, credentials_path))


def _profiles(config: Ini, credentials: Ini) -> dict[str, dict[str, str]]:
    """Every profile by name, as botocore merges them: the config file's `[profile NAME]`
    (and `[default]`), with the credentials file's `[NAME]` keys taking precedence."""
    profiles: dict[str, dict[str, str]] = {}
    for section, values in config.items():
        if section.startswith("profile "):
            name = section[len("profile ") :].strip()
        elif section == "default":
            name = section
        else:
            continue  # botocore ignores [NAME] without "profile " in the config file
        profiles.setdefault(name, {ORIGIN: "config-file"}).update(values)
    for name, values in credentials.items():
        merged = profiles.setdefault(name, {})
        merged.update(values)
        if "aws_access_key_id" in values or ORIGIN not in merged:
            merged[ORIGIN] = _SHARED
    return profiles


def _refuse_unsupported(name: str, section: Mapping[str, str]) -> None:
    for key in section:
        if key.startswith(_UNSUPPORTED):
            raise AwsError(
                "InvalidConfigError",
                f'The profile "{name}" uses {key}, which this simulated account does not '
                "offer: give the profile keys, or role_arn with source_profile.",
                400,
            )


def _assume_role(
    world: Account,
    profiles: Mapping[str, Mapping[str, str]],
    name: str,
    source_ip: str,
    *,
    visited: list[str],
) -> Credentials:
    """The role's temporary credentials, as botocore's AssumeRoleProvider gets them."""
    section = profiles[name]
    source = section.get("source_profile")
    if source is None:
        raise _partial("assume-role", "source_profile or credential_source")
    if source not in profiles:
        raise AwsError(
            "InvalidConfigError",
            f'The source_profile "{source}" referenced in the profile "{name}" does not exist.',
            400,
        )
    visited = [*visited, name]
    source_section = profiles[source]
    if "role_arn" in source_section and source != name:
        if source in visited:
            raise AwsError(
                "InfiniteLoopConfigError",
                "Infinite loop in credential configuration detected. Attempting to load from "
                f"profile {source} which has already been visited. Visited profiles: {visited}",
                400,
            )
        _refuse_unsupported(source, source_section)
        credentials = _assume_role(world, profiles, source, source_ip, visited=visited)
    elif "aws_access_key_id" in source_section:
        credentials = _from_section(source_section, source_section[ORIGIN])
    else:
        raise AwsError(
            "InvalidConfigError",
            f'The source_profile "{source}" must specify either static credentials or an '
            "assume role configuration",
            400,
        )
    params: dict[str, Any] = {
        "RoleArn": section["role_arn"],
        # botocore's own default name: botocore-session-<seconds since the epoch>
        "RoleSessionName": section.get("role_session_name")
        or f"botocore-session-{int(world.now.timestamp())}",
    }
    if section.get("external_id"):
        params["ExternalId"] = section["external_id"]
    if section.get("duration_seconds", "").isdigit():
        params["DurationSeconds"] = int(section["duration_seconds"])
    try:
        result = world.call(credentials, "sts", "AssumeRole", params, source_ip=source_ip)
    except AwsError as error:
        raise AssumeRoleError(
            error.code, error.message, error.status, decision=error.decision
        ) from None
    issued = result["Credentials"]
    return Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


def _from_environment(env: Mapping[str, str]) -> Credentials | None:
    access_key = env.get("AWS_ACCESS_KEY_ID", "")
    if not access_key:
        return None
    secret = env.get("AWS_SECRET_ACCESS_KEY", "")
    if not secret:
        raise _partial("env", "AWS_SECRET_ACCESS_KEY")
    token = env.get("AWS_SECURITY_TOKEN") or env.get("AWS_SESSION_TOKEN") or None
    return Credentials(access_key, secret, token)


def _from_section(section: Mapping[str, str], provider: str) -> Credentials:
    if "aws_secret_access_key" not in section:
        raise _partial(provider, "aws_secret_access_key")
    token = section.get("aws_security_token", section.get("aws_session_token")) or None
    return Credentials(section["aws_access_key_id"], section["aws_secret_access_key"], token)


def from_instance_profile(world: Account, instance: Instance) -> tuple[Credentials, str] | None:
    """The instance profile role's credentials, or None. The SDK's IMDS fetch: IMDSv2 (a token always succeeds on the host), then the role."""
    if instance.state != "running" or instance.http_endpoint != "enabled":
        return None
    found = imds.lookup(world, instance, delivery="2.0")
    if found is None or found.session is None:
        return None  # no profile, no role, or the role does not trust EC2: no credentials
    session = found.session
    return (
        Credentials(session.access_key_id, session.secret_access_key, session.session_token),
        INSTANCE_PROFILE,
    )


ADVISORY_REFRESH = timedelta(seconds=15 * 60)
"""botocore refreshes cached temporary credentials this long before they expire."""
REFRESH_FAILED = AwsError(
    "CredentialRetrievalError",
    "Error when retrieving credentials from iam-role: Credential refresh failed, response did "
    "not contain: access_key, secret_key, token, expiry_time",
    400,
)
"""botocore's error when refreshing instance-profile credentials finds none (its
exceptions.CredentialRetrievalError with RefreshableCredentials._set_from_data's message)."""


def app_credentials(world: Account, instance: Instance) -> tuple[Credentials, str] | None:
    """The instance profile role's credentials as the application's SDK holds them: cached
    until ADVISORY_REFRESH before they expire, then fetched again from the metadata service.

    None when there were none to cache (NoCredentials); raises REFRESH_FAILED when cached
    credentials are due for refresh and the metadata service has none to give.
    """
    key = instance.app_credentials
    cached = world.state.sessions.get(key) if key else None
    if cached is not None and cached.expiration - world.now >= ADVISORY_REFRESH:
        return (
            Credentials(cached.access_key_id, cached.secret_access_key, cached.session_token),
            INSTANCE_PROFILE,
        )
    found = from_instance_profile(world, instance)
    if found is not None:
        instance.app_credentials = found[0].access_key_id
        return found
    if cached is None:
        instance.app_credentials = None
        return None
    raise REFRESH_FAILED


def _partial(provider: str, variable: str) -> AwsError:
    return AwsError(
        "PartialCredentialsError",
        f"Partial credentials found in {provider}, missing: {variable}",
        400,
    )


def _read_ini(files: Mapping[str, str], path: str) -> Ini:
    text = files.get(path)
    if text is None:
        return {}
    parsed = _parse_ini(text)
    if parsed is None:
        raise AwsError("ConfigParseError", f"Unable to parse config file: {path}", 400)
    return parsed


@lru_cache(maxsize=512)
def _parse_ini(text: str) -> Ini | None:
    """The file as botocore reads it (RawConfigParser), or None when it cannot be parsed."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {name: dict(parser.items(name)) for name in parser.sections()}


def _home(path: str, home: str) -> str:
    if path.startswith("~/"):
        return home + path[2:]
    if path.startswith("$HOME/"):
        return home + path[6:]
    return path


# --- where calls come from --------------------------------------------------------------------


def source_ip(world: Account, instance_id: str) -> str:
    """The address AWS sees the instance's calls come from: its public IP, else its private one."""
    instance = world.instance(instance_id)
    return instance.public_ip or instance.private_ip


# --- the application --------------------------------------------------------------------------


def set_app(world: Account, instance_id: str, app: AppSpec) -> None:
    """Install the application the instance runs on every tick (a non-API fact of a scenario).

    Raises ValueError for a malformed application; KeyError for an unknown instance.
    """
    instance = world.instance(instance_id)
    instance.app = checked_app(app)


def set_launch_app(world: Account, rule: LaunchApp) -> None:
    """New instances of a kind run `rule.app` from launch (RunInstances installs it, as a user
    data script or a baked image would): those from `rule.image_id`, tagged with `rule.tags`.
    Raises ValueError for a malformed application."""
    world.state.launch_apps.append(
        LaunchApp(checked_app(rule.app), rule.image_id or None, dict(rule.tags))
    )


def checked_app(app: AppSpec) -> AppSpec:
    """A copy of `app`, or ValueError when it is malformed."""
    if not isinstance(app.name, str) or not app.name:
        raise ValueError("An application needs a name.")
    if len(app.calls) > MAX_APP_CALLS:
        raise ValueError(f"An application makes at most {MAX_APP_CALLS} calls per tick.")
    for number, spec in enumerate(app.calls, start=1):
        if not isinstance(spec, dict):
            raise ValueError(f"Call {number} must be a mapping with service, operation and params.")
        service, name, params = spec.get("service"), spec.get("operation"), spec.get("params", {})
        if not isinstance(service, str) or not service:
            raise ValueError(f"Call {number} needs a service, such as s3.")
        if not isinstance(name, str) or not name:
            raise ValueError(f"Call {number} needs an operation, such as PutObject.")
        if not isinstance(params, dict):
            raise ValueError(f"Call {number}: params must be a mapping.")
    return AppSpec(
        name=app.name,
        calls=[
            {"service": c["service"], "operation": c["operation"], "params": c.get("params", {})}
            for c in app.calls
        ],
    )


def tick(
    world: Account, *, instance_ids: list[str] | None = None, ticks: int = 1
) -> list[dict[str, Any]]:
    """Run each running instance's application `ticks` times; one result per call.

    A result: {"instance", "name" (its Name tag), "tick", "service", "operation", "ok",
    "error" (the error code, or None), "message", "source" (where the credentials came from),
    "access_key_id"}. Denials and other AWS errors are results, not exceptions; with no
    credentials the error is "NoCredentials" and no call reaches AWS.

    Each tick first moves the clock on by the world's `tick_seconds` (a minute unless the
    scenario says otherwise), so what the clock drives settles (an association `associating`
    becomes `associated`, one `disassociating` goes) and each tick's calls carry their own time.
    """
    state = world.state
    if instance_ids is None:
        targets = list(state.instances.values())
    else:
        targets = [world.instance(instance_id) for instance_id in instance_ids]
    results: list[dict[str, Any]] = []
    call = world.call
    for _ in range(ticks):
        world.advance(state.tick_seconds)
        for instance in targets:
            app = instance.app
            if instance.state != "running" or app is None or not app.calls:
                continue
            instance.ticks += 1
            results.extend(_run(world, call, instance, app))
    write_app_logs(world, results)
    return results


APP_LOG = "/var/log/app.log"
"""Where each instance's application logs its last tick (one JSON object per call)."""
_LOG_KEYS = ("tick", "service", "operation", "ok", "error", "message", "source", "access_key_id")


def last_tick(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each instance's results from its last tick in `results`."""
    last: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        rows = last.setdefault(row["instance"], [])
        if rows and rows[0]["tick"] != row["tick"]:
            rows.clear()
        rows.append(row)
    return last


def write_app_logs(world: Account, results: list[dict[str, Any]]) -> None:
    """Each application writes its last tick's calls to APP_LOG, as real software logs."""
    when = iso(world.now)
    for instance_id, rows in last_tick(results).items():
        lines = [
            json.dumps(
                {"time": when, **{key: row[key] for key in _LOG_KEYS}}, separators=(",", ":")
            )
            for row in rows
        ]
        world.write_file(instance_id, APP_LOG, "\n".join(lines) + "\n")


def _run(world: Account, call: Any, instance: Instance, app: AppSpec) -> list[dict[str, Any]]:
    instance_id = instance.instance_id
    name = instance.tags.get("Name", "")
    number = instance.ticks
    values = {"{instance}": instance_id, "{tick}": str(number), "{name}": name}
    credentials: Credentials | None = None
    source: str | None = None
    failure = AwsError("NoCredentials", "Unable to locate credentials", 400)
    try:
        found = chain(
            world,
            env=instance.env,
            files=instance.files,
            home=HOME,
            source_ip=source_ip(world, instance_id),
            last=lambda: app_credentials(world, instance),
        )
    except AwsError as error:
        found, failure = None, error
    if found is not None:
        credentials, source = found
    ip = instance.public_ip or instance.private_ip
    results = []
    for spec in app.calls:
        service = str(spec["service"])
        operation = str(spec["operation"])
        result: dict[str, Any] = {
            "instance": instance_id,
            "name": name,
            "tick": number,
            "service": service,
            "operation": operation,
            "ok": False,
            "error": None,
            "message": None,
            "source": source,
            "access_key_id": credentials.access_key_id if credentials else None,
        }
        if credentials is None:
            result["error"], result["message"] = failure.code, failure.message
        else:
            params = _substitute(spec.get("params") or {}, values)
            try:
                call(credentials, service, operation, params, source_ip=ip)
                result["ok"] = True
            except AwsError as error:
                result["error"], result["message"] = error.code, error.message
        results.append(result)
    return results


def _substitute(value: Any, values: dict[str, str]) -> Any:
    """{instance}, {tick} and {name} in every string, however deep (other braces stay)."""
    if isinstance(value, str):
        if "{" in value:
            for placeholder, replacement in values.items():
                value = value.replace(placeholder, replacement)
        return value
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    return value
