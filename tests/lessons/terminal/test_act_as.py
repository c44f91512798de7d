"""The console's "act as": the admin by default, or any credentials a place holds, so the
terminal's experiments can be done from the forms; each call is made with those credentials
from that place's address, and the log says so."""

import re
from urllib.parse import quote

import pytest
from django.test import Client

from lessons.models import Attempt, Learner
from tests.factories import learner_key

pytestmark = [pytest.mark.django_db]

URL = "/s/keys-on-web/"
HTMX = {"HX-Request": "true"}


def _choices(page: str) -> dict[str, str]:
    """The console's act-as options: their words → their value."""
    select = page[page.index('<select id="act-as-choice"') :]
    select = select[: select.index("</select>")]
    return {text: value for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select)}  # fmt: skip


def _web_key(client: Client) -> str:
    choices = _choices(client.get(URL).text)
    return next(v for text, v in choices.items() if "credentials [default]" in text)


def _last_event(client: Client) -> dict[str, object]:
    learner = Learner.objects.get(key=learner_key(client))
    return Attempt.objects.get(learner=learner).load_world().events[-1]


def test_the_console_acts_as_the_admin_until_told_otherwise(client: Client) -> None:
    choices = _choices(client.get(URL).text)

    assert list(choices)[0].startswith("admin: the account's admin")
    assert any(text.startswith("user app-user — web-1 (i-") for text in choices)
    assert 'name="as"' not in client.get(URL).text.split('id="act-as"')[1].split("</form>")[1]


def test_acting_as_web_1s_stored_key_calls_as_app_user_from_web_1(client: Client) -> None:
    key = _web_key(client)
    page = client.get(f"{URL}?as={quote(key)}").text
    assert "The console's calls are made as user app-user" in page
    assert f'<input type="hidden" name="as" value="{key}">' in page

    data = {"action": "console-bucket-create", "bucket": "stolen-bucket", "as": key}
    response = client.post(f"{URL}?as={quote(key)}", data, headers=HTMX)

    assert "AccessDenied" in response.text
    event = _last_event(client)
    assert event["eventName"] == "CreateBucket"
    assert event["userIdentity"]["userName"] == "app-user"  # type: ignore[index]
    assert event["sourceIPAddress"] != "203.0.113.10"  # web-1's address, not the console's


def test_an_allowed_call_as_someone_else_says_as_whom(client: Client) -> None:
    key = _web_key(client)
    data = {"action": "console-object-put", "bucket": "web-data", "key": "a.txt", "body": "x", "as": key}  # fmt: skip

    client.post(f"{URL}?as={quote(key)}", data)

    page = client.get(f"{URL}?as={quote(key)}").text
    assert "Put a.txt in web-data (1 byte). (as user app-user — web-1" in page


def test_credentials_no_place_holds_any_more_send_nothing_and_say_so(client: Client) -> None:
    data = {"action": "console-user-create", "user_name": "bob", "as": "laptop environment"}

    response = client.post(URL, data)

    assert response.status_code == 200
    assert "no place holds those credentials any more" in response.text
    assert not Attempt.objects.exists() or "bob" not in str(_last_event(client))


def test_a_page_asking_for_credentials_no_place_holds_acts_as_the_admin(client: Client) -> None:
    page = " ".join(client.get(f"{URL}?as=laptop+environment").text.split())

    assert "No place holds “laptop environment” now: the console acts as the admin." in page
