"""A live class in Chromium: an instructor and three learners, each in a browser context of
their own (their own session), side by side in one browser.

The instructor signs in, creates a class, shows the projector page and follows the dashboard;
the learners join with the code and work (or not). Every action of the instructor is then
seen from the learners' side: a hint, a message, the next scenario unlocked, a reset, a
removal, the results exported, the class ended.
"""

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from lessons.models import Classroom, Membership, catalogue
from tests.e2e.helpers import HTMX_IDLE, Guard, Learner, scenario

ATTACH = scenario("attach-replace")
KEYS = scenario("keys-vs-role")
CLASS = "IAM roles, Tuesday"
USERNAME = "ada"
PASSWORD = "a long instructor passphrase"  # noqa: S105 (a test account)
MESSAGE = "Ten minutes left on step 1: ask me if the association id is unclear."
CLASS_ENDED = "This class has ended: your work is kept"
CSV_HEADER = [
    "learner", "scenario", "step", "completed at", "first completed at", "attempts",
    "hints used", "resets", "removed at", "quiz first score", "quiz questions", "quiz tries",
]  # fmt: skip


class Room:
    """One browser, one context per person: each page guarded (no other host, no console
    error) and patient (15 s per wait)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.guards: dict[str, Guard] = {}
        self.contexts: list[BrowserContext] = []

    def page(self, who: str, *, width: int = 1280, height: int = 900) -> Page:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        self.guards[who] = Guard(page, self.base_url)
        return page

    def assert_clean(self) -> None:
        for who, guard in self.guards.items():
            assert guard.elsewhere == [], f"{who}: requests to other hosts: {guard.elsewhere}"
            assert guard.errors == [], f"{who}: errors in the browser console: {guard.errors}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def room(live_server: LiveServer, browser: Browser) -> Iterator[Room]:
    room = Room(browser, live_server.url)
    yield room
    room.close()


# --- The learners' side -----------------------------------------------------------------------------


def join(page: Page, base_url: str, code: str, name: str) -> None:
    """/join/: the class code as the projector shows it, and a display name."""
    page.goto(base_url + "/join/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join a class")
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join the class").click()


def joined(page: Page, name: str) -> Learner:
    """Landed in the class's first scenario, at step 1, as `name` (made unique)."""
    me = Learner(page)
    me.steps = ATTACH["steps"]
    expect(page.get_by_role("heading", level=1)).to_have_text(ATTACH["title"])
    expect(page.locator(".messages")).to_contain_text(f"Welcome, {name}: you are in “{CLASS}”")
    expect(page.locator(".class-banner__class")).to_have_text(f"Class “{CLASS}”: you are {name}.")
    me.at_step(1)
    return me


def attach_upload_role(me: Learner) -> None:
    app = me.open("app-1")
    app.get_by_label("Instance profile").select_option("UploadRole")
    me.press("Attach (associate)", app)
    me.expect_status("Associated instance profile UploadRole with")


def reload(me: Learner, step: int) -> None:
    me.page.reload()
    me.at_step(step)


def card(page: Page, title: str) -> Locator:
    return page.get_by_role("article", name=title, exact=True)


def start_link(page: Page, title: str) -> Locator:
    return page.get_by_role("link", name=re.compile(rf"^(Start|Continue)\s?: {re.escape(title)}$"))


# --- The instructor's side ----------------------------------------------------------------------------


def grid_row(page: Page, name: str) -> Locator:
    return page.locator("#grid-scroll tbody tr").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def first_step(page: Page, name: str) -> Locator:
    """The learner's cell of the class's first step (after the name and the steps done)."""
    return grid_row(page, name).locator("td").nth(1)


def acted(page: Page, text: str) -> None:
    expect(page.locator("#dash-status")).to_contain_text(text)


def open_learner(page: Page, name: str) -> Locator:
    """A learner's panel, opened from their name in the grid."""
    page.locator("#grid").get_by_role("link", name=name, exact=True).click()
    panel = page.locator("#learner")
    expect(panel.get_by_role("heading", level=2)).to_have_text(name)
    return panel


def confirming(page: Page) -> list[str]:
    """Accept every confirm() the dashboard asks (hx-confirm); the questions are kept."""
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def test_an_instructor_runs_a_class_for_three_learners(
    live_server: LiveServer, room: Room, tmp_path: Path
) -> None:
    base = live_server.url
    User.objects.create_user(USERNAME, password=PASSWORD)

    # --- The instructor signs in, creates the class, shows the projector ------------------------
    teacher = room.page("instructor")
    asked = confirming(teacher)
    teacher.goto(base + "/teach/")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Instructor sign-in")
    teacher.get_by_label("User name").fill(USERNAME)
    teacher.get_by_label("Password").fill(PASSWORD)
    teacher.get_by_role("button", name="Sign in").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Your classes")
    expect(teacher.get_by_text(f"Signed in as {USERNAME}")).to_be_visible()

    teacher.get_by_label("Title", exact=True).fill(CLASS)
    for order, data in enumerate((ATTACH, KEYS), start=1):
        title = data["title"]
        teacher.get_by_role("checkbox", name=re.compile(rf"^{re.escape(title)} \(")).check()
        teacher.get_by_label(f"Order of {title}", exact=True).fill(str(order))
    teacher.get_by_label("Unlock the scenarios one by one").check()
    teacher.get_by_role("button", name="Create the class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(CLASS)
    ready = teacher.locator(".messages")
    expect(ready).to_contain_text(f"“{CLASS}” is ready: its join code is ")
    found = re.search(r"its join code is (\w{4} \w{4})\.", ready.inner_text())
    assert found, ready.inner_text()
    code = found.group(1)
    state = teacher.locator("#class-state")
    expect(state).to_contain_text("Open")
    expect(state).to_contain_text("1 of 2 unlocked, one by one")

    teacher.get_by_role("link", name=re.compile("large, with a QR code, for the projector")).click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(CLASS)
    expect(teacher.locator(".projector__code")).to_have_text(code)
    expect(teacher.get_by_text("The class code is " + " ".join(code.replace(" ", "")))).to_be_attached()  # fmt: skip
    qr = teacher.get_by_role("img", name=re.compile("^QR code that opens "))
    join_url = f"{base}/join/?code={code.replace(' ', '')}"
    expect(qr).to_have_attribute("aria-label", f"QR code that opens {join_url}")
    expect(qr.locator("svg")).to_have_count(1)
    expect(teacher.locator("#joined")).to_have_text("0 learners joined")
    teacher.get_by_role("link", name="Dashboard", exact=True).click()
    expect(teacher.locator("#grid")).to_contain_text("No one has joined yet.")

    # --- Three learners join, two of them as "Sam" -------------------------------------------------
    pages = [room.page(f"learner {n}") for n in (1, 2, 3)]
    for page, name in zip(pages, ("Sam", "Sam", "Riya"), strict=True):
        join(page, base, code, name)
    first, second, third = (
        joined(page, name) for page, name in zip(pages, ("Sam", "Sam 2", "Riya"), strict=True)
    )

    # Sam completes step 1 through the console.
    first.run_fleet()
    first.expect_status("0 of 2 calls allowed", "NoCredentials")
    attach_upload_role(first)
    first.run_fleet()
    first.expect_status("1 of 2 calls allowed", "GetObject AccessDenied ×1")
    first.check_passes(1)

    # Sam 2 attaches the role and takes it away again before checking: the one check of the
    # step that fails, three times over, is "app-1 has the role UploadRole".
    attach_upload_role(second)
    second.run_fleet()
    app = second.open("app-1")
    second.press("Detach (disassociate)", app)
    second.expect_status("Association iip-assoc-", " is disassociat")
    for _ in range(3):
        second.check_fails()
    # Riya does nothing.

    # --- The dashboard refreshes itself: three rows, done, stuck, the failing check ----------------
    # Wait on the newest change (Sam 2's third failed check): a refresh taken before it would
    # already show Sam done, and the grid refreshes every 5 s, so give it two refreshes and more.
    expect(first_step(teacher, "Sam 2")).to_contain_text("3 failed checks", timeout=15_000)
    expect(first_step(teacher, "Sam 2")).to_have_class("cell--stuck")
    expect(first_step(teacher, "Sam 2")).to_contain_text("stuck")
    expect(first_step(teacher, "Sam")).to_have_class("cell--done")
    expect(grid_row(teacher, "Sam")).to_have_count(1)
    expect(first_step(teacher, "Sam")).to_have_text("done")
    expect(first_step(teacher, "Riya")).to_have_class("cell--working")
    expect(teacher.locator("#grid-scroll tbody tr")).to_have_count(3)
    expect(teacher.locator(".dash-grid__meta")).to_contain_text("3 learners, 1 stuck.")
    # Step by step, above the grid: done, working, stuck, the most often failing check.
    step_one = teacher.locator(".step-sum").first
    expect(step_one.get_by_role("rowheader")).to_have_text(f"1.1 {ATTACH['steps'][0]['title']}")
    expect(step_one.locator("td").nth(0)).to_have_text("1 of 3 (33%)")
    expect(step_one.locator("td").nth(1)).to_have_text("1")
    expect(step_one.locator("td").nth(2)).to_have_text("1")
    expect(step_one.locator(".step-sum__failing")).to_contain_text(
        "app-1 has the role UploadRole (3 times, 1 learner)"
    )

    # --- A hint to everyone: each learner's page shows the next hint of their step ---------------
    teacher.get_by_role("button", name="Next hint to everyone", exact=True).click()
    acted(teacher, "The next hint is shown to 3 learners.")
    for me, step in ((first, 2), (second, 1), (third, 1)):
        reload(me, step)
        hint = me.steps[step - 1]["hints"][0]
        expect(me.page.locator("#hint-1")).to_contain_text(" ".join(hint.split()[:4]))

    # --- A message: every learner's workspace shows it -----------------------------------------------
    teacher.get_by_label("Message to every learner").fill(MESSAGE)
    teacher.get_by_role("button", name="Post to every learner").click()
    acted(teacher, "The message is posted: every learner's workspace shows it.")
    for me, step in ((first, 2), (second, 1), (third, 1)):
        reload(me, step)
        expect(me.page.locator("#class-message")).to_contain_text(
            f"From your instructor: {MESSAGE}"
        )

    # --- The next scenario: locked in a learner's catalogue until the instructor unlocks it -------
    catalogue = second.page
    catalogue.get_by_role("link", name="The class's scenarios").click()
    expect(catalogue.get_by_role("heading", level=1)).to_have_text(CLASS)
    expect(card(catalogue, KEYS["title"])).to_contain_text("Locked: your instructor opens it later")
    expect(start_link(catalogue, KEYS["title"])).to_have_count(0)
    expect(card(catalogue, ATTACH["title"])).to_contain_text("Step 1 of 5")

    teacher.get_by_role("button", name="Unlock the next scenario").click()
    acted(teacher, f"Unlocked “{KEYS['title']}”: learners can open it now.")
    expect(state).to_contain_text("2 of 2 unlocked, one by one")
    catalogue.reload()
    expect(card(catalogue, KEYS["title"])).to_contain_text("Not started")
    expect(start_link(catalogue, KEYS["title"])).to_be_visible()
    start_link(catalogue, ATTACH["title"]).click()
    second.at_step(1)

    # --- Reset Sam's scenario: Sam is back at step 1 ---------------------------------------------------
    panel = open_learner(teacher, "Sam")
    attempt = panel.get_by_role("listitem").filter(has_text=ATTACH["title"])
    expect(attempt).to_contain_text(f"step 2 of 5: {ATTACH['steps'][1]['title']}")
    attempt.get_by_role("button", name="Reset this scenario…").click()
    acted(teacher, f"“{ATTACH['title']}” starts again for Sam: step 1")
    assert asked[-1].startswith(f"Reset “{ATTACH['title']}” for Sam?"), asked
    expect(first_step(teacher, "Sam")).to_have_class("cell--working")
    reload(first, 1)
    expect(first.page.locator("#progress")).to_contain_text("Step 1 of 5")

    # --- Remove Riya: her row goes ---------------------------------------------------------------------
    panel = open_learner(teacher, "Riya")
    panel.get_by_role("button", name="Remove from the class…").click()
    acted(teacher, "Riya is removed from the class.")
    assert asked[-1].startswith("Remove Riya from the class?"), asked
    expect(grid_row(teacher, "Riya")).to_have_count(0)
    expect(teacher.locator("#grid-scroll tbody tr")).to_have_count(2)
    expect(teacher.locator(".dash-grid__meta")).to_contain_text("2 learners")

    # --- The results as CSV: every learner, the removed one marked -----------------------------------
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download results (CSV)").click()
    assert download.value.suggested_filename == "iam-roles-tuesday-results.csv"
    saved = tmp_path / "results.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(saved.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == CSV_HEADER
    steps = len(ATTACH["steps"]) + len(KEYS["steps"])
    by_name: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_name.setdefault(row[0], []).append(row)
    assert sorted(by_name) == ["Riya", "Sam", "Sam 2"]
    assert all(len(own) == steps for own in by_name.values())
    assert all(row[8] for row in by_name["Riya"])  # removed at
    assert not any(row[8] for row in by_name["Sam"] + by_name["Sam 2"])
    attach_1 = {name: own[0] for name, own in by_name.items()}
    assert [attach_1["Sam 2"][i] for i in (1, 2, 5, 6)] == [
        ATTACH["title"],
        ATTACH["steps"][0]["title"],
        "3",  # attempts: three failed checks
        "1",  # hints used: the one revealed to everyone
    ]
    assert attach_1["Sam"][3] == ""  # reset: step 1 no longer completed in this run...
    assert attach_1["Sam"][4] != ""  # ...but the instructor still sees it was passed before
    assert attach_1["Sam"][7] == "1"  # resets

    # --- End the class: no one joins any more, and the learners' actions are refused -------------
    teacher.get_by_role("button", name="End the class…").click()
    acted(teacher, "The class has ended")
    assert asked[-1].startswith(f"End “{CLASS}” now?"), asked
    expect(state).to_contain_text("Ended")
    expect(teacher.locator("#class-actions")).to_contain_text("This class has ended")

    latecomer = room.page("latecomer")
    join(latecomer, base, code, "Kim")
    expect(latecomer.locator("#id_code-errors")).to_have_text(
        "This class has ended: it no longer takes new learners."
    )
    expect(latecomer.get_by_label("Class code")).to_have_attribute("aria-invalid", "true")

    second.press("Run the fleet 1 tick")
    second.expect_status(CLASS_ENDED)
    second.page.reload()
    expect(second.page.locator("#class-message")).to_contain_text("This class has ended.")

    room.assert_clean()


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/teach/")
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your classes")


def test_the_dashboard_of_100_learners_fits_the_window_and_keeps_its_header_in_view(
    live_server: LiveServer, room: Room
) -> None:
    """At 1280x800: the page is no wider than the window (the grid scrolls in its own box),
    the summary comes before the grid, and the grid's header stays at the top of its box
    however far down it is scrolled; a step's full name shows when its number has focus."""
    classroom = Classroom.start(
        instructor=User.objects.create_user(USERNAME, password=PASSWORD),
        title=CLASS,
        scenarios=[slug for slug in catalogue() if not catalogue()[slug].sandbox],
    )
    for number in range(100):
        Membership.objects.create(classroom=classroom, display_name=f"Learner {number:03}")
    teacher = room.page("instructor", width=1280, height=800)
    sign_in(teacher, live_server.url)
    teacher.goto(f"{live_server.url}/teach/{classroom.join_code}/")
    expect(teacher.locator("#grid-scroll tbody tr")).to_have_count(100)

    widths = teacher.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    box = teacher.locator("#grid-scroll")
    sizes = box.evaluate("b => [b.scrollHeight, b.clientHeight, b.scrollWidth, b.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # the rows scroll inside the box...
    assert sizes[1] <= 800, sizes  # ...which fits the window
    summary = teacher.locator("#steps").bounding_box()
    grid = box.bounding_box()
    assert summary is not None
    assert grid is not None
    assert summary["y"] < grid["y"]

    box.scroll_into_view_if_needed()
    box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    last = teacher.locator("#grid-scroll tbody tr").last
    expect(last).to_be_in_viewport()
    top = box.bounding_box()
    assert top is not None
    for header in (
        teacher.locator(".grid thead th.grid__name"),
        teacher.locator(".grid__step").first,
    ):
        found = header.bounding_box()
        assert found is not None
        assert top["y"] <= found["y"] <= top["y"] + 60, (top, found)
        expect(header).to_be_in_viewport()

    step = teacher.locator(".grid__step").nth(1)
    step.focus()
    tip = step.locator(".grid__tip")
    shown = tip.bounding_box()
    assert shown is not None
    assert shown["width"] > 100, shown
    assert shown["height"] > 10, shown
    expect(tip).to_contain_text(", step 2: ")

    # The refresh every 5 seconds keeps the grid's place and the keyboard's.
    scrolled = box.evaluate("b => b.scrollTop")
    assert scrolled > 0
    with teacher.expect_response(lambda answer: "was_open=1" in answer.url):
        pass
    teacher.wait_for_function(HTMX_IDLE)
    assert teacher.locator("#grid-scroll").evaluate("b => b.scrollTop") == scrolled
    expect(teacher.locator(".grid__step").nth(1)).to_be_focused()
    room.assert_clean()


def test_three_people_take_turns_on_one_computer_and_each_keeps_their_own_work(
    live_server: LiveServer, room: Room
) -> None:
    """A lab computer: Alex, then Blair, use one browser in one class; the next day Casey uses
    it for another instructor's class. Nobody sees or changes anyone else's work."""
    from lessons.models import Attempt, Classroom, Membership

    base = live_server.url
    ada = User.objects.create_user(USERNAME, password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    monday = Classroom.start(instructor=ada, title=CLASS, scenarios=["attach-replace"])
    tuesday = Classroom.start(
        instructor=bob, title="Roles, Wednesday", scenarios=["attach-replace"]
    )
    computer = room.page("the lab computer")

    # Alex joins and passes step 1.
    join(computer, base, monday.grouped_code, "Alex")
    alex = joined(computer, "Alex")
    attach_upload_role(alex)
    alex.run_fleet()
    alex.check_passes(1)
    alex_code = Membership.objects.get(display_name="Alex").grouped_resume_code
    alex.page.get_by_text("Your personal code", exact=True).click()
    expect(alex.page.locator(".class-banner__more")).to_contain_text(alex_code)

    # Blair sits down at the same browser and joins the same class.
    join(computer, base, monday.grouped_code, "Blair")
    expect(computer.get_by_role("heading", level=1)).to_have_text(f"Who is joining “{CLASS}”?")
    expect(computer.get_by_role("button", name="Continue as Alex")).to_be_visible()
    expect(computer.locator("main")).not_to_contain_text(alex_code)
    computer.get_by_role("button", name="I am someone else: join as Blair").click()
    blair = joined(computer, "Blair")
    expect(computer.locator("body")).not_to_contain_text(alex_code)
    blair.run_fleet()
    blair.expect_status("0 of 2 calls allowed", "NoCredentials")  # her own account, no role

    # The next day, Casey joins another instructor's class on the same browser.
    join(computer, base, tuesday.grouped_code, "Casey")
    expect(computer.locator(".messages")).to_contain_text(
        "Welcome, Casey: you are in “Roles, Wednesday”"
    )
    expect(computer.locator(".messages")).to_contain_text("This device was Blair in")
    expect(computer.locator("body")).not_to_contain_text(alex_code)
    casey = Learner(computer)
    casey.steps = ATTACH["steps"]
    casey.at_step(1)
    computer.goto(base + "/s/attach-replace/?reset=confirm")
    computer.get_by_role("button", name="Yes, start again").click()
    casey.at_step(1)

    # Alex's record is as he left it: passed step 1, in Monday's class, untouched by Casey.
    alex_attempt = Attempt.objects.get(membership__display_name="Alex")
    assert alex_attempt.step_index == 1
    assert alex_attempt.membership.classroom_id == monday.pk
    assert {m.display_name for m in Membership.objects.filter(classroom=monday)} == {
        "Alex",
        "Blair",
    }
    assert not Attempt.objects.filter(membership__display_name="Casey", step_index__gt=0).exists()

    # Alex comes back on his laptop with his personal code.
    laptop = room.page("Alex's laptop")
    laptop.goto(base + "/resume/")
    laptop.get_by_label("Your personal code").fill(alex_code)
    laptop.get_by_role("button", name="Continue here").click()
    back = Learner(laptop)
    back.steps = ATTACH["steps"]
    back.at_step(2)
    room.assert_clean()
