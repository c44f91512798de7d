"""Every action a workspace POST can name, in one table, and `perform`, which runs one.

The step's actions (check, hint, answer, a new try at the questions, reset) are here; the console's forms are in
lessons.console.actions, the terminal's command in lessons.terminal. Each returns an `Outcome` (lessons.outcome): nothing an action does
with a bad input raises, and `AwsError` is answered in words in the one place below. What an
action needs of the attempt's world is said beside it, so the view reads the world with the
row only when the action needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lessons.console.actions import ACTIONS as CONSOLE_ACTIONS
from lessons.console.actions import console_action
from lessons.models import WorldTooLarge
from lessons.outcome import Outcome, Region, Status
from lessons.terminal import run as terminal_run
from simulator import AwsError

if TYPE_CHECKING:
    from django.http import QueryDict

    from lessons.models import Attempt

__all__ = ["ACTIONS", "Action", "needs_world", "perform"]

MAX_SHOWN_INPUT = 40  # characters of a bad value quoted back in a message


@dataclass(frozen=True, slots=True)
class Action:
    """An action: what runs it, and whether it reads the attempt's world ("none": a hint or
    an answer changes progress only, and the row is read without its 200 KB of JSON)."""

    run: Callable[[Attempt, QueryDict | Mapping[str, str]], Outcome]
    world: Literal["read", "none"]


# --- The step: check, hint, answer, reset ------------------------------------------------------


def _no_step(attempt: Attempt) -> Status:
    if attempt.definition.sandbox:
        return Status("info", "The sandbox has no steps to check: act freely in the console.")
    return Status("info", "Every step is done: the questions below are all that is left.")


def check(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    step, number = attempt.step, attempt.step_index + 1
    if step is None:
        return Outcome(_no_step(attempt), Region.STEP, "step")
    result = attempt.run_check()
    if result is None:  # another tab finished the scenario meanwhile
        return Outcome(_no_step(attempt), Region.STEP, "step")
    if not result.passed:
        failed = sum(not item.passed for item in result.items)
        message = f"Not yet: {failed} of {len(result.items)} checks of step {number} did not pass. The step shows what was checked and what happened."  # fmt: skip
        return Outcome(Status("failed", message), Region.STEP, "check-result")
    ahead = attempt.step
    following = f"Next: step {number + 1}, {ahead.title}." if ahead else "All steps are done: answer the questions to finish."  # fmt: skip
    status = Status("done", f"Step {number} passed: {step.title}. {following}")
    return Outcome(status, Region.STEP, "passed", scroll_to="passed")


def hint(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    step = attempt.step
    if step is None:
        return Outcome(_no_step(attempt), Region.STEP, "step")
    if attempt.hints.get(step.id, 0) >= len(step.hints):
        message = "This step has no hints." if not step.hints else "Every hint of this step is already shown."  # fmt: skip
        return Outcome(Status("info", message), Region.STEP, "hints")
    shown = attempt.reveal_hint()
    return Outcome(Status("info", f"Hint {shown} of {len(step.hints)} is shown under the step."), Region.STEP, f"hint-{shown}")  # fmt: skip


def answer(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    questions = attempt.definition.questions
    question_id = str(data.get("question", ""))
    number = next((n for n, q in enumerate(questions, start=1) if q.id == question_id), None)
    if number is None:
        message = "That question is not part of this scenario. Reload the page and answer from there."  # fmt: skip
        return Outcome(Status("problem", message), Region.STEP, "questions")
    question = questions[number - 1]
    anchor = f"question-{number}"
    if not attempt.finished:
        return Outcome(Status("problem", "The questions open once every step has passed."), Region.STEP, anchor)  # fmt: skip
    if question_id in attempt.answers:
        return Outcome(Status("info", f"You have already answered question {number} on this try."), Region.STEP, anchor)  # fmt: skip
    raw = str(data.get("option", ""))
    if not raw:
        return Outcome(Status("problem", f"Choose one of the answers to question {number} first."), Region.STEP, anchor)  # fmt: skip
    option = int(raw) if raw.isdigit() and len(raw) <= 3 else -1
    if not 0 <= option < len(question.options):
        message = f"That is not one of the answers to question {number}. Choose one of the options shown."  # fmt: skip
        return Outcome(Status("problem", message), Region.STEP, anchor)
    right = attempt.answer(question_id, option)
    if attempt.answers.get(question_id) != option:  # another tab answered it meanwhile
        return Outcome(Status("info", f"You have already answered question {number} on this try."), Region.STEP, anchor)  # fmt: skip
    verdict = f"Question {number}: right." if right else f"Question {number}: not quite. The right answer and why are shown."  # fmt: skip
    result = attempt.latest_result
    # The form is gone: the keyboard goes on from the verdict (or the review), not the page's top.
    if attempt.try_finished and result is not None and result.try_number == attempt.quiz_try:
        message = f"{verdict} Quiz finished: {result.score} of {result.total} right. Your answers are reviewed below."  # fmt: skip
        return Outcome(Status("done" if right else "failed", message), Region.STEP, "quiz-review", focus="quiz-review")  # fmt: skip
    return Outcome(Status("done" if right else "failed", verdict), Region.STEP, anchor, focus=anchor)  # fmt: skip


def retry(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    """A new try at the questions, after the review of a finished one."""
    if not attempt.definition.questions:
        return Outcome(Status("info", "This scenario has no questions."), Region.STEP, "step")
    if not attempt.finished:
        return Outcome(Status("problem", "The questions open once every step has passed."), Region.STEP, "questions")  # fmt: skip
    if not attempt.retry_quiz():
        message = "Answer every question first: a new try starts after the review of this one."
        return Outcome(Status("problem", message), Region.STEP, "questions")
    first = attempt.first_result
    kept = f" Your first score, {first.score} of {first.total}, is kept." if first else ""
    message = f"Try {attempt.quiz_try}: your answers are cleared and the options are in a new order.{kept}"  # fmt: skip
    return Outcome(Status("info", message), Region.STEP, "questions")


def reset(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    if data.get("confirm") != "yes":
        message = "Starting again clears your work on this scenario: confirm below."
        return Outcome(Status("info", message), Region.STATUS, "reset-confirm", query={"reset": "confirm"})  # fmt: skip
    attempt.reset()
    what = (
        "The sandbox is" if attempt.definition.sandbox else "You are at step 1 and the account is"
    )
    message = f"Started again. {what} back to how the scenario sets it up."
    return Outcome(Status("done", message), Region.WORKSPACE, "status", world_changed=True)


# --- The table ---------------------------------------------------------------------------------------

ACTIONS: dict[str, Action] = {
    "check": Action(check, "read"),
    "hint": Action(hint, "none"),
    "answer": Action(answer, "none"),
    "quiz-retry": Action(retry, "none"),
    "reset": Action(reset, "none"),
    **{name: Action(console_action(run), "read") for name, run in CONSOLE_ACTIONS.items()},
    "terminal-run": Action(terminal_run, "read"),
}


def needs_world(action: str) -> bool:
    """Whether the action named `action` reads the attempt's world."""
    found = ACTIONS.get(action)
    return found is not None and found.world != "none"


def perform(attempt: Attempt, data: QueryDict | Mapping[str, str]) -> Outcome:
    """Run the action `data["action"]` names on `attempt`. A name no page posts, and AWS
    refusing a call an action did not expect it to make, are answered in words."""
    name = str(data.get("action", ""))
    found = ACTIONS.get(name)
    if found is None:
        return Outcome(Status("problem", unknown_action(name)))
    try:
        return found.run(attempt, data)
    except AwsError as error:  # the world is saved with the event first (Attempt.apply)
        return Outcome(
            Status("failed", "AWS refused the request.", error.code, error.message),
            Region.CONSOLE,
            world_changed=True,
            show_again=True,
        )
    except WorldTooLarge as error:  # nothing was saved
        return Outcome(Status("problem", str(error)), show_again=True)


def unknown_action(name: str) -> str:
    """The words for a form that names no action of the page (a stale page, a made-up post)."""
    if not name:
        return "The form said nothing to do. Use the page's buttons, or reload the page."
    shown = name[:MAX_SHOWN_INPUT] + ("…" if len(name) > MAX_SHOWN_INPUT else "")
    return f"This page has no action called “{shown}”. Use the page's buttons, or reload the page."
