"""`python manage.py dryrun_scenario SLUG|PATH [--setup-only]`: the checks as a learner meets them.

For each step, in order, it runs the step's check where a learner who checks too early stands —
the world before that step's reference solution (setup and the earlier steps' solutions; with
`--setup-only`, setup alone) — and prints what they would see, item by item (each probe, then
each condition): what it says, passed or not, and what was found. Then it runs the step's
solution and prints the check again, as a learner who did the step sees it. So an author reads
the words a learner gets, before and after, and sees a step that passes too early or cannot
pass at all. It reads files and runs worlds in memory only: no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lessons.scenario.checks import CheckResult, check_step
from lessons.scenario.loader import read_scenario, scenario_files
from lessons.scenario.model import Scenario, Step
from lessons.scenario.run import build_world, run_actions
from simulator import AwsError, World


@dataclass(frozen=True, slots=True)
class StepRun:
    step: Step
    too_early: CheckResult  # before the step's solution
    after: CheckResult | None  # after it; None when the solution failed
    solution_error: str = ""


def dry_run(scenario: Scenario, *, setup_only: bool = False) -> Iterator[StepRun]:
    """Each step's check before and after its reference solution, in order. The solutions
    run on top of each other, as a learner's world evolves; `setup_only` checks each step too
    early on the world setup built. Stops after a solution that fails. Raises what a failing
    setup raises (AwsError, KeyError, ValueError)."""
    world, variables = build_world(scenario)
    pristine = json.dumps(world.to_dict()) if setup_only else None
    pristine_variables = dict(variables)
    for step in scenario.steps:
        if pristine is not None:
            early_world = World.from_dict(json.loads(pristine))
            too_early = check_step(early_world, pristine_variables, step, scratch=True)
        else:
            too_early = check_step(world, variables, step)
        try:
            run_actions(world, variables, scenario.solution.get(step.id, ()))
        except (AwsError, KeyError, ValueError) as error:
            yield StepRun(step, too_early, None, str(error))
            return
        yield StepRun(step, too_early, check_step(world, variables, step))


def _find(target: str) -> Path:
    """A scenario file: a path, or the app's scenario whose slug (or file name) is `target`."""
    path = Path(target)
    if path.is_file():
        return path
    folder = Path(settings.ROLECALL_SCENARIO_DIR)
    files = scenario_files(folder)
    for file in files:
        if file.stem == target:
            return file
    for file in files:
        scenario, _ = read_scenario(file)
        if scenario is not None and scenario.slug == target:
            return file
    known = ", ".join(file.stem for file in files)
    raise CommandError(f"no scenario {target!r} in {folder} (there are: {known})")


class Command(BaseCommand):
    help = "Run each step's check before and after its reference solution, as a learner sees it."
    requires_system_checks: list[str] = []  # reads files only: no database, no URLs

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", metavar="SLUG|PATH", help="a scenario's slug or file")
        parser.add_argument(
            "--setup-only",
            action="store_true",
            help="check each step too early on the world setup built, not after earlier steps",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = _find(str(options["scenario"]))
        scenario, problems = read_scenario(path)
        if scenario is None or problems:
            shown = "\n".join(str(problem) for problem in problems)
            raise CommandError(f"{path.name} has problems; run validate_scenarios:\n{shown}")
        setup_only = bool(options["setup_only"])
        where = "setup only" if setup_only else "before this step's solution"
        count = len(scenario.steps)
        self.stdout.write(f"{scenario.title} ({scenario.file}): {count} step{'s' * (count != 1)}")
        early = late = 0
        try:
            runs = list(dry_run(scenario, setup_only=setup_only))
        except (AwsError, KeyError, ValueError) as error:
            raise CommandError(f"{scenario.file}: setup fails: {error}") from None
        for number, run in enumerate(runs, start=1):
            step = run.step
            self.stdout.write("")
            self.stdout.write(f"Step {number} of {len(scenario.steps)}: {step.title} "
                              f"[{step.id}, line {step.line}]")  # fmt: skip
            self.stdout.write(f"  A learner who checks too early ({where}) sees:")
            self._items(run.too_early)
            if run.too_early.passed:
                early += 1
                self.stdout.write(self.style.WARNING(
                    "  ! This step passes before the learner does anything."))  # fmt: skip
            if run.after is None:
                late += 1
                self.stdout.write(self.style.ERROR(
                    f"  ! The reference solution fails: {run.solution_error}"))  # fmt: skip
                self.stdout.write("  The steps after it are not run.")
                break
            self.stdout.write("  After the reference solution, the learner sees:")
            self._items(run.after)
            if not run.after.passed:
                late += 1
                self.stdout.write(self.style.ERROR(
                    "  ! This step does not pass with its reference solution."))  # fmt: skip
        self.stdout.write("")
        summary = (f"{len(runs)} step{'s' if len(runs) != 1 else ''} run: {early} "
                   f"{'passes' if early == 1 else 'pass'} too early, {late} "
                   f"{'does' if late == 1 else 'do'} not pass with {'its' if late == 1 else 'their'} "
                   "solution")  # fmt: skip
        style = self.style.SUCCESS if not early and not late else self.style.WARNING
        self.stdout.write(style(summary))

    def _items(self, result: CheckResult) -> None:
        for item in result.items:
            mark = "passed" if item.passed else "FAILED"
            found = "" if item.detail == item.says else f" — {item.detail}"
            self.stdout.write(f"    [{mark}] {item.says}{found} (line {item.line})")
