"""Running a scenario's actions: placeholders name instances and saved values."""

from lessons.scenario.checks import check_step
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


VENDOR = """
slug: vendor
title: A vendor's role
summary: A vendor's account assumes a role in yours with an external ID.
minutes: 5
setup:
  - add_account: {id: "444455556666", name: vendor}
  - service: iam
    operation: CreateRole
    params:
      RoleName: VendorAccess
      AssumeRolePolicyDocument: >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unicorn-7"}}}]}
  - as: {account: vendor}
    service: iam
    operation: CreateUser
    params: {UserName: vendor-app}
steps:
  - id: look
    title: Look
    text: Look at VendorAccess.
    hints: [It is in IAM.]
    check:
      probes:
        - as: {account: vendor}
          service: sts
          operation: AssumeRole
          params: {RoleArn: "arn:aws:iam::{account}:role/VendorAccess", RoleSessionName: vendor}
          expect: Denied
        - as: {account: vendor}
          service: sts
          operation: AssumeRole
          params: {RoleArn: "arn:aws:iam::{account}:role/VendorAccess", RoleSessionName: vendor,
                   ExternalId: Unicorn-7}
          expect: Allowed
          save: {creds: Credentials}
        - as: {key: creds}
          service: sts
          operation: GetCallerIdentity
          expect: Allowed
      conditions:
        - role_trust: {role: VendorAccess, principal: "444455556666", only: true,
                       requires: {sts:ExternalId: Unicorn-7}}
    explanation: The vendor needs the external ID.
solution:
  look:
    - advance: 60
"""


def test_a_setup_adds_an_account_and_calls_and_probes_act_as_its_admin(tmp_path):
    path = tmp_path / "vendor.yaml"
    path.write_text(VENDOR)
    scenario = load_scenario(path)
    world, variables = build_world(scenario)
    vendor = world.account("vendor")
    assert vendor.account_id == "444455556666"
    assert "vendor-app" in vendor.state.users, "the call ran in the vendor's account"
    assert "vendor-app" not in world.state.users
    result = check_step(world, variables, scenario.steps[0])
    assert [item.detail for item in result.items] == [
        "AccessDenied (a denial), as expected",
        "Allowed, as expected",
        "Allowed, as expected",
        "Role VendorAccess trusts account 444455556666 (and no one else) only with "
        "sts:ExternalId Unicorn-7",
    ]
    assert result.items[0].says.startswith("As the admin of account vendor, sts AssumeRole")
