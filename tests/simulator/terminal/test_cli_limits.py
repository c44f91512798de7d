"""The terminal's aws within bounds: --query, waiters, the server's clock and files, and the
audit hook while a command runs."""

import os
import sys
import threading
import time

import pytest

from simulator import terminal
from simulator.terminal import cli


def run(world, text, place_id="cloudshell"):
    return terminal.run(world, place_id, text)


def test_a_query_multiplying_shared_values_stops_with_a_message(world):
    query = "Contents" + "[].[@,@,@,@,@,@,@,@,@,@]" * 6  # 10**6 values per object

    ran = run(world, f"aws s3api list-objects-v2 --bucket reports-bucket --query '{query}'")

    assert (
        ran.output == "\nThis terminal stops a --query that makes a value bigger than 1,000,000.\n"
    )
    assert ran.status == 255


def test_a_query_multiplying_a_string_stops_with_a_message(world):
    query = "'x' " + "| join('', [@,@,@,@,@,@,@,@,@,@]) " * 9
    ran = run(world, f'aws sts get-caller-identity --query "{query}"')
    assert "stops a --query that makes a value bigger" in ran.output


def test_an_ordinary_query_still_answers(world):
    ran = run(world, "aws sts get-caller-identity --query Account --output text")
    assert ran.output == "111122223333\n"


def test_a_waiter_that_never_succeeds_gives_up_without_sleeping(world, web_1, monkeypatch):
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the waiter slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleep)

    ran = run(world, f"aws ec2 wait instance-terminated --instance-ids {web_1}")

    assert ran.output == "\nWaiter InstanceTerminated failed: Max attempts exceeded\n"
    assert ran.status == 255


def test_aws_s3_ls_prints_utc_whatever_the_servers_timezone(world, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        ran = run(world, "aws s3 ls")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert ran.output == "2026-01-05 09:00:00 reports-bucket\n"


@pytest.mark.parametrize(
    ("command", "output", "status"),
    [
        ("aws s3 cp s3://reports-bucket/config/app.json /etc/app.json",
         "download failed: s3://reports-bucket/config/app.json to ../../etc/app.json "
         "[Errno 13] Permission denied: '/etc/app.json'\n", 1),
        ("aws s3api get-object --bucket reports-bucket --key config/app.json /etc/x",
         "\n[Errno 13] Permission denied: '/etc/x'\n", 255),
        ("AWS_CONFIG_FILE=/etc/cfg aws configure set region eu-west-1",
         "\n[Errno 13] Permission denied: '/etc/cfg'\n", 255),
    ],
)  # fmt: skip
def test_aws_writes_outside_home_and_tmp_are_permission_denied(world, command, output, status):
    ran = run(world, command)
    assert (ran.output, ran.status) == (output, status)
    assert run(world, "ls /etc").output == ""


def test_commands_on_the_computers_own_files_are_refused_before_they_look(world):
    answers = {
        run(world, f"aws cloudformation package --template-file {path} --s3-bucket b").output
        for path in ("/etc/hostname", "/nonexistent", "t.yaml")
    }
    assert answers == {
        "aws cloudformation package is not available in this terminal: it works on a real "
        "computer's files, programs or network.\n"
    }


@pytest.mark.parametrize(
    "act",
    [
        lambda: threading.Thread(target=print).start(),
        lambda: os.putenv("ROLECALL_LEAK", "1"),
        lambda: os.open(os.path.join(sys.prefix, "rolecall-x"), os.O_WRONLY | os.O_CREAT),
        lambda: os.listdir("/etc"),
    ],
    ids=["thread", "putenv", "os.open for writing", "listdir"],
)
def test_while_a_command_runs_the_audit_hook_refuses(act):
    with cli._guarded(), pytest.raises(PermissionError):
        act()
    assert not os.path.exists(os.path.join(sys.prefix, "rolecall-x"))


def test_the_audit_hook_lets_other_threads_and_later_code_be(world, tmp_path):
    run(world, "aws --version")
    seen = []
    with cli._guarded():
        pass
    worker = threading.Thread(target=lambda: seen.append((tmp_path / "ok").write_text("ok")))
    worker.start()
    worker.join()
    assert seen == [2]


def test_a_fresh_worker_reads_aws_managed_policies_from_the_terminal():
    """The catalogue is read lazily, from the app's own data files: the first `aws` command of
    a fresh process that needs it (a decision, a policy's document) must not be refused by
    the guard that keeps the server's other files out of reach."""
    import subprocess
    from pathlib import Path

    program = (
        "from simulator import World, terminal\n"
        "world = World.new()\n"
        "ran = terminal.run(world, 'cloudshell', 'aws iam get-policy --policy-arn "
        "arn:aws:iam::aws:policy/ReadOnlyAccess --query Policy.DefaultVersionId --output text')\n"
        "print(ran.status, ran.output.strip())\n"
        "ran = terminal.run(world, 'cloudshell', 'aws iam get-policy-version --policy-arn "
        "arn:aws:iam::aws:policy/ReadOnlyAccess --version-id ' + ran.output.strip() + ' "
        "--query PolicyVersion.Document.Version --output text')\n"
        "print(ran.status, ran.output.strip())\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=root, capture_output=True, text=True, check=True
    )
    policy, document = done.stdout.splitlines()
    assert policy.startswith("0 v"), done.stdout
    assert document == "0 2012-10-17", done.stdout
