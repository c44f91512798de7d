"""Move each attempt to its owner (part 2 of 3), losing nothing.

- Every membership gets a key of its own (its browser's cookie holds it from now on) and a
  name key (lessons.names): where two names of one class now count as the same (say "Sam" and
  "Ѕam", Cyrillic), the later one's key gets a number, and both display names stay as they were.
- An attempt at a scenario of a class its learner joined goes to that membership. A learner who
  joined several classes with that scenario shared one attempt among them: each membership gets
  its own copy, so no class's results lose anything. Attempts at other scenarios stay the
  learner's own (self-paced).
- Each attempt keeps the seed its world was built from (its learner's id), so a reset rebuilds
  the same account.
"""

import secrets

from django.db import migrations
from django.db.models import F

from lessons.names import name_key


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Classroom = apps.get_model("lessons", "Classroom")
    Membership = apps.get_model("lessons", "Membership")
    Attempt = apps.get_model("lessons", "Attempt")

    Attempt.objects.update(seed=F("learner_id"))

    scenarios_of = dict(Classroom.objects.values_list("pk", "scenarios"))
    by_learner: dict[int, list[tuple[int, list[str]]]] = {}
    for classroom_id in scenarios_of:
        taken: set[str] = set()
        members = Membership.objects.filter(classroom_id=classroom_id).order_by("joined", "pk")
        for member in members:
            key = name_key(member.display_name)
            number = 2
            while key in taken:  # the display name stays; its key takes a number
                key = name_key(f"{member.display_name} {number}")
                number += 1
            taken.add(key)
            member.name_key = key
            member.key = secrets.token_urlsafe(32)
            member.save(update_fields=["name_key", "key"])
            if member.legacy_learner_id is not None:
                by_learner.setdefault(member.legacy_learner_id, []).append(
                    (member.pk, scenarios_of[classroom_id] or [])
                )

    for attempt in Attempt.objects.filter(learner_id__in=list(by_learner)).order_by("pk"):
        owners = [
            member_id
            for member_id, slugs in by_learner[attempt.learner_id]
            if attempt.scenario in slugs
        ]
        if not owners:
            continue  # a scenario of no class of theirs: it stays self-paced
        first, *others = owners
        for member_id in others:
            copy = Attempt.objects.get(pk=attempt.pk)
            copy.pk = None
            copy.learner_id = None
            copy.membership_id = member_id
            copy.save()
        attempt.learner_id = None
        attempt.membership_id = first
        attempt.save(update_fields=["learner", "membership"])


class Migration(migrations.Migration):
    dependencies = [("lessons", "0007_owners")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
