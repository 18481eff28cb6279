"""``--database`` is honoured end to end: the audit, the --fix plan, perfindex's checks
against the database and the generated operations all use the alias given, not
``default``. The sample project gets a second alias, ``other``: a copy of its database
with a hand-made index and a duplicate that ``default`` does not have."""

from __future__ import annotations

import re

import pytest

from tests.indexgen.sample_project import drop_database
from tests.indexgen.test_third_party_apps import run_commands


@pytest.fixture
def other(sample):
    name = sample.copy_database()
    sample.extra_environment["PERFKIT_SAMPLE_OTHER_DATABASE"] = name
    autocommit = sample.vendor == "postgresql"
    for statement in (
        "CREATE INDEX by_hand_status ON shop_order (status)",
        "CREATE INDEX shop_order_ref_copy ON shop_order (reference)",
    ):
        sample.query(statement, (), autocommit=autocommit, database=name)
    yield name
    drop_database(sample.vendor, name)


def finding_ids(outcome):
    import json

    code, out, err = outcome
    assert code in (0, 1), err
    report = json.loads(out)
    return report["database"], {finding["id"] for finding in report["findings"]}


def test_every_step_reads_the_database_it_is_given(sample, other):
    (
        audit_other,
        audit_default,
        fix_other,
        fix_default,
        add_other,
        add_default,
    ) = run_commands(
        sample,
        ["perfaudit", "--database", "other", "--format", "json"],
        ["perfaudit", "--format", "json"],
        ["perfaudit", "--database", "other", "--fix", "--dry-run"],
        ["perfaudit", "--fix", "--dry-run"],
        ["perfindex", "add", "shop.Order", "status", "--database", "other", "--dry-run"],
        ["perfindex", "add", "shop.Order", "status", "--dry-run"],
    )
    planted = {"PA102:shop_order:by_hand_status", "PA201:shop_order:shop_order_reference_idx"}
    database, found = finding_ids(audit_other)
    assert database == "other" and planted <= found
    database, found = finding_ids(audit_default)
    assert database == "default" and not planted & found

    removal = "remove index shop_order_reference_idx from shop.Order"
    assert removal in fix_other[1]
    assert removal not in fix_default[1]

    code, _, err = add_other
    assert code == 2
    assert err == (
        "shop.Order already has an index on (status): the index 'by_hand_status' in the "
        "database, which the migrations do not declare. Declare it in Meta.indexes (with a "
        "migration that adopts it) rather than building a twin."
    )
    assert add_default[0] == 0


def test_the_fix_plan_is_checked_against_the_alias(sample, other):
    result = sample.run_python(
        """
        from perfkit.indexgen.changes import AddIndexChange
        from perfkit.indexgen.fixes import FixPlan, check_fix_plan
        plan = FixPlan((AddIndexChange("shop", "Order", ("status",)),), ())
        for alias in ("default", "other"):
            checked = check_fix_plan(plan, using=alias)
            print(alias, len(checked.accepted), len(checked.refused))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["default 1 0", "other 0 1"]


def test_generated_migrations_run_on_the_alias(sample, other):
    [(code, out, err)] = run_commands(sample, ["perfindex", "add", "shop.Order", "-created_at"])
    assert code == 0, out + err
    migrate = sample.run("migrate", "shop", "--database", "other")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    name = re.search(r"[Cc]reate index (\w+)", out).group(1)
    if sample.vendor == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE indexname = %s"
    else:
        query = "SELECT name FROM sqlite_master WHERE name = ?"
    assert sample.query(query, (name,), database=other) == [(name,)]
    assert sample.query(query, (name,)) == []
