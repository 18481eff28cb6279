"""Drift is exact, both ways: a schema built by the schema editor from the models'
declarations (what ``migrate`` does) has no drift finding at all, and every index then
changed by hand in the database is reported, with what changed.

The models (tests/schema/exact_models.py) hold expression, collation, operator-class,
partial, INCLUDE, hash/GIN/GiST/BRIN, descending and multi-column indexes and unique
constraints with conditions and expressions; each case below drops one of them and
recreates it with one thing changed, inside the test's transaction.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from perfkit.audit.audited_models import AuditedModel
from perfkit.audit.readonly import read_only
from perfkit.audit.run import audit_models
from perfkit.schema.declared import declared_indexes

pytestmark = pytest.mark.django_db

POSTGRES = "postgresql"
SQLITE = "sqlite"
BOTH = (POSTGRES, SQLITE)
EVENT = "schema_exact_event"


def drift(models):
    audited = [
        AuditedModel(
            f"schema_exact.{model.__name__}",
            "schema_exact",
            model.__name__,
            model._meta.db_table,
            model,
            tuple(declared_indexes(model, connection)),
        )
        for model in models
    ]
    with read_only(connection):
        return audit_models(connection, audited, checks=["PA101", "PA102", "PA103"]).findings


def sql(*statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_a_schema_built_from_the_declarations_has_no_drift(exact_models):
    findings = drift(exact_models)
    assert [finding.message for finding in findings] == []


def test_every_kind_of_index_is_in_the_proof(exact_models):
    """The proof above covers what it claims: read back from the database, the schema
    holds each kind of index."""
    from perfkit.schema.present import present_indexes

    present = {index.name: index for index in present_indexes(connection, [EVENT])}
    assert present["ev_lower_name"].keys[0].expression
    assert present["ev_name_coll"].keys[0].collation
    assert present["ev_p_and_or"].predicate
    assert present["ev_starts_desc"].keys[0].descending
    assert len(present["ev_status_starts_a"].keys) == 3
    assert present["ev_u_lower_day"].unique and present["ev_u_lower_day"].keys[0].expression
    assert present["ev_u_active"].unique and present["ev_u_active"].predicate
    if connection.vendor == POSTGRES:
        assert {present[name].method for name in ("ev_hash", "ev_gin", "ev_gist", "ev_brin")} == {
            "hash",
            "gin",
            "gist",
            "brin",
        }
        assert present["ev_incl"].include == ("b", "status")
        assert present["ev_ops_status"].keys[0].opclass == "varchar_pattern_ops"
        assert present["ev_ops_lower"].keys[0].opclass == "text_pattern_ops"


def recreate(name, definition, table=EVENT, unique=False):
    """Drop the index ``name`` and create it again as ``definition`` (what follows the
    table name in CREATE INDEX)."""
    kind = "UNIQUE INDEX" if unique else "INDEX"
    return (f'DROP INDEX "{name}"', f'CREATE {kind} "{name}" ON "{table}" {definition}')


# (vendors, statements (or statements by vendor), words in the PA103 message); the
# PostgreSQL-only ones are marked postgres.
CHANGES = {
    "expression": (BOTH, recreate("ev_lower_name", "(upper(name))"), "keys"),
    "expression with a column": (
        BOTH,
        recreate("ev_upper_name_a", "(upper(name), b)"),
        "keys",
    ),
    "arithmetic": (BOTH, recreate("ev_a_plus_b", "((a - b))"), "keys"),
    "arithmetic grouping": (BOTH, recreate("ev_a_plus_b", "((a + b * 2))"), "keys"),
    "expression direction": (BOTH, recreate("ev_lower_name_desc", "(lower(name))"), "directions"),
    "collation": (
        BOTH,
        {
            POSTGRES: recreate("ev_name_coll", '(name COLLATE "POSIX")'),
            SQLITE: recreate("ev_name_coll", "(name COLLATE RTRIM)"),
        },
        "collations differ",
    ),
    "collation removed": (BOTH, recreate("ev_name_coll", "(name)"), "differ"),
    "direction": (BOTH, recreate("ev_starts_desc", "(starts_at)"), "directions"),
    "column order": (BOTH, recreate("ev_status_starts_a", "(status, a, starts_at DESC)"), "keys"),
    "direction in a multi-column index": (
        BOTH,
        recreate("tk_multi", '(event_id, "row", seat)', table="schema_exact_ticket"),
        "directions",
    ),
    "IN list": (
        BOTH,
        recreate("ev_p_in", "(a) WHERE status IN ('new', 'void')"),
        "WHERE conditions differ",
    ),
    "boolean": (BOTH, recreate("ev_p_bool", "(b) WHERE NOT active"), "WHERE conditions differ"),
    "isnull": (
        BOTH,
        recreate("ev_p_null", "(starts_at) WHERE deleted_at IS NOT NULL"),
        "WHERE conditions differ",
    ),
    "AND/OR grouping": (
        BOTH,
        recreate("ev_p_and_or", "(name) WHERE a > 1 AND (b < 5 OR status = 'void')"),
        "WHERE conditions differ",
    ),
    "date literal": (
        BOTH,
        recreate("ev_p_date", "(day) WHERE day >= '2024-02-01'"),
        "WHERE conditions differ",
    ),
    "number literal": (
        BOTH,
        recreate("ev_p_decimal", "(amount) WHERE amount > 11"),
        "WHERE conditions differ",
    ),
    "negative number": (
        BOTH,
        recreate("ev_p_not", "(a) WHERE NOT (status = 'void') AND a >= 3"),
        "WHERE conditions differ",
    ),
    "NOT removed": (
        BOTH,
        recreate("ev_p_not", "(a) WHERE status = 'void' AND a >= -3"),
        "WHERE conditions differ",
    ),
    "string literal": (
        BOTH,
        recreate("ev_p_quote", "(status) WHERE name = 'O''Neil'"),
        "WHERE conditions differ",
    ),
    "string literal case": (
        BOTH,
        recreate("ev_p_quote", "(status) WHERE name = 'o''brien'"),
        "WHERE conditions differ",
    ),
    "LIKE pattern": (
        BOTH,
        recreate("ev_p_like", "(code) WHERE name LIKE 'ac%'"),
        "WHERE conditions differ",
    ),
    "timestamp": (
        (POSTGRES,),
        recreate("ev_p_datetime", "(b) WHERE starts_at >= '2024-01-01 01:00:00+00'"),
        "WHERE conditions differ",
    ),
    "column compared to a column": (
        BOTH,
        recreate("ev_p_f", "(a) WHERE a >= b"),
        "WHERE conditions differ",
    ),
    "range bound": (
        BOTH,
        recreate("ev_p_range", "(b) WHERE a BETWEEN 1 AND 6"),
        "WHERE conditions differ",
    ),
    "case-insensitive pattern": (
        BOTH,
        {
            POSTGRES: recreate("ev_p_icontains", "(b) WHERE upper(name) LIKE upper('%x%')"),
            SQLITE: recreate("ev_p_icontains", "(b) WHERE name LIKE '%x%' ESCAPE '\\'"),
        },
        "WHERE conditions differ",
    ),
    "JSON key": ((POSTGRES,), recreate("ev_json_key", "((data ->> 'other'))"), "keys"),
    "condition removed": (BOTH, recreate("ev_p_bool", "(b)"), "only the model makes it partial"),
    "made unique": (BOTH, recreate("ev_p_bool", "(b) WHERE active", unique=True), "unique"),
    "unique constraint's condition": (
        BOTH,
        recreate("ev_u_active", "(name) WHERE NOT active", unique=True),
        "WHERE conditions differ",
    ),
    "unique constraint made plain": (
        BOTH,
        recreate("ev_u_active", "(name) WHERE active"),
        "one of them is unique",
    ),
    "unique constraint's expression": (
        BOTH,
        recreate("ev_u_lower_day", "(upper(name), day)", unique=True),
        "keys",
    ),
    "operator class": (
        (POSTGRES,),
        recreate("ev_ops_status", "(status text_pattern_ops)"),
        "operator classes differ",
    ),
    "operator class removed": (
        (POSTGRES,),
        recreate("ev_ops_two", "(name varchar_pattern_ops, status)"),
        "operator classes differ",
    ),
    "expression's operator class": (
        (POSTGRES,),
        recreate("ev_ops_lower", "(lower(name))"),
        "operator classes differ",
    ),
    "INCLUDE": ((POSTGRES,), recreate("ev_incl", "(a) INCLUDE (b)"), "INCLUDE columns differ"),
    "INCLUDE added": (
        (POSTGRES,),
        recreate("ev_p_in", "(a) INCLUDE (b) WHERE status IN ('new', 'paid')"),
        "INCLUDE columns differ",
    ),
    "hash to B-tree": ((POSTGRES,), recreate("ev_hash", "(code)"), "access method is btree"),
    "BRIN to B-tree": ((POSTGRES,), recreate("ev_brin", "(starts_at)"), "access method"),
    "GIN to B-tree": ((POSTGRES,), recreate("ev_gin", "(tags)"), "access method"),
    "GiST to B-tree": ((POSTGRES,), recreate("ev_gist", "(period)"), "access method"),
    "B-tree to hash": (
        (POSTGRES,),
        recreate("ev_starts_desc", "USING hash (starts_at)"),
        "access method is hash",
    ),
    "cast": (
        (POSTGRES,),
        recreate("ev_cast_a", "((a::varchar(20)))"),
        "keys",
    ),
    "unique constraint's INCLUDE": (
        (POSTGRES,),
        recreate("ev_u_incl", "(status, day) INCLUDE (b)", unique=True),
        "INCLUDE columns differ",
    ),
    "unique constraint's operator class": (
        (POSTGRES,),
        recreate("ev_u_ops", "(slug)", unique=True),
        "operator classes differ",
    ),
    "unique constraint's expression condition": (
        (POSTGRES,),
        recreate("ev_u_upper", "(upper(status)) WHERE a > 1", unique=True),
        "WHERE conditions differ",
    ),
    "unique constraint's columns": (
        (POSTGRES,),
        (
            f'ALTER TABLE "{EVENT}" DROP CONSTRAINT "ev_u_ab"',
            f'ALTER TABLE "{EVENT}" ADD CONSTRAINT "ev_u_ab" UNIQUE (b, a)',
        ),
        "keys",
    ),
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=[pytest.mark.postgres] if CHANGES[case][0] == (POSTGRES,) else [])
        for case in sorted(CHANGES)
    ],
)
def test_a_changed_index_is_reported(exact_models, case):
    _vendors, statements, words = CHANGES[case]
    if isinstance(statements, dict):
        statements = statements[connection.vendor]
    changed = re.search(r'(?:INDEX|CONSTRAINT) "(\w+)"', statements[0]).group(1)
    sql(*statements)
    findings = drift(exact_models)
    assert [(f.check, f.index) for f in findings] == [("PA103", changed)], [
        f.message for f in findings
    ]
    assert words in findings[0].message


def test_the_same_index_written_differently_is_not_reported(exact_models):
    """Text that differs but means the same: other spacing, quoting, casts, parentheses,
    an equal instant in another time zone, BETWEEN for two comparisons."""
    statements = [
        *recreate("ev_a_plus_b", '(("a"+"b"))'),
        *recreate("ev_p_and_or", "(name) WHERE ((a > 1) AND (b < 5)) OR (status = 'void')"),
        *recreate("ev_p_not", "(a) WHERE (NOT (status = 'void')) AND (a >= (-3))"),
    ]
    if connection.vendor == POSTGRES:
        statements += [
            *recreate("ev_p_datetime", "(b) WHERE starts_at >= '2024-01-01 02:00:00+02'"),
            *recreate("ev_lower_name", "(lower(name::text))"),
            *recreate("ev_p_in", "(a) WHERE status = ANY (ARRAY['new', 'paid'])"),
            *recreate("ev_cast_a", "((CAST(a AS character varying(10))))"),
        ]
    sql(*statements)
    assert [finding.message for finding in drift(exact_models)] == []


def test_a_dropped_index_is_missing_and_a_hand_made_one_undeclared(exact_models):
    sql('DROP INDEX "ev_starts_desc"', f'CREATE INDEX "by_hand" ON "{EVENT}" (b, a)')
    findings = {(f.check, f.index): f for f in drift(exact_models)}
    assert set(findings) == {("PA101", "ev_starts_desc"), ("PA102", "by_hand")}
    assert "index on (starts_at DESC)" in findings["PA101", "ev_starts_desc"].message


def test_an_implicit_index_dropped_is_missing(exact_models):
    [slug_index] = [
        index.name
        for index in declared_indexes(exact_models[1], connection)
        if index.origin == "db_index" and index.columns == ("slug",)
    ]
    sql(f'DROP INDEX "{slug_index}"')
    assert [(f.check, f.index) for f in drift(exact_models)] == [("PA101", slug_index)]
