"""The indexes the database has, as :class:`IndexDefinition` lists.

On PostgreSQL three catalog queries cover every table asked for (the number of catalog
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

# One row an index, its keys as the catalog's own vectors (as text: per-key joins, or
# arrays, cost more than the rest of the query at tens of thousands of indexes). The size
# is relpages' (as of the last VACUUM, ANALYZE or build): pg_relation_size() opens every
# index, seconds of work in a new session at tens of thousands of indexes. Column
# names come per table (POSTGRES_COLUMNS), operator classes and collations by OID
# (POSTGRES_NAMES): three queries whatever the number of tables.
POSTGRES_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indisvalid,
       ix.indisready AND ix.indislive, am.amname, ix.indnkeyatts,
       pg_get_expr(ix.indpred, ix.indrelid, true),
       i.relpages::bigint * current_setting('block_size')::bigint, con.contype,
       pg_stat_get_numscans(i.oid),
       ix.indkey::text, ix.indoption::text, ix.indclass::text, ix.indcollation::text,
       CASE WHEN ix.indexprs IS NOT NULL THEN ARRAY(
         SELECT pg_get_indexdef(ix.indexrelid, k, true)
         FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k
       ) END,
       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.oid)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.contype IN ('p', 'u', 'x')
WHERE n.nspname = ANY(current_schemas(false)) AND t.relname = ANY(%s)
"""
# Each table's columns by attnum (dropped ones keep their place), with their collations.
POSTGRES_COLUMNS = """
SELECT t.relname, array_agg(a.attname::text ORDER BY a.attnum),
       array_agg(a.attcollation ORDER BY a.attnum)
FROM pg_class t
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0
WHERE n.nspname = ANY(current_schemas(false)) AND t.relname = ANY(%s)
GROUP BY t.relname
"""
# Operator classes (with whether each is its type's default) and collations, by OID.
POSTGRES_NAMES = """
SELECT 'opclass', oid, opcname, opcdefault FROM pg_opclass
UNION ALL
SELECT 'collation', oid, collname, collname = 'default' FROM pg_collation
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
        if not rows:
            return []
        cursor.execute(POSTGRES_COLUMNS, [sorted({row[0] for row in rows})])
        columns = {table: (names, collations) for table, names, collations in cursor.fetchall()}
        cursor.execute(POSTGRES_NAMES)
        names = {(kind, oid): (name, default) for kind, oid, name, default in cursor.fetchall()}
    found = []
    vectors: dict[str, tuple[int, ...]] = {}  # the same few texts, tens of thousands of times

    def vector(text: str) -> tuple[int, ...]:
        parsed = vectors.get(text)
        if parsed is None:
            parsed = vectors[text] = tuple(int(number) for number in text.split())
        return parsed

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
        attnums_text,
        options_text,
        opclasses_text,
        collations_text,
        expressions,
        building,
    ) in rows:
        column_names, column_collations = columns[table]
        attnums, options = vector(attnums_text), vector(options_text)
        opclasses, collations = vector(opclasses_text), vector(collations_text)
        keys = []
        for position in range(key_count):
            attnum = attnums[position]
            opclass, default_opclass = names.get(("opclass", opclasses[position]), ("", True))
            collation, default_collation = names.get(
                ("collation", collations[position]), ("", True)
            )
            if attnum:
                column = column_names[attnum - 1]
                # The column's own collation is not something the index adds.
                default_collation = default_collation or (
                    collations[position] == column_collations[attnum - 1]
                )
            else:
                column = normalised(expressions[position])
            keys.append(
                KeyPart(
                    column,
                    bool(options[position] & 1),
                    "" if default_opclass else opclass,
                    "" if default_collation else collation,
                    not attnum,
                )
            )
        found.append(
            IndexDefinition(
                table=table,
                name=name,
                keys=tuple(keys),
                include=tuple(column_names[attnum - 1] for attnum in attnums[key_count:]),
                unique=unique,
                primary=primary,
                method=method,
                predicate=normalised(predicate) if predicate else "",
                valid=valid and ready,
                size_bytes=size,
                constraint=contype or "",
                scans=scans,
                building=building,
            )
        )
    found.sort(key=lambda index: (index.table, index.name))
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
