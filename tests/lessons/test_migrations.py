"""Migrations 0007-0009: a class's records move from browsers to people without losing anything;
0010: answers given before become the first try at the quiz."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lessons.names import name_key
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

BEFORE = [("lessons", "0006_cache_table")]
AFTER = [("lessons", "0009_owners_constraints")]


@pytest.fixture
def migrator() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)  # the graph again: the test migrated forwards
    executor.migrate(executor.loader.graph.leaf_nodes())


def _apps(executor: MigrationExecutor, target: list[tuple[str, str]]) -> Any:
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_existing_attempts_move_to_their_memberships_without_loss(
    migrator: MigrationExecutor,
) -> None:
    old = _apps(migrator, BEFORE)
    user = old.get_model("auth", "User").objects.create(username="ada")
    Classroom = old.get_model("lessons", "Classroom")
    Learner = old.get_model("lessons", "Learner")
    Membership = old.get_model("lessons", "Membership")
    Attempt = old.get_model("lessons", "Attempt")
    monday = Classroom.objects.create(
        instructor=user, title="Monday", scenarios=["a", "b"], join_code="AAAAAAAA"
    )
    tuesday = Classroom.objects.create(
        instructor=user, title="Tuesday", scenarios=["a"], join_code="BBBBBBBB"
    )
    alex = Learner.objects.create(key="alex-key", display_name="")
    solo = Learner.objects.create(key="solo-key", display_name="")
    Membership.objects.create(
        classroom=monday, learner=alex, display_name="Alex", resume_code="CCCCCCCC"
    )
    Membership.objects.create(
        classroom=tuesday, learner=alex, display_name="Alex", resume_code="DDDDDDDD"
    )
    lookalike = Learner.objects.create(key="other-key", display_name="")
    Membership.objects.create(
        classroom=monday, learner=lookalike, display_name="ALEX", resume_code="EEEEEEEE"
    )
    shared = {"world": '{"x": 1}', "completed": {"s1": "2026-12-01T10:00:00+00:00"}}
    Attempt.objects.create(learner=alex, scenario="a", step_index=1, **shared)  # both classes
    Attempt.objects.create(learner=alex, scenario="b", world="{}")  # Monday's only
    Attempt.objects.create(learner=alex, scenario="sandbox", world="{}")  # no class's
    Attempt.objects.create(learner=solo, scenario="a", world="{}")

    migrator.loader.build_graph()
    migrator.migrate(AFTER)

    new = _apps(migrator, AFTER)
    Attempt = new.get_model("lessons", "Attempt")
    Membership = new.get_model("lessons", "Membership")
    alex_monday = Membership.objects.get(classroom__title="Monday", display_name="Alex")
    alex_tuesday = Membership.objects.get(classroom__title="Tuesday")
    for member in (alex_monday, alex_tuesday):
        copy = Attempt.objects.get(membership=member, scenario="a")
        assert copy.learner_id is None
        assert copy.step_index == 1
        assert copy.completed == shared["completed"]
        assert copy.world == '{"x": 1}'
        assert copy.seed == alex.pk  # a reset rebuilds the same account
    assert Attempt.objects.filter(membership=alex_monday, scenario="b").exists()
    assert not Attempt.objects.filter(membership=alex_tuesday, scenario="b").exists()
    assert Attempt.objects.get(learner_id=alex.pk).scenario == "sandbox"
    assert Attempt.objects.get(learner_id=solo.pk).scenario == "a"
    keys = set(Membership.objects.values_list("key", flat=True))
    assert len(keys) == 3
    assert all(len(key) >= 40 for key in keys)
    names = dict(Membership.objects.filter(classroom=monday.pk).values_list("display_name", "name_key"))  # fmt: skip
    # both names kept; the later one's key is the key of "ALEX 2"
    assert names == {"Alex": name_key("Alex"), "ALEX": name_key("ALEX 2")}
    assert alex_monday.legacy_learner_id == alex.pk  # that browser becomes Alex once more


# --- 0010: the questions become a quiz with tries -------------------------------------------------

BEFORE_QUIZ = [("lessons", "0009_owners_constraints")]
AFTER_QUIZ = [("lessons", "0010_quiz_tries")]


@pytest.mark.usefixtures("scenarios")
@pytest.mark.django_db(transaction=True)
def test_existing_answers_become_the_first_try(migrator: MigrationExecutor) -> None:
    migrator = MigrationExecutor(connection)  # the graph again: the fixture migrated back
    migrator.migrate(BEFORE_QUIZ)
    old = _apps(migrator, BEFORE_QUIZ)
    Learner = old.get_model("lessons", "Learner")
    Attempt = old.get_model("lessons", "Attempt")
    every = {"profile-roles": 1, "rotation": 1}  # one wrong, one right
    finished = Attempt.objects.create(
        learner=Learner.objects.create(key="a"), scenario="two-steps", world="{}",
        step_index=2, answers=every,
        history=[{"reset": "2026-12-01T10:00:00+00:00", "answers": {"profile-roles": 0, "rotation": 1}}],
    )  # fmt: skip
    halfway = Attempt.objects.create(
        learner=Learner.objects.create(key="b"), scenario="two-steps", world="{}",
        step_index=2, answers={"rotation": 0},
    )  # fmt: skip
    gone = Attempt.objects.create(
        learner=Learner.objects.create(key="c"), scenario="no-such-file", world="{}",
        answers={"x": 0},
    )  # fmt: skip

    migrator = MigrationExecutor(connection)
    migrator.migrate(AFTER_QUIZ)
    new = _apps(migrator, AFTER_QUIZ).get_model("lessons", "Attempt")

    done = new.objects.get(pk=finished.pk)
    assert done.answers == every
    assert done.quiz_try == 1
    [first] = done.quiz_results
    assert {k: first[k] for k in ("try", "score", "total", "answers")} == {
        "try": 1, "score": 1, "total": 2, "answers": every,
    }  # fmt: skip
    assert done.history[0]["quiz_results"][0]["score"] == 2  # an earlier run's first try
    started = new.objects.get(pk=halfway.pk)
    assert (started.quiz_try, started.quiz_results, started.answers) == (1, [], {"rotation": 0})
    assert new.objects.get(pk=gone.pk).quiz_results == []
