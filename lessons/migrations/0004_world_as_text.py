from django.db import migrations

import lessons.models


def compress_worlds_with_lz4(apps, schema_editor):  # noqa: ANN001, ARG001 -- migration API
    """On PostgreSQL 14+ built with lz4 (Debian's is), compress worlds with LZ4 rather than
    pglz: each action rewrites a ~150 KB world, and pglz is several times slower. Elsewhere,
    nothing."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
        if row and row[0]:
            table = schema_editor.quote_name("lessons_attempt")
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN world SET COMPRESSION lz4")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0003_attempt_revision"),
    ]

    operations = [
        # JSON kept as text (jsonb on PostgreSQL before): see DocumentField.
        migrations.AlterField(
            model_name="attempt",
            name="world",
            field=lessons.models.DocumentField(),
        ),
        migrations.RunPython(compress_worlds_with_lz4, migrations.RunPython.noop, elidable=True),
    ]
