"""The catalogue at /: every scenario with what it teaches and the learner's progress."""

import pytest
from django.test import Client

from lessons.models import Attempt, Learner
from tests.factories import learner_key, started
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

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
