"""An attempt belongs to a class membership or a self-paced learner (schema, part 1 of 3).

Before this, a browser's Learner was also its class member, and one attempt per scenario was
shared by every class that learner joined. 0008 moves the data; 0009 adds the constraints.
Three migrations, because PostgreSQL refuses to alter a table in the transaction that
updated its rows' foreign keys ("pending trigger events").
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lessons", "0006_cache_table")]

    operations = [
        migrations.RemoveConstraint(model_name="attempt", name="one_attempt_per_scenario"),
        migrations.RemoveConstraint(model_name="membership", name="one_membership_per_class"),
        migrations.RemoveConstraint(model_name="membership", name="unique_name_in_class"),
        migrations.AlterField(
            model_name="attempt",
            name="learner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempts",
                to="lessons.learner",
            ),
        ),
        migrations.AddField(
            model_name="attempt",
            name="membership",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempts",
                to="lessons.membership",
            ),
        ),
        migrations.AddField(
            model_name="attempt",
            name="seed",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="attempt",
            name="history",
            field=models.JSONField(default=list),
        ),
        migrations.RenameField(
            model_name="membership", old_name="learner", new_name="legacy_learner"
        ),
        migrations.AlterField(
            model_name="membership",
            name="legacy_learner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="lessons.learner",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="membership",
            name="name_key",
            field=models.CharField(default="", max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="membership",
            name="nudged",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
