import json
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

PUT_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::reports-bucket/*",
            }
        ],
    },
    indent=2,
)
DENY_GET = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoReports",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::reports-bucket/*",
            }
        ],
    },
    indent=2,
)
AWS_MESSAGE = (
    'on resource: "arn:aws:s3:::reports-bucket/reports/q1.csv" because no identity-based '
    "policy allows the s3:GetObject action"
)


def test_with_javascript_findings_follow_typing_and_evaluate_swaps_in_the_decision(
    live_server: LiveServer, page: Page
) -> None:
    requested: list[str] = []
    console: list[ConsoleMessage] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message))

    page.goto(live_server.url + "/simulate/")
    result = page.locator("#result")
    expect(result.locator(".verdict")).to_have_text("✔ Allowed")
    page.evaluate("window.stillTheSamePage = true")

    # Findings follow the text as it is typed, without pressing anything.
    policy = page.get_by_label("Identity policy 1", exact=True)
    findings = page.locator("#findings-identity-policy-1")
    policy.fill(PUT_ONLY.replace("s3:PutObject", "s3:PutObjct"))
    expect(findings).to_contain_text("Did you mean s3:PutObject?")
    policy.fill(PUT_ONLY)
    expect(findings).to_contain_text("No findings.")
    expect(result.locator(".verdict")).to_have_text("✔ Allowed")  # not evaluated yet

    page.get_by_role("button", name="Evaluate").click()
    expect(result.locator(".verdict")).to_have_text("⊘ Implicitly denied")
    expect(result).to_contain_text(AWS_MESSAGE)
    expect(page.locator("#result-status")).to_have_text("Decision: Implicitly denied.")

    # A second identity policy with an explicit Deny: the deciding statement is marked.
    page.get_by_role("button", name="Add another identity policy").click()
    second = page.get_by_label("Identity policy 2", exact=True)
    expect(second).to_be_focused()
    second.fill(DENY_GET)
    page.get_by_role("button", name="Evaluate").click()
    expect(result.locator(".verdict")).to_have_text("✖ Explicitly denied")
    decided = result.locator("mark.stmt--decided")
    expect(decided).to_have_count(1)
    expect(decided).to_contain_text("Decided here: Deny")
    expect(decided).to_contain_text('"Sid": "NoReports"')
    expect(policy).to_have_value(PUT_ONLY)

    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped; no page load
    own = urlsplit(live_server.url).netloc
    assert [url for url in requested if urlsplit(url).netloc != own] == []
    assert [m.text for m in console if m.type == "error"] == []  # e.g. CSP violations


def test_without_javascript_the_form_posts_and_adds_policies(
    live_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(live_server.url + "/simulate/")
    expect(page.locator("#result .verdict")).to_have_text("✔ Allowed")

    page.get_by_label("Identity policy 1", exact=True).fill(PUT_ONLY)
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#result .verdict")).to_have_text("⊘ Implicitly denied")
    expect(page.locator("#result")).to_contain_text(AWS_MESSAGE)
    assert page.url.endswith("/simulate/#result")

    page.get_by_role("button", name="Add another identity policy").click()
    expect(page.get_by_label("Identity policy 2", exact=True)).to_be_visible()
    expect(page.get_by_label("Identity policy 1", exact=True)).to_have_value(PUT_ONLY)

    # Enter in a text field evaluates; it must not add yet another policy.
    action = page.get_by_label("Action", exact=True)
    action.fill("s3:PutObject")
    action.press("Enter")
    expect(page.locator("#result .verdict")).to_have_text("✔ Allowed")
    expect(page.get_by_label("Identity policy 3", exact=True)).to_have_count(0)
    context.close()


def test_simulator_fits_a_375px_phone_without_sideways_scrolling(
    live_server: LiveServer, page: Page
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/simulate/")
    expect(page.locator("#result .verdict")).to_have_text("✔ Allowed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_label("Identity policy 1", exact=True).fill(DENY_GET)
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#result .verdict")).to_have_text("✖ Explicitly denied")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_decision_is_a_keyboard_press_away(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/simulate/")

    page.get_by_label("Action", exact=True).fill("s3:DeleteObject")
    page.keyboard.press("Enter")

    expect(page.locator("#result .verdict")).to_have_text("⊘ Implicitly denied")
    expect(page.get_by_label("Action", exact=True)).to_be_focused()
    expect(page.locator("#identity-policies textarea")).to_have_count(1)
