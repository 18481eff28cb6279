"""Signals perfkit sends.

``finding_detected``: sent once per finding (after the allowlist) when a detection scope
ends, by ``perfkit.detect()`` (and so the pytest plugin), the middleware, and the
debug-toolbar panel for a request the middleware does not observe. Keyword arguments:
``finding`` (a :class:`perfkit.Finding`) and ``request`` (the ``HttpRequest`` in the
middleware and the panel, else None). The sender is :class:`perfkit.Finding` unless the
caller names another one.

Receivers are called with ``send_robust``: one that raises is logged (once per process,
with its traceback, on the ``perfkit`` logger) and the others still get the finding.
Under ASGI the middleware calls them from a thread (``sync_to_async``), never on the
event loop, so a receiver may use the ORM.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

from perfkit.capture.errors import log_error

finding_detected = Signal()

# Requests whose findings the middleware signals: the toolbar panel, which sees the same
# request, leaves them alone so that each finding is signalled once.
_observed_by_middleware: weakref.WeakSet[Any] = weakref.WeakSet()


def send_findings(findings: Iterable[Any], *, sender: Any = None, request: Any = None) -> None:
    """Send ``finding_detected`` for each finding; a failing receiver is logged, not raised."""
    for finding in findings:
        responses = finding_detected.send_robust(
            sender=sender or type(finding), finding=finding, request=request
        )
        for receiver, response in responses:
            if isinstance(response, BaseException):
                name = getattr(receiver, "__qualname__", repr(receiver))
                log_error(response, f"the finding_detected receiver {name} raised")


def mark_observed_by_middleware(request: Any) -> None:
    _observed_by_middleware.add(request)


def observed_by_middleware(request: Any) -> bool:
    try:
        return request in _observed_by_middleware
    except TypeError:  # not weakly referenceable: never added
        return False
