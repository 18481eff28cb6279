"""Rows created one by one: lookups that found nothing, each followed by the row's INSERT.

``get_or_create()`` in a loop, and code built on it (Wagtail creating an image's missing
renditions while a page renders), runs one lookup per row, and after each lookup that
found nothing, an INSERT into the table it read. That looks like an N+1, but eager
loading cannot serve it: the rows do not exist yet, and the view may well have
prefetched the ones that do. What helps is creating the missing rows in one go, or
before the request needs them; once they exist, the lookups find them (or the eager
load the view already has serves them).
"""

from __future__ import annotations

import re

from perfkit.capture import CapturedQuery

_READ_TABLE = re.compile(r'\bFROM\s+("?)([\w$.]+)\1', re.IGNORECASE)
_INSERT_TABLE = re.compile(r'^\s*INSERT\s+INTO\s+("?)([\w$.]+)\1', re.IGNORECASE)
_LOOKAHEAD = 6  # queries after a lookup where its INSERT may be (savepoints around it)


def created_after_lookup(queries: list[CapturedQuery], group: list[CapturedQuery]) -> int:
    """How many lookups of ``group`` (queries from one line) were followed, before the
    group's next lookup, by an INSERT into the table they read."""
    if not any(query.statement == "INSERT" for query in queries):
        return 0
    table_match = _READ_TABLE.search(group[0].sql)
    if table_match is None:
        return 0
    table = table_match.group(2)
    members = {id(query) for query in group}
    created = 0
    for position, query in enumerate(queries):
        if id(query) not in members:
            continue
        for following in queries[position + 1 : position + 1 + _LOOKAHEAD]:
            if id(following) in members:
                break
            inserted = _INSERT_TABLE.match(following.sql)
            if inserted is not None and inserted.group(2) == table:
                created += 1
                break
    return created


def created_rows_fix(queries: list[CapturedQuery], group: list[CapturedQuery], fix: str) -> str:
    """``fix``, or what applies when lookups of ``group`` found nothing and created rows."""
    created = created_after_lookup(queries, group)
    if not created:
        return fix
    advice = (
        f"{created} of these {len(group)} lookups found no row, and the row was then "
        "created, one per lookup (get_or_create() or the like in a loop): eager loading "
        "cannot find rows that do not exist yet. Create the missing rows in one go (one "
        "query for those that exist, one bulk_create() for the rest), or before the "
        "request needs them; once they exist, these lookups find them."
    )
    if created == len(group):
        return advice
    return f"{fix} {advice}"
