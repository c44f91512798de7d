"""Learners and their progress: each attempt at a scenario keeps its world as JSON.

Every change to an attempt (an API call from the console, a check, a hint, a reset) loads the
world, acts through `World.call` and saves, inside one transaction holding the row lock, so
two tabs of one learner (or a learner and the instructor) never lose each other's work.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from lessons import scenario as scenarios
from lessons.scenario import CheckResult, Scenario
from simulator import AwsError, World

T = TypeVar("T")


@cache
def catalogue() -> dict[str, Scenario]:
    """Every scenario, by slug, loaded once per process."""
    return {scenario.slug: scenario for scenario in scenarios.load_scenarios()}


class Learner(models.Model):
    """Someone learning, with no account: found again through their session."""

    key = models.CharField(max_length=64, unique=True, editable=False)
    display_name = models.CharField(max_length=60, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or f"Learner {self.pk}"

    @classmethod
    def new(cls, *, display_name: str = "") -> Learner:
        return cls.objects.create(key=secrets.token_urlsafe(32), display_name=display_name)


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def for_learner(self, learner: Learner) -> AttemptQuerySet:
        return self.filter(learner=learner)


class Attempt(models.Model):
    """One learner's run through one scenario: the world, the step reached, hints, answers."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="attempts")
    scenario = models.CharField(max_length=80)  # the slug
    world = models.JSONField()
    variables = models.JSONField(default=dict)
    step_index = models.PositiveIntegerField(default=0)
    completed = models.JSONField(default=dict)  # step id -> ISO time it passed
    hints = models.JSONField(default=dict)  # step id -> hints revealed
    checks = models.JSONField(default=dict)  # step id -> checks run
    failures = models.JSONField(default=dict)  # step id -> {check key: times it failed}
    answers = models.JSONField(default=dict)  # question id -> chosen option index
    started = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    step_started = models.DateTimeField(default=timezone.now)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "scenario"], name="one_attempt_per_scenario")
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.scenario}"

    # --- what it is -------------------------------------------------------------------------

    @property
    def definition(self) -> Scenario:
        return catalogue()[self.scenario]

    @property
    def finished(self) -> bool:
        return self.step_index >= len(self.definition.steps)

    @property
    def step(self) -> scenarios.Step | None:
        steps = self.definition.steps
        return steps[self.step_index] if self.step_index < len(steps) else None

    def load_world(self) -> World:
        """The world, parsed from JSON once per saved state (an action keeps what it built)."""
        cached = getattr(self, "_world_cache", None)
        if cached is not None and cached[0] is self.world:
            return cached[1]
        world = World.from_dict(self.world)
        self._world_cache = (self.world, world)
        return world

    # --- starting and changing it -----------------------------------------------------------

    @classmethod
    def start(cls, learner: Learner, scenario: Scenario) -> Attempt:
        """The learner's attempt at `scenario`, created with a fresh world if there is none."""
        found = cls.objects.filter(learner=learner, scenario=scenario.slug).first()
        if found is not None:
            return found
        world, variables = scenarios.build_world(scenario, seed=learner.pk or 0)
        attempt, _ = cls.objects.get_or_create(
            learner=learner,
            scenario=scenario.slug,
            defaults={"world": world.to_dict(), "variables": variables},
        )
        return attempt

    def _locked(self, change: Callable[[Attempt], T]) -> T:
        """Apply `change` to the freshest copy of this row, holding its lock; refresh self."""
        with transaction.atomic():
            fresh = Attempt.objects.select_for_update().get(pk=self.pk)
            result = change(fresh)
            fresh.save()
        # Take the saved values (and the world already built from them) without reading again.
        for model_field in self._meta.concrete_fields:
            setattr(self, model_field.attname, getattr(fresh, model_field.attname))
        self._world_cache = getattr(fresh, "_world_cache", None)
        return result

    def act(
        self, service: str, operation: str, params: dict[str, Any], **options: Any
    ) -> dict[str, Any]:
        """Call AWS as the account's admin (the console); raises AwsError, saving the event."""
        return self.apply(
            lambda world: world.call(
                world.admin_credentials(), service, operation, params, **options
            )
        )

    def apply(self, function: Callable[[World], T]) -> T:
        """Run `function` on the world (files, the fleet, the clock) and save what it changed.

        An AwsError is raised only after the world (with the failed call's event) is saved.
        """

        def change(fresh: Attempt) -> tuple[T | None, AwsError | None]:
            world = fresh.load_world()
            try:
                return function(world), None
            except AwsError as error:
                return None, error
            finally:
                fresh.world = world.to_dict()
                fresh._world_cache = (fresh.world, world)

        result, error = self._locked(change)
        if error is not None:
            raise error
        return result  # type: ignore[return-value]

    def run_check(self) -> CheckResult | None:
        """Check the current step on a copy of the world; move on when it passes."""

        def change(fresh: Attempt) -> CheckResult | None:
            step = fresh.step
            if step is None:
                return None
            result = scenarios.check_step(fresh.load_world(), fresh.variables, step)
            fresh.checks[step.id] = fresh.checks.get(step.id, 0) + 1
            if result.passed:
                fresh.completed[step.id] = timezone.now().isoformat()
                fresh.step_index += 1
                fresh.step_started = timezone.now()
            else:
                tally = fresh.failures.setdefault(step.id, {})
                for item in result.items:
                    if not item.passed:
                        tally[item.key] = tally.get(item.key, 0) + 1
            return result

        return self._locked(change)

    def reveal_hint(self) -> int:
        """Reveal the next hint of the current step; returns how many are now shown."""

        def change(fresh: Attempt) -> int:
            step = fresh.step
            if step is None:
                return 0
            shown = min(fresh.hints.get(step.id, 0) + 1, len(step.hints))
            fresh.hints[step.id] = shown
            return shown

        return self._locked(change)

    def answer(self, question_id: str, option: int) -> bool:
        def change(fresh: Attempt) -> bool:
            question = next(q for q in fresh.definition.questions if q.id == question_id)
            if not 0 <= option < len(question.options):
                raise ValueError("No such option.")
            fresh.answers[question_id] = option
            return question.options[option].correct

        return self._locked(change)

    def reset(self) -> None:
        """Start the scenario again from its setup (progress on it is cleared)."""

        def change(fresh: Attempt) -> None:
            world, variables = scenarios.build_world(fresh.definition, seed=fresh.learner_id or 0)
            fresh.world = world.to_dict()
            fresh.variables = variables
            fresh.step_index = 0
            fresh.completed, fresh.hints, fresh.checks = {}, {}, {}
            fresh.failures, fresh.answers = {}, {}
            fresh.step_started = timezone.now()

        self._locked(change)

    # --- for display -------------------------------------------------------------------------

    def hints_shown(self) -> tuple[str, ...]:
        step = self.step
        if step is None:
            return ()
        return step.hints[: self.hints.get(step.id, 0)]

    def completed_at(self, step_id: str) -> datetime | None:
        value = self.completed.get(step_id)
        return datetime.fromisoformat(value) if value else None


__all__ = ["Attempt", "AwsError", "Learner", "catalogue"]
