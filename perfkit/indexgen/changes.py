"""The index changes the generator can make, as plain data.

``perfindex add/remove`` and ``perfaudit --fix`` both describe what they want as a list of
these; :mod:`perfkit.indexgen.planning` checks them against the project and turns them
into migration operations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddIndexChange:
    """Add ``Index(fields=fields, name=name)``; a ``-`` before a field makes it descending."""

    app_label: str
    model_name: str
    fields: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class RemoveIndexChange:
    """Remove the ``Meta.indexes`` entry named ``index_name``."""

    app_label: str
    model_name: str
    index_name: str


@dataclass(frozen=True)
class DisableFieldIndexChange:
    """Set ``db_index=False`` on a field (a foreign key whose index another one covers)."""

    app_label: str
    model_name: str
    field_name: str


IndexChange = AddIndexChange | RemoveIndexChange | DisableFieldIndexChange
