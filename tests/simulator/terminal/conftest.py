"""Worlds for the terminal's tests: an instance named web-1 whose role reads the bucket."""

import pytest

from simulator import World
from tests.factories import bucket_world, instance_role, launch

WEB_1 = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}]


@pytest.fixture
def world() -> World:
    return bucket_world()


@pytest.fixture
def web_1(world: World) -> str:
    """A running instance named web-1 with the instance profile AppRole (s3:GetObject)."""
    instance_role(world, "AppRole", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole", TagSpecifications=WEB_1)
    return instance_id
