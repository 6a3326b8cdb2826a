"""Full-text index on case subject and description, on PostgreSQL only.

The expression is the one `tickets.selectors.case_search` filters by, so the planner uses
it. SQLite has no such index type; there the search falls back to substring matching.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS case_fulltext_idx ON tickets_case "
    "USING gin (to_tsvector('simple', subject || ' ' || description))"
)
DROP = "DROP INDEX IF EXISTS case_fulltext_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
