"""`aws`: the real AWS CLI v1 (`awscli`), run in-process and answered by the simulated account.

    stdout, stderr, status = cli.aws(world, place, ["s3", "ls"], env={"AWS_PROFILE": "dev"})

Each command gets a fresh CLI driver (`awscli.clidriver.CLIDriver`) over a botocore session
that knows only the place: its environment (`env`, the shell's variables and the place's own)
and its simulated files (`~/.aws/config`, `~/.aws/credentials`, `AWS_CONFIG_FILE`,
`AWS_SHARED_CREDENTIALS_FILE`, and whatever `file://`, `fileb://` and `aws s3 cp` name).
Every request is answered by `world.call` through botocore's event hooks, as simulator/boto.py
answers boto3 (`before-parameter-build` captures the parameters, `before-call` answers), with
the credentials the CLI's client holds and the place's source address. Who you are is decided
by the place's credential chain (places.resolve: instances.chain for that place).

Nothing reaches the network, the server's environment or its files, and no process starts:
the session reads no os.environ and no file; help is rendered as plain text without groff or a
pager; `file://` and the s3 transfer commands use the place's files; while a command runs, an
audit hook refuses any socket, subprocess, or file opened outside Python's own installation.

awscli imports "botocore" through an alias finder that picks whichever botocore the process
loaded first; this module imports boto3's botocore before awscli, so the CLI and the boto3
sessions share one botocore (and its parsed models) in every process.

CLI v1's exit statuses (clidriver.main): 255 for an error from AWS, missing credentials or a
region, 2 for a usage error (argparse's), 1 for a failed s3 transfer, 0 otherwise. Output is cut
at MAX_OUTPUT characters and a command at MAX_CALLS calls to the account.
"""

from __future__ import annotations

import configparser
import contextlib
import contextvars
import copy
import functools
import io
import os
import posixpath
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import botocore
import botocore.configloader
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.waiter
import dateutil.tz  # type: ignore[import-untyped]
import jmespath.parser  # type: ignore[import-untyped]
import jmespath.visitor  # type: ignore[import-untyped]
from botocore.configprovider import (
    ConfigChainFactory,
    ConfigValueStore,
    SectionConfigProvider,
)
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.session import SubsetChainConfigFactory

from simulator import aws_managed, boto
from simulator.authenticate import Credentials
from simulator.errors import AwsError
from simulator.terminal.places import (
    delete_file,
    file_paths,
    may_write,
    read_file,
    resolve,
    write_file,
)
from simulator.terminal.places import path as place_path

# isort: split
# awscli's import finder makes "botocore" whichever copy was imported first: boto3's, above.
import awscli
import awscli.alias
import awscli.argparser
import awscli.argprocess
import awscli.clidriver
import awscli.customizations.configure.configure as configure_module
import awscli.customizations.configure.set as configure_set_module
import awscli.customizations.globalargs
import awscli.customizations.history
import awscli.customizations.s3.subcommands as s3commands
import awscli.customizations.s3.utils
import awscli.customizations.streamingoutputarg
import awscli.help
import awscli.paramfile
import awscli.plugin
import awscli.shorthand
from awscli.customizations.configure import SectionNotFoundError
from awscli.customizations.configure.writer import ConfigFileWriter

if TYPE_CHECKING:
    from simulator.account import Account
    from simulator.terminal.places import Place

__all__ = ["MAX_CALLS", "MAX_OUTPUT", "VERSION", "aws"]

VERSION = awscli.__version__
USER_AGENT = (
    f"aws-cli/{VERSION} md/Botocore#{botocore.__version__} ua/2.1 os/linux "
    f"lang/python#{sys.version_info.major}.{sys.version_info.minor} botocore/{botocore.__version__}"
)
"""What the event log shows as the software of the terminal's calls, as CloudTrail shows it."""
MAX_OUTPUT = 64 * 1024
"""Characters of stdout (and of stderr) a command returns; the rest is cut, saying so."""
MAX_CALLS = 100
"""Calls to the account one command may make (pagination included)."""
MAX_QUERY_STEPS = 200_000
"""Steps of one `--query` evaluation (JMESPath nodes visited)."""
MAX_QUERY_SIZE = 1_000_000
"""How big a value a `--query` may make: characters of its strings plus one per value, each
shared value counted as often as it is shared (`[@,@,@]` nested six deep is a million)."""

_LOCAL_COMMANDS = frozenset({
    ("cloudformation", "package"), ("cloudformation", "deploy"), ("deploy", "push"),
    ("deploy", "install"), ("deploy", "uninstall"), ("configure", "add-model"),
    ("codeartifact", "login"), ("emr", "ssh"), ("emr", "socks"), ("emr", "get"), ("emr", "put"),
    ("opsworks", "register"), ("ecr", "get-login"), ("ssm", "start-session"),
    ("serverlessrepo", "package"), ("eks", "update-kubeconfig"),
})  # fmt: skip
"""awscli's commands that read or write the computer's own files, start a program (ssh, a
session manager, pip, docker) or open their own connections: refused before they run, so a
server file's existence never shows in their answer."""
# awscli v1 opens its usage message with a carriage return and a note recommending version 2;
# CloudShell runs version 2, whose usage message is the same without them (argparse adds the
# "usage: " before it).
_USAGE = (
    "aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    + awscli.argparser.HELP_BLURB
)
awscli.argparser.USAGE = awscli.clidriver.USAGE = _USAGE
_LOCK = threading.Lock()  # the CLI writes to sys.stdout: one command at a time per process
_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("rolecall_cli_run", default=None)
_PARAMS = "rolecall_params"
_CONFIGURE_HELP = (
    "aws configure asks four questions and reads the answers from the keyboard; this terminal "
    "has none to give it. Set each value instead:\n"
    "  aws configure set aws_access_key_id AKIA...\n"
    "  aws configure set aws_secret_access_key ...\n"
    "  aws configure set region us-east-1\n"
)


class CallLimitError(botocore.exceptions.BotoCoreError):
    fmt = "This terminal stops a command after {limit} calls to AWS."


class RefusedError(botocore.exceptions.BotoCoreError):
    fmt = "{message}"


class QueryLimitError(botocore.exceptions.BotoCoreError):
    fmt = "This terminal stops a --query that {what}."


def aws(
    world: Account, place: Place, argv: list[str], env: Mapping[str, str], stdin: str = ""
) -> tuple[str, str, int]:
    """Run `aws ARGV...` in `place` with the shell's environment `env`: (stdout, stderr, status).

    Never raises for learner input: whatever goes wrong is printed as the CLI prints it.
    """
    refused = _refuse(argv)
    if refused is not None:
        return "", refused, 255
    with _LOCK:
        run = _Run(world, place, dict(env), stdin)
        token = _RUN.set(run)
        try:
            status = run.main(list(argv))
        finally:
            _RUN.reset(token)
    return _cap(run.stdout.getvalue()), _cap(run.stderr.getvalue()), status


def _refuse(argv: list[str]) -> str | None:
    if "--debug" in argv:
        return "--debug is not available in this terminal: the event log shows every call.\n"
    words = [arg for arg in argv if not arg.startswith("-")]
    for command in zip(words, words[1:], strict=False):
        if command in _LOCAL_COMMANDS:
            return (
                f"aws {' '.join(command)} is not available in this terminal: it works on "
                "a real computer's files, programs or network.\n"
            )
    return None


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    return text[:MAX_OUTPUT] + f"\n[output cut at {MAX_OUTPUT // 1024} KiB]\n"


# --- one command ----------------------------------------------------------------------------


class _Output(io.StringIO):
    """sys.stdout for the CLI: text, with a `.buffer` for the bytes `aws s3 cp … -` writes."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = _BytesInto(self)

    @property
    def buffer(self) -> Any:
        return self.bytes

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def isatty(self) -> bool:
        return False


class _BytesInto(io.RawIOBase):
    def __init__(self, text: _Output) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)


class _Run:
    """One command: the place it runs in, its captured output, the calls it made."""

    def __init__(self, world: Account, place: Place, env: dict[str, str], stdin: str) -> None:
        self.world = world
        self.place = place
        self.env = env
        self.stdin = io.StringIO(stdin)
        self.stdin_given = bool(stdin)
        self.stdout = _Output()
        self.stderr = _Output()
        self.calls = 0
        self.cwd = place_path(world, place, ".")

    # --- the place's files (places.py keeps them and their limits) ---------------------

    def path(self, name: str) -> str:
        """An absolute path in the place: `~` is the place's home, relative is from the cwd."""
        return place_path(self.world, self.place, name)

    def read(self, absolute: str) -> str | None:
        return read_file(self.world, self.place, absolute)

    def write(self, absolute: str, text: str) -> None:
        """Write a file; ValueError (such as "No space left on device") past the limits,
        PermissionError outside the user's home and /tmp."""
        if not may_write(self.place, absolute):
            raise PermissionError(13, "Permission denied", absolute)
        write_file(self.world, self.place, absolute, text)

    def delete(self, absolute: str) -> None:
        delete_file(self.world, self.place, absolute)

    def names(self) -> list[str]:
        return file_paths(self.world, self.place)

    # --- the CLI ------------------------------------------------------------------------------

    def main(self, argv: list[str]) -> int:
        with (
            contextlib.redirect_stdout(self.stdout),
            contextlib.redirect_stderr(self.stderr),
            _stdin(self.stdin),
            _argv0(),
            _guarded(),
        ):
            try:
                session = _PlaceSession(self)
                driver = awscli.clidriver.CLIDriver(session=session)
                driver.alias_loader = _NoAliases()
                status = driver.main(argv)
                return 0 if status is None else int(status)
            except SystemExit as stop:  # argparse: usage errors and `--version`
                code = stop.code
                return code if isinstance(code, int) else (0 if code is None else 1)
            except Exception as error:  # noqa: BLE001 - the CLI's own last resort, as it prints it
                sys.stderr.write(f"\n{error}\n")
                return 255

    def answer(self, model: Any, context: dict[str, Any], request_signer: Any) -> Any:
        """The account's answer to one request the CLI makes."""
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise CallLimitError(limit=MAX_CALLS)
        held = request_signer._credentials if request_signer is not None else None
        if held is None:
            raise botocore.exceptions.NoCredentialsError()
        frozen = held.get_frozen_credentials()
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        service = model.service_model.service_name
        operation = model.name
        params = context.get(_PARAMS, {})
        try:
            result = self.world.call(
                credentials,
                service,
                operation,
                params,
                source_ip=self.place.source_ip,
                user_agent=USER_AGENT,
            )
        except AwsError as error:
            return boto._error_response(error, operation)
        response, parsed = boto._success_response(model, _wire(model, result))
        return response, parsed


@contextlib.contextmanager
def _argv0() -> Iterator[None]:
    """argparse names the program after sys.argv[0]: "aws: error: ..." as the CLI prints it."""
    saved = sys.argv
    sys.argv = ["aws"]
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def _stdin(stream: io.StringIO) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved


# --- timestamps as the CLI's parser gives them -----------------------------------------------


def _wire(model: Any, result: dict[str, Any]) -> dict[str, Any]:
    """The response with timestamps as text, as they arrive on the wire: awscli parses
    timestamps with the identity function, so `aws s3 ls` and `--query` see the wire's text."""
    shape = model.output_shape
    if shape is None:
        return result
    protocol = model.service_model.protocol
    converted = _convert(shape, result, protocol)
    return converted if isinstance(converted, dict) else result


def _convert(shape: Any, value: Any, protocol: str, header: bool = False) -> Any:
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        if header or shape.serialization.get("location") == "header":
            return format_datetime(moment.astimezone(UTC), usegmt=True)
        if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
            return moment.timestamp()
        millis = ".000" if protocol in ("ec2", "rest-xml") else ""
        return moment.astimezone(UTC).strftime(f"%Y-%m-%dT%H:%M:%S{millis}Z")
    if kind == "structure" and isinstance(value, dict):
        out = dict(value)
        for name, member in shape.members.items():
            if name in out:
                where = member.serialization.get("location") == "header"
                out[name] = _convert(member, out[name], protocol, where)
        return out
    if kind == "list" and isinstance(value, list):
        return [_convert(shape.member, item, protocol) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _convert(shape.value, item, protocol) for key, item in value.items()}
    return value


# --- the session: the place's environment and files, nothing of the server's ----------------


@functools.cache
def _handlers() -> Any:
    """botocore's and awscli's event handlers with this module's, registered once."""
    emitter = HierarchicalEmitter()
    botocore.session.Session(event_hooks=emitter)  # registers botocore's builtin handlers
    awscli.plugin.load_plugins({}, event_hooks=emitter)  # awscli's; never a config's plugins
    events = EventAliaser(emitter)
    events.register_first("before-parameter-build.*.*", _capture, unique_id="rolecall-capture")
    events.register_last(
        "before-parameter-build.ec2.RunInstances", _default_count, unique_id="rolecall-count"
    )
    events.register("before-call.*.*", _answer, unique_id="rolecall-answer")
    events.register_last("building-command-table.s3", _s3_commands, unique_id="rolecall-s3")
    # awscli's handlers that would use the server's ~/.aws/cli: the assume-role credential
    # cache and the history database (`cli_history = enabled`).
    events.unregister("session-initialized", unique_id="inject_assume_role_cred_provider_cache")
    events.unregister("session-initialized", awscli.customizations.history.attach_history_handler)
    return emitter


def _config_mapping(session: Any, environ: Mapping[str, str]) -> dict[str, Any]:
    """botocore's config chains (configprovider.create_botocore_default_config_mapping),
    reading `environ` instead of os.environ, plus awscli's own variables."""
    from botocore.configprovider import (
        BOTOCORE_DEFAUT_SESSION_VARIABLES,
        DEFAULT_PROXIES_CONFIG_VARS,
        DEFAULT_S3_CONFIG_VARS,
        _create_config_chain_mapping,
    )

    builder = ConfigChainFactory(session=session, environ=environ)
    variables = {**BOTOCORE_DEFAUT_SESSION_VARIABLES, **awscli.EnvironmentVariables}
    mapping: dict[str, Any] = _create_config_chain_mapping(builder, variables)
    mapping["s3"] = SectionConfigProvider(
        "s3", session, _create_config_chain_mapping(builder, DEFAULT_S3_CONFIG_VARS)
    )
    mapping["proxies_config"] = SectionConfigProvider(
        "proxies_config",
        session,
        _create_config_chain_mapping(builder, DEFAULT_PROXIES_CONFIG_VARS),
    )
    return mapping


class _PlaceSession(botocore.session.Session):
    """A botocore session for one command in one place."""

    def __init__(self, run: _Run) -> None:
        self._run = run
        env = run.env
        self._environ = {
            **env,
            "AWS_CONFIG_FILE": run.path(env.get("AWS_CONFIG_FILE") or "~/.aws/config"),
            "AWS_SHARED_CREDENTIALS_FILE": run.path(
                env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
            ),
        }
        # The handlers botocore and awscli register (some 400) are registered once per
        # process, on a template every command's session copies.
        super().__init__(event_hooks=copy.copy(_handlers()), include_builtin_handlers=False)
        # awscli's own variables (output, ca_bundle): already in the place's config chains,
        # so not through session_var_map.update, which would build chains over os.environ.
        self.session_var_map._store.update(awscli.EnvironmentVariables)
        self.user_agent_name = "aws-cli"
        self.user_agent_version = VERSION
        self.user_agent_extra = f"botocore/{botocore.__version__}"

    def user_agent(self) -> str:
        """`aws --version` and the requests name the CLI, not the server's kernel."""
        return (
            f"aws-cli/{VERSION} Python/{sys.version_info.major}.{sys.version_info.minor} "
            f"Linux botocore/{botocore.__version__}"
        )

    def set_stream_logger(self, *args: Any, **kwargs: Any) -> None:
        """Not for the terminal: a handler on the server's logs per command (and --debug's
        stream) would outlive the command and leak into the server's own logs."""

    # Every place the session would read os.environ or a file.

    def _register_config_store(self) -> None:
        store = ConfigValueStore(mapping=_config_mapping(self, self._environ))
        self._components.register_component("config_store", store)

    def _register_data_loader(self) -> None:
        self._components.register_component("data_loader", _loader())

    def _create_credential_resolver(self) -> Any:
        return _Resolver(self)

    def _get_config_variable_with_custom_methods(self, logical_name: str, methods: Any) -> Any:
        builder = SubsetChainConfigFactory(session=self, methods=methods, environ=self._environ)
        mapping = _config_mapping(self, self._environ)
        for name, (config_name, env_vars, default, typecast) in self.session_var_map.items():
            mapping[name] = builder.create_config_chain(
                instance_name=name if "instance" in methods else None,
                env_var_names=env_vars if "env" in methods else None,
                config_property_name=config_name if "config" in methods else None,
                default=default,
                conversion_func=typecast,
            )
        return ConfigValueStore(mapping=mapping).get_config_variable(logical_name)

    @property
    def full_config(self) -> dict[str, Any]:
        cached: dict[str, Any] | None = self.__dict__["_config"]
        if cached is None:
            config_path = self._environ["AWS_CONFIG_FILE"]
            config = botocore.configloader.build_profile_map(_parse(self._run, config_path))
            credentials = _parse(self._run, self._environ["AWS_SHARED_CREDENTIALS_FILE"])
            for name, values in credentials.items():
                config["profiles"].setdefault(name, {}).update(values)
            config.pop("plugins", None)  # a config file must not make the CLI import modules
            self._config = cached = config
        return cached


def _parse(run: _Run, path: str) -> dict[str, Any]:
    """botocore.configloader.raw_config_parse over the place's file (empty when missing)."""
    text = run.read(path)
    if text is None:
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        raise botocore.exceptions.ConfigParseError(path=path, error=error) from None
    parsed: dict[str, Any] = {}
    for section in parser.sections():
        values: dict[str, Any] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                try:
                    value = botocore.configloader._parse_nested(value)
                except ValueError as error:
                    raise botocore.exceptions.ConfigParseError(path=path, error=error) from None
            values[option] = value
        parsed[section] = values
    return parsed


_CLI_DATA: dict[str, Any] = {}


def _loader() -> Any:
    """boto3's shared model loader (one parse of each model per process), plus awscli's data."""
    return _Loader(boto.shared_loader())


class _Loader:
    def __init__(self, shared: Any) -> None:
        self._shared = shared

    def load_data(self, name: str) -> Any:
        if name == "cli":
            if not _CLI_DATA:
                import json

                path = posixpath.join(posixpath.dirname(awscli.__file__), "data", "cli.json")
                with open(path, encoding="utf-8") as file:
                    _CLI_DATA.update(json.load(file))
            return _CLI_DATA
        return self._shared.load_data(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shared, name)


class _NoAliases(awscli.alias.AliasLoader):
    """No ~/.aws/cli/alias: the server's aliases are not the place's."""

    def __init__(self) -> None:
        super().__init__(alias_filename="")
        self._aliases: dict[str, dict[str, str]] = {"toplevel": {}}


def _capture(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _default_count(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """`aws ec2 run-instances` without `--count` launches one: awscli sets MinCount and MaxCount
    on this same event (awscli.customizations.ec2.addcount.set_default_count), after _capture
    has copied the parameters, so the copy takes them too."""
    captured = context.get(_PARAMS)
    if captured is not None:
        for name in ("MinCount", "MaxCount"):
            if name in params:
                captured.setdefault(name, params[name])


def _answer(model: Any, context: dict[str, Any], request_signer: Any = None, **_: Any) -> Any:
    run = _RUN.get()
    if run is None:  # pragma: no cover - a session is only used while its command runs
        raise RefusedError(message="The CLI ran outside a command.")
    return run.answer(model, context, request_signer)


# --- credentials: the place's chain -----------------------------------------------------------


class _Resolver:
    """botocore's credential resolver for the session: the place's credential chain."""

    def __init__(self, session: _PlaceSession) -> None:
        self._session = session

    def load_credentials(self) -> Any:
        run = self._session._run
        profile = self._session._session_instance_vars.get("profile")
        try:
            found = _chain(run, profile)
        except AwsError as error:
            raise _sdk_error(error) from None
        if found is None:
            return None
        credentials, source = found
        return botocore.credentials.Credentials(
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
            method=source,
        )


def _chain(run: _Run, profile: str | None) -> tuple[Credentials, str] | None:
    return resolve(run.world, run.place, run.env, profile)


def _sdk_error(error: AwsError) -> Exception:
    """What botocore raises for a failure of the chain, as the CLI prints it."""
    operation = getattr(error, "operation", None)
    if operation:
        client_error: Exception = botocore.exceptions.ClientError(
            {"Error": {"Code": error.code, "Message": error.message}}, operation
        )
        return client_error
    if error.code == "ProfileNotFound":
        not_found: Exception = botocore.exceptions.ProfileNotFound(
            profile=error.message.split("(")[-1][:-16]
        )
        return not_found
    return RefusedError(message=error.message)


# --- file:// and fileb:// read the place's files ----------------------------------------------


def _get_paramfile(path: Any, cases: Any) -> Any:
    """awscli.paramfile.get_paramfile over the place's files; no http(s):// fetch."""
    run = _RUN.get()
    if run is None or not isinstance(path, str):
        return None
    for prefix in ("fileb://", "file://"):
        if path.startswith(prefix):
            name = path[len(prefix) :]
            text = run.read(run.path(name))
            if text is None:
                raise awscli.paramfile.ResourceLoadingError(
                    f"Unable to load paramfile {path}: [Errno 2] No such file or directory: "
                    f"'{name}'"
                )
            return text.encode() if prefix == "fileb://" else text
    return None


# --- help: plain text, no groff, no pager ---------------------------------------------------


class _TextHelp(awscli.help.PagingHelpRenderer):
    def _convert_doc_content(self, contents: Any) -> Any:
        from awscli.bcdoc.textwriter import TextWriter
        from docutils.core import publish_string

        return publish_string(
            contents,
            writer=TextWriter(),
            settings_overrides=self._DEFAULT_DOCUTILS_SETTINGS_OVERRIDES,
        )

    def _send_output_to_pager(self, output: Any) -> None:
        text = output.decode("utf-8") if isinstance(output, bytes) else str(output)
        sys.stdout.write(text + "\n")


# --- aws configure writes the place's files ---------------------------------------------------


class _PlaceConfigWriter(ConfigFileWriter):
    """awscli's ConfigFileWriter, editing the place's file instead of the server's."""

    def update_config(
        self, new_values: dict[str, Any], config_filename: str, check_permissions: bool = False
    ) -> None:
        run = _RUN.get()
        if run is None:  # pragma: no cover
            raise RefusedError(message="aws configure ran outside a command.")
        path = run.path(config_filename)
        section = new_values.pop("__section__", "default")
        existing = run.read(path)
        if existing is None or not existing.strip():
            lines: list[str] = []
            self._insert_new_values(line_number=0, contents=lines, new_values=new_values)
            _write(run, path, f"[{section}]\n" + "".join(lines))
            return
        contents = existing.splitlines(keepends=True)
        try:
            self._update_section_contents(contents, section, new_values)
            _write(run, path, "".join(contents))
        except SectionNotFoundError:
            self._append(run, path, existing, section, new_values)

    def _append(
        self, run: _Run, path: str, existing: str, section: str, new_values: dict[str, Any]
    ) -> None:
        lines: list[str] = []
        self._insert_new_values(line_number=0, contents=lines, new_values=new_values)
        newline = "" if existing.endswith("\n") else "\n"
        _write(run, path, existing + newline + f"[{section}]\n" + "".join(lines))


def _write(run: _Run, path: str, text: str) -> None:
    try:
        run.write(path, text)
    except ValueError as error:
        raise RefusedError(message=f"{path}: {error}") from None


def _input(prompt: str = "") -> str:
    """The interactive `aws configure`'s answers: the lines given on stdin, if any."""
    run = _RUN.get()
    if run is None or not run.stdin_given:
        raise RefusedError(message=_CONFIGURE_HELP.rstrip())
    sys.stdout.write(prompt)
    line = run.stdin.readline()
    if not line:
        sys.stdout.write("\n")
        raise RefusedError(message="aws configure: no more answers on stdin.")
    sys.stdout.write(line if line.endswith("\n") else line + "\n")
    return line.rstrip("\n")


# --- the s3 transfer commands: the place's files, no threads --------------------------------


def _s3_commands(command_table: dict[str, Any], session: Any, **_: Any) -> None:
    """`aws s3 cp|mv|rm` on the place's files, one request at a time (awscli's own use
    s3transfer's threads and the server's disk); `aws s3 sync` says it is not offered."""
    for name, base in (("cp", s3commands.CpCommand), ("mv", s3commands.MvCommand),
                       ("rm", s3commands.RmCommand), ("sync", s3commands.SyncCommand)):  # fmt: skip
        command_table[name] = type(base.__name__, (_Transfer, base), {})(session)


class _Transfer:
    """The body of a transfer command, after awscli has parsed its arguments."""

    NAME: str
    _session: Any

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        run = _RUN.get()
        assert run is not None
        if self.NAME == "sync":
            sys.stderr.write(
                "aws s3 sync is not offered in this terminal: use aws s3 cp (with --recursive).\n"
            )
            return 1
        self.client = self._session.create_client(
            "s3", region_name=parsed_globals.region, endpoint_url=parsed_globals.endpoint_url
        )
        transfer = _Copier(run, self.client, parsed_args)
        paths = (
            list(parsed_args.paths) if isinstance(parsed_args.paths, list) else [parsed_args.paths]
        )
        try:
            if self.NAME == "rm":
                return transfer.remove(paths[0])
            return transfer.copy(paths[0], paths[1], move=self.NAME == "mv")
        except botocore.exceptions.ClientError as error:
            sys.stderr.write(f"fatal error: {error}\n")
            return 1


class _Copier:
    def __init__(self, run: _Run, client: Any, args: Any) -> None:
        self.run = run
        self.client = client
        self.recursive = bool(getattr(args, "dir_op", False))  # --recursive's dest
        self.dryrun = bool(getattr(args, "dryrun", False))
        self.quiet = bool(getattr(args, "quiet", False)) or bool(
            getattr(args, "only_show_errors", False)
        )
        self.failed = False

    # --- naming --------------------------------------------------------------------------

    def shown(self, local: str) -> str:
        relative = posixpath.relpath(local, self.run.cwd)
        return relative if relative.startswith("../") else "./" + relative

    def say(self, verb: str, source: str, target: str | None = None) -> None:
        if self.quiet:
            return
        line = f"{verb}: {source}" + (f" to {target}" if target else "")
        sys.stdout.write(("(dryrun) " if self.dryrun else "") + line + "\n")

    def fail(self, verb: str, source: str, target: str | None, error: Exception) -> None:
        self.failed = True
        where = f"{source} to {target}" if target else source
        sys.stderr.write(f"{verb} failed: {where} {error}\n")

    # --- the commands --------------------------------------------------------------------

    def copy(self, source: str, target: str, *, move: bool) -> int:
        if not source.startswith("s3://") and not target.startswith("s3://"):
            sys.stderr.write(
                "Error: Invalid argument type\n"
                if source != "-" and target != "-"
                else "Error: Invalid argument type\n"
            )
            return 255
        pairs = self.pairs(source, target)
        if pairs is None:
            return 255
        for src, dst in pairs:
            self.one(src, dst, move=move)
        return 1 if self.failed else 0

    def pairs(self, source: str, target: str) -> list[tuple[str, str]] | None:
        if source == "-" or target == "-":
            return [(source, target)]
        if source.startswith("s3://"):
            bucket, key = _split(source)
            if not self.recursive:
                return [(source, self.destination(target, posixpath.basename(key)))]
            return [
                (
                    f"s3://{bucket}/{name}",
                    self.destination(target, name[len(key) :].lstrip("/"), True),
                )
                for name in self.keys(bucket, key)
            ]
        local = self.run.path(source)
        if not self.recursive:
            if self.run.read(local) is None:
                sys.stderr.write(f"\nThe user-provided path {source} does not exist.\n")
                return None
            return [(local, self.destination(target, posixpath.basename(local)))]
        folder = local.rstrip("/") + "/"
        names = [name for name in self.run.names() if name.startswith(folder)]
        return [(name, self.destination(target, name[len(folder) :], True)) for name in names]

    def destination(self, target: str, name: str, under: bool = False) -> str:
        if target.startswith("s3://"):
            bucket, key = _split(target)
            if under or not key or key.endswith("/"):
                key = (key.rstrip("/") + "/" if key else "") + name
            return f"s3://{bucket}/{key}"
        local = self.run.path(target)
        is_folder = (
            target.endswith("/")
            or target in (".", "..", "~")
            or any(path.startswith(local.rstrip("/") + "/") for path in self.run.names())
        )
        if under or is_folder:
            return posixpath.join(local, name)
        return local

    def keys(self, bucket: str, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def one(self, src: str, dst: str, *, move: bool) -> None:
        verb = "move" if move else None
        if src.startswith("s3://") and dst.startswith("s3://"):
            self.s3_to_s3(src, dst, verb or "copy", move)
        elif src.startswith("s3://"):
            self.download(src, dst, verb or "download", move)
        else:
            self.upload(src, dst, verb or "upload", move)

    def upload(self, src: str, dst: str, verb: str, move: bool) -> None:
        shown = "-" if src == "-" else self.shown(src)
        body = self.run.stdin.read() if src == "-" else self.run.read(src) or ""
        bucket, key = _split(dst)
        if self.dryrun:
            self.say(verb, shown, dst)
            return
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=body.encode())
        except botocore.exceptions.ClientError as error:
            self.fail(verb, shown, dst, error)
            return
        if move and src != "-":
            self.run.delete(src)
        if src != "-":
            self.say(verb, shown, dst)

    def download(self, src: str, dst: str, verb: str, move: bool) -> None:
        bucket, key = _split(src)
        if not self.recursive:
            # The CLI asks for the object's size first: a refusal shows as HeadObject's.
            self.client.head_object(Bucket=bucket, Key=key)
        shown = "-" if dst == "-" else self.shown(dst)
        if self.dryrun:
            self.say(verb, src, shown)
            return
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
            if move:
                self.client.delete_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            self.fail(verb, src, shown, error)
            return
        text = body.decode("utf-8", "replace")
        if dst == "-":
            sys.stdout.write(text)
            return
        try:
            self.run.write(dst, text)
        except (ValueError, OSError) as error:
            self.fail(verb, src, shown, error)
            return
        self.say(verb, src, shown)

    def s3_to_s3(self, src: str, dst: str, verb: str, move: bool) -> None:
        bucket, key = _split(src)
        if not self.recursive:
            self.client.head_object(Bucket=bucket, Key=key)
        if self.dryrun:
            self.say(verb, src, dst)
            return
        target_bucket, target_key = _split(dst)
        try:
            self.client.copy_object(
                Bucket=target_bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": key}
            )
            if move:
                self.client.delete_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            self.fail(verb, src, dst, error)
            return
        self.say(verb, src, dst)

    def remove(self, path: str) -> int:
        if not path.startswith("s3://"):
            sys.stderr.write("\ns3 rm needs an S3 path: s3://bucket/key\n")
            return 255
        bucket, key = _split(path)
        names = self.keys(bucket, key) if self.recursive else [key]
        for name in names:
            where = f"s3://{bucket}/{name}"
            if self.dryrun:
                self.say("delete", where)
                continue
            try:
                self.client.delete_object(Bucket=bucket, Key=name)
            except botocore.exceptions.ClientError as error:
                self.fail("delete", where, None, error)
                continue
            self.say("delete", where)
        return 1 if self.failed else 0


def _split(path: str) -> tuple[str, str]:
    bucket, _, key = path[len("s3://") :].partition("/")
    return bucket, key


# --- never a socket, a process, or a server file while the CLI runs ---------------------------

_GUARD: contextvars.ContextVar[bool] = contextvars.ContextVar("rolecall_cli_guard", default=False)
_ALLOWED_READS = tuple(
    sorted(
        {posixpath.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
        # The app's own read-only data (AWS's managed-policy catalogue), read lazily: the first
        # command of a fresh worker that needs it may be a learner's.
        | {posixpath.join(str(aws_managed.DATA_FOLDER), "")}
    )
)
_REFUSED_EVENTS = {
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.chdir",
    "os.truncate",
    "os.utime",
    "os.link",
    "os.symlink",
    "os.kill",
    "os.killpg",
    "os.putenv",
    "os.unsetenv",
    "shutil.rmtree",
    "socket.__new__",
    "socket.sendto",
    "socket.sendmsg",
    "sqlite3.connect",
    "ctypes.dlopen",
    "_thread.start_new_thread",
}
"""While a command runs: no process, socket, thread (its context would be unguarded), change
to the server's files, environment (shared by every learner's command) or working folder."""
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _GUARD.get():
        return
    if event in _REFUSED_EVENTS:
        raise PermissionError(f"This terminal's aws does not do {event}.")
    if event in ("open", "os.listdir", "os.scandir"):
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        name = os.fsdecode(path) if isinstance(path, str | bytes) else str(path)
        mode = args[1] if event == "open" else "r"
        flags = args[2] if event == "open" and len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(flag in mode for flag in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing or not os.path.abspath(name).startswith(_ALLOWED_READS):
            raise PermissionError(f"This terminal's aws reads no file of the server: {name}")


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    token = _GUARD.set(True)
    try:
        yield
    finally:
        _GUARD.reset(token)


_unpack_scalar = awscli.argprocess.unpack_scalar_cli_arg


def _unpack_scalar_cli_arg(argument_model: Any, value: Any, cli_name: str = "") -> Any:
    """A streaming blob (`s3api put-object --body FILE`) is read from the place's files."""
    if argument_model.type_name == "blob" and argument_model.serialization.get("streaming"):
        run = _RUN.get()
        text = run.read(run.path(value)) if run is not None else None
        if text is None:
            raise awscli.argprocess.ParamError(cli_name, "Blob values must be a path to a file.")
        return io.BytesIO(text.encode())
    return _unpack_scalar(argument_model, value, cli_name)


def _save_file(self: Any, parsed: dict[str, Any], **_: Any) -> None:
    """`s3api get-object ... OUTFILE` writes OUTFILE in the place."""
    if self._response_key not in parsed:
        return
    body = parsed.pop(self._response_key)
    run = _RUN.get()
    if run is None:  # pragma: no cover
        return
    _write(run, run.path(self._output_file), body.read().decode("utf-8", "replace"))


# --- --query: JMESPath within bounds -----------------------------------------------------------


def _resolve_query(value: str) -> Any:
    """awscli.customizations.globalargs._resolve_query, evaluating within bounds."""
    try:
        parsed = jmespath.compile(value)
    except Exception as error:  # noqa: BLE001 - awscli's own words for any failure
        raise ValueError(f"Bad value for --query {value}: {error}") from None
    return _BoundedQuery(parsed.expression, parsed.parsed)


class _BoundedQuery(jmespath.parser.ParsedResult):
    def search(self, value: Any, options: Any = None) -> Any:
        return _BoundedInterpreter(options).visit(self.parsed, value)


class _BoundedInterpreter(jmespath.visitor.TreeInterpreter):
    """JMESPath's interpreter, stopped past MAX_QUERY_STEPS visits or a value past
    MAX_QUERY_SIZE: projections of projections and multi-selects of `@` grow exponentially."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._steps = 0
        self._sizes: dict[int, tuple[Any, int]] = {}  # id -> (the value, kept alive; its size)

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        self._steps += 1
        if self._steps > MAX_QUERY_STEPS:
            raise QueryLimitError(what=f"takes more than {MAX_QUERY_STEPS:,} steps")
        result = super().visit(node, *args, **kwargs)
        if self._size(result) > MAX_QUERY_SIZE:
            raise QueryLimitError(what=f"makes a value bigger than {MAX_QUERY_SIZE:,}")
        return result

    def _size(self, value: Any) -> int:
        if isinstance(value, str):
            return len(value) + 1
        if not isinstance(value, list | dict):
            return 1
        known = self._sizes.get(id(value))
        if known is not None:
            return known[1]
        if isinstance(value, dict):
            total = 1 + sum(len(key) + self._size(item) for key, item in value.items())
        else:
            total = 1 + sum(self._size(item) for item in value)
        self._sizes[id(value)] = (value, total)
        return total


class _WaiterClock:
    """botocore.waiter's `time`: a waiter in a terminal command polls without sleeping (the
    simulated clock does not move while it waits), so `aws ec2 wait` never holds a worker."""

    def sleep(self, seconds: float) -> None:
        if _RUN.get() is None:
            time.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _install() -> None:
    """awscli's module-level hooks that would reach files, processes or the network."""
    awscli.paramfile.get_paramfile = _get_paramfile
    awscli.shorthand.get_paramfile = _get_paramfile
    awscli.help.get_renderer = _TextHelp
    configure_module.ConfigFileWriter = _PlaceConfigWriter
    configure_set_module.ConfigFileWriter = _PlaceConfigWriter
    configure_module.compat_input = _input
    awscli.argprocess.unpack_scalar_cli_arg = _unpack_scalar_cli_arg
    awscli.customizations.streamingoutputarg.StreamingOutputArgument.save_file = _save_file
    awscli.customizations.globalargs._resolve_query = _resolve_query
    # CloudShell and EC2 run in UTC: `aws s3 ls` shows UTC whatever the server's TZ.
    s3commands.tzlocal = dateutil.tz.tzutc
    awscli.customizations.s3.utils.tzlocal = dateutil.tz.tzutc
    botocore.waiter.time = _WaiterClock()


_install()
