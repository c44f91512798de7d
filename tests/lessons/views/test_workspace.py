"""The workspace at /s/<slug>/: the step, its check and hints, the questions, reset, the
console's actions and the activity log; each with JavaScript (htmx fragments) and without
(a redirect after every POST)."""

import contextlib
import json
import re
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from lessons import activity
from lessons.learners import LEARNER_COOKIE as COOKIE
from lessons.learners import SESSION_KEY as OLD_SESSION_KEY
from lessons.models import Attempt, Learner, Owner, catalogue
from simulator import AwsError, World
from simulator.services import instances
from simulator.world import OUTSIDE_IP
from tests.factories import hold_learner_key, learner_key
from tests.lessons.workspace_scenarios import CREDENTIALS_FILE, PROFILE, scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}
URL = "/s/two-steps/"


def _attempt(client: Client, slug: str = "two-steps") -> Attempt:
    learner = Learner.objects.get(key=learner_key(client))
    return Attempt.objects.get(learner=learner, scenario=slug)


def _started(client: Client, slug: str = "two-steps") -> Attempt:
    """The page opened, and the attempt stored as the learner's first change stores it."""
    client.get(f"/s/{slug}/")
    key = learner_key(client)
    assert key is not None
    return Attempt.start(Owner(learner_key=key), catalogue()[slug])


def _instance_id(attempt: Attempt) -> str:
    return next(iter(attempt.load_world().state.instances))


def _attach_role(attempt: Attempt) -> None:
    attempt.act(
        "ec2",
        "AssociateIamInstanceProfile",
        {"IamInstanceProfile": {"Name": PROFILE}, "InstanceId": _instance_id(attempt)},
    )


def _remove_key_file(attempt: Attempt) -> None:
    instance_id = _instance_id(attempt)
    attempt.apply(lambda world: world.delete_file(instance_id, CREDENTIALS_FILE))


def _finish_steps(client: Client) -> Attempt:
    attempt = _started(client)
    _attach_role(attempt)
    client.post(URL, {"action": "check"})
    _remove_key_file(attempt)
    client.post(URL, {"action": "check"})
    attempt.refresh_from_db()
    assert attempt.finished
    return attempt


def _is_fragment(response: HttpResponse) -> bool:
    return response.status_code == 200 and "<html" not in response.text


def _triggers(response: HttpResponse) -> dict[str, Any]:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


# --- Opening the workspace ----------------------------------------------------------------------


def test_first_visit_shows_step_1_and_the_starting_world_and_stores_nothing(
    client: Client,
) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert Learner.objects.count() == 0
    assert Attempt.objects.count() == 0
    assert learner_key(client) is not None  # the key the first change will store under
    assert "web-1" in response.text
    assert "<h1>Role in, keys out</h1>" in response.text
    assert "Step 1 of 2: Give web-1 a role" in response.text
    assert "Step 1 of 2" in response.text
    assert 'aria-current="step"' in response.text
    assert "Check my work" in response.text
    assert "Show a hint (3 left)" in response.text
    assert 'id="console"' in response.text
    assert 'id="activity"' in response.text
    assert 'role="status"' in response.text


def test_a_second_visit_finds_the_same_attempt(client: Client) -> None:
    first = _started(client)
    client.get(URL)

    assert Attempt.objects.count() == 1
    assert _attempt(client).pk == first.pk


def test_step_markdown_is_rendered_and_raw_html_in_it_stays_text(client: Client) -> None:
    response = client.get(URL)

    assert "Attach the <strong>AppRole</strong> instance profile to web-1." in response.text
    assert '<script>alert("step")</script>' not in response.text
    assert "&lt;script&gt;alert(&quot;step&quot;)&lt;/script&gt;" in response.text


def test_unknown_scenario_is_404(client: Client) -> None:
    assert client.get("/s/no-such-scenario/").status_code == 404
    assert client.post("/s/no-such-scenario/", {"action": "check"}).status_code == 404
    assert Learner.objects.count() == 0


def test_workspace_refuses_other_methods(client: Client) -> None:
    assert client.put(URL).status_code == 405


# --- Check my work ------------------------------------------------------------------------------


def test_check_before_acting_fails_and_says_what_was_checked_and_what_happened(
    client: Client,
) -> None:
    _started(client)

    response = client.post(URL, {"action": "check"})

    assert response.status_code == 302
    assert response.url == URL + "#check-result"
    page = client.get(URL).text
    assert "Last check: not passed yet" in page
    assert "Software on web-1 can put a report" in page
    assert "What happened: got NoCredentials" in page
    assert "Instance web-1 has no role; it should have role AppRole" in page
    assert "Not yet: 2 of 2 checks of step 1 did not pass." in page
    assert _attempt(client).step_index == 0


def test_check_after_doing_the_step_passes_explains_and_moves_on(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)

    response = client.post(URL, {"action": "check"}, follow=True)

    page = response.text
    assert _attempt(client).step_index == 1
    assert response.redirect_chain == [(URL + "#passed", 302)]
    assert "Step 1 passed: Give web-1 a role." in page
    assert "The instance now gets the role's <em>temporary</em> credentials." in page
    assert "Step 2 of 2: Remove the stored key" in page
    assert "Software on web-1 can put a report" in page  # the passing check's items
    assert "Allowed, as expected" in page


def test_the_last_check_is_the_learners_on_every_device_until_a_reset(client: Client) -> None:
    attempt = _started(client)
    client.post(URL, {"action": "check"})
    other_device = Client()
    hold_learner_key(other_device, attempt.learner.key)

    assert "Last check: not passed yet" in other_device.get(URL).text
    other_device.post(URL, {"action": "reset", "confirm": "yes"})
    assert "Last check" not in client.get(URL).text


def test_status_shown_after_a_redirect_is_shown_once(client: Client) -> None:
    _started(client)
    client.post(URL, {"action": "check"})

    assert "Not yet: 2 of 2 checks" in client.get(URL).text
    assert "Not yet: 2 of 2 checks" not in client.get(URL).text


def test_htmx_check_returns_the_step_panel_with_progress_and_status_out_of_band(
    client: Client,
) -> None:
    attempt = _started(client)
    _attach_role(attempt)

    response = client.post(URL, {"action": "check"}, headers=HTMX)

    assert _is_fragment(response)
    assert response.text.lstrip().startswith('<section id="step"')
    assert '<div id="progress" class="progress progress--bar" hx-swap-oob="true">' in response.text
    assert (
        '<div id="status" class="status" role="status" aria-live="polite" tabindex="-1" hx-swap-oob="innerHTML">'
        in response.text
    )
    assert "Step 2 of 2" in response.text
    assert response.headers["HX-Reswap"] == "outerHTML show:#passed:top"
    assert "world-changed" not in _triggers(response)  # a check runs on a copy of the world
    assert response.headers["Vary"].count("HX-Request") == 1


def test_finishing_every_step_shows_the_questions_left_to_complete_it(client: Client) -> None:
    _finish_steps(client)

    page = client.get(URL).text
    step = page[page.index('<section id="step"') : page.index('<section id="console"')]

    assert "All steps passed: the questions are left" in step
    assert "Scenario complete" not in step
    assert "All steps passed: the questions are left" in _top_line(page)
    assert "Completed" not in _top_line(page)
    assert "How many roles can an instance profile hold?" in page
    assert step.count('type="radio"') == 4
    assert step.count("Submit answer") == 2
    assert "Check my work" not in step


def _top_line(page: str) -> str:
    return page[
        page.index('<div id="progress"') : page.index("</p>", page.index('<div id="progress"'))
    ]


def test_the_top_line_says_completed_once_the_quiz_is_finished_too(client: Client) -> None:
    _finish_steps(client)
    client.post(URL, {"action": "answer", "question": "profile-roles", "option": "0"})
    one_left = client.get(URL).text
    answered = client.post(
        URL, {"action": "answer", "question": "rotation", "option": "0"}, headers=HTMX
    ).text

    assert "All steps passed: the questions are left" in _top_line(one_left)
    assert "Completed: all 2 steps done" in _top_line(answered)  # swapped in with the answer
    assert "Completed: all 2 steps done" in _top_line(client.get(URL).text)


def test_check_when_every_step_is_done_says_so(client: Client) -> None:
    _finish_steps(client)

    response = client.post(URL, {"action": "check"}, headers=HTMX)

    assert "Every step is done" in response.text


# --- Hints ----------------------------------------------------------------------------------------


def test_hints_are_revealed_one_at_a_time(client: Client) -> None:
    _started(client)

    first = client.post(URL, {"action": "hint"}, headers=HTMX)

    assert _is_fragment(first)
    assert "<code>AssociateIamInstanceProfile</code>" in first.text
    assert "The profile is called AppRole." not in first.text
    assert "Show a hint (2 left)" in first.text
    assert "Hint 1 of 3 is shown" in first.text

    client.post(URL, {"action": "hint"}, headers=HTMX)
    third = client.post(URL, {"action": "hint"}, headers=HTMX)

    assert "Pick web-1." in third.text
    assert "Show a hint" not in third.text
    assert "Every hint is shown." in third.text

    more = client.post(URL, {"action": "hint"}, headers=HTMX)
    assert "Every hint of this step is already shown." in more.text
    assert _attempt(client).hints == {"attach": 3}


def test_hint_without_javascript_redirects_to_the_hint(client: Client) -> None:
    _started(client)

    response = client.post(URL, {"action": "hint"})

    assert response.status_code == 302
    assert response.url == URL + "#hint-1"
    assert 'id="hint-1"' in client.get(URL).text


# --- Questions ------------------------------------------------------------------------------------


def test_a_right_answer_says_so_and_shows_every_option_with_why(client: Client) -> None:
    _finish_steps(client)

    response = client.post(
        URL, {"action": "answer", "question": "profile-roles", "option": "0"}, headers=HTMX
    )

    assert _is_fragment(response)
    assert "Question 1: right." in response.text
    assert "Right: you answered “One”." in response.text
    assert "An instance profile holds one role; not adjustable." in response.text
    assert "Ten is the default quota of managed policies on a role." in response.text
    assert "(the right answer)" in response.text
    assert _attempt(client).answers == {"profile-roles": 0}


def test_a_wrong_answer_says_so_and_explains_the_chosen_option(client: Client) -> None:
    _finish_steps(client)

    response = client.post(URL, {"action": "answer", "question": "rotation", "option": "0"})
    page = client.get(response.url).text

    assert response.url == URL + "#question-2"
    assert "Question 2: not quite." in page
    assert "Not quite: you answered “Long-term access keys”." in page
    assert "Those belong to IAM users." in page
    assert "They expire and are rotated." in page


def test_all_answers_give_the_score(client: Client) -> None:
    _finish_steps(client)
    client.post(URL, {"action": "answer", "question": "profile-roles", "option": "0"})
    client.post(URL, {"action": "answer", "question": "rotation", "option": "0"})

    assert "You answered 1 of 2 questions right." in client.get(URL).text


def test_an_answer_is_kept_once_given(client: Client) -> None:
    _finish_steps(client)
    client.post(URL, {"action": "answer", "question": "profile-roles", "option": "1"})

    response = client.post(
        URL, {"action": "answer", "question": "profile-roles", "option": "0"}, headers=HTMX
    )

    assert "You have already answered question 1 on this try." in response.text
    assert _attempt(client).answers == {"profile-roles": 1}


def test_questions_wait_until_every_step_has_passed(client: Client) -> None:
    _started(client)

    response = client.post(
        URL, {"action": "answer", "question": "profile-roles", "option": "0"}, headers=HTMX
    )

    assert "The questions open once every step has passed." in response.text
    assert _attempt(client).answers == {}


@pytest.mark.parametrize(
    ("question", "option", "message"),
    [
        ("no-such-question", "0", "That question is not part of this scenario."),
        ("", "0", "That question is not part of this scenario."),
        ("x" * 100_000, "0", "That question is not part of this scenario."),
        ("profile-roles", "", "Choose one of the answers to question 1 first."),
        ("profile-roles", "2", "That is not one of the answers to question 1."),
        ("profile-roles", "-1", "That is not one of the answers to question 1."),
        ("profile-roles", "one", "That is not one of the answers to question 1."),
        ("profile-roles", "9" * 100_000, "That is not one of the answers to question 1."),
    ],
    ids=[
        "unknown-id",
        "no-id",
        "huge-id",
        "no-option",
        "index-past-end",
        "negative",
        "word",
        "huge",
    ],
)
def test_tampered_answers_get_a_clear_message_and_change_nothing(
    client: Client, question: str, option: str, message: str
) -> None:
    _finish_steps(client)

    response = client.post(
        URL, {"action": "answer", "question": question, "option": option}, headers=HTMX
    )

    assert response.status_code == 200
    assert message in response.text
    assert _attempt(client).answers == {}


# --- Starting again -------------------------------------------------------------------------------


def test_reset_without_javascript_asks_first_and_changes_nothing(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)
    client.post(URL, {"action": "check"})

    response = client.post(URL, {"action": "reset"})

    assert response.status_code == 302
    assert response.url == URL + "?reset=confirm#reset-confirm"
    page = client.get(response.url).text
    assert "Start this scenario again?" in page
    assert 'name="confirm" value="yes"' in page
    assert "No, keep my work" in page
    assert _attempt(client).step_index == 1


def test_reset_restores_the_setup_world_and_step_1(client: Client) -> None:
    attempt = _started(client)
    setup_world = attempt.world
    _attach_role(attempt)
    client.post(URL, {"action": "hint"})
    client.post(URL, {"action": "check"})

    response = client.post(URL, {"action": "reset", "confirm": "yes"}, follow=True)

    attempt = _attempt(client)
    assert attempt.step_index == 0
    assert attempt.hints == {}
    assert attempt.completed == {}
    assert attempt.world == setup_world
    assert "Started again." in response.text
    assert "Step 1 of 2: Give web-1 a role" in response.text
    assert "Step 1 passed" not in response.text
    assert "Last check" not in response.text


def test_htmx_reset_swaps_every_region_and_says_the_world_changed(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)

    response = client.post(URL, {"action": "reset", "confirm": "yes"}, headers=HTMX)

    assert _is_fragment(response)
    assert "world-changed" in _triggers(response)
    for region in ("step", "terminal", "console", "activity", "progress"):
        assert f'id="{region}"' in response.text
    assert response.text.count('hx-swap-oob="true"') == 5
    log = response.text[response.text.index('<section id="activity"') :]
    assert "AssociateIamInstanceProfile" not in log  # the log is the setup's again


# --- Console actions through the workspace (lessons.actions, lessons.console) --------------------


def test_console_actions_go_to_the_console_and_report_aws_errors(client: Client) -> None:
    _started(client)

    response = client.post(
        URL, {"action": "console-role-delete", "role_name": "NoSuchRole"}, headers=HTMX
    )

    assert _is_fragment(response)
    assert response.text.lstrip().startswith('<section id="console"')
    assert "world-changed" in _triggers(response)  # the refused call is in the log
    assert "DeleteRole failed." in response.text
    assert "<code>NoSuchEntity</code>" in response.text
    assert "The role with name NoSuchRole cannot be found." in response.text
    assert '<section id="activity"' in response.text  # the log, out of band, with the new call
    assert "iam DeleteRole" in response.text


def test_console_action_without_javascript_redirects_to_the_status(client: Client) -> None:
    _started(client)

    response = client.post(
        URL + "?outcome=denied", {"action": "console-user-create", "user_name": "bob"}
    )

    assert response.status_code == 302
    assert response.url == URL + "?outcome=denied#status"
    assert "Created user bob." in client.get(response.url).text


def test_a_failed_console_call_without_javascript_shows_the_page_again_with_aws_error(
    client: Client,
) -> None:
    _started(client)

    response = client.post(URL, {"action": "console-role-delete", "role_name": "NoSuchRole"})

    assert response.status_code == 200  # shown again, as an invalid form is: nothing typed is lost
    assert "<html" in response.text
    assert "DeleteRole failed." in response.text
    assert "<code>NoSuchEntity</code>" in response.text


def test_a_console_action_that_saved_nothing_does_not_say_the_world_changed(
    client: Client,
) -> None:
    _started(client)

    response = client.post(URL, {"action": "console-preview", "save": "nothing"}, headers=HTMX)

    assert "There is nothing to preview for this form." in response.text
    assert "world-changed" not in _triggers(response)


def test_findings_as_you_type_answer_htmx_with_the_findings_alone(client: Client) -> None:
    _started(client)
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}'  # fmt: skip

    response = client.post(
        URL,
        {
            "action": "console-validate",
            "form": "policy-new",
            "kind": "identity",
            "document": document,
        },
        headers=HTMX,
    )

    assert response.text.lstrip().startswith('<div id="findings-policy-new"')
    assert '<section id="console"' not in response.text
    assert "s3:GetObject" in response.text  # "did you mean"
    assert "world-changed" not in _triggers(response)


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "The form said nothing to do."),
        ({"action": ""}, "The form said nothing to do."),
        ({"action": "launch-missiles"}, "This page has no action called “launch-missiles”."),
        ({"action": "x" * 50_000}, "This page has no action called “" + "x" * 40 + "…”."),
    ],
    ids=["missing", "empty", "unknown", "huge"],
)
def test_a_bogus_action_gets_a_clear_message_with_javascript(
    client: Client, data: dict[str, str], message: str
) -> None:
    _started(client)

    response = client.post(URL, data, headers=HTMX)

    assert response.status_code == 200
    assert _is_fragment(response)
    assert message in response.text
    assert response.headers["HX-Reswap"] == "none"
    assert "HX-Trigger" not in response.headers


def test_a_bogus_action_gets_a_clear_message_without_javascript(client: Client) -> None:
    _started(client)

    response = client.post(URL, {"action": "launch-missiles"}, follow=True)

    assert response.redirect_chain == [(URL + "#status", 302)]
    assert "This page has no action called “launch-missiles”." in response.text


def test_an_oversized_form_gets_a_clear_message(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    _started(client)

    htmx = client.post(URL, {"action": "check", "junk": "x" * 20_000}, headers=HTMX)
    plain = client.post(URL, {"action": "check", "junk": "x" * 20_000}, follow=True)

    assert htmx.status_code == 200
    assert "larger than the" in htmx.text
    assert "larger than the" in plain.text
    assert _attempt(client).checks == {}


def test_post_without_a_csrf_token_is_refused(client: Client) -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get(URL)

    response = csrf_client.post(URL, {"action": "reset", "confirm": "yes"})

    assert response.status_code == 403


# --- One learner's work is theirs alone -----------------------------------------------------------


def test_two_sessions_never_see_each_others_attempt(client: Client) -> None:
    other = Client()
    mine = _started(client)
    _attach_role(mine)
    client.post(URL, {"action": "check"})
    client.post(URL, {"action": "hint"})

    theirs_page = other.get(URL).text
    theirs = _started(other)

    assert theirs.pk != mine.pk
    assert theirs.learner_id != mine.learner_id
    assert "Step 1 of 2: Give web-1 a role" in theirs_page
    assert "AssociateIamInstanceProfile" not in theirs_page
    other.post(URL, {"action": "reset", "confirm": "yes"})
    assert _attempt(client).step_index == 1


def test_a_tampered_learner_cookie_reads_as_none_never_as_another_learner(client: Client) -> None:
    victim = Client()
    victim.get(URL)
    victims_key = learner_key(victim)
    assert victims_key is not None
    client.cookies[COOKIE] = victims_key + ":forged-signature"

    client.post(URL, {"action": "hint"})

    assert learner_key(client) not in (None, victims_key)
    assert Learner.objects.exclude(key=victims_key).count() == 1
    assert not Attempt.objects.filter(learner__key=victims_key).exists()


def test_the_learner_cookie_is_httponly_samesite_and_as_long_lived_as_a_session(
    client: Client, settings: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = True

    response = client.get(URL)

    cookie = response.cookies[COOKIE]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_htmx_requests_of_a_known_learner_set_no_cookie_and_read_no_session(client: Client) -> None:
    _started(client)

    response = client.post(URL, {"action": "hint"}, headers=HTMX)

    assert COOKIE not in response.cookies
    assert "sessionid" not in client.cookies


def test_a_learner_kept_in_an_older_session_is_moved_to_the_cookie(client: Client) -> None:
    mine = _started(client)
    del client.cookies[COOKIE]
    session = client.session  # how the key was kept before the learner cookie
    session[OLD_SESSION_KEY] = mine.learner.key
    session.save()

    client.get(URL)

    assert learner_key(client) == mine.learner.key
    assert _attempt(client).pk == mine.pk
    assert OLD_SESSION_KEY not in client.session
    assert Learner.objects.count() == 1


def test_a_key_with_no_learner_yet_is_kept_and_the_first_change_stores_under_it(
    client: Client,
) -> None:
    hold_learner_key(client, "given-by-an-earlier-page")

    client.get(URL)
    assert Learner.objects.count() == 0
    client.post(URL, {"action": "hint"})

    assert learner_key(client) == "given-by-an-earlier-page"
    assert Learner.objects.get().key == "given-by-an-earlier-page"
    assert _attempt(client).hints == {"attach": 1}


def test_the_first_change_acts_on_the_very_world_the_page_showed(client: Client) -> None:
    page = client.get(URL).text
    client.post(URL, {"action": "hint"})

    attempt = _attempt(client)
    instance_id = _instance_id(attempt)
    assert instance_id in page
    assert attempt.seed != 0


def test_a_head_request_answers_as_get_does_with_no_body_and_stores_nothing(
    client: Client,
) -> None:
    response = client.head(URL)

    assert response.status_code == 200
    assert response.content == b""
    assert int(response["Content-Length"]) > 1000
    assert Learner.objects.count() == 0
    assert Attempt.objects.count() == 0


# --- The activity log -----------------------------------------------------------------------------


def _call_as_instance(attempt: Attempt, operation: str, params: dict[str, Any]) -> None:
    instance_id = _instance_id(attempt)

    def call(world: World) -> None:
        found = instances.resolve_credentials(world, instance_id)
        assert found is not None
        with contextlib.suppress(AwsError):
            world.call(found[0], "s3", operation, params, source_ip=instances.source_ip(world, instance_id))  # fmt: skip

    attempt.apply(call)


def test_the_log_shows_each_call_newest_first_with_who_what_and_why(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)
    _call_as_instance(attempt, "GetObject", {"Bucket": "reports-bucket", "Key": "q1.csv"})

    page = client.get(URL).text
    log = page[page.index('<section id="activity"') :]

    assert log.index("s3 GetObject") < log.index("ec2 AssociateIamInstanceProfile")
    assert "AccessDenied" in log
    assert "reports-bucket/q1.csv" in log
    assert "assumed-role/AppRole/" in log
    assert "instance role" in log
    assert "admin console" in log
    assert "no identity-based policy allows the s3:GetObject action" in log  # AWS's message
    assert "What each policy type said" in log
    assert "<details" in log


def test_the_log_can_show_only_denied_calls_without_javascript(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)
    _call_as_instance(attempt, "GetObject", {"Bucket": "reports-bucket", "Key": "q1.csv"})

    page = client.get(URL + "?outcome=denied").text
    log = page[page.index('<section id="activity"') :]

    assert "s3 GetObject" in log
    assert "AssociateIamInstanceProfile" not in log
    assert 'href="?outcome=denied#activity"' in log
    assert 'href="?#activity"' in log  # back to every call


def test_htmx_asks_for_the_log_alone(client: Client) -> None:
    _started(client)

    response = client.get(URL + "?outcome=denied", headers={**HTMX, "HX-Target": "activity"})

    assert _is_fragment(response)
    assert response.text.lstrip().startswith('<section id="activity"')
    assert "No denied calls among the last 30." in response.text
    assert "HX-Target" in response.headers["Vary"]


def test_htmx_asks_for_the_console_alone(client: Client) -> None:
    _started(client)

    response = client.get(URL, headers={**HTMX, "HX-Target": "console"})

    assert _is_fragment(response)
    assert response.text.lstrip().startswith('<section id="console"')


def test_an_htmx_history_restore_gets_the_whole_page(client: Client) -> None:
    response = client.get(
        URL, headers={**HTMX, "HX-Target": "activity", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.text


# An htmx console action sends what the page's log shows; the answer brings only the change.

LOG_SHOWN = re.compile(r'name="log_shown" value="([^"]*)"')
NEW_ROWS = '<ol hx-swap-oob="afterbegin:#events">'


def _log_shown(html: str) -> str:
    found = LOG_SHOWN.search(html)
    assert found, "no log_shown input"
    return found.group(1)


def _create_users(attempt: Attempt, *names: str) -> None:
    def create(world: World) -> None:
        for name in names:
            world.call(world.admin_credentials(), "iam", "CreateUser", {"UserName": name})

    attempt.apply(create)


def _create_on_page(client: Client, name: str, shown: str, url: str = URL) -> HttpResponse:
    fields = {"action": "console-user-create", "user_name": name, "log_shown": shown}
    return client.post(URL, fields, headers={**HTMX, "HX-Current-URL": "http://testserver" + url})


def test_an_htmx_console_action_brings_only_the_logs_new_row(client: Client) -> None:
    attempt = _started(client)
    _create_users(attempt, "first", "second")
    shown = _log_shown(client.get(URL).text)

    response = _create_on_page(client, "third", shown)

    assert NEW_ROWS in response.text
    assert response.text.count('<li id="event-row-') == 1
    assert "UserName third" in response.text
    assert "UserName second" not in response.text  # already on the page
    assert '<section id="activity"' not in response.text
    newest = _attempt(client).load_world().events[-1]
    top_id, _, count = _log_shown(response.text).split()
    assert top_id == newest["eventID"]
    assert int(count) == int(shown.split()[2]) + 1
    assert 'id="log-shown" name="log_shown"' in response.text
    assert 'hx-swap-oob="true"' in response.text[response.text.index('id="log-shown"') - 80 :]


def test_rows_that_fall_off_the_bottom_of_the_log_are_removed_from_the_page(
    client: Client,
) -> None:
    attempt = _started(client)
    _create_users(attempt, *(f"user-{n}" for n in range(activity.LIMIT)))
    shown = _log_shown(client.get(URL).text)
    assert shown.endswith(f" {activity.LIMIT}")
    oldest_shown = activity.select(_attempt(client).load_world().events)[-1]["eventID"]

    response = _create_on_page(client, "one-more", shown)

    assert response.text.count('<li id="event-row-') == 2  # the new row, and one deleted
    assert f'<li id="event-row-{oldest_shown}" hx-swap-oob="delete"></li>' in response.text
    assert _log_shown(response.text).endswith(f" {activity.LIMIT}")


def test_another_tabs_calls_come_with_this_tabs_own(client: Client) -> None:
    attempt = _started(client)
    _create_users(attempt, "first")
    shown = _log_shown(client.get(URL).text)
    _create_users(attempt, "from-another-tab")

    response = _create_on_page(client, "mine", shown)

    assert response.text.count('<li id="event-row-') == 2
    assert response.text.index("UserName mine") < response.text.index("UserName from-another-tab")


def test_after_a_reset_the_page_gets_the_whole_log_again(client: Client) -> None:
    attempt = _started(client)
    _create_users(attempt, "first", "second")
    shown = _log_shown(client.get(URL).text)
    attempt.reset()  # the instructor starts the scenario again for this learner

    response = _create_on_page(client, "after-reset", shown)

    assert NEW_ROWS not in response.text
    assert '<section id="activity"' in response.text
    assert "UserName second" not in response.text


def test_the_denied_only_log_gets_no_allowed_rows(client: Client) -> None:
    attempt = _started(client)
    _attach_role(attempt)
    _call_as_instance(attempt, "GetObject", {"Bucket": "reports-bucket", "Key": "q1.csv"})
    shown = _log_shown(client.get(URL + "?outcome=denied").text)

    response = _create_on_page(client, "allowed-call", shown, url=URL + "?outcome=denied")

    assert NEW_ROWS not in response.text
    assert '<li id="event-row-' not in response.text  # no row added or removed
    assert _log_shown(response.text) == shown


def test_a_made_up_log_shown_value_gets_the_whole_log(client: Client) -> None:
    attempt = _started(client)
    _create_users(attempt, "first")

    for made_up in ("nonsense", "abc def 3", "x y z", "a b -1", "a b 99999999999999999999"):
        response = _create_on_page(client, f"user-{len(made_up)}", made_up)
        assert response.status_code == 200
        assert '<section id="activity"' in response.text


def test_the_log_keeps_the_last_30_calls() -> None:
    events = [
        {"eventID": str(n), "eventName": "GetRole", "eventSource": "iam.amazonaws.com"}
        for n in range(50)
    ]

    rows = activity.rows(events)

    assert len(rows) == 30
    assert [row.event_id for row in rows[:2]] == ["49", "48"]


def test_a_stored_key_used_from_outside_says_so() -> None:
    event = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutObject",
        "sourceIPAddress": OUTSIDE_IP,
        "credentialSource": "long-term access key",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/app",
            "userName": "app",
        },  # fmt: skip
        "requestParameters": {"Bucket": "b", "Key": "k"},
    }

    row = activity.describe(event)

    assert (row.who, row.credentials, row.from_outside) == ("user/app", "stored key", True)
    assert (row.target, row.result, row.allowed) == ("b/k", "Allowed", True)


def test_a_launch_is_named_by_its_name_tag() -> None:
    params = {
        "ImageId": "ami-0abc",
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}
        ],
    }

    assert activity.target_words("ec2.amazonaws.com", params) == "Name web-1"


# --- The sandbox ----------------------------------------------------------------------------------


def test_the_sandbox_has_the_console_and_log_but_no_steps(client: Client) -> None:
    response = client.get("/s/sandbox/")

    assert response.status_code == 200
    assert 'id="step"' not in response.text
    assert 'id="console"' in response.text
    assert "sandbox-bucket" in response.text
    assert "Sandbox: no steps, act freely" in response.text


def test_checking_the_sandbox_says_there_is_nothing_to_check(client: Client) -> None:
    client.get("/s/sandbox/")

    response = client.post("/s/sandbox/", {"action": "check"}, follow=True)

    assert "The sandbox has no steps to check" in response.text


def test_the_workspace_url_is_named() -> None:
    assert reverse("lessons:workspace", args=["two-steps"]) == URL


def test_a_saved_policy_says_so_beside_its_button_and_keeps_no_stale_findings(
    client: Client,
) -> None:
    """The status at the top of the page may be thousands of pixels away; the editor goes back
    to its template, so findings about the document sent would describe another text."""
    _started(client)
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}'  # fmt: skip

    response = client.post(
        URL,
        {"action": "console-policy-create", "form": "policy-new", "kind": "identity",
         "save": "console-policy-create", "policy_name": "DevRead", "document": document},
        headers=HTMX,
    )  # fmt: skip

    editor = response.text[response.text.index('<form id="policy-new"') :]
    editor = editor[: editor.index("</form>")]
    assert "✔</span> Created policy arn:aws:iam::111122223333:policy/DevRead." in editor
    assert "Findings show here as you type" in editor  # not the sent document's "No findings"
