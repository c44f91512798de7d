"""The activity log's rows are built in Python for speed (lessons.activity.row_html): every
value in them must still be escaped, and the markup must be whole."""

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lessons import activity
from simulator import World
from simulator.account import CONSOLE_IP, OUTSIDE_IP
from simulator.network import add_endpoint, vpc_id
from simulator.services import instances
from simulator.terminal.cli import USER_AGENT
from tests.factories import (
    BUCKET,
    EC2_TRUST,
    admin_client,
    bucket_world,
    instance_role,
    launch,
    trust_policy,
)
from tests.simulator.test_context_keys import PIN_TO_INSTANCE

MARKUP = '<img src=x onerror="alert(1)">&'


def _hostile_event() -> dict[str, Any]:
    """An event whose every string a learner or a policy could have chosen holds markup."""
    return {
        "eventID": "e1" + MARKUP,
        "eventTime": "2026-01-05T09:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject" + MARKUP,
        "sourceIPAddress": "10.0.0.1" + MARKUP,
        "credentialSource": "long-term access key",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/" + MARKUP,
            "accessKeyId": "AKIA" + MARKUP,
            "userName": MARKUP,
        },
        "requestParameters": {"Bucket": "b" + MARKUP, "Key": MARKUP},
        "errorCode": "AccessDenied" + MARKUP,
        "errorMessage": "User: " + MARKUP,
        "decision": {
            "response": "Denied",
            "explanation": "Denied because " + MARKUP,
            "decidedBy": ["Statement[0] of " + MARKUP],
            "results": [
                {
                    "policyType": "identity-based policy" + MARKUP,
                    "outcome": "explicitly denies" + MARKUP,
                    "allows": ["Statement[1] of " + MARKUP],
                    "denies": ["Statement[0] of " + MARKUP],
                    "note": "note " + MARKUP,
                }
            ],
            "statements": [
                {
                    "label": "trust policy Statement[0] " + MARKUP,
                    "effect": "Allow" + MARKUP,
                    "applies": False,
                    "summary": "Statement[0] does not apply: " + MARKUP,
                    "elements": [
                        {
                            "element": "Principal" + MARKUP,
                            "check": "does not match",
                            "detail": "Principal does not name " + MARKUP,
                        },
                    ],
                }
            ],
        },
    }


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag == "img":
            self.problems.append("an <img> got through")
        if any(name.startswith("on") for name, _ in attrs):
            self.problems.append(f"an event handler attribute on <{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")


def test_every_value_in_a_log_row_is_escaped() -> None:
    html = activity.row_html(activity.describe(_hostile_event()))

    parser = _Tags()
    parser.feed(html)

    assert parser.problems == []
    assert parser.open == []  # every element closed
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;") >= 17


def test_a_key_with_a_right_to_left_override_shows_the_override_not_a_reversed_name() -> None:
    """ "report\u202efdp.exe" reads "reportexe.pdf" in a browser: the log shows the code point."""
    world = bucket_world()
    admin_client(world, "s3").put_object(Bucket=BUCKET, Key="report\u202efdp.exe", Body=b"x")

    html = activity.row_html(activity.describe(world.events[-1]))

    assert "report⟨U+202E⟩fdp.exe" in html
    assert "\u202e" not in html


def test_the_cli_in_cloudshell_signs_with_container_credentials_as_the_act_as_list_says():
    world = bucket_world()
    admin = world.admin_credentials()
    world.call(admin, "sts", "GetCallerIdentity", source_ip=CONSOLE_IP, user_agent=USER_AGENT)
    cloudshell = activity.describe(world.events[-1])
    world.call(admin, "sts", "GetCallerIdentity", source_ip=OUTSIDE_IP, user_agent=USER_AGENT)
    laptop = activity.describe(world.events[-1])

    assert cloudshell.credentials == "CloudShell's container credentials"
    assert laptop.credentials == "stored key"  # the admin's key copied to a laptop


def test_a_denied_row_has_its_summary_and_every_part_of_its_explanation() -> None:
    html = activity.row_html(activity.describe(_hostile_event()))

    parser = _Tags()
    parser.feed(html)

    assert parser.seen[:3] == ["li", "details", "summary"]
    assert 'class="event event--denied"' in html
    for heading in ("What AWS answered", "What each policy type said", "The request"):
        assert f'<h3 class="event__subhead">{heading}</h3>' in html
    assert "Identity-based policy" in html  # capitalised, as the table shows it
    assert "(Allow)</li>" in html
    assert "(Deny)</li>" in html
    assert '<time class="event__time" datetime="2026-01-05T09:00:00+00:00">5 Jan 09:00:00</time>' in html  # fmt: skip
    assert "5 Jan 2026, 09:00:00 UTC (simulated)" in html


def test_an_allowed_row_without_a_decision_has_no_empty_sections() -> None:
    event = {
        "eventID": "e2",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/admin",
            "userName": "admin",
        },  # fmt: skip
        "requestParameters": {"UserName": "sam"},
    }

    html = activity.row_html(activity.describe(event))

    assert 'class="event event--allowed"' in html
    assert "✔</span> Allowed" in html
    assert "What AWS answered" not in html
    assert "What each policy type said" not in html
    assert "Decided by" not in html
    assert "<time" not in html


def _untrusting_instance_role_world() -> tuple[World, str]:
    world = World.new(seed=0)
    iam = admin_client(world, "iam")
    iam.create_role(
        RoleName="AppRole",
        AssumeRolePolicyDocument=trust_policy({"Service": "lambda.amazonaws.com"}),
    )
    iam.create_instance_profile(InstanceProfileName="AppRole")
    iam.add_role_to_instance_profile(InstanceProfileName="AppRole", RoleName="AppRole")
    (instance_id,) = launch(world, IamInstanceProfile={"Name": "AppRole"})
    return world, instance_id


def test_ec2_assume_role_event_names_the_service() -> None:
    world, instance_id = _untrusting_instance_role_world()
    admin_client(world, "iam").update_assume_role_policy(
        RoleName="AppRole", PolicyDocument=EC2_TRUST
    )
    world.imds(instance_id, "GET", "/latest/meta-data/iam/security-credentials/AppRole", {})
    (event,) = [e for e in world.events if e["eventName"] == "AssumeRole"]

    row = activity.describe(event)
    html = activity.row_html(row)

    assert row.who == "ec2.amazonaws.com"
    assert "by <code>ec2.amazonaws.com</code> · AWS service" in html
    assert "unknown caller" not in html
    assert "<dt>Caller</dt><dd><code>ec2.amazonaws.com</code>" in html


def test_a_failed_trust_shows_the_statement_that_did_not_match_and_why() -> None:
    world, instance_id = _untrusting_instance_role_world()
    world.imds(instance_id, "GET", "/latest/meta-data/iam/security-credentials/AppRole", {})
    (event,) = [e for e in world.events if e["eventName"] == "AssumeRole"]

    row = activity.describe(event)
    html = activity.row_html(row)

    assert row.denied
    assert row.who == "ec2.amazonaws.com"
    assert "✖</span> AccessDenied" in html
    assert "Why each statement did or did not apply" in html
    assert "<strong>trust policy Statement[0]</strong> (Allow): Statement[0] does not apply" in html
    assert (
        "<code>Principal</code> does not match: Principal does not name ec2.amazonaws.com." in html
    )
    assert "<code>Action</code> matches: Action sts:AssumeRole covers sts:AssumeRole." in html


def _pinned_instance_world() -> tuple[World, str]:
    world = bucket_world()
    instance_role(world, "AppRole", "s3:GetObject")
    admin_client(world, "iam").put_role_policy(
        RoleName="AppRole", PolicyName="pin", PolicyDocument=json.dumps(PIN_TO_INSTANCE)
    )
    add_endpoint(world.state, "s3")
    (instance_id,) = launch(world, profile="AppRole")
    return world, instance_id


def test_stolen_instance_credentials_refused_by_the_vpc_deny_show_the_key_and_the_condition():
    world, instance_id = _pinned_instance_world()
    stolen, _ = instances.resolve_credentials(world, instance_id)
    with pytest.raises(ClientError):
        world.session(*stolen, source_ip=OUTSIDE_IP).client("s3").get_object(
            Bucket=BUCKET, Key="config/app.json"
        )

    html = activity.row_html(activity.describe(world.events[-1]))

    vpc = vpc_id(world.state)
    assert '<h3 class="event__subhead">The request\'s context keys</h3>' in html
    assert f"<dt><code>aws:Ec2InstanceSourceVpc</code></dt><dd><code>{vpc}</code></dd>" in html
    assert (
        "<dt><code>aws:SourceVpc</code></dt><dd>"
        '<span class="muted">absent from the request</span></dd>' in html
    )
    assert "<strong>pin Statement[0]</strong> (Deny): applies" in html
    assert (
        "<code>StringNotEquals aws:Ec2InstanceSourceVpc</code> holds: the request has "
        f"<code>{vpc}</code>; the policy says <code>${{aws:SourceVpc}}</code> (aws:SourceVpc: "
        '<span class="muted">absent from the request</span>).' in html
    )


def test_an_allowed_instance_call_shows_the_context_keys_its_conditions_tested():
    world, instance_id = _pinned_instance_world()
    s3 = world.instance_session(instance_id).client("s3")
    s3.get_object(Bucket=BUCKET, Key="config/app.json")

    html = activity.row_html(activity.describe(world.events[-1]))

    private_ip = world.instance(instance_id).private_ip
    assert 'class="event event--allowed"' in html
    assert f"<dt><code>aws:Ec2InstanceSourcePrivateIPv4</code></dt><dd><code>{private_ip}</code>" in html  # fmt: skip
    assert f"<dt><code>aws:VpcSourceIp</code></dt><dd><code>{private_ip}</code>" in html
    assert "<strong>pin Statement[1]</strong> (Deny): does not apply" in html
    assert "<code>StringNotEquals aws:Ec2InstanceSourcePrivateIPv4</code> does not hold" in html


def test_context_keys_and_conditions_in_a_log_row_are_escaped() -> None:
    event = _hostile_event()
    event["decision"]["context"] = {"aws:PrincipalTag/" + MARKUP: [MARKUP], "aws:SourceVpc": None}
    event["decision"]["conditions"] = [
        {
            "label": "pin " + MARKUP,
            "effect": "Deny" + MARKUP,
            "applies": True,
            "checks": [
                ["StringEquals aws:PrincipalTag/" + MARKUP, ["${aws:SourceVpc}" + MARKUP], True],
                ["Null aws:SourceVpc", ["true"], True, "absent " + MARKUP],
            ],
        }
    ]
    html = activity.row_html(activity.describe(event))

    parser = _Tags()
    parser.feed(html)
    assert parser.problems == []
    assert parser.open == []
    assert "<img" not in html
    assert "Each condition" in html


def test_a_service_linked_role_systems_manager_created_says_it_was_invoked_by_ssm():
    world = World.new()
    ssm = admin_client(world, "ssm")
    window = ssm.create_maintenance_window(
        Name="nightly", Schedule="cron(0 2 ? * * *)", Duration=2, Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]  # fmt: skip
    ssm.register_task_with_maintenance_window(
        WindowId=window, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND"
    )
    (created,) = [e for e in world.events if e["eventName"] == "CreateServiceLinkedRole"]

    html = activity.row_html(activity.describe(created))

    assert "by <code>user/admin</code>" in html
    assert "· invoked by <code>ssm.amazonaws.com</code></span>" in html
    assert "<dt>Source IP</dt><dd><code>ssm.amazonaws.com</code>" in html


def test_an_account_is_named_with_its_id_and_the_learners_as_theirs() -> None:
    world = World.new()
    world.add_account("444455556666", name="vendor")
    world.add_account("777788889999")

    named = [activity.account_words(a, yours=a is world) for a in world.accounts]

    assert named == [
        "your account (111122223333)",
        "account vendor (444455556666)",
        "account 777788889999",
    ]


def test_another_accounts_assume_role_is_logged_by_its_account_in_yours():
    """The role owner's CloudTrail names the other account, not who in it (userIdentity of
    type AWSAccount): the log says "account 444455556666", never "unknown caller"."""
    from tests.factories import trust_policy

    world = World.new()
    world.add_account("444455556666", name="vendor")
    world.session().client("iam").create_role(
        RoleName="VendorAccess",
        AssumeRolePolicyDocument=trust_policy({"AWS": "arn:aws:iam::444455556666:root"}),
    )
    world.session(account="vendor").client("sts").assume_role(
        RoleArn="arn:aws:iam::111122223333:role/VendorAccess", RoleSessionName="vendor"
    )
    (row,) = [row for row in activity.rows(world.events) if row.operation == "AssumeRole"]
    assert row.who == "account 444455556666"


def test_a_maintenance_window_call_names_its_window_and_task() -> None:
    words = activity.target_words(
        "ssm.amazonaws.com", {"WindowId": "mw-0123456789abcdef0", "TaskArn": "AWS-RunPatchBaseline"}
    )

    assert words == "WindowId mw-0123456789abcdef0, TaskArn AWS-RunPatchBaseline"
