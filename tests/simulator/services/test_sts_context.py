"""What AssumeRole's parameters put in the request context (sts:ExternalId, sts:SourceIdentity,
session tags) and what the session then carries (aws:SourceIdentity, aws:PrincipalTag/...)."""

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator import World

ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Worker"


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(actions: list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": actions,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _world(*trust: dict[str, Any], role_policy: dict[str, Any] | None = None) -> World:
    world = World.new()
    iam = world.session().client("iam")
    iam.create_role(
        RoleName="Worker",
        AssumeRolePolicyDocument=_document(*trust),
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    if role_policy is not None:
        iam.put_role_policy(
            RoleName="Worker", PolicyName="Work", PolicyDocument=_document(role_policy)
        )
    return world


def _as_session(world: World, answer: dict[str, Any]) -> boto3.Session:
    credentials = answer["Credentials"]
    return world.session(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )


def _list_buckets_when(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": "s3:ListAllMyBuckets",
        "Resource": "*",
        "Condition": condition,
    }


# --- sts:ExternalId -----------------------------------------------------------------------------


def test_a_trust_policy_requiring_an_external_id_lets_in_a_caller_who_gives_it() -> None:
    world = _world(_trust(["sts:AssumeRole"], {"StringEquals": {"sts:ExternalId": "Ext-1"}}))
    sts = world.session().client("sts")

    answer = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="job", ExternalId="Ext-1")

    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Worker/job")
    assert world.events[-1]["decision"]["context"] == {"sts:ExternalId": ["Ext-1"]}


@pytest.mark.parametrize("extra", [{}, {"ExternalId": "Ext-2"}], ids=["missing", "wrong"])
def test_a_trust_policy_requiring_an_external_id_refuses_a_missing_or_wrong_one(
    extra: dict[str, str],
) -> None:
    world = _world(_trust(["sts:AssumeRole"], {"StringEquals": {"sts:ExternalId": "Ext-1"}}))

    with pytest.raises(ClientError) as caught:
        world.session().client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="job", **extra)

    assert caught.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/admin is not authorized to perform: sts:AssumeRole "
        f"on resource: {ROLE_ARN}"
    )


def test_an_external_id_outside_stss_pattern_is_a_validation_error() -> None:
    world = _world(_trust(["sts:AssumeRole"]))

    with pytest.raises(ClientError) as caught:
        world.session().client("sts").assume_role(
            RoleArn=ROLE_ARN, RoleSessionName="job", ExternalId="has space"
        )

    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "at 'externalId' failed to satisfy constraint" in error["Message"]


# --- source identity ----------------------------------------------------------------------------


def test_setting_a_source_identity_needs_sts_set_source_identity_in_the_trust_policy() -> None:
    world = _world(_trust(["sts:AssumeRole"]))

    with pytest.raises(ClientError) as caught:
        world.session().client("sts").assume_role(
            RoleArn=ROLE_ARN, RoleSessionName="job", SourceIdentity="DiegoRamirez"
        )

    assert "sts:SetSourceIdentity" in caught.value.response["Error"]["Message"]


def test_a_source_identity_is_checked_by_the_trust_and_carried_by_the_session() -> None:
    world = _world(
        _trust(
            ["sts:AssumeRole", "sts:SetSourceIdentity"],
            {"StringEquals": {"sts:SourceIdentity": "DiegoRamirez"}},
        ),
        role_policy=_list_buckets_when({"StringEquals": {"aws:SourceIdentity": "DiegoRamirez"}}),
    )
    sts = world.session().client("sts")

    answer = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="job", SourceIdentity="DiegoRamirez")

    assert answer["SourceIdentity"] == "DiegoRamirez"
    _as_session(world, answer).client("s3").list_buckets()  # allowed by aws:SourceIdentity
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="job", SourceIdentity="Someone")


# --- session tags -------------------------------------------------------------------------------


def test_passing_session_tags_needs_sts_tag_session_in_the_trust_policy() -> None:
    world = _world(_trust(["sts:AssumeRole"]))

    with pytest.raises(ClientError) as caught:
        world.session().client("sts").assume_role(
            RoleArn=ROLE_ARN, RoleSessionName="job", Tags=[{"Key": "Project", "Value": "Unicorn"}]
        )

    assert "sts:TagSession" in caught.value.response["Error"]["Message"]


def test_session_tags_are_request_tags_then_principal_tags_over_the_roles_own() -> None:
    world = _world(
        _trust(["sts:AssumeRole"]),
        _trust(
            ["sts:TagSession"],
            {
                "StringEquals": {"aws:RequestTag/Project": "Unicorn"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "team"]},
            },
        ),
        role_policy=_list_buckets_when(
            {
                "StringEquals": {
                    "aws:PrincipalTag/Project": "Unicorn",
                    "aws:PrincipalTag/team": "red",
                }
            }
        ),
    )
    sts = world.session().client("sts")
    tags = [{"Key": "Project", "Value": "Unicorn"}, {"Key": "team", "Value": "red"}]

    answer = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="job", Tags=tags)

    _as_session(world, answer).client("s3").list_buckets()  # the session's team=red wins
    with pytest.raises(ClientError):
        sts.assume_role(
            RoleArn=ROLE_ARN, RoleSessionName="job", Tags=[{"Key": "Project", "Value": "Other"}]
        )


def test_transitive_session_tags_pass_along_a_role_chain() -> None:
    world = _world(
        _trust(["sts:AssumeRole", "sts:TagSession"]),
        role_policy={"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    )
    iam = world.session().client("iam")
    iam.create_role(
        RoleName="Second",
        AssumeRolePolicyDocument=_document(_trust(["sts:AssumeRole"])),
    )
    iam.put_role_policy(
        RoleName="Second",
        PolicyName="Work",
        PolicyDocument=_document(
            _list_buckets_when({"StringEquals": {"aws:PrincipalTag/Project": "Unicorn"}})
        ),
    )
    first = (
        world.session()
        .client("sts")
        .assume_role(
            RoleArn=ROLE_ARN,
            RoleSessionName="one",
            Tags=[{"Key": "Project", "Value": "Unicorn"}, {"Key": "Desk", "Value": "7"}],
            TransitiveTagKeys=["Project"],
        )
    )

    second = (
        _as_session(world, first)
        .client("sts")
        .assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Second", RoleSessionName="two")
    )

    _as_session(world, second).client("s3").list_buckets()
    session = world.state.sessions[second["Credentials"]["AccessKeyId"]]
    assert session.tags == {"Project": "Unicorn"}
    assert session.transitive_tag_keys == ["Project"]
