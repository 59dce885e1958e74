"""The full-text index of message text (see premura/conversations/search.py)."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE conversations_message_fts USING fts5("
    "body, content='conversations_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER conversations_message_fts_ai AFTER INSERT ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER conversations_message_fts_ad AFTER DELETE ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(conversations_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER conversations_message_fts_au AFTER UPDATE OF body ON conversations_message BEGIN "
    "INSERT INTO conversations_message_fts(conversations_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO conversations_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO conversations_message_fts(conversations_message_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS conversations_message_fts_au",
    "DROP TRIGGER IF EXISTS conversations_message_fts_ad",
    "DROP TRIGGER IF EXISTS conversations_message_fts_ai",
    "DROP TABLE IF EXISTS conversations_message_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS message_body_search_idx ON conversations_message "
    "USING gin (to_tsvector('simple', body))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS message_body_search_idx"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
