"""The catalogue (/): every scenario with the learner's progress, or their class's scenarios."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lessons import models, quiz
from lessons.http import HtmxHttpRequest
from lessons.learners import Browser, with_browser
from lessons.scenario import Scenario, ScenarioError


@dataclass(frozen=True, slots=True)
class Card:
    """A scenario in the catalogue, with the learner's progress on it in words."""

    scenario: Scenario
    state: str  # "not-started" | "in-progress" | "completed"
    progress: str  # "Not started", "Step 2 of 5", "Completed — quiz 4/5"
    start: str  # the link's words: Start, Continue, Review


Reached = dict[str, tuple[int, list[object]]]  # slug -> (step index, finished quiz tries)


def _reached(attempts: models.AttemptQuerySet) -> Reached:
    # Only the step reached and the quiz's scores: a world may be 200 KB of JSON, and none is
    # needed here.
    rows = attempts.values_list("scenario", "step_index", "quiz_results")
    return {slug: (step_index, results) for slug, step_index, results in rows}


def _card(scenario: Scenario, reached: tuple[int, list[object]] | None) -> Card:
    """Completed only when every step passed and a try at the questions was finished; with
    the latest try's score."""
    total = len(scenario.steps)
    if reached is None:
        return Card(scenario, "not-started", "Not started", "Start")
    if scenario.sandbox:
        return Card(scenario, "in-progress", "Started", "Continue")
    step_index, results = reached
    if step_index < total:
        return Card(scenario, "in-progress", f"Step {step_index + 1} of {total}", "Continue")
    if not scenario.questions:
        return Card(scenario, "completed", "Completed", "Review")
    finished = quiz.results(results)
    if not finished:
        count = len(scenario.questions)
        left = f"Steps done; {count} question{'s' if count != 1 else ''} left"
        return Card(scenario, "in-progress", left, "Continue")
    return Card(scenario, "completed", f"Completed — quiz {finished[-1]}", "Review")


@require_GET
@with_browser
def catalogue(request: HtmxHttpRequest, browser: Browser) -> HttpResponse:
    """Every scenario with the learner's progress, the sandbox, and the policy simulator.

    An instructor (any signed-in user: see createinstructor) also sees the scenario files that
    are not served, each with its problems; learners never do.
    """
    broken = models.catalogue().broken if request.user.is_authenticated else {}
    membership = browser.membership()
    if membership is not None:
        return _class_catalogue(request, membership, _reached(membership.attempts.all()), broken)
    learner = browser.learner()
    reached: Reached = {}
    if learner is not None:
        reached = _reached(learner.attempts.all())
    cards = [_card(scenario, reached.get(slug)) for slug, scenario in models.catalogue().items()]
    return render(
        request,
        "lessons/catalogue.html",
        {
            "cards": [card for card in cards if not card.scenario.sandbox],
            "sandboxes": [card for card in cards if card.scenario.sandbox],
            "broken": broken,
        },
    )


def _class_catalogue(
    request: HtmxHttpRequest,
    membership: models.Membership,
    reached: Reached,
    broken: Mapping[str, tuple[ScenarioError, ...]],
) -> HttpResponse:
    """A learner in a class sees the class's scenarios, in its order; locked ones say so."""
    classroom = membership.classroom
    open_now = set(classroom.open_scenarios())
    cards = [
        _card(scenario, reached.get(scenario.slug))
        if scenario.slug in open_now
        else Card(scenario, "locked", "Locked: your instructor opens it later", "")
        for scenario in classroom.definitions()
    ]
    context = {
        "cards": cards,
        "sandboxes": [],
        "membership": membership,
        "classroom": classroom,
        "broken": broken,
    }
    return render(request, "lessons/catalogue.html", context)
