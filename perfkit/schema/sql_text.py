"""SQL text normalised for comparison, and literals removed for display.

The database prints an index expression or predicate its own way (PostgreSQL:
``lower((name)::text)``, ``(status)::text = ANY (ARRAY[...])``); Django writes the same
thing as ``LOWER("name")`` or ``"status" IN (...)``. :func:`normalised` maps both to one
text: identifiers unquoted and lower-cased, type casts dropped, grouping parentheses
dropped (function-call parentheses kept), ``= ANY (ARRAY[…])`` as ``IN (…)`` and
``~~`` as ``LIKE``. String literals keep their case.

:func:`without_literals` replaces every string and number literal by ``?``: what leaves
the plan reader for display.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A quoted string (with '' escapes, optionally E'…'), or anything else up to the next quote.
_STRING = re.compile(r"[Ee]?'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_MULTIWORD_TYPES = (
    "character varying",
    "double precision",
    "bit varying",
    "timestamp with time zone",
    "timestamp without time zone",
    "time with time zone",
    "time without time zone",
)
_CAST = re.compile(
    r"::\s*(?:"
    + "|".join(re.escape(name) for name in _MULTIWORD_TYPES)
    + r'|"[^"]+"|[a-z_][a-z0-9_.]*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*',
    re.IGNORECASE,
)
_ANY = re.compile(r"=\s*any\s*\(", re.IGNORECASE)
_ARRAY = re.compile(r"^[\s(]*array\s*\[(.*)\][\s)]*$", re.IGNORECASE | re.DOTALL)
_OPERATORS = (
    (" !~~* ", " not ilike "),
    (" ~~* ", " ilike "),
    (" !~~ ", " not like "),
    (" ~~ ", " like "),
)


def _split_literals(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is_literal, piece) runs."""
    pieces: list[tuple[bool, str]] = []
    position = 0
    for match in _STRING.finditer(text):
        if match.start() > position:
            pieces.append((False, text[position : match.start()]))
        pieces.append((True, match.group()))
        position = match.end()
    if position < len(text):
        pieces.append((False, text[position:]))
    return pieces


def _drop_grouping_parentheses(text: str) -> str:
    """Remove every pair of parentheses that does not follow a name (a function call)."""
    dropped: set[int] = set()
    stack: list[tuple[int, bool]] = []
    for position, char in enumerate(text):
        if char == "(":
            before = text[:position].rstrip()
            call = bool(before) and (before[-1].isalnum() or before[-1] in '_"]')
            # Keywords followed by a list are not calls: "in (…)", "array[…]" keep their own.
            if call and re.search(r"\b(in|and|or|not|is|when|then|else)\s*$", before):
                call = False
            stack.append((position, call))
        elif char == ")" and stack:
            start, call = stack.pop()
            if not call:
                dropped.update((start, position))
    return "".join(char for position, char in enumerate(text) if position not in dropped)


def _any_array_as_in(text: str) -> str:
    """``x = ANY (ARRAY[a, b])`` (PostgreSQL's form of an IN list) as ``x in (a, b)``."""
    match = _ANY.search(text)
    while match is not None:
        depth, end = 1, match.end()
        while end < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        inner = _ARRAY.match(text[match.end() : end - 1])
        if inner is None:
            match = _ANY.search(text, match.end())
            continue
        replacement = f" in ({inner.group(1)})"
        text = text[: match.start()] + replacement + text[end:]
        match = _ANY.search(text, match.start() + len(replacement))
    return text


@lru_cache(maxsize=4096)
def normalised(text: str) -> str:
    """One comparable text for an SQL expression or predicate (see the module docstring)."""
    pieces: list[str] = []
    for is_literal, piece in _split_literals(text):
        if is_literal:
            pieces.append(piece[1:] if piece[0] in "Ee" else piece)
            continue
        piece = _CAST.sub("", piece).replace('"', "").lower()
        pieces.append(piece)
    joined = "".join(pieces)
    # Casts can follow a literal: "'x'::text" was split into "'x'" and "::text".
    joined = _CAST.sub("", joined)
    joined = _any_array_as_in(joined)
    joined = f" {' '.join(joined.split())} "
    for operator, word in _OPERATORS:
        joined = joined.replace(operator, word)
    joined = _drop_grouping_parentheses(joined)
    joined = " ".join(joined.split())
    joined = re.sub(r"\(\s+", "(", joined)
    joined = re.sub(r"\s+\)", ")", joined)
    return re.sub(r"\s*,\s*", ", ", joined)


def without_literals(text: str) -> str:
    """``text`` with every string and number literal replaced by ``?``."""
    return "".join(
        "?" if is_literal else _NUMBER.sub("?", piece)
        for is_literal, piece in _split_literals(text)
    )
