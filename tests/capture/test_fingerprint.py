from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from perfkit.capture import fingerprint
from perfkit.capture.sql_fingerprint import statement_kind


def test_placeholders_and_literals_become_question_marks():
    assert (
        fingerprint('SELECT "a"."id" FROM "a" WHERE "a"."x" = %s AND y = \'abc\' LIMIT 21')
        == 'SELECT "a"."id" FROM "a" WHERE "a"."x" = ? AND y = ? LIMIT ?'
    )


def test_quoted_identifiers_are_kept():
    assert '"school_class"."teacher_id"' in fingerprint(
        'SELECT "school_class"."teacher_id" FROM "school_class"'
    )


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=60))
def test_in_lists_of_any_length_fold_to_one(first, second):
    def sql(length: int) -> str:
        return f'SELECT * FROM "t" WHERE "t"."id" IN ({", ".join(["%s"] * length)})'

    assert fingerprint(sql(first)) == fingerprint(sql(second))
    assert fingerprint(sql(first)).endswith("IN (?)")


def test_multi_row_values_fold_to_one_row():
    one = fingerprint('INSERT INTO "t" ("a", "b") VALUES (%s, %s)')
    three = fingerprint('INSERT INTO "t" ("a", "b") VALUES (%s, %s), (%s, %s), (%s, %s)')
    assert one == three == 'INSERT INTO "t" ("a", "b") VALUES (?, ?)'


def test_whitespace_does_not_matter():
    assert fingerprint("SELECT  1\n FROM t") == fingerprint("SELECT 1 FROM t")


def test_statement_kind():
    assert statement_kind("  update t set a = 1") == "UPDATE"
    assert statement_kind("(SELECT 1) UNION (SELECT 2)") == "SELECT"
    assert statement_kind("") == ""
    assert statement_kind(" \n ") == ""
    assert statement_kind("SELECT(1)") == "SELECT(1)"  # the first word, as split() reads it
    assert statement_kind("(\f(select 1)") == "(SELECT"


def test_a_long_statements_kind_is_read_but_not_kept():
    long_sql = "INSERT INTO t (a) VALUES " + ", ".join(["(%s)"] * 1_000)
    kept = statement_kind.kept.cache_info().currsize  # type: ignore[attr-defined]
    assert statement_kind(long_sql) == "INSERT"
    assert statement_kind.kept.cache_info().currsize == kept  # type: ignore[attr-defined]
