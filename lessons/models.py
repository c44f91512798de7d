"""Learners and their progress: each attempt at a scenario keeps its world as JSON.

An attempt belongs to one person in one class (their `Membership`) or, outside any class, to a
self-paced `Learner`: never to a browser alone. A browser holds keys (lessons.learners), and a
row is written only when someone changes something: a GET stores nothing.

Every change to an attempt (an API call from the console, a check, a hint, a reset) loads the
world, acts through `World.call` and saves only over the revision it started from (else it is
made again on the newer row), so two tabs of one learner (or a learner and the instructor)
never lose each other's work.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, TypeVar

import orjson
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lessons import quiz
from lessons import scenario as scenarios
from lessons.names import NAME_KEY_MAX, clean_name, name_key
from lessons.scenario import CheckResult, Scenario
from lessons.scenario.model import Question
from simulator import AwsError, World

T = TypeVar("T")

# What a change to an attempt may write besides its world (the row's identity never changes).
PROGRESS_FIELDS = (
    "variables", "step_index", "completed", "hints", "checks", "failures", "answers",
    "last_check", "history", "step_started", "updated", "quiz_try", "quiz_results",
)  # fmt: skip
OPTIMISTIC_TRIES = 3
HISTORY_KEPT = 20  # earlier runs of a scenario (before a reset) kept for the instructor
MAX_WORLD_BYTES = 1024 * 1024
"""The most JSON one learner's world may grow to: ten times the largest scenario's starting
world (fleet-put-only, ~110 KB), so no lesson comes near it; without it one learner's copies
of a tagged user grew a row to 22 MB, rewritten on every action. A change past it is not
saved (one that makes an oversized world smaller is)."""


class WorldTooLarge(Exception):
    """A change would grow the learner's world past MAX_WORLD_BYTES: it was not saved."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(
            f"That would make your account larger than RoleCall keeps for one learner "
            f"({size // 1024:,} KiB of users, roles, policies, objects, files and log; "
            f"{MAX_WORLD_BYTES // 1024:,} KiB at most), so nothing was changed. Delete what "
            "you no longer need, or start the scenario again."
        )


def _json_size(document: Any) -> int:
    return len(orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS))


def seed_for(key: str) -> int:
    """The world's seed for an owner's key: the same key always builds the same world, so the
    world a GET shows (not stored) is the one the first change stores."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest())


@cache
def catalogue() -> scenarios.Catalogue:
    """Every scenario, by slug, loaded once per process from settings.ROLECALL_SCENARIO_DIR;
    a broken file is left out, logged, and kept in `.broken` for the instructors' note."""
    return scenarios.read_catalogue(settings.ROLECALL_SCENARIO_DIR)


class ScenarioUnavailable(LookupError):
    """A class or an attempt names a scenario the catalogue does not serve: its file has
    problems (left out: `Catalogue.broken`) or is gone. The learners' saved work on it is kept."""

    def __init__(self, slug: str) -> None:
        super().__init__(unavailable(slug))
        self.slug = slug


_SLUG_LINE = re.compile(r"""^slug:[ \t]*["']?([^"'#\s]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


def scenario_file(slug: str) -> str | None:
    """The file left out of the catalogue (`Catalogue.broken`) that declares `slug`, or is
    named after it; None when no such file is in the folder (removed or renamed). Read only
    when a page has to say why a scenario is unavailable."""
    broken = catalogue().broken
    for name in broken:
        try:
            text = (settings.ROLECALL_SCENARIO_DIR / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if (found := _SLUG_LINE.search(text)) is not None and found.group(1) == slug:
            return name
    return next((name for name in broken if name.rsplit(".", 1)[0] == slug), None)


def unavailable(slug: str) -> str:
    """Why `slug` is not served, in an instructor's words: which file, and where to look."""
    name = scenario_file(slug)
    if name is not None:
        why = (f"its file {name} has problems, so the site leaves it out (the catalogue's note "
               "lists them)")  # fmt: skip
    else:
        why = "no scenario file in the folder has this slug any more (removed or renamed)"
    return (f"The scenario “{slug}” is unavailable: {why}. Learners' saved work on it is kept, "
            "and shows again once the file is served (fixed, and the site restarted).")  # fmt: skip


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
        """The scenario from the catalogue; ScenarioUnavailable when it is not served."""
        found = catalogue().get(self.scenario)
        if found is None:
            raise ScenarioUnavailable(self.scenario)
        return found

    @property
    def finished(self) -> bool:
        return self.step_index >= len(self.definition.steps)

    @property
    def step(self) -> scenarios.Step | None:
        steps = self.definition.steps
        return steps[self.step_index] if self.step_index < len(steps) else None

    # The questions (lessons.quiz): both kinds hold these.
    answers: dict[str, int]
    quiz_try: int
    quiz_results: list[dict[str, Any]]
    history: list[dict[str, Any]]

    @property
    def try_finished(self) -> bool:
        """Whether the current try at the questions has every question answered (and so its
        score kept): its review shows, and a new try may start."""
        questions = self.definition.questions
        return bool(questions) and not quiz.unanswered(questions, self.answers)

    @property
    def quiz_done(self) -> bool:
        """Whether a try at the questions was finished (or there are none)."""
        return not self.definition.questions or bool(quiz.results(self.quiz_results))

    @property
    def completed_with_quiz(self) -> bool:
        """Every step passed and the questions answered: the scenario is completed."""
        return self.finished and self.quiz_done

    @property
    def latest_result(self) -> quiz.Result | None:
        found = quiz.results(self.quiz_results)
        return found[-1] if found else None

    @property
    def first_result(self) -> quiz.Result | None:
        """The first finished try's score, in this run or one before a reset."""
        return quiz.first_result(self.quiz_results, self.history)

    @property
    def quiz_tries(self) -> int:
        return quiz.tries(self.quiz_try, self.quiz_results, self.answers, self.history)


def new_key() -> str:
    """A secret a browser holds to be someone (a self-paced learner, a class member)."""
    return secrets.token_urlsafe(32)


class Learner(models.Model):
    """Someone learning on their own, with no account: their browser's learner cookie holds the
    key. The row is written with their first change; until then the key alone says who they are."""

    key = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Learner {self.pk}"


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose work a request reads and changes: one person in one class (`membership`), or
    someone learning on their own (`learner_key`, whose Learner row may not exist yet)."""

    membership: Membership | None = None
    learner_key: str = ""

    def __post_init__(self) -> None:
        if (self.membership is None) == (not self.learner_key):
            raise ValueError("An owner is a class member or a self-paced learner, not both.")

    @property
    def key(self) -> str:
        return self.membership.key if self.membership is not None else self.learner_key

    @property
    def seed(self) -> int:
        return seed_for(self.key)

    @property
    def tag(self) -> str:
        """Names this owner in a page's forms without giving their key away."""
        return hashlib.blake2b(
            self.key.encode(), digest_size=8, person=b"rolecall-owner"
        ).hexdigest()

    def attempts(self) -> AttemptQuerySet:
        if self.membership is not None:
            return Attempt.objects.filter(membership=self.membership)
        return Attempt.objects.filter(learner__key=self.learner_key)

    def owner_fields(self) -> dict[str, Any]:
        """The attempt's owner columns, writing the Learner row if this is their first change."""
        if self.membership is not None:
            return {"membership": self.membership}
        learner, _ = Learner.objects.get_or_create(key=self.learner_key)
        return {"learner": learner}


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def self_paced(self) -> AttemptQuerySet:
        return self.filter(membership__isnull=True)

    def untouched_since(self, moment: datetime) -> AttemptQuerySet:
        """Self-paced attempts nobody has changed since `moment` (class work is never pruned)."""
        return self.self_paced().filter(updated__lt=moment)


class Attempt(ScenarioPosition, models.Model):
    """One person's run through one scenario: the world, the step reached, hints, answers.

    Owned by a class membership or by a self-paced learner, exactly one of the two."""

    learner = models.ForeignKey(
        Learner, on_delete=models.CASCADE, related_name="attempts", null=True, blank=True
    )
    membership = models.ForeignKey(
        "Membership", on_delete=models.CASCADE, related_name="attempts", null=True, blank=True
    )
    scenario = models.CharField(max_length=80)  # the slug
    seed = models.PositiveBigIntegerField(default=0)  # the world's; a reset builds it again
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
    # The current try at the questions: question id -> the chosen option's index in the
    # scenario file (the page shows the options shuffled, `Attempt.option_order`).
    answers = models.JSONField(default=dict)
    quiz_try = models.PositiveIntegerField(default=1)  # the current try, from 1
    # Every finished try, oldest first: {"try", "score", "total", "answers", "finished": ISO}.
    # The first is the learner's first score, kept when they try again.
    quiz_results = models.JSONField(default=list)
    # The last check's result, shown under the step until the next check or a reset:
    # {"step": step id, "passed": bool, "items": [{"says", "passed", "detail"}, ...]}.
    last_check = models.JSONField(default=dict)
    # Earlier runs, before each reset, newest last: {"reset": ISO time, "completed", "checks",
    # "hints", "answers", "quiz_try", "quiz_results"}. The instructor's results keep a step
    # passed before a reset, and the first score.
    history = models.JSONField(default=list)
    started = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    step_started = models.DateTimeField(default=timezone.now)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(learner__isnull=False, membership__isnull=True)
                    | models.Q(learner__isnull=True, membership__isnull=False)
                ),
                name="attempt_has_one_owner",
            ),
            models.UniqueConstraint(
                fields=["learner", "scenario"], name="one_self_paced_attempt_per_scenario"
            ),
            models.UniqueConstraint(
                fields=["membership", "scenario"], name="one_class_attempt_per_scenario"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership or self.learner} on {self.scenario}"

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
    def start(cls, owner: Owner, scenario: Scenario) -> Attempt:
        """The owner's attempt at `scenario`, stored with a fresh world if there is none: the
        first change to a scenario calls this, never a GET (see `unsaved`)."""
        found = owner.attempts().filter(scenario=scenario.slug).first()
        if found is not None:
            return found
        seed = owner.seed
        world, variables = scenarios.build_world(scenario, seed=seed)
        attempt, _ = cls.objects.get_or_create(
            **owner.owner_fields(),
            scenario=scenario.slug,
            defaults={"world": world.to_dict(), "variables": variables, "seed": seed},
        )
        return attempt

    @classmethod
    def unsaved(cls, owner: Owner, scenario: Scenario) -> Attempt:
        """The attempt the owner would start, to show and not to store: the same world `start`
        stores (same seed), so what a GET showed is what the first change acts on."""
        seed = owner.seed
        world, variables = scenarios.build_world(scenario, seed=seed)
        attempt = cls(
            membership=owner.membership,
            scenario=scenario.slug,
            seed=seed,
            world=world.to_dict(),
            variables=variables,
            step_started=timezone.now(),
        )
        attempt._world_cache = (attempt.world, world)
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
        WorldTooLarge is raised, and nothing saved, when the world would outgrow its limit.
        """

        def change(fresh: Attempt) -> tuple[T | None, AwsError | None]:
            before = fresh.world
            world = fresh.load_world()
            try:
                answer: tuple[T | None, AwsError | None] = (function(world), None)
            except AwsError as error:
                answer = (None, error)
            after = world.to_dict()
            size = _json_size(after)
            if size > MAX_WORLD_BYTES and size > _json_size(before):
                raise WorldTooLarge(size)
            fresh.world = after
            fresh._world_cache = (after, world)
            return answer

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
        """Answer a question of the current try with the option at `option` in the scenario
        file; whether the answer given is right. An answer is final within a try (one given
        already, in another tab say, is kept). The answer that completes the try keeps its
        score in `quiz_results`."""

        def change(fresh: Attempt) -> bool:
            questions = fresh.definition.questions
            question = next(q for q in questions if q.id == question_id)
            if not 0 <= option < len(question.options):
                raise ValueError("No such option.")
            kept = quiz.chosen(question, fresh.answers)
            if kept is not None:
                return question.options[kept].correct
            fresh.answers[question_id] = option
            recorded = any(r.try_number == fresh.quiz_try for r in quiz.results(fresh.quiz_results))
            if not quiz.unanswered(questions, fresh.answers) and not recorded:
                result = {
                    "try": fresh.quiz_try,
                    "score": quiz.score(questions, fresh.answers),
                    "total": len(questions),
                    "answers": dict(fresh.answers),
                    "finished": timezone.now().isoformat(),
                }
                fresh.quiz_results = [*fresh.quiz_results, result]
            return question.options[option].correct

        return self._locked(change, world="none")

    def retry_quiz(self) -> bool:
        """Start a new try at the questions once this one is finished: the answers cleared,
        the options shuffled again; the finished tries' scores kept. False (nothing changed)
        when the current try is not finished."""

        def change(fresh: Attempt) -> bool:
            if not fresh.try_finished:
                return False
            fresh.answers = {}
            fresh.quiz_try += 1
            return True

        return self._locked(change, world="none")

    def option_order(self, question: Question) -> list[int]:
        """The indexes of `question`'s options as this learner sees them on this try."""
        return quiz.option_order(self.seed, self.scenario, question, self.quiz_try)

    def reset(self) -> None:
        """Start the scenario again from its setup. The run's progress is cleared from the
        learner's view and kept in `history`, so the instructor still sees what was passed."""

        def change(fresh: Attempt) -> None:
            if (
                fresh.completed or fresh.checks or fresh.hints or fresh.answers
                or fresh.quiz_results
            ):  # fmt: skip
                earlier = {
                    "reset": timezone.now().isoformat(),
                    "completed": fresh.completed,
                    "checks": fresh.checks,
                    "hints": fresh.hints,
                    "answers": fresh.answers,
                    "quiz_try": fresh.quiz_try,
                    "quiz_results": fresh.quiz_results,
                }
                fresh.history = [*fresh.history, earlier][-HISTORY_KEPT:]
            world, variables = scenarios.build_world(fresh.definition, seed=fresh.seed)
            fresh.world = world.to_dict()
            fresh.variables = variables
            fresh.step_index = 0
            fresh.completed, fresh.hints, fresh.checks = {}, {}, {}
            fresh.failures, fresh.answers, fresh.last_check = {}, {}, {}
            fresh.quiz_try, fresh.quiz_results = 1, []
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


def first_completed(completed: dict[str, str], history: list[dict[str, Any]], step_id: str) -> str:
    """When `step_id` was first passed, in this run or one before a reset ("" if never)."""
    times = [run.get("completed", {}).get(step_id) for run in history]
    times.append(completed.get(step_id))
    found = [time for time in times if isinstance(time, str) and time]
    return min(found) if found else ""


__all__ = ["Attempt", "AwsError", "Classroom", "Learner", "Membership", "Owner", "catalogue"]


# --- Classroom ---------------------------------------------------------------------------------

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
JOIN_CODE_LENGTH = 8  # 32**8 = 10**12 codes, short enough to read off a projector
# A personal resume code opens someone's work, and a right code is never refused (a class
# behind one router must not be locked out by its neighbours' typos), so it must be too long
# to guess: 32**12 = 10**18. Codes given before were 8 characters and still work.
RESUME_CODE_LENGTH = 12
RESUME_CODE_LENGTHS = (8, 12)


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
        "pk", "membership_id", "scenario", "step_index", "completed", "hints", "checks",
        "failures", "answers", "history", "step_started", "updated", "quiz_try", "quiz_results",
    )  # fmt: skip

    pk: int
    membership_id: int
    scenario: str
    step_index: int
    completed: dict[str, str]  # as on Attempt
    hints: dict[str, int]
    checks: dict[str, int]
    failures: dict[str, dict[str, int]]
    answers: dict[str, int]
    history: list[dict[str, Any]]
    step_started: datetime
    updated: datetime
    quiz_try: int
    quiz_results: list[dict[str, Any]]


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
    def new_code(length: int = JOIN_CODE_LENGTH) -> str:
        return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))

    @property
    def is_open(self) -> bool:
        """Accepting joins and learners' actions: not ended, not past its end time. When it is
        not open, its results are frozen: nothing a learner does changes them."""
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

    def join(self, display_name: str, *, cap: int | None = None) -> Membership:
        """A new member of this class under `display_name`, made unique: "Sam", "Sam 2"...

        Every join is a new person with a record of their own (a browser is not a person:
        "continue as" someone is the view's question). Names are unique as a reader sees them
        (lessons.names): "sam", "Ｓａｍ" and "Ѕam" (Cyrillic) are all "Sam". Raises JoinRefused
        when the class has ended or has `cap` learners already (default: the setting
        ROLECALL_MAX_LEARNERS_PER_CLASS).
        """
        cap = settings.ROLECALL_MAX_LEARNERS_PER_CLASS if cap is None else cap
        name = clean_name(display_name) or "Learner"
        if not self.is_open:
            raise JoinRefused("This class has ended: it no longer takes new learners.")
        for _ in range(10):
            if self.members.active().count() >= cap:
                raise JoinRefused(
                    f"This class is full: it has {cap} learners. Ask your instructor."
                )
            given = self.free_name(name)
            membership = Membership(
                classroom=self, display_name=given, name_key=name_key(given), key=new_key()
            )
            try:
                with transaction.atomic():
                    membership.save()
            except IntegrityError:
                continue  # someone took that name just now
            return membership
        raise JoinRefused("Many people are joining at this moment: try again in a few seconds.")

    def free_name(self, name: str) -> str:
        """`name`, or `name` with the first number that makes it unique in this class. Each
        number gives another key, so this ends within as many tries as the class has names."""
        taken = set(self.members.values_list("name_key", flat=True))
        if name_key(name) not in taken:
            return name
        number = 2
        while name_key(f"{name} {number}") in taken:
            number += 1
        return f"{name} {number}"

    def landing_for(self, membership: Membership) -> str | None:
        """The slug to open for `membership`: the first open scenario they have not finished
        (the last open one when they finished them all); None when none is installed."""
        known = catalogue()
        open_now = [slug for slug in self.open_scenarios() if slug in known]
        if not open_now:
            return None
        reached = dict(
            Attempt.objects.filter(membership=membership, scenario__in=open_now).values_list(
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

    def unavailable(self) -> list[ScenarioUnavailable]:
        """The class's scenarios the catalogue does not serve (`definitions` skips them), each
        with why, for the instructor's pages."""
        known = catalogue()
        return [ScenarioUnavailable(slug) for slug in self.scenarios if slug not in known]

    def is_locked(self, slug: str) -> bool:
        """Whether learners cannot open `slug` yet (only when unlocked one by one)."""
        return slug in self.scenarios and slug not in self.open_scenarios()

    def progress_by_member(
        self, *, include_removed: bool = False
    ) -> dict[int, dict[str, Progress]]:
        """Every member's progress on this class's scenarios, by membership id and slug.

        One query, of plain values: no world (each may be 200 KB of JSON, and none is needed
        to show progress), and no model instances (for 200 learners, building them would take
        longer than the query).
        """
        rows = Attempt.objects.filter(membership__classroom=self, scenario__in=self.scenarios)
        if not include_removed:
            rows = rows.filter(membership__removed__isnull=True)
        found: dict[int, dict[str, Progress]] = {}
        for row in rows.order_by().values_list(*Progress.FIELDS):
            progress = Progress(*row)
            found.setdefault(progress.membership_id, {})[progress.scenario] = progress
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
        The rows are locked while the hints change (a learner's change made meanwhile is written
        over a revision that no longer matches, and is made again on the new row), and only
        `hints` is written: the worlds are neither read nor rewritten. Each learner who got a
        hint is nudged, so their open workspace shows it at its next poll.
        """
        if members is None:
            members = list(self.members.active())
        self._start_the_idle(members, scenario=scenario, step_id=step_id)
        member_ids = [member.pk for member in members]
        slugs = [scenario] if scenario is not None else self.scenarios
        revealed: list[Attempt] = []
        with transaction.atomic():
            attempts = (
                Attempt.objects.select_for_update()
                .filter(membership_id__in=member_ids, scenario__in=slugs)
                .defer("world", "variables")
                .order_by("pk")  # one lock order for every caller: no deadlock
            )
            by_member: dict[int, list[Attempt]] = {}
            for attempt in attempts:
                if attempt.scenario in catalogue():
                    by_member.setdefault(attempt.membership_id or 0, []).append(attempt)
            for own in by_member.values():
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
            Membership.objects.filter(pk__in=[a.membership_id for a in revealed]).update(
                nudged=timezone.now()
            )
        return len(revealed)

    def _start_the_idle(
        self, members: Sequence[Membership], *, scenario: str | None, step_id: str | None
    ) -> None:
        """Members who joined and have changed nothing yet have no attempt (a page view stores
        none): they are on step 1 of the first open scenario. A hint for them is their first
        change, so their attempt is stored now, as their own first change would store it."""
        open_now = [slug for slug in self.open_scenarios() if slug in catalogue()]
        if not open_now or (scenario is not None and scenario != open_now[0]):
            return
        definition = catalogue()[open_now[0]]
        if not definition.steps or (step_id and definition.steps[0].id != step_id):
            return
        started = set(
            Attempt.objects.filter(
                membership__in=[member.pk for member in members], scenario__in=self.scenarios
            ).values_list("membership_id", flat=True)
        )
        for member in members:
            if member.pk not in started:
                Attempt.start(member.owner, definition)

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
        """Stop joins and learners' actions now; results stay, frozen."""
        if self.ended is None:
            self.ended = timezone.now()
            self.save(update_fields=["ended"])

    def reopen(self) -> None:
        """Take joins and learners' actions again, with no end time (the instructor ends it)."""
        self.ended = None
        self.ends_at = None
        self.save(update_fields=["ended", "ends_at"])


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(removed__isnull=True)

    def for_key(self, key: str) -> Membership | None:
        """The active membership whose key a browser holds, with its class: one query, asked on
        every request of a learner in a class (the class-message poll included)."""
        return self.active().filter(key=key).select_related("classroom").first()

    def with_resume_code(self, raw: str) -> MembershipQuerySet:
        """The membership whose personal resume code is `raw` as typed (any case, spaces)."""
        return self.active().filter(resume_code=normalise_code(raw))


class Membership(models.Model):
    """One person in one class, under a display name unique in that class. Their attempts
    belong to it; a browser is this person while it holds `key` (lessons.learners)."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="members")
    key = models.CharField(max_length=64, unique=True, editable=False)
    display_name = models.CharField(max_length=60)
    name_key = models.CharField(max_length=NAME_KEY_MAX)  # lessons.names.name_key
    resume_code = models.CharField(max_length=16, unique=True, editable=False)
    joined = models.DateTimeField(auto_now_add=True)
    removed = models.DateTimeField(null=True, blank=True)
    # When the instructor last revealed a hint to this learner: their open workspace polls
    # for it and shows the hint without a reload.
    nudged = models.DateTimeField(null=True, blank=True)
    # Before migration 0007 a browser's Learner was its class member: a browser still holding
    # that learner's key takes this membership's key once (lessons.learners), then it is cleared.
    legacy_learner = models.ForeignKey(
        Learner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "name_key"], name="unique_name_in_class"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.classroom}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.resume_code:
            self.resume_code = Classroom.new_code(RESUME_CODE_LENGTH)
        if not self.key:
            self.key = new_key()
        if not self.name_key:
            self.name_key = name_key(self.display_name)
        super().save(*args, **kwargs)

    @property
    def owner(self) -> Owner:
        return Owner(membership=self)

    @property
    def grouped_resume_code(self) -> str:
        return group_code(self.resume_code)

    # --- the instructor's dashboard (lessons/dashboard.py) --------------------------------------

    def remove(self) -> None:
        """Take the learner out of the class: off the dashboard, their browser no longer in it.
        Their record stays, readable by the instructor (and in the CSV), and cannot change."""
        if self.removed is None:
            self.removed = timezone.now()
            self.save(update_fields=["removed"])

    def new_resume_code(self) -> str:
        """A new personal code; the old one stops working (it was seen by someone else)."""
        for _ in range(5):
            self.resume_code = Classroom.new_code(RESUME_CODE_LENGTH)
            try:
                with transaction.atomic():
                    self.save(update_fields=["resume_code"])
            except IntegrityError:
                continue
            return self.resume_code
        raise IntegrityError("No free personal code was found.")

    def readmit(self) -> None:
        """Undo a removal: the learner continues with their personal code."""
        if self.removed is not None:
            self.removed = None
            self.save(update_fields=["removed"])

    def reset(self, slug: str) -> bool:
        """Start the learner's attempt at `slug` again; False when they had not started it.
        What they passed before stays in the attempt's history (the CSV shows it)."""
        attempt = Attempt.objects.filter(membership=self, scenario=slug).defer("world").first()
        if attempt is None or slug not in catalogue():
            return False
        attempt.reset()
        return True


def current_attempt[A: (Attempt, Progress)](attempts: Iterable[A]) -> A | None:
    """The attempt a learner worked on last, among those not finished."""
    known = catalogue()
    unfinished = [a for a in attempts if a.scenario in known and not a.finished]
    return max(unfinished, key=lambda attempt: (attempt.updated, attempt.pk), default=None)
