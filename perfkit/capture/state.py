"""The active capture (a ContextVar) and the per-thread state of an ORM call in progress."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfkit.capture.call_site import CallSite
    from perfkit.capture.records import RelationLoad
    from perfkit.capture.scope import Capture

active_capture: ContextVar[Capture | None] = ContextVar("perfkit_capture", default=None)


class LoadingState(threading.local):
    """Set around a lazy relation load so the query it runs is attributed to it.

    ``frame`` is the frame that asked for the rows (read the relation, iterated the
    queryset), while the ORM works for it: a query's call site is searched from there,
    not from the ORM's innermost frame, which saves walking a dozen frames a query.
    """

    loading: RelationLoad | None = None
    in_prefetch: int = 0
    frame: FrameType | None = None
    last_site: CallSite | None = None  # of the last query recorded in this thread


loading_state = LoadingState()
