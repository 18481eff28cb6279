"""What a cursor value must be for each ordering term: the Python type its field's column
reads back as, within what the database can compare it with.

A signed cursor cannot be edited, but one signed with the project's key can still hold
anything (a forged one, or one from a release with other orderings). Checking each value
against its term's field turns what would be a database error into an invalid cursor: a
text where the pk is an integer, Decimal NaN, ``1e999999``, a NUL byte, an integer past
the column's range, an aware time on SQLite.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from perfkit.pagination.errors import UnsupportedOrderingType
from perfkit.pagination.tokens import InvalidCursor

INTEGER_TYPES = frozenset(
    {
        *("AutoField", "BigAutoField", "SmallAutoField"),
        *("IntegerField", "BigIntegerField", "SmallIntegerField"),
        *("PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"),
    }
)
TEXT_TYPES = frozenset(
    {"CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField"}
)
OTHER_TYPES = {
    "FloatField": "float",
    "DecimalField": "decimal",
    "BooleanField": "boolean",
    "DateTimeField": "datetime",
    "DateField": "date",
    "TimeField": "time",
    "DurationField": "duration",
    "UUIDField": "uuid",
    "GenericIPAddressField": "ip",
    "IPAddressField": "ip",
}
INT64 = (-(2**63), 2**63 - 1)
# What PostgreSQL's numeric type holds: digits before and after the decimal point.
NUMERIC_WHOLE_DIGITS, NUMERIC_FRACTION_DIGITS = 131_072, 16_383


@dataclass(frozen=True)
class ValueKind:
    """The values one ordering term holds. ``bounds`` limits integers (the column's
    range), ``digits`` decimals (``max_digits``, ``decimal_places``), ``aware`` says
    whether datetimes carry a time zone (``USE_TZ``)."""

    kind: str
    nullable: bool
    bounds: tuple[int, int] = INT64
    digits: tuple[int, int] | None = None
    aware: bool = True

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        try:
            return bool(_ACCEPTS[self.kind](self, value))
        except (ArithmeticError, ValueError, TypeError):  # e.g. OverflowError, InvalidOperation
            return False

    def check(self, value: Any, label: str) -> Any:
        """``value`` if it suits this term, else :class:`InvalidCursor`."""
        if not self.accepts(value):
            raise InvalidCursor(f"the cursor holds a value that does not suit {label!r}")
        return value


def value_kind(
    field: Field[Any, Any],
    nullable: bool,
    connection: BaseDatabaseWrapper,
    computed: bool,
    label: str,
) -> ValueKind:
    """The kind of value of a term whose values are ``field``'s (for an annotation:
    its output field, ``computed``). Unsupported types raise
    :class:`UnsupportedOrderingType`."""
    internal = field.get_internal_type()
    if internal in INTEGER_TYPES:
        # A computed integer may pass its output field's range (PostgreSQL's SUM of an
        # integer is a bigint): only the 64 bits every driver binds.
        low, high = INT64 if computed else connection.ops.integer_field_range(internal)
        bounds = (max(INT64[0], low), min(INT64[1], high))
        return ValueKind("integer", nullable, bounds=bounds)
    if internal in TEXT_TYPES:
        return ValueKind("text", nullable)
    kind = OTHER_TYPES.get(internal)
    if kind is None:
        raise UnsupportedOrderingType(
            f"Cannot page by {label!r}: a cursor cannot hold the values of a "
            f"{internal} (supported: numbers, text, booleans, dates, times, durations, "
            "UUIDs and IP addresses)."
        )
    digits = None
    if kind == "decimal" and not computed:
        max_digits = getattr(field, "max_digits", None)
        places = getattr(field, "decimal_places", None)
        if max_digits is not None and places is not None:
            digits = (int(max_digits), int(places))
    return ValueKind(kind, nullable, digits=digits, aware=bool(settings.USE_TZ))


def _integer(kind: ValueKind, value: Any) -> bool:
    return type(value) is int and kind.bounds[0] <= value <= kind.bounds[1]


def _float(kind: ValueKind, value: Any) -> bool:
    if type(value) not in (int, float):
        return False
    float(value)  # OverflowError past a float's range
    return True


def _decimal(kind: ValueKind, value: Any) -> bool:
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        return False
    exponent = int(value.as_tuple().exponent)
    whole_digits = value.adjusted() + 1
    if kind.digits is not None:
        max_digits, places = kind.digits
        return -exponent <= places and whole_digits <= max_digits - places
    return -exponent <= NUMERIC_FRACTION_DIGITS and whole_digits <= NUMERIC_WHOLE_DIGITS


def _text(kind: ValueKind, value: Any) -> bool:
    # PostgreSQL refuses NUL in text; lone surrogates cannot be encoded for any driver.
    if not isinstance(value, str) or "\x00" in value:
        return False
    value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return True


def _ip(kind: ValueKind, value: Any) -> bool:
    # PostgreSQL compares an inet column: the text must parse as an address.
    return _text(kind, value) and ipaddress.ip_address(value) is not None


def _datetime(kind: ValueKind, value: Any) -> bool:
    if not isinstance(value, datetime.datetime):
        return False
    if value.utcoffset() is None:
        return not kind.aware
    value.astimezone(datetime.UTC)  # OverflowError past year 1 or 9999 (SQLite converts)
    return kind.aware


def _date(kind: ValueKind, value: Any) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _time(kind: ValueKind, value: Any) -> bool:
    return isinstance(value, datetime.time) and value.tzinfo is None  # Django's times are naive


def _duration(kind: ValueKind, value: Any) -> bool:
    if not isinstance(value, datetime.timedelta):
        return False
    microseconds = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return INT64[0] <= microseconds <= INT64[1]  # SQLite stores microseconds in a bigint


_ACCEPTS: dict[str, Callable[[ValueKind, Any], bool]] = {
    "integer": _integer,
    "float": _float,
    "decimal": _decimal,
    "text": _text,
    "ip": _ip,
    "uuid": lambda kind, value: isinstance(value, uuid.UUID),
    "boolean": lambda kind, value: type(value) is bool,
    "datetime": _datetime,
    "date": _date,
    "time": _time,
    "duration": _duration,
}
