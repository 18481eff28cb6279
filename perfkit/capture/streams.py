"""A streaming response's chunks, each produced inside the request's (suspended) capture.

A ``StreamingHttpResponse`` runs its iterator after the view returned, while the server
sends the chunks: a CSV export's queries happen then. The middleware suspends its
capture (see :meth:`Capture.suspend`) and wraps the chunks: each step of the iterator
runs with the capture as the context's current one, and ``on_end`` is called once, when
the stream is exhausted, raises, or is closed (servers close every response, see PEP
3333 and Django's ASGI handler). The chunks themselves pass through untouched.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async

from perfkit.capture.scope import Capture
from perfkit.capture.state import active_capture


class _Observed:
    def __init__(self, capture: Capture, on_end: Callable[[], None]) -> None:
        self.capture = capture
        self._on_end: Callable[[], None] | None = on_end

    def close(self) -> None:
        """Called by the response's ``close()``: end the scope if the stream did not."""
        self._end()

    def _end(self) -> None:
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()

    @property
    def ended(self) -> bool:
        return self._on_end is None


class ObservedChunks(_Observed):
    """A synchronous streaming body."""

    def __init__(self, chunks: Iterable[Any], capture: Capture, on_end: Callable[[], None]) -> None:
        super().__init__(capture, on_end)
        self._chunks: Iterator[Any] = iter(chunks)

    def __iter__(self) -> ObservedChunks:
        return self

    def __next__(self) -> Any:
        if self.ended:
            return next(self._chunks)
        token = active_capture.set(self.capture)
        try:
            chunk = next(self._chunks)
        except BaseException:  # StopIteration, or the iterator's own error (re-raised)
            active_capture.reset(token)
            self._end()
            raise
        active_capture.reset(token)
        return chunk


class ObservedAsyncChunks(_Observed):
    """An asynchronous streaming body (no ``__iter__``: Django must see it as async)."""

    def __init__(
        self, chunks: AsyncIterable[Any], capture: Capture, on_end: Callable[[], None]
    ) -> None:
        super().__init__(capture, on_end)
        self._chunks: AsyncIterator[Any] = aiter(chunks)

    def __aiter__(self) -> ObservedAsyncChunks:
        return self

    async def __anext__(self) -> Any:
        if self.ended:
            return await anext(self._chunks)
        token = active_capture.set(self.capture)
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            active_capture.reset(token)
            if not self.ended:
                # Detection and the signal's receivers (which may use the ORM): off the loop.
                await sync_to_async(self._end)()
            raise
        except BaseException:  # the iterator's error, or a cancellation: end right here
            active_capture.reset(token)
            self._end()
            raise
        active_capture.reset(token)
        return chunk
