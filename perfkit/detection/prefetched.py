"""A prefetched relation queried again: ``filter()``, ``get()``, ``exclude()`` or
``order_by()`` on it run a new query per row. The prefetch is there already, so adding
it again (the usual fix for an N+1 through a relation) changes nothing."""

from __future__ import annotations

from perfkit.capture import RelationLoad


def prefetched_relation_fix(relation: RelationLoad) -> str:
    """The fix for queries run on a relation that ``prefetch_related`` already loaded."""
    return (
        f'"{relation.path}" was prefetched, but filter(), get(), exclude() or order_by() '
        "on it runs a new query per row: work on the prefetched rows in Python "
        "(.all() is served from the prefetch), or prefetch exactly the rows needed with "
        f'Prefetch("{relation.path}", queryset=..., to_attr=...).'
    )
