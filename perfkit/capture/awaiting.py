"""The coroutine line that awaited a query the ORM ran in a worker thread.

Async ORM calls (``aget()``, ``async for``) run the query through asgiref's
``sync_to_async``: in a worker thread whose stack starts at ``thread_handler`` and holds
no frame of the code that awaited. That code is a suspended coroutine of some asyncio
task, parked in ``SyncToAsync.__call__`` on the very ``SyncToAsync`` instance whose
``thread_handler`` runs the query (its ``self``). The task is found by that match: first
the scope's own task, then any task of the handler's event loop (an async view served
over WSGI runs in a loop of its own; ``asyncio.run()`` inside a scope makes one; a
``gather()`` runs the query in a child task).

The worker can start before the awaiting task has parked (the task's step is still
running between handing the call to the executor and ``await``); its chain of awaits is
then incomplete. The worker waits for the task to park, briefly and only then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from asgiref.sync import SyncToAsync

_AWAIT_CALL = SyncToAsync.__call__.__code__
_PARK_WAIT_SECONDS = 0.05
_MAX_AWAIT_DEPTH = 200  # a chain of awaits is never this deep; guards against cycles


def awaiting_frame(
    hop: FrameType | None,
    task: Any,
    is_user: Callable[[FrameType], bool],
    boundary: FrameType | None,
) -> FrameType | None:
    """The innermost project frame of the coroutine awaiting the worker whose
    ``thread_handler`` frame is ``hop``; with no ``hop``, that of ``task``'s chain."""
    if hop is None:
        return _chain(task, None, is_user, boundary)[1] if task is not None else None
    scope = hop.f_locals
    handler, loop = scope.get("self"), scope.get("loop")
    deadline: float | None = None
    while True:
        for candidate in _candidates(task, loop):
            matched, frame = _chain(candidate, handler, is_user, boundary)
            if matched:
                return frame
        if loop is not None and _current_task(loop) is not None:
            # A task is mid-step: the one that awaits this call may not have parked yet.
            now = time.monotonic()
            deadline = deadline or now + _PARK_WAIT_SECONDS
            if now < deadline:
                time.sleep(0.0001)
                continue
        # No task awaits this call (a future handed to the executor without await):
        # the scope's own task's line is the best there is.
        return _chain(task, None, is_user, boundary)[1] if task is not None else None


def _candidates(task: Any, loop: Any) -> Iterable[Any]:
    if task is not None:
        yield task
    if loop is None:
        return
    try:
        others = asyncio.all_tasks(loop)
    except Exception:  # a closed or foreign loop: nothing else to search
        return
    yield from (other for other in others if other is not task)


def _current_task(loop: Any) -> Any:
    try:
        return asyncio.current_task(loop)
    except Exception:
        return None


def _chain(
    task: Any, handler: Any, is_user: Callable[[FrameType], bool], boundary: FrameType | None
) -> tuple[bool, FrameType | None]:
    """Walk ``task``'s chain of awaits: whether it ends in ``SyncToAsync.__call__`` of
    ``handler`` (always True without a handler), and its innermost project frame inside
    the scope (frames awaited from outside ``boundary`` do not count)."""
    try:
        awaitable = task.get_coro()
    except Exception:  # a finished or foreign task: nothing to read
        return False, None
    found: FrameType | None = None
    for _ in range(_MAX_AWAIT_DEPTH):
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            break
        if frame is boundary:
            found = None
        elif frame.f_code is _AWAIT_CALL:
            if handler is not None and frame.f_locals.get("self") is handler:
                return True, found
        elif is_user(frame):
            found = frame
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
        if awaitable is None:
            break
    return handler is None, found
