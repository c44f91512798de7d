"""How the console presents what it shows: names in the order people sort them, counts in
words, the fleet's tiles and their words whole (lessons.console.panels, lessons.pictures,
and the details of a step's checks)."""

import re

from django.template.loader import render_to_string

from lessons.console.panels import Editor, panels
from lessons.names import natural_key
from lessons.pictures import Tile, TileCall, access_graph, draw_fleet, draw_graph
from lessons.scenario.checks import CONDITIONS
from simulator import World
from simulator.iam import PolicyKind
from simulator.iam.findings import validate_policy
from simulator.services import instances
from tests.factories import EC2_TRUST, REPORT_WRITER, admin_client, allow, launch


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
    assert [bucket["name"] for bucket in console["buckets"]] == [
        "bucket-1",
        "bucket-2",
        "bucket-10",
    ]


def _denied_fleet(size: int) -> list[Tile]:
    message = "User: arn:aws:sts::111122223333:assumed-role/FleetRole/{} is not authorized"
    return [
        Tile(f"i-{number:04d}", f"fleet-{number}", "running", tick=3,
             credentials="instance profile",
             calls=(TileCall("PutObject", True),
                    TileCall("GetObject", False, "AccessDenied", message.format(number))))
        for number in range(1, size + 1)
    ]  # fmt: skip


def test_fleet_tiles_show_whole_error_codes():
    tiles = [
        *_denied_fleet(1),
        Tile("i-9", "orphan", "running", tick=3, calls=(TileCall("GetObject", False, "NoCredentials"),)),
        Tile("i-8", "trusting-lambda", "running", tick=3,
             calls=(TileCall("GetObject", False, "AssumeRoleUnauthorizedAccess"),)),
    ]  # fmt: skip
    svg = draw_fleet(tiles).svg
    assert re.search(r">AccessDenied</text>", svg)
    assert re.search(r">NoCredentials</text>", svg)
    assert re.search(r">AssumeRoleUnauthorizedAccess</text>", svg)
    assert "…" not in svg


def test_the_fleet_in_words_groups_identical_outcomes():
    lines = draw_fleet(_denied_fleet(20)).lines
    assert len(lines) == 1
    assert lines[0].startswith("20 instances (fleet-1, fleet-2 … fleet-20)")
    assert "GetObject failed: AccessDenied" in lines[0]


def test_the_fleet_in_words_keeps_different_outcomes_apart():
    tiles = [
        *_denied_fleet(2),
        Tile("i-7", "web-1", "running", tick=3, calls=(TileCall("GetObject", True),)),
    ]
    lines = draw_fleet(tiles).lines
    assert len(lines) == 2
    assert lines[1] == "web-1 (i-7), tick 3: GetObject allowed."


def test_a_long_name_in_the_access_picture_is_drawn_whole_in_a_wide_box():
    world = World.new(seed=0)
    iam = admin_client(world, "iam")
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    iam.put_role_policy(RoleName="AppRole", PolicyName="s3",
                        PolicyDocument=allow("s3:GetObject", resource="arn:aws:s3:::sandbox-data/reports/2026/*"))  # fmt: skip
    svg = draw_graph(access_graph(world)).svg
    assert "sandbox-data/reports/2026/*</text>" in svg
    assert "sandbox-data/repo…" not in svg


def test_check_details_count_in_words_one_tick_one_key():
    world = World.new(seed=0)
    iam = admin_client(world, "iam")
    iam.create_user(UserName="app-user")
    iam.create_access_key(UserName="app-user")
    (instance_id,) = launch(world, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}])  # fmt: skip
    instances.set_app(world, instance_id, REPORT_WRITER)
    instances.tick(world, ticks=1)

    _, ran = CONDITIONS["fleet_ran"](world, {"instance": "web-1", "ticks": 1}, {})
    _, keys = CONDITIONS["user_keys"](world, {"user": "app-user"}, {})

    assert ran == "web-1's application has run 1 tick"
    assert keys.startswith("app-user has 1 access key, 1 active")


def test_a_policy_editor_numbers_its_lines_and_marks_the_line_of_an_error():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "s3:GetObject"}\n  ]\n}'
    editor = Editor(id="e", label="Policy", kind="identity", save="x", text=text,
                    findings=tuple(validate_policy(text, policy_type=PolicyKind.IDENTITY)))  # fmt: skip
    gutter = editor.gutter
    rows = list(range(1, editor.rows + 1))  # the text's lines and the textarea's empty last one
    assert [number for number, _ in gutter] == rows
    assert dict(gutter)[4] == "ERROR"
    assert {mark for number, mark in gutter if number != 4} == {""}

    html = render_to_string(
        "lessons/_console.html#policy-editor", {"editor": editor, "url": "/s/x/"}
    )
    assert '<li class="policy-gutter__error">4</li>' in html
    assert 'aria-hidden="true"' in html.split('<ol class="policy-gutter"')[1].split(">")[0]
    assert '<label for="e-document">Policy</label>' in html


def test_the_fleet_hint_says_how_long_a_tick_is_on_the_simulated_clock():
    world = World.new(seed=0)
    assert panels(world)["tick_text"] == "1 minute"
    world.state.tick_seconds = 90
    assert panels(world)["tick_text"] == "1 minute 30 seconds"


def test_a_fleet_tile_shows_the_simulated_time_of_its_last_run():
    tile = Tile("i-1", "web-1", "running", tick=3, credentials="instance profile",
                calls=(TileCall("GetObject", True, None),), ran_at="09:03 UTC")  # fmt: skip
    picture = draw_fleet([tile])
    assert ">tick 3 at 09:03 UTC</text>" in picture.svg
    assert ">instance role</text>" in picture.svg
    assert picture.lines == ("web-1 (i-1), tick 3 at 09:03 UTC with credentials from the instance profile: GetObject allowed.",)  # fmt: skip
