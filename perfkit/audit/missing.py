"""Missing indexes: foreign keys and orderings no index serves; and indexes led by a
column with too few distinct values to help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models

from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.schema.ordering import OrderingTerm, ordering_is_indexed


def check_foreign_keys(context: AuditContext) -> Iterator[AuditFinding]:
    for audited in context.models:
        present = context.present.get(audited.table, [])
        for field in audited.model._meta.local_concrete_fields:
            if not isinstance(field, models.ForeignKey):
                continue
            leading = [
                index for index in present if index.keys and index.keys[0].column == field.column
            ]
            usable = [i for i in leading if i.method == "btree" and not i.predicate and i.valid]
            if usable:
                continue
            fix = f"python manage.py perfindex add {audited.label} {field.name}"
            autofix = {
                "action": "add_index",
                "app_label": audited.app_label,
                "model": audited.model_name,
                "fields": [field.name],
                "name": None,
            }
            if leading:
                yield AuditFinding(
                    "PA302",
                    audited.table,
                    f"{audited.label}.{field.name} is only covered by "
                    f"{', '.join(i.describe() for i in leading)}: a partial or non-B-tree "
                    "index does not serve every join and ON DELETE lookup.",
                    model=audited.label,
                    columns=(str(field.column),),
                    fix=fix,
                    autofix=autofix,
                )
            else:
                yield AuditFinding(
                    "PA301",
                    audited.table,
                    f"{audited.label}.{field.name} has no index leading with "
                    f"{field.column}: joins and cascading deletes scan {audited.table}.",
                    model=audited.label,
                    columns=(str(field.column),),
                    fix=fix,
                    autofix=autofix,
                )


def orderings(context: AuditContext) -> Iterator[tuple[Any, list[str], str]]:
    """(audited model, ordering as field names, where it comes from): Meta.ordering,
    and the orderings of views paginated by perfkit's cursor paginator."""
    by_model = {audited.label: audited for audited in context.models}
    for audited in context.models:
        declared = audited.model._meta.ordering or ()
        ordering = [item for item in declared if isinstance(item, str)]
        if ordering and "?" not in ordering:
            yield audited, ordering, "Meta.ordering"
    try:
        from perfkit.pagination.discovery import paginated_views
    except ImportError:  # DRF is not installed: no paginated views
        return
    for found in paginated_views():
        owner = by_model.get(found.model._meta.label)
        paginator_ordering = found.paginator.ordering or ()
        items = (
            [paginator_ordering]
            if isinstance(paginator_ordering, str)
            else list(paginator_ordering)
        )
        names = [item for item in items if isinstance(item, str)]
        if owner is not None and names and len(names) == len(items):
            yield owner, names, f"the cursor pagination of {found.view.__name__}"


def check_orderings(context: AuditContext) -> Iterator[AuditFinding]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for audited, ordering, source in orderings(context):
        meta = audited.model._meta
        terms: list[OrderingTerm] = []
        for item in ordering:
            name = item.lstrip("-")
            try:
                field = meta.pk if name == "pk" else meta.get_field(name)
            except Exception:
                terms = []
                break
            column = getattr(field, "column", None)
            if column is None:
                terms = []
                break
            terms.append(OrderingTerm(str(column), item.startswith("-")))
        key = (audited.label, tuple(ordering))
        if (
            not terms
            or key in seen
            or ordering_is_indexed(audited.model, terms, context.connection, audited.declared)
        ):
            continue
        seen.add(key)
        fields = ",".join(ordering)
        yield AuditFinding(
            "PA303",
            audited.table,
            f"{audited.label} is ordered by ({', '.join(ordering)}) in {source}, and no "
            "index leads with those columns and directions: every ordered page sorts the "
            "whole table.",
            model=audited.label,
            columns=tuple(t.column for t in terms),
            fix=f"python manage.py perfindex add {audited.label} {fields}",
            autofix={
                "action": "add_index",
                "app_label": audited.app_label,
                "model": audited.model_name,
                "fields": list(ordering),
                "name": None,
            },
        )


def check_low_cardinality(context: AuditContext) -> Iterator[AuditFinding]:
    for table, indexes in sorted(context.present.items()):
        for index in indexes:
            if index.protected or index.predicate or not index.keys:
                continue
            field = context.field_for(table, index.keys[0].column)
            if not isinstance(field, models.BooleanField):
                continue
            audited = context.model_for(table)
            yield AuditFinding(
                "PA304",
                table,
                f"{index.describe()} leads with boolean {field.name}: two values cannot "
                "narrow a scan much, and every write pays for the index.",
                model=audited.label if audited else None,
                index=index.name,
                columns=index.columns,
                fix=f"Drop it, or make it partial: models.Index(fields=[...], "
                f"condition=Q({field.name}=True)) if you filter on the rare value.",
            )
