"""The query-capture engine: what ran, where from, and through which relation.

The low-level API other parts of perfkit (and the pytest plugin, the toolbar panel)
build on::

    from perfkit.capture import capture_queries, excluded

    with capture_queries() as captured:
        ...
    for query in captured.queries:  # CapturedQuery: sql, params, duration_ms, alias,
        ...                          # call_site (CallSite), fingerprint, relation

    with excluded():  # queries here are recorded by no capture
        ...

No capture active in the process means no query is recorded and no connection carries
perfkit's recorder; the ORM hooks, once installed, pass straight through.
"""

from __future__ import annotations

from perfkit.capture.call_site import CallSite
from perfkit.capture.records import CapturedQuery, EagerLoad, RelationLoad
from perfkit.capture.scope import Capture, capture_queries, current_capture, excluded
from perfkit.capture.sql_fingerprint import fingerprint

__all__ = [
    "CallSite",
    "Capture",
    "CapturedQuery",
    "EagerLoad",
    "RelationLoad",
    "capture_queries",
    "current_capture",
    "excluded",
    "fingerprint",
]
