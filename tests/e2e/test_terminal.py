"""The terminal in Chromium: a shell on web-1 finds app-user's key and the CLI says so; ↑
recalls the last command; at 375 px nothing scrolls sideways but the log itself; without
JavaScript a command is a post and the page comes back with its output."""

import re

from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import HTMX_IDLE, Auditor, Guard, Learner


def _choose(page: Page, label: str) -> None:
    """Where you are: pick the place and open a shell there."""
    terminal = page.locator("#terminal")
    terminal.get_by_label("Where you are").select_option(label=label)
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "terminal"):
        terminal.get_by_role("button", name="Open a shell there").click()
    page.wait_for_function(HTMX_IDLE)
    expect(page.locator("#terminal-lines")).to_have_attribute(
        "aria-label", f"Terminal output in {label}"
    )


def _type(page: Page, command: str) -> Locator:
    """Type a command and press Enter, as at a shell; wait for its lines."""
    box = page.get_by_label("Command", exact=True)
    box.fill(command)
    with page.expect_response(lambda r: "terminal-run" in (r.request.post_data or "")):
        box.press("Enter")
    page.wait_for_function(HTMX_IDLE)
    return page.locator("#terminal-lines")


def _web_1(page: Page) -> str:
    options = page.locator("#terminal-place option").all_inner_texts()
    return next(text for text in options if text.startswith("web-1 ("))


def test_a_shell_on_web_1_is_app_user_and_up_recalls_the_last_command(
    live_server: LiveServer, page: Page
) -> None:
    guard = Guard(page, live_server.url)
    Learner(page).start(live_server.url, "keys-vs-role")
    expect(page.get_by_label("Where you are")).to_have_value("cloudshell")

    _choose(page, _web_1(page))
    log = _type(page, "cat ~/.aws/credentials")
    expect(log).to_contain_text("$ cat ~/.aws/credentials")
    expect(log).to_contain_text(re.compile(r"aws_access_key_id = AKIA\w+"))

    log = _type(page, "aws sts get-caller-identity")
    expect(log).to_contain_text('"Arn": "arn:aws:iam::111122223333:user/app-user"')
    box = page.get_by_label("Command", exact=True)
    expect(box).to_be_focused()  # the command line keeps the focus after a run
    expect(box).to_have_value("")
    row = page.locator("#activity .event").first
    expect(row).to_contain_text("sts GetCallerIdentity")
    expect(row).to_contain_text("user/app-user")
    expect(row).to_contain_text("aws-cli")

    box.press("ArrowUp")
    expect(box).to_have_value("aws sts get-caller-identity")
    box.press("ArrowUp")
    expect(box).to_have_value("cat ~/.aws/credentials")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_value("")

    # The log keeps its end in view; a reload shows the same transcript in the same place.
    at_end = "e => Math.abs(e.scrollHeight - e.clientHeight - e.scrollTop) < 2"
    assert page.locator("#terminal-lines").evaluate(at_end)
    page.reload()
    expect(page.locator("#terminal-lines")).to_contain_text("user/app-user")

    # Ctrl+L clears the log (the `clear` command).
    page.get_by_label("Command", exact=True).press("Control+l")
    page.wait_for_function(HTMX_IDLE)
    expect(page.locator("#terminal-lines")).not_to_contain_text("app-user")
    guard.assert_clean()


def test_the_terminal_at_375_px_scrolls_only_its_log(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    audit = Auditor(page)
    Learner(page).start(live_server.url, "keys-vs-role")
    page.set_viewport_size({"width": 375, "height": 800})

    _choose(page, _web_1(page))
    _type(page, "aws ec2 describe-instances --output table")
    # A heredoc: Enter inside it starts a new line; the line `EOF` ends it, and Enter runs it.
    box = page.get_by_label("Command", exact=True)
    box.fill("cat > note.txt <<'EOF'")
    box.press("Enter")
    box.type("a line wider than a phone: " + "x" * 80)
    box.press("Enter")
    box.type("EOF")
    with page.expect_response(lambda r: "terminal-run" in (r.request.post_data or "")):
        box.press("Enter")
    page.wait_for_function(HTMX_IDLE)
    log = _type(page, "cat note.txt")
    expect(log).to_contain_text("a line wider than a phone: xxxx")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert log.evaluate("e => e.scrollWidth > e.clientWidth")  # the log scrolls itself
    audit("the terminal after commands", page.locator("#terminal"))
    audit.assert_clean()
    guard.assert_clean()


def test_without_javascript_a_command_posts_and_the_page_shows_its_output(
    live_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    Learner(page, js=False).start(live_server.url, "keys-vs-role")

    page.get_by_label("Where you are").select_option(label=_web_1(page))
    with page.expect_navigation():
        page.get_by_role("button", name="Open a shell there").click()
    page.get_by_label("Command", exact=True).fill("aws sts get-caller-identity")
    with page.expect_navigation():
        page.get_by_role("button", name="Run", exact=True).click()

    assert re.search(r"\?place=i-\w+#terminal$", page.url)
    expect(page.locator("#terminal-lines")).to_contain_text("user/app-user")
    context.close()


def test_a_command_the_server_refuses_says_so_and_keeps_what_was_typed(
    live_server: LiveServer, page: Page
) -> None:
    """htmx swaps nothing for a 403: the status region says what happened and what to do
    (here the browser's CSRF cookie changed under the page, as a sign-in in another tab does)."""
    Learner(page).start(live_server.url, "sandbox")
    page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}])
    box = page.get_by_label("Command", exact=True)
    box.fill("aws sts get-caller-identity")

    with page.expect_response(lambda response: response.status == 403):
        box.press("Enter")

    expect(page.locator("#status")).to_contain_text("this page is out of date")
    expect(page.locator("#status")).to_contain_text("reload the page and try again")
    expect(box).to_have_value("aws sts get-caller-identity")
