"""The indexes the database has, as :class:`IndexDefinition` lists.

On PostgreSQL one catalog query covers every table asked for (the number of catalog
queries does not grow with the number of tables); on SQLite, ``sqlite_master`` and
PRAGMAs. Expression keys and predicates are :func:`~perfkit.schema.sql_text.normalised`,
collations and operator classes are kept only when they are not the column's default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.exceptions import PerfkitError
from perfkit.schema.definitions import IndexDefinition, KeyPart
from perfkit.schema.sql_text import normalised

POSTGRES_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indisvalid,
       ix.indisready AND ix.indislive, am.amname, ix.indnkeyatts,
       coalesce(pg_get_expr(ix.indpred, ix.indrelid, true), ''),
       pg_relation_size(i.oid), coalesce(con.contype, ''), coalesce(s.idx_scan, 0),
       ARRAY(
         SELECT coalesce(a.attname, pg_get_indexdef(ix.indexrelid, k.n::int, true))
           || '|' || coalesce((ix.indoption[k.n - 1] & 1) = 1, false)::text
           || '|' || coalesce(CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname END, '')
           || '|' || coalesce(CASE WHEN co.collname = 'default' OR co.oid = a.attcollation
                                   THEN '' ELSE co.collname END, '')
           || '|' || (a.attname IS NULL)::text
         FROM generate_subscripts(ix.indkey, 1) WITH ORDINALITY AS k(position, n)
         LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.position]
              AND ix.indkey[k.position] <> 0
         LEFT JOIN pg_opclass oc ON oc.oid = ix.indclass[k.position]
         LEFT JOIN pg_collation co ON co.oid = ix.indcollation[k.position]
         ORDER BY k.n
       ),
       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.oid)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.oid
WHERE n.nspname = ANY(current_schemas(false)) AND t.relname = ANY(%s)
ORDER BY t.relname, i.relname
"""


class UnsupportedDatabase(PerfkitError):
    """perfkit reads indexes and plans on PostgreSQL and SQLite only."""


def present_indexes(
    connection: BaseDatabaseWrapper, tables: Sequence[str]
) -> list[IndexDefinition]:
    """The indexes of ``tables`` in ``connection``'s database."""
    if connection.vendor == "postgresql":
        return _postgres_indexes(connection, tables)
    if connection.vendor == "sqlite":
        return _sqlite_indexes(connection, tables)
    raise UnsupportedDatabase(f"perfkit does not read the indexes of {connection.vendor} yet")


def relation_exists(connection: BaseDatabaseWrapper, name: str) -> bool:
    """Whether a table, index or other relation is named ``name`` where a new index would
    go (index names share one namespace per schema on PostgreSQL, per database on SQLite)."""
    queries = {
        "postgresql": "SELECT 1 FROM pg_class WHERE relname = %s "
        "AND relnamespace = current_schema()::regnamespace",
        "sqlite": "SELECT 1 FROM sqlite_master WHERE name = %s",
    }
    query = queries.get(connection.vendor)
    if query is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(query, [name])
        return cursor.fetchone() is not None


def _postgres_indexes(
    connection: BaseDatabaseWrapper, tables: Sequence[str]
) -> list[IndexDefinition]:
    with connection.cursor() as cursor:
        cursor.execute(POSTGRES_INDEXES, [list(tables)])
        rows = cursor.fetchall()
    found = []
    for (
        table,
        name,
        unique,
        primary,
        valid,
        ready,
        method,
        key_count,
        predicate,
        size,
        contype,
        scans,
        parts,
        building,
    ) in rows:
        keys = []
        for text in parts:
            column, descending, opclass, collation, is_expression = text.rsplit("|", 4)
            expression = is_expression == "true"
            keys.append(
                KeyPart(
                    normalised(column) if expression else column,
                    descending == "true",
                    opclass,
                    collation,
                    expression,
                )
            )
        found.append(
            IndexDefinition(
                table=table,
                name=name,
                keys=tuple(keys[:key_count]),
                include=tuple(part.column for part in keys[key_count:]),
                unique=unique,
                primary=primary,
                method=method,
                predicate=normalised(predicate) if predicate else "",
                valid=valid and ready,
                size_bytes=size,
                constraint=contype,
                scans=scans,
                building=building,
            )
        )
    return found


def _sqlite_indexes(
    connection: BaseDatabaseWrapper, tables: Sequence[str]
) -> list[IndexDefinition]:
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"PRAGMA table_info({quote(table)})")
            pk_columns = [
                row[1] for row in sorted(cursor.fetchall(), key=lambda row: row[5]) if row[5]
            ]
            if pk_columns:
                found.append(
                    IndexDefinition(
                        table,
                        f"{table}__pk",
                        tuple(KeyPart(c) for c in pk_columns),
                        unique=True,
                        primary=True,
                        constraint="p",
                    )
                )
            cursor.execute(f"PRAGMA index_list({quote(table)})")
            for _seq, name, unique, origin, partial in cursor.fetchall():
                if origin == "pk":
                    continue
                cursor.execute(f"PRAGMA index_xinfo({quote(name)})")
                parts = [row for row in cursor.fetchall() if row[5]]  # key columns only
                keys = tuple(
                    KeyPart(
                        column if column is not None else "(expression)",
                        bool(descending),
                        collation="" if collation == "BINARY" else collation,
                        expression=column is None,
                    )
                    for _rank, _cid, column, descending, collation, _key in parts
                )
                predicate = ""
                if partial or any(part.expression for part in keys):
                    cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
                    sql = cursor.fetchone()[0] or ""
                    predicate = normalised(sql.partition(" WHERE ")[2]) if partial else ""
                    keys = _with_expression_texts(keys, sql)
                found.append(
                    IndexDefinition(
                        table,
                        name,
                        keys,
                        unique=bool(unique),
                        predicate=predicate,
                        constraint="u" if origin == "u" else "",
                    )
                )
    return found


def _key_texts(sql: str) -> list[str]:
    """The key list of a ``CREATE INDEX … ON table (…)`` statement, split at top-level
    commas."""
    start = sql.find("(", sql.upper().find(" ON "))
    parts, depth, current = [], 0, ""
    for char in sql[start + 1 :]:
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [" ".join(part.split()) for part in parts]


def _with_expression_texts(keys: tuple[KeyPart, ...], sql: str) -> tuple[KeyPart, ...]:
    """SQLite reports expression keys without their text: take it from the statement
    (without the direction and collation, which the PRAGMA already gave)."""
    texts = _key_texts(sql)
    if len(texts) != len(keys):
        return keys
    named = []
    for part, text in zip(keys, texts, strict=True):
        if part.expression:
            words = text.split()
            while words and words[-1].upper() in ("ASC", "DESC"):
                words.pop()
            if len(words) > 2 and words[-2].upper() == "COLLATE":
                words = words[:-2]
            part = replace(part, column=normalised(" ".join(words)))
        named.append(part)
    return tuple(named)
