from django.db import migrations

# The portfolio search (``q``) is ``UPPER(title) LIKE UPPER('%…%') OR
# UPPER(summary) LIKE …`` (Django's icontains). Trigram indexes on exactly
# those expressions let PostgreSQL read only the rows holding the words'
# trigrams instead of upper-casing every summary of the portfolio.
# PostgreSQL only; the embedded SQLite default scans. pg_trgm is a trusted
# extension (PostgreSQL 13 and later): the database's owner may create it.
INDEXES = {
    "usecase_title_trgm": "upper((title)::text)",
    "usecase_summary_trgm": "upper(summary)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON usecases_usecase "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("usecases", "0011_custom_fields"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
