"""The catalogue at /: every scenario with what it teaches and the learner's progress."""

import logging
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from lessons import models
from lessons.models import Attempt, Classroom, Learner
from lessons.warm import warm_up
from tests.factories import hold_member_key, learner_key, member, started
from tests.lessons.workspace_scenarios import MINI, scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]


def _card(page: str, slug: str) -> str:
    start = page.index(f'aria-labelledby="card-{slug}"')
    return page[start : page.index("</article>", start)]


def test_lists_every_scenario_with_what_you_will_learn(client: Client) -> None:
    page = client.get("/").text

    card = _card(page, "two-steps")
    assert "Role in, keys out" in card
    assert "What you will learn" in card
    assert "<li>Attach an instance profile to a running instance</li>" in card
    assert "About 10 minutes" in card
    assert "Intermediate" in card
    assert "2 steps" in card
    assert 'href="/s/two-steps/"' in card
    assert "Attach a role" in _card(page, "mini")


def test_scenarios_come_in_catalogue_order(client: Client) -> None:
    page = client.get("/").text

    assert page.index("card-mini") < page.index("card-two-steps") < page.index("card-sandbox")


def test_a_new_visitor_has_started_nothing_and_gets_no_learner(client: Client) -> None:
    page = client.get("/").text

    assert _card(page, "two-steps").count("Not started") == 1
    assert 'Start<span class="visually-hidden">: Role in, keys out</span>' in page
    assert Learner.objects.count() == 0
    assert learner_key(client) is None


def test_progress_is_in_words(client: Client) -> None:
    started(client, "two-steps")
    learner = Learner.objects.get()
    Attempt.objects.filter(learner=learner).update(step_index=1)
    mini = started(client, "mini")
    Attempt.objects.filter(learner=learner, scenario="mini").update(step_index=1)
    mini.refresh_from_db()
    mini.answer("q1", 0)

    page = client.get("/").text

    assert "Step 2 of 2" in _card(page, "two-steps")
    assert "Continue<span" in _card(page, "two-steps")
    assert "Completed — quiz 1/1" in _card(page, "mini")
    assert "Review<span" in _card(page, "mini")
    assert "Not started" in _card(page, "sandbox")


def test_catalogue_says_completed_only_with_the_quiz_done(client: Client) -> None:
    attempt = started(client, "two-steps")
    Attempt.objects.filter(pk=attempt.pk).update(step_index=2)
    attempt.refresh_from_db()

    every_step = _card(client.get("/").text, "two-steps")
    attempt.answer("profile-roles", 1)  # wrong
    one_answered = _card(client.get("/").text, "two-steps")
    attempt.answer("rotation", 1)  # right
    quiz_done = _card(client.get("/").text, "two-steps")

    assert "Completed" not in every_step
    assert "Steps done; 2 questions left" in every_step
    assert "Continue<span" in every_step
    assert "Completed" not in one_answered
    assert "Completed — quiz 1/2" in quiz_done
    assert "Review<span" in quiz_done


def test_catalogue_gives_the_latest_tries_score(client: Client) -> None:
    attempt = started(client, "two-steps")
    Attempt.objects.filter(pk=attempt.pk).update(step_index=2)
    attempt.refresh_from_db()
    attempt.answer("profile-roles", 1)
    attempt.answer("rotation", 0)
    attempt.retry_quiz()

    retrying = _card(client.get("/").text, "two-steps")
    attempt.answer("profile-roles", 0)
    attempt.answer("rotation", 1)

    assert "Completed — quiz 0/2" in retrying  # a try was finished; the new one has begun
    assert "Completed — quiz 2/2" in _card(client.get("/").text, "two-steps")


def test_progress_is_the_visitors_own(client: Client) -> None:
    started(client, "two-steps")

    page = Client().get("/").text

    assert "Not started" in _card(page, "two-steps")


def test_offers_the_sandbox_and_the_policy_simulator(client: Client) -> None:
    page = client.get("/").text

    sandbox = _card(page, "sandbox")
    assert "Free play, no steps" in sandbox
    assert 'href="/s/sandbox/"' in sandbox
    assert 'href="/simulate/"' in page
    assert "Open the policy simulator" in page


def test_catalogue_is_get_only(client: Client) -> None:
    assert client.post("/").status_code == 405


# --- A broken scenario file ------------------------------------------------------------------

BROKEN_SETUP = "  - service: iam\n    operation: AddRoleToInstanceProfile\n"


@pytest.fixture
def one_broken(scenarios: Path) -> Path:  # noqa: F811 -- the fixture, imported
    """The scenarios' folder with two broken files: one misspells a key, one's setup fails."""
    two_steps = (scenarios / "two-steps.yaml").read_text()
    (scenarios / "two-steps.yaml").write_text(two_steps.replace("    hints: [", "    hint: ["))
    (scenarios / "failing-setup.yml").write_text(
        MINI.read_text()
        .replace("slug: mini", "slug: failing-setup")
        .replace("RoleName: AppRole}", "RoleName: NoSuchRole}")
    )
    models.catalogue.cache_clear()
    return scenarios


def test_a_broken_file_leaves_the_others_served(client: Client, one_broken: Path) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert 'aria-labelledby="card-mini"' in response.text
    assert 'aria-labelledby="card-sandbox"' in response.text
    assert "card-two-steps" not in response.text
    assert "card-failing-setup" not in response.text
    assert client.get("/s/two-steps/").status_code == 404


def test_learners_see_no_note_of_broken_files(client: Client, one_broken: Path) -> None:
    page = client.get("/").text

    assert "not served" not in page
    assert "two-steps.yaml" not in page


def test_instructors_see_a_note_naming_each_broken_file_and_its_problems(
    client: Client, one_broken: Path
) -> None:
    client.force_login(User.objects.create_user("teacher", password="a long password 1"))

    response = client.get("/")

    assert response.status_code == 200
    start = response.text.index('aria-labelledby="broken-heading"')
    note = response.text[start : response.text.index("</section>", start)]
    assert "2 scenario files not served" in note
    two_steps = (one_broken / "two-steps.yaml").read_text()
    hint_line = next(n for n, row in enumerate(two_steps.splitlines(), 1) if "hint: [" in row)
    assert "<code>two-steps.yaml</code>" in note
    assert (
        f"line {hint_line}: unknown key &#x27;hint&#x27;: did you mean &#x27;hints&#x27;?" in note
    )
    assert "<code>failing-setup.yml</code>" in note
    assert "setup fails: NoSuchEntity" in note
    assert 'aria-labelledby="card-mini"' in response.text


def test_loading_a_folder_with_broken_files_logs_them_and_does_not_raise(
    one_broken: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lessons.scenario.loader"):
        catalogue = models.catalogue()

    assert list(catalogue) == ["mini", "sandbox"]
    assert sorted(catalogue.broken) == ["failing-setup.yml", "two-steps.yaml"]
    logged = [record.getMessage() for record in caplog.records]
    assert any(
        "two-steps.yaml is not served: two-steps.yaml:" in m and "'hint'" in m for m in logged
    )
    assert any("failing-setup.yml is not served: failing-setup.yml:" in m for m in logged)


def test_a_server_starts_with_a_broken_file(one_broken: Path) -> None:
    warm_up()  # what config/wsgi.py runs at start: it built every scenario's world

    assert "mini" in models.catalogue()


def test_of_two_files_with_one_slug_the_first_is_served(settings: Settings) -> None:
    (settings.ROLECALL_SCENARIO_DIR / "zz-mini-again.yaml").write_text(
        MINI.read_text().replace("title: Attach a role", "title: Another")
    )
    models.catalogue.cache_clear()

    catalogue = models.catalogue()

    assert catalogue["mini"].title == "Attach a role"
    (problem,) = catalogue.broken["zz-mini-again.yaml"]
    assert problem.message == "slug 'mini' is also used by mini.yaml"


def test_a_learner_in_a_class_whose_scenario_is_unavailable_keeps_the_rest_and_their_work(
    client: Client,
    scenarios: Path,  # noqa: F811 -- the fixture, imported
) -> None:
    teacher = User.objects.create_user("teacher", password="a long password 1")
    room = Classroom.objects.create(instructor=teacher, title="T", scenarios=["two-steps", "mini"])
    sam = member(room)
    started = Attempt.start(sam.owner, models.catalogue()["two-steps"])
    hold_member_key(client, sam.key)
    (scenarios / "two-steps.yaml").unlink()
    models.catalogue.cache_clear()

    page = client.get("/")
    workspace = client.get("/s/two-steps/")

    assert page.status_code == 200
    assert 'aria-labelledby="card-mini"' in page.text
    assert "card-two-steps" not in page.text
    assert workspace.status_code == 404
    assert Attempt.objects.get(pk=started.pk).world == started.world
