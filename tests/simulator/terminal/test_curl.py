"""curl in the terminal: the metadata service on an instance, nothing else anywhere."""

import json

import pytest

from simulator import terminal
from simulator.terminal.places import find, read_file, write_file
from tests.factories import admin_client

IMDS = "http://169.254.169.254"
CREDENTIALS = f"{IMDS}/latest/meta-data/iam/security-credentials/"
TOKEN = (
    f'TOKEN=$(curl -s -X PUT "{IMDS}/latest/api/token" '
    '-H "X-aws-ec2-metadata-token-ttl-seconds: 21600")'
)


def test_curl_on_web_1_gets_the_roles_temporary_credentials_with_imdsv2(world, web_1):
    terminal.run(world, web_1, TOKEN)
    listed = terminal.run(
        world, web_1, f'curl -s -H "X-aws-ec2-metadata-token: $TOKEN" {CREDENTIALS}'
    )
    assert listed == terminal.Ran("AppRole", 0, False)
    ran = terminal.run(
        world, web_1, f'curl -s -H "X-aws-ec2-metadata-token: $TOKEN" {CREDENTIALS}AppRole'
    )
    document = json.loads(ran.output)
    assert document["Code"] == "Success"
    assert document["AccessKeyId"].startswith("ASIA")
    assert world.state.sessions[document["AccessKeyId"]].delivery == "2.0"


def test_the_aws_docs_one_liner_for_imdsv2_works_as_typed(world, web_1):
    ran = terminal.run(
        world,
        web_1,
        f'{TOKEN} \\\n&& curl -H "X-aws-ec2-metadata-token: $TOKEN" {IMDS}/latest/meta-data/instance-id',
    )
    assert ran == terminal.Ran(web_1, 0, False)


def test_imdsv1_works_until_the_instance_requires_tokens(world, web_1):
    assert terminal.run(world, web_1, f"curl {CREDENTIALS}").output == "AppRole"
    admin_client(world, "ec2").modify_instance_metadata_options(
        InstanceId=web_1, HttpTokens="required"
    )
    refused = terminal.run(world, web_1, f"curl {CREDENTIALS}")
    assert refused.status == 0
    assert "401 - Unauthorized" in refused.output
    failed = terminal.run(world, web_1, f"curl -f {CREDENTIALS}")
    assert failed == terminal.Ran("curl: (22) The requested URL returned error: 401\n", 22, False)
    assert terminal.run(world, web_1, f"curl -sf {CREDENTIALS}") == terminal.Ran("", 22, False)


def test_include_shows_the_status_line_and_headers(world, web_1):
    ran = terminal.run(world, web_1, f"curl -i {IMDS}/latest/meta-data/instance-id")
    head, _, body = ran.output.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Server: EC2ws" in lines
    assert f"Content-Length: {len(web_1)}" in lines
    assert body == web_1
    assert terminal.run(
        world, web_1, f"curl -I {IMDS}/latest/meta-data/instance-id"
    ).output.endswith("Connection: close\n\n")


def test_write_out_prints_the_status_code_and_warns_of_unknown_variables(world, web_1):
    ran = terminal.run(world, web_1, f"curl -s -o /dev/null -w '%{{http_code}}\\n' {IMDS}/nothing")
    assert ran.output == "404\n"
    odd = terminal.run(world, web_1, f"curl -s -o x -w '%{{nope}}%{{method}}' {IMDS}/latest")
    assert odd.output == "GETcurl: unknown --write-out variable: 'nope'\n"


def test_output_option_writes_the_places_file(world, web_1):
    assert (
        terminal.run(world, web_1, f"curl -sS -o id.txt {IMDS}/latest/meta-data/instance-id").output
        == ""
    )
    assert read_file(world, find(world, web_1), "/home/ec2-user/id.txt") == web_1
    denied = terminal.run(world, web_1, f"curl -o /etc/id {IMDS}/latest/meta-data/instance-id")
    assert denied.output == (
        "Warning: Failed to open the file /etc/id: Permission denied\n"
        "curl: (23) Failure writing output to destination\n"
    )
    assert denied.status == 23


def test_laptop_cannot_reach_the_metadata_service(world):
    ran = terminal.run(world, "laptop", f"curl {CREDENTIALS}")
    assert ran.output == (
        "curl: (28) Failed to connect to 169.254.169.254 port 80 after 129674 ms: "
        "Couldn't connect to server\n"
    )
    assert ran.status == 28


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "--connect-timeout 2",
            "Failed to connect to 169.254.169.254 port 80 after 2001 ms: Timeout was reached",
        ),
        ("-m 1.5", "Connection timed out after 1501 milliseconds"),
    ],
)
def test_cloudshell_cannot_reach_the_metadata_service_and_says_so_as_curl_does(
    world, options, message
):
    ran = terminal.run(world, "cloudshell", f"curl {options} {IMDS}/latest/meta-data/")
    assert ran == terminal.Ran(f"curl: (28) {message}\n", 28, False)
    assert terminal.run(world, "cloudshell", f"curl -s {options} {IMDS}/") == terminal.Ran(
        "", 28, False
    )


@pytest.mark.parametrize("place_id", ["laptop", "instance"])
def test_no_place_reaches_the_internet(world, web_1, place_id):
    place_id = web_1 if place_id == "instance" else place_id
    named = terminal.run(world, place_id, "curl -s -S http://example.com/")
    assert named == terminal.Ran("curl: (6) Could not resolve host: example.com\n", 6, False)
    assert terminal.run(world, place_id, "curl https://user@example.com:8443/x").status == 6
    assert terminal.run(world, place_id, "curl --connect-timeout 1 http://10.0.0.1/").status == 28


def test_the_metadata_service_answers_http_on_port_80_only(world, web_1):
    ran = terminal.run(world, web_1, "curl https://169.254.169.254/latest/")
    assert ran == terminal.Ran(
        "curl: (7) Failed to connect to 169.254.169.254 port 443 after 0 ms: Couldn't connect to server\n",
        7,
        False,
    )


def test_file_urls_read_the_places_own_files(world):
    write_file(world, find(world, "laptop"), "/home/you/.aws/credentials", "[default]\n")
    assert (
        terminal.run(world, "laptop", "curl file:///home/you/.aws/credentials").output
        == "[default]\n"
    )
    assert terminal.run(world, "laptop", "curl file:///etc/passwd") == terminal.Ran(
        "curl: (37) Couldn't open file /etc/passwd\n", 37, False
    )


@pytest.mark.parametrize(
    ("args", "output", "status"),
    [
        ("", "curl: try 'curl --help' or 'curl --manual' for more information\n", 2),
        ("--foo", "curl: option --foo: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n", 2),
        ("-X", "curl: option -X: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n", 2),
        ("gopher://x/", 'curl: (1) Protocol "gopher" not supported or disabled in libcurl\n', 1),
        ("http://", "curl: (3) URL using bad/illegal format or missing URL\n", 3),
    ],
    ids=["no-url", "unknown-option", "missing-parameter", "protocol", "no-host"],
)  # fmt: skip
def test_usage_mistakes_answer_as_curl_does(world, args, output, status):
    assert terminal.run(world, "laptop", f"curl {args}") == terminal.Ran(output, status, False)
