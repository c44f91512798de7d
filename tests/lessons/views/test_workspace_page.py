"""The workspace page's presentation: what the status says and how it goes away, a new secret
to copy (lessons.outcome.Status, templates/lessons/_status_message.html, _secret.html)."""

import re

import pytest
from django.test import Client

from lessons.models import Attempt, Owner, catalogue
from simulator.model import AppSpec
from simulator.services import instances
from tests.factories import learner_key
from tests.lessons.workspace_scenarios import PROFILE, scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}
URL = "/s/two-steps/"
BUCKET = "reports-bucket"


def _started(client: Client) -> Attempt:
    client.get(URL)
    key = learner_key(client)
    assert key is not None
    return Attempt.start(Owner(learner_key=key), catalogue()["two-steps"])


def _web_1_runs(attempt: Attempt, *operations: str, role: bool = False) -> None:
    """web-1 runs an application making `operations` on the bucket (with AppRole if `role`,
    which may put objects and nothing else; else only its empty credentials file)."""
    instance_id = next(iter(attempt.load_world().state.instances))
    calls = [{"service": "s3", "operation": operation,
              "params": {"Bucket": BUCKET, "Key": "r.csv", **({"Body": "x"} if operation == "PutObject" else {})}}
             for operation in operations]  # fmt: skip
    attempt.apply(
        lambda world: instances.set_app(world, instance_id, AppSpec(name="app", calls=calls))
    )
    if role:
        attempt.act("ec2", "AssociateIamInstanceProfile",
                    {"IamInstanceProfile": {"Name": PROFILE}, "InstanceId": instance_id})  # fmt: skip
        attempt.apply(
            lambda world: world.delete_file(instance_id, "/home/ec2-user/.aws/credentials")
        )


def _status(html: str) -> str:
    found = re.search(r'<div class="status__message status__message--(\w+)">\s*<p class="status__text">'
                      r'<span class="status__icon" aria-hidden="true">(.)</span>', html)  # fmt: skip
    assert found, html[:2000]
    return found.group(1) + " " + found.group(2)


def test_a_fleet_run_whose_every_call_failed_says_so_with_a_cross(client: Client) -> None:
    attempt = _started(client)
    _web_1_runs(attempt, "GetObject", "PutObject")

    response = client.post(URL, {"action": "console-run-fleet", "ticks": "1"}, headers=HTMX)

    assert _status(response.text) == "failed ✖"
    assert "1 instance." in response.text  # not "1 instances"


def test_a_fleet_run_where_some_calls_failed_says_so_with_a_warning(client: Client) -> None:
    attempt = _started(client)
    _web_1_runs(attempt, "PutObject", "GetObject", "GetObject", "GetObject", role=True)

    response = client.post(URL, {"action": "console-run-fleet", "form": "con-fleet", "ticks": "1"}, headers=HTMX)  # fmt: skip

    assert "1 of 4 calls allowed" in response.text
    assert _status(response.text) == "mixed ⚠"
    # The fleet form's own answer agrees: not the allow border beside a ⚠.
    assert 'class="con-outcome con-outcome--failed con-outcome--mixed"' in response.text


def test_the_status_can_be_dismissed_without_javascript(client: Client) -> None:
    _started(client)
    response = client.post(URL + "?outcome=denied", {"action": "console-user-create", "user_name": "bob"}, follow=True)  # fmt: skip

    dismiss = re.search(r'<a class="status__dismiss" href="([^"]*)" data-dismiss>', response.text)
    assert dismiss is not None
    assert dismiss.group(1) == "?outcome=denied"
    assert "Created user bob." not in client.get(URL + dismiss.group(1)).text


def test_a_new_secret_key_comes_in_a_read_only_field_with_a_copy_button_for_javascript(
    client: Client,
) -> None:
    attempt = _started(client)
    client.post(URL, {"action": "console-user-create", "user_name": "bob"}, headers=HTMX)

    response = client.post(URL, {"action": "console-key-create", "user_name": "bob"}, headers=HTMX)

    secret = next(k for k in Attempt.objects.get(pk=attempt.pk).load_world().state.access_keys.values() if k.user_name == "bob").secret_access_key  # fmt: skip
    field = re.search(r'<input type="text" id="status-secret" class="secret__value" value="([^"]+)" readonly', response.text)  # fmt: skip
    assert field is not None
    assert field.group(1) == secret
    assert '<label for="status-secret"' in response.text
    assert re.search(r'<button type="button" class="button--secondary secret__copy" data-copy="status-secret" hidden>', response.text)  # fmt: skip
    assert secret not in re.sub(r'value="[^"]*"', "", response.text)  # in the field, not the words


def test_every_page_loads_the_small_script_and_no_inline_code(client: Client) -> None:
    html = client.get(URL).text
    assert (
        re.search(r'<script src="/static/js/page\.[0-9a-f.]*js" defer>', html)
        or "js/page.js" in html
    )
    assert "onclick" not in html
    assert "<style" not in html


def test_the_step_bar_keeps_check_my_work_within_reach_and_checks_without_javascript(
    client: Client,
) -> None:
    _started(client)
    html = client.get(URL).text

    bar = html.split('<div id="progress" class="progress progress--bar">')[1].split("</div>")[0]
    assert '<a href="#step">Step 1 of 2</a>' in bar
    assert '<button type="submit" name="action" value="check">Check my work<span class="visually-hidden"> on step 1</span>' in bar  # fmt: skip

    response = client.post(URL, {"action": "check"})
    assert response.status_code == 302
    assert response.url.endswith("#check-result")  # the step panel says what was checked


def test_a_sandbox_has_no_step_bar(client: Client) -> None:
    html = client.get("/s/sandbox/").text
    assert '<div id="progress" class="progress">' in html
    assert "progress__check" not in html


def test_key_and_object_tables_turn_to_cards_on_narrow_screens(client: Client) -> None:
    attempt = _started(client)
    attempt.act("iam", "CreateUser", {"UserName": "bob"})
    attempt.act("iam", "CreateAccessKey", {"UserName": "bob"})
    html = client.get(URL + "?open=user-bob").text

    assert '<table class="con-table con-table--cards" role="table">' in html
    assert '<td role="cell" data-label="Status">' in html
    assert '<td role="cell" data-label="Last used">' in html


def test_an_object_key_with_a_right_to_left_override_shows_the_override(client: Client) -> None:
    attempt = _started(client)
    attempt.act("s3", "PutObject", {"Bucket": BUCKET, "Key": "report\u202efdp.exe", "Body": b"x"})

    html = client.get(URL + f"?open=bucket-{BUCKET}").text

    assert "<code>report⟨U+202E⟩fdp.exe</code>" in html
    assert 'name="key" value="report\u202efdp.exe"' in html  # what the forms send is the key


def test_a_failed_service_linked_role_deletion_lists_the_resources_still_using_it(
    client: Client,
) -> None:
    """The task's reason points at RoleUsageList: the console shows it, as the CLI's
    get-service-linked-role-deletion-status does."""
    attempt = _started(client)
    window = attempt.act("ssm", "CreateMaintenanceWindow", {
        "Name": "nightly", "Schedule": "cron(0 2 ? * * *)", "Duration": 2, "Cutoff": 1,
        "AllowUnassociatedTargets": False,
    })["WindowId"]  # fmt: skip
    attempt.act("ssm", "RegisterTaskWithMaintenanceWindow", {
        "WindowId": window, "TaskArn": "AWS-RunPatchBaseline", "TaskType": "RUN_COMMAND",
    })  # fmt: skip
    attempt.act("iam", "DeleteServiceLinkedRole", {"RoleName": "AWSServiceRoleForAmazonSSM"})
    attempt.apply(lambda world: world.advance(60))

    html = client.get(URL + "?open=role-AWSServiceRoleForAmazonSSM").text

    assert ": FAILED — " in html
    assert "<p>RoleUsageList, in us-east-1:</p>" in html
    assert f"maintenancewindow/{window}</code></li>" in html


def test_a_one_step_scenario_completed_with_its_quiz_says_the_1_step_done(client: Client) -> None:
    client.get("/s/mini/")
    key = learner_key(client)
    assert key is not None
    mini = Attempt.start(Owner(learner_key=key), catalogue()["mini"])
    Attempt.objects.filter(pk=mini.pk).update(step_index=1)
    mini.refresh_from_db()
    mini.answer("q1", 0)

    page = client.get("/s/mini/").text

    assert "Completed: the 1 step done" in page


def _nav(html: str) -> str:
    start = html.index('<nav class="con-nav"')
    return html[start : html.index("</nav>", start)]


def test_the_console_shows_one_service_at_a_time_on_narrow_screens_chosen_by_the_address(
    client: Client,
) -> None:
    _started(client)
    first = client.get(URL + "?outcome=denied").text
    chosen = client.get(URL + "?outcome=denied&service=ec2").text

    assert '<section id="console" class="panel console con-show-iam"' in first  # IAM first
    assert '<section id="console" class="panel console con-show-ec2"' in chosen
    link = re.search(
        r'<a href="([^"]*)#con-ec2" hx-get="([^"]*)"[^>]*>EC2 and the fleet</a>', _nav(first)
    )
    assert link is not None
    assert link.group(1) == link.group(2) == "?outcome=denied&amp;service=ec2"  # the rest kept
    assert 'aria-current="true">EC2 and the fleet</a>' in _nav(chosen)
    assert _nav(chosen).count("aria-current") == 1
    for service in ("iam", "ec2", "s3", "pictures"):  # every service is in the page: CSS hides
        assert f'<section id="con-{service}" class="con-service"' in chosen


def test_the_chosen_service_survives_an_htmx_action_and_the_redirect_without_javascript(
    client: Client,
) -> None:
    _started(client)
    page = URL + "?service=s3"

    swapped = client.post(URL, {"action": "console-user-create", "user_name": "bob"},
                          headers={**HTMX, "HX-Current-URL": "http://testserver" + page})  # fmt: skip
    redirected = client.post(page, {"action": "console-user-create", "user_name": "kim"})

    assert 'class="panel console con-show-s3"' in swapped.text
    assert redirected.status_code == 302
    assert redirected.url.startswith(page)
    assert 'class="panel console con-show-s3"' in client.get(redirected.url).text


def test_an_item_opened_without_a_chosen_service_shows_the_service_holding_it(
    client: Client,
) -> None:
    _started(client)
    assert 'class="panel console con-show-ec2"' in client.get(URL + "?open=con-launch").text
    assert 'class="panel console con-show-iam"' in client.get(URL + "?service=bogus").text


def test_a_fleet_run_says_how_far_the_clock_moved_and_what_time_it_is_now(client: Client) -> None:
    attempt = _started(client)
    _web_1_runs(attempt, "GetObject")
    before = Attempt.objects.get(pk=attempt.pk).load_world().now

    response = client.post(URL, {"action": "console-run-fleet", "ticks": "5"}, headers=HTMX)

    now = Attempt.objects.get(pk=attempt.pk).load_world().now
    assert (now - before).total_seconds() == 300
    clock = now.strftime("%a %d %b %Y, %H:%M UTC")
    assert f"Ran the fleet 5 ticks (the clock moved on 5 minutes: it is now {clock}): 1 instance." in response.text  # fmt: skip
    assert "A tick is 1 minute on the simulated clock." in response.text
    assert f"tick 5 at {now:%H:%M} UTC" in response.text  # the tile and its words


def test_the_consoles_links_do_not_carry_what_the_log_shows(client: Client) -> None:
    """htmx adds log_shown to every console request; links built from the page's own query
    took it along, so each click added another copy to the address."""
    _started(client)

    fragment = client.get(
        URL + "?service=s3&log_shown=e1+e2", headers={**HTMX, "HX-Target": "console"}
    )

    assert "service=s3" in fragment.text
    assert "log_shown" not in fragment.text.replace('name="log_shown"', "")


def test_the_act_as_chooser_says_whose_credentials_it_lists_and_how_to_add_a_key(
    client: Client,
) -> None:
    _started(client)

    page = client.get(URL).text

    assert "The list holds the credentials some place holds" in page
    assert "To act with a key you have just created, put it in a place first" in page
