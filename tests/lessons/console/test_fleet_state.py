"""The console's instances and fleet tiles tell one story: the role an instance shows is the one
its association gives now, and a fleet tick settles the association (lessons.console.panels)."""

from lessons.console.panels import panels
from simulator.services import instances
from tests.factories import REPORT_WRITER, admin_client, bucket_world, instance_role, launch


def _view(world, instance_id):
    console = panels(world)
    view = next(item for item in console["instances"] if item["id"] == instance_id)
    tile = next(tile for tile in console["tiles"] if tile.instance_id == instance_id)
    return view, tile


def test_a_disassociating_instance_shows_no_role_and_after_the_next_tick_no_profile():
    world = bucket_world()
    instance_role(world, "SyncRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world, profile="SyncRole")
    instances.set_app(world, instance_id, REPORT_WRITER)
    instances.tick(world)
    view, tile = _view(world, instance_id)
    assert view["role_name"] == "SyncRole"
    assert "role: SyncRole" in str(view["toggle"].html)
    assert tile.credentials == "instance profile"

    ec2 = admin_client(world, "ec2")
    association = view["association"].association_id
    ec2.disassociate_iam_instance_profile(AssociationId=association)
    view, _ = _view(world, instance_id)
    assert view["role_name"] is None, "the metadata service no longer serves the role"
    assert "role: none (SyncRole disassociating)" in str(view["toggle"].html)

    instances.tick(world)
    view, tile = _view(world, instance_id)
    assert view["association"] is None
    assert view["role_name"] is None
    assert "role: none" in str(view["toggle"].html)
    assert "disassociating" not in str(view["toggle"].html)
    assert tile.tick == 2, "the tile shows the tick that settled the association"


def test_a_new_association_shows_associating_until_the_next_tick():
    world = bucket_world()
    instance_role(world, "SyncRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world)
    admin_client(world, "ec2").associate_iam_instance_profile(
        IamInstanceProfile={"Name": "SyncRole"}, InstanceId=instance_id
    )
    view, _ = _view(world, instance_id)
    assert view["role_name"] == "SyncRole", "a new association is served at once"
    assert "role: SyncRole (associating)" in str(view["toggle"].html)
    instances.tick(world)
    view, _ = _view(world, instance_id)
    assert view["association"].state == "associated"
    assert "(associating)" not in str(view["toggle"].html)
