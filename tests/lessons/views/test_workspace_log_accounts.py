"""The activity log of a scenario with several accounts: each account's CloudTrail is its own,
the learner's shown first, another's chosen with `?log=` (its name or id), kept by htmx actions
as the console's `?as=` is; a one-account scenario's log says nothing of accounts."""

import re
from pathlib import Path

import pytest
from django.test import Client

from lessons.models import Attempt, Owner, catalogue
from tests.factories import learner_key
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_accounts")]

HTMX = {"HX-Request": "true"}
URL = "/s/two-accounts/"
VENDOR_SHELL = "cloudshell@444455556666"

TWO_ACCOUNTS = """
slug: two-accounts
title: A vendor's account
summary: Your account and a vendor's.
sandbox: true
setup:
  - add_account: {id: "444455556666", name: vendor}
  - service: s3
    operation: CreateBucket
    params: {Bucket: yours-bucket}
steps: []
"""


@pytest.fixture
def two_accounts(scenarios: Path) -> None:  # noqa: F811 -- the fixture, imported
    (scenarios / "two-accounts.yaml").write_text(TWO_ACCOUNTS, encoding="utf-8")
    catalogue.cache_clear()


def _started(client: Client) -> Attempt:
    """The page opened, the attempt stored, the vendor's admin having listed the buckets."""
    client.get(URL)
    key = learner_key(client)
    assert key is not None
    attempt = Attempt.start(Owner(learner_key=key), catalogue()["two-accounts"])
    attempt.apply(
        lambda world: world.call(
            world.account("vendor").admin_credentials(), "s3", "ListBuckets", {}
        )
    )
    return attempt


def _log(html: str) -> str:
    start = html.index('<section id="activity"')
    return html[start : html.index("</section>", start)]


def _operations(html: str) -> list[str]:
    """The operations of the log's rows, newest first (only the log's rows have event__what)."""
    return re.findall(r'<span class="event__what"><strong>([^<]+)</strong>', html)


def test_the_learners_own_log_is_shown_first_and_named(client: Client) -> None:
    _started(client)

    log = _log(client.get(URL).text)

    assert '<h2 id="activity-heading">Activity log: your account (111122223333)</h2>' in log
    assert "s3 ListBuckets" not in _operations(log)
    assert (
        '<a href="/s/two-accounts/#activity" hx-get="/s/two-accounts/" hx-target="#activity"'
        ' hx-swap="outerHTML" hx-push-url="true" aria-current="true">Your account (111122223333)</a>'
    ) in log
    assert '<a href="/s/two-accounts/?log=vendor#activity"' in log
    assert ">Account vendor (444455556666)</a>" in log


@pytest.mark.parametrize("chosen", ["vendor", "444455556666"])
def test_the_log_of_another_account_shows_its_calls(client: Client, chosen: str) -> None:
    _started(client)

    log = _log(client.get(URL, {"log": chosen}).text)

    assert '<h2 id="activity-heading">Activity log: account vendor (444455556666)</h2>' in log
    assert _operations(log) == ["s3 ListBuckets"]
    assert re.search(r'hx-push-url="true" aria-current="true">Account vendor \(444455556666\)</a>', log)  # fmt: skip


def test_an_htmx_link_brings_only_that_accounts_log(client: Client) -> None:
    _started(client)

    response = client.get(URL, {"log": "vendor"}, headers={**HTMX, "HX-Target": "activity"})

    assert "<html" not in response.text
    assert _operations(response.text) == ["s3 ListBuckets"]


def test_an_htmx_action_keeps_the_log_the_page_shows(client: Client) -> None:
    _started(client)
    page = client.get(URL, {"log": "vendor"}).text
    shown = re.search(r'name="log_shown" value="([^"]*)"', page)
    assert shown is not None

    response = client.post(
        URL,  # a form rendered before the page chose the vendor's log: the page's URL decides
        {
            "action": "terminal-run",
            "place": VENDOR_SHELL,
            "command": "aws s3 ls",
            "log_shown": shown.group(1),
        },  # fmt: skip
        headers={**HTMX, "HX-Current-URL": f"http://testserver{URL}?log=vendor"},
    )

    assert response.status_code == 200
    new_rows = re.search(r'<ol hx-swap-oob="afterbegin:#events">(.*?)</ol>', response.text, re.S)
    assert new_rows is not None  # only the new row, on top of the vendor's log
    assert "<strong>s3 ListBuckets</strong>" in new_rows.group(1)
    assert "aws-cli" in new_rows.group(1)


def test_an_htmx_action_on_another_accounts_log_without_one_on_the_page_shows_it_whole(
    client: Client,
) -> None:
    _started(client)

    response = client.post(
        URL,
        {"action": "terminal-run", "place": VENDOR_SHELL, "command": "aws s3 ls"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{URL}?log=vendor"},
    )

    assert "Activity log: account vendor (444455556666)" in response.text
    assert _operations(response.text) == ["s3 ListBuckets", "s3 ListBuckets"]


def test_without_javascript_an_action_comes_back_to_the_same_log(client: Client) -> None:
    _started(client)

    response = client.post(
        URL + "?log=vendor",
        {"action": "terminal-run", "place": VENDOR_SHELL, "command": "aws s3 ls"},
    )

    assert response.status_code == 302
    assert "log=vendor" in response["Location"]
    assert _operations(client.get(response["Location"]).text) == ["s3 ListBuckets"] * 2


def test_the_learners_own_account_may_be_asked_for_by_its_id(client: Client) -> None:
    _started(client)

    log = _log(client.get(URL, {"log": "111122223333"}).text)

    assert "Activity log: your account (111122223333)" in log
    assert "no account" not in log
    assert "s3 ListBuckets" not in _operations(log)


def test_an_account_the_world_does_not_hold_is_said_and_the_learners_log_shown(
    client: Client,
) -> None:
    _started(client)

    log = _log(client.get(URL, {"log": "<b>nobody</b>"}).text)

    assert "This scenario has no account “&lt;b&gt;nobody&lt;/b&gt;”: the log shows your account (111122223333)." in log  # fmt: skip
    assert "Activity log: your account (111122223333)" in log


def test_a_one_account_scenarios_log_says_nothing_of_accounts(client: Client) -> None:
    plain = client.get("/s/two-steps/").text
    asked = client.get("/s/two-steps/", {"log": "vendor"}).text

    assert '<h2 id="activity-heading">Activity log</h2>' in _log(plain)
    assert "account" not in _log(plain).replace("calls to the account", "")
    assert _operations(asked) == _operations(plain)
    assert "no account" not in asked


def test_the_pages_get_forms_keep_the_log_chosen(client: Client) -> None:
    _started(client)

    page = client.get(URL, {"log": "vendor"}).text

    start = page.index('id="terminal-places"')
    places = page[start : page.index("</form>", start)]
    assert '<input type="hidden" name="log" value="vendor">' in places
    assert 'action="/s/two-accounts/?log=vendor#terminal"' in page  # the command line's form
