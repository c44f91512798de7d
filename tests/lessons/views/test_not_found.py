"""The site's 404 page (templates/404.html, lessons.not_found), and what the workspace says of
a scenario the catalogue does not serve (gone, or its file left out for its problems)."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.views.defaults import page_not_found

from lessons import models
from lessons.models import Attempt, Classroom, Owner
from lessons.not_found import not_found
from tests.factories import hold_learner_key, hold_member_key, learner_key, member
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}


def _lead(page: str) -> str:
    start = page.index('<p class="lead">')
    return page[start : page.index("</p>", start)]


def test_an_unknown_address_gets_the_sites_page_with_the_way_home(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    page = response.text
    assert '<header class="site-header">' in page  # base.html's, not Django's bare page
    assert "<title>Page not found — RoleCall</title>" in page
    assert "<h1>Page not found</h1>" in page
    assert "There is no page at <code>/no/such/page/</code>" in page
    assert '<a class="button" href="/">RoleCall\'s home page</a>' in page
    assert "Resolver404" not in page  # the message Django passes for an unmatched address


def test_djangos_own_message_is_not_shown(client: Client) -> None:
    client.force_login(User.objects.create_user("ada", password="a long password 1"))

    response = client.get("/teach/NOSUCH/")  # get_object_or_404: "No Classroom matches …"

    assert response.status_code == 404
    assert "Classroom" not in response.text
    assert "There is no page at <code>/teach/NOSUCH/</code>" in response.text


def test_a_reason_a_view_wrote_for_its_reader_is_shown_escaped() -> None:
    request = RequestFactory().get("/somewhere/")

    shown = page_not_found(request, not_found("No <b>such</b> thing.", heading="Gone <i>"))
    plain = page_not_found(request, Exception("No <b>such</b> thing."))

    assert '<p class="lead">No &lt;b&gt;such&lt;/b&gt; thing.</p>' in shown.text
    assert "<h1>Gone &lt;i&gt;</h1>" in shown.text
    assert "such" not in plain.text


def test_an_unknown_scenario_says_there_is_none(client: Client) -> None:
    response = client.get("/s/no-such-scenario/")

    assert response.status_code == 404
    assert "There is no such scenario" in _lead(response.text)


def test_a_scenario_whose_file_is_gone_says_it_is_unavailable_and_the_work_kept(
    client: Client,
    scenarios: Path,  # noqa: F811 -- the fixture, imported
) -> None:
    client.get("/s/two-steps/")
    key = learner_key(client)
    assert key is not None
    started = Attempt.start(Owner(learner_key=key), models.catalogue()["two-steps"])
    (scenarios / "two-steps.yaml").unlink()
    models.catalogue.cache_clear()

    response = client.get("/s/two-steps/")
    posted = client.post("/s/two-steps/", {"action": "check"})

    assert (response.status_code, posted.status_code) == (404, 404)
    assert "<h1>This scenario is unavailable for now</h1>" in response.text
    assert "Your work on it is kept" in _lead(response.text)
    assert ".yaml" not in response.text
    assert Attempt.objects.get(pk=started.pk).world == started.world


def test_a_scenario_whose_file_has_problems_is_unavailable_without_naming_the_file(
    client: Client,
    scenarios: Path,  # noqa: F811
) -> None:
    path = scenarios / "two-steps.yaml"
    path.write_text(path.read_text().replace("    hints: [", "    hint: ["))
    models.catalogue.cache_clear()
    hold_learner_key(client, "a-learner-who-never-opened-it")

    response = client.get("/s/two-steps/")

    assert response.status_code == 404
    assert "unavailable for now" in response.text
    assert "two-steps.yaml" not in response.text
    assert "hint" not in _lead(response.text)


def test_a_class_members_scenario_gone_is_unavailable_to_them(
    client: Client,
    scenarios: Path,  # noqa: F811
) -> None:
    teacher = User.objects.create_user("teacher", password="a long password 1")
    room = Classroom.objects.create(instructor=teacher, title="T", scenarios=["two-steps", "mini"])
    hold_member_key(client, member(room).key)
    (scenarios / "two-steps.yaml").unlink()
    models.catalogue.cache_clear()

    response = client.get("/s/two-steps/")

    assert response.status_code == 404
    assert "unavailable for now" in response.text


def test_htmx_asking_for_an_unserved_scenario_is_sent_to_the_page_that_explains(
    client: Client,
) -> None:
    fragment = client.get("/s/no-such-scenario/", headers={**HTMX, "HX-Target": "activity"})
    action = client.post("/s/no-such-scenario/", {"action": "check"}, headers=HTMX)

    assert fragment["HX-Redirect"] == action["HX-Redirect"] == "/s/no-such-scenario/"
