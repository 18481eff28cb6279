"""Query fingerprints: one normalised text for every run of the "same" query.

Placeholders and literals become ``?``, whitespace collapses, and lists of any length
fold to one element (``IN (?, ?, ?)`` → ``IN (?)``, multi-row ``VALUES`` → one row), so a
loop that runs ``WHERE id IN (...)`` with different list lengths still groups together.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlparse import lexer
from sqlparse import tokens as T

from perfkit.text_cache import kept_for_short_texts

_FOLD_IN = re.compile(r"\bIN \(\?(?:, \?)*\)", re.IGNORECASE)
_FOLD_ROWS = re.compile(r"(\(\?(?:, \?)*\))(?:, \1)+")
_SPACES = re.compile(r"\s+")
_TIGHT_BEFORE = re.compile(r"\s+([,)])")
_TIGHT_AFTER = re.compile(r"\(\s+")
_FIRST_WORD = re.compile(r"[ \t\r\n(]*\s*(\S+)")


@lru_cache(maxsize=4096)
def fingerprint(sql: str) -> str:
    """The normalised form of ``sql``: literals and placeholders as ``?``, lists folded."""
    parts: list[str] = []
    for token_type, value in lexer.tokenize(sql):  # type: ignore[no-untyped-call]
        if token_type in T.Whitespace or token_type in T.Comment:
            parts.append(" ")
        elif token_type in T.Literal.String.Symbol or token_type in T.Name:
            # Quoted identifiers ("school_class"."id") are names, not literals.
            parts.append("?" if token_type in T.Name.Placeholder else value)
        elif token_type in T.Literal:
            parts.append("?")
        elif token_type in T.Keyword:
            parts.append(value.upper())
        else:
            parts.append(value)
    text = _SPACES.sub(" ", "".join(parts)).strip()
    text = _TIGHT_BEFORE.sub(r"\1", text)
    text = _TIGHT_AFTER.sub("(", text)
    text = text.replace(",", ", ").replace(",  ", ", ")
    text = _FOLD_IN.sub("IN (?)", text)
    return _FOLD_ROWS.sub(r"\1", text)


@kept_for_short_texts(maxsize=1024)  # analyses ask it of every query, again and again
def statement_kind(sql: str) -> str:
    """The first keyword of ``sql`` in upper case (``SELECT``, ``INSERT``, …): its first
    word past any opening parentheses (read without copying the rest of ``sql``)."""
    first = _FIRST_WORD.match(sql)
    return first.group(1).upper() if first else ""
