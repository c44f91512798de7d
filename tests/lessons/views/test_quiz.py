"""The questions at the end of a scenario as a quiz (lessons.quiz, the workspace's `answer` and
`quiz-retry` actions): options in each learner's own order, a scored review, a new try."""

import re
from dataclasses import replace

import pytest
from django.test import Client

from lessons import quiz
from lessons.models import Attempt, Learner, Owner, catalogue
from lessons.scenario.model import Option, Question
from tests.factories import learner_key
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}
URL = "/s/two-steps/"
# A question with six options: two learners rarely see them in one order (1 in 720).
SIX = Question(
    id="six",
    prompt="Which?",
    options=tuple(Option(text=f"Option {n}", correct=n == 0, explanation="") for n in range(6)),
    line=1,
)


def _done_steps(client: Client) -> Attempt:
    """A learner with every step of two-steps passed and no question answered."""
    client.get(URL)
    key = learner_key(client)
    assert key is not None
    attempt = Attempt.start(Owner(learner_key=key), catalogue()["two-steps"])
    Attempt.objects.filter(pk=attempt.pk).update(step_index=2)
    attempt.refresh_from_db()
    return attempt


def _shown_order(page: str, number: int) -> list[str]:
    """The option values of question `number`'s form, in the order the page shows them."""
    box = page[page.index(f'id="question-{number}"') :]
    box = box[: box.index("</form>")]
    return re.findall(r'name="option" value="(\d+)"', box)


def _review(page: str) -> str:
    return page[page.index('id="quiz-review"') : page.index('id="quiz-retry"')]


def test_options_are_shuffled_per_learner_and_stable_across_reloads() -> None:
    orders = {tuple(quiz.option_order(seed, "s", SIX, 1)) for seed in range(20)}
    again = {tuple(quiz.option_order(seed, "s", SIX, 1)) for seed in range(20)}

    assert len(orders) > 10  # learners see different orders
    assert orders == again  # and each learner the same one every time
    assert all(sorted(order) == list(range(6)) for order in orders)


def test_the_page_shows_the_learners_own_order_on_every_reload_and_stores_nothing(
    client: Client,
) -> None:
    attempt = _done_steps(client)
    stored = Attempt.objects.get(pk=attempt.pk)

    first, second = client.get(URL).text, client.get(URL).text

    question = catalogue()["two-steps"].questions[1]
    expected = [str(index) for index in attempt.option_order(question)]
    assert _shown_order(first, 2) == _shown_order(second, 2) == expected
    after = Attempt.objects.get(pk=attempt.pk)
    assert (after.revision, after.updated) == (stored.revision, stored.updated)


def test_the_posted_option_is_the_scenario_files_whatever_the_order_shown(
    client: Client,
) -> None:
    attempt = _done_steps(client)
    with pytest.MonkeyPatch.context() as patch:  # the right option shown last, or first
        patch.setattr(quiz, "option_order", lambda seed, slug, question, number: [1, 0])
        page = client.get(URL).text
    assert _shown_order(page, 1) == ["1", "0"]

    response = client.post(
        URL, {"action": "answer", "question": "profile-roles", "option": "0"}, headers=HTMX
    )

    assert "Question 1: right." in response.text
    attempt.refresh_from_db()
    assert attempt.answers == {"profile-roles": 0}


def test_every_option_and_why_is_shown_open_after_answering(client: Client) -> None:
    _done_steps(client)

    response = client.post(
        URL, {"action": "answer", "question": "rotation", "option": "0"}, headers=HTMX
    )

    assert '<details class="question__all" open>' in response.text
    assert "Those belong to IAM users." in response.text
    assert "They expire and are rotated." in response.text
    assert "(wrong) — your answer" in response.text
    assert "(the right answer)" in response.text


def test_the_last_answer_gives_a_score_and_a_review_of_each_question(client: Client) -> None:
    _done_steps(client)
    client.post(URL, {"action": "answer", "question": "profile-roles", "option": "1"})

    response = client.post(
        URL, {"action": "answer", "question": "rotation", "option": "1"}, headers=HTMX
    )

    assert "Quiz finished: 1 of 2 right. Your answers are reviewed below." in response.text
    review = _review(response.text)
    assert "Your score: 1 of 2 right" in review
    first = review[review.index('id="question-1"') : review.index('id="question-2"')]
    assert "✖</span>\n      Not quite: you answered “Ten”." in first
    assert "The right answer: “One”." in first
    assert "An instance profile holds one role; not adjustable." in first
    second = review[review.index('id="question-2"') :]
    assert "Right: you answered “Temporary role credentials”." in second
    assert "The right answer:" not in second  # the verdict says it
    assert "Scenario complete" in response.text


def test_the_review_and_a_new_try_work_without_javascript(client: Client) -> None:
    _done_steps(client)
    client.post(URL, {"action": "answer", "question": "profile-roles", "option": "0"})
    last = client.post(URL, {"action": "answer", "question": "rotation", "option": "0"})

    assert last.status_code == 302
    assert last.url == URL + "#quiz-review"
    page = client.get(last.url).text
    assert "Your score: 1 of 2 right" in page
    assert 'name="action" value="quiz-retry"' in page

    retried = client.post(URL, {"action": "quiz-retry"})

    assert retried.url == URL + "#questions"
    page = client.get(retried.url).text
    assert "Try 2: your answers are cleared" in page
    assert "Questions: try 2" in page
    assert page.count("Submit answer") == 2


def test_retry_after_review_keeps_the_first_score(client: Client) -> None:
    attempt = _done_steps(client)
    attempt.answer("profile-roles", 1)
    attempt.answer("rotation", 1)

    response = client.post(URL, {"action": "quiz-retry"}, headers=HTMX)
    attempt.refresh_from_db()
    attempt.answer("profile-roles", 0)
    attempt.answer("rotation", 1)
    attempt.refresh_from_db()

    assert "Your first score, 1 of 2, is kept." in response.text
    assert attempt.quiz_try == 2
    assert attempt.first_result == quiz.Result(1, 1, 2)
    assert attempt.latest_result == quiz.Result(2, 2, 2)
    assert attempt.quiz_tries == 2


def test_a_new_try_clears_the_answers_and_shuffles_the_options_again(client: Client) -> None:
    attempt = _done_steps(client)
    question = attempt.definition.questions[0]
    attempt.answer("profile-roles", 0)
    attempt.answer("rotation", 1)

    attempt.retry_quiz()
    attempt.refresh_from_db()

    assert attempt.answers == {}
    assert attempt.quiz_try == 2
    assert attempt.option_order(question) == quiz.option_order(
        attempt.seed, "two-steps", question, 2
    )
    changed = sum(
        quiz.option_order(seed, "s", SIX, 1) != quiz.option_order(seed, "s", SIX, 2)
        for seed in range(20)
    )
    assert changed > 15  # the order is drawn again for each try


def test_a_new_try_waits_for_the_review(client: Client) -> None:
    attempt = _done_steps(client)
    attempt.answer("profile-roles", 0)

    response = client.post(URL, {"action": "quiz-retry"}, headers=HTMX)

    assert "Answer every question first" in response.text
    attempt.refresh_from_db()
    assert (attempt.quiz_try, attempt.answers) == (1, {"profile-roles": 0})


def test_an_answer_within_a_try_is_final() -> None:
    learner = Learner.objects.create(key="k")
    attempt = Attempt.start(Owner(learner_key=learner.key), catalogue()["two-steps"])

    assert attempt.answer("profile-roles", 1) is False
    assert attempt.answer("profile-roles", 0) is False  # the first answer stays
    attempt.refresh_from_db()
    assert attempt.answers == {"profile-roles": 1}


def test_a_reset_keeps_the_first_score_for_the_instructor(client: Client) -> None:
    attempt = _done_steps(client)
    attempt.answer("profile-roles", 0)
    attempt.answer("rotation", 0)

    attempt.reset()
    attempt.refresh_from_db()

    assert (attempt.quiz_try, attempt.quiz_results, attempt.answers) == (1, [], {})
    assert attempt.first_result == quiz.Result(1, 1, 2)
    assert attempt.quiz_tries == 1


def test_an_answer_sent_by_htmx_gives_the_keyboard_the_answered_question(client: Client) -> None:
    """The form and its button are replaced: focus goes to the question's verdict, not to the
    top of the page; the last answer gives it to the review. A page load focuses nothing."""
    _done_steps(client)

    first = client.post(
        URL, {"action": "answer", "question": "profile-roles", "option": "1"}, headers=HTMX
    ).text
    assert '<div class="question" id="question-1" tabindex="-1" autofocus>' in first
    assert first.count("autofocus") == 1
    last = client.post(
        URL, {"action": "answer", "question": "rotation", "option": "1"}, headers=HTMX
    ).text
    assert '<div id="quiz-review" class="quiz-review" tabindex="-1" autofocus>' in last
    assert last.count("autofocus") == 1
    assert "autofocus" not in client.get(URL).text


def test_a_quoted_option_ending_in_a_full_stop_gets_no_second_one(client: Client) -> None:
    _done_steps(client)
    scenario = catalogue()["two-steps"]
    ending = Option(text="They expire.", correct=True, explanation="Yes.")
    question = replace(scenario.questions[1], options=(scenario.questions[1].options[0], ending))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(
            catalogue(), "two-steps", replace(scenario, questions=(scenario.questions[0], question))
        )
        text = client.post(
            URL, {"action": "answer", "question": "rotation", "option": "1"}, headers=HTMX
        ).text
    assert "Right: you answered “They expire.”\n" in text
    assert "“They expire.”." not in text
