"""Writing many rows of one model with plain SQL (decision 0026): what `bulk_create` and
`bulk_update` do, without compiling an expression per field and row.

The values are prepared for the database by the fields themselves (`get_db_prep_save`), so they
are stored exactly as the ORM would store them; a `Preparer` looks the fields up once per batch.
Nothing here sends signals or runs `save()`: these are for services that already keep their
invariants in memory and write the result (shipping's tracking batch, its scorecard, the delay
detector's fields).
"""

import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def in_batches(items: Iterable, size: int) -> Iterator[list]:
    """`items` in lists of `size` (the last one shorter): a whole history read a batch at a time,
    each batch's rows looked up with one list of ids that stays far from the databases' limits."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Preparer:
    """The database values of `fields` (names) of instances of `model`."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]):
        self.fields = [model._meta.get_field(name) for name in fields]
        self._steps = [(field.attname, field.get_db_prep_save) for field in self.fields]

    def values(self, instance: models.Model) -> list[Any]:
        # The connection itself, not django.db.connection: each of the proxy's attribute reads
        # inside the fields' preparation looks the connection up again.
        database = connections[DEFAULT_DB_ALIAS]
        return [prepare(getattr(instance, attname), database) for attname, prepare in self._steps]


@functools.cache
def preparer_for(model: type[models.Model], fields: tuple[str, ...]) -> Preparer:
    """The Preparer of `fields` of `model`, made once: for writes that run on every change."""
    return Preparer(model, fields)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """`model`'s table, quoted for hand-written SQL (decision 0036)."""
    return _quote(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    """The column of `model`'s field `name` (a relation's is its `_id` column), quoted."""
    return _quote(model._meta.get_field(name).column)


def _in(model: type[models.Model], where: dict[str, Collection[Any]]) -> tuple[str, list[Any]]:
    conditions, params = [], []
    for name, values in where.items():
        conditions.append(
            f"{_quote(model._meta.get_field(name).column)} IN ({', '.join(['%s'] * len(values))})"
        )
        params.extend(values)
    return " AND ".join(conditions), params


def fetch(
    model: type[models.Model],
    *,
    only: Sequence[str] = (),
    lock: bool = False,
    **where: Collection[Any],
) -> list[models.Model]:
    """The instances of `model` whose fields (by name or attname) each hold one of the values
    given, in primary-key order; `only` loads just those fields (and the key), the others
    deferred, as QuerySet.only; `lock` adds FOR UPDATE where the backend has it. The values are
    ints or texts, passed as they are: the ORM's __in prepares each value on its own, which at a
    few hundred costs more than the query. The instances are built as the ORM builds them."""
    if not all(where.values()):
        return []
    fields = [model._meta.pk, *(model._meta.get_field(name) for name in only)] if only else None
    columns = ", ".join(_quote(field.column) for field in fields or model._meta.concrete_fields)
    condition, params = _in(model, where)
    sql = (
        f"SELECT {columns} FROM {_quote(model._meta.db_table)} WHERE {condition} "
        f"ORDER BY {_quote(model._meta.pk.column)}"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return list(model.objects.raw(sql, params))


def values(
    model: type[models.Model], fields: Sequence[str], **where: Collection[Any]
) -> list[tuple[Any, ...]]:
    """The raw database values of `fields` of the rows `fetch` would find, unordered: for ints and
    texts, which need no conversion."""
    if not all(where.values()):
        return []
    columns = ", ".join(_quote(model._meta.get_field(name).column) for name in fields)
    condition, params = _in(model, where)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {_quote(model._meta.db_table)} WHERE {condition}", params)
        return cursor.fetchall()


def insert(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, returning: bool
) -> list[int]:
    """INSERT `rows` (database values of `fields`, by name or attname). With `returning`, the new
    primary keys in the order of the rows (multi-row INSERT … RETURNING, in chunks the backend accepts, as
    bulk_create does); without it, one statement executed once per row (executemany) and []."""
    if not rows:
        return []
    table, found, names, placeholder = _insert_parts(model, tuple(fields))
    with connection.cursor() as cursor:
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {placeholder}", rows)
            return []
        size = max(1, connection.ops.bulk_batch_size(found, rows))
        pk = _quote(model._meta.pk.column)
        ids: list[int] = []
        for first in range(0, len(rows), size):
            chunk = rows[first : first + size]
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {pk}",
                [value for row in chunk for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
        return ids


@functools.cache
def _insert_parts(
    model: type[models.Model], fields: tuple[str, ...]
) -> tuple[str, list[models.Field], str, str]:
    """The quoted table, the fields, their quoted column list and one row's placeholder: the same
    for every insert of these fields, and built once (the audit log inserts on every change)."""
    found = [model._meta.get_field(name) for name in fields]
    names = ", ".join(_quote(field.column) for field in found)
    return _quote(model._meta.db_table), found, names, "(" + ", ".join(["%s"] * len(found)) + ")"


def update(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE `fields` (by name or attname) of rows by primary key: each row is their database
    values followed by the key. One statement executed once per row (executemany): Django's bulk_update
    builds a CASE expression per field and row, which costs more to compile than to run."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(_update_sql(model, tuple(fields)), rows)


@functools.cache
def _update_sql(model: type[models.Model], fields: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_quote(model._meta.get_field(name).column)} = %s" for name in fields)
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s"


def save_fields(instances: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of each of `instances` (saved ones of one model), as save(update_fields=…)
    would, in one executemany; no signals."""
    if not instances:
        return
    preparer = preparer_for(type(instances[0]), tuple(fields))
    update(
        type(instances[0]),
        fields,
        (preparer.values(instance) + [instance.pk] for instance in instances),
    )


def add(
    model: type[models.Model], counters: Sequence[str], keys: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Add amounts to `counters` of the rows found by `keys` (fields that together are unique),
    `counter = counter + amount` as an F() update does: each row is the amounts followed by the
    database values of the keys. One statement executed once per row; a row that does not exist is
    not created."""
    rows = list(rows)
    if not rows:
        return
    columns = [_quote(model._meta.get_field(name).column) for name in counters]
    where = " AND ".join(f"{_quote(model._meta.get_field(name).column)} = %s" for name in keys)
    assignments = ", ".join(f"{column} = {column} + %s" for column in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {_quote(model._meta.db_table)} SET {assignments} WHERE {where}", rows)
