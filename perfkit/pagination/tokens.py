"""The cursor token: a position in an ordering, typed, versioned, signed and URL-safe.

A token holds the ordering values of one row (the last of a page going forward, the
first going backward), whether to walk backward, and a digest of the ordering it was
made for. It is signed with :mod:`django.core.signing` (so it cannot be forged or
edited) and URL-safe. Values keep their types: aware datetimes with their offset and
microseconds, dates, times, Decimal, UUID.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core import signing

VERSION = 1
SALT = "perfkit.pagination.cursor"


class InvalidCursor(ValueError):
    """The token is not one this paginator made for this ordering."""


@dataclass(frozen=True)
class Position:
    values: tuple[Any, ...]
    reverse: bool


def ordering_digest(ordering: tuple[str, ...]) -> str:
    """A short digest binding a token to the ordering it was made for."""
    return hashlib.sha256("|".join(ordering).encode()).hexdigest()[:12]


def encode(position: Position, ordering: tuple[str, ...]) -> str:
    payload = {
        "v": VERSION,
        "o": ordering_digest(ordering),
        "r": int(position.reverse),
        "p": [_pack(value) for value in position.values],
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def decode(token: str, ordering: tuple[str, ...]) -> Position:
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor("the cursor is malformed or was tampered with") from error
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise InvalidCursor("the cursor is from another version")
    if payload.get("o") != ordering_digest(ordering):
        raise InvalidCursor("the cursor was made for another ordering")
    values = payload.get("p")
    if not isinstance(values, list) or len(values) != len(ordering):
        raise InvalidCursor("the cursor does not match the ordering")
    return Position(tuple(_unpack(value) for value in values), bool(payload.get("r")))


def _pack(value: Any) -> Any:
    # Order matters: datetime is a date subclass, bool an int subclass.
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"t": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": value.hex}
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


_UNPACKERS: dict[str, Any] = {
    "f": float,
    "dt": datetime.datetime.fromisoformat,
    "d": datetime.date.fromisoformat,
    "t": datetime.time.fromisoformat,
    "dec": decimal.Decimal,
    "uuid": uuid.UUID,
}


def _unpack(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        [(kind, text)] = value.items()
        unpack = _UNPACKERS.get(kind)
        if unpack is not None and isinstance(text, str):
            try:
                return unpack(text)
            except (ValueError, decimal.InvalidOperation) as error:
                raise InvalidCursor("the cursor holds a malformed value") from error
    raise InvalidCursor("the cursor holds a value of an unknown type")
