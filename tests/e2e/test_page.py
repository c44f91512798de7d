"""The workspace page in Chromium: htmx swaps break no Content-Security-Policy rule, the status
can be dismissed, a new secret can be copied, a narrow screen shows one console service at a time."""

import re

from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import Guard, Learner

CSP_WORDS = re.compile(r"Content Security Policy|Refused to (apply|execute|load)", re.IGNORECASE)
# Every violation, as the page's own event reports it (an init script is not subject to the CSP).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_htmx_actions_break_no_content_security_policy_rule(
    live_server: LiveServer, page: Page
) -> None:
    messages: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        messages.append(f"{message.type}: {message.text}")

    page.on("console", collect)
    page.add_init_script(WATCH_VIOLATIONS)
    guard = Guard(page, live_server.url)
    learner = Learner(page)
    learner.start(live_server.url, "keys-vs-role")

    learner.open("app-user")  # an htmx GET into the console
    learner.run_fleet(1)  # an htmx POST: console, log and status swapped
    learner.submit(page.get_by_role("link", name="Denied only"))  # the log alone
    learner.press("Check my work")  # the step panel
    editor = learner.details(learner.item("app-user"), "Add an inline policy")
    editor.locator("textarea").fill('{"Version": "2012-10-17"')  # the findings as you type
    expect(editor.locator(".finding").first).to_be_visible()

    violations = page.evaluate("window.__violations")
    assert violations == []
    assert [text for text in messages if CSP_WORDS.search(text)] == []
    guard.assert_clean()


def test_the_status_can_be_dismissed_and_a_new_secret_copied(
    live_server: LiveServer, page: Page
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    guard = Guard(page, live_server.url)
    learner = Learner(page)
    learner.start(live_server.url, "sandbox")

    page.get_by_label("New user name").fill("copy-me")
    learner.press("Create user")
    learner.expect_status("Created user copy-me.")
    learner.status.get_by_role("link", name=re.compile("Dismiss")).click()
    expect(learner.status).to_be_empty()

    learner.press("Create access key", learner.open("copy-me"))
    secret = learner.status.get_by_label(re.compile("^Secret access key"))
    expect(secret).to_have_attribute("readonly", "")
    learner.status.get_by_role("button", name=re.compile("^Copy")).click()
    expect(learner.status).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret.input_value()
    guard.assert_clean()


def test_the_policy_editor_numbers_lines_and_marks_an_errors_line_as_you_type(
    live_server: LiveServer, page: Page
) -> None:
    guard = Guard(page, live_server.url)
    learner = Learner(page)
    learner.start(live_server.url, "keys-vs-role")

    editor = learner.details(learner.open("app-user"), "Add an inline policy")
    editor.locator("textarea").fill(
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "*"}\n  ]\n}'
    )
    expect(editor.locator(".finding--error").first).to_be_visible()

    gutter = editor.locator(".policy-gutter")
    expect(gutter.locator("li").nth(3)).to_have_class("policy-gutter__error")
    expect(gutter.locator("li").nth(0)).to_have_text("1")
    top = lambda selector: editor.locator(selector).bounding_box()["y"]  # noqa: E731
    assert abs(top(".policy-gutter") - top("textarea")) < 1  # side by side, level
    guard.assert_clean()


def test_at_375_px_the_console_shows_the_service_chosen_by_keyboard_one_at_a_time(
    live_server: LiveServer, page: Page
) -> None:
    guard = Guard(page, live_server.url)
    page.set_viewport_size({"width": 375, "height": 800})
    learner = Learner(page)
    learner.start(live_server.url, "keys-vs-role")
    services = page.get_by_role("navigation", name="Console services")
    iam, ec2 = page.locator("#con-iam"), page.locator("#con-ec2")
    expect(iam).to_be_visible()
    expect(ec2).to_be_hidden()
    expect(services.get_by_role("link", name="IAM")).to_have_attribute("aria-current", "true")

    chooser = services.get_by_role("link", name="EC2 and the fleet")
    chooser.focus()
    page.keyboard.press("Enter")

    expect(ec2).to_be_visible()
    expect(iam).to_be_hidden()
    expect(page).to_have_url(re.compile(r"service=ec2"))
    expect(chooser).to_have_attribute("aria-current", "true")
    learner.run_fleet(1)  # an htmx action keeps the choice: the fleet stays in view
    expect(ec2).to_be_visible()
    expect(iam).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 800})  # a wide screen shows every service
    expect(iam).to_be_visible()
    guard.assert_clean()


def test_a_console_action_leaves_its_form_where_it_was_and_the_keyboard_on_it(
    live_server: LiveServer, page: Page
) -> None:
    """The console is swapped whole: the page must not jump away from the form (creating a
    policy closed its form, and the page landed thousands of pixels away), and a button
    without an id of its own keeps the keyboard."""
    me = Learner(page)
    me.start(live_server.url, "sandbox")
    new_policy = me.open("Create a policy")
    new_policy.get_by_label("Policy name").fill("DevRead")
    new_policy.get_by_label("Policy document", exact=True).fill(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}'
    )
    new_policy.get_by_role("button", name="Create policy").scroll_into_view_if_needed()
    form = page.locator("#policy-new")
    before = form.bounding_box()
    assert before is not None

    me.press("Create policy", new_policy)
    me.expect_status("Created policy arn:aws:iam::111122223333:policy/DevRead.")

    after = form.bounding_box()
    assert after is not None
    assert abs(after["y"] - before["y"]) < 5, (before, after)

    # A button without an id of its own keeps the keyboard (htmx restores focus by id only)...
    role = me.open("SandboxAppRole")
    role.get_by_label("Managed policy to attach").select_option(label="DevRead")
    attach = role.get_by_role("button", name="Attach policy", exact=True)
    attach.focus()
    attach.press("Enter")
    me.expect_status("Attached arn:aws:iam::111122223333:policy/DevRead to SandboxAppRole.")
    expect(
        page.locator("#role-SandboxAppRole").get_by_role("button", name="Attach policy", exact=True)
    ).to_be_focused()

    # ...and when the action removes its item, the keyboard goes to the status.
    role = me.open("SandboxAppRole")
    delete = role.get_by_role("button", name="Delete role", exact=True)
    delete.focus()
    delete.press("Enter")
    me.expect_status("Deleted role SandboxAppRole; first, as the console does, it")
    expect(page.locator("#status")).to_be_focused()
