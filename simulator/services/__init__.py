"""The simulated AWS services: one module per service, one function per AWS operation.

Each operation is a handler registered with `@operation(service, name)` (account.py): it takes
the `Call` in progress and returns the response dict in botocore's shape, or raises `AwsError`.
It must ask `call.authorize(action, resource, ...)` for every IAM action the operation needs,
in the order AWS checks them, before it changes anything. Importing this package registers
every service's operations; `World` (world.py) does.
"""

from __future__ import annotations

from simulator.account import handler_for, operations
from simulator.services import ec2, iam, imds, instances, s3, ssm, sts

__all__ = ["ec2", "handler_for", "iam", "imds", "instances", "operations", "s3", "ssm", "sts"]
