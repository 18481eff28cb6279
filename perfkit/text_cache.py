"""A cache for a function of one SQL text that keeps short texts only.

Functions like ``statement_kind`` are asked about the same SQL again and again (every
query of an N+1 runs the same text), so their answers are worth keeping; but a bulk
INSERT's SQL runs to tens of kB, and a thousand of those kept would be tens of MB. Texts
longer than :data:`KEPT_TEXT_LENGTH` are answered afresh each time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")

KEPT_TEXT_LENGTH = 2_000


def kept_for_short_texts(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Decorate ``function(text)``: its answers for texts of at most
    :data:`KEPT_TEXT_LENGTH` characters are kept (the last ``maxsize`` of them)."""

    def decorate(function: Callable[[str], T]) -> Callable[[str], T]:
        kept = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def answer(text: str) -> T:
            return function(text) if len(text) > KEPT_TEXT_LENGTH else kept(text)

        answer.kept = kept  # type: ignore[attr-defined]  # (its cache_info(), for tests)
        return answer

    return decorate
