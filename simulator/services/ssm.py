"""AWS Systems Manager, as far as the service-linked-role lesson needs it.

- The SSM Agent on an instance registers and reports with UpdateInstanceInformation, signed
  with the instance's role credentials (AmazonSSMManagedInstanceCore allows it); the instance
  is then a managed node (DescribeInstanceInformation).
- A maintenance window task registered without ServiceRoleArn uses the service-linked role
  AWSServiceRoleForAmazonSSM; "If no appropriate service-linked role for Systems Manager
  exists in your account, it is created when you run RegisterTaskWithMaintenanceWindow" (SSM
  API Reference, MaintenanceWindowTask ServiceRoleArn; Systems Manager User Guide,
  using-service-linked-roles-service-action-1.html: "For maintenance windows only, you don't
  need to manually create a service-linked role"). Systems Manager creates it with the
  caller's credentials (the caller needs iam:CreateServiceLinkedRole, IAM User Guide,
  using-service-linked-roles.html#service-linked-role-permissions), so the record is the
  caller's CreateServiceLinkedRole with `invokedBy` ssm.amazonaws.com.

[UNCERTAIN] AWS documents no other trigger: Inventory and Explorer use the role, but the
guide does not say that registering an instance creates it, so here registration does not.
"""

from __future__ import annotations

from typing import Any

from simulator.account import Call, operation
from simulator.authenticate import Credentials
from simulator.clock import iso
from simulator.errors import AwsError

__all__: list[str] = []

SSM = "ssm.amazonaws.com"
SLR = "AWSServiceRoleForAmazonSSM"


def _instance_arn(call: Call, instance_id: str) -> str:
    return f"arn:aws:ec2:{call.world.region}:{call.world.account_id}:instance/{instance_id}"


@operation("ssm", "UpdateInstanceInformation")
def update_instance_information(call: Call) -> dict[str, Any]:
    instance_id = str(call.params["InstanceId"])
    call.authorize("ssm:UpdateInstanceInformation", _instance_arn(call, instance_id))
    if instance_id not in call.state.instances:
        raise AwsError("InvalidInstanceId", "The following supplied instance ids are not valid.")
    call.state.ssm_instances[instance_id] = {
        "AgentName": str(call.params.get("AgentName", "amazon-ssm-agent")),
        "AgentVersion": str(call.params.get("AgentVersion", "")),
        "LastPingDateTime": iso(call.world.now),
    }
    return {}


@operation("ssm", "DescribeInstanceInformation")
def describe_instance_information(call: Call) -> dict[str, Any]:
    call.authorize("ssm:DescribeInstanceInformation", "*")
    listed = []
    for instance_id, info in sorted(call.state.ssm_instances.items()):
        instance = call.state.instances.get(instance_id)
        listed.append({
            "InstanceId": instance_id,
            "PingStatus": "Online" if instance and instance.state == "running" else "ConnectionLost",
            "LastPingDateTime": info["LastPingDateTime"],
            "AgentVersion": info["AgentVersion"],
            "PlatformType": "Linux",
            "ResourceType": "EC2Instance",
            "IPAddress": instance.private_ip if instance else None,
        })  # fmt: skip
    return {"InstanceInformationList": listed}


@operation("ssm", "CreateMaintenanceWindow")
def create_maintenance_window(call: Call) -> dict[str, Any]:
    call.authorize("ssm:CreateMaintenanceWindow", "*")
    window_id = "mw-" + call.new_id("", 17, "0123456789abcdef")
    call.state.ssm_windows[window_id] = {"Name": str(call.params["Name"]), "Tasks": []}
    return {"WindowId": window_id}


@operation("ssm", "RegisterTaskWithMaintenanceWindow")
def register_task_with_maintenance_window(call: Call) -> dict[str, Any]:
    window_id = str(call.params["WindowId"])
    region, account = call.world.region, call.world.account_id
    window_arn = f"arn:aws:ssm:{region}:{account}:maintenancewindow/{window_id}"
    call.authorize("ssm:RegisterTaskWithMaintenanceWindow", window_arn)
    window = call.state.ssm_windows.get(window_id)
    if window is None:
        raise AwsError(
            "DoesNotExistException", f"Maintenance window {window_id} does not exist", 400
        )
    role_arn = call.params.get("ServiceRoleArn")
    if not role_arn:
        role = call.state.roles.get(SLR)
        if role is None:
            _create_service_linked_role(call)
            role = call.state.roles[SLR]
        role_arn = role.arn
        if window_arn not in role.used_by:
            role.used_by.append(window_arn)
    task_id = call.new_id("", 32, "0123456789abcdef")
    task_id = f"{task_id[:8]}-{task_id[8:12]}-{task_id[12:16]}-{task_id[16:20]}-{task_id[20:]}"
    tasks = window["Tasks"]
    assert isinstance(tasks, list)
    tasks.append({"WindowTaskId": task_id, "ServiceRoleArn": role_arn})
    return {"WindowTaskId": task_id}


def _create_service_linked_role(call: Call) -> None:
    """Systems Manager calls IAM with the caller's credentials, on the caller's behalf."""
    caller = call.caller
    state = call.state
    session = caller.session
    if session is not None:
        credentials = Credentials(
            session.access_key_id, session.secret_access_key, session.session_token
        )
    else:
        key = state.access_keys[caller.access_key_id]
        credentials = Credentials(key.access_key_id, key.secret_access_key)
    call.world.call(
        credentials,
        "iam",
        "CreateServiceLinkedRole",
        {"AWSServiceName": SSM},
        source_ip=call.source_ip,
        via_service=SSM,
    )
