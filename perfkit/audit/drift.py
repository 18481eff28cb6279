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


def _differences(declared: IndexDefinition, present: IndexDefinition, vendor: str) -> list[str]:
    """How a database index differs from the ``Meta.indexes`` entry of the same name:
    keys and directions, INCLUDE columns, partial or not, and on PostgreSQL operator
    classes and access method. Predicates are compared by presence only: the database
    rewrites their text."""
    found = []
    if [(p.column, p.descending) for p in declared.keys] != [
        (p.column, p.descending) for p in present.keys
    ]:
        found.append("the keys or their directions differ")
    if set(declared.include) != set(present.include):
        found.append("the INCLUDE columns differ")
    if bool(declared.predicate) != bool(present.predicate):
        where = "the database" if present.predicate else "the model"
        found.append(f"only {where} makes it partial")
    if vendor == "postgresql":
        if declared.method != present.method:
            found.append(f"the access method is {present.method}, declared {declared.method}")
        elif [p.opclass for p in declared.keys] != [p.opclass for p in present.keys] and not any(
            p.expression for p in declared.keys
        ):
            found.append("the operator classes differ")
    return found


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
            differences = _differences(declared, twin, context.vendor)
            if declared.origin == "meta" and differences:
                yield AuditFinding(
                    "PA103",
                    audited.table,
                    f"{twin.name} on {audited.label} is {twin.describe()} in the "
                    f"database but declared as {declared.describe()}: "
                    f"{'; '.join(differences)}. Queries planned for the declared index "
                    "may not use it, and the next migration that touches it starts from a "
                    "wrong picture.",
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
