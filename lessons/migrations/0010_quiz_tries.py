"""The questions become a quiz with tries: the current try's number and every finished try's
score (lessons.quiz).

Answers given before this migration were final, one try: they are the first try. An attempt
(or an earlier run of it, kept in its history) with every question of its scenario answered has
finished that try, and its score is kept as the first; one with some answered is still in its
first try. Answers stay as they were, indexes of options in the scenario file. An attempt at a
scenario whose file has gone keeps its answers and gets no score.
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations, models

BATCH = 500


def _scenarios() -> dict[str, object]:
    from lessons.scenario import ScenarioError, load_scenario

    found: dict[str, object] = {}
    for path in sorted(Path(settings.ROLECALL_SCENARIO_DIR).glob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except ScenarioError:
            continue  # a broken file: its attempts keep their answers, with no score
        found[scenario.slug] = scenario
    return found


def _first_try(questions, answers, finished):  # type: ignore[no-untyped-def]
    """The finished first try of `answers`, or None when a question is unanswered."""
    from lessons import quiz

    if not questions or not isinstance(answers, dict) or quiz.unanswered(questions, answers):
        return None
    return {
        "try": 1,
        "score": quiz.score(questions, answers),
        "total": len(questions),
        "answers": dict(answers),
        "finished": finished,
    }


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Attempt = apps.get_model("lessons", "Attempt")
    known = _scenarios()
    changed = []
    rows = Attempt.objects.only("pk", "scenario", "answers", "history", "updated")
    for attempt in rows.order_by("pk").iterator(chunk_size=BATCH):
        scenario = known.get(attempt.scenario)
        if scenario is None:
            continue
        questions = scenario.questions  # type: ignore[attr-defined]
        first = _first_try(questions, attempt.answers, attempt.updated.isoformat())
        history = []
        for run in attempt.history or []:
            earlier = _first_try(questions, run.get("answers"), run.get("reset", ""))
            history.append({**run, "quiz_try": 1, "quiz_results": [earlier] if earlier else []})
        if first is None and history == (attempt.history or []):
            continue
        attempt.quiz_results = [first] if first else []
        attempt.history = history
        changed.append(attempt)
        if len(changed) >= BATCH:
            Attempt.objects.bulk_update(changed, ["quiz_results", "history"])
            changed = []
    Attempt.objects.bulk_update(changed, ["quiz_results", "history"])


class Migration(migrations.Migration):
    dependencies = [("lessons", "0009_owners_constraints")]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="quiz_try",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="attempt",
            name="quiz_results",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
