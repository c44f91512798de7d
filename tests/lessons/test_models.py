"""Attempts keep the learner's world and progress; concurrent changes never lose work."""

import shutil
import threading

import pytest
from django.db import connection

from lessons import models
from lessons.models import Attempt
from simulator import AwsError
from tests.factories import member, self_paced
from tests.lessons.workspace_scenarios import MINI


@pytest.fixture(autouse=True)
def mini_catalogue(tmp_path, settings):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    settings.ROLECALL_SCENARIO_DIR = folder
    models.catalogue.cache_clear()
    yield
    models.catalogue.cache_clear()


def _attempt() -> Attempt:
    return Attempt.start(self_paced(), models.catalogue()["mini"])


@pytest.mark.django_db
def test_start_builds_the_setup_world_once():
    owner = self_paced()
    first = Attempt.start(owner, models.catalogue()["mini"])
    again = Attempt.start(owner, models.catalogue()["mini"])
    assert first.pk == again.pk
    assert "AppRole" in first.load_world().state.roles


@pytest.mark.django_db
def test_a_failed_call_is_saved_in_the_log():
    attempt = _attempt()
    with pytest.raises(AwsError):
        attempt.act("iam", "GetRole", {"RoleName": "NoSuchRole"})
    assert attempt.load_world().events[-1]["errorCode"] == "NoSuchEntity"


@pytest.mark.django_db
def test_check_fails_then_passes_after_the_learner_acts():
    attempt = _attempt()
    result = attempt.run_check()
    assert not result.passed
    assert attempt.step_index == 0
    assert sum(attempt.failures["attach"].values()) == 2
    instance_id = next(iter(attempt.load_world().state.instances))
    attempt.act("ec2", "AssociateIamInstanceProfile",
                {"IamInstanceProfile": {"Name": "AppRole"}, "InstanceId": instance_id})  # fmt: skip
    assert attempt.run_check().passed
    assert attempt.step_index == 1
    assert attempt.finished
    assert attempt.completed_at("attach") is not None


@pytest.mark.django_db
def test_hints_are_revealed_one_at_a_time():
    attempt = _attempt()
    assert attempt.hints_shown() == ()
    attempt.reveal_hint()
    assert attempt.hints_shown() == ("Use AssociateIamInstanceProfile.",)
    attempt.reveal_hint()
    attempt.reveal_hint()
    assert len(attempt.hints_shown()) == 2


@pytest.mark.django_db
def test_reset_restores_the_setup_world_and_the_first_step():
    attempt = _attempt()
    attempt.act("iam", "CreateUser", {"UserName": "extra"})
    attempt.reveal_hint()
    attempt.reset()
    assert "extra" not in attempt.load_world().state.users
    assert attempt.step_index == 0
    assert attempt.hints == {}


@pytest.mark.django_db
def test_answer_checks_the_option():
    right, wrong = _attempt(), _attempt()  # two learners
    assert right.answer("q1", 0) is True
    assert wrong.answer("q1", 1) is False
    with pytest.raises(ValueError, match="No such option"):
        right.answer("q1", 7)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_acting_at_once_never_lose_work():
    attempt = _attempt()
    errors: list[BaseException] = []

    def tab(prefix: str) -> None:
        try:
            mine = Attempt.objects.get(pk=attempt.pk)
            for number in range(8):
                mine.act("iam", "CreateUser", {"UserName": f"{prefix}-{number}"})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    users = Attempt.objects.get(pk=attempt.pk).load_world().state.users
    assert {f"{p}-{n}" for p in ("left", "right") for n in range(8)} <= set(users)


def _users(attempt: Attempt) -> set[str]:
    return set(Attempt.objects.get(pk=attempt.pk).load_world().state.users)


def _create_user(world, name: str) -> None:  # type: ignore[no-untyped-def]
    world.call(world.admin_credentials(), "iam", "CreateUser", {"UserName": name})


@pytest.mark.django_db
def test_a_change_made_from_a_copy_another_tab_saved_over_is_made_again_on_the_newer_row():
    attempt = _attempt()
    other_tab = Attempt.objects.get(pk=attempt.pk)
    runs: list[int] = []

    def create(world) -> None:  # type: ignore[no-untyped-def]
        runs.append(len(runs))
        if len(runs) == 1:  # the other tab's change lands while this one is being made
            other_tab.act("iam", "CreateUser", {"UserName": "from-the-other-tab"})
        _create_user(world, "mine")

    attempt.apply(create)

    assert len(runs) == 2
    assert {"from-the-other-tab", "mine"} <= _users(attempt)
    assert attempt.revision == Attempt.objects.get(pk=attempt.pk).revision == 2


@pytest.mark.django_db
def test_a_change_that_keeps_losing_the_race_takes_the_lock_and_is_saved():
    attempt = _attempt()
    other_tab = Attempt.objects.get(pk=attempt.pk)
    runs: list[int] = []

    def create(world) -> None:  # type: ignore[no-untyped-def]
        runs.append(len(runs))
        if len(runs) <= models.OPTIMISTIC_TRIES:  # loses every optimistic try
            other_tab.act("iam", "CreateUser", {"UserName": f"other-{len(runs)}"})
        _create_user(world, "mine")

    attempt.apply(create)

    assert len(runs) == models.OPTIMISTIC_TRIES + 1
    others = {f"other-{n}" for n in range(1, models.OPTIMISTIC_TRIES + 1)}
    assert others | {"mine"} <= _users(attempt)


@pytest.mark.django_db
def test_the_instructors_hint_to_everyone_during_a_learners_action_is_kept():
    from django.contrib.auth.models import User

    from lessons.models import Classroom

    teacher = User.objects.create_user("teacher", password="a long password")
    classroom = Classroom.objects.create(instructor=teacher, title="Class", scenarios=["mini"])
    sam = member(classroom, "Sam")
    attempt = Attempt.start(sam.owner, models.catalogue()["mini"])
    step = attempt.step
    assert step is not None

    revealed: list[int] = []

    def create(world) -> None:  # type: ignore[no-untyped-def]
        if not revealed:  # the instructor presses "Next hint to everyone" meanwhile
            revealed.append(classroom.reveal_hint())
        _create_user(world, "mine")

    attempt.apply(create)

    saved = Attempt.objects.get(pk=attempt.pk)
    assert revealed == [1]
    assert saved.hints == {step.id: 1}
    assert "mine" in saved.load_world().state.users


@pytest.mark.django_db
def test_a_hint_or_an_answer_neither_reads_nor_rewrites_the_world(django_assert_num_queries):
    attempt = _attempt()
    world_before = Attempt.objects.get(pk=attempt.pk).world

    with django_assert_num_queries(1) as queries:  # the row was just read: write the change
        attempt.reveal_hint()
    update = queries.captured_queries[0]["sql"]
    assert update.startswith("UPDATE")
    assert '"world"' not in update
    attempt.answer("q1", 0)

    saved = Attempt.objects.get(pk=attempt.pk)
    assert saved.world == world_before
    assert saved.answers == {"q1": 0}
    assert sum(saved.hints.values()) == 1


@pytest.mark.django_db
def test_a_hint_on_an_attempt_read_without_its_world_leaves_it_usable():
    attempt = _attempt()
    # As the workspace reads it for a hint: without the world.
    deferred = Attempt.objects.defer("world").get(pk=attempt.pk)

    deferred.reveal_hint()
    deferred.act("iam", "CreateUser", {"UserName": "after-the-hint"})

    saved = Attempt.objects.get(pk=attempt.pk)
    assert "after-the-hint" in saved.load_world().state.users
    assert "AppRole" in saved.load_world().state.roles  # the world was not replaced
    assert sum(saved.hints.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_reset_while_the_learner_acts_leaves_a_consistent_world():
    attempt = _attempt()

    def learner() -> None:
        mine = Attempt.objects.get(pk=attempt.pk)
        for number in range(6):
            mine.act("iam", "CreateUser", {"UserName": f"u-{number}"})
        connection.close()

    def instructor() -> None:
        Attempt.objects.get(pk=attempt.pk).reset()
        connection.close()

    threads = [threading.Thread(target=learner), threading.Thread(target=instructor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world = Attempt.objects.get(pk=attempt.pk).load_world()
    created = [name for name in world.state.users if name.startswith("u-")]
    # Whatever the interleaving, the users that survive are a suffix of the learner's calls,
    # and the world still holds the setup's role: nothing half-written.
    assert created == [f"u-{n}" for n in range(6 - len(created), 6)]
    assert "AppRole" in world.state.roles


# --- A scenario the catalogue no longer serves ---------------------------------------------------


@pytest.mark.django_db
def test_an_attempt_whose_scenario_file_is_gone_says_so_rather_than_a_key_error(settings):
    attempt = _attempt()
    (settings.ROLECALL_SCENARIO_DIR / "mini.yaml").unlink()
    models.catalogue.cache_clear()

    with pytest.raises(models.ScenarioUnavailable) as raised:
        attempt.definition  # noqa: B018 -- the property is what is tested

    assert raised.value.slug == "mini"
    assert "“mini” is unavailable: no scenario file in the folder has this slug" in str(
        raised.value
    )
    assert "saved work on it is kept" in str(raised.value)


@pytest.mark.django_db
def test_an_unavailable_scenario_names_its_broken_file_and_the_catalogues_note(settings):
    attempt = _attempt()
    # A file named otherwise, left out for a misspelt key: found by the slug it declares.
    broken = settings.ROLECALL_SCENARIO_DIR / "attach-a-role.yaml"
    (settings.ROLECALL_SCENARIO_DIR / "mini.yaml").rename(broken)
    broken.write_text(broken.read_text().replace("hints:", "hint:"))
    models.catalogue.cache_clear()

    with pytest.raises(models.ScenarioUnavailable) as raised:
        attempt.step  # noqa: B018

    assert "its file attach-a-role.yaml has problems" in str(raised.value)
    assert "the catalogue's note lists them" in str(raised.value)
    assert Attempt.objects.get(pk=attempt.pk).world == attempt.world  # the saved work, untouched


def _tagged_user(name: str):
    """A change that adds about 40 KB to the world: a user with 50 long tags (and its event)."""
    tags = [{"Key": f"k{n:02}" + "x" * 120, "Value": "v" * 256} for n in range(50)]
    return lambda world: world.call(
        world.admin_credentials(), "iam", "CreateUser", {"UserName": name, "Tags": tags}
    )


@pytest.mark.django_db
def test_a_change_that_would_outgrow_the_world_limit_is_refused_and_nothing_is_saved(monkeypatch):
    attempt = _attempt()
    start = models._json_size(attempt.world)
    monkeypatch.setattr(models, "MAX_WORLD_BYTES", start + 60_000)
    attempt.apply(_tagged_user("first"))  # ~40 KB: within the limit
    saved = Attempt.objects.get(pk=attempt.pk)

    with pytest.raises(models.WorldTooLarge, match="nothing was changed"):
        attempt.apply(_tagged_user("second"))

    again = Attempt.objects.get(pk=attempt.pk)
    assert again.revision == saved.revision
    assert "second" not in again.load_world().state.users
    assert "first" in again.load_world().state.users


@pytest.mark.django_db
def test_a_world_already_over_the_limit_may_still_shrink(monkeypatch):
    attempt = _attempt()
    attempt.apply(_tagged_user("first"))
    attempt.apply(_tagged_user("second"))
    monkeypatch.setattr(models, "MAX_WORLD_BYTES", 1_000)  # lowered under a grown world

    attempt.act("iam", "DeleteUser", {"UserName": "second"})

    assert "second" not in Attempt.objects.get(pk=attempt.pk).load_world().state.users
