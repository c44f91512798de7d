"""Running a scenario's actions: placeholders name instances and saved values."""

from lessons.scenario.loader import load_scenario
from lessons.scenario.run import build_world, substitute
from simulator.services import instances
from tests.lessons.workspace_scenarios import MINI


def test_placeholders_name_instances_and_saved_values():
    world, variables = build_world(load_scenario(MINI))
    variables["key"] = {"AccessKeyId": "AKIAEXAMPLE"}
    instance_id = next(iter(world.state.instances))
    assert substitute("x/{instance:web-1}/{account}/{var:key.AccessKeyId}", world, variables) == (
        f"x/{instance_id}/111122223333/AKIAEXAMPLE"
    )


def test_the_world_of_a_scenario_ticks_as_the_scenario_says(tmp_path):
    path = tmp_path / "slow.yaml"
    path.write_text(MINI.read_text().replace("steps:\n", "tick_seconds: 300\nsteps:\n", 1))
    world, _ = build_world(load_scenario(path))
    start = world.now
    instances.tick(world)
    assert (world.now - start).total_seconds() == 300


def test_instances_of_a_kind_run_the_scenarios_launch_application(tmp_path):
    fact = (
        "  - launch_app:\n"
        "      image: ami-0abcdef1234567890\n"
        "      tags: {Name: web-2}\n"
        "      name: reports\n"
        "      calls:\n"
        "        - {service: s3, operation: PutObject,"
        " params: {Bucket: reports-bucket, Key: 'r/{name}', Body: x}}\n"
    )
    path = tmp_path / "launch.yaml"
    path.write_text(MINI.read_text().replace("steps:\n", fact + "steps:\n", 1))
    world, _ = build_world(load_scenario(path))
    ec2 = world.session().client("ec2")
    tagged = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-2"}]}
    launched = ec2.run_instances(
        ImageId="ami-0abcdef1234567890",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        IamInstanceProfile={"Name": "AppRole"},
        TagSpecifications=[tagged],
    )["Instances"][0]["InstanceId"]
    results = instances.tick(world, instance_ids=[launched])
    assert [(r["operation"], r["ok"], r["source"]) for r in results] == [
        ("PutObject", True, "instance profile")
    ]
