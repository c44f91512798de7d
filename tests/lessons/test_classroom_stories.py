"""What a class does to RoleCall, told as the stories of a computer lab (issue 9).

Each test browser is its own cookie jar: "the same computer" is the same Client used by several
people in turn; "another device" is another Client. Everything goes over HTTP, as a class does.
"""

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from lessons.models import Attempt, Classroom, Learner, Membership
from tests.factories import member_key
from tests.lessons.workspace_scenarios import CREDENTIALS_FILE, PROFILE, scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

URL = "/s/two-steps/"
HTMX = {"HX-Request": "true"}
POLL = {"HX-Request": "true", "HX-Target": "class-message"}


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    cache.clear()


def _teacher(name: str = "ada") -> User:
    return User.objects.create_user(name, password="a long classroom password")


def _class(title: str = "IAM roles, Tuesday", *, teacher: User | None = None) -> Classroom:
    return Classroom.start(
        instructor=teacher or _teacher(), title=title, scenarios=["two-steps", "mini"]
    )


def _join(client: Client, room: Classroom, name: str, **extra: str) -> Any:
    return client.post("/join/", {"code": room.join_code, "name": name, **extra}, follow=True)


def _me(client: Client) -> Membership:
    return Membership.objects.get(key=member_key(client))


def _pass_step_one(client: Client) -> None:
    """Attach the role from the console and check: what a learner does for step 1."""
    page = client.get(URL).text
    match = re.search(r"\bi-[0-9a-f]{17}\b", page)
    assert match, "the page shows web-1's instance id"
    instance_id = match.group(0)
    client.post(URL, {"action": "console-associate", "instance_id": instance_id, "profile": PROFILE})  # fmt: skip
    client.post(URL, {"action": "check"})


def _csv(room: Classroom) -> list[dict[str, str]]:
    instructor = Client()
    instructor.force_login(room.instructor)
    response = instructor.get(f"/teach/{room.join_code}/results.csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _completed(room: Classroom, name: str, step: str = "Give web-1 a role") -> dict[str, str]:
    return next(row for row in _csv(room) if row["learner"] == name and row["step"] == step)


# --- Several people on one computer ----------------------------------------------------------------


def test_the_next_person_on_a_shared_computer_gets_their_own_record_not_alexs() -> None:
    computer = Client()
    room = _class()
    _join(computer, room, "Alex")
    _pass_step_one(computer)
    alex = _me(computer)

    asked = _join(computer, room, "Blair")
    assert "This device is already in this class as <strong>Alex</strong>" in asked.text
    assert "Welcome back" not in asked.text
    assert alex.grouped_resume_code not in asked.text
    page = _join(computer, room, "Blair", **{"as": "new"}).text

    blair = _me(computer)
    assert blair.pk != alex.pk
    assert "Welcome, Blair" in page
    assert "Step 1 of 2" in page  # Blair starts at the start, in an account of her own
    assert alex.grouped_resume_code not in computer.get(URL).text
    assert Attempt.objects.get(membership=alex).step_index == 1
    instructor = Client()
    instructor.force_login(room.instructor)
    grid = instructor.get(f"/teach/{room.join_code}/").text
    assert "Alex" in grid
    assert "Blair" in grid


def test_a_second_class_on_the_same_computer_starts_afresh_and_leaves_the_first_alone() -> None:
    computer = Client()
    first = _class("Monday")
    _join(computer, first, "Alex")
    _pass_step_one(computer)
    passed = _completed(first, "Alex")["completed at"]
    second = _class("Tuesday", teacher=_teacher("bob"))

    page = _join(computer, second, "Casey").text
    computer.post(URL, {"action": "reset", "confirm": "yes"})
    computer.post(URL, {"action": "hint"})

    assert "Step 1 of 2" in page
    casey = _me(computer)
    assert casey.classroom_id == second.pk
    assert Attempt.objects.get(membership=casey).hints == {"attach": 1}
    assert _completed(first, "Alex")["completed at"] == passed
    alex = Membership.objects.get(classroom=first)
    assert "This device was Alex in “Monday” before: that work is kept" in page
    assert alex.grouped_resume_code not in page  # Casey may not be Alex: never show his code


def test_joining_a_second_class_does_not_strand_the_first() -> None:
    laptop = Client()
    first, second = _class("Monday"), _class("Tuesday", teacher=_teacher("bob"))
    _join(laptop, first, "Sam")
    sam_monday = _me(laptop)
    _join(laptop, second, "Sam")

    back = laptop.post("/resume/", {"code": sam_monday.resume_code}, follow=True)

    assert back.status_code == 200
    assert "Welcome back, Sam" in back.text
    assert laptop.get(URL).status_code == 200
    assert _me(laptop).classroom_id == first.pk


def test_leaving_a_class_opens_the_self_paced_catalogue_and_keeps_the_record() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    laptop.post(URL, {"action": "hint"})
    sam = _me(laptop)

    page = laptop.post("/leave/", follow=True).text

    assert "You have left “IAM roles, Tuesday”" in page
    assert sam.grouped_resume_code in page
    assert member_key(laptop) is None
    assert "card-sandbox" in page
    assert laptop.get("/s/sandbox/").status_code == 200
    assert Attempt.objects.get(membership=sam).hints == {"attach": 1}


def test_after_the_class_ends_its_learners_can_leave_it_and_reach_the_sandbox() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    room.end()

    catalogue = laptop.get("/").text
    assert "This class has ended" in catalogue
    assert 'action="/leave/"' in catalogue
    laptop.post("/leave/")

    assert laptop.get("/s/sandbox/").status_code == 200


# --- A finished class's results never change --------------------------------------------------------


def test_an_ended_classs_results_are_frozen_whatever_its_learners_do() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    _pass_step_one(laptop)
    room.end()
    before = _csv(room)

    for action in ({"action": "reset", "confirm": "yes"}, {"action": "hint"}, {"action": "check"}):
        laptop.post(URL, action)
    instructor = Client()
    instructor.force_login(room.instructor)
    sam = _me(laptop)
    refused = instructor.post(
        f"/teach/{room.join_code}/",
        {"action": "reset", "learner": sam.pk, "scenario": "two-steps", "confirm": "yes"},
    )

    assert refused.status_code == 302
    assert _csv(room) == before


def test_a_removed_learner_who_goes_on_acting_changes_nothing_of_the_class() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    _pass_step_one(laptop)
    _me(laptop).remove()
    before = _csv(room)

    laptop.post(URL, {"action": "reset", "confirm": "yes"})
    laptop.post(URL, {"action": "hint"})

    assert _csv(room) == before
    assert member_key(laptop) is None


def test_a_reset_keeps_the_history_of_completed_steps_for_the_instructor() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    _pass_step_one(laptop)
    passed = _completed(room, "Sam")["completed at"]

    laptop.post(URL, {"action": "reset", "confirm": "yes"})

    row = _completed(room, "Sam")
    assert row["completed at"] == ""
    assert row["first completed at"] == passed
    assert row["resets"] == "1"
    assert "Step 1 of 2" in laptop.get(URL).text


# --- Rows only when someone acts --------------------------------------------------------------------


def test_cookieless_visits_store_nothing() -> None:
    for _ in range(20):
        assert Client().get(URL).status_code == 200
        assert Client().head(URL).status_code == 200

    assert Learner.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_new_self_paced_learners_per_address_are_limited(settings: Settings) -> None:
    settings.ROLECALL_NEW_LEARNERS_PER_ADDRESS_PER_HOUR = 2
    for _ in range(2):
        Client().post(URL, {"action": "hint"})

    refused = Client().post(URL, {"action": "hint"}, follow=True)

    assert "Many people on this network have started scenarios" in refused.text
    assert Learner.objects.count() == 2
    assert Attempt.objects.count() == 2


def test_prune_learners_removes_untouched_self_paced_work_and_keeps_class_work() -> None:
    old, recent = Client(), Client()
    old.post(URL, {"action": "hint"})
    recent.post(URL, {"action": "hint"})
    room = _class()
    student = Client()
    _join(student, room, "Sam")
    student.post(URL, {"action": "hint"})
    long_ago = timezone.now() - timedelta(days=45)
    Attempt.objects.update(updated=long_ago)
    Learner.objects.update(created=long_ago)
    Attempt.objects.filter(learner__isnull=False).order_by("pk").last().save()  # recent's

    out = io.StringIO()
    call_command("prune_learners", "--days", "30", stdout=out)

    assert "Removed 1 self-paced attempts and 1 learners" in out.getvalue()
    assert Attempt.objects.filter(membership__isnull=False).count() == 1
    assert Attempt.objects.filter(learner__isnull=False).count() == 1
    assert Learner.objects.count() == 1


# --- The instructor's classroom tools -----------------------------------------------------------------


def test_a_hint_the_instructor_reveals_reaches_an_open_workspace_at_its_next_poll() -> None:
    laptop = Client()
    room = _class()
    _join(laptop, room, "Sam")
    laptop.post(URL, {"action": "check"})
    page = laptop.get(URL).text
    seen = page.split('hx-vals=\'{"seen": "')[1].split('"')[0]
    assert 'hx-trigger="hint-revealed from:body"' in page
    assert laptop.get(URL, {"seen": seen}, headers=POLL).status_code == 204
    instructor = Client()
    instructor.force_login(room.instructor)
    instructor.post(f"/teach/{room.join_code}/", {"action": "hint-one", "learner": _me(laptop).pk})

    poll = laptop.get(URL, {"seen": seen}, headers=POLL)
    step = laptop.get(URL, headers={**HTMX, "HX-Target": "step"})

    assert poll.status_code == 200
    assert "hint-revealed" in json.loads(poll["HX-Trigger"])
    assert 'id="hint-1"' in step.text


def test_the_dashboard_shows_resume_codes_removes_several_and_readmits() -> None:
    room = _class()
    browsers = {name: Client() for name in ("Ann", "Ann 2", "Bo")}
    for name, browser in browsers.items():
        _join(browser, room, name)
    members = {m.display_name: m for m in Membership.objects.all()}
    instructor = Client()
    instructor.force_login(room.instructor)
    url = f"/teach/{room.join_code}/"

    page = instructor.get(url).text
    asked = instructor.post(url, {"action": "remove-selected", "selected": [members["Ann"].pk, members["Ann 2"].pk]})  # fmt: skip
    confirm = instructor.get(asked["Location"]).text
    instructor.post(url, {"action": "remove-selected", "selected": [members["Ann"].pk, members["Ann 2"].pk], "confirm": "yes"})  # fmt: skip
    removed = instructor.get(url).text
    instructor.post(url, {"action": "readmit", "learner": members["Ann"].pk})

    assert all(m.grouped_resume_code in page for m in members.values())
    assert "Remove 2 learners from the class?" in confirm
    assert set(Membership.objects.active().values_list("display_name", flat=True)) == {"Ann", "Bo"}
    assert "Removed (2)" in removed
    assert browsers["Ann"].get(URL).status_code == 200
    assert member_key(browsers["Ann 2"]) is not None
    browsers["Ann 2"].get(URL)
    assert member_key(browsers["Ann 2"]) is None  # removed: the browser is no one there now
    assert browsers["Ann"].post("/resume/", {"code": members["Ann"].resume_code}).status_code == 302


def test_an_ended_class_can_be_reopened() -> None:
    room = _class()
    room.end()
    instructor = Client()
    instructor.force_login(room.instructor)

    instructor.post(f"/teach/{room.join_code}/", {"action": "reopen"})

    room.refresh_from_db()
    assert room.is_open
    assert _join(Client(), room, "Late").status_code == 200
    assert Membership.objects.filter(display_name="Late").exists()


def test_personal_codes_stay_folded_on_the_dashboard_and_a_seen_one_can_be_replaced() -> None:
    room = _class()
    laptop = Client()
    _join(laptop, room, "Sam")
    sam = _me(laptop)
    instructor = Client()
    instructor.force_login(room.instructor)
    url = f"/teach/{room.join_code}/"

    page = instructor.get(url).text
    seen = sam.grouped_resume_code
    instructor.post(url, {"action": "new-code", "learner": sam.pk})
    sam.refresh_from_db()

    assert page.count(seen) == 1  # once, inside a closed <details>
    codes = page[page.index('<details class="roster-codes">') :]
    assert seen in codes[: codes.index("</details>")]
    assert sam.grouped_resume_code != seen
    assert "No learner has this code" in Client().post("/resume/", {"code": seen}).text
    assert Client().post("/resume/", {"code": sam.resume_code}).status_code == 302


def test_a_strangers_posts_write_no_session_rows() -> None:
    from django.contrib.sessions.models import Session

    for _ in range(5):
        Client().post(URL, {"action": "hint"})
        Client().post(URL, {"action": "no-such-action"})
    room = _class()
    _join(Client(), room, "Sam")

    assert Session.objects.count() == 0


def test_a_tab_left_open_as_alex_changes_nothing_once_the_browser_is_blair() -> None:
    computer = Client()
    room = _class()
    _join(computer, room, "Alex")
    alex_page = computer.get(URL).text
    alex_tag = alex_page.split('name="owner" value="')[1].split('"')[0]
    _join(computer, room, "Blair", **{"as": "new"})

    plain = computer.post(URL, {"action": "hint", "owner": alex_tag}, follow=True)
    htmx = computer.post(URL, {"action": "hint"}, headers={**HTMX, "X-RoleCall-Owner": alex_tag})
    own = computer.post(URL, {"action": "hint", "owner": _me(computer).owner.tag})

    assert "that page was opened by someone else on this browser" in plain.text
    assert htmx["HX-Refresh"] == "true"
    assert own.status_code == 302
    assert Attempt.objects.get(membership__display_name="Blair").hints == {"attach": 1}
    assert not Attempt.objects.filter(membership__display_name="Alex").exists()


def test_prune_keeps_a_learner_from_before_the_upgrade_that_a_membership_still_names() -> None:
    room = _class()
    old = Learner.objects.create(key="from-before-0007")
    Learner.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=90))
    sam = room.join("Sam")
    Membership.objects.filter(pk=sam.pk).update(legacy_learner=old)

    call_command("prune_learners", stdout=io.StringIO())

    assert Learner.objects.filter(pk=old.pk).exists()
