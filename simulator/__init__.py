"""The simulated AWS account: `World` and its errors. Pure Python, no Django.

from simulator import World, AwsError
world = World.new(seed=0)
iam = world.session().client("iam")   # a real botocore client answered in-process
"""

from simulator.authenticate import Credentials
from simulator.errors import AwsError
from simulator.world import World

__all__ = ["AwsError", "Credentials", "World"]
