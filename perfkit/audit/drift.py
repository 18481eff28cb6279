"""Drift: what the models declare against what the database has, compared exactly
(both sides are normalised by :mod:`perfkit.schema`)."""

from __future__ import annotations

from collections.abc import Iterator

from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.schema.definitions import IndexDefinition


def _twins(
    declared: tuple[IndexDefinition, ...], present: list[IndexDefinition]
) -> dict[int, IndexDefinition]:
    """Each declaration's index in the database, by position in ``declared``: by name
    first, then, for Django's implicit indexes and constraints (whose names the database
    may not share, e.g. SQLite's autoindexes or a renamed table's), by structure."""
    by_name = {index.name: index for index in present}
    twins: dict[int, IndexDefinition] = {}
    taken: set[str] = set()
    for position, wanted in enumerate(declared):
        twin = by_name.get(wanted.name) if wanted.name else None
        if twin is not None:
            twins[position] = twin
            taken.add(twin.name)
    for position, wanted in enumerate(declared):
        if position in twins or wanted.origin == "meta":
            continue
        twin = next(
            (
                index
                for index in present
                if index.name not in taken
                and index.keys == wanted.keys
                and index.unique == wanted.unique
                and index.predicate == wanted.predicate
                and index.method == wanted.method
            ),
            None,
        )
        if twin is not None:
            twins[position] = twin
            taken.add(twin.name)
    return twins


def _declared_text(declared: IndexDefinition) -> str:
    """The declared index in words, for a finding: ``an index on (a, b DESC) named x``."""
    text = f"{'a unique' if declared.unique else 'an'} index on {declared.key_text}"
    if declared.include:
        text += f" INCLUDE ({', '.join(declared.include)})"
    if declared.predicate:
        text += f" WHERE {declared.predicate}"
    if declared.method != "btree":
        text += f" USING {declared.method}"
    return text + (f" named {declared.name}" if declared.name else "")


def _recreate_fix(audited_label: str, declared: IndexDefinition, present_name: str) -> str:
    if declared.origin == "meta":
        return "Recreate the index from the model (perfindex remove, then add)."
    where = {
        "constraint": "Meta.constraints",
        "unique": "the unique field or unique_together",
        "primary": "the primary key",
    }.get(declared.origin, f"the field {declared.field_name!r}")
    return (
        f"Drop {present_name} and create it as {audited_label}'s {where} declares it "
        "(python manage.py sqlmigrate shows Django's statement)."
    )


def check_drift(context: AuditContext) -> Iterator[AuditFinding]:
    for audited in context.models:
        present = context.present.get(audited.table, [])
        twins = _twins(audited.declared, present)
        matched = {twin.name for twin in twins.values()}
        for position, declared in enumerate(audited.declared):
            twin = twins.get(position)
            if twin is None:
                yield AuditFinding(
                    "PA101",
                    audited.table,
                    f"{audited.label} declares {_declared_text(declared)} that the "
                    "database does not have: queries that rely on it scan instead.",
                    model=audited.label,
                    index=declared.name or None,
                    columns=declared.columns,
                    fix=f"python manage.py migrate {audited.app_label}  (apply the pending "
                    "migration, or check for a failed concurrent build)",
                )
                continue
            differences = declared.differences(twin)
            if differences:
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
                    fix=_recreate_fix(audited.label, declared, twin.name),
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
