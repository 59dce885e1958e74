"""Huey's SQLite queue, with the durability the main database has (decision 0002).

Huey's SqliteStorage offers synchronous=FULL (the default: an fsync on every commit) or OFF (no
fsync at all; a power cut may corrupt the file). Every stored e-mail and every outgoing message
rings the worker through this queue, so FULL cost an fsync, about 3 ms here, per enqueue: more
than storing the message itself. NORMAL in WAL mode, as the main database runs, never corrupts
the file; a power cut may lose the last enqueues, and nothing depends on them: the rows they
announce are in the main database, and the periodic sweeps (inbound, outbox, SLA) pick them up.
"""

from huey import SqliteHuey
from huey.storage import SqliteStorage


class WalSqliteStorage(SqliteStorage):
    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


class WalSqliteHuey(SqliteHuey):
    storage_class = WalSqliteStorage
