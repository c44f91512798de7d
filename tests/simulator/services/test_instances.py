"""Software on instances: the SDK's credential chain there, and the applications they run.

Precedence (iam-facts.md §3): environment > ~/.aws/credentials > ~/.aws/config > instance
profile, so keys stored on an instance win over its role.
"""

import pytest
from botocore.exceptions import ClientError

from simulator import AwsError, World
from simulator.model import AppSpec
from simulator.services import instances
from tests.factories import (
    BUCKET,
    REPORT_WRITER,
    admin_client,
    bucket_world,
    credentials_file,
    instance_role,
    launch,
    user_key,
)

ACCOUNT = "111122223333"


@pytest.fixture
def world() -> World:
    return bucket_world()


# --- the credential chain -----------------------------------------------------------------------


def test_the_instance_role_gives_expiring_asia_credentials_and_the_instance_session(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    session = world.instance_session(instance_id)
    credentials = session.get_credentials().get_frozen_credentials()
    assert credentials.access_key.startswith("ASIA")
    stored = world.state.sessions[credentials.access_key]
    assert stored.source == "InstanceProfile"
    assert stored.instance_id == instance_id
    assert stored.expiration - stored.issued == instances.imds.CREDENTIAL_LIFETIME
    assert world.state.instances[instance_id].role_credentials == credentials.access_key
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{instance_id}"
    assert instances.resolve_credentials(world, instance_id)[1] == "instance profile"


def test_keys_stored_in_the_credentials_file_win_over_the_instance_role(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    key = user_key(world, "app-user", "s3:PutObject")
    (instance_id,) = launch(world, profile="AppRole")
    instances.set_app(world, instance_id, REPORT_WRITER)
    world.write_file(instance_id, "~/.aws/credentials", credentials_file(key))
    results = instances.tick(world)
    assert {r["source"] for r in results} == {"shared credentials file"}
    assert {r["access_key_id"] for r in results} == {key.access_key_id}
    assert [(r["operation"], r["ok"], r["error"]) for r in results] == [
        ("PutObject", True, None),
        ("GetObject", False, "AccessDenied"),
    ]
    arn = world.session(*key).client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:user/app-user"
    world.delete_file(instance_id, "~/.aws/credentials")
    assert {r["source"] for r in instances.tick(world)} == {"instance profile"}


def test_environment_variables_win_over_thecredentials_file(world):
    file_key = user_key(world, "file-user", "s3:GetObject")
    env_key = user_key(world, "env-user", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world)
    world.write_file(instance_id, "~/.aws/credentials", credentials_file(file_key))
    world.set_env(instance_id, "AWS_ACCESS_KEY_ID", env_key.access_key_id)
    world.set_env(instance_id, "AWS_SECRET_ACCESS_KEY", env_key.secret_access_key)
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert (credentials.access_key_id, source) == (env_key.access_key_id, "environment")
    sts = world.instance_session(instance_id).client("sts")
    assert sts.get_caller_identity()["Arn"].endswith(":user/env-user")


def test_an_access_key_without_its_secret_is_partial_credentials(world):
    (instance_id,) = launch(world)
    world.set_env(instance_id, "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(AwsError) as partial:
        instances.resolve_credentials(world, instance_id)
    assert partial.value.code == "PartialCredentialsError"
    assert (
        partial.value.message == "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
    )


def test_a_malformed_credentials_file_breaks_the_sdk_rather_than_being_skipped(world):
    instance_role(world, "AppRole", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    world.write_file(instance_id, "~/.aws/credentials", "aws_access_key_id = AKIA...\n[default\n")
    with pytest.raises(AwsError) as broken:
        instances.resolve_credentials(world, instance_id)
    assert (broken.value.code, broken.value.message) == (
        "ConfigParseError",
        "Unable to parse config file: /home/ec2-user/.aws/credentials",
    )
    instances.set_app(world, instance_id, REPORT_WRITER)
    assert {r["error"] for r in instances.tick(world)} == {"ConfigParseError"}


def test_aws_profile_chooses_the_section_and_the_config_file_comes_after_the_credentials_file(
    world,
):
    first = user_key(world, "first", "s3:GetObject")
    second = user_key(world, "second", "s3:GetObject")
    (instance_id,) = launch(world)
    world.write_file(instance_id, "~/.aws/credentials", credentials_file(first, profile="reports"))
    world.write_file(instance_id, "~/.aws/config",
                     f"[default]\nregion = us-east-1\naws_access_key_id = {second.access_key_id}\n"
                     f"aws_secret_access_key = {second.secret_access_key}\n")  # fmt: skip
    assert instances.resolve_credentials(world, instance_id)[1] == "config file"
    world.set_env(instance_id, "AWS_PROFILE", "reports")
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert (credentials.access_key_id, source) == (first.access_key_id, "shared credentials file")
    world.set_env(instance_id, "AWS_PROFILE", "missing")
    with pytest.raises(AwsError) as missing:
        instances.resolve_credentials(world, instance_id)
    assert missing.value.message == "The config profile (missing) could not be found"


def test_imdsv2_required_still_gives_the_sdk_its_credentials(world):
    instance_role(world, "AppRole", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole", MetadataOptions={"HttpTokens": "required"})
    credentials, source = instances.resolve_credentials(world, instance_id)
    assert source == "instance profile"
    assert world.state.sessions[credentials.access_key_id].delivery == "2.0"
    admin_client(world, "ec2").modify_instance_metadata_options(
        InstanceId=instance_id, HttpEndpoint="disabled"
    )
    assert instances.resolve_credentials(world, instance_id) is None


def test_no_credentials_anywhere(world):
    (instance_id,) = launch(world)
    assert instances.resolve_credentials(world, instance_id) is None
    with pytest.raises(AwsError):
        world.instance_session(instance_id)


# --- rotation and expiry -------------------------------------------------------------------------


def test_role_credentials_rotate_after_an_hour_and_old_ones_expire_after_six(world):
    instance_role(world, "AppRole", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    first = instances.resolve_credentials(world, instance_id)[0]
    world.advance(3600)
    second = instances.resolve_credentials(world, instance_id)[0]
    assert second.access_key_id != first.access_key_id
    old = world.session(*first).client("s3")
    assert old.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"
    world.advance(5 * 3600)
    with pytest.raises(ClientError) as expired:
        old.get_object(Bucket=BUCKET, Key="config/app.json")
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"
    fresh = world.instance_session(instance_id).client("s3")
    assert fresh.get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"


# --- the application ---------------------------------------------------------------------------


def test_tick_substitutes_placeholders_and_calls_from_the_instance_address(world):
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    name_tag = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}
    (instance_id,) = launch(world, profile="AppRole", TagSpecifications=[name_tag])
    instances.set_app(world, instance_id, REPORT_WRITER)
    results = instances.tick(world, ticks=2)
    assert [(r["tick"], r["operation"], r["ok"]) for r in results] == [
        (1, "PutObject", True), (1, "GetObject", True), (2, "PutObject", True), (2, "GetObject", True),
    ]  # fmt: skip
    keys = [o["Key"] for o in admin_client(world, "s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert f"reports/web-1/{instance_id}/2.csv" in keys
    public_ip = world.state.instances[instance_id].public_ip
    assert instances.source_ip(world, instance_id) == public_ip
    put = [e for e in world.events if e["eventName"] == "PutObject"][-1]
    assert put["sourceIPAddress"] == public_ip
    assert (
        put["userIdentity"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{instance_id}"
    )


def test_an_instance_without_a_public_address_calls_from_its_private_one(world):
    (instance_id,) = launch(
        world, NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]
    )
    assert instances.source_ip(world, instance_id) == world.state.instances[instance_id].private_ip


def test_tick_reports_no_credentials_and_skips_instances_that_are_not_running(world):
    first, second = launch(world, count=2)
    for instance_id in (first, second):
        instances.set_app(world, instance_id, REPORT_WRITER)
    admin_client(world, "ec2").stop_instances(InstanceIds=[second])
    events = len(world.events)
    results = instances.tick(world)
    assert {(r["instance"], r["error"]) for r in results} == {(first, "NoCredentials")}
    assert len(world.events) == events, "no credentials, no call reaches AWS"


def test_set_app_refuses_a_malformed_application(world):
    (instance_id,) = launch(world)
    with pytest.raises(ValueError, match="operation"):
        instances.set_app(world, instance_id, AppSpec(name="x", calls=[{"service": "s3"}]))


def test_a_role_attached_to_a_running_instance_then_replaced(world):
    instance_role(world, "FirstRole", "s3:PutObject", "s3:GetObject")
    instance_role(world, "SecondRole", "s3:PutObject")
    (instance_id,) = launch(world)
    instances.set_app(world, instance_id, REPORT_WRITER)
    assert {r["error"] for r in instances.tick(world)} == {"NoCredentials"}

    ec2 = admin_client(world, "ec2")
    association = ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "FirstRole"}, InstanceId=instance_id
    )["IamInstanceProfileAssociation"]
    results = instances.tick(world)
    assert all(r["ok"] and r["source"] == "instance profile" for r in results)
    first_key = results[0]["access_key_id"]
    assert world.events[-1]["userIdentity"]["arn"].endswith(f"assumed-role/FirstRole/{instance_id}")

    ec2.replace_iam_instance_profile_association(
        IamInstanceProfile={"Name": "SecondRole"}, AssociationId=association["AssociationId"]
    )
    results = instances.tick(world)
    assert all(r["ok"] and r["access_key_id"] == first_key for r in results), (
        "the running application's SDK goes on with the first role's cached credentials"
    )
    expiration = world.state.sessions[first_key].expiration
    world.advance((expiration - world.now).total_seconds() - 15 * 60)  # the tick: a minute more
    results = instances.tick(world)
    assert [(r["operation"], r["ok"], r["error"]) for r in results] == [
        ("PutObject", True, None),
        ("GetObject", False, "AccessDenied"),
    ]
    assert world.events[-1]["userIdentity"]["arn"].endswith(
        f"assumed-role/SecondRole/{instance_id}"
    )
    assert results[0]["access_key_id"] != first_key

    # The first role's credentials cannot be revoked: they work until they expire.
    stale = world.state.sessions[first_key]
    old = world.session(stale.access_key_id, stale.secret_access_key, stale.session_token)
    assert old.client("s3").get_object(Bucket=BUCKET, Key="config/app.json")["Body"].read() == b"{}"
    world.advance(6 * 3600)
    with pytest.raises(ClientError) as expired:
        old.client("s3").get_object(Bucket=BUCKET, Key="config/app.json")
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"


# --- the application's SDK caches role credentials, as botocore does -----------------------------


def _app_with_role(world: World) -> tuple[str, str]:
    instance_role(world, "AppRole", "s3:PutObject", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    instances.set_app(world, instance_id, REPORT_WRITER)
    results = instances.tick(world)
    assert all(r["ok"] for r in results)
    return instance_id, results[0]["access_key_id"]


def _disassociate(world: World, instance_id: str) -> None:
    ec2 = admin_client(world, "ec2")
    (association,) = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )["IamInstanceProfileAssociations"]
    ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])


def test_application_keeps_working_on_cached_credentials_after_the_role_is_removed(world):
    instance_id, key = _app_with_role(world)
    _disassociate(world, instance_id)
    world.advance(3600)  # the association is gone; the metadata service has nothing to give
    assert (
        world.imds(instance_id, "GET", "/latest/meta-data/iam/security-credentials/", {})[0] == 404
    )
    with pytest.raises(AwsError) as fresh:
        world.instance_session(instance_id)  # a new process finds nothing
    assert fresh.value.code == "NoCredentialsError"

    results = instances.tick(world)
    assert all(r["ok"] and r["access_key_id"] == key for r in results)
    assert world.state.instances[instance_id].app_credentials == key

    # botocore refreshes 15 minutes before expiry; the refresh finds nothing and fails.
    expiration = world.state.sessions[key].expiration
    world.advance((expiration - world.now).total_seconds() - 16 * 60)
    assert all(r["ok"] for r in instances.tick(world)), "15 minutes left: still cached"
    results = instances.tick(world)  # 14 minutes left: botocore refreshes
    assert {r["error"] for r in results} == {"CredentialRetrievalError"}
    assert results[0]["message"] == (
        "Error when retrieving credentials from iam-role: Credential refresh failed, response "
        "did not contain: access_key, secret_key, token, expiry_time"
    )


def test_application_refreshes_its_credentials_from_the_metadata_service_before_they_expire(
    world,
):
    instance_id, key = _app_with_role(world)
    world.advance(2 * 3600)  # the metadata service has rotated them since; the SDK has not asked
    assert instances.tick(world)[0]["access_key_id"] == key
    expiration = world.state.sessions[key].expiration
    world.advance((expiration - world.now).total_seconds() - 15 * 60)
    results = instances.tick(world)
    assert all(r["ok"] for r in results)
    fresh = results[0]["access_key_id"]
    assert fresh != key
    assert world.state.sessions[fresh].expiration - world.now > instances.ADVISORY_REFRESH


def test_stopping_the_instance_ends_the_application_and_its_cached_credentials(world):
    instance_id, _key = _app_with_role(world)
    _disassociate(world, instance_id)
    ec2 = admin_client(world, "ec2")
    ec2.stop_instances(InstanceIds=[instance_id])
    world.advance(60)
    ec2.start_instances(InstanceIds=[instance_id])
    assert world.state.instances[instance_id].app_credentials is None
    assert {r["error"] for r in instances.tick(world)} == {"NoCredentials"}


def test_a_world_saved_before_the_cache_existed_loads_without_one(world):
    (instance_id,) = launch(world)
    saved = world.to_dict()
    for instance in saved["instances"].values():
        del instance["app_credentials"]
    loaded = World.from_dict(saved)
    assert loaded.state.instances[instance_id].app_credentials is None
