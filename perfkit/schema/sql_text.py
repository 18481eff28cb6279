"""SQL text normalised for comparison, and literals removed for display.

The database prints an index expression or predicate its own way (PostgreSQL:
``lower((name)::text)``, ``(status)::text = ANY (ARRAY[...])``, ``a >= '-3'::integer``);
Django writes the same thing as ``LOWER("name")``, ``"status" IN (...)``, ``"a" >= -3``.
:func:`normalised` parses both into one expression tree and prints it back the same way,
with only the parentheses the operators' precedence needs, so two texts normalise equal
exactly when they mean the same expression:

- identifiers unquoted and lower-cased, function names and keywords lower-cased;
- casts to ``text`` and to ``varchar`` without a length dropped (PostgreSQL adds them
  around ``varchar`` columns; they change nothing), other casts kept with one name per
  type (``int4`` and ``integer`` are ``integer``, ``character varying(10)`` is
  ``varchar(10)``, ``timestamp with time zone`` is ``timestamptz``);
- a cast literal folded into a plain one (``'-3'::integer`` is ``-3``; timestamps with
  a time zone in UTC, as Django writes them);
- ``x = ANY (ARRAY[a, b])`` as ``x in (a, b)``, ``~~`` as ``like``, ``x BETWEEN a AND b``
  as ``x >= a and x <= b`` (PostgreSQL stores it so), ``ESCAPE '\\'`` (the default) dropped;
- nested ``and``/``or`` flattened; grouping kept where it changes the meaning.

String literals keep their case. Text the parser does not read (nothing Django writes
for an index) falls back to a textual normalisation: quotes, case and casts dropped,
spaces collapsed.

:func:`without_literals` replaces every string and number literal by ``?``: what leaves
the plan reader for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache

from perfkit.text_cache import kept_for_short_texts

# -- the tokens ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<escaped>[Ee]'(?:[^'\\]|\\.|'')*')
    |(?P<string>'(?:[^']|'')*')
    |(?P<quoted>"(?:[^"]|"")*")
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<cast>::)
    |(?P<punct>[()\[\],.])
    |(?P<operator>[-+*/<>=~!@\#%^&|`?]+)
    """,
    re.VERBOSE,
)
_MULTIWORD_TYPES = {
    ("character", "varying"): "varchar",
    ("double", "precision"): "double precision",
    ("bit", "varying"): "varbit",
    ("timestamp", "with", "time", "zone"): "timestamptz",
    ("timestamp", "without", "time", "zone"): "timestamp",
    ("time", "with", "time", "zone"): "timetz",
    ("time", "without", "time", "zone"): "time",
}
_TYPE_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "decimal": "numeric",
    "character": "char",
    "bpchar": "char",
    "character varying": "varchar",
}
# Casts PostgreSQL inserts around varchar and char columns (binary-compatible relabels).
_NOOP_CASTS = frozenset({"text", "varchar", "char", "name"})
_NUMERIC_TYPES = frozenset({"integer", "bigint", "smallint", "numeric", "real", "double precision"})
_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\Z")
_COMPARISONS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
_PATTERN_OPERATORS = {"~~": "like", "~~*": "ilike", "!~~": "not like", "!~~*": "not ilike"}
_TYPED_LITERAL_TYPES = frozenset({"date", "time", "timestamp", "timestamptz", "interval"})

# Binding powers, weakest first (PostgreSQL's operator precedence).
OR, AND, NOT, IS, COMPARE, PATTERN, OTHER, ADD, MULTIPLY, POWER = (
    10,
    20,
    30,
    40,
    50,
    60,
    70,
    80,
    90,
    100,
)
AT_TIME_ZONE, COLLATE, UNARY, SUBSCRIPT, CAST, ATOM = 110, 120, 130, 140, 150, 1000
_INFIX_POWER = {"+": ADD, "-": ADD, "*": MULTIPLY, "/": MULTIPLY, "%": MULTIPLY, "^": POWER}
_WORD_POWER = {"or": OR, "and": AND, "is": IS, "isnull": IS, "notnull": IS, "collate": COLLATE}
_PATTERN_WORDS = ("in", "like", "ilike", "between", "similar")


class _Unparsable(Exception):
    """The text is not in the subset of SQL the parser reads."""


@dataclass(frozen=True)
class _Token:
    kind: str  # string, quoted, number, word, cast, punct, operator, end
    text: str


_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _standard_string(escaped: str) -> str:
    """The body of ``E'…'`` as the standard-conforming literal PostgreSQL prints."""
    value = re.sub(
        r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), escaped
    ).replace("''", "'")
    return "'" + value.replace("'", "''") + "'"


def _tokens(text: str) -> list[_Token]:
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Unparsable(text[position:])
        position = match.end()
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "space":
            continue
        if kind == "word":
            value = value.lower()
        elif kind == "quoted":  # case-sensitive, unlike a bare word
            value = value[1:-1].replace('""', '"')
        elif kind == "escaped":  # E'…' with backslash escapes, as a standard string
            kind, value = "string", _standard_string(value[2:-1])
        elif (
            kind == "operator"
            and len(value) > 1
            and value[-1] in "+-"
            and not re.search(r"[~!@#%^&|`?]", value)
        ):
            # PostgreSQL: "a>=-3" is ">=" then "-3" (a multi-character operator cannot
            # end in + or - unless it holds one of ~!@#%^&|`?).
            stem = value.rstrip("+-") or value[0]
            position -= len(value) - len(stem)
            value = stem
        found.append(_Token(kind, value))
    found.append(_Token("end", ""))
    return found


# -- the tree: every node prints itself; its power decides the parentheses around it ------


@dataclass(frozen=True)
class _Node:
    text: str
    power: int = ATOM
    literal: bool = False  # a string or number constant (what a cast may fold)


def _wrap(node: _Node, at_least: int) -> str:
    return node.text if node.power >= at_least else f"({node.text})"


def _binary(operator: str, left: _Node, right: _Node, power: int) -> _Node:
    return _Node(f"{_wrap(left, power)} {operator} {_wrap(right, power + 1)}", power)


def _boolean(operator: str, items: list[_Node]) -> _Node:
    power = OR if operator == "or" else AND
    flat: list[str] = []
    for item in items:
        if item.power == power:  # (a and b) and c is a and b and c
            flat.append(item.text)
        else:
            flat.append(_wrap(item, power + 1))
    return _Node(f" {operator} ".join(flat), power)


def _type_name(words: list[str], modifiers: str, arrays: str) -> str:
    name = " ".join(words)
    name = _MULTIWORD_TYPES.get(tuple(words), name)
    name = _TYPE_ALIASES.get(name, name)
    return name + modifiers + arrays


def _folded_literal(value: _Node, type_name: str) -> _Node | None:
    """A literal cast to ``type_name`` as the plain literal it is, or None."""
    if not value.literal:
        return None
    if (
        type_name.endswith("[]")
        or type_name in _NOOP_CASTS
        or type_name.startswith(("varchar", "char", "numeric"))
    ):
        if type_name.startswith("numeric") and value.text.startswith("'"):
            inner = value.text[1:-1]
            return _Node(inner, literal=True) if _NUMBER_TEXT.match(inner) else value
        return value
    if type_name in _NUMERIC_TYPES:
        inner = value.text[1:-1] if value.text.startswith("'") else value.text
        return _Node(inner, literal=True) if _NUMBER_TEXT.match(inner) else value
    if not value.text.startswith("'"):
        return None
    inner = value.text[1:-1]
    try:
        if type_name == "timestamptz":
            moment = datetime.fromisoformat(inner)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
            return _Node(f"'{moment}'", literal=True)
        if type_name == "timestamp":
            return _Node(f"'{datetime.fromisoformat(inner)}'", literal=True)
        if type_name == "date":
            return _Node(f"'{date.fromisoformat(inner)}'", literal=True)
        if type_name == "time":
            return _Node(f"'{time.fromisoformat(inner)}'", literal=True)
    except ValueError:
        return None
    return None


def _cast(value: _Node, type_name: str) -> _Node:
    folded = _folded_literal(value, type_name)
    if folded is not None:
        return folded
    if type_name in _NOOP_CASTS:
        return value
    if value.text.startswith("array[") and type_name.endswith("[]"):
        return value  # ARRAY['a'::varchar, …]::text[]: the element casts are gone already
    return _Node(f"{_wrap(value, CAST)}::{type_name}", CAST)


class _Parser:
    """A Pratt parser for the expressions Django writes in indexes and conditions."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    # -- token helpers --
    @property
    def current(self) -> _Token:
        return self.tokens[self.position]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.current
        self.position += 1
        return token

    def is_word(self, *words: str, offset: int = 0) -> bool:
        token = self.peek(offset) if offset else self.current
        return token.kind == "word" and token.text in words

    def expect(self, text: str) -> None:
        if self.current.text != text or self.current.kind in ("string", "quoted"):
            raise _Unparsable(f"expected {text!r}, found {self.current.text!r}")
        self.advance()

    # -- the grammar --
    def parse(self) -> str:
        node = self.expression(0)
        if self.current.kind != "end":
            raise _Unparsable(f"unexpected {self.current.text!r}")
        return node.text

    def expression(self, minimum: int) -> _Node:
        left = self.prefix()
        while True:
            result = self.infix(left, minimum)
            if result is None:
                return left
            left = result

    def prefix(self) -> _Node:
        token = self.advance()
        if token.kind == "string":
            return _Node(token.text, literal=True)
        if token.kind == "number":
            return _Node(token.text, literal=True)
        if token.kind == "punct" and token.text == "(":
            inner = self.expression(0)
            if self.current.text == ",":
                items = [inner]
                while self.current.text == ",":
                    self.advance()
                    items.append(self.expression(0))
                self.expect(")")
                return _Node(f"row({', '.join(item.text for item in items)})")
            self.expect(")")
            return inner
        if token.kind == "operator" and token.text in ("-", "+"):
            operand = self.expression(UNARY)
            if operand.literal and _NUMBER_TEXT.match(operand.text):
                if token.text == "+":
                    return operand
                negated = operand.text[1:] if operand.text[0] == "-" else f"-{operand.text}"
                return _Node(negated, literal=True)
            return _Node(f"{token.text}{_wrap(operand, UNARY)}", UNARY)
        if token.kind == "quoted":
            return self.name(token.text)
        if token.kind != "word":
            raise _Unparsable(f"unexpected {token.text!r}")
        word = token.text
        if word == "not":
            operand = self.expression(NOT)
            return _Node(f"not {_wrap(operand, NOT)}", NOT)
        if word in ("null", "true", "false"):
            return _Node(word)
        if word == "case":
            return self.case()
        if word == "array" and self.current.text == "[":
            self.advance()
            items = self.items("]")
            return _Node(f"array[{', '.join(item.text for item in items)}]")
        if word == "cast" and self.current.text == "(":
            self.advance()
            value = self.expression(0)
            if not self.is_word("as"):
                raise _Unparsable("CAST without AS")
            self.advance()
            type_name = self.type_name()
            self.expect(")")
            return _cast(value, type_name)
        if word == "extract" and self.current.text == "(":
            self.advance()
            field = self.advance().text.strip("'").lower()
            if not self.is_word("from"):
                raise _Unparsable("EXTRACT without FROM")
            self.advance()
            source = self.expression(0)
            self.expect(")")
            return _Node(f"extract({field} from {source.text})")
        typed = self.typed_literal(word)
        if typed is not None:
            return typed
        return self.name(word)

    def typed_literal(self, word: str) -> _Node | None:
        """``date '2024-01-01'``, ``timestamp with time zone '…'``, ``interval '1 day'``."""
        start = self.position
        words = [word]
        while self.current.kind == "word" and any(
            known[: len(words) + 1] == (*words, self.current.text) for known in _MULTIWORD_TYPES
        ):
            words.append(self.advance().text)
        type_name = _type_name(words, "", "")
        if type_name in _TYPED_LITERAL_TYPES and self.current.kind == "string":
            return _cast(_Node(self.advance().text, literal=True), type_name)
        self.position = start
        return None

    def name(self, first: str) -> _Node:
        parts = [first]
        while self.current.text == "." and self.peek().kind in ("word", "quoted"):
            self.advance()
            parts.append(self.advance().text)
        name = ".".join(parts)
        if self.current.text != "(" or self.current.kind != "punct":
            return _Node(name)
        self.advance()
        prefix = ""
        if self.is_word("distinct"):
            self.advance()
            prefix = "distinct "
        if self.current.text == "*":
            self.advance()
            self.expect(")")
            return _Node(f"{name}(*)")
        arguments = self.items(")")
        return _Node(f"{name}({prefix}{', '.join(argument.text for argument in arguments)})")

    def items(self, closing: str) -> list[_Node]:
        found: list[_Node] = []
        if self.current.text == closing:
            self.advance()
            return found
        while True:
            found.append(self.expression(0))
            if self.current.text == ",":
                self.advance()
                continue
            self.expect(closing)
            return found

    def case(self) -> _Node:
        parts = ["case"]
        if not self.is_word("when"):
            parts.append(self.expression(0).text)
        while self.is_word("when"):
            self.advance()
            condition = self.expression(0)
            if not self.is_word("then"):
                raise _Unparsable("WHEN without THEN")
            self.advance()
            parts += ["when", condition.text, "then", self.expression(0).text]
        if self.is_word("else"):
            self.advance()
            parts += ["else", self.expression(0).text]
        if not self.is_word("end"):
            raise _Unparsable("CASE without END")
        self.advance()
        parts.append("end")
        return _Node(" ".join(parts))

    def type_name(self) -> str:
        if self.current.kind not in ("word", "quoted"):
            raise _Unparsable("a cast without a type")
        words = [self.advance().text]
        while self.current.text == "." and self.peek().kind in ("word", "quoted"):
            self.advance()  # a schema-qualified type: keep the type's own name
            words = [self.advance().text]
        # "character varying", "timestamp with time zone": only words that continue one.
        while self.current.kind == "word" and any(
            known[: len(words) + 1] == (*words, self.current.text) for known in _MULTIWORD_TYPES
        ):
            words.append(self.advance().text)
        modifiers = ""
        if self.current.text == "(":
            self.advance()
            numbers = [self.advance().text]
            while self.current.text == ",":
                self.advance()
                numbers.append(self.advance().text)
            self.expect(")")
            modifiers = f"({','.join(numbers)})"
        arrays = ""
        while self.current.text == "[":
            self.advance()
            if self.current.kind == "number":
                self.advance()
            self.expect("]")
            arrays += "[]"
        return _type_name(words, modifiers, arrays)

    def infix_power(self) -> int | None:
        """How tightly the token after an operand binds, or None if it ends the operand."""
        token = self.current
        if token.kind == "cast":
            return CAST
        if token.kind == "punct":
            return SUBSCRIPT if token.text == "[" else None
        if token.kind == "operator":
            if token.text in _COMPARISONS:
                return COMPARE
            if token.text in _PATTERN_OPERATORS:
                return PATTERN
            return _INFIX_POWER.get(token.text, OTHER)
        if token.kind != "word":
            return None
        word = token.text
        if word in _PATTERN_WORDS or (word == "not" and self.is_word(*_PATTERN_WORDS, offset=1)):
            return PATTERN
        if word == "at":
            at_time_zone = self.is_word("time", offset=1) and self.is_word("zone", offset=2)
            return AT_TIME_ZONE if at_time_zone else None
        return _WORD_POWER.get(word)

    def infix(self, left: _Node, minimum: int) -> _Node | None:
        power = self.infix_power()
        if power is None or power < minimum:
            return None
        token = self.advance()
        if token.kind == "cast":
            return _cast(left, self.type_name())
        if token.kind == "punct":  # a subscript
            index = self.expression(0)
            self.expect("]")
            return _Node(f"{_wrap(left, SUBSCRIPT)}[{index.text}]", SUBSCRIPT)
        if token.kind == "operator":
            return self.operator(left, token.text, power)
        word = token.text
        if word in ("and", "or"):
            items = [left, self.expression(power + 1)]
            while self.is_word(word):
                self.advance()
                items.append(self.expression(power + 1))
            return _boolean(word, items)
        if word in ("is", "isnull", "notnull"):
            return self.is_test(left, word)
        if power == PATTERN:
            negated = word == "not"
            return self.pattern(left, self.advance().text if negated else word, negated)
        if word == "collate":
            collation = self.advance().text
            return _Node(f'{_wrap(left, COLLATE)} collate "{collation}"', COLLATE)
        self.position += 2  # "at" was read: "time zone"
        zone = self.expression(AT_TIME_ZONE + 1)
        return _binary("at time zone", left, zone, AT_TIME_ZONE)

    def operator(self, left: _Node, text: str, power: int) -> _Node:
        if text in _COMPARISONS and self.is_word("any", "all", "some"):
            return self.quantified(left, "<>" if text == "!=" else text)
        right = self.expression(power + 1)
        if text in _PATTERN_OPERATORS:
            return _binary(_PATTERN_OPERATORS[text], left, right, PATTERN)
        return _binary("<>" if text == "!=" else text, left, right, power)

    def quantified(self, left: _Node, comparison: str) -> _Node:
        """``x = ANY (ARRAY[…])`` is ``x IN (…)``; ``x <> ALL (ARRAY[…])`` is NOT IN."""
        quantifier = self.advance().text
        self.expect("(")
        inner = self.expression(0)
        self.expect(")")
        listed = re.fullmatch(r"array\[(.*)\]", inner.text, flags=re.DOTALL)
        if listed is not None and (quantifier, comparison) in (
            ("any", "="),
            ("some", "="),
            ("all", "<>"),
        ):
            keyword = "in" if comparison == "=" else "not in"
            return _Node(f"{_wrap(left, PATTERN)} {keyword} ({listed.group(1)})", PATTERN)
        quantifier = "any" if quantifier == "some" else quantifier
        return _Node(f"{_wrap(left, COMPARE)} {comparison} {quantifier}({inner.text})", COMPARE)

    def is_test(self, left: _Node, word: str) -> _Node:
        if word in ("isnull", "notnull"):
            return _Node(f"{_wrap(left, IS + 1)} is {'' if word == 'isnull' else 'not '}null", IS)
        words = ["is"]
        if self.is_word("not"):
            words.append(self.advance().text)
        if self.is_word("distinct"):
            self.advance()
            if not self.is_word("from"):
                raise _Unparsable("IS DISTINCT without FROM")
            self.advance()
            right = self.expression(IS + 1)
            words += ["distinct", "from"]
            return _Node(f"{_wrap(left, IS + 1)} {' '.join(words)} {_wrap(right, IS + 1)}", IS)
        if not self.is_word("null", "true", "false", "unknown"):
            raise _Unparsable(f"IS {self.current.text!r}")
        words.append(self.advance().text)
        return _Node(f"{_wrap(left, IS + 1)} {' '.join(words)}", IS)

    def pattern(self, left: _Node, word: str, negated: bool) -> _Node:
        prefix = "not " if negated else ""
        if word == "in":
            self.expect("(")
            items = self.items(")")
            listed = ", ".join(item.text for item in items)
            return _Node(f"{_wrap(left, PATTERN + 1)} {prefix}in ({listed})", PATTERN)
        if word == "between":
            low = self.expression(PATTERN + 1)
            if not self.is_word("and"):
                raise _Unparsable("BETWEEN without AND")
            self.advance()
            high = self.expression(PATTERN + 1)
            # PostgreSQL stores x BETWEEN a AND b as x >= a AND x <= b.
            if negated:
                return _boolean(
                    "or", [_binary("<", left, low, COMPARE), _binary(">", left, high, COMPARE)]
                )
            return _boolean(
                "and", [_binary(">=", left, low, COMPARE), _binary("<=", left, high, COMPARE)]
            )
        if word == "similar":
            if not self.is_word("to"):
                raise _Unparsable("SIMILAR without TO")
            self.advance()
            word = "similar to"
        right = self.expression(PATTERN + 1)
        text = f"{_wrap(left, PATTERN + 1)} {prefix}{word} {_wrap(right, PATTERN + 1)}"
        if self.is_word("escape"):
            self.advance()
            escape = self.expression(PATTERN + 1)
            if escape.text not in ("'\\'",):  # the default escape character
                text += f" escape {escape.text}"
        return _Node(text, PATTERN)


# -- the textual fallback ----------------------------------------------------------------

_STRING = re.compile(r"[Ee]?'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_TEXT_CAST = re.compile(
    r"::\s*(?:character varying|double precision|timestamp with(?:out)? time zone"
    r'|"[^"]+"|[a-z_][a-z0-9_.]*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*',
    re.IGNORECASE,
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


def _textual(text: str) -> str:
    """Quotes, case and casts dropped, spaces collapsed: for text the parser does not
    read."""
    pieces = []
    for is_literal, piece in _split_literals(text):
        if is_literal:
            pieces.append(piece[1:] if piece[0] in "Ee" else piece)
        else:
            piece = _TEXT_CAST.sub("", piece).replace('"', "").lower()
            piece = re.sub(r"\s*([(),])\s*", r"\1", " ".join(piece.split()))
            pieces.append(piece)
    return _TEXT_CAST.sub("", "".join(pieces)).strip()


@lru_cache(maxsize=8192)
def normalised(text: str) -> str:
    """One comparable text for an SQL expression or predicate (see the module docstring)."""
    try:
        return _Parser(text).parse()
    except (_Unparsable, IndexError, RecursionError):
        return _textual(text)


@kept_for_short_texts(maxsize=512)  # every finding of an N+1 asks for the same SQL
def without_literals(text: str) -> str:
    """``text`` with every string and number literal replaced by ``?``."""
    return "".join(
        "?" if is_literal else _NUMBER.sub("?", piece)
        for is_literal, piece in _split_literals(text)
    )
