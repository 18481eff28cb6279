"""The cursor token: a position in an ordering, typed, versioned, signed and URL-safe.

A token holds the ordering values of one row (the last of a page going forward, the
first going backward), whether to walk backward, and a digest of what it was made for:
the model and the ordering (a :class:`Binding`). An empty position means "from the far
end": walking backward from it gives the last page. It is signed with
:mod:`django.core.signing` (so it cannot be forged or edited) and URL-safe. Values keep
their types: aware datetimes with their offset and microseconds, dates, times,
durations, Decimal, UUID. Whether a value suits its term's field is checked apart
(:mod:`perfkit.pagination.term_values`).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core import signing

VERSION = 2  # 2: bound to the model as well as the ordering
SALT = "perfkit.pagination.cursor"


class InvalidCursor(ValueError):
    """The token is not one this paginator made for this ordering."""


@dataclass(frozen=True)
class Position:
    """The ordering values of a row, or ``()``: from the far end of the ordering."""

    values: tuple[Any, ...]
    reverse: bool


@dataclass(frozen=True)
class Binding:
    """What a cursor is valid for: the model it pages (``app_label.model``) and the
    labels of its ordering terms. A cursor made for another binding is refused."""

    model: str
    ordering: tuple[str, ...]

    def digest(self) -> str:
        text = "|".join((self.model, *self.ordering))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode(position: Position, binding: Binding) -> str:
    payload = {
        "v": VERSION,
        "o": binding.digest(),
        "r": int(position.reverse),
        "p": [_pack(value) for value in position.values],
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def decode(token: str, binding: Binding) -> Position:
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor("the cursor is malformed or was tampered with") from error
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise InvalidCursor("the cursor is from another version")
    if payload.get("o") != binding.digest():
        raise InvalidCursor("the cursor was made for another view or ordering")
    values = payload.get("p")
    if not isinstance(values, list) or len(values) not in (0, len(binding.ordering)):
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
    if isinstance(value, datetime.timedelta):
        return {"td": str(_microseconds(value))}
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


_UNPACKERS: dict[str, Any] = {
    "f": float,
    "dt": datetime.datetime.fromisoformat,
    "d": datetime.date.fromisoformat,
    "t": datetime.time.fromisoformat,
    "dec": decimal.Decimal,
    "uuid": uuid.UUID,
    "td": lambda text: datetime.timedelta(microseconds=int(text)),
}


def _microseconds(value: datetime.timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def _unpack(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        [(kind, text)] = value.items()
        unpack = _UNPACKERS.get(kind)
        if unpack is not None and isinstance(text, str):
            try:
                return unpack(text)
            except (ValueError, OverflowError, decimal.InvalidOperation) as error:
                raise InvalidCursor("the cursor holds a malformed value") from error
    raise InvalidCursor("the cursor holds a value of an unknown type")
