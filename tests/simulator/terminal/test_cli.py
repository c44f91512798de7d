"""The terminal's `aws`: the real AWS CLI v1 in-process, answered by the world, in a place."""

import json
import socket
import subprocess
import sys

import pytest

from simulator import World
from simulator.account import CONSOLE_IP, OUTSIDE_IP
from simulator.model import PlaceState
from simulator.terminal import cli
from simulator.terminal import places as _places_function  # noqa: F401
from simulator.terminal.places import Place
from tests.factories import (
    BUCKET,
    admin_client,
    bucket_world,
    credentials_file,
    launch,
    user_key,
)

places = sys.modules["simulator.terminal.places"]  # the package's `places` is the function


def aws(world: World, place: Place, *argv: str, stdin: str = "") -> tuple[str, str, int]:
    return cli.aws(world, place, list(argv), places.environment(world, place), stdin)


def laptop(world: World, **env: str) -> Place:
    place = places.find(world, "laptop")
    assert place is not None
    if env:
        world.state.places.setdefault("laptop", PlaceState()).env.update(env)
    return place


def cloudshell(world: World) -> Place:
    place = places.find(world, "cloudshell")
    assert place is not None
    return place


def holding(world: World, place: Place, path: str, text: str) -> None:
    places.write_file(world, place, places.path(world, place, path), text)


def test_copied_key_used_from_the_laptop_is_app_user() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world, AWS_ACCESS_KEY_ID=key.access_key_id,
                   AWS_SECRET_ACCESS_KEY=key.secret_access_key)  # fmt: skip

    out, err, status = aws(world, place, "sts", "get-caller-identity")

    assert (status, err) == (0, "")
    assert json.loads(out)["Arn"] == "arn:aws:iam::111122223333:user/app-user"
    event = world.events[-1]
    assert event["sourceIPAddress"] == OUTSIDE_IP
    assert event["userAgent"].startswith(f"aws-cli/{cli.VERSION} ")
    assert event["userIdentity"]["accessKeyId"] == key.access_key_id


def test_cloudshell_is_the_admin_calling_from_the_console() -> None:
    world = bucket_world()

    out, _, status = aws(world, cloudshell(world), "sts", "get-caller-identity",
                         "--query", "Arn", "--output", "text")  # fmt: skip

    assert (out, status) == ("arn:aws:iam::111122223333:user/admin\n", 0)
    assert world.events[-1]["sourceIPAddress"] == CONSOLE_IP


def test_run_instances_without_count_launches_one_as_the_cli_does() -> None:
    world = bucket_world()

    out, err, status = aws(world, cloudshell(world), "ec2", "run-instances",
                           "--image-id", "ami-0abcdef1234567890", "--instance-type", "t3.micro",
                           "--query", "Instances[].InstanceId", "--output", "text")  # fmt: skip

    assert (err, status) == ("", 0)
    assert out.strip() in world.state.instances
    assert len(world.state.instances) == 1


def test_access_denied_prints_as_the_cli_does_with_status_255() -> None:
    """CLI v1 exits 255 for any error from AWS (clidriver.main; 254 is CLI v2's)."""
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key))

    out, err, status = aws(world, place, "s3api", "put-object", "--bucket", BUCKET, "--key", "x")

    assert (out, status) == ("", 255)
    assert err.startswith(
        "\nAn error occurred (AccessDenied) when calling the PutObject operation: User: "
        "arn:aws:iam::111122223333:user/app-user is not authorized to perform: s3:PutObject"
    )


def test_no_credentials_on_the_laptop_prints_what_the_cli_prints() -> None:
    world = bucket_world()

    out, err, status = aws(world, laptop(world), "s3", "ls")

    assert (out, status) == ("", 255)
    assert err == places.NO_CREDENTIALS + "\n"


def test_a_missing_parameter_prints_usage_with_status_2() -> None:
    world = bucket_world()

    _, err, status = aws(world, cloudshell(world), "iam", "create-user")

    assert status == 2
    assert "usage: aws [options] <command> <subcommand>" in err
    assert err.endswith("aws: error: the following arguments are required: --user-name\n")


def test_s3_ls_lists_buckets_with_their_dates() -> None:
    world = bucket_world()

    out, err, status = aws(world, cloudshell(world), "s3", "ls")

    assert (err, status) == ("", 0)
    assert out == f"{world.now:%Y-%m-%d %H:%M:%S} {BUCKET}\n"


def test_timestamps_are_the_wire_text_the_cli_prints() -> None:
    world = bucket_world()

    out, _, _ = aws(world, cloudshell(world), "iam", "list-users", "--query", "Users[0].CreateDate")

    assert json.loads(out) == f"{world.now:%Y-%m-%dT%H:%M:%S}Z"


def test_output_table_and_text_and_query() -> None:
    world = bucket_world()
    place = cloudshell(world)
    ids = launch(world, 2)

    table, _, _ = aws(world, place, "iam", "list-users", "--output", "table")
    text, _, _ = aws(world, place, "ec2", "describe-instances", "--output", "text",
                     "--query", "Reservations[].Instances[].InstanceId")  # fmt: skip

    assert "|                        ListUsers                       |" in table
    assert sorted(text.split()) == sorted(ids)


def test_profile_from_the_credentials_file() -> None:
    world = bucket_world()
    key = user_key(world, "dev-user", "s3:GetObject")
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key, profile="dev"))

    out, _, status = aws(world, place, "sts", "get-caller-identity", "--profile", "dev")
    _, err, missing = aws(world, place, "sts", "get-caller-identity", "--profile", "prod")

    assert json.loads(out)["Arn"].endswith(":user/dev-user")
    assert status == 0
    assert (err, missing) == ("\nThe config profile (prod) could not be found\n", 255)


def test_credential_process_is_refused() -> None:
    world = bucket_world()
    place = laptop(world)
    holding(world, place, "~/.aws/config", "[default]\ncredential_process = /bin/creds\n")

    out, err, status = aws(world, place, "sts", "get-caller-identity")

    assert (out, status) == ("", 255)
    assert "credential_process" in err
    assert "Traceback" not in err


def test_assume_role_profile_calls_sts_assume_role() -> None:
    world = bucket_world()
    key = user_key(world, "launcher", "s3:GetObject")
    iam = admin_client(world, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": "arn:aws:iam::111122223333:user/launcher"}}]}  # fmt: skip
    iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_user_policy(UserName="launcher", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "*"}]}))  # fmt: skip
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key, profile="launcher"))
    holding(world, place, "~/.aws/config", "[profile deploy]\nsource_profile = launcher\n"
            "role_arn = arn:aws:iam::111122223333:role/Deployer\n")  # fmt: skip

    out, err, status = aws(world, place, "sts", "get-caller-identity", "--profile", "deploy")

    assert (err, status) == ("", 0)
    assert ":assumed-role/Deployer/" in json.loads(out)["Arn"]
    assert [e["eventName"] for e in world.events[-2:]] == ["AssumeRole", "GetCallerIdentity"]


def test_configure_set_writes_the_places_files_and_get_reads_them() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world)

    for name, value in (("aws_access_key_id", key.access_key_id),
                        ("aws_secret_access_key", key.secret_access_key),
                        ("region", "us-east-1")):  # fmt: skip
        assert aws(world, place, "configure", "set", name, value) == ("", "", 0)
    got, _, _ = aws(world, place, "configure", "get", "region")
    listed, _, _ = aws(world, place, "configure", "list")
    out, _, _ = aws(world, place, "sts", "get-caller-identity", "--query", "Arn")

    credentials = places.read_file(world, place, "/home/you/.aws/credentials")
    assert credentials is not None
    assert key.access_key_id in credentials
    assert places.read_file(world, place, "/home/you/.aws/config") == (
        "[default]\nregion = us-east-1\n"
    )
    assert got == "us-east-1\n"
    assert "shared-credentials-file" in listed or "shared credentials file" in listed
    assert json.loads(out).endswith(":user/app-user")


def test_interactive_configure_reads_its_answers_from_stdin() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world)

    out, _, status = aws(world, place, "configure",
                         stdin=f"{key.access_key_id}\n{key.secret_access_key}\nus-east-1\njson\n")  # fmt: skip

    assert status == 0
    assert "AWS Access Key ID [None]: " in out
    assert places.read_file(world, place, "/home/you/.aws/config") == (
        "[default]\nregion = us-east-1\noutput = json\n"
    )


def test_interactive_configure_without_answers_explains_configure_set() -> None:
    world = bucket_world()

    _, err, status = aws(world, laptop(world), "configure")

    assert status == 255
    assert "aws configure set aws_access_key_id" in err


def test_file_url_reads_the_places_file() -> None:
    world = bucket_world()
    place = cloudshell(world)
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}  # fmt: skip
    holding(world, place, "p.json", json.dumps(document))

    out, err, status = aws(world, place, "iam", "create-policy", "--policy-name", "list",
                           "--policy-document", "file://p.json")  # fmt: skip
    _, missing, failed = aws(world, place, "iam", "create-policy", "--policy-name", "x",
                             "--policy-document", "file://nope.json")  # fmt: skip

    assert (err, status) == ("", 0)
    assert json.loads(out)["Policy"]["PolicyName"] == "list"
    assert failed == 255
    assert "Unable to load paramfile file://nope.json" in missing


def test_s3_cp_uploads_downloads_and_rm_deletes_in_the_places_files() -> None:
    world = bucket_world()
    place = cloudshell(world)
    holding(world, place, "report.csv", "a,b\n1,2\n")

    up = aws(world, place, "s3", "cp", "report.csv", f"s3://{BUCKET}/reports/")
    shown = aws(world, place, "s3", "cp", f"s3://{BUCKET}/reports/report.csv", "-")
    down = aws(world, place, "s3", "cp", f"s3://{BUCKET}/reports/report.csv", "copy.csv")
    gone = aws(world, place, "s3", "rm", f"s3://{BUCKET}/reports/report.csv")
    made = aws(world, place, "s3", "mb", "s3://new-bucket-for-test")

    assert up == (f"upload: ./report.csv to s3://{BUCKET}/reports/report.csv\n", "", 0)
    assert shown == ("a,b\n1,2\n", "", 0)
    assert down == (f"download: s3://{BUCKET}/reports/report.csv to ./copy.csv\n", "", 0)
    assert places.read_file(world, place, "/home/cloudshell-user/copy.csv") == "a,b\n1,2\n"
    assert gone == (f"delete: s3://{BUCKET}/reports/report.csv\n", "", 0)
    assert made == ("make_bucket: new-bucket-for-test\n", "", 0)
    assert "reports/report.csv" not in world.state.buckets[BUCKET].objects


def test_s3_cp_of_a_forbidden_object_fails_at_head_object_as_the_cli_does() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:PutObject")
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key))

    out, err, status = aws(world, place, "s3", "cp", f"s3://{BUCKET}/config/app.json", ".")

    assert (out, status) == ("", 1)
    assert (
        err
        == "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden\n"
    )


def test_decode_authorization_message_explains_an_ec2_denial() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key))
    _, denied, _ = aws(world, place, "ec2", "run-instances", "--image-id", "ami-0abcdef1234567890",
                       "--instance-type", "t3.micro", "--region", "us-east-1")  # fmt: skip
    encoded = denied.split("Encoded authorization failure message: ")[-1].strip()
    assert encoded in world.state.authorization_messages, denied

    out, err, status = aws(world, cloudshell(world), "sts", "decode-authorization-message",
                           "--encoded-message", encoded, "--query", "DecodedMessage",
                           "--output", "text")  # fmt: skip

    assert (err, status) == ("", 0)
    assert json.loads(out)["context"]["action"] == "ec2:RunInstances"


def test_help_prints_plain_text_and_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess.Popen, "__init__", no_process)
    world = bucket_world()

    out, err, status = aws(world, cloudshell(world), "s3", "help")

    assert (err, status) == ("", 0)
    assert out.startswith("\ns3\n")
    assert "Available Commands" in out


def test_nothing_reaches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was reached")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    world = bucket_world()
    place = cloudshell(world)

    for argv in (["sts", "get-caller-identity"], ["s3", "ls"], ["iam", "list-users"],
                 ["ec2", "describe-instances"], ["s3", "cp", f"s3://{BUCKET}/config/app.json", "-"],
                 ["iam", "create-policy", "--policy-name", "p", "--policy-document",
                  "https://example.com/p.json"]):  # fmt: skip
        _, err, _ = aws(world, place, *argv)
        assert "network was reached" not in err


def test_cli_never_reads_the_servers_aws_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    world = bucket_world()
    key = user_key(world, "server-user", "s3:GetObject")
    home = tmp_path
    (home / ".aws").mkdir()  # type: ignore[operator]
    (home / ".aws" / "credentials").write_text(credentials_file(key))  # type: ignore[operator]
    (home / ".aws" / "config").write_text("[default]\nregion = us-east-1\n")  # type: ignore[operator]
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key.secret_access_key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))  # type: ignore[operator]
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))  # type: ignore[operator]
    monkeypatch.setenv("AWS_PROFILE", "default")
    before = len(world.events)

    out, err, status = aws(world, laptop(world), "sts", "get-caller-identity")
    listed, _, _ = aws(world, laptop(world), "configure", "list")

    assert (out, err, status) == ("", places.NO_CREDENTIALS + "\n", 255)
    assert key.access_key_id[-4:] not in listed
    assert world.events[before:] == []  # no call was made: the server's key was never used


def test_a_command_stops_after_max_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "MAX_CALLS", 1)
    world = bucket_world()

    _, err, status = aws(
        world, cloudshell(world), "s3", "cp", f"s3://{BUCKET}/config/app.json", "-"
    )

    assert status == 255
    assert "stops a command after 1 calls" in err


def test_output_is_cut_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "MAX_OUTPUT", 100)
    world = bucket_world()

    out, _, _ = aws(world, cloudshell(world), "iam", "list-users")

    assert out.endswith("[output cut at 0 KiB]\n") or "output cut" in out
    assert len(out) < 200


def test_debug_is_refused_clearly() -> None:
    world = bucket_world()

    out, err, status = aws(world, cloudshell(world), "sts", "get-caller-identity", "--debug")

    assert (out, status) == ("", 255)
    assert "--debug" in err


def test_a_laptop_without_a_region_is_told_to_configure_one() -> None:
    world = bucket_world()
    key = user_key(world, "app-user", "s3:GetObject")
    place = laptop(world)
    holding(world, place, "~/.aws/credentials", credentials_file(key))

    out, err, status = aws(world, place, "ec2", "describe-instances")

    assert (out, status) == ("", 255)
    assert err == (
        'You must specify a region. You can also configure your region by running "aws configure".\n'
    )


def test_s3api_streaming_body_and_outfile_are_the_places_files() -> None:
    world = bucket_world()
    place = cloudshell(world)
    holding(world, place, "local.txt", "hello")

    put = aws(world, place, "s3api", "put-object", "--bucket", BUCKET, "--key", "k",
              "--body", "local.txt")  # fmt: skip
    got = aws(world, place, "s3api", "get-object", "--bucket", BUCKET, "--key", "k", "out.txt")

    assert (put[2], got[2]) == (0, 0)
    assert places.read_file(world, place, "/home/cloudshell-user/out.txt") == "hello"
    assert json.loads(got[0])["LastModified"] == f"{world.now:%a, %d %b %Y %H:%M:%S} GMT"


def test_s3_rm_recursive_deletes_every_key_under_the_prefix() -> None:
    world = bucket_world()
    place = cloudshell(world)
    aws(world, place, "s3", "cp", f"s3://{BUCKET}/config/app.json", f"s3://{BUCKET}/config/b.json")

    out, err, status = aws(world, place, "s3", "rm", f"s3://{BUCKET}/config/", "--recursive")

    assert (err, status) == ("", 0)
    assert out.splitlines() == [f"delete: s3://{BUCKET}/config/app.json",
                                f"delete: s3://{BUCKET}/config/b.json"]  # fmt: skip
    assert world.state.buckets[BUCKET].objects == {}


def test_version_names_the_cli_not_the_servers_kernel() -> None:
    world = bucket_world()

    out, _, status = aws(world, cloudshell(world), "--version")

    assert status == 0
    assert out.startswith(f"aws-cli/{cli.VERSION} Python/")
    assert out.split()[2] == "Linux"


def test_while_a_command_runs_no_server_file_can_be_opened() -> None:
    with cli._guarded(), pytest.raises(PermissionError):
        open("/etc/hostname")  # noqa: SIM115
    with open(cli.__file__) as outside:  # after the command: the guard is off
        assert outside.readline()


def test_a_usage_error_reads_as_cloudshells_cli_without_v1s_note_about_version_2() -> None:
    world = World.new(seed=0)

    out, err, status = aws(world, cloudshell(world), "sts", "assume-role", "--role-arn")

    assert (out, status) == ("", 2)
    assert err.startswith(
        "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    )
    assert "aws: error: argument --role-arn: expected one argument" in err
    assert "version 2" not in err
    assert "\r" not in err
