"""Capture scopes: record every query run in the current context while one is active.

A :class:`Capture` installs a recorder with ``connection.execute_wrappers`` on every
connection this thread already has (and on connections opened, or first used by the
ORM, while any capture is active) and the ORM observers of :mod:`perfkit.capture.orm`.
It never creates a connection: an alias the code did not use stays uninitialised. The
recorder is removed when the last capture ends, also when the code inside raised; the
ORM observers stay, passing straight through while no capture runs. Which capture a
query belongs to comes from a ContextVar, so threads and asyncio tasks never see each
other's queries.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import FrameType, TracebackType
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from perfkit.capture import orm
from perfkit.capture.call_site import (
    UNKNOWN_SITE,
    CallSite,
    CallSiteResolver,
    current_task,
    resolver_for,
)
from perfkit.capture.errors import log_error
from perfkit.capture.records import CapturedQuery, EagerLoad, new_captured_query
from perfkit.capture.row_batches import settle_for_detection
from perfkit.capture.state import active_capture, loading_state

_RESUMABLE = (
    inspect.CO_GENERATOR
    | inspect.CO_COROUTINE
    | inspect.CO_ASYNC_GENERATOR
    | inspect.CO_ITERABLE_COROUTINE
)


_NO_EXCLUDES = resolver_for(())


class Capture:
    """The queries (and eager loads) run in one scope.

    Use it as a context manager; ``queries`` fills while the scope is open and stays
    readable afterwards. Captures nest: a query is recorded by the innermost capture and
    every capture around it. ``boundary``, when given, is the frame that opened the scope
    (the middleware's): frames outside it are never a query's call site. ``errors``
    holds exceptions raised inside perfkit's own bookkeeping (they never reach the code
    being observed; each distinct one is logged once per process when the scope ends).
    """

    # Where a scope starts (class attributes: a request opens a scope, and each value
    # set in __init__ costs it; an instance sets its own when it changes one).
    parent: Capture | None = None
    task: Any = None
    fallback_site: CallSite | None = None
    resolver: CallSiteResolver = _NO_EXCLUDES
    slowest_ms = 0.0  # the longest of ``queries``: detection asks it first
    pending_rows = 0
    marks_now = False  # a relation was loaded: rows are marked as they come
    # Where the last query from a project frame came from, (id(code), line); from its
    # second query, the frame itself, with its site (see site_of).
    last_place: tuple[int, int] = (0, -1)
    sited_frame: FrameType | None = None
    sited_line = -1
    sited: CallSite = UNKNOWN_SITE
    active = False
    _token: Any = None

    def __init__(
        self,
        *,
        call_site_exclude: tuple[str, ...] | None = None,
        boundary: FrameType | None = None,
    ) -> None:
        self.call_site_exclude = call_site_exclude
        self.boundary = boundary
        self.queries: list[CapturedQuery] = []
        self.eager_loads: list[EagerLoad] = []
        self.errors: list[BaseException] = []
        # Rows waiting to be marked with their batch (perfkit.capture.row_batches).
        self.pending: list[Any] = []
        self.pending_steps: dict[Any, Any] = {}
        # descriptor -> the model whose reads through it have nothing left to note.
        self.reads_noted: dict[Any, type] = {}

    # -- the scope --------------------------------------------------------------------
    def __enter__(self) -> Capture:
        if self.active:
            raise RuntimeError("a Capture cannot be entered twice")
        exclude = self.call_site_exclude
        if exclude is None:
            from perfkit.conf import perfkit_settings

            exclude = self.call_site_exclude = perfkit_settings.CALL_SITE_EXCLUDE
        if exclude:
            self.resolver = resolver_for(tuple(exclude))
        self.parent = active_capture.get()
        in_event_loop = asyncio.events._get_running_loop() is not None
        if in_event_loop:
            self.task = current_task()
        _activate(in_event_loop)
        self.active = True
        self._token = active_capture.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the scope (idempotent)."""
        if not self.active:
            return
        self.active = False
        # The boundary frame holds (through its locals) whoever holds this capture: let
        # go of it so the request's frames are freed now, not by the cycle collector.
        self.boundary = self.sited_frame = None
        try:
            settle_for_detection(self)
        except Exception as settling_failed:
            self.fail(settling_failed)
        try:
            self.suspend()
        finally:
            _deactivate()
        for error in self.errors:
            log_error(error, "error while observing queries")

    def suspend(self) -> None:
        """Stop being this context's capture, but stay installed: the scope goes on
        elsewhere (a streaming response's chunks, see :mod:`perfkit.capture.streams`)
        until it is closed."""
        token, self._token = self._token, None
        if token is None:
            return
        try:
            active_capture.reset(token)
        except ValueError:  # left in another context than the one it was entered in
            active_capture.set(self.parent)

    # -- what was captured -------------------------------------------------------------
    @property
    def query_count(self) -> int:
        return len(self.queries)

    @property
    def total_ms(self) -> float:
        return sum(query.duration_ms for query in self.queries)

    # -- recording (called from the hooks) ---------------------------------------------
    def record(self, query: CapturedQuery) -> None:
        capture: Capture | None = self
        duration = query.duration_ms
        while capture is not None:
            capture.queries.append(query)
            if duration > capture.slowest_ms:
                capture.slowest_ms = duration
            capture = capture.parent

    def add_eager_load(self, load: EagerLoad) -> None:
        capture: Capture | None = self
        while capture is not None:
            capture.eager_loads.append(load)
            capture = capture.parent

    def call_site(self) -> CallSite:
        """The user's call site of the code running now."""
        try:
            return self.site_of(loading_state.frame or sys._getframe(1))
        except Exception as error:
            self.fail(error)
            return UNKNOWN_SITE

    def site_of(self, frame: FrameType) -> CallSite:
        """The call site of a stack whose innermost frame is ``frame``.

        The queries of a loop (an N+1) start from one frame at one line: from the second
        such query on, that frame is kept with its site, and the next queries
        from it skip the walk. Not from the first: a frame object held when its function
        returns is copied out, and so, one by one, is every caller it returns to (a
        whole request's stack for a view's frame), which costs a request that queries
        once from each line more than its walks. Only a project frame is kept (holding
        a Django frame copies its callers at every query), never a generator's or a
        coroutine's (resumed, it may have other callers), and never by a closed capture.
        """
        if frame is self.sited_frame and frame.f_lineno == self.sited_line:
            return self.sited
        site = self.resolver.resolve(frame, self.task, self.boundary)
        if self.active and self.resolver.is_user(frame) and not frame.f_code.co_flags & _RESUMABLE:
            place = (id(frame.f_code), frame.f_lineno)
            if place == self.last_place:
                self.sited_frame, self.sited_line, self.sited = frame, place[1], site
            self.last_place = place
        return site

    def fail(self, error: BaseException) -> None:
        """Note an error inside perfkit; the observed code carries on unaffected."""
        if len(self.errors) < 100:
            self.errors.append(error)


def capture_queries(*, call_site_exclude: tuple[str, ...] | None = None) -> Capture:
    """A new :class:`Capture` to use as ``with capture_queries() as captured:``."""
    return Capture(call_site_exclude=call_site_exclude)


def current_capture() -> Capture | None:
    """The innermost active capture of this context, or None."""
    return active_capture.get()


@contextmanager
def excluded() -> Iterator[None]:
    """Run a block whose queries no capture records (e.g. a debug toolbar's own queries)."""
    token = active_capture.set(None)
    try:
        yield
    finally:
        active_capture.reset(token)


# -- the recorder on every connection ---------------------------------------------------
def record_query(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """The ``execute_wrapper`` perfkit installs: a ContextVar read when no scope is active."""
    capture = active_capture.get()
    if capture is None:
        return execute(sql, params, many, context)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            state = loading_state
            frame = state.frame or sys._getframe(1)
            site = capture.site_of(frame)
            state.last_site = site
            capture.record(
                new_captured_query(
                    sql,
                    params,
                    many,
                    elapsed_ms,
                    context["connection"].alias,
                    site,
                    state.loading,
                )
            )
        except Exception as error:
            capture.fail(error)


_lock = threading.Lock()
_active_scopes = 0
# The connections given the recorder since the first scope began: emptied, and each one's
# recorder taken off, when the last scope ends (a plain list is quicker to go through
# than a WeakSet, and holds nothing longer than the scopes do).
_wrapped_connections: list[BaseDatabaseWrapper] = []


def install_recorder(connection: BaseDatabaseWrapper) -> None:
    """Put the recorder on ``connection`` (idempotent)."""
    wrappers = connection.execute_wrappers
    if record_query not in wrappers:
        wrappers.append(record_query)
        _wrapped_connections.append(connection)


class _ThreadConnections(threading.local):
    """The connections of this thread that a scope may have to record: found by the
    thread's first scope (``connections.all(initialized_only=True)``), then added to as
    the thread opens more (``connection_created``). Asking Django's connection handler
    at every scope costs more than the rest of opening one: each alias is two reads of
    an ``asgiref`` ``Local``."""

    known: list[BaseDatabaseWrapper] | None = None


_thread_connections = _ThreadConnections()


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    known = _thread_connections.known
    if (
        known is not None
        and asyncio.events._get_running_loop() is None
        and not any(connection is seen for seen in known)
    ):
        known.append(connection)
    if _active_scopes:
        install_recorder(connection)


@cache
def _listen_for_new_connections() -> None:
    """Connected once and left connected (outside a scope it only remembers the
    connection for its thread): connecting a receiver costs more than a request's whole
    capture."""
    connection_created.connect(_on_connection_created, dispatch_uid="perfkit-capture")


def _activate(in_event_loop: bool) -> None:
    global _active_scopes
    with _lock:
        _active_scopes += 1
        if _active_scopes == 1 and not orm.settled():
            orm.install()
            _listen_for_new_connections()
    # Only the connections this thread already has: creating the others would initialise
    # aliases the host never used (and the code under test may check that it did not).
    # The thread's first scope asks Django; a connection opened after that is added when
    # it connects (connection_created), and the ORM's compiler hook checks each query's
    # connection anyway (orm._execute_sql). In an event loop's thread connections belong
    # to a context, not to the thread: Django is asked every time.
    found: Sequence[BaseDatabaseWrapper] | None
    if in_event_loop:
        found = connections.all(initialized_only=True)
    else:
        found = _thread_connections.known
        if found is None:
            found = _thread_connections.known = list(connections.all(initialized_only=True))
    for connection in found:
        install_recorder(connection)


def _deactivate() -> None:
    global _active_scopes
    with _lock:
        _active_scopes -= 1
        if _active_scopes > 0:
            return
        for connection in _wrapped_connections:
            wrappers = connection.execute_wrappers
            if record_query in wrappers:  # (someone else may have taken it off)
                wrappers.remove(record_query)
        _wrapped_connections.clear()


def scopes_active() -> int:
    """How many captures are active in the process (0: no connection has the recorder)."""
    return _active_scopes
