"""Run moto's own IAM, STS, S3 and EC2 tests against RoleCall's simulated account (issue 13).

moto (https://github.com/getmoto/moto) is a widely used AWS emulator; its tests, many of them
also run by its maintainers against real AWS (`@aws_verified`), say how AWS answers. This
script measures how many of those that stay within what RoleCall simulates pass against a
fresh `World` each:

    .venv/bin/python scripts/emulator_suite.py [REPORT]      # default /tmp/emulator-report.md
    make emulator-suite

What it does, every step outside the repository:

1. a virtualenv (default /tmp/rolecall-emulator-venv, kept between runs) holding RoleCall's
   dependencies at the versions of the project's .venv (so botocore's models are the same),
   moto==5.2.6 (the tests import its decorators and helpers), pytest, pytest-xdist,
   pytest-timeout and freezegun; `simulator` is reached through a link, nothing is installed
   from the repository;
2. moto's sdist (downloaded with pip into /tmp/motodl unless it is there) unpacked into a
   temporary folder: its whole tests/ tree, of which tests/test_{iam,sts,s3,ec2} are run;
3. pytest, with this file as a plugin (`-p emulator_suite`), which replaces moto's `mock_aws`
   (decorator, context manager, class decorator, start/stop) so that inside it every botocore
   client, however made (`boto3.client`, `boto3.resource`, `boto3.Session().client`,
   `botocore.session`), is a client of one fresh world's session: `World.new(seed=0,
   account_id="123456789012")` (moto's DEFAULT_ACCOUNT_ID). Nested `mock_aws` share the world,
   as moto's share its backends. Credentials the world knows (keys a test created, AssumeRole's)
   are used as given; any other (moto's "testing", a test's "foo") become the admin user's, as
   moto accepts any key.

Fixtures the tests assume, given to each world: moto's four example AMIs
(`tests.EXAMPLE_AMI_*`, real public images listed in moto's amis.json) are launchable, and the
`valid_ami` fixture (an SSM lookup against AWS) answers the first of them; the world's clock
starts at the wall clock (or freezegun's); a waiter's sleep moves the world's clock on instead
of sleeping.

A test is **in scope** when every API call it makes is an operation the world registers
(`simulator.account.operations()`) and it uses nothing only moto has. Out of scope, each with
its reason in the report: a call to an operation RoleCall does not offer; EC2 or S3 clients in
two Regions (a world is one Region: the first EC2/S3 client's; IAM and STS are global); moto's
backends (`*_backends[...]`), its id manager, its server, a `MOTO_*` setting changed; a
connection attempt (presigned URLs fetched with requests, server mode: no socket is ever
opened); no API call at all (tests of moto's own helpers); skipped tests; and a failure caused
only by IAM denying a principal the test made (moto enforces no IAM unless the test opts in
with `set_initial_no_auth_action_count`; AWS and RoleCall do).
"""

from __future__ import annotations

import argparse
import collections
import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

MOTO = "5.2.6"
ROOT = Path(__file__).resolve().parent.parent
SUITES = ("test_iam", "test_sts", "test_s3", "test_ec2")
ACCOUNT_ID = "123456789012"  # moto's DEFAULT_ACCOUNT_ID: the tests compare ARNs with it
EXAMPLE_AMIS = ("ami-12c6146b", "ami-03cf127a", "ami-fa7cdd89", "ami-f4cf1d8d")
GLOBAL_SERVICES = {"iam", "sts"}
TEST_NEEDS = ["pytest", "pytest-xdist", "pytest-timeout", "freezegun"]
RESULTS_ENV = "ROLECALL_EMULATOR_RESULTS"


# --- the driver: venv, sources, pytest, report ------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="?", default="/tmp/emulator-report.md")
    parser.add_argument("--venv", default="/tmp/rolecall-emulator-venv")
    parser.add_argument("--sdist", default=f"/tmp/motodl/moto-{MOTO}.tar.gz")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=int, default=30, help="seconds a test may take")
    parser.add_argument("-k", dest="keyword", help="only tests matching (pytest -k)")
    parser.add_argument("--keep", action="store_true", help="keep the unpacked tests")
    args = parser.parse_args()

    started = time.monotonic()
    python = ensure_venv(Path(args.venv))
    sdist = ensure_sdist(Path(args.sdist))
    work = Path(tempfile.mkdtemp(prefix="rolecall-emulator-"))
    try:
        unpack(sdist, work)
        results = work / "results"
        results.mkdir()
        command = [
            str(python), "-m", "pytest", "-p", "emulator_suite", "-p", "no:cacheprovider",
            "-q", "--no-header", "-rN", "--tb=no", f"--timeout={args.timeout}",
            "--continue-on-collection-errors",
            "--rootdir", str(work), "-c", str(work / "pytest.ini"),
        ]  # fmt: skip
        if args.workers > 1:
            command += ["-n", str(args.workers)]
        if args.keyword:
            command += ["-k", args.keyword]
        command += [str(work / "tests" / suite) for suite in SUITES]
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": str(Path(__file__).resolve().parent),
                RESULTS_ENV: str(results),
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_EC2_METADATA_DISABLED": "true",
                "TESTS_SKIP_REQUIRES_DOCKER": "true",  # moto's Lambda runs in Docker: none here
            }
        )
        env.pop("MOTO_TEST_ALLOW_AWS_REQUEST", None)
        print("$", " ".join(command), flush=True)
        subprocess.run(command, cwd=work, env=env, check=False)
        tests = read_results(results)
        text, summary = report(tests, time.monotonic() - started, command)
        Path(args.report).write_text(text)
        print(summary)
        print(f"report: {args.report}")
    finally:
        if args.keep:
            print(f"tests kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def ensure_venv(venv: Path) -> Path:
    """The harness's virtualenv, made (or remade) when what it should hold changed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    freeze = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = "\n".join(line for line in freeze.splitlines() if "==" in line) + "\n"
    wanted = [*project, f"moto[ec2,iam,s3,sts,server]=={MOTO}", *TEST_NEEDS]
    key = hashlib.sha256(json.dumps([wanted, pins, sys.version]).encode()).hexdigest()
    stamp = venv / ".rolecall-emulator"
    python = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == key and python.exists():
        return python
    print(f"Preparing {venv} (once)…", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    constraints = venv / "constraints.txt"
    constraints.write_text(pins)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--quiet",
            "-c",
            str(constraints),
            *wanted,
        ],
        check=True,
    )
    # `simulator` alone on the path (the repository's tests/ must not shadow moto's tests/).
    link_dir = venv / "rolecall-path"
    link_dir.mkdir()
    (link_dir / "simulator").symlink_to(ROOT / "simulator")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "rolecall.pth").write_text(f"{link_dir}\n")
    stamp.write_text(key)
    return python


def ensure_sdist(sdist: Path) -> Path:
    if not sdist.exists():
        sdist.parent.mkdir(parents=True, exist_ok=True)
        pip = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pip", "download"]
        subprocess.run(
            [*pip, f"moto=={MOTO}", "--no-deps", "--no-binary", ":all:", "-d", str(sdist.parent)],
            check=True,
        )
    return sdist


def unpack(sdist: Path, work: Path) -> None:
    """moto's tests/ tree (what the four suites import from it included) into `work`."""
    prefix = f"moto-{MOTO}/tests/"
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            if member.name.startswith(prefix) and (member.isfile() or member.isdir()):
                member.name = member.name[len(f"moto-{MOTO}/") :]
                members.append(member)
        archive.extractall(work, members=members, filter="data")
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts =\nfilterwarnings = ignore\nmarkers =\n"
        "    aws_verified\n    requires_docker\n    network\n"
    )


def read_results(results: Path) -> list[dict[str, Any]]:
    tests: dict[str, dict[str, Any]] = {}
    for path in sorted(results.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            tests[row["id"]] = row
    return sorted(tests.values(), key=lambda row: row["id"])


def scope_reason(test: dict[str, Any], offered: set[str]) -> str | None:
    """Why a test is out of scope, or None when it is in."""
    if test["outcome"] == "skipped":
        return "skipped by the test itself"
    if test["collection_error"]:
        return "its module does not import without moto"
    missing = sorted(call for call in test["calls"] if call not in offered)
    if missing:
        return "calls an operation RoleCall does not offer"
    services = {call.split(":")[0] for call in offered}
    if any(service not in services for service in test.get("services", [])):
        return "makes a client of a service RoleCall does not simulate"
    flags = set(test["flags"])
    for flag in ("moto backend", "moto id manager", "moto server", "moto setting", "network"):
        if flag in flags:
            return {
                "moto backend": "reads or changes moto's backends",
                "moto id manager": "sets ids through moto's id manager",
                "moto server": "starts moto's server",
                "moto setting": "changes a MOTO_* setting",
                "network": "opens a connection (presigned URL, server mode)",
            }[flag]
    if len(test["regions"]) > 1:
        return "uses EC2 or S3 in several Regions"
    if not test["calls"]:
        return "makes no AWS call (tests moto's own code)"
    if test["outcome"] == "failed" and "denied own principal" in flags and "auth" not in flags:
        return "relies on moto not enforcing IAM"
    return None


def report(tests: list[dict[str, Any]], seconds: float, command: list[str]) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT))
    from simulator import world as _world  # noqa: F401  (registers every operation)
    from simulator.account import operations

    offered = {f"{service}:{name}" for service, name in operations()}
    out: collections.Counter[str] = collections.Counter()
    missing_ops: collections.Counter[str] = collections.Counter()
    in_scope = []
    for test in tests:
        reason = scope_reason(test, offered)
        if reason is None:
            in_scope.append(test)
        else:
            out[reason] += 1
            if reason.startswith("calls an operation"):
                missing_ops.update(c for c in test["calls"] if c not in offered)
    passed = [t for t in in_scope if t["outcome"] == "passed"]
    failed = [t for t in in_scope if t["outcome"] != "passed"]
    rate = 100 * len(passed) / len(in_scope) if in_scope else 0.0
    verified = [t for t in in_scope if t.get("verified")]
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for test in failed:
        groups[normalise(test["cause"])].append(test["id"])
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    summary = (
        f"moto {MOTO} tests ({', '.join(SUITES)}) against RoleCall: {len(tests)} collected, "
        f"{len(in_scope)} in scope, {len(passed)} passed, {len(failed)} failed: "
        f"pass rate {rate:.1f} % ({seconds / 60:.1f} min)"
    )
    lines = [
        "# moto's tests against RoleCall's simulated account",
        "",
        f"Generated by `scripts/emulator_suite.py` (moto {MOTO}) in {seconds / 60:.1f} minutes.",
        "",
        f"**{summary}**",
        "",
        "| | tests |",
        "| --- | ---: |",
        f"| collected | {len(tests)} |",
        f"| in scope | {len(in_scope)} |",
        f"| passed | {len(passed)} |",
        f"| failed | {len(failed)} |",
        f"| pass rate | {rate:.1f} % |",
        "",
        f"Of these, the tests moto's maintainers also run against AWS (`aws_verified`): "
        f"{sum(t['outcome'] == 'passed' for t in verified)} of {len(verified)} pass.",
        "",
        "Per suite (in scope: passed / total):",
        "",
    ]
    for suite in SUITES:
        mine = [t for t in in_scope if f"/{suite}/" in t["id"]]
        good = sum(t["outcome"] == "passed" for t in mine)
        lines.append(f"- {suite}: {good} / {len(mine)}")
    lines += ["", "## Out of scope", "", "| reason | tests |", "| --- | ---: |"]
    lines += [f"| {reason} | {count} |" for reason, count in out.most_common()]
    lines += ["", "Operations RoleCall does not offer, by how many tests call them (top 40):", ""]
    lines += [f"- {op}: {count}" for op, count in missing_ops.most_common(40)]
    lines += ["", f"## Failures in scope ({len(failed)}), by cause, most frequent first", ""]
    for number, (cause, ids) in enumerate(ordered, 1):
        lines.append(f"### {number}. {len(ids)} × `{cause}`")
        lines.append("")
        lines += [f"- {test_id}" for test_id in ids]
        lines.append("")
    lines += ["## Passed in scope", ""]
    lines += [f"- {t['id']}" for t in passed]
    slowest = sorted(tests, key=lambda t: -t.get("seconds", 0))[:10]
    lines += ["", "## Slowest tests", ""]
    lines += [f"- {t.get('seconds', 0):.1f} s {t['id']}" for t in slowest]
    lines += ["", "Command (run in the unpacked folder):", "", "    " + " ".join(command), ""]
    short = [summary, "Biggest failure groups:"]
    short += [f"  {len(ids):4d}  {cause[:110]}" for cause, ids in ordered[:10]]
    return "\n".join(lines), "\n".join(short)


_NORMALISE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b([a-z]+)-[0-9a-f]{8,17}\b"), r"\1-<id>"),
    (re.compile(r"\b(AKIA|ASIA|AIDA|AROA|ANPA|AGPA|AIPA)[A-Z0-9]{12,}"), r"\1<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T][0-9:.+]+"), "<time>"),
    (re.compile(r"0x[0-9a-f]+"), "0x…"),
]


def normalise(cause: str) -> str:
    for pattern, replacement in _NORMALISE:
        cause = pattern.sub(replacement, cause)
    return cause[:200]


# --- the pytest plugin (`-p emulator_suite`, inside the harness's venv) -----------------------

_RECORD: dict[str, Any] | None = None  # the running test's calls and flags
_STACK: list[Any] = []  # the active worlds, outermost first (nested mock_aws share one)
_IN_WORLD_CLIENT = False
_INSTALLED = False


def _record() -> dict[str, Any]:
    global _RECORD
    if _RECORD is None:
        _RECORD = {"calls": set(), "flags": set(), "regions": set()}
    return _RECORD


def _flag(name: str) -> None:
    _record()["flags"].add(name)


class _RoleCallMock:
    """moto's `mock_aws` with RoleCall's world behind it."""

    def __init__(self, config: Any = None) -> None:
        self.config = config  # moto's configuration: nothing in it applies to RoleCall

    def start(self, reset: bool = True) -> None:
        if not _STACK:
            _STACK.append(_new_world())
        else:
            _STACK.append(_STACK[-1])

    def stop(self, remove_data: bool = True) -> None:
        if _STACK:
            _STACK.pop()

    def __enter__(self) -> _RoleCallMock:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: Any = None, reset: bool = True, remove_data: bool = True) -> Any:
        if inspect.isclass(func):
            return _decorate_class(func)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with _RoleCallMock(self.config):
                    return await func(*args, **kwargs)

            return run_async

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _RoleCallMock(self.config):
                return func(*args, **kwargs)

        return run


def _decorate_class(cls: Any) -> Any:
    """As moto does: one world from setUp (or setup_method) to tearDown, else one per test."""
    import unittest

    starts = ("setUp", "setup_method") if issubclass(cls, unittest.TestCase) else ("setup_method",)
    ends = {"setUp": "tearDown", "setup_method": "teardown_method"}
    wrapped_start = False
    for start in starts:
        if start in vars(cls) or (start == "setUp" and hasattr(cls, start)):
            original_start = getattr(cls, start)
            original_end = getattr(cls, ends[start], None)

            def begin(self: Any, *a: Any, _orig: Any = original_start, **kw: Any) -> Any:
                mock = _RoleCallMock()
                mock.start()
                self._rolecall_mock = mock
                return _orig(self, *a, **kw)

            def finish(self: Any, *a: Any, _orig: Any = original_end, **kw: Any) -> Any:
                try:
                    return _orig(self, *a, **kw) if _orig else None
                finally:
                    mock = self.__dict__.pop("_rolecall_mock", None)
                    if mock:
                        mock.stop()

            setattr(cls, start, begin)
            setattr(cls, ends[start], finish)
            wrapped_start = True
            break
    for name, value in list(vars(cls).items()):
        if name.startswith("test") and callable(value) and not wrapped_start:
            setattr(cls, name, _RoleCallMock()(value))
    return cls


def _new_world() -> Any:
    from datetime import UTC, datetime

    from simulator.world import World

    world = World.new(seed=0, account_id=ACCOUNT_ID)
    world.state.now = datetime.now(UTC).replace(microsecond=0)  # freezegun's, when frozen
    world.rolecall_regional = None  # type: ignore[attr-defined]
    return world


def _known_credentials(world: Any, key: str | None) -> bool:
    return bool(key) and (key in world.state.access_keys or key in world.state.sessions)


def _install() -> None:
    """Patch moto, botocore and the socket layer; called once, before any test is imported."""
    import socket

    import botocore.session
    import botocore.waiter
    import moto
    import moto.core
    import moto.core.decorator
    from moto.core import base_backend

    from simulator.services import ec2

    ec2.KNOWN_IMAGES = ec2.KNOWN_IMAGES | frozenset(EXAMPLE_AMIS)  # the tests' images

    def mock_aws(func: Any = None, config: Any = None) -> Any:
        return _RoleCallMock(config)(func) if func is not None else _RoleCallMock(config)

    moto.mock_aws = mock_aws  # type: ignore[assignment]
    moto.core.decorator.mock_aws = mock_aws  # type: ignore[assignment]

    original_count = moto.core.set_initial_no_auth_action_count

    def set_initial_no_auth_action_count(count: int) -> Any:
        def decorator(func: Any) -> Any:
            @functools.wraps(func)
            def run(*args: Any, **kwargs: Any) -> Any:
                _flag("auth")  # the test expects IAM to be enforced, as RoleCall always does
                return func(*args, **kwargs)

            return run

        return decorator

    assert original_count is not None
    moto.core.set_initial_no_auth_action_count = set_initial_no_auth_action_count

    for name in ("__getitem__", "get"):
        original = getattr(base_backend.BackendDict, name)

        def spy(self: Any, *args: Any, _orig: Any = original, **kwargs: Any) -> Any:
            _flag("moto backend")
            return _orig(self, *args, **kwargs)

        setattr(base_backend.BackendDict, name, spy)

    try:
        from moto.utilities.id_generator import moto_id_manager

        original_set = moto_id_manager.set_custom_id

        def set_custom_id(*args: Any, **kwargs: Any) -> Any:
            _flag("moto id manager")
            return original_set(*args, **kwargs)

        moto_id_manager.set_custom_id = set_custom_id  # type: ignore[method-assign]
    except ImportError:
        pass
    try:
        from moto.moto_server import threaded_moto_server

        original_init = threaded_moto_server.ThreadedMotoServer.__init__

        def server_init(self: Any, *args: Any, **kwargs: Any) -> None:
            _flag("moto server")
            original_init(self, *args, **kwargs)

        threaded_moto_server.ThreadedMotoServer.__init__ = server_init  # type: ignore[method-assign]
    except ImportError:
        pass

    environ_set = type(os.environ).__setitem__

    def setitem(self: Any, key: str, value: str) -> None:
        if key.startswith("MOTO_") and _RECORD is not None:
            _flag("moto setting")
        environ_set(self, key, value)

    type(os.environ).__setitem__ = setitem  # type: ignore[method-assign]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        _flag("network")
        raise ConnectionRefusedError("emulator suite: no connection leaves the process")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    class WorldTime:
        """botocore.waiter's `time`: a waiter's sleep moves the world's clock on."""

        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            if _STACK:
                _STACK[-1].advance(seconds)
            else:
                time.sleep(min(seconds, 0.01))

    botocore.waiter.time = WorldTime()  # type: ignore[assignment]

    original_create = botocore.session.Session.create_client

    def create_client(
        self: Any, service_name: str, region_name: str | None = None, **kw: Any
    ) -> Any:
        global _IN_WORLD_CLIENT
        if not _STACK or _IN_WORLD_CLIENT:
            return original_create(self, service_name, region_name, **kw)
        world = _STACK[-1]
        region = region_name or self.get_config_variable("region") or world.region
        key = kw.pop("aws_access_key_id", None)
        secret = kw.pop("aws_secret_access_key", None)
        token = kw.pop("aws_session_token", None)
        if key is None:
            found = self.get_credentials()
            if found is not None:
                key, secret, token = found.access_key, found.secret_key, found.token
        if not _known_credentials(world, key):
            key, secret, token = None, None, None  # moto accepts any key: the admin's
        if service_name not in GLOBAL_SERVICES:
            if world.rolecall_regional is None:
                world.rolecall_regional = region
                world.state.region = region  # before any regional call: as World.new(region=)
            _record()["regions"].add(world.rolecall_regional)
            _record()["regions"].add(region)
        own = key is not None and key not in {world.admin_credentials().access_key_id}
        session = world.session(key, secret, token)
        _IN_WORLD_CLIENT = True
        try:
            client = session._session.create_client(service_name, region_name=region, **kw)
        finally:
            _IN_WORLD_CLIENT = False

        def note(model: Any, **_: Any) -> None:
            _record()["calls"].add(f"{model.service_model.service_name}:{model.name}")

        def denied(parsed: Any, **_: Any) -> None:
            code = (parsed or {}).get("Error", {}).get("Code", "")
            if own and code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
                _flag("denied own principal")

        client.meta.events.register_first("before-parameter-build.*.*", note)
        client.meta.events.register("after-call.*.*", denied)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    # Before the conftests: tests/__init__.py (imported by them) binds `mock_aws` on import.
    global _INSTALLED
    if not _INSTALLED:
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        _install()
        _INSTALLED = True


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    # tests/test_ec2/conftest.py's `valid_ami` asks SSM (on AWS) for Amazon Linux's image.
    if getattr(plugin, "__name__", "").endswith("test_ec2.conftest"):
        plugin.get_valid_ami = lambda: EXAMPLE_AMIS[0]


def _first_line(excinfo: Any) -> str:
    """The exception's first line; with the failing statement when that line says nothing."""
    text = str(excinfo.value).strip().splitlines()
    line = f"{excinfo.typename}: {text[0] if text else ''}".strip()
    if len(line) < 40 or line.startswith("AssertionError: assert False"):
        statement = ""
        for entry in reversed(excinfo.traceback):  # the innermost line of moto's tests/
            if "/tests/" in str(entry.path) and "site-packages" not in str(entry.path):
                statement = str(entry.statement).strip().splitlines()[0]
                break
        if statement:
            line += f" at `{statement}`"
    return line


def pytest_runtest_makereport(item: Any, call: Any) -> None:
    record = _record()
    state = record.setdefault("phases", {})
    if call.excinfo is None:
        state[call.when] = "passed"
        return
    import _pytest.outcomes

    if call.excinfo.errisinstance((_pytest.outcomes.Skipped,)) or call.excinfo.typename in {
        "SkipTest",
        "XFailed",
    }:
        state[call.when] = "skipped"
    else:
        state[call.when] = "failed"
        record.setdefault("cause", _first_line(call.excinfo))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    """Where the test runs (an xdist worker): a fresh record, then its row in the results."""
    global _RECORD
    _RECORD = {"calls": set(), "flags": set(), "regions": set()}
    _STACK.clear()
    started = time.monotonic()
    try:
        return (yield)
    finally:
        _finish(item, time.monotonic() - started)


def _verified(item: Any) -> bool:
    """Whether moto's maintainers run this test against AWS too (`@pytest.mark.aws_verified`)."""
    return item.get_closest_marker("aws_verified") is not None


_CLIENT_OF = re.compile(r"""(?:client|resource)\(\s*(?:service_name=)?["']([a-z0-9-]+)["']""")


def _services_named(item: Any) -> list[str]:
    """The services the test's own source makes clients of: a call that never happened (the
    test failed before it) still takes the test out of scope when RoleCall lacks the service."""
    try:
        source = inspect.getsource(inspect.unwrap(item.function))
    except (TypeError, OSError, AttributeError):
        return []
    return sorted(set(_CLIENT_OF.findall(source)))


def _finish(item: Any, seconds: float) -> None:
    global _RECORD
    record = _record()
    phases = record.get("phases", {})
    if "skipped" in phases.values():
        outcome = "skipped"
    elif "failed" in phases.values():
        outcome = "failed"
    else:
        outcome = "passed"
    _write(
        {
            "id": item.nodeid,
            "verified": _verified(item),
            "seconds": round(seconds, 2),
            "outcome": outcome,
            "cause": record.get("cause", ""),
            "calls": sorted(record["calls"]),
            "flags": sorted(record["flags"]),
            "regions": sorted(record["regions"]),
            "services": _services_named(item),
            "collection_error": False,
        }
    )
    _RECORD = None
    _STACK.clear()


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _write(
            {
                "id": report.nodeid,
                "outcome": "failed",
                "cause": str(report.longrepr).strip().splitlines()[-1][:200],
                "calls": [],
                "flags": [],
                "regions": [],
                "collection_error": True,
            }
        )


def _write(row: dict[str, Any]) -> None:
    folder = os.environ.get(RESULTS_ENV)
    if not folder:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(folder) / f"{worker}.jsonl", "a") as out:
        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.exit(main())
