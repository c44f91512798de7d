"""A scenario's closing questions as a quiz: options shuffled per learner, tries and scores.

The options of a question are shown in an order of the learner's own, drawn from the attempt's
seed (its owner's), the question and the try: the same on every reload (nothing is stored to
keep it, so a page view stores nothing), another on the next try. An answer is stored as the
option's index in the scenario file, whatever order the page showed, so a page shown before a
new try, or before the order changed, still posts what the learner chose.

A try ends when every question is answered: its score is kept (`Result`), the review shows it,
and the learner may try again (the answers cleared, the options shuffled again). The first
score is what the instructor sees, with the number of tries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lessons.scenario.model import Question

__all__ = ["Result", "first_result", "option_order", "score", "tries", "unanswered"]


def option_order(seed: int, scenario: str, question: Question, try_number: int) -> list[int]:
    """The indexes of `question`'s options in the order this learner sees them on this try."""

    def key(index: int) -> bytes:
        text = f"{seed}/{scenario}/{question.id}/{try_number}/{index}"
        return hashlib.blake2b(text.encode(), digest_size=8, person=b"rolecall-quiz").digest()

    return sorted(range(len(question.options)), key=key)


def chosen(question: Question, answers: Mapping[str, Any]) -> int | None:
    """The index of the option chosen for `question`, or None (unanswered, or an index the
    scenario file no longer has)."""
    value = answers.get(question.id)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value < len(question.options)
    ):
        return value
    return None


def unanswered(questions: Sequence[Question], answers: Mapping[str, Any]) -> int:
    return sum(chosen(question, answers) is None for question in questions)


def score(questions: Sequence[Question], answers: Mapping[str, Any]) -> int:
    """How many of `questions` were answered right."""
    total = 0
    for question in questions:
        index = chosen(question, answers)
        total += index is not None and question.options[index].correct
    return total


@dataclass(frozen=True, slots=True)
class Result:
    """A finished try: its number, how many right of how many questions."""

    try_number: int
    score: int
    total: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result | None:
        try:
            return cls(int(data["try"]), int(data["score"]), int(data["total"]))
        except (KeyError, TypeError, ValueError):
            return None

    def __str__(self) -> str:
        return f"{self.score}/{self.total}"

    @property
    def words(self) -> str:
        return f"{self.score} of {self.total} right"


def results(stored: Sequence[Any]) -> list[Result]:
    found = [Result.from_dict(each) for each in stored if isinstance(each, Mapping)]
    return [each for each in found if each is not None]


def first_result(
    quiz_results: Sequence[Any], history: Sequence[Mapping[str, Any]] = ()
) -> Result | None:
    """The learner's first finished try, in an earlier run (before a reset) or this one."""
    for run in [*history, {"quiz_results": quiz_results}]:
        found = results(run.get("quiz_results") or ())
        if found:
            return found[0]
    return None


def tries(
    quiz_try: int,
    quiz_results: Sequence[Any],
    answers: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] = (),
) -> int:
    """How many tries the learner has started, in every run: a try counts once it has an
    answer or follows a finished one."""

    def run_tries(number: Any, finished: Any, given: Any) -> int:
        if not finished and not given:
            return 0
        return max(int(number) if isinstance(number, int) else 1, len(finished or ()))

    total = run_tries(quiz_try, quiz_results, answers)
    for run in history:
        total += run_tries(run.get("quiz_try", 1), run.get("quiz_results"), run.get("answers"))
    return total
