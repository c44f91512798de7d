"""The request context's network and instance keys, as the IAM User Guide's global condition
keys page states their presence (reference_policies_condition-keys.html): instance role
credentials carry aws:Ec2InstanceSourceVpc and aws:Ec2InstanceSourcePrivateIPv4 wherever they
are used; aws:SourceIp is present except through a VPC endpoint; aws:SourceVpc, aws:SourceVpce
and aws:VpcSourceIp only through one."""

import json

import pytest
from botocore.exceptions import ClientError

from simulator import World
from simulator.account import OUTSIDE_IP
from simulator.authenticate import authenticate
from simulator.network import add_endpoint, vpc_id
from simulator.services import instances
from tests.factories import BUCKET, admin_client, bucket_world, instance_role, launch, user_key

# AWS's own example (IAM User Guide, #condition-keys-ec2instancesourceprivateip4): deny
# instance credentials used anywhere but through an endpoint of their VPC, from their address.
PIN_TO_INSTANCE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:Ec2InstanceSourceVpc": "${aws:SourceVpc}"},
                "Null": {"ec2:SourceInstanceARN": "false"},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        },
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:Ec2InstanceSourcePrivateIPv4": "${aws:VpcSourceIp}"},
                "Null": {"ec2:SourceInstanceARN": "false"},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        },
    ],
}


@pytest.fixture
def world() -> World:
    world = bucket_world()
    instance_role(world, "AppRole", "s3:GetObject")
    admin_client(world, "iam").put_role_policy(
        RoleName="AppRole", PolicyName="pin", PolicyDocument=json.dumps(PIN_TO_INSTANCE)
    )
    return world


def _context(world: World, credentials: object, source_ip: str, service: str) -> dict[str, str]:
    caller = authenticate(world.state, credentials, service)  # type: ignore[arg-type]
    raw = world.request_context(caller, source_ip, service)
    return {key.lower(): value for key, value in raw.items()}


def test_deny_on_ec2_instance_source_vpc_mismatch_spares_the_instances_own_calls(world):
    add_endpoint(world.state, "s3")
    (instance_id,) = launch(world, profile="AppRole")
    s3 = world.instance_session(instance_id).client("s3")
    assert s3.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"
    event = world.events[-1]
    instance = world.instance(instance_id)
    assert event["sourceIPAddress"] == instance.private_ip
    assert event["vpcEndpointId"] == world.state.vpc_endpoints["s3"]

    stolen, _ = instances.resolve_credentials(world, instance_id)
    thief = world.session(*stolen, source_ip=OUTSIDE_IP).client("s3")
    with pytest.raises(ClientError) as raised:
        thief.get_object(Bucket=BUCKET, Key="config/app.json")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in str(raised.value)


def test_without_a_vpc_endpoint_the_same_deny_refuses_the_instance_too(world):
    # "denies access to all resources unless the request arrives through a VPC Endpoint in the
    # same VPC as the role credentials" (ibid.): over the internet aws:SourceVpc is absent.
    (instance_id,) = launch(world, profile="AppRole")
    s3 = world.instance_session(instance_id).client("s3")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="config/app.json")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_instance_credentials_carry_their_vpc_and_address_wherever_they_are_used(world):
    (instance_id,) = launch(world, profile="AppRole")
    stolen, _ = instances.resolve_credentials(world, instance_id)
    context = _context(world, stolen, OUTSIDE_IP, "s3")
    assert context["aws:ec2instancesourcevpc"] == vpc_id(world.state)
    assert context["aws:ec2instancesourceprivateipv4"] == world.instance(instance_id).private_ip
    assert context["aws:sourceip"] == OUTSIDE_IP
    assert "aws:sourcevpc" not in context


def test_outside_caller_has_source_ip_and_no_instance_keys(world):
    key = user_key(world, "laptop-user", "s3:GetObject")
    context = _context(world, key, OUTSIDE_IP, "s3")
    assert context["aws:sourceip"] == OUTSIDE_IP
    assert context["aws:viaawsservice"] == "false"
    for absent in ("aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4",
                   "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "aws:calledvia"):  # fmt: skip
        assert absent not in context


def test_a_call_through_an_endpoint_has_source_vpc_and_no_source_ip(world):
    endpoint = add_endpoint(world.state, "s3")
    (instance_id,) = launch(world, profile="AppRole")
    credentials, _ = instances.resolve_credentials(world, instance_id)
    instance = world.instance(instance_id)
    through = _context(world, credentials, instance.public_ip or instance.private_ip, "s3")
    assert through["aws:sourcevpc"] == vpc_id(world.state)
    assert through["aws:sourcevpce"] == endpoint
    assert through["aws:vpcsourceip"] == instance.private_ip
    assert "aws:sourceip" not in through
    # Another service, without an endpoint, is reached over the internet.
    over_internet = _context(world, credentials, instance.public_ip or "", "sts")
    assert "aws:sourcevpc" not in over_internet
    assert over_internet["aws:sourceip"] == instance.public_ip


def test_the_vpc_in_the_keys_is_the_one_describe_instances_shows(world):
    launch(world)
    described = admin_client(world, "ec2").describe_instances()
    assert described["Reservations"][0]["Instances"][0]["VpcId"] == vpc_id(world.state)


def _stolen_call_refused(world: World) -> dict:
    add_endpoint(world.state, "s3")
    (instance_id,) = launch(world, profile="AppRole")
    stolen, _ = instances.resolve_credentials(world, instance_id)
    thief = world.session(*stolen, source_ip=OUTSIDE_IP).client("s3")
    with pytest.raises(ClientError):
        thief.get_object(Bucket=BUCKET, Key="config/app.json")
    return world.events[-1]


def test_the_log_keeps_the_keys_and_the_deny_condition_that_refused_stolen_instance_credentials(
    world,
):
    event = _stolen_call_refused(world)
    decision = event["decision"]
    assert decision["context"]["aws:Ec2InstanceSourceVpc"] == [vpc_id(world.state)]
    assert decision["context"]["aws:SourceVpc"] is None  # from the laptop: no endpoint
    pin = decision["conditions"][0]
    assert pin["label"] == "pin Statement[0]"
    assert pin["effect"] == "Deny"
    assert pin["applies"] is True
    assert pin["checks"][0] == [
        "StringNotEquals aws:Ec2InstanceSourceVpc",
        ["${aws:SourceVpc}"],
        True,
    ]


def test_an_allowed_instance_call_logs_the_keys_its_conditions_tested(world):
    add_endpoint(world.state, "s3")
    (instance_id,) = launch(world, profile="AppRole")
    world.instance_session(instance_id).client("s3").get_object(Bucket=BUCKET, Key="config/app.json")  # fmt: skip
    decision = world.events[-1]["decision"]
    instance = world.instance(instance_id)
    assert decision["response"] == "Allowed"
    assert decision["context"]["aws:SourceVpc"] == [vpc_id(world.state)]
    assert decision["context"]["aws:Ec2InstanceSourcePrivateIPv4"] == [instance.private_ip]
    assert decision["context"]["aws:VpcSourceIp"] == [instance.private_ip]
    assert [c["applies"] for c in decision["conditions"]] == [False, False]


def test_a_call_whose_policies_have_no_conditions_logs_no_context():
    world = bucket_world()
    key = user_key(world, "reader", "s3:GetObject")
    world.session(*key).client("s3").get_object(Bucket=BUCKET, Key="config/app.json")
    assert "context" not in world.events[-1]["decision"]
    assert "conditions" not in world.events[-1]["decision"]


def test_sixty_logged_calls_with_conditions_keep_the_saved_world_small(world):
    _stolen_call_refused(world)
    world.state.events[:] = [world.state.events[-1]] * 60
    assert len(json.dumps(world.to_dict())) < 200_000
