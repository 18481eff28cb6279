"""The active capture (a ContextVar) and the per-thread state of an ORM call in progress."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfkit.capture.records import RelationLoad
    from perfkit.capture.scope import Capture

active_capture: ContextVar[Capture | None] = ContextVar("perfkit_capture", default=None)


class LoadingState(threading.local):
    """Set around a lazy relation load so the query it runs is attributed to it."""

    loading: RelationLoad | None = None
    in_prefetch: int = 0


loading_state = LoadingState()
