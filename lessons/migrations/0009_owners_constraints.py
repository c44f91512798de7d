"""An attempt has exactly one owner; names are unique in a class as a reader sees them
(part 3 of 3)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lessons", "0008_owners_data")]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="key",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("classroom", "name_key"), name="unique_name_in_class"
            ),
        ),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("learner__isnull", False), ("membership__isnull", True)),
                    models.Q(("learner__isnull", True), ("membership__isnull", False)),
                    _connector="OR",
                ),
                name="attempt_has_one_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                fields=("learner", "scenario"), name="one_self_paced_attempt_per_scenario"
            ),
        ),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                fields=("membership", "scenario"), name="one_class_attempt_per_scenario"
            ),
        ),
        migrations.RemoveField(model_name="learner", name="display_name"),
    ]
