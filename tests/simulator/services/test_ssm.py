"""Systems Manager: the agent registers through the instance role; a maintenance window task
without a service role makes Systems Manager create AWSServiceRoleForAmazonSSM, recorded as
the caller's CreateServiceLinkedRole invoked by ssm.amazonaws.com."""

from simulator import World
from simulator.authenticate import authenticate
from simulator.model import AppSpec
from simulator.services import instances
from tests.factories import EC2_TRUST, admin_client, launch

CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AGENT = AppSpec(
    name="amazon-ssm-agent",
    calls=[{"service": "ssm", "operation": "UpdateInstanceInformation",
            "params": {"InstanceId": "{instance}", "AgentName": "amazon-ssm-agent",
                       "AgentVersion": "3.3.0.0"}}],
)  # fmt: skip


def _managed_node() -> tuple[World, str]:
    world = World.new(seed=0)
    iam = admin_client(world, "iam")
    iam.create_role(RoleName="NodeRole", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="NodeRole", PolicyArn=CORE)
    iam.create_instance_profile(InstanceProfileName="NodeRole")
    iam.add_role_to_instance_profile(InstanceProfileName="NodeRole", RoleName="NodeRole")
    (instance_id,) = launch(world, profile="NodeRole")
    instances.set_app(world, instance_id, AGENT)
    return world, instance_id


def test_ssm_agent_registers_through_the_instance_role_on_its_first_tick():
    world, instance_id = _managed_node()
    (result,) = instances.tick(world)
    assert result["ok"], result
    listed = admin_client(world, "ssm").describe_instance_information()
    assert [i["InstanceId"] for i in listed["InstanceInformationList"]] == [instance_id]
    assert "AWSServiceRoleForAmazonSSM" not in world.state.roles  # registration alone: no SLR


def test_maintenance_window_task_without_a_role_creates_the_service_linked_role_as_ssm():
    world, instance_id = _managed_node()
    instances.tick(world)
    ssm = admin_client(world, "ssm")
    window = ssm.create_maintenance_window(
        Name="nightly", Schedule="cron(0 2 ? * * *)", Duration=2, Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]  # fmt: skip
    ssm.register_task_with_maintenance_window(
        WindowId=window, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": [instance_id]}],
    )  # fmt: skip
    role = world.state.roles["AWSServiceRoleForAmazonSSM"]
    assert role.path == "/aws-service-role/ssm.amazonaws.com/"
    assert any(window in arn for arn in role.used_by)
    created = next(e for e in world.events if e["eventName"] == "CreateServiceLinkedRole")
    assert created["userIdentity"]["type"] == "IAMUser"
    assert created["userIdentity"]["userName"] == "admin"
    assert created["userIdentity"]["invokedBy"] == "ssm.amazonaws.com"
    assert created["sourceIPAddress"] == "ssm.amazonaws.com"
    assert created["requestParameters"] == {"AWSServiceName": "ssm.amazonaws.com"}
    # A second task finds the role and creates nothing.
    ssm.register_task_with_maintenance_window(
        WindowId=window, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": [instance_id]}],
    )  # fmt: skip
    assert sum(e["eventName"] == "CreateServiceLinkedRole" for e in world.events) == 1


def test_service_linked_role_creation_on_the_callers_behalf_has_via_aws_service_true():
    world = World.new(seed=0)
    caller = authenticate(world.state, world.admin_credentials(), "iam")
    context = world.request_context(caller, "203.0.113.10", "iam", "ssm.amazonaws.com")
    assert context["aws:ViaAWSService"] == "true"
    assert context["aws:SourceIp"] == "203.0.113.10"  # the caller's, preserved
    assert "aws:CalledVia" not in context  # Systems Manager is not among the services setting it
    direct = world.request_context(caller, "203.0.113.10", "iam")
    assert direct["aws:ViaAWSService"] == "false"
