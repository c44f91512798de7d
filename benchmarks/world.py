"""Benchmarks for the simulated account (issue 3's budgets). Run: `make bench`.

- one World.call (authenticate + authorize + act + record), median, on a warm world: <= 200 us
- a world of 100 instances: to_dict + json.dumps, and json.loads + from_dict: <= 20 ms each
(The fleet tick, <= 100 ms for 100 instances, is benchmarks/fleet_tick.py.)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import World  # noqa: E402


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def bench_call(rounds: int = 2000) -> float:
    world = World.new(seed=1)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": "bench-bucket"})
    params = {"Bucket": "bench-bucket", "Key": "k.txt", "Body": b"hello"}
    for _ in range(200):  # warm up: compiled policies, handler registry, caches
        world.call(admin, "s3", "PutObject", params)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        world.call(admin, "s3", "GetObject", {"Bucket": "bench-bucket", "Key": "k.txt"})
        samples.append(time.perf_counter() - start)
    return _median_us(samples)


def fleet_world(instances: int = 100) -> World:
    """A fleet sharing one role, each instance running an application, after one tick."""
    from simulator.model import AppSpec
    from simulator.services import instances as fleet

    world = World.new(seed=2)
    session = world.session()
    session.client("s3").create_bucket(Bucket="reports")
    iam = session.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
    iam.create_role(RoleName="FleetRole", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="FleetRole", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"}]}))  # fmt: skip
    iam.create_instance_profile(InstanceProfileName="FleetRole")
    iam.add_role_to_instance_profile(InstanceProfileName="FleetRole", RoleName="FleetRole")
    reservation = session.client("ec2").run_instances(
        ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=instances,
        MaxCount=instances, IamInstanceProfile={"Name": "FleetRole"})  # fmt: skip
    app = AppSpec(name="reports", calls=[
        {"service": "s3", "operation": "PutObject",
         "params": {"Bucket": "reports", "Key": "{instance}/{tick}.csv", "Body": "a,b"}},
        {"service": "s3", "operation": "GetObject",
         "params": {"Bucket": "reports", "Key": "{instance}/{tick}.csv"}}])  # fmt: skip
    for instance in reservation["Instances"]:
        fleet.set_app(world, instance["InstanceId"], app)
    fleet.tick(world)
    return world


def bench_serialize(rounds: int = 30) -> tuple[float, float, int]:
    world = fleet_world()
    dump, load = [], []
    text = ""
    for _ in range(rounds):
        start = time.perf_counter()
        text = json.dumps(world.to_dict())
        dump.append(time.perf_counter() - start)
        start = time.perf_counter()
        World.from_dict(json.loads(text))
        load.append(time.perf_counter() - start)
    return statistics.median(dump) * 1e3, statistics.median(load) * 1e3, len(text)


def main() -> None:
    print(f"World.call median: {bench_call():.0f} us (budget 200 us)")
    dump, load, size = bench_serialize()
    print(
        f"100-instance fleet world after a tick: save {dump:.1f} ms, load {load:.1f} ms "
        f"(budget 20 ms each); {size / 1024:.0f} KiB of JSON"
    )


if __name__ == "__main__":
    main()
