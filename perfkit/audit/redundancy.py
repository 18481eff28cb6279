"""Redundancy: indexes the database maintains for nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from perfkit.audit.audited_models import AuditedModel
from perfkit.audit.context import AuditContext
from perfkit.audit.findings import AuditFinding
from perfkit.schema.definitions import IndexDefinition


def covers(wider: IndexDefinition, narrow: IndexDefinition) -> bool:
    """Whether ``wider`` answers every query ``narrow`` answers: same method and
    predicate, ``narrow``'s keys as a prefix of ``wider``'s (with opclass, collation,
    direction), and ``narrow``'s INCLUDE columns among ``wider``'s columns."""
    if wider.method != "btree" or narrow.method != "btree" or wider.predicate != narrow.predicate:
        return False
    if len(narrow.keys) > len(wider.keys) or wider.keys[: len(narrow.keys)] != narrow.keys:
        return False
    return set(narrow.include) <= set(wider.columns) | set(wider.include)


def _declaration(audited: AuditedModel | None, index: IndexDefinition) -> IndexDefinition | None:
    if audited is None:
        return None
    for declared in audited.declared:
        if declared.name and declared.name == index.name:
            return declared
    for declared in audited.declared:
        if declared.origin == "db_index" and declared.columns == index.columns and not index.unique:
            return declared
    return None


def like_twin(audited: AuditedModel | None, field_name: str) -> IndexDefinition | None:
    """The ``_like`` index Django gives the field next to its own (PostgreSQL, text
    columns): setting ``db_index=False`` drops both."""
    if audited is None:
        return None
    return next(
        (
            declared
            for declared in audited.declared
            if declared.origin == "like" and declared.field_name == field_name
        ),
        None,
    )


def _like_note(audited: AuditedModel | None, declared: IndexDefinition | None) -> str:
    """For a field's own index: its LIKE twin goes too when the field loses db_index."""
    if declared is None or declared.origin != "db_index":
        return ""
    like = like_twin(audited, declared.field_name)
    if like is None:
        return ""
    return (
        f" db_index=False on {declared.field_name} also drops its LIKE index {like.name}, "
        "which no other index replaces for startswith/contains lookups."
    )


def _removal(
    audited: AuditedModel | None, index: IndexDefinition
) -> tuple[str, dict[str, Any] | None]:
    declared = _declaration(audited, index)
    if audited is None or declared is None:
        return f"DROP INDEX CONCURRENTLY {index.name};", None
    if declared.origin == "db_index":
        field = declared.field_name
        like = like_twin(audited, field)
        also = (
            f" This also drops {like.name}, the field's LIKE index ({like.keys[0].opclass}):"
            " keep a pattern index if the project filters it with startswith/contains."
            if like is not None
            else ""
        )
        return (
            f"Set db_index=False on {audited.label}.{field}.{also}",
            {
                "action": "set_db_index_false",
                "app_label": audited.app_label,
                "model": audited.model_name,
                "field": field,
            },
        )
    return (
        f"Remove {index.name} from {audited.label}.Meta.indexes "
        f"(python manage.py perfindex remove {audited.label} {index.name}).",
        {
            "action": "remove_index",
            "app_label": audited.app_label,
            "model": audited.model_name,
            "name": index.name,
        },
    )


def _reported_of_pair(
    audited: AuditedModel | None, index: IndexDefinition, twin: IndexDefinition
) -> bool:
    """Of two identical indexes, whether ``index`` is the one to report (``twin`` kept):
    Django's automatic field index is kept, else the first by name."""
    automatic = [
        (declared := _declaration(audited, candidate)) is not None
        and declared.origin == "db_index"
        and declared.name == candidate.name
        for candidate in (index, twin)
    ]
    if automatic[0] != automatic[1]:
        return not automatic[0]
    return index.name > twin.name


def check_redundancy(context: AuditContext) -> Iterator[AuditFinding]:
    for table, unordered in sorted(context.present.items()):
        indexes = sorted(unordered, key=lambda index: index.name)  # same findings every run
        audited = context.model_for(table)
        label = audited.label if audited else None
        primary = next((index for index in indexes if index.primary), None)
        reported: set[str] = set()
        for index in indexes:
            if index.protected or not index.valid:
                continue
            if primary is not None and index.same_definition(
                IndexDefinition(table, index.name, primary.keys, method=primary.method)
            ):
                reported.add(index.name)
                fix, autofix = _removal(audited, index)
                yield AuditFinding(
                    "PA204",
                    table,
                    f"{index.describe()} repeats the primary key's index.",
                    model=label,
                    index=index.name,
                    columns=index.columns,
                    fix=fix,
                    autofix=autofix,
                )
                continue
            twin = next(
                (
                    other
                    for other in indexes
                    if other is not index
                    and not other.protected
                    and other.same_definition(index)
                    and not _reported_of_pair(audited, other, index)
                ),
                None,
            )
            if twin is not None:
                reported.add(index.name)
                fix, autofix = _removal(audited, index)
                yield AuditFinding(
                    "PA201",
                    table,
                    f"{index.describe()} duplicates {twin.name}: every write updates both."
                    + _like_note(audited, _declaration(audited, index)),
                    model=label,
                    index=index.name,
                    columns=index.columns,
                    fix=fix,
                    autofix=autofix,
                )
                continue
            wider = next(
                (o for o in indexes if len(o.keys) > len(index.keys) and covers(o, index)), None
            )
            if wider is None:
                continue
            reported.add(index.name)
            fix, autofix = _removal(audited, index)
            declared = _declaration(audited, index)
            field = context.field_for(table, index.columns[0])
            is_fk_index = (
                declared is not None
                and declared.origin == "db_index"
                and len(index.keys) == 1
                and field is not None
                and field.is_relation
            )
            yield AuditFinding(
                "PA203" if is_fk_index else "PA202",
                table,
                f"{index.describe()} is a prefix of {wider.describe()}, which serves "
                "the same lookups."
                + (" It is the foreign key's automatic index." if is_fk_index else "")
                + _like_note(audited, declared),
                model=label,
                index=index.name,
                columns=index.columns,
                fix=fix,
                autofix=autofix,
            )
