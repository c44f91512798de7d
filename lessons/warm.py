"""A server process's start: load, once, what its first requests would otherwise load.

`config/wsgi.py` calls `warm_up()` and then freezes everything loaded so far out of the
garbage collector's sight (`gc.freeze()`): a server keeps it all for its life (Django, the
scenarios, the pages' templates, AWS's action catalogue), and every full collection of the
oldest generation scanned it again, about 50 ms a time on the class's 2-core machine, often
enough to be felt in the slowest requests.
"""

import json

from django.template.loader import get_template

from lessons import models
from lessons import scenario as scenarios
from lessons.names import name_key
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
    for scenario in models.catalogue().values():
        scenarios.build_world(scenario, seed=0)
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
