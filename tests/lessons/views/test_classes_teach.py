"""Instructors: signing in, their classes at /teach/, creating a class, the projector page,
and `manage.py createinstructor`. Learners and other instructors never see a class."""

import re
import runpy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from config import settings as settings_module
from lessons import models
from lessons.models import Classroom
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

PASSWORD = "a long classroom password"


def _instructor(username: str = "ada") -> User:
    return User.objects.create_user(username, password=PASSWORD)


def _signed_in(username: str = "ada") -> tuple[Client, User]:
    client = Client()
    user = _instructor(username)
    client.force_login(user)
    return client, user


def _classroom(*, instructor: User, title: str = "IAM roles", **fields: Any) -> Classroom:
    return Classroom.start(
        instructor=instructor,
        title=title,
        scenarios=fields.pop("scenarios", ["two-steps", "mini"]),
        **fields,
    )


def _create(client: Client, **data: Any) -> Any:
    form = {"action": "create", "title": "Tuesday", "scenarios": ["two-steps"], **data}
    return client.post("/teach/", form)


def _dashboard_or_projector(code: str) -> str:
    try:
        return reverse("lessons:dashboard", args=[code])
    except NoReverseMatch:
        return reverse("lessons:projector", args=[code])


# --- Signing in -------------------------------------------------------------------------------


def test_a_learner_without_login_is_sent_to_sign_in_from_teach(client: Client) -> None:
    response = client.get("/teach/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/teach/"


def test_class_pages_send_anyone_signed_out_to_sign_in_whether_the_code_exists_or_not(
    client: Client,
) -> None:
    classroom = _classroom(instructor=_instructor())

    real = client.get(f"/teach/{classroom.join_code}/projector/")
    made_up = client.get("/teach/QK7M4XPA/projector/")

    assert real.status_code == made_up.status_code == 302
    assert real["Location"].startswith("/accounts/login/")
    assert made_up["Location"].startswith("/accounts/login/")


def test_the_sign_in_page_signs_an_instructor_in_and_lands_on_their_classes(
    client: Client,
) -> None:
    _instructor()

    page = client.get("/accounts/login/?next=/teach/")
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": "/teach/"}
    )

    assert page.status_code == 200
    assert "Instructor sign-in" in page.text
    assert 'class="site-header"' in page.text  # it extends base.html
    assert response.status_code == 302
    assert response["Location"] == "/teach/"


def test_a_wrong_password_is_refused_with_a_message(client: Client) -> None:
    _instructor()

    response = client.post("/accounts/login/", {"username": "ada", "password": "nope"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert "_auth_user_id" not in client.session


def test_an_empty_field_at_sign_in_is_named_beside_it(client: Client) -> None:
    _instructor()

    response = client.post("/accounts/login/", {"username": "ada", "password": ""})

    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="password-errors"><li>Type your password: this field is required.</li></ul>'
        in response.text
    )
    assert 'aria-describedby="password-errors"' in response.text
    assert 'aria-describedby="login-errors"' not in response.text  # names no missing element


def test_signing_in_needs_the_csrf_token() -> None:
    _instructor()
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 403


# --- The instructor's classes -----------------------------------------------------------------


def test_teach_lists_only_the_instructors_own_classes() -> None:
    client, ada = _signed_in("ada")
    mine = _classroom(instructor=ada, title="Ada class")
    ended = _classroom(instructor=ada, title="Last week")
    ended.end()
    theirs = _classroom(instructor=_instructor("bob"), title="Bob class")
    mine.join("Sam")
    mine.join("Alex").remove()

    page = client.get("/teach/").text

    assert "Ada class" in page
    assert mine.grouped_code in page
    assert "Bob class" not in page
    assert theirs.join_code not in page
    assert theirs.grouped_code not in page
    row = page[page.index("Ada class") :]
    row = row[: row.index("</tr>")]
    assert "<td>1</td>" in row  # the removed learner is not counted
    assert "Open" in row
    last_week = page[page.index("Last week") :]
    assert "Ended" in last_week[: last_week.index("</tr>")]
    assert f'href="/teach/{mine.join_code}/projector/"' in page


def test_creating_a_class_takes_the_scenarios_in_the_order_of_their_numbers() -> None:
    client, ada = _signed_in()

    response = _create(
        client,
        title="  Service roles  ",
        scenarios=["two-steps", "mini"],
        **{"order-two-steps": "2", "order-mini": "1"},
        unlock_one_by_one="on",
        minutes="90",
    )

    classroom = Classroom.objects.get()
    assert classroom.instructor == ada
    assert classroom.title == "Service roles"
    assert classroom.scenarios == ["mini", "two-steps"]
    assert classroom.unlock_one_by_one
    assert classroom.ends_at is not None
    assert abs(classroom.ends_at - (timezone.now() + timedelta(minutes=90))) < timedelta(minutes=1)
    assert response.status_code == 302
    assert response["Location"] == _dashboard_or_projector(classroom.join_code)


def test_without_numbers_the_scenarios_keep_the_catalogue_order() -> None:
    client, _ = _signed_in()

    _create(client, scenarios=["two-steps", "mini"], **{"order-two-steps": "", "order-mini": ""})

    classroom = Classroom.objects.get()
    assert classroom.scenarios == ["mini", "two-steps"]
    assert not classroom.unlock_one_by_one
    assert classroom.ends_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scenarios": []}, "Choose at least one scenario."),
        ({"title": "   "}, "This field is required."),
        ({"title": "\u202e\u200b"}, "A title needs letters or digits"),
        ({"scenarios": ["sandbox"]}, "Select a valid choice."),
        ({"scenarios": ["no-such-scenario"]}, "Select a valid choice."),
        ({"order-two-steps": "first"}, "Order numbers are whole numbers from 1 to 99."),
        ({"minutes": "1"}, "Ensure this value is greater than or equal to 5."),
    ],
    ids=[
        "no-scenario",
        "no-title",
        "invisible-title",
        "sandbox",
        "unknown-scenario",
        "bad-order",
        "too-short",
    ],
)
def test_a_class_form_with_a_problem_says_what_it_is(data: dict[str, Any], message: str) -> None:
    client, _ = _signed_in()

    response = _create(client, **data)

    assert response.status_code == 200
    assert message in response.text
    assert not Classroom.objects.exists()


def test_a_title_keeps_no_character_that_could_turn_the_welcome_line_around() -> None:
    """U+202E in a title reversed everything after it on the learner's welcome line, their
    personal code too; zero-width and control characters hide in a title."""
    client, _ = _signed_in()

    _create(client, title="Lab\u202e 3\u200b \x07Tuesday\u2066")

    assert Classroom.objects.get().title == "Lab 3 Tuesday"


def test_the_form_offers_every_scenario_with_an_order_number_and_no_sandbox() -> None:
    client, _ = _signed_in()

    page = client.get("/teach/").text

    assert 'name="scenarios" value="mini"' in page
    assert 'name="order-two-steps"' in page
    assert 'value="sandbox"' not in page


def test_a_class_whose_scenario_file_is_gone_is_listed_and_its_projector_shown(
    settings: Any,
) -> None:
    client, user = _signed_in()
    room = _classroom(instructor=user)
    (settings.ROLECALL_SCENARIO_DIR / "two-steps.yaml").unlink()
    models.catalogue.cache_clear()

    classes = client.get("/teach/")
    projector = client.get(f"/teach/{room.join_code}/projector/")

    assert classes.status_code == 200
    assert room.title in classes.text
    assert 'name="order-two-steps"' not in classes.text  # no longer offered for a new class
    assert projector.status_code == 200
    assert room.join_code in projector.text


def test_the_classes_page_names_each_class_with_an_unavailable_scenario(settings: Any) -> None:
    client, user = _signed_in()
    gone = _classroom(instructor=user, title="Roles, Monday")
    also = _classroom(instructor=user, title="Roles, Tuesday", scenarios=["two-steps"])
    whole = _classroom(instructor=user, title="Sandbox day", scenarios=["mini"])
    (settings.ROLECALL_SCENARIO_DIR / "two-steps.yaml").unlink()
    models.catalogue.cache_clear()

    page = client.get("/teach/").text

    start = page.index('aria-labelledby="unavailable-heading"')
    notice = page[start : page.index("</section>", start)]
    assert "2 classes have unavailable scenarios" in notice
    for room in (gone, also):
        assert f'<a href="/teach/{room.join_code}/">{room.title}</a>' in notice
    assert notice.count("The scenario “two-steps” is unavailable: no scenario file") == 2
    assert whole.title not in notice
    assert page.count("1 unavailable (see above)") == 2


def test_the_classes_page_has_no_notice_while_every_scenario_is_served() -> None:
    client, user = _signed_in()
    _classroom(instructor=user)

    page = client.get("/teach/").text

    assert "unavailable" not in page


def test_creating_a_class_needs_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(_instructor())

    response = _create(client)

    assert response.status_code == 403
    assert not Classroom.objects.exists()


# --- The projector ------------------------------------------------------------------------------


def test_the_projector_shows_the_code_large_the_join_address_and_a_qr_code() -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)
    join_url = f"http://testserver/join/?code={classroom.join_code}"

    response = client.get(f"/teach/{classroom.join_code}/projector/")

    page = response.text
    assert response.status_code == 200
    assert f'<p class="projector__code" aria-hidden="true">{classroom.grouped_code}</p>' in page
    assert " ".join(classroom.join_code) in page  # spelled out for screen readers
    assert "testserver/join/" in page
    assert f'href="{join_url}"' in page
    svg = re.search(r"<svg.*?</svg>", page, re.DOTALL)
    assert svg is not None
    expected = segno.make(join_url, error="m").svg_inline(
        scale=4, light="#fff", omitsize=True, svgclass="qr__svg"
    )
    assert svg.group(0) == expected
    assert "style=" not in svg.group(0)
    assert "<script" not in svg.group(0)
    assert f'aria-label="QR code that opens {join_url}"' in page


def test_the_projector_shows_the_public_address_when_it_is_set(settings: Any) -> None:
    settings.ROLECALL_PUBLIC_URL = "https://rolecall.example.org"
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)
    join_url = f"https://rolecall.example.org/join/?code={classroom.join_code}"

    page = client.get(f"/teach/{classroom.join_code}/projector/").text

    assert '<strong class="projector__address">rolecall.example.org/join/</strong>' in page
    assert f'href="{join_url}"' in page
    assert f'aria-label="QR code that opens {join_url}"' in page
    expected = segno.make(join_url, error="m").svg_inline(
        scale=4, light="#fff", omitsize=True, svgclass="qr__svg"
    )
    assert expected in page
    assert "testserver" not in page


def test_the_projector_shows_the_requests_host_without_the_setting(settings: Any) -> None:
    settings.ROLECALL_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["classroom.local"]
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)

    page = client.get(
        f"/teach/{classroom.join_code}/projector/", HTTP_HOST="classroom.local:8000"
    ).text

    assert '<strong class="projector__address">classroom.local:8000/join/</strong>' in page
    assert f'href="http://classroom.local:8000/join/?code={classroom.join_code}"' in page


@pytest.mark.parametrize(
    "value",
    ["rolecall.example.org", "ftp://rolecall.example.org", "https://", "https://x.org/rolecall"],
)
def test_a_public_address_that_is_not_a_scheme_and_host_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ROLECALL_PUBLIC_URL", value)

    with pytest.raises(ImproperlyConfigured, match="ROLECALL_PUBLIC_URL is the scheme and host"):
        runpy.run_path(str(Path(settings_module.__file__)))


def test_the_projector_shows_no_site_menu_and_fills_the_screen() -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)

    page = client.get(f"/teach/{classroom.join_code}/projector/").text

    assert "<nav" not in page
    assert "site-header" not in page
    assert "site-footer" not in page
    assert "Policy simulator" not in page
    assert '<body class="projector-page">' in page
    assert f'<a href="/teach/{classroom.join_code}/">Dashboard</a>' in page  # the way back


def test_the_projector_has_the_sites_own_head_only_its_title_differs() -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)

    def head(page: str) -> str:
        head = page[page.index("<head>") : page.index("</head>")]
        return re.sub(r"<title>.*?</title>", "", head)

    projector = client.get(f"/teach/{classroom.join_code}/projector/").text
    classes = client.get("/teach/").text

    assert head(projector) == head(classes)
    assert f"<title>Join {classroom.title} — RoleCall</title>" in projector


def test_the_projector_page_keeps_the_strict_csp() -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)

    response = client.get(f"/teach/{classroom.join_code}/projector/")

    csp = response["Content-Security-Policy"]
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert " style=" not in response.text


def test_the_projector_counts_learners_as_they_join() -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)
    classroom.join("Sam")
    classroom.join("Alex")

    fragment = client.get(
        f"/teach/{classroom.join_code}/projector/",
        headers={"HX-Request": "true", "HX-Target": "joined"},
    )

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "2 learners joined" in fragment.text
    assert 'hx-trigger="every 5s"' in fragment.text


def test_another_instructors_class_is_not_found() -> None:
    _, ada = _signed_in("ada")
    classroom = _classroom(instructor=ada)
    bob, _ = _signed_in("bob")

    response = bob.get(f"/teach/{classroom.join_code}/projector/")

    assert response.status_code == 404
    assert classroom.title not in response.text


@pytest.mark.parametrize(
    "tamper",
    [str.lower, lambda code: code[:-1], lambda code: code + "A", lambda code: "QK7M4XPA"],
    ids=["lower-case", "shorter", "longer", "another-code"],
)
def test_a_tampered_code_in_the_url_is_not_found(tamper: Any) -> None:
    client, ada = _signed_in()
    classroom = _classroom(instructor=ada)

    response = client.get(f"/teach/{tamper(classroom.join_code)}/projector/")

    assert response.status_code == 404


# --- createinstructor ---------------------------------------------------------------------------


def test_createinstructor_makes_an_ordinary_user_who_can_sign_in(
    monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    monkeypatch.setenv("ROLECALL_PASSWORD", PASSWORD)

    call_command("createinstructor", "grace", "--password-from-env", "ROLECALL_PASSWORD")

    grace = User.objects.get(username="grace")
    assert not grace.is_staff
    assert not grace.is_superuser
    assert client.login(request=HttpRequest(), username="grace", password=PASSWORD)
    assert client.get("/teach/").status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [("", "is not set or empty"), ("password", "too common")],
    ids=["unset", "weak"],
)
def test_createinstructor_refuses_a_missing_or_weak_password(
    monkeypatch: pytest.MonkeyPatch, password: str, message: str
) -> None:
    monkeypatch.setenv("ROLECALL_PASSWORD", password)

    with pytest.raises(CommandError, match=message):
        call_command("createinstructor", "grace", "--password-from-env", "ROLECALL_PASSWORD")

    assert not User.objects.filter(username="grace").exists()


def test_createinstructor_refuses_a_taken_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _instructor("grace")
    monkeypatch.setenv("ROLECALL_PASSWORD", PASSWORD)

    with pytest.raises(CommandError, match="exists already"):
        call_command("createinstructor", "grace", "--password-from-env", "ROLECALL_PASSWORD")


def test_createinstructor_asks_twice_for_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["different", PASSWORD, PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    call_command("createinstructor", "grace")

    assert User.objects.get(username="grace").check_password(PASSWORD)


# --- Guessing passwords -----------------------------------------------------------------------


def _sign_in(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


@pytest.fixture
def fresh_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("fresh_cache")
def test_ten_wrong_passwords_lock_the_account_for_a_few_minutes_with_a_clear_page() -> None:
    _instructor()
    for number in range(10):  # from ten addresses: the account itself is throttled
        _sign_in(Client(REMOTE_ADDR=f"10.0.0.{number}"), "ada", "guess")

    locked = _sign_in(Client(REMOTE_ADDR="10.0.1.1"), "ada", PASSWORD)

    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.text
    assert "try again in 5 minutes" in locked.text
    assert "_auth_user_id" not in Client().session


@pytest.mark.usefixtures("fresh_cache")
def test_ten_wrong_passwords_from_one_address_lock_that_address_for_every_account() -> None:
    _instructor("ada")
    _instructor("bob")
    guesser = Client(REMOTE_ADDR="10.9.9.9")
    for number in range(10):
        _sign_in(guesser, f"user{number}", "guess")

    assert _sign_in(guesser, "bob", PASSWORD).status_code == 429
    assert _sign_in(Client(REMOTE_ADDR="10.0.0.1"), "bob", PASSWORD).status_code == 302


@pytest.mark.usefixtures("fresh_cache")
def test_an_instructor_on_a_browser_they_signed_in_on_before_is_never_locked_out() -> None:
    _instructor()
    laptop = Client()
    assert _sign_in(laptop, "ada", PASSWORD).status_code == 302
    laptop.post("/accounts/logout/")
    for number in range(12):  # someone elsewhere guessing at "ada"
        _sign_in(Client(REMOTE_ADDR=f"10.0.0.{number}"), "ada", "guess")

    assert _sign_in(Client(), "ada", PASSWORD).status_code == 429
    assert _sign_in(laptop, "ada", PASSWORD).status_code == 302


class _CacheClock:
    """The database cache's idea of now, moved by hand: its expiry times are whole seconds, so a
    real one-second cool-off could end anywhere from 0 to 1 s after it began."""

    def __init__(self, monkeypatch: Any) -> None:
        from types import SimpleNamespace

        from django.core.cache.backends import base, db

        self.now = timezone.now()
        monkeypatch.setattr(db, "tz_now", lambda: self.now)  # reading: is it past its expiry?
        monkeypatch.setattr(
            base, "time", SimpleNamespace(time=lambda: self.now.timestamp())
        )  # writing

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.mark.usefixtures("fresh_cache")
def test_a_lockout_ends_after_its_cool_off(settings: Any, monkeypatch: Any) -> None:
    clock = _CacheClock(monkeypatch)
    _instructor()
    for _ in range(10):
        _sign_in(Client(), "ada", "guess")
    assert _sign_in(Client(), "ada", PASSWORD).status_code == 429

    clock.advance(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

    assert _sign_in(Client(), "ada", PASSWORD).status_code == 302


@pytest.mark.usefixtures("fresh_cache")
def test_a_wrong_password_as_its_count_expires_starts_a_new_count(monkeypatch: Any) -> None:
    """axes adds the count, finds it there, then increments it; if it expires in between, the
    sign-in page answered 500 (jazzband/django-axes#1144)."""
    from django.core.cache.backends.db import DatabaseCache

    clock = _CacheClock(monkeypatch)
    _instructor()
    _sign_in(Client(), "ada", "guess")
    add = DatabaseCache.add

    def add_then_expire(self: Any, *args: Any, **kwargs: Any) -> bool:
        added: bool = add(self, *args, **kwargs)
        monkeypatch.setattr(DatabaseCache, "add", add)  # once: the account's count
        clock.advance(timedelta(hours=1))
        return added

    monkeypatch.setattr(DatabaseCache, "add", add_then_expire)

    assert _sign_in(Client(), "ada", "guess").status_code == 200
    statuses = [_sign_in(Client(), "ada", "guess").status_code for _ in range(9)]

    assert statuses == [200] * 8 + [429]  # the count began again: the tenth since locks out


def test_without_mail_there_is_no_password_reset_page(client: Client) -> None:
    assert client.get("/accounts/password_reset/").status_code == 404
    assert "password_reset" not in client.get("/accounts/login/").text


@pytest.mark.usefixtures("fresh_cache")
def test_a_known_device_still_counts_its_own_wrong_passwords() -> None:
    _instructor()
    laptop = Client()
    assert _sign_in(laptop, "ada", PASSWORD).status_code == 302
    laptop.post("/accounts/logout/")
    for _ in range(10):
        _sign_in(laptop, "ada", "guess")

    assert _sign_in(laptop, "ada", PASSWORD).status_code == 429
