"""`python manage.py validate_scenarios [PATH ...]`: every problem in every scenario file.

Prints one line per problem, `file:line: message`, then a summary ("5 scenarios, 0 problems").
Exits with status 1 when there is any problem. A PATH is a scenario file or a folder of them
(`*.yaml` and `*.yml`); without one, the app's own folder is checked:
settings.ROLECALL_SCENARIO_DIR (lessons/scenarios/). A file checked alone is still compared with
the other files of its folder, whose slugs it may not take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lessons import scenario as scenarios


class Command(BaseCommand):
    help = "Validate scenario files: structure, calls per botocore, and each step's solution."
    requires_system_checks: list[str] = []  # reads files only: no database, no URLs

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="scenario files or folders (default: settings.ROLECALL_SCENARIO_DIR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(path) for path in options["paths"]] or [settings.ROLECALL_SCENARIO_DIR]
        count = 0
        problems: list[scenarios.ScenarioError] = []
        for path in paths:
            if path.is_dir():
                count += len(scenarios.scenario_files(path))
                problems.extend(scenarios.problems_in(path))
            elif path.is_file():
                count += 1
                problems.extend(scenarios.validate_file(path))
            else:
                raise CommandError(f"{path}: no such file or folder")
        for problem in problems:
            self.stdout.write(str(problem))
        noun = "scenario" if count == 1 else "scenarios"
        summary = f"{count} {noun}, {len(problems)} problem" + ("" if len(problems) == 1 else "s")
        if problems:
            self.stdout.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
