"""The classroom load test: 200 learners join one class and work through fleet-put-only.

    .venv/bin/python benchmarks/loadtest/run.py                     # SQLite (a new file)
    .ci/postgres .venv/bin/python benchmarks/loadtest/run.py        # PostgreSQL (DATABASE_URL)
    make loadtest                                                   # both, one after the other

With DATABASE_URL set the test uses that server, in a database of its own that it creates
and drops (the URL's role needs CREATEDB); without it, a new SQLite file in a temporary
folder. Either way: migrate, collectstatic, create an instructor and a class taking
fleet-put-only, serve it with gunicorn on 127.0.0.1 (DEBUG off, as deployed), warm each
worker up, run locust headless (locustfile.py: 200 learners spawned over 60 s, each acting
every 2-5 s and polling the class message every 10 s, and the instructor's dashboard
refreshing every 5 s; 4 minutes in all), stop the server, then check the database against
what every learner did: each one who joined is a member with an attempt whose world loads
and holds their hints, checks, answers, fleet runs and console calls, the newest calls in
order in its activity log (no lost update), and the terminal commands they typed in each
place's history. Prints p50/p95/p99 per kind of request, for all
requests and for the learners' own actions and pages (all but the timed refreshes), the
error count, and the CPU the server, PostgreSQL, locust and other programs used; exits 1
when either p95 is over the budget (300 ms), any request failed, or any learner's progress
is wrong.

Every connection is to 127.0.0.1; every wait is bounded in time.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SLUG = "fleet-put-only"
POLICY_ARN = "arn:aws:iam::111122223333:policy/FleetS3Access"
PUT_ONLY = {"s3:PutObject"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-seconds", type=float, default=60)
    parser.add_argument("--seconds", type=int, default=240, help="the whole run, spawning included")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn's worker class (gthread or sync)"
    )
    parser.add_argument("--budget-ms", type=float, default=300, help="the p95 budget")
    parser.add_argument(
        "--wsgi", default="config.wsgi", help="the WSGI module to serve (for experiments)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    return parser.parse_args()


def machine_busy(seconds: float = 5) -> float:
    """How much CPU the machine uses before the test, in % of one core."""
    import psutil

    return float(psutil.cpu_percent(interval=seconds) * (psutil.cpu_count() or 1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- The database -----------------------------------------------------------------------------


class Database:
    """A fresh database for this run: a SQLite file, or a new database on DATABASE_URL's server."""

    def __init__(self, folder: Path) -> None:
        self.server_url = os.environ.get("DATABASE_URL", "").strip()
        self.name = f"rolecall_loadtest_{os.getpid()}"
        if self.server_url:
            parts = urlsplit(self.server_url)
            self.kind = "PostgreSQL"
            self.env = {"DATABASE_URL": urlunsplit(parts._replace(path="/" + self.name))}
        else:
            self.kind = "SQLite"
            self.env = {"DATABASE_PATH": str(folder / "loadtest.sqlite3")}

    def create(self) -> None:
        if self.server_url:
            import psycopg

            with psycopg.connect(self.server_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.server_url:
            import psycopg

            with psycopg.connect(self.server_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def describe(self) -> str:
        if not self.server_url:
            return f"SQLite (WAL) file {self.env['DATABASE_PATH']}"
        import psycopg

        with psycopg.connect(self.server_url) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'} at {urlsplit(self.server_url).hostname}"


# --- The server ---------------------------------------------------------------------------------


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
    )


def create_class(env: dict[str, str]) -> str:
    """An instructor (LOADTEST_INSTRUCTOR) and a class taking fleet-put-only; its join code."""
    script = (
        "import os\n"
        "from django.contrib.auth.models import User\n"
        "from lessons.models import Classroom\n"
        "teacher = User.objects.create_user(os.environ['LOADTEST_INSTRUCTOR'], "
        "password=os.environ['LOADTEST_INSTRUCTOR_PASSWORD'])\n"
        "room = Classroom.objects.create(instructor=teacher, title='Load test', "
        f"scenarios=[{SLUG!r}])\n"
        "print(room.join_code)\n"
    )
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def start_server(
    env: dict[str, str], port: int, args: argparse.Namespace, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "gunicorn"),
        args.wsgi,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--timeout", "60",
        # Keep a browser's connection open between its actions (every 2-5 s) and the class
        # message it polls every 10 s, as a proxy in front would; gunicorn's default, 2 s,
        # closes it just as the next request may be on its way.
        "--keep-alive", "20",
        "--error-logfile", str(log),
        "--log-level", "warning",
    ]  # fmt: skip
    # The server's own output (Django's log: any traceback) goes to the same file.
    with log.open("ab") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/join/", timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


class _PlainHttpCookies(http.cookiejar.DefaultCookiePolicy):
    """Send the app's Secure cookies over plain HTTP to 127.0.0.1 (no TLS in the test)."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


def _warm_one(port: int) -> None:
    jar = http.cookiejar.CookieJar(policy=_PlainHttpCookies())
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/s/{SLUG}/"
    with opener.open(url, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("warm-up: the workspace has no CSRF token")
    headers = {"HX-Request": "true", "X-CSRFToken": token.group(1)}
    for fields in ({"action": "console-run-fleet", "ticks": "1"}, {"action": "check"},
                   {"action": "hint"}):  # fmt: skip
        data = urllib.parse.urlencode(fields).encode()
        with opener.open(
            urllib.request.Request(url, data=data, headers=headers), timeout=30
        ) as response:
            response.read()
    activity = urllib.request.Request(url, headers={"HX-Request": "true", "HX-Target": "activity"})
    with opener.open(activity, timeout=30) as response:
        response.read()


def warm_up(port: int, workers: int) -> None:
    """Load each worker's lazy parts (scenarios, AWS service models, templates) before the
    class starts, as a server that has been up a while has them: a few anonymous learners
    (not in the class) open the workspace and act, several at once so every worker serves."""
    for _ in range(2):
        threads = [threading.Thread(target=_warm_one, args=(port,)) for _ in range(workers * 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)


# --- Watching the CPU ------------------------------------------------------------------------


class CpuWatch(threading.Thread):
    """Every 2 s, the CPU used by the server's processes and by locust's, in % of one core."""

    def __init__(self, server_pid: int, locust_pid: int) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.locust_pid = server_pid, locust_pid
        self.samples: dict[str, list[float]] = {"server": [], "locust": [], "machine": []}
        self.seconds: dict[str, float] = {}  # CPU seconds used, by group
        self.done = threading.Event()

    @staticmethod
    def _tree(pid: int) -> list[Any]:
        import psutil

        try:
            parent = psutil.Process(pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.Error:
            return []

    @staticmethod
    def _seconds(processes: list[Any]) -> float:
        import psutil

        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    @staticmethod
    def _database_processes() -> list[Any]:
        import psutil

        return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]

    def run(self) -> None:
        import psutil

        groups = {
            "server": lambda: self._tree(self.server_pid),
            "locust": lambda: self._tree(self.locust_pid),
            "postgres": self._database_processes,
        }
        before = {name: self._seconds(find()) for name, find in groups.items()}
        self.samples["others"] = []
        psutil.cpu_percent()
        last = time.monotonic()
        while not self.done.wait(2):
            now = time.monotonic()
            ours = 0.0
            for name, find in groups.items():
                used = self._seconds(find())
                share = 100 * (used - before[name]) / (now - last)
                self.samples.setdefault(name, []).append(share)
                self.seconds[name] = self.seconds.get(name, 0.0) + used - before[name]
                before[name], ours = used, ours + share
            machine = psutil.cpu_percent() * psutil.cpu_count()
            self.samples["machine"].append(machine)
            self.samples["others"].append(max(0.0, machine - ours))
            last = now

    def summary(self) -> str:
        parts = []
        for name, values in self.samples.items():
            if values and (name != "postgres" or max(values) > 0):
                parts.append(f"{name} mean {statistics.fmean(values):.0f}% max {max(values):.0f}%")
        return "CPU (100% = one core; the machine has 2): " + ", ".join(parts)


def run_locust(
    env: dict[str, str],
    port: int,
    args: argparse.Namespace,
    folder: Path,
    server: subprocess.Popen[bytes],
) -> tuple[dict[str, Any], CpuWatch]:
    records = folder / "records.json"
    command = [
        str(BIN / "locust"),
        "-f", str(LOCUSTFILE),
        "--headless",
        "--host", f"http://127.0.0.1:{port}",
        "--users", str(args.users + 1),  # and the instructor
        "--spawn-rate", f"{args.users / args.spawn_seconds:.3f}",
        "--run-time", f"{args.seconds}s",
        "--stop-timeout", "60",
        "--only-summary",
        "--loglevel", "WARNING",
        "--csv", str(folder / "locust"),
    ]  # fmt: skip
    locust_env = {**env, "LOADTEST_RECORDS": str(records)}
    locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, start_new_session=True)
    watch = CpuWatch(server.pid, locust.pid)
    watch.start()
    try:
        locust.wait(timeout=args.seconds + 180)
    except subprocess.TimeoutExpired:
        os.killpg(locust.pid, signal.SIGKILL)
        locust.wait(timeout=10)
        raise SystemExit("locust did not finish in time") from None
    finally:
        watch.done.set()
        watch.join(timeout=5)
    if not records.exists():
        raise SystemExit(f"locust exited with {locust.returncode} and wrote no records")
    return json.loads(records.read_text()), watch


# --- Checking every learner's progress in the database -----------------------------------------


def verify(env: dict[str, str], code: str, learners: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong in the database, compared with what each learner did (empty: all right)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from lessons.models import Attempt, Classroom, Membership

    problems: list[str] = []
    classroom = Classroom.objects.get(join_code=code)
    members = {m.display_name: m for m in Membership.objects.filter(classroom=classroom)}
    joined = {name: record for name, record in learners.items() if record["joined"]}
    if len(members) != len(joined):
        problems.append(f"{len(members)} members in the class, but {len(joined)} learners joined")
    for name, record in sorted(joined.items()):
        membership = members.get(name)
        if membership is None:
            problems.append(f"{name}: joined, but is not a member of the class")
            continue
        attempt = Attempt.objects.filter(membership=membership, scenario=SLUG).first()
        if attempt is None:  # a page view stores nothing: only a learner who changed nothing
            if record["step"] or record["hints"] or record["checks"] or record["ticks"]:
                problems.append(f"{name}: no attempt at {SLUG}")
            continue
        if record.get("uncertain"):
            continue  # a change of theirs got no answer: made or not, nobody knows (an error)
        problems += [f"{name}: {problem}" for problem in compare(attempt, record)]
    return problems


def compare(attempt: Any, record: dict[str, Any]) -> list[str]:
    problems = []

    def expect(what: str, found: Any, wanted: Any) -> None:
        if found != wanted:
            problems.append(f"{what} is {found!r}, the learner saw {wanted!r}")

    expect("steps passed", attempt.step_index, record["step"])
    expect("hints shown", attempt.hints, record["hints"])
    expect("checks run", attempt.checks, record["checks"])
    expect("answers", attempt.answers, record["answers"])
    try:
        world = attempt.load_world()
    except Exception as error:  # noqa: BLE001 - reported, whatever it is
        return [*problems, f"the world does not load: {error!r}"]
    state = world.state
    expect("fleet runs", state.instances[_instance_id(world, "fleet-1")].ticks, record["ticks"])
    policy = state.policies.get(POLICY_ARN)
    if policy is None:
        return [*problems, "FleetS3Access is gone"]
    expect("FleetS3Access versions", sorted(v.version_id for v in policy.versions),
           sorted(record["versions"]))  # fmt: skip
    expect("FleetS3Access default", policy.default_version_id, record["default_version"])
    for number in range(1, 11):
        user = f"key-{number}"
        document = json.loads(state.users[user].inline_policies["fleet-s3"])
        actions = {a for s in document["Statement"] for a in _as_list(s["Action"])}
        expect(f"{user}'s policy allows", actions == PUT_ONLY, user in record["keys_put_only"])
    expect("bucket policy present", bool(state.buckets["fleet-reports"].policy),
           record["bucket_policy"])  # fmt: skip
    problems += _compare_events(world.events, record["calls"])
    problems += _compare_terminal(world, record.get("terminal", {}))
    return problems


def _compare_terminal(world: Any, typed: dict[str, list[str]]) -> list[str]:
    """Each place's saved history must end with the commands the learner saw answered there."""
    from simulator import terminal

    problems = []
    for place, commands in typed.items():
        history = terminal.transcript(world, place).history
        if history[-len(commands) :] != commands[-len(history) :]:
            problems.append(
                f"the terminal's history in {place} is {history[-3:]!r}..., not what the learner typed"
            )
    return problems


def _instance_id(world: Any, name: str) -> str:
    for instance in world.state.instances.values():
        if instance.tags.get("Name") == name:
            return str(instance.instance_id)
    raise LookupError(name)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _call_of(event: dict[str, Any]) -> list[str] | None:
    """[eventName, detail] of a console call (made as the account's admin), as recorded."""
    identity = event.get("userIdentity") or {}
    if identity.get("userName") != "admin":
        return None
    name, params = event.get("eventName"), event.get("requestParameters") or {}
    detail = {
        "CreatePolicyVersion": None,  # the id is in the response, not the request
        "DeletePolicyVersion": params.get("VersionId"),
        "PutUserPolicy": params.get("UserName"),
        "PutBucketPolicy": params.get("Bucket"),
    }
    if name not in detail or event.get("errorCode"):
        return None
    return [str(name), str(detail[name] or "")]


def _compare_events(events: list[dict[str, Any]], calls: list[list[str]]) -> list[str]:
    """The newest console calls in the world's activity log (it keeps the last 60 calls, most
    of them the fleet's) must be the learner's own newest calls, in order, none missing."""
    logged = [call for event in events if (call := _call_of(event)) is not None]
    made = [[name, "" if name == "CreatePolicyVersion" else detail] for name, detail in calls]
    if made and not logged:
        # Possible only when the fleet ran often enough since the last call to push it out.
        return []
    shown = min(len(logged), len(made))
    if logged[len(logged) - shown :] != made[len(made) - shown :]:
        return [
            f"the activity log's last console calls {logged[-shown:]} are not the learner's {made[-shown:]}"
        ]
    return []


# --- Reporting ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (the value below which `share` of the values lie)."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


POLLED = "(polled)"  # requests the page makes by itself, on a timer: nobody waits for them


def report(times: list[list[Any]]) -> tuple[dict[str, dict[float, float]], int]:
    """Print a row per kind of request; return p50/p95/p99 of all requests and of those a
    learner waits for (their actions and pages: everything but the timed refreshes)."""
    by_name: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for name, milliseconds, ok in times:
        by_name[name].append(milliseconds)
        if not ok:
            failures[name] += 1
    groups = {
        "all requests": [t for _, t, _ in times],
        "learners' actions and pages": [t for n, t, _ in times if POLLED not in n],
    }
    print(
        f"\n{'request':40} {'count':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'errors':>6}"
    )
    rows = sorted(by_name.items(), key=lambda item: -len(item[1]))
    for name, values in [*rows, *groups.items()]:
        if name == "all requests":
            errors = sum(failures.values())
        elif name in groups:
            errors = sum(count for n, count in failures.items() if POLLED not in n)
        else:
            errors = failures[name]
        print(f"{name:40} {len(values):6} {percentile(values, 0.5):6.0f} "
              f"{percentile(values, 0.95):6.0f} {percentile(values, 0.99):6.0f} "
              f"{max(values):6.0f} {errors:6}")  # fmt: skip
    summary = {
        name: {share: percentile(values, share) for share in (0.5, 0.95, 0.99)}
        for name, values in groups.items()
    }
    return summary, sum(failures.values())


def machine_speed() -> float:
    """Seconds a fixed pure-Python loop takes, the median of three: the same code measured on a
    shared VM can be a third slower from one run to the next, and this says how fast it is now."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(5_000_000):
            total += number
        times.append(time.perf_counter() - started)
    return sorted(times)[1]


def main() -> int:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rolecall-loadtest-"))
    database = Database(folder)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        **database.env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1; a proxy does TLS
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_STATIC_ROOT": str(folder / "static"),  # collectstatic there, not in the checkout
        "LOADTEST_RUN": secrets.token_hex(3),
        "LOADTEST_INSTRUCTOR": "loadtest-instructor",
        "LOADTEST_INSTRUCTOR_PASSWORD": secrets.token_urlsafe(16),
    }
    print(f"Load test: {args.users} learners over {args.spawn_seconds:.0f} s, {args.seconds} s in all, "
          f"gunicorn {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}")  # fmt: skip
    print(f"Machine speed: a fixed Python loop takes {machine_speed():.2f} s (lower is faster; "
          "a shared VM drifts: compare runs with this in mind)")  # fmt: skip
    busy = machine_busy()
    if busy > 25:
        print(f"Warning: other programs use {busy:.0f}% of a core right now; the figures "
              "will be worse than on a quiet machine (the load test needs both cores).")  # fmt: skip
    database.create()
    server = None
    try:
        print(f"Database: {database.describe()}")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        code = create_class(env)
        env["LOADTEST_CODE"] = code
        server = start_server(env, port, args, folder / "gunicorn.log")
        warm_up(port, args.workers)
        started = time.monotonic()
        outcome, cpu = run_locust(env, port, args, folder, server)
        print(f"locust ran {time.monotonic() - started:.0f} s. {cpu.summary()}")
        served = len(outcome["times"])
        print(f"Server CPU per request: {1000 * cpu.seconds.get('server', 0) / max(served, 1):.1f} ms"
              + (f" (+ {1000 * cpu.seconds['postgres'] / max(served, 1):.1f} ms in PostgreSQL)"
                 if cpu.seconds.get("postgres") else ""))  # fmt: skip
        stop_server(server)
        server = None
        summary, errors = report(outcome["times"])
        overall, acting = summary["all requests"], summary["learners' actions and pages"]
        server_errors = [line for line in (folder / "gunicorn.log").read_text().splitlines()
                         if "Traceback" in line or "ERROR" in line]  # fmt: skip
        failures = folder / "locust_failures.csv"
        if failures.exists() and len(failures.read_text().splitlines()) > 1:
            print("\nFailed requests (locust_failures.csv): method, name, error, occurrences")
            for line in failures.read_text().splitlines()[1:21]:
                print("  " + line)
        problems = verify(env, code, outcome["learners"])
        seen = [f"{name}: {problem}" for name, record in outcome["learners"].items()
                for problem in record["problems"]]  # fmt: skip
        joined = sum(record["joined"] for record in outcome["learners"].values())
        finished = sum(record["step"] == 5 and len(record["answers"]) == 2
                       for record in outcome["learners"].values())  # fmt: skip
        print(f"\n{database.kind}: {len(outcome['times'])} requests, p50 {overall[0.5]:.0f} ms, "
              f"p95 {overall[0.95]:.0f} ms, p99 {overall[0.99]:.0f} ms, {errors} errors "
              f"(learners' actions and pages: p50 {acting[0.5]:.0f}, p95 {acting[0.95]:.0f}, "
              f"p99 {acting[0.99]:.0f} ms); {joined} learners joined, {finished} finished "
              f"the scenario")  # fmt: skip
        for line in (problems + seen + server_errors)[:40]:
            print("  " + line)
        failed = []
        for what, figures in summary.items():
            if figures[0.95] > args.budget_ms:
                failed.append(f"p95 of {what} ({figures[0.95]:.0f} ms) is over the {args.budget_ms:.0f} ms budget")  # fmt: skip
        if errors:
            failed.append(f"{errors} requests failed")
        if joined < args.users:
            failed.append(f"only {joined} of {args.users} learners joined")
        if problems:
            failed.append(f"{len(problems)} problems with learners' progress in the database")
        if server_errors:
            failed.append(f"the server logged {len(server_errors)} errors")
        if failed:
            print("FAILED: " + "; ".join(failed))
            return 1
        print(
            f"PASSED: every learner's progress is in the database; p95 within {args.budget_ms:.0f} ms, no errors"
        )
        return 0
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            print(
                f"Kept {folder}" + (f" and database {database.name}" if database.server_url else "")
            )
        else:
            if "django.db" in sys.modules:  # verify() connected: let go before dropping
                sys.modules["django.db"].connections.close_all()
            database.drop()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
