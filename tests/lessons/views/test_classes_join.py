"""Learners in a class: /join/ with the class code, /resume/ on another device, leaving, the
limits on wrong codes and joins, and what a class changes in the catalogue and the workspace.

Each test browser is a separate cookie jar: a computer in a lab is one browser used by several
people in turn, so "the same browser" means the same Client."""

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from lessons import models
from lessons.models import Attempt, Classroom, JoinRefused, Learner, Membership
from tests.factories import learner_key, member_key, started
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_rate_limit() -> Iterator[None]:
    """Wrong codes are counted in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _instructor(username: str = "ada") -> User:
    return User.objects.create_user(username, password="a long classroom password")


def _classroom(
    *,
    instructor: User | None = None,
    title: str = "IAM roles, Tuesday",
    slugs: tuple[str, ...] = ("two-steps", "mini"),
    unlock_one_by_one: bool = False,
    **fields: Any,
) -> Classroom:
    classroom = Classroom.start(
        instructor=instructor or _instructor(),
        title=title,
        scenarios=slugs,
        unlock_one_by_one=unlock_one_by_one,
    )
    if fields:
        Classroom.objects.filter(pk=classroom.pk).update(**fields)
        classroom.refresh_from_db()
    return classroom


def _join(
    client: Client, code: str, name: str = "Sam", *, as_: str = "", **extra: Any
) -> HttpResponse:
    data = {"code": code, "name": name} | ({"as": as_} if as_ else {})
    return client.post("/join/", data, **extra)


def _member(client: Client, classroom: Classroom | None = None) -> Membership:
    """The class member the test browser is now."""
    found = Membership.objects.get(key=member_key(client))
    assert classroom is None or found.classroom_id == classroom.pk
    return found


# --- Joining ------------------------------------------------------------------------------------


def test_the_join_page_prefills_the_code_from_the_link(client: Client) -> None:
    response = client.get("/join/?code=qk7m4xpa")

    assert response.status_code == 200
    assert 'value="QK7M 4XPA"' in response.text
    assert 'name="name"' in response.text


def test_joining_puts_a_new_learner_in_the_class_at_its_first_scenario(client: Client) -> None:
    classroom = _classroom()

    response = _join(client, classroom.join_code, "Sam")

    assert response.status_code == 302
    assert response["Location"] == "/s/two-steps/"
    member = _member(client, classroom)
    assert member.display_name == "Sam"
    assert member.removed is None
    assert not Learner.objects.exists()  # a member is no self-paced learner


def test_a_code_is_read_in_any_case_with_spaces_and_dashes(client: Client) -> None:
    classroom = _classroom()
    typed = " " + classroom.grouped_code.lower().replace(" ", " - ") + " "

    response = _join(client, typed)

    assert response.status_code == 302
    assert Membership.objects.filter(classroom=classroom).count() == 1


def test_the_personal_resume_code_is_shown_after_joining_and_in_the_workspace(
    client: Client,
) -> None:
    classroom = _classroom()

    page = _join(client, classroom.join_code, "Sam", follow=True).text
    member = _member(client, classroom)

    assert "Welcome, Sam" in page
    assert member.grouped_resume_code in page
    assert "/resume/" in page
    later = client.get("/s/two-steps/").text
    assert member.grouped_resume_code in later
    assert len(member.resume_code) == 12
    assert member.grouped_resume_code in client.get("/").text


def test_joining_lands_in_the_first_scenario_not_yet_finished(client: Client) -> None:
    classroom = _classroom()
    _join(client, classroom.join_code)
    started(client, "two-steps")
    Attempt.objects.filter(scenario="two-steps").update(step_index=2)

    response = _join(client, classroom.join_code, as_="continue")

    assert response["Location"] == "/s/mini/"


def test_joining_again_on_a_browser_that_is_someone_in_the_class_asks_who_it_is(
    client: Client,
) -> None:
    classroom = _classroom()
    _join(client, classroom.join_code, "Sam")

    asked = _join(client, classroom.join_code, "Samuel")

    assert asked.status_code == 200
    assert "already in this class as <strong>Sam</strong>" in asked.text
    assert "Continue as Sam" in asked.text
    assert "I am someone else: join as Samuel" in asked.text
    assert Membership.objects.count() == 1
    assert _member(client).display_name == "Sam"


def test_continuing_as_the_member_the_browser_holds_keeps_their_record(client: Client) -> None:
    classroom = _classroom()
    _join(client, classroom.join_code, "Sam")

    page = _join(client, classroom.join_code, "Samuel", as_="continue", follow=True).text

    assert Membership.objects.count() == 1
    assert _member(client).display_name == "Sam"
    assert "Welcome back, Sam" in page


def test_duplicate_names_are_made_unique_ignoring_case() -> None:
    classroom = _classroom()

    names = [classroom.join(name).display_name for name in ("Sam", "sam", "Sam")]

    assert names == ["Sam", "sam 2", "Sam 3"]


@pytest.mark.parametrize(
    "lookalike",
    ["sam", "SAM", "Ｓａｍ", "Ѕam", "Sаm", "𝐒𝐚𝐦"],
    ids=["lower", "upper", "full-width", "cyrillic-s", "cyrillic-a", "mathematical-bold"],
)
def test_a_name_that_reads_the_same_as_a_taken_one_gets_a_number(lookalike: str) -> None:
    classroom = _classroom()
    classroom.join("Sam")

    given = classroom.join(lookalike)

    assert given.display_name.endswith(" 2")


def test_accented_names_differ_from_unaccented_but_not_by_case() -> None:
    classroom = _classroom()

    names = [classroom.join(name).display_name for name in ("Élodie", "élodie", "Elodie")]

    assert names == ["Élodie", "élodie 2", "Elodie"]


def test_the_learner_is_told_the_name_they_got(client: Client) -> None:
    classroom = _classroom()
    classroom.join("Sam")

    page = _join(client, classroom.join_code, "Ѕam", follow=True).text

    assert "is taken in this class, so you are <strong>Ѕam 2</strong>" in page


def test_a_name_taken_at_the_same_moment_gets_the_next_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classroom = _classroom()
    classroom.join("Sam")
    real = Classroom.free_name
    answers = iter(["Sam"])  # as if the first look saw the name free, just before "Sam" joined
    monkeypatch.setattr(
        Classroom, "free_name", lambda self, name: next(answers, None) or real(self, name)
    )  # fmt: skip

    assert classroom.join("Sam").display_name == "Sam 2"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("  Ada   Lovelace ", "Ada Lovelace"), ("x" * 40, "x" * 40), ("Zoë", "Zoë")],
    ids=["trimmed", "forty-characters", "accents"],
)
def test_display_names_are_trimmed(client: Client, typed: str, shown: str) -> None:
    classroom = _classroom()

    _join(client, classroom.join_code, typed)

    assert _member(client, classroom).display_name == shown


@pytest.mark.parametrize("typed", ["", "   ", "x" * 41], ids=["empty", "spaces", "too-long"])
def test_a_missing_or_long_name_is_refused_with_a_message(client: Client, typed: str) -> None:
    classroom = _classroom()

    response = _join(client, classroom.join_code, typed)

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert 'id="id_name-errors"' in response.text
    assert not Membership.objects.exists()


def test_an_unknown_code_gets_a_clear_message_and_joins_nothing(client: Client) -> None:
    _classroom()

    response = _join(client, "QK7M 4XPA")

    assert response.status_code == 200
    assert "No open class has this code" in response.text
    assert not Membership.objects.exists()
    assert not Learner.objects.exists()


def test_a_malformed_code_is_explained(client: Client) -> None:
    response = _join(client, "HELLO")

    assert "A code has 8 letters and digits" in response.text


@pytest.mark.parametrize(
    "fields",
    [{"ended": timezone.now()}, {"ends_at": timezone.now() - timedelta(minutes=1)}],
    ids=["ended", "past-its-end-time"],
)
def test_an_ended_class_refuses_joins(client: Client, fields: dict[str, Any]) -> None:
    classroom = _classroom(**fields)

    response = _join(client, classroom.join_code)

    assert response.status_code == 200
    assert "This class has ended" in response.text
    assert not Membership.objects.exists()
    with pytest.raises(JoinRefused, match="ended"):
        classroom.join("Sam")


def test_a_removed_learners_browser_is_no_one_in_the_class_and_their_record_stays(
    client: Client,
) -> None:
    classroom = _classroom()
    _join(client, classroom.join_code)
    client.post("/s/two-steps/", {"action": "hint"})
    sam = _member(client, classroom)
    sam.remove()

    page = client.get("/s/two-steps/", follow=True).text
    client.post("/s/two-steps/", {"action": "hint"})

    assert "you are no longer in the class" in page
    assert member_key(client) is None
    kept = Attempt.objects.get(membership=sam)
    assert kept.hints == {"attach": 1}  # the acting went to their own, self-paced attempt
    assert Attempt.objects.get(learner__isnull=False).hints == {"attach": 1}


def test_join_and_resume_need_the_csrf_token() -> None:
    classroom = _classroom()
    client = Client(enforce_csrf_checks=True)

    assert _join(client, classroom.join_code).status_code == 403
    assert client.post("/resume/", {"code": "QK7M4XPA"}).status_code == 403
    assert not Membership.objects.exists()


def test_join_codes_are_8_characters_from_a_32_character_alphabet() -> None:
    assert len(set(models.JOIN_CODE_ALPHABET)) == 32
    assert not set("0O1I") & set(models.JOIN_CODE_ALPHABET)
    codes = {_classroom(instructor=_instructor(f"i{n}")).join_code for n in range(20)}

    assert len(codes) == 20
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(models.JOIN_CODE_ALPHABET)


def test_a_join_takes_a_handful_of_queries(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    classroom = _classroom()
    for n in range(30):  # others in the class already: the cost must not grow with them
        classroom.join(f"Learner {n}")

    with django_assert_max_num_queries(14):
        response = _join(client, classroom.join_code, "Learner 1")

    assert response.status_code == 302
    assert _member(client, classroom).display_name == "Learner 1 2"


# --- Resuming on another device -----------------------------------------------------------------


def test_the_resume_code_brings_the_learner_to_another_device(client: Client) -> None:
    classroom = _classroom()
    _join(client, classroom.join_code, "Sam")
    member = _member(client, classroom)
    client.post("/s/two-steps/", {"action": "hint"})
    laptop = Client()
    laptop.get("/s/two-steps/")  # the laptop had a learner of its own

    response = laptop.post("/resume/", {"code": member.grouped_resume_code.lower()})

    assert response.status_code == 302
    assert response["Location"] == "/s/two-steps/"
    assert member_key(laptop) == member.key
    page = laptop.get("/s/two-steps/").text
    assert "Welcome back, Sam" in page
    assert 'id="hint-1"' in page  # Sam's work, not the laptop's own


def test_a_wrong_resume_code_is_refused_with_a_message(client: Client) -> None:
    _classroom()

    response = client.post("/resume/", {"code": "QK7M 4XPA"})

    assert response.status_code == 200
    assert "No learner has this code" in response.text
    assert learner_key(client) is None


def test_a_removed_learners_resume_code_no_longer_works(client: Client) -> None:
    classroom = _classroom()
    member = classroom.join("Sam")
    member.remove()

    response = client.post("/resume/", {"code": member.resume_code})

    assert "No learner has this code" in response.text


# --- The rate limit on wrong codes --------------------------------------------------------------


def test_past_the_limit_wrong_codes_get_429_and_right_codes_still_work(client: Client) -> None:
    classroom = _classroom()
    sam = classroom.join("Sam")
    for _ in range(10):
        assert _join(Client(), "QK7M 4XPA").status_code == 200

    refused = _join(Client(), "QK7M 4XPA")
    refused_resume = Client().post("/resume/", {"code": "QK7M 4XPA 9RTW"})
    right = _join(Client(), classroom.join_code, "Alex")
    resumed = Client().post("/resume/", {"code": sam.resume_code})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many wrong codes" in refused.text
    assert refused_resume.status_code == 429
    assert right.status_code == 302
    assert resumed.status_code == 302
    assert Membership.objects.count() == 2


def test_wrong_codes_are_counted_in_the_database_every_worker_shares(client: Client) -> None:
    from django.db import connection

    _classroom()
    _join(client, "QK7M 4XPA")

    with connection.cursor() as cursor:  # not in one process's memory: 4 workers, one limit
        cursor.execute("SELECT COUNT(*) FROM rolecall_cache")
        (kept,) = cursor.fetchone()
    assert kept == 1


def test_resume_attempts_count_towards_the_same_limit(client: Client) -> None:
    for _ in range(5):
        client.post("/resume/", {"code": "QK7M 4XPA"})
        _join(client, "QK7M 4XPA")

    assert client.post("/resume/", {"code": "QK7M 4XPA"}).status_code == 429
    assert _join(client, "QK7M 4XPA").status_code == 429


def test_a_class_behind_one_router_joins_and_a_flood_of_joins_is_refused(
    settings: Settings,
) -> None:
    settings.ROLECALL_JOINS_PER_ADDRESS_PER_MINUTE = 25
    classroom = _classroom()

    statuses = [_join(Client(), classroom.join_code, f"L{n}").status_code for n in range(26)]
    other_address = _join(Client(REMOTE_ADDR="10.0.0.9"), classroom.join_code, "Zed")

    assert statuses == [302] * 25 + [429]
    assert other_address.status_code == 302
    assert Membership.objects.count() == 26


def test_joins_from_one_address_are_counted_apart_from_wrong_codes(client: Client) -> None:
    classroom = _classroom()
    for n in range(30):
        _join(Client(), classroom.join_code, f"L{n}")

    assert _join(Client(), "QK7M 4XPA").status_code == 200  # still only a wrong code


def test_a_full_class_refuses_more_learners_with_a_message(settings: Settings) -> None:
    settings.ROLECALL_MAX_LEARNERS_PER_CLASS = 3
    classroom = _classroom()
    for name in ("A", "B", "C"):
        _join(Client(), classroom.join_code, name)

    refused = _join(Client(), classroom.join_code, "D")

    assert refused.status_code == 200
    assert "This class is full: it has 3 learners" in refused.text
    assert Membership.objects.count() == 3


def test_the_limit_counts_the_proxys_address_unless_told_to_trust_it(
    settings: Settings,
) -> None:
    settings.ROLECALL_JOIN_FAILURES_PER_MINUTE = 2
    spoofing = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for n in range(2):
        _join(Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), "QK7M 4XPA")

    assert _join(Client(), "QK7M 4XPA", **spoofing).status_code == 429


def test_behind_a_trusted_proxy_the_limit_counts_the_address_it_appended(
    settings: Settings,
) -> None:
    settings.ROLECALL_JOIN_FAILURES_PER_MINUTE = 2
    settings.ROLECALL_TRUST_X_FORWARDED_FOR = True
    for _ in range(2):
        _join(Client(), "QK7M 4XPA", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    assert _join(Client(), "QK7M 4XPA", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    other = _join(Client(), "QK7M 4XPA", HTTP_X_FORWARDED_FOR="203.0.113.7, 203.0.113.8")
    assert other.status_code == 200


# --- A class in the catalogue and the workspace -------------------------------------------------


def _joined(client: Client, **fields: Any) -> Classroom:
    classroom = _classroom(**fields)
    _join(client, classroom.join_code, "Sam")
    return classroom


def test_the_catalogue_shows_only_the_class_scenarios_in_its_order(client: Client) -> None:
    _joined(client, slugs=("two-steps", "mini"))

    page = client.get("/").text

    assert "IAM roles, Tuesday" in page
    assert page.index("card-two-steps") < page.index("card-mini")
    assert "card-sandbox" not in page
    assert "You are in this class as <strong>Sam</strong>" in page


def test_locked_scenarios_say_so_in_words_and_have_no_link(client: Client) -> None:
    _joined(client, unlock_one_by_one=True)

    page = client.get("/").text

    mini = page[page.index('aria-labelledby="card-mini"') :]
    mini = mini[: mini.index("</article>")]
    assert "Locked: your instructor opens it later" in mini
    assert "⊘" in mini
    assert 'href="/s/mini/"' not in mini
    assert 'href="/s/two-steps/"' in page


def test_the_workspace_refuses_a_locked_scenario_with_a_clear_page(client: Client) -> None:
    _joined(client, unlock_one_by_one=True)

    response = client.get("/s/mini/")

    assert response.status_code == 403
    assert "is not open yet" in response.text
    assert not Attempt.objects.filter(scenario="mini").exists()
    assert client.post("/s/mini/", {"action": "hint"}).status_code == 403


def test_a_locked_scenario_sends_htmx_to_the_page_that_explains(client: Client) -> None:
    _joined(client, unlock_one_by_one=True)

    response = client.post("/s/mini/", {"action": "check"}, headers=HTMX)

    assert response["HX-Redirect"] == "/s/mini/"


def test_unlocking_opens_the_next_scenario(client: Client) -> None:
    classroom = _joined(client, unlock_one_by_one=True)

    classroom.unlock_next()

    assert client.get("/s/mini/").status_code == 200


def test_a_scenario_outside_the_class_is_not_found(client: Client) -> None:
    _joined(client, slugs=("two-steps",))

    response = client.get("/s/sandbox/")

    assert response.status_code == 404
    assert "is not part of your class" in response.text


def test_the_workspace_shows_the_class_message_in_a_polled_banner(client: Client) -> None:
    classroom = _joined(client)
    classroom.post_message("Stop at step 2, please.")

    page = client.get("/s/two-steps/").text

    assert 'id="class-message"' in page
    assert 'hx-trigger="every 10s"' in page
    assert "From your instructor:</strong> Stop at step 2, please." in page


def test_the_banner_fragment_answers_204_until_it_changes(client: Client) -> None:
    classroom = _joined(client)
    page = client.get("/s/two-steps/").text
    seen = json.loads(page.split("hx-vals='")[1].split("'")[0])["seen"]
    poll = {"HX-Request": "true", "HX-Target": "class-message"}

    unchanged = client.get("/s/two-steps/", {"seen": seen}, headers=poll)
    classroom.post_message("Look at the projector.")
    changed = client.get("/s/two-steps/", {"seen": seen}, headers=poll)

    assert unchanged.status_code == 204
    assert changed.status_code == 200
    assert "<html" not in changed.text
    assert changed.text.strip().startswith('<div id="class-message"')
    assert "Look at the projector." in changed.text


def test_a_learner_outside_any_class_sees_no_banner(client: Client) -> None:
    page = client.get("/s/two-steps/").text

    assert 'id="class-message"' not in page
    assert "card-sandbox" in client.get("/").text


def test_an_ended_class_refuses_learners_actions_but_keeps_their_work(client: Client) -> None:
    classroom = _joined(client)
    client.post("/s/two-steps/", {"action": "hint"})
    classroom.end()

    plain = client.post("/s/two-steps/", {"action": "hint"}, follow=True)
    htmx = client.post("/s/two-steps/", {"action": "check"}, headers=HTMX)

    attempt = Attempt.objects.get(scenario="two-steps")
    assert attempt.hints == {"attach": 1}
    assert attempt.checks == {}
    assert "This class has ended" in plain.text
    assert "This class has ended" in htmx.text
    assert "<html" not in htmx.text
    assert client.get("/s/two-steps/").status_code == 200
    assert Membership.objects.filter(classroom=classroom).exists()


def test_a_learner_cannot_reach_another_learners_work_through_the_url(client: Client) -> None:
    classroom = _joined(client)
    other = Client()
    _join(other, classroom.join_code, "Alex")
    other.post("/s/two-steps/", {"action": "hint"})

    client.post("/s/two-steps/?learner=2&attempt=1&membership=1", {"action": "check"})

    mine = Attempt.objects.get(membership=_member(client), scenario="two-steps")
    assert mine.hints == {}
    assert Attempt.objects.get(membership=_member(other)).checks == {}


def test_a_display_name_is_shown_as_text_never_as_markup(client: Client) -> None:
    classroom = _classroom()

    page = _join(client, classroom.join_code, "<b>Sam</b>", follow=True).text

    assert "<b>Sam</b>" not in page
    assert "&lt;b&gt;Sam&lt;/b&gt;" in page


def test_after_the_class_ends_the_catalogue_and_banner_say_so_and_polling_stops(
    client: Client,
) -> None:
    classroom = _joined(client)
    classroom.end()

    catalogue = client.get("/").text
    banner = client.get(
        "/s/two-steps/", headers={"HX-Request": "true", "HX-Target": "class-message"}
    ).text

    assert "This class has ended." in catalogue
    assert "This class has ended." in banner
    assert "hx-trigger" not in banner


def test_a_removed_learners_banner_poll_stops_instead_of_loading_the_page(client: Client) -> None:
    classroom = _joined(client)
    client.get("/s/two-steps/")
    Membership.objects.get(classroom=classroom).remove()
    poll = {"HX-Request": "true", "HX-Target": "class-message"}

    response = client.get("/s/two-steps/", headers=poll)

    assert response.status_code == 286  # htmx stops polling and swaps nothing
    assert b"<html" not in response.content


def test_polling_an_unchanged_class_message_reads_only_the_membership(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    classroom = _joined(client)
    page = client.get("/s/two-steps/").text
    seen = re.search(r'hx-vals=\'\{"seen": "([^"]*)"\}\'', page)
    assert seen, "the workspace polls the class message"
    for n in range(30):  # others in the class: the poll's cost must not grow with them
        classroom.join(f"Learner {n}")
    poll = {"HX-Request": "true", "HX-Target": "class-message"}

    with django_assert_num_queries(1):  # the learner with their class: no session row
        response = client.get(f"/s/two-steps/?seen={seen.group(1)}", headers=poll)

    assert response.status_code == 204


def test_a_browser_from_before_the_upgrade_is_its_class_member_once_more(client: Client) -> None:
    from tests.factories import hold_learner_key, new_learner

    classroom = _classroom()
    old = new_learner()
    sam = classroom.join("Sam")
    Membership.objects.filter(pk=sam.pk).update(legacy_learner=old)
    hold_learner_key(client, old.key)

    page = client.get("/").text

    assert "You are in this class as <strong>Sam</strong>" in page
    assert member_key(client) == sam.key
    assert Membership.objects.get(pk=sam.pk).legacy_learner is None  # once: not for the next person


@pytest.mark.parametrize("name", ["ﷺ" * 40, "㌀" * 40], ids=["arabic-ligature", "square-word"])
def test_names_that_nfkc_makes_long_are_numbered_like_any_other(client: Client, name: str) -> None:
    classroom = _classroom()

    given = [classroom.join(name).display_name for _ in range(3)]

    assert given == [name, f"{name} 2", f"{name} 3"]


def test_an_ipv6_client_is_counted_by_its_64_network(settings: Settings) -> None:
    settings.ROLECALL_JOIN_FAILURES_PER_MINUTE = 2
    for host in (1, 2):
        _join(Client(REMOTE_ADDR=f"2001:db8:1:2::{host}"), "QK7M 4XPA")

    same_network = _join(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), "QK7M 4XPA")
    other_network = _join(Client(REMOTE_ADDR="2001:db8:1:3::1"), "QK7M 4XPA")

    assert same_network.status_code == 429
    assert other_network.status_code == 200


def test_a_count_lasts_its_whole_window_not_the_caches_default(settings: Settings) -> None:
    from lessons.limits import NEW_LEARNERS

    settings.ROLECALL_NEW_LEARNERS_PER_ADDRESS_PER_HOUR = 2
    request = Client().get("/").wsgi_request
    NEW_LEARNERS.count(request)
    NEW_LEARNERS.count(request)
    key = NEW_LEARNERS._key(request)
    from django.core.cache import cache
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM rolecall_cache WHERE cache_key LIKE %s", [f"%{key}"])
        (expires,) = cursor.fetchone()
    if timezone.is_naive(expires):  # SQLite keeps it as UTC without a zone
        expires = timezone.make_aware(expires, timezone.UTC)
    assert expires > timezone.now() + timedelta(minutes=30)
    assert NEW_LEARNERS.reached(request)
    assert cache.get(key) == 2


def test_the_leave_address_typed_in_leads_to_the_catalogue_and_leaves_nothing(
    client: Client,
) -> None:
    _joined(client)
    before = member_key(client)

    answer = client.get("/leave/")

    assert (answer.status_code, answer.url) == (302, "/")
    assert member_key(client) == before is not None
    assert "Leave the class on this device" in client.get(answer.url).text
