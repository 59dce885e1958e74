"""Helpers for tests that race two database sessions on PostgreSQL."""

import threading

from django.db import connection


def wait_until_a_session_waits_for_a_lock(attempts: int = 3000) -> None:
    """Return once another session of this database is waiting for a lock (the second of two
    racing threads reached the lock the first holds), or after `attempts` looks 10 ms apart."""
    with connection.cursor() as cursor:
        for _ in range(attempts):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)
