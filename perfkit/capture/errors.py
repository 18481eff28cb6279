"""perfkit's own errors, each logged once per process.

perfkit never lets an error of its own reach the code it observes: the ORM hooks and the
recorder keep theirs in ``Capture.errors``, and every entry point (``perfkit.detect()``,
the middleware, the pytest plugin, the toolbar panel) carries on without perfkit when a
step of its own fails. So that such a bug is still seen, and seen with what caused it,
each distinct error (what perfkit was doing, the exception's type, and the line that
raised it) is logged once per process on the ``perfkit`` logger at ERROR level, with its
traceback. Repeats go to DEBUG, so a bug hit on every request does not flood the log.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("perfkit")

_MAX_REMEMBERED = 512  # distinct errors remembered; past it, repeats are logged again
_logged: set[tuple[str, str, str, int]] = set()


def log_error(error: BaseException, doing: str) -> None:
    """Log ``error``, raised inside perfkit while ``doing``, unless it was logged before."""
    key = (doing, type(error).__qualname__, *_raised_at(error))
    if key in _logged:
        logger.debug("perfkit: %s: %s (again)", doing, type(error).__name__)
        return
    if len(_logged) < _MAX_REMEMBERED:
        _logged.add(key)
    logger.error(
        "perfkit: %s: %s (perfkit carried on without it; logged once per process)",
        doing,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__),
    )


def forget_logged_errors() -> None:
    """Log every error again from now on (for tests)."""
    _logged.clear()


def _raised_at(error: BaseException) -> tuple[str, int]:
    traceback = error.__traceback__
    if traceback is None:
        return "", 0
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback.tb_frame.f_code.co_filename, traceback.tb_lineno
