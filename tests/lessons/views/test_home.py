"""The home page is the catalogue: the site's heading, its links and its security headers."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_home_is_the_catalogue(client: Client) -> None:
    response = client.get(reverse("lessons:catalogue"))

    assert reverse("lessons:catalogue") == "/"
    assert response.status_code == 200
    assert "RoleCall — learn AWS IAM by doing" in response.text
    assert '<main id="main"' in response.text
    assert 'aria-current="page">Scenarios</a>' in response.text


@pytest.mark.django_db
def test_home_links_to_the_policy_simulator(client: Client) -> None:
    response = client.get("/")

    assert f'href="{reverse("lessons:simulate")}"' in response.text
    assert reverse("lessons:simulate") == "/simulate/"


@pytest.mark.django_db
def test_home_loads_htmx_from_the_app_not_a_cdn(client: Client) -> None:
    response = client.get("/")

    assert '<script src="/static/django_htmx/htmx-2.min.js" defer>' in response.text
    assert "http://" not in response.text
    assert "https://" not in response.text
    assert '="//' not in response.text


@pytest.mark.django_db
def test_home_sends_a_strict_content_security_policy(client: Client) -> None:
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_home_refuses_post(client: Client) -> None:
    response = client.post("/")

    assert response.status_code == 405
