"""Accessibility in Chromium: axe-core finds no serious or critical violation on any page, in
any state a learner reaches, at 1280 px and at 375 px (where nothing scrolls sideways); the
keyboard reaches Check my work; allowed and denied are never told by colour alone."""

import re

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from lessons import scenario as runner
from lessons.models import Attempt, Classroom, Membership, catalogue
from tests.e2e.helpers import (
    CREDENTIALS,
    HTMX_IDLE,
    Auditor,
    Guard,
    Learner,
    allow,
    policy,
    scenario,
    stored_attempt,
)

INSTRUCTOR_PASSWORD = "a long instructor passphrase"  # noqa: S105 (a test account)


def test_the_catalogue(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    audit = Auditor(page)

    page.goto(live_server.url + "/")
    audit("the catalogue, nothing started")

    audit.assert_clean()
    guard.assert_clean()


def test_the_simulator(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    audit = Auditor(page)

    page.goto(live_server.url + "/simulate/")
    audit("the policy simulator")
    page.get_by_label("Action", exact=True).fill("s3:DeleteObject")
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#result .verdict")).to_have_text("⊘ Implicitly denied")
    audit("the policy simulator, with a denial")

    audit.assert_clean()
    guard.assert_clean()


def test_a_workspace_from_start_to_questions(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    audit = Auditor(page)
    me = Learner(page)

    me.start(live_server.url, "keys-vs-role")
    audit("a workspace, at step 1")
    me.hint("Run the fleet")
    me.check_fails()
    audit("a workspace after a failed check, with a hint")
    me.run_fleet()
    me.check_passes(1)
    audit("a workspace after a passed check")

    page.goto(live_server.url + "/s/keys-vs-role/?reset=confirm")
    expect(page.get_by_role("heading", name="Start this scenario again?")).to_be_visible()
    audit("the reset confirmation")

    page.goto(live_server.url + "/")
    expect(page.locator(".card--in-progress")).to_have_count(1)
    audit("the catalogue, a scenario in progress")

    # Completed: every step passed by its reference solution (the scenario tests do it by
    # hand), then the questions, one answered.
    page.goto(live_server.url + "/s/attach-replace/")
    attempt = stored_attempt(page, "attach-replace")
    variables = dict(attempt.variables)
    for step in attempt.definition.steps:
        actions = attempt.definition.solution[step.id]
        attempt.apply(lambda world, actions=actions: runner.run_actions(world, variables, actions))
        result = attempt.run_check()
        assert result is not None, step.id
        assert result.passed, step.id
    page.reload()
    expect(page.get_by_role("heading", name="All steps passed: the questions are left")).to_be_visible()  # fmt: skip
    audit("a completed workspace, questions unanswered")
    question = page.locator("#question-1")
    first = scenario("attach-replace")["questions"][0]
    wrong = next(option for option in first["options"] if not option["correct"])
    question.get_by_label(" ".join(wrong["text"].split()), exact=True).check()  # explained
    me.press("Submit answer", question)
    expect(question.locator(".question__verdict")).to_contain_text("Not quite")
    expect(question.locator("summary", has_text="Every option, and why")).to_be_visible()
    audit("a completed workspace, a question answered")
    for number in range(2, len(scenario("attach-replace")["questions"]) + 1):
        box = page.locator(f"#question-{number}")
        box.get_by_role("radio").first.check()
        me.press("Submit answer", box)
    expect(page.locator("#quiz-review")).to_contain_text("Your score:")
    audit("the quiz's review, with its score and a new try")

    audit.assert_clean()
    guard.assert_clean()


def test_the_console_with_each_kind_of_item_open(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    audit = Auditor(page)
    me = Learner(page)
    me.start(live_server.url, "sandbox")
    me.run_fleet()

    # IAM: a user, a new role, a role, a new policy, a policy (with a preview), a refusal.
    me.open("dev")
    audit("a user open")  # the whole page once; below, what each action changed
    me.press("Create user", page.locator("#user-new"))  # no name: botocore refuses
    me.expect_status("CreateUser was not sent", "ParamValidationError")
    audit("a console form refused, with AWS's error", me.console)
    audit("the new-role form open", me.open("Create a role"))
    role = me.open("SandboxAppRole")
    me.details(role, "Edit the trust policy")
    audit("a role open, its trust policy editor open", role)
    audit("the new-policy form open", me.open("Create a policy"))
    managed = me.open("SandboxAppAccess")
    version = me.details(managed, "Create a new version")
    version.get_by_label("New version", exact=True).fill(
        policy(allow("s3:PutObject", "arn:aws:s3:::sandbox-data/*")) + "\n"
    )
    me.press("Preview what this would change", version)
    flips = page.get_by_role("list", name=re.compile("whose outcome this change would flip"))
    expect(flips).to_contain_text("GetObject")
    audit("a policy open, previewing a new version", managed)

    # EC2: an instance with a file open, the launch form; S3: a bucket; the picture.
    box = me.open("key-box")
    me.details(box, CREDENTIALS)
    audit("an instance open, a file open", box)
    audit("the launch form open", me.open("Launch an instance"))
    audit("a bucket open", me.open("sandbox-data"))
    picture = me.open("Who can assume which role")
    expect(picture.get_by_role("figure")).to_be_visible()
    audit("the access picture open", picture)

    # The activity log: a denied call opened, then only the denied ones.
    denied = page.locator("#activity .event--denied").first
    denied.locator("summary").click()
    expect(denied.locator("details")).to_have_attribute("open", "")
    audit("an activity log row expanded", page.locator("#activity"))
    me.submit(page.get_by_role("link", name="Denied only"))
    expect(page.get_by_role("link", name="Denied only")).to_have_attribute("aria-current", "true")
    audit("the activity log, denied only", page.locator("#activity"))

    audit.assert_clean()
    guard.assert_clean()


def test_the_keyboard_reaches_check_my_work_from_the_top(
    live_server: LiveServer, page: Page
) -> None:
    Learner(page).start(live_server.url, "fleet-put-only")
    page.goto(page.url)  # fresh from the top: nothing focused
    check = page.get_by_role("button", name="Check my work")

    for _ in range(80):
        page.keyboard.press("Tab")
        if check.evaluate("button => button === document.activeElement"):
            break
    expect(check).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#check-result")).to_contain_text("Last check: not passed yet")
    expect(page.get_by_role("status")).to_contain_text("Not yet: 3 of 3 checks of step 1")
    # The step was swapped in; the keyboard stays where it was, and goes on to the hints.
    expect(check).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=re.compile("^Show a hint"))).to_be_focused()


def test_the_keyboard_goes_on_from_an_answered_question(
    live_server: LiveServer, page: Page
) -> None:
    """Submitting an answer replaces its form: the keyboard stays at that question (its
    verdict next, then the next question), and after the last one at the review."""
    Learner(page).start(live_server.url, "vendor-external-id")
    attempt = stored_attempt(page, "vendor-external-id")
    type(attempt).objects.filter(pk=attempt.pk).update(step_index=len(attempt.definition.steps))
    page.reload()
    total = len(attempt.definition.questions)

    for number in range(1, total + 1):
        page.locator(f"#question-{number} input[type=radio]").first.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        expect(page.locator(f"#answer-{number}")).to_be_focused()
        page.keyboard.press("Enter")
        if number < total:
            expect(page.locator(f"#question-{number}")).to_be_focused()
            expect(page.locator(f"#question-{number} .question__verdict")).to_be_visible()
            page.wait_for_function(HTMX_IDLE)  # settled, as it is long before a person's next key
            page.keyboard.press("Tab")  # on to the answer's "Every option, and why"
            expect(page.locator(f"#question-{number} summary")).to_be_focused()
    expect(page.locator("#quiz-review")).to_be_focused()


def test_allowed_and_denied_are_told_in_words_and_icons(
    live_server: LiveServer, page: Page
) -> None:
    me = Learner(page)
    me.start(live_server.url, "sandbox")
    me.run_fleet()  # role-box reads and writes; key-box's user may not read config/

    # The log also holds the setup's calls; every row says its result in a word, with an icon.
    allowed = page.locator("#activity .event--allowed summary")
    denied = page.locator("#activity .event--denied summary")
    expect(denied).to_have_count(1)
    expect(denied).to_contain_text("s3 GetObject")
    expect(denied.locator(".event__result")).to_have_text(re.compile(r"^\s*✖\s+AccessDenied\s*$"))
    assert allowed.count() >= 3
    for row in allowed.all():
        expect(row.locator(".event__result")).to_have_text(re.compile(r"^\s*✔\s+Allowed\s*$"))
    # The icon is decoration for sight; the word is what a screen reader says.
    icons = page.locator("#activity .event__result [aria-hidden='true']")
    expect(icons.first).to_have_text(re.compile("^[✔✖]$"))

    # The fleet picture says it in words too, next to the tiles.
    lines = page.get_by_role("figure", name=re.compile("^The fleet")).get_by_role("listitem")
    expect(lines.filter(has_text="key-box")).to_contain_text(
        "PutObject allowed; GetObject failed: AccessDenied"
    )
    expect(lines.filter(has_text="role-box")).to_contain_text(
        "PutObject allowed; GetObject allowed"
    )


def test_the_instructors_pages_and_the_way_in(live_server: LiveServer, page: Page) -> None:
    """Sign in, the classes, a class's dashboard with learners done, working and stuck, a
    learner's panel, the projector and the printed summary; and a learner's join and resume
    pages. Every one at 1280 px and at 375 px, where the step table and the grid scroll in
    their own boxes and the page does not."""
    guard = Guard(page, live_server.url)
    audit = Auditor(page)
    teacher = User.objects.create_user("ada", password=INSTRUCTOR_PASSWORD)
    room = Classroom.start(instructor=teacher, title="IAM roles, Tuesday",
                           scenarios=["vendor-external-id", "keys-vs-role"])  # fmt: skip
    done, working, stuck = (
        Attempt.start(
            Membership.objects.create(classroom=room, display_name=name).owner,
            catalogue()["vendor-external-id"],
        )  # fmt: skip
        for name in ("Ana", "Ben", "Zoë O'Brien")
    )
    Attempt.objects.filter(pk=done.pk).update(
        step_index=1, completed={"create-role": timezone.now().isoformat()}
    )
    for _ in range(3):
        assert not stuck.run_check().passed
    assert working.step_index == 0
    long_name = "Bartholomew-Christopher Montgomery-Jones"
    Membership.objects.create(classroom=room, display_name=long_name)

    for where in ("/join/", "/resume/"):
        page.goto(live_server.url + where)
        audit(f"a learner's {where}")
    page.goto(live_server.url + "/teach/")
    audit("the instructor's sign-in page")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(INSTRUCTOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your classes")
    audit("the instructor's classes")

    page.goto(f"{live_server.url}/teach/{room.join_code}/")
    expect(page.locator("#grid-scroll tbody tr")).to_have_count(4)
    audit("a class's dashboard, a learner done, one working, one stuck")
    page.set_viewport_size({"width": 375, "height": 800})  # step names wrap at spaces only
    narrowest = page.locator(".step-sum__title").evaluate_all(
        "cells => Math.min(...cells.map(cell => cell.getBoundingClientRect().width))"
    )
    assert narrowest > 100, narrowest
    box = page.get_by_role("checkbox", name=long_name).bounding_box()
    label = page.locator(".roster label", has_text=long_name).bounding_box()
    assert box is not None
    assert label is not None
    assert label["y"] <= box["y"] + box["height"], (box, label)  # on the checkbox's line
    assert box["x"] < label["x"], (box, label)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#grid").get_by_role("link", name="Zoë O'Brien", exact=True).press("Enter")
    expect(page.locator("#learner").get_by_role("heading", level=2)).to_have_text("Zoë O'Brien")
    expect(page.locator("#learner section")).to_be_focused()  # the keyboard goes with it
    audit("a stuck learner's panel open", page.locator("#learner"))
    for where, name in (("projector/", "the projector"), ("summary/", "the printed summary")):
        page.goto(f"{live_server.url}/teach/{room.join_code}/{where}")
        audit(name)

    audit.assert_clean()
    guard.assert_clean()
