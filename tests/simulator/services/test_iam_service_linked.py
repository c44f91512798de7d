"""Service-linked roles for every service the data file lists (simulator/data/
service_linked_roles.json): their AWS names and policies, CustomSuffix as AWS takes or refuses
it, and the deletion-status errors AWS answers (texts recorded against AWS, sources named in
simulator/services/iam.py)."""

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World, aws_managed
from simulator.services import iam as iam_service
from tests.factories import client_error

DATA = Path(iam_service.__file__).resolve().parent.parent / "data" / "service_linked_roles.json"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


@pytest.fixture
def iam(world: World) -> Any:
    return world.session().client("iam")


def test_the_table_covers_the_services_learners_meet_with_a_source_for_each_row():
    rows = json.loads(DATA.read_text())["roles"]
    assert len(rows) >= 60
    for service in (
        "autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "rds.amazonaws.com",
        "ecs.amazonaws.com",
        "eks.amazonaws.com",
        "organizations.amazonaws.com",
        "config.amazonaws.com",
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "inspector2.amazonaws.com",
        "access-analyzer.amazonaws.com",
        "elasticbeanstalk.amazonaws.com",
        "replicator.lambda.amazonaws.com",
        "spot.amazonaws.com",
        "backup.amazonaws.com",
        "ssm.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "events.amazonaws.com",
    ):
        assert service in rows, service
    for service, row in rows.items():
        assert row["source"].startswith("https://"), service
        assert row["role"].startswith("AWSServiceRoleFor"), service


def test_every_policy_the_table_attaches_is_an_aws_service_role_policy_in_the_catalogue():
    for service, (_name, arn, _description) in iam_service.SERVICE_LINKED_ROLES.items():
        entry = aws_managed.entry_named(arn.rsplit("/", 1)[1])
        assert entry is not None, (service, arn)
        assert entry.arn == arn, service


@pytest.mark.parametrize(
    ("service", "name", "policy"),
    [
        (
            "autoscaling.amazonaws.com",
            "AWSServiceRoleForAutoScaling",
            "AutoScalingServiceRolePolicy",
        ),
        (
            "elasticloadbalancing.amazonaws.com",
            "AWSServiceRoleForElasticLoadBalancing",
            "AWSElasticLoadBalancingServiceRolePolicy",
        ),
        (
            "guardduty.amazonaws.com",
            "AWSServiceRoleForAmazonGuardDuty",
            "AmazonGuardDutyServiceRolePolicy",
        ),
        ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot", "AWSEC2SpotServiceRolePolicy"),
    ],
)
def test_a_service_gets_its_aws_role_name_path_and_policy(iam, service, name, policy):
    role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    assert role["RoleName"] == name
    assert role["Path"] == f"/aws-service-role/{service}/"
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [
        {"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}
    ]
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    ]


def test_auto_scaling_takes_a_custom_suffix_and_each_suffix_is_its_own_role(iam):
    role = iam.create_service_linked_role(
        AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web"
    )["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    assert role["Arn"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web"
    )
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    with pytest.raises(ClientError) as taken:
        iam.create_service_linked_role(
            AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web"
        )
    assert client_error(taken) == (
        "InvalidInput",
        "Service role name AWSServiceRoleForAutoScaling_web has been taken in this account, "
        "please try a different suffix.",
        400,
    )


@pytest.mark.parametrize(
    "service", ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com"]
)
def test_most_services_refuse_a_custom_suffix_in_aws_words(iam, service):
    with pytest.raises(ClientError) as refused:
        iam.create_service_linked_role(AWSServiceName=service, CustomSuffix="x")
    assert client_error(refused) == (
        "InvalidInput",
        f"Custom suffix is not allowed for {service}",
        400,
    )


def test_a_service_without_a_service_linked_role_is_invalid_input(iam):
    with pytest.raises(ClientError) as unknown:
        iam.create_service_linked_role(AWSServiceName="example.amazonaws.com")
    assert client_error(unknown)[0] == "InvalidInput"


def test_deletion_status_errors_are_aws_texts(iam):
    with pytest.raises(ClientError) as malformed:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="not-a-task")
    assert client_error(malformed) == ("InvalidInput", "Invalid task id", 400)
    with pytest.raises(ClientError) as unknown:
        iam.get_service_linked_role_deletion_status(
            DeletionTaskId="task/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling/00000000-0000-0000-0000-000000000000"
        )
    assert client_error(unknown) == (
        "NoSuchEntity",
        "Cannot find deletion status for given id.",
        404,
    )
