"""EC2 key pairs (CreateKeyPair, DescribeKeyPairs, DeleteKeyPair) and what RunInstances does
with one; ModifyInstanceMetadataOptions' InstanceMetadataTags and HttpProtocolIpv6 (issue 13,
item 5), driven through boto3."""

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from simulator import World
from tests.factories import admin_client, client_error, launch, policy_text

ACCOUNT = "111122223333"


@pytest.fixture
def world() -> World:
    return World.new(seed=0)


def _user(world: World, *statements: dict[str, Any]) -> Any:
    iam = admin_client(world, "iam")
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=policy_text(*statements))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    return world.session(key["AccessKeyId"], key["SecretAccessKey"]).client("ec2")


def _instance(world: World, instance_id: str) -> dict[str, Any]:
    ec2 = admin_client(world, "ec2")
    (reservation,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservation["Instances"][0]


def test_create_key_pair_returns_a_pem_looking_key_its_fingerprint_and_id(world):
    created = admin_client(world, "ec2").create_key_pair(KeyName="my-key")
    assert created["KeyName"] == "my-key"
    assert created["KeyPairId"].startswith("key-")
    assert len(created["KeyPairId"]) == 21
    material = created["KeyMaterial"].splitlines()
    assert material[0] == "-----BEGIN RSA PRIVATE KEY-----"
    assert material[-1] == "-----END RSA PRIVATE KEY-----"
    base64.b64decode("".join(material[1:-1]), validate=True)
    assert len(created["KeyFingerprint"].split(":")) == 20  # SHA-1, colon-separated hex


def test_key_pairs_are_the_same_in_worlds_with_the_same_seed(world):
    other = World.new(seed=0)
    first = admin_client(world, "ec2").create_key_pair(KeyName="k")
    second = admin_client(other, "ec2").create_key_pair(KeyName="k")
    assert first["KeyMaterial"] == second["KeyMaterial"]
    assert first["KeyFingerprint"] == second["KeyFingerprint"]


def test_a_key_pair_name_can_be_created_only_once(world):
    ec2 = admin_client(world, "ec2")
    ec2.create_key_pair(KeyName="my-key")
    with pytest.raises(ClientError) as duplicate:
        ec2.create_key_pair(KeyName="my-key")
    assert client_error(duplicate)[0] == "InvalidKeyPair.Duplicate"


def test_describe_key_pairs_lists_by_name_id_and_filter_and_refuses_unknown_ones(world):
    ec2 = admin_client(world, "ec2")
    first = ec2.create_key_pair(
        KeyName="a",
        KeyType="ed25519",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "Team", "Value": "x"}]}],
    )
    second = ec2.create_key_pair(KeyName="b")
    assert [p["KeyName"] for p in ec2.describe_key_pairs()["KeyPairs"]] == ["a", "b"]
    (described,) = ec2.describe_key_pairs(KeyNames=["a"])["KeyPairs"]
    assert described["KeyPairId"] == first["KeyPairId"]
    assert described["KeyFingerprint"] == first["KeyFingerprint"]
    assert described["KeyType"] == "ed25519"
    assert described["Tags"] == [{"Key": "Team", "Value": "x"}]
    assert "KeyMaterial" not in described
    by_id = ec2.describe_key_pairs(KeyPairIds=[second["KeyPairId"]])["KeyPairs"]
    assert [p["KeyName"] for p in by_id] == ["b"]
    filtered = ec2.describe_key_pairs(Filters=[{"Name": "tag:Team", "Values": ["x"]}])
    assert [p["KeyName"] for p in filtered["KeyPairs"]] == ["a"]
    with pytest.raises(ClientError) as unknown:
        ec2.describe_key_pairs(KeyNames=["a", "nope"])
    assert client_error(unknown) == (
        "InvalidKeyPair.NotFound",
        "The key pair 'nope' does not exist",
        400,
    )
    with pytest.raises(ClientError) as unknown_id:
        ec2.describe_key_pairs(KeyPairIds=["key-0123456789abcdef0"])
    assert client_error(unknown_id)[0] == "InvalidKeyPair.NotFound"


def test_delete_key_pair_by_name_or_id_removes_it(world):
    ec2 = admin_client(world, "ec2")
    ec2.create_key_pair(KeyName="a")
    second = ec2.create_key_pair(KeyName="b")
    ec2.delete_key_pair(KeyName="a")
    ec2.delete_key_pair(KeyPairId=second["KeyPairId"])
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    ec2.delete_key_pair(KeyName="a")  # a name already gone: succeeds
    with pytest.raises(ClientError) as unknown_id:
        ec2.delete_key_pair(KeyPairId=second["KeyPairId"])
    assert client_error(unknown_id)[0] == "InvalidKeyPair.NotFound"


def test_key_pair_operations_are_authorized_on_the_key_pair_arn(world):
    ec2 = _user(
        world,
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateKeyPair", "ec2:DeleteKeyPair"],
            "Resource": f"arn:aws:ec2:us-east-1:{ACCOUNT}:key-pair/dev-*",
        },
    )
    ec2.create_key_pair(KeyName="dev-key")
    with pytest.raises(ClientError) as other:
        ec2.create_key_pair(KeyName="prod-key")
    code, message, status = client_error(other)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert f"ec2:CreateKeyPair on resource: arn:aws:ec2:us-east-1:{ACCOUNT}:key-pair/prod-key" in (
        message
    )
    with pytest.raises(ClientError) as listing:
        ec2.describe_key_pairs()
    assert client_error(listing)[0] == "UnauthorizedOperation"
    ec2.delete_key_pair(KeyName="dev-key")
    assert world.state.key_pairs == {}


def test_run_instances_accepts_an_existing_key_pair_and_describe_shows_it(world):
    ec2 = admin_client(world, "ec2")
    ec2.create_key_pair(KeyName="my-key")
    (instance_id,) = launch(world, KeyName="my-key")
    assert _instance(world, instance_id)["KeyName"] == "my-key"
    filtered = ec2.describe_instances(Filters=[{"Name": "key-name", "Values": ["my-key"]}])
    assert [i["InstanceId"] for r in filtered["Reservations"] for i in r["Instances"]] == [
        instance_id
    ]
    (without,) = launch(world)
    assert "KeyName" not in _instance(world, without)


def test_modify_metadata_options_keeps_instance_metadata_tags_and_ipv6(world):
    (instance_id,) = launch(world)
    ec2 = admin_client(world, "ec2")
    assert _instance(world, instance_id)["MetadataOptions"]["InstanceMetadataTags"] == "disabled"
    response = ec2.modify_instance_metadata_options(
        InstanceId=instance_id, InstanceMetadataTags="enabled", HttpProtocolIpv6="enabled"
    )
    assert response["InstanceMetadataOptions"]["InstanceMetadataTags"] == "enabled"
    options = _instance(world, instance_id)["MetadataOptions"]
    assert options["InstanceMetadataTags"] == "enabled"
    assert options["HttpProtocolIpv6"] == "enabled"
    with pytest.raises(ClientError) as invalid:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, InstanceMetadataTags="on")
    assert client_error(invalid)[0] == "InvalidParameterValue"


def test_key_pairs_survive_saving_and_a_world_saved_without_them_loads(world):
    admin_client(world, "ec2").create_key_pair(KeyName="k")
    saved = world.to_dict()
    assert list(World.from_dict(saved).state.key_pairs) == ["k"]
    del saved["key_pairs"]
    assert World.from_dict(saved).state.key_pairs == {}
