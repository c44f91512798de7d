"""Where the learner can be, what each place keeps in the world, and who they are there."""

import json

import pytest

from simulator import AwsError, World, terminal
from simulator.account import CONSOLE_IP, OUTSIDE_IP
from simulator.services import instances
from simulator.terminal.places import MAX_FILE, environment, find, resolve, write_file
from tests.factories import (
    admin_client,
    credentials_file,
    launch,
    trust_policy,
    user_key,
)

ACCOUNT = "111122223333"


def test_places_are_cloudshell_each_running_instance_the_laptop_then_scenario_places(world, web_1):
    (stopped,) = launch(world)
    admin_client(world, "ec2").stop_instances(InstanceIds=[stopped])
    terminal.add_place(world, "launchers-laptop", "launcher's laptop")
    found = terminal.places(world)
    assert [(p.place_id, p.label, p.kind, p.user) for p in found] == [
        ("cloudshell", "CloudShell", "cloudshell", "cloudshell-user"),
        (web_1, f"web-1 ({web_1})", "instance", "ec2-user"),
        ("laptop", "your laptop", "laptop", "you"),
        ("launchers-laptop", "launcher's laptop", "laptop", "you"),
    ]
    assert [p.source_ip for p in found] == [
        CONSOLE_IP,
        instances.source_ip(world, web_1),
        OUTSIDE_IP,
        OUTSIDE_IP,
    ]
    assert found[1].home == "/home/ec2-user"


def test_an_untouched_world_stores_no_place(world, web_1):
    terminal.places(world)
    terminal.transcript(world, "laptop")
    terminal.held_credentials(world)
    assert world.to_dict()["places"] == {}


def test_worlds_saved_before_the_terminal_load_without_places(world):
    saved = world.to_dict()
    del saved["places"]
    loaded = World.from_dict(json.loads(json.dumps(saved)))
    assert loaded.state.places == {}
    assert terminal.run(loaded, "laptop", "pwd").output == "/home/you\n"


def test_a_places_terminal_and_files_survive_saving_and_loading(world, web_1):
    terminal.run(world, "laptop", "export AWS_PROFILE=dev\necho hi > note.txt\ncd /tmp")
    terminal.run(world, web_1, "export X=1")
    again = World.from_dict(json.loads(json.dumps(world.to_dict())))
    assert terminal.transcript(again, "laptop") == terminal.transcript(world, "laptop")
    assert terminal.run(again, "laptop", "cat ~/note.txt; echo $AWS_PROFILE; pwd").output == (
        "hi\ndev\n/tmp\n"
    )
    assert terminal.run(again, web_1, "echo $X").output == "1\n"


def test_adding_a_place_again_keeps_one_place_with_its_files(world):
    key = user_key(world, "launcher", "s3:GetObject")
    files = {"~/.aws/credentials": credentials_file(key)}
    terminal.add_place(world, "launchers-laptop", "launcher's laptop", files=files)
    terminal.add_place(world, "launchers-laptop", "launcher's laptop", files=files)
    assert [p.place_id for p in terminal.places(world)].count("launchers-laptop") == 1
    place = find(world, "launchers-laptop")
    assert resolve(world, place, environment(world, place)) == (
        key,
        "shared credentials file",
    )


@pytest.mark.parametrize("place_id", ["cloudshell", "laptop", "i-0abc", "Has Spaces", ""])
def test_a_scenario_place_cannot_take_a_reserved_or_odd_id(world, place_id):
    with pytest.raises(ValueError, match="place id"):
        terminal.add_place(world, place_id, "x")


def test_a_scenario_places_files_live_in_its_home_and_are_bounded(world):
    with pytest.raises(ValueError, match="~/"):
        terminal.add_place(world, "odd", "odd", files={"/etc/passwd": "root"})
    with pytest.raises(ValueError, match="too large"):
        terminal.add_place(world, "big", "big", files={"~/big": "x" * (MAX_FILE + 1)})


# --- who you are -------------------------------------------------------------------------------


def test_the_laptop_has_no_credentials_until_the_learner_gives_it_some(world):
    laptop = find(world, "laptop")
    assert resolve(world, laptop, environment(world, laptop)) is None
    key = user_key(world, "alice", "s3:GetObject")
    terminal.run(world, "laptop", f"export AWS_ACCESS_KEY_ID={key.access_key_id}")
    terminal.run(world, "laptop", f"export AWS_SECRET_ACCESS_KEY={key.secret_access_key}")
    assert resolve(world, laptop, environment(world, laptop)) == (key, "environment")


def test_an_explicit_profile_ignores_the_environments_keys_as_botocore_does(world):
    env_key = user_key(world, "alice", "s3:GetObject")
    file_key = user_key(world, "bob", "s3:GetObject")
    laptop = find(world, "laptop")
    write_file(
        world, laptop, "/home/you/.aws/credentials", credentials_file(file_key, profile="bob")
    )
    env = {"AWS_ACCESS_KEY_ID": env_key.access_key_id,
           "AWS_SECRET_ACCESS_KEY": env_key.secret_access_key}  # fmt: skip
    assert resolve(world, laptop, env) == (env_key, "environment")
    assert resolve(world, laptop, env, "bob") == (file_key, "shared credentials file")
    with pytest.raises(AwsError, match=r"The config profile \(carol\) could not be found"):
        resolve(world, laptop, env, "carol")


def test_a_role_profile_assumes_the_role_from_the_source_profiles_keys(world):
    iam = admin_client(world, "iam")
    iam.create_role(
        RoleName="Deployer",
        AssumeRolePolicyDocument=trust_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
    )
    laptop = find(world, "laptop")
    write_file(
        world, laptop, "/home/you/.aws/credentials", credentials_file(world.admin_credentials())
    )
    config = (
        "[profile deploy]\n"
        f"role_arn = arn:aws:iam::{ACCOUNT}:role/Deployer\n"
        "source_profile = default\nrole_session_name = learner\n"
    )
    write_file(world, laptop, "/home/you/.aws/config", config)
    credentials, source = resolve(world, laptop, {}, "deploy")
    assert (credentials.access_key_id[:4], source) == ("ASIA", "assume role")
    session = world.state.sessions[credentials.access_key_id]
    assert (session.role_name, session.session_name) == ("Deployer", "learner")


def test_a_role_the_source_may_not_assume_is_sts_access_denied(world):
    alice = user_key(world, "alice", "s3:GetObject")
    admin_client(world, "iam").create_role(
        RoleName="Deployer", AssumeRolePolicyDocument=trust_policy()
    )
    laptop = find(world, "laptop")
    write_file(world, laptop, "/home/you/.aws/credentials", credentials_file(alice))
    write_file(world, laptop, "/home/you/.aws/config",
                     f"[profile deploy]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Deployer\n"
                     "source_profile = default\n")  # fmt: skip
    with pytest.raises(instances.AssumeRoleError) as raised:
        resolve(world, laptop, {}, "deploy")
    assert raised.value.code == "AccessDenied"
    assert raised.value.operation == "AssumeRole"


@pytest.mark.parametrize(
    ("config", "code", "message"),
    [
        ("role_arn = arn:aws:iam::111122223333:role/R\n", "PartialCredentialsError",
         "missing: source_profile or credential_source"),
        ("role_arn = arn:aws:iam::111122223333:role/R\nsource_profile = nobody\n",
         "InvalidConfigError", 'The source_profile "nobody" referenced in the profile "p"'),
        ("credential_process = /bin/sh -c 'cat /etc/passwd'\n", "InvalidConfigError",
         "uses credential_process, which this simulated account does not offer"),
        ("sso_start_url = https://example.com\n", "InvalidConfigError", "uses sso_start_url"),
        ("web_identity_token_file = /etc/passwd\n", "InvalidConfigError",
         "uses web_identity_token_file"),
    ],
    ids=["no-source", "unknown-source", "credential-process", "sso", "web-identity"],
)  # fmt: skip
def test_profiles_the_simulator_cannot_follow_fail_as_botocore_names_them(
    world, config, code, message
):
    laptop = find(world, "laptop")
    write_file(world, laptop, "/home/you/.aws/config", "[profile p]\n" + config)
    with pytest.raises(AwsError) as raised:
        resolve(world, laptop, {}, "p")
    assert raised.value.code == code
    assert message in raised.value.message


def test_cloudshell_is_the_admin_by_its_container_credentials(world):
    cloudshell = find(world, "cloudshell")
    env = environment(world, cloudshell)
    assert env["AWS_REGION"] == world.region
    assert resolve(world, cloudshell, env) == (world.admin_credentials(), "container credentials")


def test_an_instance_shell_is_its_role_and_its_exports_stay_in_that_shell(world, web_1):
    instance = find(world, web_1)
    credentials, source = resolve(world, instance, environment(world, instance))
    assert (credentials.access_key_id[:4], source) == ("ASIA", "instance profile")
    key = user_key(world, "alice", "s3:GetObject")
    terminal.run(world, web_1, f"export AWS_ACCESS_KEY_ID={key.access_key_id} "
                 f"AWS_SECRET_ACCESS_KEY={key.secret_access_key}")  # fmt: skip
    assert resolve(world, instance, environment(world, instance)) == (key, "environment")
    # The application on the instance runs with the instance's own environment, not the shell's.
    assert instances.resolve_credentials(world, web_1)[1] == "instance profile"
    assert world.instance(web_1).env == {}


def test_held_credentials_are_every_places_keys_profiles_and_instance_roles(world, web_1):
    copied = user_key(world, "alice", "s3:GetObject")
    dev = user_key(world, "bob", "s3:GetObject")
    world.write_file(web_1, "~/.aws/credentials", credentials_file(copied))
    terminal.add_place(world, "launchers-laptop", "launcher's laptop",
                       files={"~/.aws/credentials": credentials_file(dev, profile="dev")})  # fmt: skip
    terminal.run(world, "laptop", f"export AWS_ACCESS_KEY_ID={copied.access_key_id}")
    terminal.run(world, "laptop", f"export AWS_SECRET_ACCESS_KEY={copied.secret_access_key}")
    held = {
        (h.place_id, h.source, h.credentials.access_key_id)
        for h in terminal.held_credentials(world)
    }
    role_key = world.instance(web_1).role_credentials
    assert held == {
        (web_1, "~/.aws/credentials [default]", copied.access_key_id),
        (web_1, "instance profile", role_key),
        ("laptop", "environment", copied.access_key_id),
        ("launchers-laptop", "~/.aws/credentials [dev]", dev.access_key_id),
    }
    labels = [h.label for h in terminal.held_credentials(world)]
    assert f"web-1 ({web_1}): instance profile" in labels
