"""PostgreSQL: message search reads a stored tsvector instead of computing one per row.

The GIN index of 0002 was on the expression `to_tsvector('simple', body)`. A search for a common
word walks messages newest first until it has enough matches, and the expression made it compute
to_tsvector for every message it looked at: about 240 ms for "rimborso" at 100,000 cases
(benchmarks/inbox_scale.py), whatever the plan. A generated column computes it once, at write
time, and the index is on that column: 10 ms. The column is not a model field: PostgreSQL keeps
it, search.py queries it. SQLite's full-text index (FTS5) is untouched.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "ALTER TABLE conversations_message ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "DROP INDEX IF EXISTS message_body_search_idx",
    "CREATE INDEX message_body_search_idx ON conversations_message USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS message_body_search_idx",
    "ALTER TABLE conversations_message DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX message_body_search_idx ON conversations_message USING gin (to_tsvector('simple', body))",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("conversations", "0006_case_reason_and_message_authorship")]

    operations = [migrations.RunPython(run(POSTGRES_FORWARD), run(POSTGRES_BACKWARD))]
