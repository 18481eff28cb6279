"""Whether a change touches code that is the project's to edit.

The generator writes a migration into the model's app and edits the model's source. It
refuses, before writing anything, when either belongs to someone else:

- the model's app comes from an installed package (Django's contrib apps, Wagtail,
  taggit: see :mod:`perfkit.audit.installed_packages`). The next upgrade of the package
  would overwrite the edit, and a migration written into it diverges from the package's
  own. The refusal says what can be done instead: a ``RunSQL`` migration in one of the
  project's apps (its statements given), or a change upstream;
- the index or field to change is inherited from an abstract base class: editing the
  base changes every model that inherits it, so that is left to a person.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from perfkit.audit.installed_packages import ThirdPartyApp, third_party_app
from perfkit.indexgen.changes import AddIndexChange, IndexChange, RemoveIndexChange
from perfkit.indexgen.errors import IndexChangeRefused


def check_ownership(
    change: IndexChange,
    model: type[models.Model],
    connection: BaseDatabaseWrapper,
    index: models.Index | None = None,
) -> None:
    """Raise :class:`IndexChangeRefused` when the change would edit an installed
    package or an abstract base class. ``index`` is the index an add asks for."""
    package = third_party_app(change.app_label)
    if package is not None:
        raise IndexChangeRefused(_third_party_refusal(change, model, package, connection, index))
    label = f"{change.app_label}.{model.__name__}"
    if isinstance(change, RemoveIndexChange):
        base = _base_declaring_index(model, change.index_name)
        if base is not None:
            raise IndexChangeRefused(
                f"{change.index_name!r} on {label} is inherited from the Meta.indexes of "
                f"the abstract model {_class_path(base)}: removing it there removes it "
                "from every model that inherits it, so perfkit leaves that edit to you "
                "(or give this model its own Meta.indexes without it)."
            )
    elif not isinstance(change, AddIndexChange):
        base = _base_declaring_field(model, change.field_name)
        if base is not None:
            raise IndexChangeRefused(
                f"{label}.{change.field_name} is inherited from the abstract model "
                f"{_class_path(base)}: setting db_index=False there changes every model "
                "that inherits it, so perfkit leaves that edit to you (or override the "
                "field in this model)."
            )


def _third_party_refusal(
    change: IndexChange,
    model: type[models.Model],
    package: ThirdPartyApp,
    connection: BaseDatabaseWrapper,
    index: models.Index | None,
) -> str:
    label = f"{change.app_label}.{model.__name__}"
    lines = [
        f"{label} belongs to {package.describe()}, not to this project: perfkit does "
        "not write migrations into an installed package or edit its models (the next "
        "upgrade of the package would undo the edit, and its migrations are the "
        "package's own).",
        "What you can do instead:",
    ]
    table = model._meta.db_table
    quote = connection.ops.quote_name
    concurrently = " CONCURRENTLY" if connection.vendor == "postgresql" else ""
    if isinstance(change, AddIndexChange) and index is not None:
        editor = connection.schema_editor(collect_sql=True)
        # PostgreSQL's schema editor takes concurrently=; the others do not know it.
        create_sql: Any = index.create_sql
        options = {"concurrently": True} if concurrently else {}
        create = str(create_sql(model, editor, **options))
        drop = f"DROP INDEX{concurrently} IF EXISTS {quote(index.name)}"
        atomic = " (and atomic = False: a concurrent build runs outside a transaction)"
        lines += [
            "  - create the index from a migration of one of your own apps, with RunSQL"
            + (atomic if concurrently else "")
            + ":",
            "        migrations.RunSQL(",
            f"            sql={create!r},",
            f"            reverse_sql={drop!r},",
            "        ),",
        ]
    else:
        name = change.index_name if isinstance(change, RemoveIndexChange) else None
        target = quote(name) if name else f"the index (see perfaudit's finding on {table})"
        lines.append(
            "  - drop the index from a migration of one of your own apps, with "
            f"migrations.RunSQL('DROP INDEX{concurrently} IF EXISTS {target}'); perfaudit "
            f"then reports it missing (PA101) when {package.label!r} is audited;"
        )
    lines.append(f"  - or ask the maintainers of {package.module.partition('.')[0]} to change it.")
    return "\n".join(lines)


def _class_path(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _abstract_bases(model: type[models.Model]) -> list[type[models.Model]]:
    return [
        base
        for base in model.__mro__[1:]
        if isinstance(base, type)
        and issubclass(base, models.Model)
        and base is not models.Model
        and base._meta.abstract
    ]


def _base_declaring_index(model: type[models.Model], name: str) -> type[models.Model] | None:
    """The abstract base whose ``Meta.indexes`` gives ``model`` the index ``name``: the
    model's own Meta does not list it, or lists the base's entry (``*Base.Meta.indexes``)."""
    placeholders = {"app_label": model._meta.app_label.lower(), "class": model.__name__.lower()}
    bases = _abstract_bases(model)
    own = getattr(model.__dict__.get("Meta"), "__dict__", {}).get("indexes")
    if own is not None:
        for index in own:
            if index.name and index.name % placeholders == name:
                return next(
                    (
                        base
                        for base in bases
                        if any(index is entry for entry in _meta_indexes(base))
                    ),
                    None,
                )
    for base in bases:
        if any(entry.name and entry.name % placeholders == name for entry in _meta_indexes(base)):
            return base
    return None


def _meta_indexes(base: type[models.Model]) -> list[models.Index]:
    """The indexes an abstract model's own ``Meta`` lists (Django keeps that Meta on it)."""
    return list(getattr(base.__dict__.get("Meta"), "indexes", None) or [])


def _base_declaring_field(model: type[models.Model], name: str) -> type[models.Model] | None:
    """The abstract base that declares the field ``name`` that ``model`` inherits (a
    copied field keeps its creation counter; a field the model redeclares does not)."""
    try:
        field = model._meta.get_field(name)
    except Exception:
        return None
    for base in _abstract_bases(model):
        for base_field in base._meta.local_fields:
            if base_field.name == name and base_field.creation_counter == getattr(
                field, "creation_counter", None
            ):
                return base
    return None
