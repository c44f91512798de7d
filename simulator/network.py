"""Where a call travels: the default VPC, its VPC endpoints, and the addresses AWS sees.

Every instance sits in the account's one default VPC (its id is the one DescribeInstances
shows). A scenario may route the VPC's calls to a service through a VPC endpoint
(`add_endpoint`); calls to any other service leave through the internet from the instance's
public address. This decides which network condition keys a request carries (IAM User Guide,
reference_policies_condition-keys.html, https://docs.aws.amazon.com/IAM/latest/UserGuide/
reference_policies_condition-keys.html):

- aws:SourceIp — "included in the request context, except when the requester uses a VPC
  endpoint to make the request" (#condition-keys-sourceip);
- aws:SourceVpc, aws:SourceVpce, aws:VpcSourceIp — "included in the request context only if
  the requester uses a VPC endpoint to make the request" (#condition-keys-sourcevpc,
  #condition-keys-sourcevpce, #condition-keys-vpcsourceip).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from simulator.model import State

__all__ = ["Route", "add_endpoint", "route", "vpc_id"]


class Route(NamedTuple):
    """A call that travels through a VPC endpoint."""

    vpc_id: str
    endpoint_id: str
    private_ip: str


def vpc_id(state: State) -> str:
    """The default VPC's id, as DescribeInstances shows it (services/ec2.py's stable id)."""
    return "vpc-" + hashlib.sha256(f"{state.seed}:vpc".encode()).hexdigest()[:17]


def add_endpoint(state: State, service: str) -> str:
    """Route the default VPC's calls to `service` (botocore's name, e.g. "s3") through a VPC
    endpoint; returns its id (vpce- and 17 hex digits, stable for the seed and service)."""
    service = service.lower()
    found = state.vpc_endpoints.get(service)
    if found is None:
        digest = hashlib.sha256(f"{state.seed}:vpce:{service}".encode()).hexdigest()
        found = state.vpc_endpoints[service] = "vpce-" + digest[:17]
    return found


def route(state: State, source_ip: str, service: str) -> Route | None:
    """The endpoint a call from `source_ip` to `service` travels through, or None (internet).

    Only calls from an instance of the account (found by its public or private address) can
    use the VPC's endpoints; a laptop or CloudShell reaches AWS over the internet."""
    endpoint = state.vpc_endpoints.get(service.lower())
    if endpoint is None:
        return None
    for instance in state.instances.values():
        if source_ip in (instance.public_ip, instance.private_ip) and instance.state in (
            "running",
            "pending",
            "stopping",
        ):
            return Route(vpc_id(state), endpoint, instance.private_ip)
    return None
