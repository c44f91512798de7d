"""Requests Django refuses before a view of ours runs get the site's own page, in words:
a stale form (CSRF) and a request too large or malformed to read."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db]


def test_a_form_from_an_out_of_date_page_says_so_and_what_to_do() -> None:
    browser = Client(enforce_csrf_checks=True)

    answer = browser.post("/join/", {"code": "ABCD2345", "name": "Sam"})

    assert answer.status_code == 403
    assert "<h1>This page was out of date</h1>" in answer.text
    assert "reload that page and send it again" in answer.text
    assert "CSRF verification failed" not in answer.text


def test_a_request_too_large_to_read_gets_a_page_not_a_bare_400(client: Client) -> None:
    answer = client.post("/join/", {"code": "x", "name": "y" * 3_000_000})

    assert answer.status_code == 400
    assert "<h1>That request could not be read</h1>" in answer.text
    assert "nothing was changed" in answer.text
