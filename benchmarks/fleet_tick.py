"""Benchmark: one tick of a 100-instance fleet (200 calls) through World.call. Budget: <= 100 ms.

    .venv/bin/python benchmarks/fleet_tick.py [--instances 100] [--rounds 30]

The fleet shares one role (a customer managed policy allowing s3:PutObject and s3:GetObject,
in an instance profile); every instance runs PutObject of reports/<instance>/<tick>.csv and
GetObject of config/app.json. Each tick resolves every instance's credential chain once (env,
files, then the instance profile through the metadata service) and makes every call with
`world.call` from the instance's address, so each call is authenticated, authorized by the
policy engine, performed and recorded. The first tick (which issues the role credentials) is a
warm-up; the clock does not move, so later ticks reuse them, as a running fleet does.

Prints the median and the slowest tick, in milliseconds, for the instance-role fleet and for
the same fleet with keys stored in ~/.aws/credentials (the chain's file path).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import World  # noqa: E402
from simulator.model import AppSpec  # noqa: E402
from simulator.services import instances  # noqa: E402

BUCKET = "fleet-bucket"
BUDGET_MS = 100.0
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
PUT_GET = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": f"arn:aws:s3:::{BUCKET}/*"}
        ],
    }
)  # fmt: skip
APP = AppSpec(
    name="report-writer",
    calls=[
        {"service": "s3", "operation": "PutObject",
         "params": {"Bucket": BUCKET, "Key": "reports/{instance}/{tick}.csv", "Body": "a,b\n"}},
        {"service": "s3", "operation": "GetObject", "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
    ],
)  # fmt: skip


def build_fleet(size: int, *, stored_keys: bool = False) -> World:
    world = World.new(seed=42)
    admin = world.admin_credentials()
    world.call(admin, "s3", "CreateBucket", {"Bucket": BUCKET})
    world.call(
        admin, "s3", "PutObject", {"Bucket": BUCKET, "Key": "config/app.json", "Body": b"{}"}
    )
    world.call(
        admin, "iam", "CreateRole", {"RoleName": "FleetRole", "AssumeRolePolicyDocument": EC2_TRUST}
    )
    policy = world.call(
        admin, "iam", "CreatePolicy", {"PolicyName": "FleetPolicy", "PolicyDocument": PUT_GET}
    )
    world.call(admin, "iam", "AttachRolePolicy",
               {"RoleName": "FleetRole", "PolicyArn": policy["Policy"]["Arn"]})  # fmt: skip
    world.call(admin, "iam", "CreateInstanceProfile", {"InstanceProfileName": "FleetRole"})
    world.call(admin, "iam", "AddRoleToInstanceProfile",
               {"InstanceProfileName": "FleetRole", "RoleName": "FleetRole"})  # fmt: skip
    launched = world.call(admin, "ec2", "RunInstances", {
        "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "MinCount": size,
        "MaxCount": size, "IamInstanceProfile": {"Name": "FleetRole"}})  # fmt: skip
    if stored_keys:
        world.call(admin, "iam", "CreateUser", {"UserName": "fleet-app"})
        world.call(admin, "iam", "PutUserPolicy",
                   {"UserName": "fleet-app", "PolicyName": "s3", "PolicyDocument": PUT_GET})  # fmt: skip
        key = world.call(admin, "iam", "CreateAccessKey", {"UserName": "fleet-app"})["AccessKey"]
        text = (f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
                f"aws_secret_access_key = {key['SecretAccessKey']}\n")  # fmt: skip
    for instance in launched["Instances"]:
        instances.set_app(world, instance["InstanceId"], APP)
        if stored_keys:
            world.write_file(instance["InstanceId"], "~/.aws/credentials", text)
    return world


def bench(size: int, rounds: int, *, stored_keys: bool = False) -> tuple[float, float]:
    world = build_fleet(size, stored_keys=stored_keys)
    results = instances.tick(world)  # warm-up: issues role credentials, compiles policies
    failed = [r for r in results if not r["ok"]]
    if len(results) != 2 * size or failed:
        raise SystemExit(f"the fleet is not healthy: {len(results)} results, failures {failed[:2]}")
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        instances.tick(world)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    calls = 2 * args.instances
    median, worst = bench(args.instances, args.rounds)
    print(f"fleet tick, {args.instances} instances x 2 calls (instance role): "
          f"median {median:.1f} ms, slowest {worst:.1f} ms, {median * 1e3 / calls:.0f} us/call "
          f"(budget {BUDGET_MS:.0f} ms)")  # fmt: skip
    median, worst = bench(args.instances, args.rounds, stored_keys=True)
    print(f"fleet tick, {args.instances} instances x 2 calls (keys in ~/.aws/credentials): "
          f"median {median:.1f} ms, slowest {worst:.1f} ms, {median * 1e3 / calls:.0f} us/call "
          f"(budget {BUDGET_MS:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
