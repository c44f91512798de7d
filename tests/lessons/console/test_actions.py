"""The console (lessons.console): each form's action goes through AWS as the admin and says how it
went; the panels (lessons.console.panels) show the world, and what was typed, again."""

import json
import re
import shutil
from html import unescape

import pytest
from django.conf import settings
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory

from lessons import actions, models
from lessons import scenario as runner
from lessons.console import actions as console_actions
from lessons.console.panels import dom_id, panels
from lessons.models import Attempt
from lessons.outcome import Outcome
from simulator import World
from simulator.model import AppSpec
from simulator.services import instances
from simulator.services.instances import CREDENTIALS_FILE
from tests.factories import EC2_TRUST, new_learner, self_paced
from tests.lessons.workspace_scenarios import MINI

BUCKET = "reports-bucket"


def _document(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        },
        indent=2,
    )


PUT_GET = _document("s3:PutObject", "s3:GetObject")
PUT_ONLY = _document("s3:PutObject")
APP = AppSpec(
    name="reports",
    calls=[
        {"service": "s3", "operation": "PutObject",
         "params": {"Bucket": BUCKET, "Key": "reports/{instance}/{tick}.csv", "Body": "a,b\n"}},
        {"service": "s3", "operation": "GetObject", "params": {"Bucket": BUCKET, "Key": "config/app.json"}},
    ],
)  # fmt: skip


@pytest.fixture(autouse=True)
def mini_catalogue(tmp_path, settings):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    settings.ROLECALL_SCENARIO_DIR = folder
    models.catalogue.cache_clear()
    yield
    models.catalogue.cache_clear()


# --- factories ---------------------------------------------------------------------------------


def fleet_world(*, size: int = 3, stored_key: bool = False) -> World:
    """A bucket, the customer managed policy ReportsAccess (Put+Get) on role AppRole, the
    instance profile AppRole, and `size` instances running the reports application: with the
    profile, or (stored_key) with the user app-user's key in ~/.aws/credentials."""
    world = World.new(seed=7)
    admin = world.admin_credentials()

    def call(service: str, operation: str, **params: object) -> dict:
        return world.call(admin, service, operation, params)

    call("s3", "CreateBucket", Bucket=BUCKET)
    call("s3", "PutObject", Bucket=BUCKET, Key="config/app.json", Body=b"{}")
    arn = call("iam", "CreatePolicy", PolicyName="ReportsAccess", PolicyDocument=PUT_GET)["Policy"][
        "Arn"
    ]
    call("iam", "CreateRole", RoleName="AppRole", AssumeRolePolicyDocument=EC2_TRUST)
    call("iam", "AttachRolePolicy", RoleName="AppRole", PolicyArn=arn)
    call("iam", "CreateInstanceProfile", InstanceProfileName="AppRole")
    call("iam", "AddRoleToInstanceProfile", InstanceProfileName="AppRole", RoleName="AppRole")
    key = None
    if stored_key:
        call("iam", "CreateUser", UserName="app-user")
        call("iam", "AttachUserPolicy", UserName="app-user", PolicyArn=arn)
        key = call("iam", "CreateAccessKey", UserName="app-user")["AccessKey"]
    for number in range(1, size + 1):
        params: dict = {
            "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"web-{number}"}]}],
        }  # fmt: skip
        if not stored_key:
            params["IamInstanceProfile"] = {"Name": "AppRole"}
        instance_id = world.call(admin, "ec2", "RunInstances", params)["Instances"][0]["InstanceId"]
        instances.set_app(world, instance_id, APP)
        if key is not None:
            world.write_file(
                instance_id,
                CREDENTIALS_FILE,
                f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
                f"aws_secret_access_key = {key['SecretAccessKey']}\n",
            )
    return world


def attempt_with(world: World) -> Attempt:
    return Attempt.objects.create(learner=new_learner(), scenario="mini", world=world.to_dict())


def mini_attempt() -> Attempt:
    return Attempt.start(self_paced(), models.catalogue()["mini"])


def post(attempt: Attempt, action: str, **fields: str) -> Outcome:
    data = QueryDict(mutable=True)
    data["action"] = action
    for name, value in fields.items():
        data[name] = value
    return actions.perform(attempt, data)


def render(attempt: Attempt, outcome: Outcome | None = None, *, open: str = "") -> str:
    """The console as the workspace includes it; `open` is the item whose details are shown."""
    request = RequestFactory().get("/s/mini/", {"open": open} if open else {})
    context = {
        "console": panels(attempt.load_world(), outcome, opened=open, query=request.GET),
        "workspace_url": "/s/mini/",
    }
    return render_to_string("lessons/_console.html", context, request=request)


def instance_ids(attempt: Attempt) -> list[str]:
    world = attempt.load_world()
    return sorted(
        world.state.instances, key=lambda i: world.state.instances[i].tags.get("Name", "")
    )


def policy_arn(attempt: Attempt) -> str:
    return next(iter(attempt.load_world().state.policies))


def tiles_by_name(attempt: Attempt) -> dict[str, dict[str, bool]]:
    fresh = Attempt.objects.get(pk=attempt.pk)  # a new request: no outcome carried over
    tiles = panels(fresh.load_world())["tiles"]
    return {tile.name: {call.operation: call.ok for call in tile.calls} for tile in tiles}


# --- IAM: users and access keys -------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_key_shows_its_secret_once():
    attempt = mini_attempt()
    assert post(attempt, "console-user-create", form="user-new", user_name="alice").ok
    outcome = post(attempt, "console-key-create", user_name="alice")
    world = attempt.load_world()
    key = next(k for k in world.state.access_keys.values() if k.user_name == "alice")
    assert outcome.ok
    assert outcome.status.secret == key.secret_access_key
    assert "only time" in outcome.status.message
    # Not in the panels afterwards, in a new request or even in this one's re-render of the console.
    alice = dom_id("user", "alice")
    assert key.secret_access_key not in render(Attempt.objects.get(pk=attempt.pk), open=alice)
    assert key.access_key_id in render(Attempt.objects.get(pk=attempt.pk), open=alice)


@pytest.mark.django_db
def test_deactivating_the_stored_key_makes_the_application_fail_with_invalid_access_key_id():
    attempt = attempt_with(fleet_world(size=1, stored_key=True))
    assert post(attempt, "console-run-fleet", ticks="1").ok
    assert tiles_by_name(attempt) == {"web-1": {"PutObject": True, "GetObject": True}}
    key_id = next(
        k for k in attempt.load_world().state.access_keys.values() if k.user_name == "app-user"
    ).access_key_id

    outcome = post(
        attempt, "console-key-status", user_name="app-user", access_key_id=key_id, status="Inactive"
    )
    assert outcome.ok, outcome
    post(attempt, "console-run-fleet", ticks="1")

    tile = panels(attempt.load_world())["tiles"][0]
    assert [(call.ok, call.error) for call in tile.calls] == [(False, "InvalidAccessKeyId")] * 2
    assert (
        tile.calls[0].message == "The AWS Access Key Id you provided does not exist in our records."
    )


@pytest.mark.django_db
def test_a_put_only_user_policy_stops_the_stored_key_reading_and_shows_in_the_user_panel():
    attempt = attempt_with(fleet_world(size=1, stored_key=True))
    outcome = post(attempt, "console-user-policy-put", user_name="app-user", policy_name="s3",
                   document=_document("s3:PutObject"))  # fmt: skip
    assert outcome.ok, outcome
    post(attempt, "console-run-fleet", ticks="1")
    # Policies add up: the attached Put+Get policy still allows Get until it is detached.
    assert tiles_by_name(attempt) == {"web-1": {"PutObject": True, "GetObject": True}}
    assert post(
        attempt, "console-user-detach", user_name="app-user", policy_arn=policy_arn(attempt)
    ).ok
    post(attempt, "console-run-fleet", ticks="1")
    assert tiles_by_name(attempt) == {"web-1": {"PutObject": True, "GetObject": False}}
    html = render(attempt, open=dom_id("user", "app-user"))
    assert 'value="console-user-policy-delete"' in html
    assert "Inline policy s3" in html


@pytest.mark.django_db
def test_attaching_a_managed_policy_to_a_user_goes_through_iam():
    attempt = mini_attempt()
    post(attempt, "console-user-create", user_name="reader")
    outcome = post(attempt, "console-user-attach", user_name="reader",
                   policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")  # fmt: skip
    assert outcome.ok, outcome
    assert attempt.load_world().state.users["reader"].attached_policies == [
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    ]


@pytest.mark.django_db
def test_key_last_used_is_shown():
    attempt = attempt_with(fleet_world(size=1, stored_key=True))
    post(attempt, "console-run-fleet", ticks="1")
    html = render(attempt)
    assert "N/A (never used)" not in html.split("app-user")[1].split("</details>")[0]
    user = next(u for u in panels(attempt.load_world())["users"] if u["name"] == "app-user")
    assert user["keys"][0].last_used_service == "s3"
    assert user["keys"][0].last_used_region == "us-east-1"


@pytest.mark.django_db
def test_a_third_key_is_refused_with_aws_text():
    attempt = mini_attempt()
    post(attempt, "console-user-create", user_name="bob")
    post(attempt, "console-key-create", user_name="bob")
    post(attempt, "console-key-create", user_name="bob")
    outcome = post(attempt, "console-key-create", user_name="bob", form="user-bob")
    assert not outcome.ok
    assert outcome.status.error_code == "LimitExceeded"
    assert outcome.status.error_message == "Cannot exceed quota for AccessKeysPerUser: 2"


@pytest.mark.django_db
def test_botocore_validation_errors_come_back_without_calling_aws():
    attempt = mini_attempt()
    events = len(attempt.load_world().events)
    outcome = post(attempt, "console-user-create", form="user-new", user_name="")
    assert not outcome.ok
    assert outcome.status.error_code == "ParamValidationError"
    assert outcome.status.error_message == (
        "Parameter validation failed:\nInvalid length for parameter UserName, value: 0, valid min length: 1"
    )
    assert len(attempt.load_world().events) == events


@pytest.mark.django_db
def test_an_invalid_name_gets_aws_validation_error_and_the_typed_text_is_kept():
    attempt = mini_attempt()
    outcome = post(attempt, "console-user-create", form="user-new", user_name="no spaces allowed")
    assert outcome.status.error_code == "ValidationError"
    assert "Member must satisfy regular expression pattern" in outcome.status.error_message
    assert 'value="no spaces allowed"' in render(attempt, outcome)


@pytest.mark.django_db
def test_an_unknown_action_is_an_outcome_not_an_exception():
    attempt = mini_attempt()
    outcome = post(attempt, "console-no-such-thing")
    assert not outcome.ok
    assert "no action" in outcome.status.message


# --- IAM: roles, service-linked roles, instance profiles --------------------------------------


@pytest.mark.django_db
def test_editing_a_service_linked_role_is_refused_with_unmodifiable_entity():
    attempt = mini_attempt()
    assert post(attempt, "console-slr-create", service="ssm.amazonaws.com").ok
    name = "AWSServiceRoleForAmazonSSM"
    expected = f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"

    for action, fields in [
        ("console-role-trust-update", {"document": EC2_TRUST}),
        ("console-role-policy-put", {"policy_name": "extra", "document": PUT_GET}),
        ("console-role-attach", {"policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
        (
            "console-role-detach",
            {"policy_arn": "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy"},
        ),
        (
            "console-role-boundary-put",
            {"policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        ),
        ("console-role-boundary-delete", {}),
        ("console-role-delete", {}),
    ]:
        outcome = post(attempt, action, role_name=name, **fields)
        assert (outcome.ok, outcome.status.error_code, outcome.status.error_message) == (
            False,
            "UnmodifiableEntity",
            expected,
        ), action

    role = next(r for r in panels(attempt.load_world())["roles"] if r["name"] == name)
    assert role["service_linked"] == "ssm.amazonaws.com"
    assert [p.name for p in role["attached"]] == ["AmazonSSMServiceRolePolicy"]
    assert "ssm.amazonaws.com" in role["trust"]


@pytest.mark.django_db
def test_creating_a_role_from_the_ec2_template():
    attempt = mini_attempt()
    outcome = post(
        attempt, "console-role-create", form="role-new", role_name="Reader", template="ec2"
    )
    assert outcome.ok, outcome
    world = attempt.load_world()
    role = world.state.roles["Reader"]
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }
    assert world.state.instance_profiles["Reader"].roles == ["Reader"], (
        "as the console does for EC2"
    )
    assert [e["eventName"] for e in world.events[-3:]] == [
        "CreateRole",
        "CreateInstanceProfile",
        "AddRoleToInstanceProfile",
    ]


@pytest.mark.django_db
def test_deleting_a_role_in_the_console_removes_its_policies_and_profile_first_as_aws_console():
    """The API's DeleteRole refuses while anything remains (DeleteConflict); AWS's console
    deletes the role's policies and its instance profile first, each a call of its own."""
    attempt = mini_attempt()
    post(attempt, "console-role-create", form="role-new", role_name="Reader", template="ec2")
    attempt.act("iam", "PutRolePolicy", {"RoleName": "Reader", "PolicyName": "read",
                                         "PolicyDocument": _document("s3:GetObject")})  # fmt: skip
    attempt.act("iam", "AttachRolePolicy", {"RoleName": "Reader",
                "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})  # fmt: skip

    outcome = post(attempt, "console-role-delete", form="role-Reader", role_name="Reader")

    assert outcome.ok, outcome
    assert outcome.status.message == (
        "Deleted role Reader; first, as the console does, it deleted its instance profile "
        "Reader, deleted its inline policy read, detached "
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess."
    )
    world = attempt.load_world()
    assert "Reader" not in world.state.roles
    assert "Reader" not in world.state.instance_profiles
    assert [e["eventName"] for e in world.events[-5:]] == [
        "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile", "DeleteRolePolicy",
        "DetachRolePolicy", "DeleteRole",
    ]  # fmt: skip


@pytest.mark.django_db
def test_deleting_a_user_in_the_console_removes_its_keys_groups_and_policies_first():
    attempt = mini_attempt()
    for operation, params in (
        ("CreateUser", {"UserName": "bob"}),
        ("CreateGroup", {"GroupName": "devs"}),
        ("AddUserToGroup", {"GroupName": "devs", "UserName": "bob"}),
        ("PutUserPolicy", {"UserName": "bob", "PolicyName": "read", "PolicyDocument": _document("s3:GetObject")}),
    ):  # fmt: skip
        attempt.act("iam", operation, params)
    key = attempt.act("iam", "CreateAccessKey", {"UserName": "bob"})["AccessKey"]["AccessKeyId"]

    outcome = post(attempt, "console-user-delete", form="user-bob", user_name="bob")

    assert outcome.ok, outcome
    assert outcome.status.message == (
        "Deleted user bob; first, as the console does, it took it out of group devs, deleted "
        f"its access key {key}, deleted its inline policy read."
    )
    assert "bob" not in attempt.load_world().state.users


@pytest.mark.django_db
def test_the_console_keeps_its_own_admin_user():
    attempt = mini_attempt()

    outcome = post(attempt, "console-user-delete", form="user-admin", user_name="admin")

    assert not outcome.ok
    assert "the user this console itself signs in as" in outcome.status.message
    assert "admin" in attempt.load_world().state.users


@pytest.mark.django_db
def test_creating_a_role_with_a_pasted_trust_policy_keeps_it_on_a_malformed_document():
    attempt = mini_attempt()
    outcome = post(attempt, "console-role-create", form="role-new", role_name="Odd", template="paste",
                   document='{"Version": "2012-10-17", "Statement": []}')  # fmt: skip
    assert not outcome.ok
    assert outcome.status.error_code == "MalformedPolicyDocument"
    html = render(attempt, outcome)
    assert 'value="Odd"' in html
    assert 'value="paste" checked' in html


@pytest.mark.django_db
def test_a_profile_holds_one_role_with_aws_limit_text():
    attempt = mini_attempt()
    post(attempt, "console-role-create", role_name="Other", template="ec2")
    outcome = post(attempt, "console-profile-add-role", profile_name="AppRole", role_name="Other")
    assert (outcome.status.error_code, outcome.status.error_message) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )


# --- EC2 ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_associate_then_replace_the_instance_profile():
    attempt = mini_attempt()
    (instance_id,) = instance_ids(attempt)
    form = dom_id("instance", instance_id)
    outcome = post(
        attempt, "console-associate", form=form, instance_id=instance_id, profile="AppRole"
    )
    assert outcome.ok, outcome
    world = attempt.load_world()
    first = world.state.instances[instance_id].association
    assert first.instance_profile_arn.endswith("instance-profile/AppRole")

    post(attempt, "console-role-create", role_name="Other", template="ec2")
    post(attempt, "console-profile-create", profile_name="Other")
    post(attempt, "console-profile-add-role", profile_name="Other", role_name="Other")
    outcome = post(
        attempt, "console-replace", form=form, association_id=first.association_id, profile="Other"
    )
    assert outcome.ok, outcome

    view = next(
        i for i in panels(attempt.load_world(), outcome)["instances"] if i["id"] == instance_id
    )
    assert view["profile_name"] == "Other"
    assert view["role_name"] == "Other"
    assert view["association"].association_id != first.association_id
    assert view["open"], "the instance's details stay open after acting on it"


@pytest.mark.django_db
def test_associating_twice_shows_aws_incorrect_state():
    attempt = mini_attempt()
    (instance_id,) = instance_ids(attempt)
    post(attempt, "console-associate", instance_id=instance_id, profile="AppRole")
    outcome = post(attempt, "console-associate", instance_id=instance_id, profile="AppRole")
    assert (outcome.status.error_code, outcome.status.error_message) == (
        "IncorrectState",
        f"There is an existing association for instance {instance_id}",
    )


@pytest.mark.django_db
def test_deleting_the_credentials_file_leaves_the_application_without_credentials():
    attempt = attempt_with(fleet_world(size=1, stored_key=True))
    (instance_id,) = instance_ids(attempt)
    assert "/home/ec2-user/.aws/credentials" in render(
        attempt, open=dom_id("instance", instance_id)
    )

    outcome = post(
        attempt, "console-file-delete", instance_id=instance_id, path="~/.aws/credentials"
    )
    assert outcome.ok, outcome
    assert attempt.load_world().read_file(instance_id, CREDENTIALS_FILE) is None
    post(attempt, "console-run-fleet", ticks="1")
    tile = panels(attempt.load_world())["tiles"][0]
    assert {call.error for call in tile.calls} == {"NoCredentials"}


@pytest.mark.django_db
def test_a_bad_file_path_is_refused_and_the_text_kept():
    attempt = mini_attempt()
    (instance_id,) = instance_ids(attempt)
    form = dom_id("instance", instance_id) + "--file-new"
    outcome = post(
        attempt,
        "console-file-save",
        form=form,
        instance_id=instance_id,
        path="../etc/passwd",
        text="secret stuff",
    )
    assert not outcome.ok
    assert "is not a file path" in outcome.status.message
    assert "secret stuff" in render(attempt, outcome)


@pytest.mark.django_db
def test_advancing_the_clock():
    attempt = mini_attempt()
    before = attempt.load_world().now
    outcome = post(attempt, "console-advance", seconds="3600")
    assert outcome.ok
    assert (attempt.load_world().now - before).total_seconds() == 3600
    assert "1 hour" in outcome.status.message
    assert not post(attempt, "console-advance", seconds="-5").ok


@pytest.mark.django_db
def test_stolen_instance_role_credentials_work_from_outside_until_they_expire():
    attempt = attempt_with(fleet_world(size=1))
    (instance_id,) = instance_ids(attempt)
    form = dom_id("instance", instance_id) + "--steal"
    outcome = post(attempt, "console-steal", form=form, instance_id=instance_id, operation="GetObject",
                   bucket=BUCKET, key="config/app.json")  # fmt: skip
    assert outcome.ok, outcome
    assert "198.51.100.23" in outcome.status.message
    assert attempt.load_world().events[-1]["sourceIPAddress"] == "198.51.100.23"

    copied = attempt.load_world().events[-1]["userIdentity"]["accessKeyId"]
    assert copied.startswith("ASIA")
    view = panels(attempt.load_world())["instances"][0]
    assert view["steal"]["copied_key"] == copied, "the copied key is offered for using again"

    post(attempt, "console-advance", seconds="21600")
    post(attempt, "console-advance", seconds="21600")
    again = post(attempt, "console-steal", form=form, instance_id=instance_id, operation="ListBuckets",
                 copied_key=copied)  # fmt: skip
    assert (again.ok, again.status.error_code, again.status.error_message) == (
        False,
        "ExpiredToken",
        "The provided token has expired.",
    )
    fresh = post(attempt, "console-steal", form=form, instance_id=instance_id, operation="GetObject",
                 bucket=BUCKET, key="config/app.json")  # fmt: skip
    assert fresh.ok, "the instance itself has new credentials by now: copying them again works"
    assert copied not in fresh.status.message
    assert fresh.answer == "{}"


@pytest.mark.django_db
def test_launching_with_a_profile_checks_pass_role():
    attempt = mini_attempt()
    outcome = post(
        attempt,
        "console-launch",
        form="launch",
        name="web-2",
        profile="AppRole",
        http_tokens="required",
    )
    assert outcome.ok, outcome
    assert any(e["eventName"] == "RunInstances" for e in attempt.load_world().events)


# --- the fleet and the policy editor -------------------------------------------------------------


@pytest.mark.django_db
def test_a_put_only_default_version_turns_every_tiles_get_to_denied():
    attempt = attempt_with(fleet_world(size=3))
    post(attempt, "console-run-fleet", ticks="1")
    assert tiles_by_name(attempt) == {
        f"web-{n}": {"PutObject": True, "GetObject": True} for n in (1, 2, 3)
    }

    outcome = post(attempt, "console-policy-version-create", policy_arn=policy_arn(attempt),
                   document=PUT_ONLY, set_as_default="on")  # fmt: skip
    assert outcome.ok, outcome
    assert "now the default" in outcome.status.message
    post(attempt, "console-run-fleet", ticks="1")

    assert tiles_by_name(attempt) == {
        f"web-{n}": {"PutObject": True, "GetObject": False} for n in (1, 2, 3)
    }
    picture = panels(attempt.load_world())["pictures"].fleet
    assert picture.svg.count(">AccessDenied</text>") == 3
    assert all("GetObject failed: AccessDenied" in line for line in picture.lines)


@pytest.mark.django_db
def test_preview_reports_get_would_flip_to_denied_without_changing_the_world():
    attempt = attempt_with(fleet_world(size=2))
    post(attempt, "console-run-fleet", ticks="1")
    saved = Attempt.objects.get(pk=attempt.pk).world
    form = dom_id("policy", "ReportsAccess") + "--version"

    outcome = post(attempt, "console-preview", form=form, save="console-policy-version-create",
                   policy_arn=policy_arn(attempt), document=PUT_ONLY, set_as_default="on")  # fmt: skip

    assert outcome.ok, outcome
    flips = outcome.preview.flips
    assert {(flip.action, flip.before, flip.after) for flip in flips} == {
        ("s3:GetObject", "Allowed", "AccessDenied")
    }
    assert {flip.instance_id for flip in flips} == set(instance_ids(attempt))
    assert all(flip.direction == "allowed → denied" for flip in flips)
    assert "is not authorized to perform: s3:GetObject" in flips[0].message
    assert Attempt.objects.get(pk=attempt.pk).world == saved, "a preview changes nothing"
    html = render(attempt, outcome)
    assert html.count("allowed → denied:") == 1, "the fleet's flips are one line"
    assert "by <code>assumed-role/AppRole</code> (instance profile role): 2 sessions" in html
    assert PUT_ONLY.splitlines()[4].strip() in unescape(html), "the typed text stays in the editor"


@pytest.mark.django_db
def test_preview_of_a_version_that_is_not_the_default_flips_nothing():
    attempt = attempt_with(fleet_world(size=1))
    post(attempt, "console-run-fleet", ticks="1")
    outcome = post(attempt, "console-preview", save="console-policy-version-create",
                   policy_arn=policy_arn(attempt), document=PUT_ONLY)  # fmt: skip
    assert outcome.preview.flips == ()
    assert "none would change" in outcome.preview.summary


@pytest.mark.django_db
def test_bad_json_gives_findings_with_line_and_column_and_saves_nothing():
    attempt = attempt_with(fleet_world(size=1))
    arn = policy_arn(attempt)
    broken = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",, }\n  ]\n}'
    form = dom_id("policy", "ReportsAccess") + "--version"

    checked = post(attempt, "console-validate", form=form, kind="identity", document=broken)
    assert checked.ok
    assert not checked.world_changed
    assert checked.partial == "policy-findings"
    (first, *_) = checked.findings
    assert first.issue_code == "JSON_SYNTAX_ERROR"
    assert (first.span.line, first.span.column) == (4, 24)
    fragment = render_to_string(f"lessons/_console.html#{checked.partial}", checked.partial_context)
    assert f'id="findings-{form}"' in fragment
    assert "line 4, column 24" in fragment

    saved = post(
        attempt,
        "console-policy-version-create",
        form=form,
        policy_arn=arn,
        document=broken,
        set_as_default="on",
    )
    assert not saved.ok
    assert saved.status.error_code == "MalformedPolicyDocument"
    assert [v.version_id for v in attempt.load_world().state.policies[arn].versions] == ["v1"]
    html = render(attempt, saved)
    assert "line 4, column 24" in html
    assert '{"Effect": "Allow",, }' in unescape(html), "the broken text is kept for fixing"


@pytest.mark.django_db
def test_the_bucket_policy_editor_saves_and_deletes():
    attempt = mini_attempt()
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]})  # fmt: skip
    assert post(attempt, "console-bucket-policy-put", bucket=BUCKET, document=policy).ok
    assert attempt.load_world().state.buckets[BUCKET].policy == policy
    assert post(attempt, "console-bucket-policy-delete", bucket=BUCKET).ok
    assert attempt.load_world().state.buckets[BUCKET].policy is None


@pytest.mark.django_db
def test_put_and_get_a_text_object():
    attempt = mini_attempt()
    form = dom_id("bucket", BUCKET) + "--objects"
    assert post(
        attempt, "console-object-put", bucket=BUCKET, key="notes/hello.txt", body="Hello"
    ).ok
    outcome = post(attempt, "console-object-get", form=form, bucket=BUCKET, key="notes/hello.txt")
    assert outcome.answer == "Hello"
    assert "Hello" in render(attempt, outcome)
    missing = post(attempt, "console-object-get", form=form, bucket=BUCKET, key="nope")
    assert missing.status.error_code == "NoSuchKey"


# --- the template ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_console_form_posts_a_console_action_to_the_workspace():
    attempt = attempt_with(fleet_world(size=2, stored_key=True))
    post(attempt, "console-run-fleet", ticks="1")
    attempt.act("iam", "CreateGroup", {"GroupName": "readers"})
    attempt.act("iam", "AddUserToGroup", {"GroupName": "readers", "UserName": "app-user"})
    attempt.act("iam", "PutGroupPolicy", {"GroupName": "readers", "PolicyName": "p",
                                          "PolicyDocument": PUT_ONLY})  # fmt: skip
    attempt.act("iam", "PutRolePermissionsBoundary", {"RoleName": "AppRole",
                                                      "PermissionsBoundary": policy_arn(attempt)})  # fmt: skip
    world = attempt.load_world()
    items = [dom_id("instance", i) for i in world.state.instances]
    items += [dom_id("role", r) for r in world.state.roles] + [dom_id("user", "app-user")]
    items += [dom_id("group", "readers")]
    items += [dom_id("policy", "ReportsAccess"), dom_id("bucket", BUCKET)]
    html = "".join(render(attempt, open=item) for item in items)
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    # Whom the console acts as, and the AWS managed policy read, are settings of the page, not
    # changes: GET forms.
    gets = [form for form in forms if 'method="get"' in form]
    assert all('name="as"' in form or 'name="read_policy"' in form for form in gets)
    forms = [form for form in forms if form not in gets]
    assert len(forms) > 50
    for form in forms:
        assert 'method="post"' in form
        assert 'hx-post="/s/mini/"' in form
        actions = re.findall(r'name="action" value="([^"]+)"', form)
        assert actions, form[:200]
        assert all(action in console_actions.ACTIONS for action in actions), form[:200]
    assert "<script" not in html
    assert " style=" not in html
    assert "hx-on" not in html


@pytest.mark.django_db
def test_ids_in_the_console_are_unique():
    attempt = attempt_with(fleet_world(size=2, stored_key=True))
    html = render(attempt, open=dom_id("instance", instance_ids(attempt)[0]))
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.django_db
def test_console_forms_work_through_the_workspace_with_and_without_htmx(client):
    assert client.get("/s/mini/").status_code == 200

    response = client.post("/s/mini/", {"action": "console-user-create", "form": "user-new", "user_name": "alice"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.text.lstrip().startswith('<section id="console"')
    assert "Created user alice." in response.text

    response = client.post("/s/mini/", {"action": "console-validate", "form": "policy-new", "kind": "identity",
                           "document": "{"}, headers={"HX-Request": "true"})  # fmt: skip
    assert response.text.lstrip().startswith('<div id="findings-policy-new"')
    assert "line 1, column 2" in response.text

    response = client.post(
        "/s/mini/", {"action": "console-user-create", "form": "user-new", "user_name": "bad name"}
    )
    assert response.status_code == 200, "without JavaScript a refused form is shown again"
    assert "ValidationError" in response.text
    assert 'value="bad name"' in response.text


@pytest.mark.django_db
def test_metadata_options_and_environment_variables():
    attempt = mini_attempt()
    (instance_id,) = instance_ids(attempt)
    assert post(attempt, "console-metadata", instance_id=instance_id, http_tokens="required").ok
    assert post(
        attempt, "console-env-set", instance_id=instance_id, name="AWS_PROFILE", value="reports"
    ).ok
    instance = attempt.load_world().state.instances[instance_id]
    assert instance.http_tokens == "required"
    assert instance.env == {"AWS_PROFILE": "reports"}
    assert not post(attempt, "console-env-set", instance_id=instance_id, name="1BAD", value="x").ok
    assert post(attempt, "console-env-delete", instance_id=instance_id, name="AWS_PROFILE").ok
    assert attempt.load_world().state.instances[instance_id].env == {}
    refused = post(attempt, "console-metadata", instance_id=instance_id, http_tokens="sometimes")
    assert refused.status.error_code == "InvalidParameterValue"


SCENARIOS = settings.ROLECALL_SCENARIO_DIR


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_item_of_every_scenario_renders_with_unique_ids(path):
    try:
        scenario = runner.load_scenario(path)
    except runner.ScenarioError as error:
        pytest.skip(f"the scenario file does not load: {error}")
    world, _ = runner.build_world(scenario)
    instances.tick(world)
    attempt = attempt_with(world)
    html = render(attempt)
    items = re.findall(r'<div class="con-item[^"]*" id="([^"]+)"', html)
    assert items
    for item in items:
        opened = render(attempt, open=item)
        assert f'id="{item}-toggle"' in opened
        ids = re.findall(r'\sid="([^"]+)"', opened)
        assert len(ids) == len(set(ids)), (item, sorted({i for i in ids if ids.count(i) > 1}))


@pytest.mark.django_db
def test_the_consoles_own_key_cannot_be_deactivated_or_deleted():
    attempt = mini_attempt()
    key_id = next(
        k for k in attempt.load_world().state.access_keys.values() if k.user_name == "admin"
    ).access_key_id
    for action, fields in [
        ("console-key-status", {"status": "Inactive"}),
        ("console-key-delete", {}),
    ]:
        outcome = post(attempt, action, user_name="admin", access_key_id=key_id, **fields)
        assert not outcome.ok
        assert "this console itself uses" in outcome.status.message
    assert post(attempt, "console-user-create", user_name="still-works").ok


@pytest.mark.django_db
def test_half_a_surrogate_pair_in_a_bucket_policy_is_refused_and_later_calls_still_work():
    attempt = mini_attempt()
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "\ud800", "Effect": "Deny",
                         "Principal": "*", "Action": "s3:GetObject",
                         "Resource": f"arn:aws:s3:::{BUCKET}/*"}]})  # fmt: skip
    assert "\\ud800" in policy

    refused = post(attempt, "console-bucket-policy-put", bucket=BUCKET, document=policy)
    later = post(attempt, "console-object-put", bucket=BUCKET, key="a.txt", body="after")

    assert not refused.ok
    assert refused.status.error_code == "MalformedPolicy"  # AWS's answer to text it cannot read
    assert any("surrogate" in str(finding) for finding in refused.findings)  # and why, in words
    assert attempt.load_world().state.buckets[BUCKET].policy is None
    assert later.ok


def test_a_bucket_policy_with_a_lone_surrogate_is_malformed_through_the_api_too():
    from simulator import AwsError, World

    world = World.new()
    s3 = world.session().client("s3")
    s3.create_bucket(Bucket=BUCKET)
    text = '{"Version": "2012-10-17", "Statement": [{"Sid": "\\udc00", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports-bucket/*"}]}'  # fmt: skip

    with pytest.raises(AwsError, match="MalformedPolicy|invalid Json"):
        world.call(world.admin_credentials(), "s3", "PutBucketPolicy", {"Bucket": BUCKET, "Policy": text})  # fmt: skip
    world.to_dict()  # the world still saves


@pytest.mark.django_db
def test_a_bucket_policy_built_to_make_wildcards_backtrack_decides_every_call_at_once():
    attempt = mini_attempt()
    key = "a" * 40
    assert post(attempt, "console-object-put", bucket=BUCKET, key=key, body="x").ok
    nasty = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/" + "*a" * 14 + "*b",
        "Condition": {"StringLike": {"s3:prefix": "*a" * 20 + "*b"}}}]})  # fmt: skip
    assert post(attempt, "console-bucket-policy-put", bucket=BUCKET, document=nasty).ok

    got = post(attempt, "console-object-get", bucket=BUCKET, key=key)

    assert got.ok  # the Deny's resource does not match: the admin reads the object
    assert got.answer == "x"


@pytest.mark.django_db
def test_a_maintenance_window_task_without_a_role_makes_ssm_create_its_role_from_the_forms():
    attempt = mini_attempt()

    created = post(attempt, "console-ssm-window-create", form="ssm-window", name="nightly-patch",
                   schedule="cron(0 2 ? * * *)", duration="2", cutoff="1")  # fmt: skip
    window_id = next(iter(attempt.load_world().state.ssm_windows))
    registered = post(attempt, "console-ssm-task-register", form="ssm-task", window_id=window_id,
                      task_arn="AWS-RunPatchBaseline", service_role_arn="")  # fmt: skip

    world = attempt.load_world()
    assert created.status.kind == "done", created.status.message
    assert "its service-linked role" in registered.status.message
    assert "AWSServiceRoleForAmazonSSM" in world.state.roles
    made = [e for e in world.events if e.get("eventName") == "CreateServiceLinkedRole"]
    assert made[-1]["userIdentity"].get("invokedBy") == "ssm.amazonaws.com"
    shown = unescape(render(attempt, registered, open="con-ssm"))
    assert "nightly-patch" in shown
    assert "role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM" in shown


@pytest.mark.django_db
def test_a_maintenance_window_with_a_duration_in_words_is_refused_as_botocore_would():
    attempt = mini_attempt()

    refused = post(attempt, "console-ssm-window-create", form="ssm-window", name="w",
                   schedule="cron(0 2 ? * * *)", duration="two", cutoff="1")  # fmt: skip

    assert refused.status.error_code == "ParamValidationError"
    assert "CreateMaintenanceWindow was not sent" in refused.status.message
    assert attempt.load_world().state.ssm_windows == {}


@pytest.mark.django_db
def test_any_aws_managed_policy_is_attached_by_typing_its_name():
    attempt = mini_attempt()
    post(attempt, "console-user-create", user_name="bob")

    attached = post(attempt, "console-user-attach", form="user-bob", user_name="bob",
                    policy_arn="", aws_policy="ViewOnlyAccess")  # fmt: skip
    missing = post(attempt, "console-user-attach", form="user-bob", user_name="bob",
                   policy_arn="", aws_policy="NoSuchPolicyAnywhere")  # fmt: skip

    user = attempt.load_world().state.users["bob"]
    assert attached.status.kind == "done", attached.status.message
    assert "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" in user.attached_policies
    assert missing.status.error_code == "NoSuchEntity"


@pytest.mark.django_db
def test_the_attach_list_stays_short_although_every_aws_policy_exists():
    attempt = mini_attempt()
    post(attempt, "console-user-create", user_name="bob")

    shown = render(attempt, open="user-bob")

    # Every list of policies on the page (attach, boundary) is short; the rest go by name.
    lists = re.findall(r'<select[^>]*name="policy_arn"[^>]*>(.*?)</select>', shown, re.S)
    assert lists
    assert all(options.count("<option") < 60 for options in lists)
    assert shown.count("<option") < 300  # not the catalogue's ~1,600
    assert 'name="aws_policy"' in shown
