"""Full-text search of message text (docs/architecture.md, "Search").

SQLite: an FTS5 index kept by triggers (migration 0002). PostgreSQL: a GIN index on the column
`search_vector`, which PostgreSQL generates as to_tsvector('simple', body) and stores (migration
0007), so a search never computes it per message. Both are queried the same way: every word of
the query is reduced to its Italian or English stem and matched as a prefix, so "ordini" finds
"ordine" and "refunded" finds "refund", and accents are folded on SQLite.
"""

import re

import snowballstemmer
from django.db import connection

_STEMMERS = (snowballstemmer.stemmer("italian"), snowballstemmer.stemmer("english"))
_WORD = re.compile(r"\w+", re.UNICODE)
_NON_WORD = re.compile(r"\W", re.UNICODE)
# The most words of a query we look up: more narrows nothing and costs a join each.
MAX_TERMS = 8

SQLITE_FTS_TABLE = "conversations_message_fts"


def search_terms(query: str) -> list[str]:
    """The prefixes to match: the shortest Italian/English stem that still starts the word."""
    terms = []
    for word in _WORD.findall(query.lower())[:MAX_TERMS]:
        stems = [s.stemWord(word) for s in _STEMMERS]
        prefixes = [s for s in stems if word.startswith(s) and len(s) >= 3]
        terms.append(min(prefixes, key=len) if prefixes else word)
    return terms


def case_ids_matching_text(query: str, limit: int = 500) -> list[int]:
    """Ids of the cases whose messages contain every word of `query`: at most `limit`, those with
    the newest matching messages first.

    Reads the newest 4 x limit matching messages and keeps their cases in that order: a word that
    matches half the desk costs as much as a rare one.
    """
    terms = search_terms(query)
    if not terms:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            match = " AND ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
            cursor.execute(
                f"SELECT m.case_id FROM (SELECT rowid FROM {SQLITE_FTS_TABLE} "
                f"WHERE {SQLITE_FTS_TABLE} MATCH %s ORDER BY rowid DESC LIMIT %s) f "
                "JOIN conversations_message m ON m.id = f.rowid "
                "GROUP BY m.case_id ORDER BY max(f.rowid) DESC LIMIT %s",
                [match, limit * 4, limit],
            )
        else:
            tsquery = " & ".join(f"{word}:*" for word in (_NON_WORD.sub("", t) for t in terms) if word)
            cursor.execute(
                "SELECT case_id FROM (SELECT id, case_id FROM conversations_message "
                "WHERE search_vector @@ to_tsquery('simple', %s) "
                "ORDER BY id DESC LIMIT %s) m "
                "GROUP BY case_id ORDER BY max(id) DESC LIMIT %s",
                [tsquery, limit * 4, limit],
            )
        return [row[0] for row in cursor.fetchall()]
