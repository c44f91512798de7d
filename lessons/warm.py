"""A server process's start: load, once, what its first requests would otherwise load.

`config/wsgi.py` calls `warm_up()` and then freezes everything loaded so far out of the
garbage collector's sight (`gc.freeze()`): a server keeps it all for its life (Django, the
scenarios, the pages' templates, AWS's action catalogue), and every full collection of the
oldest generation scanned it again, about 50 ms a time on the class's 2-core machine, often
enough to be felt in the slowest requests.

The terminal's AWS CLI is loaded here too, not on a learner's first `aws` command: awscli and
botocore imported, the CLI's driver and command tables built, each service's model read.
"""

import json

from django.template.loader import get_template

from lessons import models
from lessons import scenario as scenarios
from lessons.names import name_key
from lessons.terminal import DEFAULT_PLACE
from simulator import terminal
from simulator.boto import param_error
from simulator.iam import PolicyKind
from simulator.iam.findings import validate_policy

TEMPLATES = (
    "lessons/catalogue.html",
    "lessons/workspace.html",
    "lessons/_console.html",
    "lessons/join.html",
    "lessons/dashboard.html",
    "lessons/teach.html",
)
# One `aws` command for each service the scenarios use: run once, in a world thrown away.
TERMINAL_COMMANDS = (
    "aws sts get-caller-identity",
    "aws iam list-users",
    "aws s3 ls",
    "aws ec2 describe-instances --query Reservations[].Instances[].InstanceId --output table",
)
# The services the scenarios use, with an operation of each: the console validates every call
# against botocore's model of it, and findings read each service's action catalogue.
SERVICES = {
    "iam": "ListUsers",
    "s3": "ListBuckets",
    "ec2": "DescribeInstances",
    "sts": "GetCallerIdentity",
}


def warm_up() -> None:
    for name in TEMPLATES:
        get_template(name)
    worlds = [
        scenarios.build_world(scenario, seed=0)[0] for scenario in models.catalogue().values()
    ]
    if worlds:  # the CLI's answers with instances in them, too (their shapes, converted once)
        world = max(worlds, key=lambda each: len(each.state.instances))
        for command in TERMINAL_COMMANDS:
            terminal.run(world, DEFAULT_PLACE, command)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": f"{service}:Get*", "Resource": "*"}
            for service in SERVICES
        ],
    }
    validate_policy(json.dumps(policy), policy_type=PolicyKind.IDENTITY)
    for service, operation in SERVICES.items():
        param_error(service, operation, {})
    name_key("Sam")  # the look-alike table, read once: the first join is not the slow one
