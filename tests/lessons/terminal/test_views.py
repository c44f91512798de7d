"""The workspace's terminal through the page: a command run in a place is saved with the
attempt (it survives a reload, a reset clears it), it is the learner's own, a stale or bad
post changes nothing and says why; with htmx only the new lines come back."""

import html
import json
import re
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from lessons import terminal
from lessons.models import Attempt, Learner
from simulator.terminal.cli import USER_AGENT
from tests.factories import learner_key

pytestmark = [pytest.mark.django_db]

URL = "/s/keys-on-web/"
HTMX = {"HX-Request": "true"}


def _place(client: Client, label: str = "web-1", url: str = URL) -> str:
    """The id of the place the terminal's chooser names `label…` (web-1 is its instance id)."""
    page = client.get(url).text
    found = re.search(rf'<option value="([^"]+)"[^>]*>{re.escape(label)}', page)
    assert found, f"no place {label} in the chooser"
    return found.group(1)


def _run(client: Client, place: str, command: str, url: str = URL, **headers: str) -> HttpResponse:
    data = {"action": "terminal-run", "place": place, "command": command}
    return client.post(url, data, headers=headers)


def _log(page: str) -> str:
    """The terminal's log as the learner reads it."""
    found = re.search(r'<div id="terminal-lines".*?>(.*?)</div>', page, re.S)
    assert found
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def _attempt(client: Client, slug: str = "keys-on-web") -> Attempt:
    return Attempt.objects.get(learner=Learner.objects.get(key=learner_key(client)), scenario=slug)


def _triggers(response: HttpResponse) -> dict[str, Any]:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


# --- Running a command ------------------------------------------------------------------------


def test_every_workspace_has_a_terminal_that_starts_in_cloudshell(client: Client) -> None:
    for url in (URL, "/s/sandbox/"):
        page = client.get(url).text
        assert '<section id="terminal"' in page
        assert '<label for="terminal-place">Where you are</label>' in page
        assert re.search(r'<option value="cloudshell" selected>CloudShell</option>', page)
        assert 'role="log" aria-live="polite"' in page


def test_a_command_without_javascript_redirects_to_the_terminal_of_its_place(
    client: Client,
) -> None:
    web = _place(client)

    response = _run(client, web, "cat ~/.aws/credentials")

    assert response.status_code == 302
    assert response.headers["Location"] == f"{URL}?place={web}#terminal"
    page = client.get(response.headers["Location"]).text
    log = _log(page)
    assert "[ec2-user@" in log
    assert "$ cat ~/.aws/credentials" in log
    assert re.search(r"aws_access_key_id = AKIA\w+", log)
    assert f'<option value="{web}" selected>' in page


def test_the_transcript_is_saved_with_the_attempt_and_survives_a_reload(client: Client) -> None:
    web = _place(client)
    _run(client, web, "aws sts get-caller-identity")

    again = Client()
    again.cookies = client.cookies  # the same learner on a fresh page
    log = _log(again.get(f"{URL}?place={web}").text)

    assert "$ aws sts get-caller-identity" in log
    assert '"Arn": "arn:aws:iam::111122223333:user/app-user"' in log


def test_each_place_keeps_its_own_transcript(client: Client) -> None:
    web = _place(client)
    _run(client, web, "echo on-web-1")

    assert "on-web-1" in _log(client.get(f"{URL}?place={web}").text)
    assert "on-web-1" not in _log(client.get(f"{URL}?place=laptop").text)


def test_starting_again_clears_the_terminal(client: Client) -> None:
    web = _place(client)
    _run(client, web, "echo before-reset")

    client.post(URL, {"action": "reset", "confirm": "yes"})

    assert "before-reset" not in _log(client.get(f"{URL}?place={web}").text)


def test_a_get_stores_nothing(client: Client) -> None:
    web = _place(client)

    client.get(f"{URL}?place={web}")
    client.get(f"{URL}?place={web}", headers={**HTMX, "HX-Target": "terminal"})

    assert not Attempt.objects.exists()


# --- With htmx ----------------------------------------------------------------------------------


def test_htmx_gets_the_new_lines_alone_the_command_line_and_the_logs_new_row(
    client: Client,
) -> None:
    web = _place(client)
    _run(client, web, "echo first")

    response = _run(client, web, "aws sts get-caller-identity", **HTMX)

    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert "world-changed" in _triggers(response)
    lines = html.unescape(re.sub(r"<[^>]+>", "", text.split('<form id="terminal-form"')[0]))
    assert "$ aws sts get-caller-identity" in lines
    assert "echo first" not in lines  # only what this command added
    assert re.search(r'<form id="terminal-form"[^>]*hx-swap-oob="true"', text)
    assert (
        'data-history="[&quot;echo first&quot;, &quot;aws sts get-caller-identity&quot;]"' in text
    )
    assert "sts GetCallerIdentity" in text  # the log's new row, out of band
    assert "aws-cli" in text


def test_a_command_that_changes_nothing_the_console_shows_leaves_the_console_alone(
    client: Client,
) -> None:
    response = _run(client, "cloudshell", "pwd", **HTMX)

    assert "/home/cloudshell-user" in response.text
    assert 'id="console"' not in response.text


def test_a_command_that_changes_the_account_brings_the_console_too(client: Client) -> None:
    response = _run(client, "cloudshell", "aws iam create-user --user-name bob", **HTMX)

    assert re.search(r'<section id="console"[^>]*hx-swap-oob="true"', response.text)
    assert "bob" in response.text


def test_clear_empties_the_log_in_the_page(client: Client) -> None:
    _run(client, "cloudshell", "echo hello")

    response = _run(client, "cloudshell", "clear", **HTMX)

    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "hello" not in _log(client.get(URL).text)


def test_htmx_asks_for_the_terminal_of_another_place_alone(client: Client) -> None:
    web = _place(client)

    response = client.get(f"{URL}?place={web}", headers={**HTMX, "HX-Target": "terminal"})

    assert response.text.lstrip().startswith('<section id="terminal"')
    assert 'id="console"' not in response.text
    assert f'<input type="hidden" name="place" value="{web}">' in response.text


# --- What must change nothing ----------------------------------------------------------------------


def test_another_learner_neither_sees_nor_writes_into_this_terminal(client: Client) -> None:
    web = _place(client)
    _run(client, web, "echo mine-alone")
    mine = _attempt(client)

    other = Client()
    theirs = _place(other)  # their own world's web-1
    assert "mine-alone" not in _log(other.get(f"{URL}?place={theirs}").text)
    _run(other, theirs, "echo from-the-other")
    _run(other, web, "echo into-my-web-1")  # my instance is no place of theirs

    mine.refresh_from_db()
    lines = terminal.panel(mine.load_world(), web).transcript.lines
    assert any("mine-alone" in line for line in lines)
    assert not any("from-the-other" in line or "into-my-web-1" in line for line in lines)
    assert "from-the-other" in _log(other.get(f"{URL}?place={theirs}").text)


def test_a_page_opened_as_someone_else_runs_nothing(client: Client) -> None:
    _run(client, "cloudshell", "echo first")
    attempt = _attempt(client)
    revision = attempt.revision

    data = {"action": "terminal-run", "place": "cloudshell", "command": "echo stale", "owner": "x"}
    response = client.post(URL, data)

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.revision == revision
    page = client.get(response.headers["Location"]).text
    assert "opened by someone else" in page
    assert "stale" not in _log(page)


def test_an_unknown_place_gets_a_clear_message_and_runs_nothing(client: Client) -> None:
    response = _run(client, "i-0nosuchinstance", "aws s3 ls")

    assert response.status_code == 200  # the page again, with what was typed
    assert "There is no place “i-0nosuchinstance”" in response.text
    assert ">aws s3 ls</textarea>" in response.text
    assert not Attempt.objects.exists() or _attempt(client).revision == 0

    htmx = _run(client, "i-0nosuchinstance", "aws s3 ls", **HTMX)
    assert htmx.status_code == 200
    assert htmx.headers["HX-Reswap"] == "none"
    assert "There is no place" in htmx.text


def test_a_command_over_the_limit_is_refused_in_words(client: Client) -> None:
    too_long = "echo " + "x" * terminal.MAX_COMMAND_CHARS

    response = _run(client, "cloudshell", too_long)

    assert response.status_code == 200
    assert f"the terminal takes at most {terminal.MAX_COMMAND_CHARS:,}" in response.text
    assert "xxxx" not in _log(response.text)


def test_an_empty_command_runs_nothing(client: Client) -> None:
    response = _run(client, "cloudshell", "   ", **HTMX)

    assert "Type a command" in response.text
    assert response.headers["HX-Reswap"] == "none"


# --- The activity log ----------------------------------------------------------------------------


def test_the_log_shows_a_terminal_call_with_caller_key_address_and_the_cli(client: Client) -> None:
    web = _place(client)
    _run(client, web, "aws sts get-caller-identity")

    page = client.get(f"{URL}?place={web}").text
    address = re.search(r"its calls come from <code>([0-9.]+)</code>", page)
    assert address
    row = page[page.index('<li id="event-row-') :]
    row = row[: row.index("</li>")]
    assert "sts GetCallerIdentity" in row
    assert "user/app-user" in row
    assert "aws-cli" in row
    assert re.search(r"<dt>Access key</dt><dd><code>AKIA\w+</code>", row)
    assert f"<dt>Source IP</dt><dd><code>{address.group(1)}</code>" in row
    assert f"<dt>User agent</dt><dd><code>{html.escape(USER_AGENT)}</code>" in row


def test_a_command_that_would_outgrow_the_world_limit_says_so_and_saves_nothing(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lessons import models

    shell = _place(client, "CloudShell")
    _run(client, shell, "aws iam create-user --user-name first")
    attempt = _attempt(client)
    monkeypatch.setattr(models, "MAX_WORLD_BYTES", models._json_size(attempt.world) + 500)
    tags = " ".join(f"Key=k{n},Value={'v' * 200}" for n in range(20))

    for headers in ({}, HTMX):
        answer = _run(
            client, shell, f"aws iam create-user --user-name big --tags {tags}", **headers
        )
        assert answer.status_code == 200
        assert "larger than RoleCall keeps for one learner" in html.unescape(answer.text)

    assert _attempt(client).revision == attempt.revision
