"""Signals perfkit sends.

``finding_detected``: sent once per finding (after the allowlist) when a detection scope
ends, by ``perfkit.detect()`` and the middleware. Keyword arguments: ``finding`` (a
:class:`perfkit.Finding`) and ``request`` (the ``HttpRequest`` in the middleware, else
None). The sender is :class:`perfkit.Finding` unless the caller names another one.
"""

from __future__ import annotations

from django.dispatch import Signal

finding_detected = Signal()
