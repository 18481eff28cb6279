"""Drift: what the models declare against what the database has."""

from __future__ import annotations

from collections.abc import Iterator

from perfkit.audit.context import AuditContext
from perfkit.audit.definitions import IndexDefinition
from perfkit.audit.findings import AuditFinding


def _matches(declared: IndexDefinition, present: IndexDefinition) -> bool:
    if declared.name and declared.name == present.name:
        return True
    if declared.origin == "meta":
        return False
    # Unnamed declarations (and SQLite's autoindexes behind named unique constraints)
    # match by structure.
    return (
        declared.columns == present.columns
        and declared.unique == present.unique
        and not present.predicate
        and present.method == "btree"
        and not present.is_django_like_index
    )


def check_drift(context: AuditContext) -> Iterator[AuditFinding]:
    for audited in context.models:
        present = context.present.get(audited.table, [])
        matched: set[str] = set()
        for declared in audited.declared:
            twin = next((index for index in present if index.name == declared.name), None)
            if twin is None:
                twin = next(
                    (i for i in present if i.name not in matched and _matches(declared, i)), None
                )
            if twin is None:
                columns = ", ".join(declared.columns)
                yield AuditFinding(
                    "PA101",
                    audited.table,
                    f"{audited.label} declares an index on ({columns}) "
                    f"{'named ' + declared.name + ' ' if declared.name else ''}that the "
                    "database does not have: queries that rely on it scan instead.",
                    model=audited.label,
                    index=declared.name or None,
                    columns=declared.columns,
                    fix=f"python manage.py migrate {audited.app_label}  (apply the pending "
                    "migration, or check for a failed concurrent build)",
                )
                continue
            matched.add(twin.name)
            if declared.origin == "meta" and not declared.predicate:
                same_keys = [(p.column, p.descending) for p in declared.keys] == [
                    (p.column, p.descending) for p in twin.keys
                ]
                if not same_keys or (set(declared.include) != set(twin.include)):
                    yield AuditFinding(
                        "PA103",
                        audited.table,
                        f"{twin.name} on {audited.label} is {twin.describe()} in the "
                        f"database but declared as {declared.describe()}.",
                        model=audited.label,
                        index=twin.name,
                        columns=twin.columns,
                        fix="Recreate the index from the model (perfindex remove, then add).",
                    )
        for index in present:
            if index.name in matched or index.protected or index.is_django_like_index:
                continue
            if index.primary or index.constraint:
                continue
            yield AuditFinding(
                "PA102",
                audited.table,
                f"{index.describe()} exists in the database but no model or migration "
                f"declares it (made by hand or RunSQL): the next migration cannot see it.",
                model=audited.label,
                index=index.name,
                columns=index.columns,
                fix="Declare it in Meta.indexes (and fake the migration), or drop it.",
            )
