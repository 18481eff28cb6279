"""Both sides of the audit as :class:`IndexDefinition` lists.

Declared: the models of Django's migration state (what ``migrate`` makes the database
look like): primary keys, ``unique`` and ``db_index`` fields (foreign keys included),
``unique_together``, unique constraints and ``Meta.indexes``.

Present: the database. On PostgreSQL one catalog query for every audited table (the
number of catalog queries does not grow with the number of tables); on SQLite,
``sqlite_master`` and PRAGMAs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit.definitions import IndexDefinition, KeyPart


@dataclass(frozen=True)
class AuditedModel:
    """A model of the migration state and the index definitions it declares."""

    label: str  # "app_label.Model"
    app_label: str
    model_name: str
    table: str
    model: type[models.Model]
    declared: tuple[IndexDefinition, ...]


def declared_models(
    connection: BaseDatabaseWrapper, app_labels: Sequence[str] = ()
) -> list[AuditedModel]:
    """The managed, concrete models of the migration state, with their declared indexes."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state_apps = loader.project_state().apps
    audited = []
    for model in state_apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        if app_labels and meta.app_label not in app_labels:
            continue
        if not app_labels and not is_project_app(meta.app_label):
            continue
        audited.append(
            AuditedModel(
                label=f"{meta.app_label}.{meta.object_name}",
                app_label=meta.app_label,
                model_name=str(meta.object_name),
                table=meta.db_table,
                model=model,
                declared=tuple(declared_indexes(model, connection)),
            )
        )
    return sorted(audited, key=lambda item: item.label)


def is_project_app(app_label: str) -> bool:
    """Apps installed as packages (Django's contrib apps, third-party apps) are audited
    only when named: their models are not the project's to change."""
    from django.apps import apps

    try:
        path = apps.get_app_config(app_label).path
    except LookupError:
        return True
    return "site-packages" not in path and "dist-packages" not in path


def declared_indexes(
    model: type[models.Model], connection: BaseDatabaseWrapper
) -> Iterable[IndexDefinition]:
    meta = model._meta
    table = meta.db_table

    def column(name: str) -> str:
        return str(getattr(meta.get_field(name), "column", name))

    # Only for Django's deterministic index names: never entered, never executes.
    editor: Any = connection.SchemaEditorClass(connection, collect_sql=True)
    if True:
        for field in meta.local_concrete_fields:
            keys: tuple[KeyPart, ...] = (KeyPart(str(field.column)),)
            if field.primary_key:
                yield IndexDefinition(table, "", keys, unique=True, primary=True, origin="primary")
            elif field.unique:
                yield IndexDefinition(table, "", keys, unique=True, origin="unique")
            elif getattr(field, "db_index", False):
                name = editor._create_index_name(table, [str(field.column)])
                yield IndexDefinition(
                    table, name, keys, origin="db_index", extra=(("field", field.name),)
                )
    for names in meta.unique_together:
        keys = tuple(KeyPart(column(name)) for name in names)
        yield IndexDefinition(table, "", keys, unique=True, origin="unique")
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            keys = tuple(KeyPart(column(name)) for name in constraint.fields)
            yield IndexDefinition(
                table,
                str(constraint.name),
                keys,
                unique=True,
                predicate="(declared)" if constraint.condition is not None else "",
                constraint=str(constraint.name),
                origin="constraint",
            )
    for index in meta.indexes:
        if index.expressions:
            keys = tuple(
                KeyPart(str(expression), expression=True) for expression in index.expressions
            )
        else:
            opclasses = list(index.opclasses) + [""] * len(index.fields_orders)
            keys = tuple(
                KeyPart(column(name), order == "DESC", opclasses[position])
                for position, (name, order) in enumerate(index.fields_orders)
            )
        yield IndexDefinition(
            table,
            str(index.name),
            keys,
            predicate=_condition_sql(index, model, editor),
            include=tuple(column(name) for name in index.include),
            method=_access_method(index),
            origin="meta",
        )


def _access_method(index: models.Index) -> str:
    """``GinIndex`` → ``gin`` … (django.contrib.postgres names its classes' suffix after
    the access method); a plain ``Index`` is a B-tree."""
    suffix = str(getattr(index, "suffix", "idx"))
    return "btree" if suffix == "idx" else suffix


def _condition_sql(index: models.Index, model: type[models.Model], editor: Any) -> str:
    """The WHERE of a partial ``Meta.indexes`` entry as Django writes it, "" when it has
    none. (The database's own text differs, so drift compares only its presence.)"""
    if index.condition is None:
        return ""
    try:
        return str(cast(Any, index)._get_condition_sql(model, editor)) or "(condition)"
    except Exception:  # a private Django API: fall back to saying there is one
        return "(condition)"


# -- the database ----------------------------------------------------------------------
POSTGRES_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indisvalid,
       ix.indisready AND ix.indislive, am.amname, ix.indnkeyatts,
       coalesce(pg_get_expr(ix.indpred, ix.indrelid), ''),
       pg_relation_size(i.oid), coalesce(con.contype, ''), coalesce(s.idx_scan, 0),
       ARRAY(
         SELECT coalesce(a.attname, pg_get_indexdef(ix.indexrelid, k.n::int, true))
           || '|' || coalesce((ix.indoption[k.n - 1] & 1) = 1, false)::text
           || '|' || coalesce(CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname END, '')
           || '|' || coalesce(CASE WHEN co.collname = 'default' THEN '' ELSE co.collname END, '')
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


def present_indexes(
    connection: BaseDatabaseWrapper, tables: Sequence[str]
) -> list[IndexDefinition]:
    if connection.vendor == "postgresql":
        return _postgres_indexes(connection, tables)
    if connection.vendor == "sqlite":
        return _sqlite_indexes(connection, tables)
    raise NotImplementedError(f"perfaudit does not introspect {connection.vendor} yet")


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
            keys.append(
                KeyPart(column, descending == "true", opclass, collation, is_expression == "true")
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
                predicate=predicate,
                valid=valid and ready,
                size_bytes=size,
                constraint=contype,
                scans=scans,
                extra=(("building", "true" if building else ""),),
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
                    predicate = sql.partition(" WHERE ")[2].strip() if partial else ""
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
    """SQLite reports expression keys without their text: take it from the statement,
    so that two different expressions never compare equal."""
    texts = _key_texts(sql)
    if len(texts) != len(keys):
        return keys
    named = []
    for part, text in zip(keys, texts, strict=True):
        if part.expression:
            words = text.split()
            while words and words[-1].upper() in ("ASC", "DESC"):
                words.pop()
            part = replace(part, column=" ".join(words).lower())
        named.append(part)
    return tuple(named)


def table_columns(model: type[models.Model]) -> dict[str, Any]:
    """Column name → field of ``model``."""
    return {str(field.column): field for field in model._meta.local_concrete_fields}
