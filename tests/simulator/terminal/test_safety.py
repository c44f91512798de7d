"""Whatever the learner types, the terminal opens no socket, starts no process and opens no
real file outside Python's own installation (the model: test_stories' socket test)."""

import builtins
import io
import os
import socket
import subprocess
import sys

import pytest

from simulator import terminal
from simulator.terminal import shell

ODD = [
    "cat /etc/passwd ../../../../etc/shadow ~/../../etc/hosts /proc/self/environ",
    "ls / /etc ../../ /proc; ls -la /home",
    "echo x > ../../../tmp/escape; echo y >> /etc/cron.d/x; cat < /etc/passwd",
    "rm -rf / ~ ../../; rm -f /etc/passwd",
    "cd ../../../..; pwd; cd /etc; cat passwd; cd",
    "export PATH=/tmp HOME=/etc; env; unset PATH; echo $HOME $(cat /etc/passwd)",
    "curl http://example.com file:///etc/passwd http://169.254.169.254/latest/meta-data/",
    "curl -o /etc/x -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 1' http://169.254.169.254/latest/api/token",
    "curl ftp://example.com/ gopher://x telnet://localhost:22 file://localhost/etc/hosts",
    "curl --connect-timeout 1 http://127.0.0.1:22/ https://[::1]/ http://10.0.0.1",
    "python3 -c 'import os'; sh -c 'id'; bash; sudo su; /bin/sh; ./run.sh; `id`; $(id)",
    "echo $(curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/)",
    "aws s3 cp file:///etc/passwd s3://reports-bucket/p; aws s3 cp s3://reports-bucket/config/app.json /etc/x",
    "aws iam create-policy --policy-name p --policy-document file:///etc/passwd",
    "aws configure set aws_access_key_id AKIA; aws configure list; aws --version",
    "aws sts get-caller-identity --endpoint-url http://example.com; aws help",
    "cat > ../../../etc/p.json <<'EOF'\n{}\nEOF",
    "history; clear; help; whoami; hostname; mkdir -p /etc/x; rmdir /etc /tmp x",
    "head -n 2 /etc/passwd ../../../etc/hosts; tail -1 /proc/self/environ ~/../../etc/shadow",
]


@pytest.fixture
def guarded(monkeypatch):
    """Fail the test on any socket, process, or real file outside the Python installation."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the terminal reached outside the simulation: {args!r}")

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    for name in dir(os):
        if name == "system" or name.startswith(("exec", "spawn", "posix_spawn", "fork")):
            monkeypatch.setattr(os, name, refuse)
    allowed = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    real_open, real_os_open = builtins.open, os.open

    def checked(path):
        if isinstance(path, int):
            return
        where = os.path.realpath(os.fsdecode(path))
        if not where.startswith(allowed):
            raise AssertionError(f"the terminal opened a real file: {where}")

    def guarded_open(file, *args, **kwargs):
        checked(file)
        return real_open(file, *args, **kwargs)

    def guarded_os_open(path, *args, **kwargs):
        checked(path)
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)


@pytest.mark.parametrize("text", ODD, ids=[t.split()[0] + str(n) for n, t in enumerate(ODD)])
def test_no_command_reaches_the_network_a_process_or_a_real_file(world, web_1, guarded, text):
    for place in terminal.places(world):
        ran = terminal.run(world, place.place_id, text)
        assert isinstance(ran.output, str)
        assert len(ran.output) <= shell.MAX_OUTPUT + 100


def test_every_command_is_exercised_by_the_safety_test():
    typed = " ".join(ODD)
    assert all(name in typed for name in shell.COMMANDS)
