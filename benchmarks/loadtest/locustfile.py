"""A class of learners working through fleet-put-only (scenario 2), for locust.

Run through `run.py` (it prepares the server and the class and checks the database after);
on its own it needs LOADTEST_CODE (the class's join code), LOADTEST_INSTRUCTOR and
LOADTEST_INSTRUCTOR_PASSWORD (the class's instructor) and --host http://127.0.0.1:PORT.

Each simulated learner joins the class as a browser does (GET /join/, POST the form with the
CSRF token, follow to the workspace), then works through the scenario's five steps with 2-5 s
between actions, sending them as htmx does (HX-Request, X-CSRFToken): run the fleet, check
their work, reveal hints, make console calls (a new policy version, ten user policies, a
bucket policy), type commands into the terminal (`aws` in CloudShell and on an instance, `curl`
to an instance's metadata service), look at the activity log, answer the questions. Once done, they go round a
loop of the same kinds of action (a scratch policy version made and deleted) until the end.
Meanwhile their page polls the class message every 10 s, as the workspace does; and one
instructor, signed in, has the live dashboard open (its grid refreshes every 5 s).

Every response is checked for the words that say the action worked (a substring search: no
HTML parsing, so locust stays light on the CPU it shares with the server). What each learner
did, as the server answered it, is written to LOADTEST_RECORDS at the end, for run.py to
compare with the database: every hint, check, fleet run and console call must be there.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
import yaml
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

SLUG = "fleet-put-only"
WORKSPACE = f"/s/{SLUG}/"
ACCOUNT = "111122223333"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/FleetS3Access"
STEPS = ("watch", "put-only-role", "put-only-keys", "bucket-grant", "explicit-deny")
QUESTIONS = ("bucket-policy-grant", "many-keys")


def _right_options() -> dict[str, int]:
    """Each question's right option, read from the scenario file (no option is always first).
    The page shows each learner the options in an order of their own, but the value it posts
    is the option's index in the file (lessons.quiz), so the file's index is the answer."""
    path = Path(__file__).resolve().parents[2] / "lessons" / "scenarios" / f"{SLUG}.yaml"
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return {
        question["id"]: next(
            n for n, option in enumerate(question["options"]) if option.get("correct")
        )
        for question in questions
    }


RIGHT = _right_options()


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


PUT_ONLY = _document(
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::fleet-reports/*"}
)
PUT_AND_DENY_GET = _document(
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::fleet-reports/*"},
    {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::fleet-reports/*"},
)
BUCKET_GRANT = _document(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/FleetRole"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::fleet-reports/config/*",
    }
)
# A harmless version made and deleted again in the loop (at most five versions are kept).
SCRATCH = _document(
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::fleet-reports/tmp/*"}
)

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
TEXT_INPUT = re.compile(rb'<input type="text" name="([a-z_]+)"')
VERSION_CREATED = re.compile(rb"Created version (v\d+) of FleetS3Access")
HINT_SHOWN = re.compile(rb"Hint (\d+) of \d+ is shown")
LOG_SHOWN = re.compile(rb'name="log_shown" value="([^"]*)"')
FIRST_INSTANCE = re.compile(rb'<option value="(i-[0-9a-f]{17})"')  # the terminal's places
FLEET_TABLE = (
    "aws ec2 describe-instances --output table --query "
    "'Reservations[].Instances[].[Tags[?Key==`Name`]|[0].Value, IamInstanceProfile.Arn]'"
)
ROLE_CREDENTIALS = "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/"
NOT_YET = b"Not yet: "
SEEN = re.compile(rb'hx-vals=\'\{"seen": "([^"]*)"\}\'')
POLL_SECONDS = 10  # the workspace's class message: hx-trigger="every 10s"
POLL_LIMIT = 360  # an hour of polling at most
DASHBOARD_SECONDS = 5  # the instructor's dashboard grid: hx-trigger="every 5s"

RECORDS: dict[str, dict[str, Any]] = {}
TIMES: list[tuple[str, float, bool]] = []  # (name, milliseconds, ok) of every request
NUMBERS = iter(range(1, 1_000_000))
RUN = os.environ.get("LOADTEST_RUN", "run")


@events.request.add_listener
def _timed(request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
    TIMES.append((name, response_time, exception is None))


@events.test_start.add_listener
def _loopback_only(environment: Any, **_: Any) -> None:
    """This test is for a server on this machine: refuse any other host."""
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"The load test only runs against 127.0.0.1, not {environment.host!r}")


@events.quitting.add_listener
def _save(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOADTEST_RECORDS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"learners": RECORDS, "times": TIMES}, out)


class PlainHttpCookies(http.cookiejar.DefaultCookiePolicy):
    """Send the app's Secure cookies (DEBUG off) over the test's plain HTTP to 127.0.0.1, as a
    browser does over the HTTPS a real class uses."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


class Learner(FastHttpUser):
    """One learner: a browser session (its own cookies) going through the scenario."""

    wait_time = between(2, 5)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(PlainHttpCookies())
        self.number = next(NUMBERS)
        self.name = f"Learner {self.number:03d} {RUN}"
        self.record: dict[str, Any] = {
            "name": self.name,
            "joined": False,
            "step": 0,  # steps passed
            "hints": {},  # step id -> hints shown
            "checks": {},  # step id -> checks run
            "ticks": 0,
            "versions": ["v1"],  # FleetS3Access's versions
            "default_version": "v1",
            "keys_put_only": [],  # key-N users whose inline policy is now Put-only
            "bucket_policy": False,
            "answers": {},
            "terminal": {},  # place -> the commands it ran, in order (each place's history)
            "calls": [],  # [eventName, detail] of each console call, in order
            "problems": [],  # what the learner saw that it did not expect
            "uncertain": False,  # a change got no answer: it may or may not have been made
        }
        RECORDS[self.name] = self.record
        self.token = ""
        self.seen = ""
        self.log_shown = ""  # what the page's activity log shows (the console sends it)
        self.instance = ""  # an instance the terminal offers (read from the page)
        # The page's query, as the browser's address bar has it: the log's filter links push
        # their URL (hx-push-url), and htmx sends it with every request (HX-Current-URL).
        self.query = ""
        self.poller: gevent.Greenlet | None = None
        self.plan = self._plan()
        self.position = 0
        self.loop = 0
        self.scratch: str | None = None
        self._join()

    # --- joining, as a browser without JavaScript --------------------------------------------

    def _join(self) -> None:
        with self.client.get("/join/", name="join: form", catch_response=True) as response:
            token = CSRF_INPUT.search(response.content or b"")
            fields = set(TEXT_INPUT.findall(response.content or b""))
            if response.status_code != 200 or token is None or b"code" not in fields:
                response.failure(f"no join form (status {response.status_code})")
                raise StopUser()
        name_field = "display_name" if b"display_name" in fields else "name"
        form = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "code": os.environ["LOADTEST_CODE"],
            name_field: self.name,
        }
        with self.client.post(
            "/join/", data=form, name="join: post", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.endswith(WORKSPACE):
                response.failure(f"join answered {response.status_code} to {location!r}")
                raise StopUser()
        self.record["joined"] = True
        with self.client.get(WORKSPACE, name="workspace: page", catch_response=True) as response:
            token = CSRF_INPUT.search(response.content or b"")
            if (
                response.status_code != 200
                or token is None
                or b'id="console"' not in (response.content or b"")
            ):
                response.failure(f"no workspace (status {response.status_code})")
                raise StopUser()
            self.token = token.group(1).decode()
            self._saw(response.content or b"")
            seen = SEEN.search(response.content or b"")
        if seen is not None:  # the page polls the class's message, as the browser would
            self.seen = seen.group(1).decode()
            self.poller = gevent.spawn(self._poll)

    def on_stop(self) -> None:
        if self.poller is not None:
            self.poller.kill(block=False)

    def _poll(self) -> None:
        headers = {"HX-Request": "true", "HX-Target": "class-message"}
        for _ in range(POLL_LIMIT):  # bounded, though locust stops it at the end anyway
            gevent.sleep(POLL_SECONDS)
            with self.client.get(
                f"{WORKSPACE}?seen={self.seen}",
                headers=headers,
                name="class message (polled)",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    seen = SEEN.search(response.content or b"")
                    self.seen = seen.group(1).decode() if seen else self.seen
                elif response.status_code != 204:
                    response.failure(f"status {response.status_code}")

    # --- actions, as htmx sends them --------------------------------------------------------

    def _saw(self, body: bytes) -> None:
        """Keep what the log now shows, as the page's hidden log_shown input does, and an
        instance the terminal offers as a place."""
        found = LOG_SHOWN.search(body)
        if found is not None:
            self.log_shown = found.group(1).decode()
        instance = FIRST_INSTANCE.search(body)
        if instance is not None:
            self.instance = instance.group(1).decode()

    def _post(self, name: str, fields: dict[str, str], expect: bytes) -> bytes | None:
        """POST an action; a failure unless the response says `expect`. Returns the body of
        any 200 response (what the server did, whether or not it was what was expected).
        A console action also sends what the log shows (the console's hx-include)."""
        if fields.get("action", "").startswith("console-") and self.log_shown:
            fields = {**fields, "log_shown": self.log_shown}
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": self.host + WORKSPACE + self.query,
            "X-CSRFToken": self.token,
        }
        with self.client.post(
            WORKSPACE, data=fields, headers=headers, name=name, catch_response=True
        ) as response:
            body = response.content or b""
            self._saw(body)
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                # Applied or not, nobody knows: the database check cannot be exact for them.
                self.record["uncertain"] = True
                return None
            if expect not in body:
                response.failure(f"the answer did not say {expect.decode()!r}")
                self.record["problems"].append(f"{name}: no {expect.decode()!r}")
            return body

    def _did(self, name: str, fields: dict[str, str], expect: bytes) -> bool:
        """POST an action: did the response say `expect`?"""
        return expect in (self._post(name, fields, expect) or b"")

    def _get(self, name: str, *, target: str | None = None, query: str = "") -> None:
        """GET the page at `query` (a reload), or one region of it as a filter link does
        (which pushes `query` to the address bar)."""
        headers = {"HX-Request": "true", "HX-Target": target} if target else {}
        self.query = query
        with self.client.get(
            WORKSPACE + query, headers=headers, name=name, catch_response=True
        ) as response:
            body = response.content or b""
            self._saw(body)
            wanted = f'id="{target}"'.encode() if target else b'id="console"'
            if response.status_code != 200 or wanted not in body:
                response.failure(f"status {response.status_code}, no {wanted.decode()}")

    def _step_id(self) -> str | None:
        step = self.record["step"]
        return STEPS[step] if step < len(STEPS) else None

    def run_fleet(self) -> None:
        if self._did("run the fleet", {"action": "console-run-fleet", "form": "con-fleet", "ticks": "1"}, b"Ran the fleet 1 tick"):  # fmt: skip
            self.record["ticks"] += 1

    def check(self, *, passes: bool) -> None:
        step = self._step_id()
        if step is None:
            self._post("check my work", {"action": "check"}, b"Every step is done")
            return
        passed = f"Step {self.record['step'] + 1} passed".encode()
        body = self._post("check my work", {"action": "check"}, passed if passes else NOT_YET)
        if body is not None and (passed in body or NOT_YET in body):  # a check ran: count it
            self.record["checks"][step] = self.record["checks"].get(step, 0) + 1
            if passed in body:
                self.record["step"] += 1

    def hint(self) -> None:
        step = self._step_id()
        if step is None:
            self._post("reveal a hint", {"action": "hint"}, b"Every step is done")
            return
        shown = self.record["hints"].get(step, 0)
        body = self._post("reveal a hint", {"action": "hint"}, f"Hint {shown + 1} of".encode())
        found = HINT_SHOWN.search(body or b"")
        if found is not None:
            self.record["hints"][step] = int(found.group(1))

    def new_version(self, document: str, *, default: bool) -> None:
        fields = {
            "action": "console-policy-version-create",
            "form": "policy-FleetS3Access--version",
            "save": "console-policy-version-create",
            "policy_arn": POLICY_ARN,
            "document": document,
        }
        if default:
            fields["set_as_default"] = "on"
        body = self._post("console: create a policy version", fields, b"Created version v")
        found = VERSION_CREATED.search(body or b"")
        if found is None:
            return
        version = found.group(1).decode()
        self.record["versions"].append(version)
        self.record["calls"].append(["CreatePolicyVersion", version])
        if default:
            self.record["default_version"] = version
        else:
            self.scratch = version

    def delete_scratch_version(self) -> None:
        if self.scratch is None:
            return
        version, self.scratch = self.scratch, None
        fields = {
            "action": "console-policy-version-delete",
            "form": "policy-FleetS3Access",
            "policy_arn": POLICY_ARN,
            "version_id": version,
        }
        if self._did("console: delete a policy version", fields, f"Deleted version {version}".encode()):  # fmt: skip
            self.record["versions"].remove(version)
            self.record["calls"].append(["DeletePolicyVersion", version])

    def put_user_policy(self, user: str) -> None:
        fields = {
            "action": "console-user-policy-put",
            "form": f"user-{user}--inline-fleet-s3",
            "save": "console-user-policy-put",
            "user_name": user,
            "policy_name": "fleet-s3",
            "document": PUT_ONLY,
        }
        if self._did("console: put a user policy", fields, f"Saved inline policy fleet-s3 of {user}.".encode()):  # fmt: skip
            self.record["keys_put_only"].append(user)
            self.record["calls"].append(["PutUserPolicy", user])

    def bucket_policy(self) -> None:
        fields = {
            "action": "console-bucket-policy-put",
            "form": "bucket-fleet-reports--policy",
            "save": "console-bucket-policy-put",
            "bucket": "fleet-reports",
            "document": BUCKET_GRANT,
        }
        if self._did("console: put a bucket policy", fields, b"Saved the bucket policy of fleet-reports."):  # fmt: skip
            self.record["bucket_policy"] = True
            self.record["calls"].append(["PutBucketPolicy", "fleet-reports"])

    def terminal(
        self, name: str, command: str, expect: bytes, *, on_instance: bool = False
    ) -> None:
        """Type `command` into the terminal, in CloudShell or on an instance; the answer must
        show `expect` among the command's new lines."""
        place = self.instance if on_instance else "cloudshell"
        if not place:
            return  # the page named no instance: nothing to type into (a failure elsewhere)
        fields = {"action": "terminal-run", "place": place, "command": command}
        if self._did(f"terminal: {name}", fields, expect):
            self.record["terminal"].setdefault(place, []).append(command)

    def fleet_table(self) -> None:
        self.terminal("aws ec2 describe-instances", FLEET_TABLE, b"DescribeInstances")

    def whoami(self) -> None:
        self.terminal("aws sts (CloudShell)", "aws sts get-caller-identity", b"user/admin")

    def role_from_metadata(self) -> None:
        self.terminal("curl metadata (instance)", ROLE_CREDENTIALS, b"FleetRole", on_instance=True)

    def whoami_on_instance(self) -> None:
        self.terminal("aws sts (instance)", "aws sts get-caller-identity",
                      b"assumed-role/FleetRole/", on_instance=True)  # fmt: skip

    def answer(self, number: int) -> None:
        question = QUESTIONS[number - 1]
        fields = {"action": "answer", "question": question, "option": str(RIGHT[question])}
        right = f"Question {number}: right.".encode()
        if right in (self._post("answer a question", fields, right) or b""):
            self.record["answers"][question] = RIGHT[question]

    def activity(self) -> None:
        self._get("activity log", target="activity")

    def denied_only(self) -> None:
        self._get("activity log: denied only", target="activity", query="?outcome=denied")

    def reload(self) -> None:
        self._get("workspace: page", query=self.query)

    # --- the lesson, then the loop ----------------------------------------------------------

    def _plan(self) -> list[Callable[[], None]]:
        keys = [f"key-{n}" for n in range(1, 11)]
        put = [lambda user=user: self.put_user_policy(user) for user in keys]
        return [
            # 1 watch: run both fleets, look (the log, the fleet in the terminal), check.
            self.run_fleet, self.activity, self.fleet_table, self.check_passes,
            # 2 put-only-role: one new default version of FleetS3Access.
            self.hint, self.hint,
            lambda: self.new_version(PUT_ONLY, default=True),
            self.role_from_metadata, self.whoami_on_instance,
            self.run_fleet, self.denied_only, self.check_passes,
            # 3 put-only-keys: ten user policies, with a check halfway that fails.
            self.hint, *put[:5], self.run_fleet, self.check_fails, *put[5:],
            self.run_fleet, self.activity, self.check_passes,
            # 4 bucket-grant
            self.hint, self.bucket_policy, self.run_fleet, self.check_passes,
            # 5 explicit-deny
            lambda: self.new_version(PUT_AND_DENY_GET, default=True),
            self.run_fleet, self.denied_only, self.check_passes,
            # the questions
            self.reload, lambda: self.answer(1), lambda: self.answer(2),
        ]  # fmt: skip

    def check_passes(self) -> None:
        self.check(passes=True)

    def check_fails(self) -> None:
        self.check(passes=False)

    def _looping(self) -> list[Callable[[], None]]:
        return [
            self.run_fleet,
            lambda: self.new_version(SCRATCH, default=False),
            self.activity,
            self.whoami,
            self.hint,
            self.delete_scratch_version,
            self.check_passes,
            self.reload,
        ]

    @task
    def next_action(self) -> None:
        if self.position < len(self.plan):
            action = self.plan[self.position]
            self.position += 1
        else:
            looping = self._looping()
            action = looping[self.loop % len(looping)]
            self.loop += 1
        action()


class Instructor(FastHttpUser):
    """The class's instructor, signed in, with the live dashboard open (its grid refreshes
    itself every 5 s)."""

    fixed_count = 1
    wait_time = constant(DASHBOARD_SECONDS)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(PlainHttpCookies())
        self.dashboard = f"/teach/{os.environ['LOADTEST_CODE']}/"
        with self.client.get("/accounts/login/", name="instructor: sign-in form", catch_response=True) as response:  # fmt: skip
            token = CSRF_INPUT.search(response.content or b"")
            if response.status_code != 200 or token is None:
                response.failure(f"no sign-in form (status {response.status_code})")
                raise StopUser()
        form = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": os.environ["LOADTEST_INSTRUCTOR"],
            "password": os.environ["LOADTEST_INSTRUCTOR_PASSWORD"],
            "next": self.dashboard,
        }
        with self.client.post("/accounts/login/", data=form, name="instructor: sign in", allow_redirects=False, catch_response=True) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")
                raise StopUser()
        with self.client.get(self.dashboard, name="dashboard: page", catch_response=True) as response:  # fmt: skip
            if response.status_code != 200 or b'id="grid"' not in (response.content or b""):
                response.failure(f"no dashboard (status {response.status_code})")
                raise StopUser()

    @task
    def refresh(self) -> None:
        headers = {"HX-Request": "true", "HX-Target": "grid"}
        with self.client.get(self.dashboard, headers=headers, name="dashboard: grid (polled)", catch_response=True) as response:  # fmt: skip
            if response.status_code != 200 or b'id="grid"' not in (response.content or b""):
                response.failure(f"status {response.status_code}, no grid")
