"""How the console presents what it shows: names in the order people sort them, counts in
words, the fleet's tiles and their words whole (lessons.console.panels, lessons.pictures)."""

from lessons.console.panels import panels
from lessons.names import natural_key
from simulator import World
from tests.factories import admin_client


def test_names_sort_as_people_sort_them():
    names = ["key-10", "Key-2", "key-1", "app", "key-2b"]
    assert sorted(names, key=natural_key) == ["app", "key-1", "Key-2", "key-2b", "key-10"]


def test_console_lists_users_profiles_and_buckets_in_natural_order():
    world = World.new(seed=0)
    iam, s3 = admin_client(world, "iam"), admin_client(world, "s3")
    for number in (10, 2, 1):
        iam.create_user(UserName=f"key-{number}")
        iam.create_instance_profile(InstanceProfileName=f"profile-{number}")
        s3.create_bucket(Bucket=f"bucket-{number}")
    console = panels(world)
    users = [user["name"] for user in console["users"] if user["name"].startswith("key-")]
    assert users == ["key-1", "key-2", "key-10"]
    assert console["profile_names"] == ["profile-1", "profile-2", "profile-10"]
    assert [bucket["name"] for bucket in console["buckets"]] == ["bucket-1", "bucket-2", "bucket-10"]
