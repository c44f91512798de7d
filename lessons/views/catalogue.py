"""The catalogue (/): every scenario with the learner's progress, or their class's scenarios."""

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lessons import models
from lessons.http import HtmxHttpRequest
from lessons.learners import Browser, with_browser
from lessons.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Card:
    """A scenario in the catalogue, with the learner's progress on it in words."""

    scenario: Scenario
    state: str  # "not-started" | "in-progress" | "completed"
    progress: str  # "Not started", "Step 2 of 5", "Completed"
    start: str  # the link's words: Start, Continue, Review


def _card(scenario: Scenario, step_index: int | None) -> Card:
    total = len(scenario.steps)
    if step_index is None:
        return Card(scenario, "not-started", "Not started", "Start")
    if scenario.sandbox:
        return Card(scenario, "in-progress", "Started", "Continue")
    if step_index >= total:
        return Card(scenario, "completed", "Completed", "Review")
    return Card(scenario, "in-progress", f"Step {step_index + 1} of {total}", "Continue")


@require_GET
@with_browser
def catalogue(request: HtmxHttpRequest, browser: Browser) -> HttpResponse:
    """Every scenario with the learner's progress, the sandbox, and the policy simulator."""
    # Only the step reached: a world may be 200 KB of JSON, and none is needed here.
    membership = browser.membership()
    if membership is not None:
        reached = dict(membership.attempts.values_list("scenario", "step_index"))
        return _class_catalogue(request, membership, reached)
    learner = browser.learner()
    reached = {}
    if learner is not None:
        reached = dict(learner.attempts.values_list("scenario", "step_index"))
    cards = [_card(scenario, reached.get(slug)) for slug, scenario in models.catalogue().items()]
    return render(
        request,
        "lessons/catalogue.html",
        {
            "cards": [card for card in cards if not card.scenario.sandbox],
            "sandboxes": [card for card in cards if card.scenario.sandbox],
        },
    )


def _class_catalogue(
    request: HtmxHttpRequest, membership: models.Membership, reached: dict[str, int]
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
    context = {"cards": cards, "sandboxes": [], "membership": membership, "classroom": classroom}
    return render(request, "lessons/catalogue.html", context)
