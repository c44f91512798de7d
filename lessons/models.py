"""Learners and their progress: each attempt at a scenario keeps its world as JSON.

Every change to an attempt (an API call from the console, a check, a hint, a reset) loads the
world, acts through `World.call` and saves only over the revision it started from (else it is
made again on the newer row), so two tabs of one learner (or a learner and the instructor)
never lose each other's work.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, TypeVar

import orjson
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lessons import scenario as scenarios
from lessons.scenario import CheckResult, Scenario
from simulator import AwsError, World

T = TypeVar("T")

# What a change to an attempt may write besides its world (the row's identity never changes).
PROGRESS_FIELDS = (
    "variables", "step_index", "completed", "hints", "checks", "failures", "answers",
    "last_check", "step_started", "updated",
)  # fmt: skip
OPTIMISTIC_TRIES = 3


@cache
def catalogue() -> dict[str, Scenario]:
    """Every scenario, by slug, loaded once per process."""
    return {scenario.slug: scenario for scenario in scenarios.load_scenarios()}


class DocumentField(models.TextField):  # type: ignore[type-arguments]
    """A JSON document kept as text, read and written with orjson.

    A world is ~150 KB of JSON, written on every action and read on most, and never queried
    inside: JSONField's costs buy nothing here. SQLite checks JSON_VALID over the whole text
    on every write and PostgreSQL converts it to and from jsonb on every write and read; the
    standard json module takes ten times as long as orjson to write it.
    """

    description = "A JSON document, stored as text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None else orjson.loads(value)

    def to_python(self, value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str | bytes) else value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()

    def value_to_string(self, obj: models.Model) -> str:
        return self.get_prep_value(self.value_from_object(obj))  # type: ignore[no-any-return]


class ScenarioPosition:
    """Where a learner stands in a scenario, for an Attempt and for its bulk-read Progress."""

    scenario: str
    step_index: int

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


class Learner(models.Model):
    """Someone learning, with no account: found again through their browser's learner cookie."""

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


class Attempt(ScenarioPosition, models.Model):
    """One learner's run through one scenario: the world, the step reached, hints, answers."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="attempts")
    scenario = models.CharField(max_length=80)  # the slug
    world = DocumentField()
    # Goes up by one with every saved change: a change is written only over the revision it
    # was made from, so two writers never lose each other's work (see `_locked`).
    revision = models.PositiveIntegerField(default=0)
    variables = models.JSONField(default=dict)
    step_index = models.PositiveIntegerField(default=0)
    completed = models.JSONField(default=dict)  # step id -> ISO time it passed
    hints = models.JSONField(default=dict)  # step id -> hints revealed
    checks = models.JSONField(default=dict)  # step id -> checks run
    failures = models.JSONField(default=dict)  # step id -> {check key: times it failed}
    answers = models.JSONField(default=dict)  # question id -> chosen option index
    # The last check's result, shown under the step until the next check or a reset:
    # {"step": step id, "passed": bool, "items": [{"says", "passed", "detail"}, ...]}.
    last_check = models.JSONField(default=dict)
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

    def _locked(self, change: Callable[[Attempt], T], *, world: str = "write") -> T:
        """Apply `change` to the freshest copy of this row and save it; refresh self.

        Optimistic first: read the row without a lock, change the copy, and write it back only
        if no one else wrote it meanwhile (`revision` unchanged), else try again on the newer
        row. The write lock is held for one UPDATE, not for the whole change: under SQLite one
        writer at a time is the whole database's limit, so a class's changes must be short.
        After a few lost races (two tabs hammering one attempt) it takes the row lock and
        cannot lose again. `world` says what `change` does with it: "write" (read and change
        it), "read" (look only: it is not written back) or "none" (it is not even read).
        """
        fields = [*PROGRESS_FIELDS, *(["world"] if world == "write" else [])]
        rows = Attempt.objects.filter(pk=self.pk)
        if world == "none":
            rows = rows.defer("world")
        for number in range(OPTIMISTIC_TRIES):
            # The first try starts from this instance when it holds what the change reads
            # (the view read the row a moment ago): one query fewer. Should anyone have
            # written since, the UPDATE below matches nothing and the next try reads afresh.
            if number == 0 and (world == "none" or "world" in self.__dict__):
                fresh = self._detached_copy()
            else:
                fresh = rows.get()
            result = change(fresh)
            fresh.updated = timezone.now()
            values = {name: getattr(fresh, name) for name in fields}
            saved = rows.filter(revision=fresh.revision).update(
                **values, revision=fresh.revision + 1
            )
            if saved:
                fresh.revision += 1
                self._take(fresh)
                return result
        with transaction.atomic():
            fresh = rows.select_for_update().get()
            result = change(fresh)
            fresh.revision += 1
            fresh.save(update_fields=[*fields, "revision"])
        self._take(fresh)
        return result

    def _detached_copy(self) -> Attempt:
        """A copy of this row's loaded values to change, leaving this instance as it was: its
        small JSON values are copied (a change edits them in place); the world is not (a
        change builds a new World from it and saves that). A field this instance has not
        loaded (a deferred world) stays unloaded in the copy."""
        names, values = [], []
        for model_field in self._meta.concrete_fields:
            if model_field.attname in self.__dict__:
                value = self.__dict__[model_field.attname]
                if model_field.attname in PROGRESS_FIELDS and isinstance(value, dict | list):
                    value = copy.deepcopy(value)
                names.append(model_field.attname)
                values.append(value)
        return Attempt.from_db(self._state.db, names, values)

    def _take(self, fresh: Attempt) -> None:
        """Take a saved copy's values (and the world built from them) without reading again."""
        for model_field in self._meta.concrete_fields:
            if model_field.attname in fresh.__dict__:  # not a deferred field
                setattr(self, model_field.attname, fresh.__dict__[model_field.attname])
        if "world" in fresh.__dict__:
            self._world_cache = getattr(fresh, "_world_cache", None)

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
            # A world of its own, never saved or shown: the check's probes may call on it.
            world = World.from_dict(fresh.world)
            result = scenarios.check_step(world, fresh.variables, step, scratch=True)
            fresh.checks[step.id] = fresh.checks.get(step.id, 0) + 1
            fresh.last_check = {
                "step": step.id,
                "passed": result.passed,
                "items": [
                    {"says": item.says, "passed": item.passed, "detail": item.detail}
                    for item in result.items
                ],
            }
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

        return self._locked(change, world="read")

    def reveal_hint(self) -> int:
        """Reveal the next hint of the current step; returns how many are now shown."""

        def change(fresh: Attempt) -> int:
            step = fresh.step
            if step is None:
                return 0
            shown = min(fresh.hints.get(step.id, 0) + 1, len(step.hints))
            fresh.hints[step.id] = shown
            return shown

        return self._locked(change, world="none")

    def answer(self, question_id: str, option: int) -> bool:
        def change(fresh: Attempt) -> bool:
            question = next(q for q in fresh.definition.questions if q.id == question_id)
            if not 0 <= option < len(question.options):
                raise ValueError("No such option.")
            fresh.answers[question_id] = option
            return question.options[option].correct

        return self._locked(change, world="none")

    def reset(self) -> None:
        """Start the scenario again from its setup (progress on it is cleared)."""

        def change(fresh: Attempt) -> None:
            world, variables = scenarios.build_world(fresh.definition, seed=fresh.learner_id or 0)
            fresh.world = world.to_dict()
            fresh.variables = variables
            fresh.step_index = 0
            fresh.completed, fresh.hints, fresh.checks = {}, {}, {}
            fresh.failures, fresh.answers, fresh.last_check = {}, {}, {}
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


__all__ = ["Attempt", "AwsError", "Classroom", "Learner", "Membership", "catalogue"]


# --- Classroom ---------------------------------------------------------------------------------

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
JOIN_CODE_LENGTH = 8  # 32**8 = 10**12 codes: with joins rate-limited, not guessable in practice
DISPLAY_NAME_MAX = 40  # as typed; a number may be added to make it unique in the class


def normalise_code(raw: str) -> str:
    """A code as typed, in the form it is stored: case, spaces and dashes do not matter."""
    return "".join(raw.split()).replace("-", "").upper()[:32]


def group_code(code: str) -> str:
    """A code in groups of four, easier to read aloud and to type: "QK7M 4XPA"."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True, slots=True)
class Progress(ScenarioPosition):
    """An attempt's progress without its world, read in bulk for the instructor's pages."""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "pk", "learner_id", "scenario", "step_index", "completed", "hints", "checks",
        "failures", "answers", "step_started", "updated",
    )  # fmt: skip

    pk: int
    learner_id: int
    scenario: str
    step_index: int
    completed: dict[str, str]  # as on Attempt
    hints: dict[str, int]
    checks: dict[str, int]
    failures: dict[str, dict[str, int]]
    answers: dict[str, int]
    step_started: datetime
    updated: datetime


class JoinRefused(Exception):
    """Joining a class was refused; the message says why, in words for the learner."""


class ClassroomQuerySet(models.QuerySet["Classroom"]):
    def for_instructor(self, user: Any) -> ClassroomQuerySet:
        return self.filter(instructor=user)

    def open_for_joining(self) -> ClassroomQuerySet:
        return self.filter(ended__isnull=True).filter(
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=timezone.now())
        )

    def with_code(self, raw: str) -> ClassroomQuerySet:
        """The class whose join code is `raw` as a learner typed it (any case, spaces)."""
        return self.filter(join_code=normalise_code(raw))


class Classroom(models.Model):
    """A live class: an instructor, scenarios in order, a join code, its learners."""

    instructor = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="classrooms")
    title = models.CharField(max_length=120)
    scenarios = models.JSONField(default=list)  # slugs, in the order the class takes them
    unlock_one_by_one = models.BooleanField(default=False)
    unlocked = models.PositiveIntegerField(default=1)  # scenarios open when one by one
    join_code = models.CharField(max_length=16, unique=True, editable=False)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    message_posted = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ClassroomQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.join_code:
            self.join_code = self.new_code()
        super().save(*args, **kwargs)

    @staticmethod
    def new_code() -> str:
        return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))

    @property
    def is_open(self) -> bool:
        """Accepting joins and learners' actions: not ended, not past its end time."""
        if self.ended is not None:
            return False
        return self.ends_at is None or self.ends_at > timezone.now()

    def open_scenarios(self) -> list[str]:
        """The slugs a learner may work on now."""
        if not self.unlock_one_by_one:
            return list(self.scenarios)
        return list(self.scenarios[: max(self.unlocked, 1)])

    # --- joining (lessons/classes.py) -----------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        instructor: Any,
        title: str,
        scenarios: Sequence[str],
        unlock_one_by_one: bool = False,
        ends_at: datetime | None = None,
    ) -> Classroom:
        """A new class with a fresh join code (drawn again in the unlikely case it is taken)."""
        for _ in range(5):
            classroom = cls(
                instructor=instructor,
                title=title,
                scenarios=list(scenarios),
                unlock_one_by_one=unlock_one_by_one,
                ends_at=ends_at,
            )
            try:
                with transaction.atomic():
                    classroom.save()
            except IntegrityError:
                continue
            return classroom
        raise IntegrityError("No free join code was found.")

    @property
    def grouped_code(self) -> str:
        return group_code(self.join_code)

    def join(self, learner: Learner, display_name: str) -> Membership:
        """Put `learner` in this class under `display_name`, made unique: "Sam", "Sam 2"...

        Joining again (the same learner: a reload, the same device) returns their membership
        unchanged. Raises JoinRefused when the class has ended or the learner was removed.
        Names are compared ignoring case, so the dashboard never shows "sam" next to "Sam".
        """
        name = " ".join(display_name.split())[:DISPLAY_NAME_MAX] or "Learner"
        if not self.is_open:
            raise JoinRefused("This class has ended.")
        for _ in range(10):
            existing = self.members.filter(learner=learner).first()
            if existing is not None:
                if existing.removed is not None:
                    raise JoinRefused(
                        "You were removed from this class. Ask your instructor if that was a mistake."
                    )
                return existing
            membership = Membership(
                classroom=self, learner=learner, display_name=self.free_name(name)
            )
            try:
                with transaction.atomic():
                    membership.save()
            except IntegrityError:
                continue  # someone took that name (or this learner joined in another tab) just now
            return membership
        raise JoinRefused("Many people are joining at this moment: try again in a few seconds.")

    def free_name(self, name: str) -> str:
        """`name`, or `name` with the first number that makes it unique in this class."""
        taken = {
            each.casefold()
            for each in self.members.filter(display_name__istartswith=name).values_list(
                "display_name", flat=True
            )
        }
        if name.casefold() not in taken:
            return name
        number = 2
        while f"{name} {number}".casefold() in taken:
            number += 1
        return f"{name} {number}"

    def member_for(self, learner: Learner) -> Membership | None:
        """The learner's membership of this class, unless they were removed."""
        return self.members.active().filter(learner=learner).first()

    def landing_for(self, learner: Learner) -> str | None:
        """The slug to open for `learner`: the first open scenario they have not finished
        (the last open one when they finished them all); None when none is installed."""
        known = catalogue()
        open_now = [slug for slug in self.open_scenarios() if slug in known]
        if not open_now:
            return None
        reached = dict(
            Attempt.objects.filter(learner=learner, scenario__in=open_now).values_list(
                "scenario", "step_index"
            )
        )
        for slug in open_now:
            steps = len(known[slug].steps)
            if reached.get(slug, 0) < steps or (steps == 0 and slug not in reached):
                return slug
        return open_now[-1]

    # --- the instructor's dashboard (lessons/dashboard.py) --------------------------------------

    def definitions(self) -> list[Scenario]:
        """The class's scenarios in order, skipping any whose file has gone since."""
        known = catalogue()
        return [known[slug] for slug in self.scenarios if slug in known]

    def is_locked(self, slug: str) -> bool:
        """Whether learners cannot open `slug` yet (only when unlocked one by one)."""
        return slug in self.scenarios and slug not in self.open_scenarios()

    def progress_by_learner(
        self, *, include_removed: bool = False
    ) -> dict[int, dict[str, Progress]]:
        """Every member's progress on this class's scenarios, by learner id and slug.

        One query, of plain values: no world (each may be 200 KB of JSON, and none is needed
        to show progress), and no model instances (for 200 learners, building them would take
        longer than the query).
        """
        members = Membership.objects.filter(classroom=self)
        if not include_removed:
            members = members.active()
        rows = (
            Attempt.objects.filter(
                learner_id__in=members.values("learner_id"), scenario__in=self.scenarios
            )
            .order_by()
            .values_list(*Progress.FIELDS)
        )
        found: dict[int, dict[str, Progress]] = {}
        for row in rows:
            progress = Progress(*row)
            found.setdefault(progress.learner_id, {})[progress.scenario] = progress
        return found

    def reveal_hint(
        self,
        members: Sequence[Membership] | None = None,
        *,
        scenario: str | None = None,
        step_id: str | None = None,
    ) -> int:
        """Reveal the next hint of each member's current step; return how many got one.

        `members` defaults to every active member. Each learner's step is the current step of
        `scenario` when given, else of the attempt they worked on last (among those not
        finished); with `step_id`, only learners on that very step get a hint. A learner with
        every hint of their step already shown gets none.
        The rows are locked while the hints change, as a learner's own change does, and only
        `hints` is written: the worlds are neither read nor rewritten.
        """
        if members is None:
            members = list(self.members.active())
        learner_ids = [member.learner_id for member in members]
        slugs = [scenario] if scenario is not None else self.scenarios
        revealed: list[Attempt] = []
        with transaction.atomic():
            attempts = (
                Attempt.objects.select_for_update()
                .filter(learner_id__in=learner_ids, scenario__in=slugs)
                .defer("world", "variables")
                .order_by("pk")  # one lock order for every caller: no deadlock
            )
            by_learner: dict[int, list[Attempt]] = {}
            for attempt in attempts:
                if attempt.scenario in catalogue():
                    by_learner.setdefault(attempt.learner_id, []).append(attempt)
            for own in by_learner.values():
                attempt = current_attempt(own)
                step = attempt.step if attempt is not None else None
                if attempt is None or step is None or (step_id and step.id != step_id):
                    continue
                shown = attempt.hints.get(step.id, 0)
                if shown < len(step.hints):
                    attempt.hints[step.id] = shown + 1
                    attempt.revision = models.F("revision") + 1  # a learner's change retries
                    revealed.append(attempt)
            Attempt.objects.bulk_update(revealed, ["hints", "revision"])
        return len(revealed)

    def post_message(self, text: str) -> None:
        """Show `text` in every learner's workspace; an empty text takes the message down."""
        self.message = text.strip()[:500]
        self.message_posted = timezone.now() if self.message else None
        self.save(update_fields=["message", "message_posted"])

    def unlock_next(self) -> bool:
        """Open the next scenario (when unlocked one by one); False when there is none."""
        if not self.unlock_one_by_one:
            return False
        changed = Classroom.objects.filter(pk=self.pk, unlocked__lt=len(self.scenarios)).update(
            unlocked=models.F("unlocked") + 1
        )
        self.refresh_from_db(fields=["unlocked"])
        return bool(changed)

    def lock_last(self) -> bool:
        """Close the last open scenario again, keeping the first open; False when it can't."""
        if not self.unlock_one_by_one:
            return False
        changed = Classroom.objects.filter(pk=self.pk, unlocked__gt=1).update(
            unlocked=models.F("unlocked") - 1
        )
        self.refresh_from_db(fields=["unlocked"])
        return bool(changed)

    def end(self) -> None:
        """Stop joins and learners' actions now; results stay."""
        if self.ended is None:
            self.ended = timezone.now()
            self.save(update_fields=["ended"])


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(removed__isnull=True)

    def current_for(self, learner: Learner) -> Membership | None:
        """The class the learner is in (the one joined last, if several), with its Classroom:
        it decides which scenarios they see and whether they may still act."""
        return (
            self.active()
            .filter(learner=learner)
            .select_related("classroom")
            .order_by("-joined", "-pk")
            .first()
        )

    def current_for_key(self, key: str) -> Membership | None:
        """`current_for` the learner whose key is `key` (their cookie's), with the Learner as well."""
        return (
            self.active()
            .filter(learner__key=key)
            .select_related("classroom", "learner")
            .order_by("-joined", "-pk")
            .first()
        )

    def with_resume_code(self, raw: str) -> MembershipQuerySet:
        """The membership whose personal resume code is `raw` as typed (any case, spaces)."""
        return self.active().filter(resume_code=normalise_code(raw))


class Membership(models.Model):
    """A learner in a class, under a display name unique in that class."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="members")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="memberships")
    display_name = models.CharField(max_length=60)
    resume_code = models.CharField(max_length=16, unique=True, editable=False)
    joined = models.DateTimeField(auto_now_add=True)
    removed = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "display_name"], name="unique_name_in_class"
            ),
            models.UniqueConstraint(
                fields=["classroom", "learner"], name="one_membership_per_class"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.classroom}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.resume_code:
            self.resume_code = Classroom.new_code()
        super().save(*args, **kwargs)

    # --- joining (lessons/classes.py) -----------------------------------------------------------

    @property
    def grouped_resume_code(self) -> str:
        return group_code(self.resume_code)

    # --- the instructor's dashboard (lessons/dashboard.py) --------------------------------------

    def remove(self) -> None:
        """Take the learner out of the class: off the dashboard, no more access to the class.
        Their attempts stay, so the exported results still have them."""
        if self.removed is None:
            self.removed = timezone.now()
            self.save(update_fields=["removed"])

    def reset(self, slug: str) -> bool:
        """Start the learner's attempt at `slug` again; False when they had not started it."""
        attempt = (
            Attempt.objects.filter(learner_id=self.learner_id, scenario=slug).defer("world").first()
        )
        if attempt is None or slug not in catalogue():
            return False
        attempt.reset()
        return True


def current_attempt[A: (Attempt, Progress)](attempts: Iterable[A]) -> A | None:
    """The attempt a learner worked on last, among those not finished."""
    known = catalogue()
    unfinished = [a for a in attempts if a.scenario in known and not a.finished]
    return max(unfinished, key=lambda attempt: (attempt.updated, attempt.pk), default=None)
