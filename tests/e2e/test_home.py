from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer


def test_home_page_shows_its_heading_and_requests_nothing_from_other_hosts(
    live_server: LiveServer, page: Page
) -> None:
    requested: list[str] = []
    console: list[ConsoleMessage] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message))

    page.goto(live_server.url + "/")

    expect(page.get_by_role("heading", level=1)).to_have_text("RoleCall — learn AWS IAM by doing")
    expect(page.get_by_role("link", name="Open the policy simulator")).to_have_attribute(
        "href", "/simulate/"
    )
    page.wait_for_load_state("networkidle")
    own = urlsplit(live_server.url).netloc
    assert any(url.endswith("htmx-2.min.js") for url in requested)
    assert [url for url in requested if urlsplit(url).netloc != own] == []
    assert page.evaluate("typeof htmx") == "object"
    assert [m.text for m in console if m.type == "error"] == []  # e.g. CSP violations


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_home_page_fits_a_375px_phone_without_sideways_scrolling(
    live_server: LiveServer, page: Page
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(live_server.url + "/")

    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
