"""``perfaudit --fix``: turn the machine-readable fixes of audit findings into changes.

An audit finding that can be fixed carries a ``fix`` mapping (see docs/audit.md); the
three actions understood here are::

    {"action": "add_index", "app_label": "school", "model": "Attendance",
     "fields": ["student", "-created_at"], "name": None}
    {"action": "remove_index", "app_label": "school", "model": "Attendance",
     "name": "school_atte_status_idx"}
    {"action": "set_db_index_false", "app_label": "school", "model": "Attendance",
     "field": "student"}

Anything else (or a malformed fix) is skipped and reported, never guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from perfkit.indexgen.changes import (
    AddIndexChange,
    DisableFieldIndexChange,
    IndexChange,
    RemoveIndexChange,
)


@dataclass(frozen=True)
class FixPlan:
    """The changes to make, and the fixes that could not be turned into one."""

    changes: tuple[IndexChange, ...]
    skipped: tuple[str, ...]


def plan_fixes(fixes: Iterable[Mapping[str, Any]]) -> FixPlan:
    """Changes for every usable fix, in order, without duplicates."""
    changes: list[IndexChange] = []
    skipped: list[str] = []
    for fix in fixes:
        change = change_for_fix(fix)
        if change is None:
            skipped.append(f"not understood: {dict(fix)!r}")
        elif change not in changes:
            changes.append(change)
    return FixPlan(tuple(changes), tuple(skipped))


def change_for_fix(fix: Mapping[str, Any]) -> IndexChange | None:
    action = fix.get("action")
    app_label = fix.get("app_label")
    model = fix.get("model")
    if not isinstance(app_label, str) or not isinstance(model, str):
        return None
    if "." in model:  # "school.Attendance"
        model = model.rpartition(".")[2]
    if action == "add_index":
        fields = fix.get("fields")
        name = fix.get("name")
        if (
            isinstance(fields, Sequence)
            and not isinstance(fields, str)
            and fields
            and all(isinstance(field, str) for field in fields)
            and (name is None or isinstance(name, str))
        ):
            return AddIndexChange(app_label, model, tuple(fields), name or None)
    elif action == "remove_index":
        name = fix.get("name") or fix.get("index_name")
        if isinstance(name, str):
            return RemoveIndexChange(app_label, model, name)
    elif action == "set_db_index_false":
        field = fix.get("field")
        if isinstance(field, str):
            return DisableFieldIndexChange(app_label, model, field)
    return None


def describe_change(change: IndexChange) -> str:
    """One line of the plan ``perfaudit --fix`` shows before asking."""
    label = f"{change.app_label}.{change.model_name}"
    if isinstance(change, AddIndexChange):
        fields = ", ".join(change.fields)
        return f"add index on {label} ({fields})" + (f" named {change.name}" if change.name else "")
    if isinstance(change, RemoveIndexChange):
        return f"remove index {change.index_name} from {label}"
    return f"set db_index=False on {label}.{change.field_name}"


@dataclass(frozen=True)
class CheckedFixPlan:
    """The changes that passed every check, and why the others were refused."""

    accepted: tuple[IndexChange, ...]
    refused: tuple[tuple[IndexChange, str], ...]
    skipped: tuple[str, ...]


def check_fix_plan(
    plan: FixPlan, using: str = DEFAULT_DB_ALIAS, update_models: bool = True
) -> CheckedFixPlan:
    """Check each change on its own, so one refused fix does not block the others: the
    generator's refusals (a third-party app, an inherited index, ...) and, when the
    models are to be updated, a model whose source cannot be edited for it."""
    from django.db.migrations.loader import MigrationLoader

    from perfkit.indexgen.errors import IndexChangeRefused
    from perfkit.indexgen.generate import model_edits
    from perfkit.indexgen.model_source import SourceEditFailed
    from perfkit.indexgen.planning import plan_changes

    loader = MigrationLoader(None, ignore_no_migrations=True)
    accepted: list[IndexChange] = []
    refused: list[tuple[IndexChange, str]] = []
    for change in plan.changes:
        try:
            planned = plan_changes([*accepted, change], loader, using)
            if update_models:
                model_edits(planned[-1:])
        except IndexChangeRefused as error:
            refused.append((change, str(error)))
        except SourceEditFailed as error:
            refused.append(
                (
                    change,
                    f"the model's source cannot be edited for it ({error}); make this "
                    "change by hand, or run with --no-update-models",
                )
            )
        else:
            accepted.append(change)
    return CheckedFixPlan(tuple(accepted), tuple(refused), plan.skipped)


def plan_text(plan: CheckedFixPlan) -> str:
    """The plan ``perfaudit --fix`` prints before it asks."""
    if not plan.accepted:
        lines = ["Nothing to fix: no finding carries a fix that can be applied."]
    else:
        lines = ["perfaudit --fix will generate migrations to:"]
        lines += [
            f"  {number}. {describe_change(change)}"
            for number, change in enumerate(plan.accepted, start=1)
        ]
    for change, reason in plan.refused:  # the first line: what follows is for perfindex
        lines.append(f"  skipped: {describe_change(change)}: {reason.splitlines()[0]}")
    lines += [f"  skipped: {reason}" for reason in plan.skipped]
    return "\n".join(lines) + "\n"


def run_fixes(
    fixes: Iterable[Mapping[str, Any]],
    *,
    assume_yes: bool,
    ask: Callable[[str], str],
    stdout: Any,
    stderr: Any = None,
    concurrently: bool | None = None,
    dry_run: bool = False,
    update_models: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> bool:
    """Show the plan, ask unless ``assume_yes``, then generate. True when files were written.

    Raises :class:`IndexChangeRefused` or :class:`ModelsOutOfSync` like ``generate``.
    """
    from perfkit.indexgen.generate import generate
    from perfkit.indexgen.report import print_result

    plan = check_fix_plan(plan_fixes(fixes), using, update_models)
    stdout.write(plan_text(plan))
    if not plan.accepted:
        return False
    if not dry_run and not assume_yes:
        try:
            answer = ask("Write these migrations? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in {"y", "yes"}:
            stdout.write("Nothing written.\n")
            return False
    result = generate(
        plan.accepted,
        concurrently=concurrently,
        dry_run=dry_run,
        update_models=update_models,
        stderr=stderr,
        using=using,
    )
    print_result(result, stdout)
    return result.written
