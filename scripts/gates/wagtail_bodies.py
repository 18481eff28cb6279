"""Masking the parts of a response body that differ between two identical requests."""

from __future__ import annotations

import re

MASKS: list[tuple[re.Pattern[bytes], bytes]] = [
    # Django's CSRF token is re-masked with fresh random characters on every render.
    (re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])"), b"<csrf-token>"),
    # The StreamField editor gives each new, empty block a fresh uuid4.
    (
        re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        b"<uuid4>",
    ),
    # Draftail's rich text JSON: each block gets a random five-character key.
    (re.compile(rb"(key\\?&quot;: \\?&quot;)[a-z0-9]{5}"), rb"\1<key>"),
    # The site-history report unions its log models in the order of a set of classes
    # (ordered by id(), so not by PYTHONHASHSEED); its count names whichever came first.
    (re.compile(rb"(\d+) (page|model) log entries"), rb"\1 <page-or-model> log entries"),
]


def mask_body(body: bytes) -> bytes:
    for pattern, replacement in MASKS:
        body = pattern.sub(replacement, body)
    return body
