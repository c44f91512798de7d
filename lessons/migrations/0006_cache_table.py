"""The cache's table (settings.CACHES): the join rate limit counts wrong codes in it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps: object, schema_editor: object) -> None:
    # createcachetable skips a table that exists, so this is safe to run again.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)  # type: ignore[attr-defined]


class Migration(migrations.Migration):
    dependencies = [("lessons", "0005_attempt_last_check")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
