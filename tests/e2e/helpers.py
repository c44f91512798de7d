"""A learner's hands for the browser tests: open console items, submit forms, check steps.

Every action waits for its own answer (the htmx swap, or with JavaScript off the next page),
so no test sleeps. `Learner(js=False)` drives the same pages through full-page form posts.
"""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Response, expect

SCENARIOS = Path(__file__).resolve().parents[2] / "lessons" / "scenarios"
CREDENTIALS = "/home/ec2-user/.aws/credentials"

# htmx is done with a request once no element carries one of its in-flight classes.
HTMX_IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def scenario(slug: str) -> dict[str, Any]:
    """A scenario file as data: the steps' titles and hints, the questions' right answers."""
    return yaml.safe_load((SCENARIOS / f"{slug}.yaml").read_text(encoding="utf-8"))


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def allow(action: str | list[str], resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


class Auditor:
    """axe-core on the page as it is, at 1280 px and at 375 px; collects every serious or
    critical violation, and at 375 px any sideways scrolling, to report them all at once."""

    WIDTHS = (1280, 375)
    BLOCKING = ("serious", "critical")

    def __init__(self, page: Page) -> None:
        self.page = page
        self.axe = Axe()
        self.problems: list[str] = []

    def _violations(self, scope: str | None) -> list[dict[str, Any]]:
        """axe.run on the page, or on the part of it that changed (`scope`, a CSS selector);
        axe-core is injected once per document (an htmx swap keeps it)."""
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(self.axe.axe_script)
        script = """scope => axe.run(scope ? {include: [[scope]]} : document,
                                     {resultTypes: ['violations']})"""
        return self.page.evaluate(script, scope)["violations"]

    def __call__(self, where: str, scope: Locator | None = None) -> None:
        """Audit the whole page, or only `scope` (what just changed: a console item open),
        when the rest was audited as it is now already."""
        page = self.page
        selector = None
        if scope is not None:
            selector = "#" + scope.evaluate("e => e.id")
            assert selector != "#", "an audited part needs an id"
            where = f"{where} ({selector})"
        for width in self.WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            violations = self._violations(selector)
            for violation in violations:
                if violation["impact"] in self.BLOCKING:
                    targets = "; ".join(
                        " ".join(map(str, node["target"])) for node in violation["nodes"][:4]
                    )
                    self.problems.append(
                        f"{where} at {width}px: {violation['id']} ({violation['impact']}): "
                        f"{violation['help']} — {len(violation['nodes'])} node(s): {targets}"
                    )
            if width <= 375:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    wide = page.evaluate(WIDEST, width)
                    self.problems.append(
                        f"{where} at {width}px: the page is {scroll}px wide; too wide: {wide}"
                    )
        page.set_viewport_size({"width": self.WIDTHS[0], "height": 900})

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


# The elements that stick out past the right edge (to say what scrolls sideways).
WIDEST = """width => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1)
  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= width + 1)
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
       (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
       ' (' + Math.round(e.getBoundingClientRect().right) + 'px)')
  .join(', ')"""


class Guard:
    """Watches a page: every request must go to the live server, and nothing logs an error
    (a Content-Security-Policy violation, say)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.own = urlsplit(base_url).netloc
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("console", self._console)

    def _request(self, request: Request) -> None:
        if urlsplit(request.url).netloc != self.own and not request.url.startswith("data:"):
            self.elsewhere.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def assert_clean(self) -> None:
        assert self.elsewhere == [], "requests to other hosts"
        assert self.errors == [], "errors in the browser console"


class Learner:
    """One learner in one scenario's workspace, acting through the page as a person would."""

    def __init__(self, page: Page, *, js: bool = True) -> None:
        self.page = page
        self.js = js
        page.set_default_timeout(15_000)
        self.steps: list[dict[str, Any]] = []

    def start(self, base_url: str, slug: str) -> dict[str, Any]:
        """From the catalogue, open the scenario; returns its file's data."""
        data = scenario(slug)
        self.steps = data["steps"]
        self.page.goto(base_url + "/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text(
            "RoleCall — learn AWS IAM by doing"
        )
        # Chromium names the link "Start : <title>" (a space before the visually hidden part).
        name = re.compile(rf"^Start\s?: {re.escape(data['title'])}$")
        link = self.page.get_by_role("link", name=name)
        with self.page.expect_navigation():
            link.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(data["title"])
        if self.steps:
            self.at_step(1)
        return data

    # --- waiting for the page's answer ---------------------------------------------------------

    @staticmethod
    def _answer(response: Response) -> bool:
        """The answer to a learner's click: an htmx POST (not the findings as you type), or an
        htmx GET into one of the workspace's regions (not a polling element's refresh)."""
        request = response.request
        if request.headers.get("hx-request") != "true":
            return False
        if request.method == "POST":
            return "console-validate" not in (request.post_data or "")
        return request.headers.get("hx-target") in ("console", "activity", "step")

    def submit(self, control: Locator) -> None:
        """Click a button or link and wait until its answer is on the page."""
        if self.js:
            with self.page.expect_response(self._answer):
                control.click()
            self.page.wait_for_function(HTMX_IDLE)
        else:
            with self.page.expect_navigation():
                control.click()

    # --- the page's regions ---------------------------------------------------------------------

    @property
    def status(self) -> Locator:
        return self.page.locator("#status")

    @property
    def console(self) -> Locator:
        return self.page.locator("#console")

    def expect_status(self, *texts: str) -> None:
        for text in texts:
            expect(self.status).to_contain_text(text)

    def button(self, name: str | re.Pattern[str], within: Locator | None = None) -> Locator:
        return (within or self.page).get_by_role("button", name=name, exact=isinstance(name, str))

    def press(self, name: str | re.Pattern[str], within: Locator | None = None) -> None:
        self.submit(self.button(name, within))

    # --- the console's items: one open at a time, by their toggle link ---------------------------

    def _toggle(self, name: str) -> Locator:
        """An item's toggle link (relative): its accessible name starts with the item's name."""
        return self.page.get_by_role("link", name=re.compile(rf"^{re.escape(name)}(?![\w-])"))

    def toggle(self, name: str) -> Locator:
        return self.console.locator(".con-item__head").locator(self._toggle(name))

    def item(self, name: str) -> Locator:
        return self.console.locator(".con-item").filter(
            has=self.page.locator(".con-item__head").filter(has=self._toggle(name))
        )

    def open(self, name: str) -> Locator:
        """Open a console item (a user, role, policy, instance, bucket, …); returns it."""
        link = self.toggle(name)
        if link.get_attribute("aria-expanded") != "true":
            self.submit(link)
        expect(self.toggle(name)).to_have_attribute("aria-expanded", "true")
        return self.item(name)

    def details(self, within: Locator, summary: str | re.Pattern[str]) -> Locator:
        """Open a <details> by its summary (a native disclosure: no request)."""
        box = (
            within.locator("details")
            .filter(has=self.page.locator("summary", has_text=summary))
            .first
        )
        if box.get_attribute("open") is None:
            box.locator("summary").first.click()
        expect(box).to_have_attribute("open", "")
        return box

    # --- the console's own buttons ---------------------------------------------------------------

    def run_fleet(self, ticks: int = 1) -> None:
        words = f"{ticks} tick{'s' if ticks != 1 else ''}"
        self.press(f"Run the fleet {words}")
        self.expect_status(f"Ran the fleet {words}")

    def advance(self, words: str) -> None:
        self.press(f"Advance the clock {words}")
        self.expect_status(f"The clock moved on {words}")

    def save_policy(self, within: Locator, label: str, document: str, save: str) -> None:
        """Type a policy into the editor labelled `label` and press its save button."""
        within.get_by_label(label, exact=True).fill(document)
        self.press(save, within)

    # --- the terminal ---------------------------------------------------------------------------

    def sh(self, place: str, command: str) -> str:
        """Run `command` in the terminal at `place` ("CloudShell", "web-1", "your laptop", …);
        returns what it printed."""
        return run_in_terminal(self.page, place, command, js=self.js)

    def quiet(self, place: str, command: str) -> None:
        """Run a command that prints nothing when it works (export, a heredoc, most writes);
        an error would print."""
        printed = self.sh(place, command)
        assert printed == "", f"{command!r} in {place} printed:\n{printed}"

    # --- the step: hints, Check my work, questions ------------------------------------------------

    def at_step(self, number: int) -> None:
        title = self.steps[number - 1]["title"]
        heading = self.page.locator("#current-step-heading")
        expect(heading).to_have_text(f"Step {number} of {len(self.steps)}: {title}")
        expect(self.page.locator("#progress")).to_contain_text(
            f"Step {number} of {len(self.steps)}"
        )

    def hint(self, text: str) -> None:
        shown = self.page.locator("#hints li").count()
        self.submit(self.page.get_by_role("button", name=re.compile(r"^Show a hint")))
        expect(self.page.locator(f"#hint-{shown + 1}")).to_contain_text(text)
        self.expect_status(f"Hint {shown + 1} of")

    def check_fails(self) -> None:
        self.press("Check my work")
        expect(self.page.locator("#check-result")).to_contain_text("Last check: not passed yet")
        self.expect_status("Not yet:")

    def check_passes(self, number: int) -> None:
        """Check my work passes step `number`: its explanation shows, and the next step."""
        title = self.steps[number - 1]["title"]
        self.press("Check my work")
        failed = self.page.locator("#check-result")
        if failed.count():
            raise AssertionError(f"step {number} did not pass:\n{failed.inner_text()}")
        expect(self.page.locator("#passed h3")).to_contain_text(f"Step {number} passed: {title}")
        self.expect_status(f"Step {number} passed: {title}.")
        first_word = re.findall(r"\w+", self.steps[number - 1]["explanation"])[0]
        expect(self.page.locator("#passed .md")).to_contain_text(first_word)
        if number < len(self.steps):
            self.at_step(number + 1)
        else:
            complete = self.page.locator("#complete")
            heading = "All steps passed: the questions are left"  # complete once answered
            expect(complete.get_by_role("heading", name=heading)).to_be_visible()
            expect(self.page.locator("#progress")).to_contain_text(heading)  # not Completed yet

    def back_to_catalogue(self, title: str, progress: str) -> None:
        """Choose another scenario: the catalogue's card for this one shows the progress."""
        link = self.page.get_by_role("link", name="Choose another scenario")
        with self.page.expect_navigation():
            link.click()
        card = self.page.get_by_role("article", name=title, exact=True)
        expect(card.locator(".card__progress")).to_contain_text(progress)

    def answer_questions(self, questions: list[dict[str, Any]], *, wrong: int = 0) -> None:
        """Answer every question, with its right option but for question `wrong` (from 1; 0:
        none), found by its words whatever order the page shows the options in; the review
        then gives the score, and the scenario is complete."""
        for number, question in enumerate(questions, start=1):
            box = self.page.locator(f"#question-{number}")
            expect(box.get_by_role("group")).to_contain_text(" ".join(question["prompt"].split()))
            correct = number != wrong
            chosen = next(option for option in question["options"] if option["correct"] is correct)  # fmt: skip
            box.get_by_label(" ".join(chosen["text"].split()), exact=True).check()
            self.press("Submit answer", box)
            verdict = "Right: you answered" if correct else "Not quite: you answered"
            expect(box.locator(".question__verdict").first).to_contain_text(verdict)
            self.expect_status(f"Question {number}: right." if correct else f"Question {number}: not quite.")  # fmt: skip
        count = len(questions)
        right = count - (1 if wrong else 0)
        self.expect_status(f"Quiz finished: {right} of {count} right.")
        expect(self.page.locator("#quiz-review")).to_contain_text(
            f"Your score: {right} of {count} right"
        )
        complete = self.page.locator("#complete")
        expect(complete.get_by_role("heading", name="Scenario complete")).to_be_visible()
        expect(complete).to_contain_text(f"You answered {right} of {count} questions right")
        steps = len(self.steps)
        done = "the 1 step" if steps == 1 else f"all {steps} steps"
        expect(self.page.locator("#progress")).to_contain_text(f"Completed: {done} done")

    def retry_questions(self, first_right: int, count: int) -> None:
        """After the review, a new try: the answers cleared, the first score kept."""
        self.press("Try the questions again")
        self.expect_status(f"Your first score, {first_right} of {count}, is kept.")
        expect(self.page.locator("#questions-heading")).to_contain_text("try 2")
        expect(self.page.get_by_role("button", name="Submit answer")).to_have_count(count)


def stored_attempt(page: Page, slug: str) -> Any:
    """The attempt at `slug` of whoever the browser is (its class member, else its self-paced
    learner), stored as the browser's first change would store it: a page view stores nothing."""
    from django.http import HttpRequest

    from lessons.learners import LEARNER_COOKIE, MEMBER_COOKIE, SALTS
    from lessons.models import Attempt, Membership, Owner, catalogue

    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    request = HttpRequest()
    request.COOKIES.update(cookies)

    def key(name: str) -> str | None:
        return request.get_signed_cookie(name, default=None, salt=SALTS[name]) if name in cookies else None  # fmt: skip

    member = key(MEMBER_COOKIE)
    if member is not None:
        owner = Owner(membership=Membership.objects.get(key=member))
    else:
        learner = key(LEARNER_COOKIE)
        assert learner, "the browser has opened a workspace"
        owner = Owner(learner_key=learner)
    return Attempt.start(owner, catalogue()[slug])


# --- the terminal: a shell in a place, commands typed as at a keyboard ---------------------------


def open_shell(page: Page, place: str, *, js: bool = True) -> None:
    """Where you are: choose the place whose label is `place`, or starts with `place (` (an
    instance, "web-1 (i-…)"), and open a shell there, unless the terminal is there already."""
    terminal = page.locator("#terminal")
    labels = terminal.locator("#terminal-place option").all_inner_texts()
    label = next((text for text in labels if text == place or text.startswith(f"{place} (")), None)
    assert label is not None, f"no place {place!r} among {labels}"
    lines = page.locator("#terminal-lines")
    if lines.get_attribute("aria-label") == f"Terminal output in {label}":
        return
    terminal.get_by_label("Where you are").select_option(label=label)
    button = terminal.get_by_role("button", name="Open a shell there")
    if js:
        with page.expect_response(lambda r: r.request.headers.get("hx-target") == "terminal"):
            button.click()
        page.wait_for_function(HTMX_IDLE)
    else:
        with page.expect_navigation():
            button.click()
    expect(lines).to_have_attribute("aria-label", f"Terminal output in {label}")


def run_in_terminal(page: Page, place: str, command: str, *, js: bool = True) -> str:
    """Type `command` (one line, or a heredoc ending in its delimiter line) at the shell in
    `place` and run it: Enter with JavaScript, the Run button without. Returns what the
    command printed: the log's lines after the prompt and the command echoed."""
    open_shell(page, place, js=js)
    prompt = page.locator("#terminal-prompt").inner_text()
    box = page.get_by_label("Command", exact=True)
    box.fill(command)
    if js:
        with page.expect_response(lambda r: "terminal-run" in (r.request.post_data or "")):
            box.press("Control+End")
            box.press("Enter")
        page.wait_for_function(HTMX_IDLE)
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Run", exact=True).click()
    expect(box).to_have_value("")
    lines = page.locator("#terminal-lines").inner_text().split("\n")
    typed = command.split("\n")
    echo = prompt.strip() + " " + typed[0]
    starts = [n for n, line in enumerate(lines) if line.strip() == echo.strip()]
    assert starts, f"{echo!r} is not in the terminal's log"
    return "\n".join(lines[starts[-1] + len(typed) :]).strip("\n")
