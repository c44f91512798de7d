"""`python manage.py prune_learners [--days N] [--dry-run]`: forget self-paced work left alone.

Anyone may start a scenario without signing up, and each start stores a learner and a world
(up to 200 KB). This removes every self-paced attempt nobody has changed for N days
(settings.ROLECALL_PRUNE_AFTER_DAYS, 30 by default), then every self-paced learner left with
no attempt and older than that. Work in a class is never removed here: it belongs to the
class's instructor. Run it daily from cron, e.g.

    15 3 * * *  cd /srv/rolecall && .venv/bin/python manage.py prune_learners
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from lessons.models import Attempt, Learner, Membership


class Command(BaseCommand):
    help = "Remove self-paced attempts nobody has changed for a while (class work is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: settings.ROLECALL_PRUNE_AFTER_DAYS, "
            f"{settings.ROLECALL_PRUNE_AFTER_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be removed; remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = (
            options["days"] if options["days"] is not None else settings.ROLECALL_PRUNE_AFTER_DAYS
        )
        if days < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        attempts = Attempt.objects.untouched_since(cutoff)
        # A learner from before migration 0007 that a membership still names is how that
        # browser finds its class again (lessons.learners): kept until it has.
        legacy = Membership.objects.filter(legacy_learner__isnull=False).values("legacy_learner")
        left_alone = Learner.objects.filter(created__lt=cutoff).exclude(pk__in=legacy)
        if options["dry_run"]:
            recent = left_alone.filter(attempts__updated__gte=cutoff).values("pk")
            self.stdout.write(
                f"Would remove {attempts.count()} self-paced attempts and "
                f"{left_alone.exclude(pk__in=recent).count()} learners, untouched for {days} days."
            )
            return
        with transaction.atomic():
            _, by_model = attempts.delete()
            removed_attempts = by_model.get("lessons.Attempt", 0)
            _, by_model = left_alone.filter(attempts__isnull=True).delete()
            removed_learners = by_model.get("lessons.Learner", 0)
        self.stdout.write(
            f"Removed {removed_attempts} self-paced attempts and {removed_learners} learners "
            f"untouched for {days} days."
        )
