"""Benchmark: the terminal's `aws` (the real AWS CLI v1 in-process). Budget: median <= 50 ms
server time per command on the fleet world; a worker within 250 MB with the CLI loaded.

    .venv/bin/python benchmarks/terminal.py [--rounds 30]

Server time per command, median and slowest of ROUNDS after one warm-up, on the world of
tests/factories.py `fleet` (a bucket, a role in an instance profile, 10 running instances):
`cli.aws` directly, and the same command line through `terminal.run` (the shell, the
transcript and the CLI), plus a curl to the metadata service from an instance, and one
command again once the heap is frozen (gc.freeze, as a warmed worker would). Then the
import time of the CLI (after boto3 and the simulator, as in a worker) and the resident
memory (VmRSS) of a fresh process that set up Django and made one call to each service with
boto3, without and then with the CLI loaded and one `aws` command of each service answered.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench-" + "x" * 50,
                  DJANGO_LOG_LEVEL="WARNING")  # fmt: skip

BUDGET_MS = 50.0
MEMORY_BUDGET_MB = 250
COMMANDS = [
    "aws sts get-caller-identity",
    "aws ec2 describe-instances --query Reservations[].Instances[].[InstanceId,State.Name]",
    "aws s3 ls",
    "aws s3 ls s3://reports-bucket --recursive",
    "aws iam list-users --output table",
    "aws s3 cp s3://reports-bucket/config/app.json -",
    "aws iam get-role --role-name FleetRole --profile nobody",  # an error: ProfileNotFound
]


def fleet_world() -> object:
    import django

    django.setup()
    from tests.factories import bucket_world, fleet

    world = bucket_world()
    fleet(world)
    return world


def timed(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    action()  # warm-up: the first use of each service loads its model
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def commands(rounds: int) -> None:
    import shlex

    from simulator import terminal
    from simulator.terminal import cli
    from simulator.terminal.places import environment, find

    world = fleet_world()
    place = find(world, "cloudshell")
    assert place is not None
    instance = next(iter(world.state.instances))  # type: ignore[attr-defined]
    print(f"aws on the fleet world ({len(world.state.instances)} instances), "  # type: ignore[attr-defined]
          f"{rounds} rounds, ms median / slowest (budget {BUDGET_MS:.0f} ms median):")  # fmt: skip
    for line in COMMANDS:
        argv = shlex.split(line)[1:]
        direct = timed(lambda argv=argv: cli.aws(world, place, argv, environment(world, place)),
                       rounds)  # fmt: skip
        shell = timed(lambda line=line: terminal.run(world, "cloudshell", line), rounds)
        flag = "" if shell[0] <= BUDGET_MS else "  OVER BUDGET"
        print(f"  {line[:70]:<72} cli.aws {direct[0]:5.1f} / {direct[1]:5.1f}   "
              f"terminal.run {shell[0]:5.1f} / {shell[1]:5.1f}{flag}")  # fmt: skip
    curl = "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/FleetRole"
    median, slowest = timed(lambda: terminal.run(world, instance, curl), rounds)
    print(f"  {curl[:70]:<72} terminal.run {median:5.1f} / {slowest:5.1f} (on {instance})")
    # The slowest runs above are full (generation 2) garbage collections of the whole heap;
    # a worker that freezes its warmed-up heap (gc.freeze) does not pay them per command.
    import gc

    gc.collect()
    gc.freeze()
    line = COMMANDS[1]
    median, slowest = timed(lambda: terminal.run(world, "cloudshell", line), rounds)
    print(f"  after gc.freeze(): {line[:50]:<52} terminal.run {median:5.1f} / {slowest:5.1f}")


def import_time() -> None:
    code = (
        "import time, simulator.world; t = time.perf_counter(); "
        "import simulator.terminal.cli; print((time.perf_counter() - t) * 1000)"
    )
    runs = [float(_python(code)) for _ in range(5)]
    print(f"import simulator.terminal.cli after boto3 and the simulator: "
          f"{statistics.median(runs):.0f} ms median of 5 fresh processes")  # fmt: skip


def memory() -> None:
    without = float(_python(_MEMORY.format(cli=False)))
    with_cli = float(_python(_MEMORY.format(cli=True)))
    print(f"resident memory after Django, the fleet world and one call of each service: "
          f"{without:.0f} MB without the CLI, {with_cli:.0f} MB with it and one aws command of "
          f"each service (+{with_cli - without:.0f} MB; worker budget "
          f"{MEMORY_BUDGET_MB} MB)")  # fmt: skip


_MEMORY = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.terminal import fleet_world
world = fleet_world()
import lessons.urls  # the worker's views and their imports
for service, call in (("sts", "get_caller_identity"), ("iam", "list_users"),
                      ("ec2", "describe_instances"), ("s3", "list_buckets")):
    getattr(world.session().client(service), call)()
if {cli}:
    from simulator.terminal import cli
    from simulator.terminal.places import environment, find
    place = find(world, "cloudshell")
    for line in ("sts get-caller-identity", "iam list-users", "ec2 describe-instances",
                 "s3 ls", "s3api list-objects-v2 --bucket reports-bucket"):
        out, err, status = cli.aws(world, place, line.split(), environment(world, place))
        assert status == 0, err
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
""".replace("{root!r}", repr(str(ROOT)))


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    commands(args.rounds)
    import_time()
    memory()


if __name__ == "__main__":
    main()
