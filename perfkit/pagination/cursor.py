"""A keyset cursor paginator, a drop-in for DRF's ``CursorPagination``.

Unlike DRF's, it filters on every ordering term (not only the first) and never falls back
to OFFSET; NULLs are placed as declared instead of being dropped; the cursor is signed,
typed and bound to the view's model and ordering, and each of its values is checked
against its term's field; bad cursors get a 4xx, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from perfkit.pagination import tokens
from perfkit.pagination.base import PagedByLinks, linked_page_schema, query_parameter
from perfkit.pagination.errors import InvalidPagination, PaginatorMisconfigured
from perfkit.pagination.keyset import KeysetTerm, can_compare_rows, or_chain, row_comparison
from perfkit.pagination.terms import declared_nulls, keyset_term, parse_entry, resolve_path

ALIAS = "_perfkit_keyset_{}"


class CursorPagination(PagedByLinks):
    """Keyset pagination over any ordering: mixed directions, related ``__`` fields and
    annotations. The primary key is appended as a tie-breaker (except on a grouped
    ``values().annotate()`` queryset, whose ordering must already be unique).

    ``nulls`` declares where a nullable ordering term's NULLs go, e.g.
    ``nulls = {"check_in_time": "last"}`` (or use ``F("check_in_time").asc(nulls_last=True)``
    in ``ordering``); an undeclared nullable term (a field, or an annotation with a
    nullable source) is reported by system check ``perfkit.E401``.
    """

    cursor_query_param = "cursor"
    cursor_query_description = _("The pagination cursor value.")
    ordering: str | Sequence[str | OrderBy] = "-created"
    nulls: Mapping[str, str] = {}
    invalid_cursor_message = _("Invalid cursor")

    # -- DRF's paginator interface -----------------------------------------------------
    def paginate_queryset(  # type: ignore[override]  # querysets only, not sequences
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        size = self.get_page_size(request)
        if not size:
            return None
        if not isinstance(queryset, QuerySet):
            raise TypeError(
                f"{type(self).__name__} pages a Django QuerySet (it filters and orders in "
                f"SQL), not a {type(queryset).__name__}."
            )
        if queryset._iterable_class not in (ModelIterable, ValuesIterable, ValuesListIterable):
            raise PaginatorMisconfigured(
                f"{type(self).__name__} pages model instances, values() dicts or "
                "values_list() tuples; not flat or named values_list() rows."
            )
        self.base_url = request.build_absolute_uri()
        self.terms = self.get_terms(request, queryset, view)
        self.binding = tokens.Binding(
            queryset.model._meta.label_lower, tuple(term.label for term in self.terms)
        )
        position = self.decode_cursor(request)
        reverse = position is not None and position.reverse
        walk = [term.reversed() for term in self.terms] if reverse else self.terms

        # Where a term is a loaded field of the model its value is read from the instance;
        # others (related paths, annotations, values() rows) are selected under an alias.
        self.readers = [direct_attname(term.path, queryset) for term in self.terms]
        aliases = {
            ALIAS.format(i): F(term.path)
            for i, (term, reader) in enumerate(zip(self.terms, self.readers, strict=True))
            if reader is None
        }
        queryset = queryset.annotate(**aliases).order_by(*(term.order_by() for term in walk))
        if position is not None and position.values:
            vendor = connections[queryset.db].vendor
            build = row_comparison if can_compare_rows(walk, vendor) else or_chain
            queryset = queryset.filter(build(walk, position.values))
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        positions = [self.position_of(row) for row in rows]
        rows = [strip_aliases(row, len(aliases)) for row in rows] if aliases else rows
        # A position with no values starts from the far end: backward, the last page.
        from_a_row = position is not None and bool(position.values)
        if reverse:
            rows.reverse()
            positions.reverse()
            self.has_previous, self.has_next = more, from_a_row
        else:
            self.has_previous, self.has_next = from_a_row, more
        self.first_position = positions[0] if positions else None
        self.last_position = positions[-1] if positions else None
        self.display_page_controls = self.template is not None and (
            self.has_next or self.has_previous
        )
        self.page_rows = rows
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF's examples, its stray quote included, so that schemas stay identical.
        example = "http://api.example.org/accounts/?{}={}"
        return linked_page_schema(
            schema,
            [],
            next_example=example.format(self.cursor_query_param, 'cD00ODY%3D"'),
            previous_example=example.format(self.cursor_query_param, "cj0xJnA9NDg3"),
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        cursor = query_parameter(
            self.cursor_query_param, self.cursor_query_description, {"type": "string"}
        )
        return [cursor, *self.page_size_parameters()]

    # -- links -------------------------------------------------------------------------
    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.last_position is None:  # an empty page walking backward: none before it
            return self.first_page_link()
        return self.link(tokens.Position(self.last_position, reverse=False))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.first_position is None:  # an empty page after a cursor: back to the last
            return self.link(tokens.Position((), reverse=True))
        return self.link(tokens.Position(self.first_position, reverse=True))

    def link(self, position: tokens.Position) -> str:
        for term, value in zip(self.terms, position.values, strict=False):
            if term.kind is not None and not term.kind.accepts(value):
                # perfkit read the term's type wrong (a NULL in a column the model says
                # is NOT NULL, say): a cursor the next request would refuse.
                hint = (
                    f'declare where its NULLs go: nulls = {{"{term.path}": "last"}} (or "first")'
                    if value is None
                    else "give the annotation the output_field its values have"
                )
                raise PaginatorMisconfigured(
                    f"{type(self).__name__}: a row's {term.label!r} is {value!r}, which "
                    f"its field's type does not allow, so no cursor can hold it; {hint}."
                )
        token = tokens.encode(position, self.binding)
        return str(replace_query_param(self.base_url, self.cursor_query_param, token))

    def first_page_link(self) -> str:
        return str(remove_query_param(self.base_url, self.cursor_query_param))

    # -- the cursor --------------------------------------------------------------------
    def decode_cursor(self, request: Request) -> tokens.Position | None:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            position = tokens.decode(token, self.binding)
            for term, value in zip(self.terms, position.values, strict=False):
                if term.kind is not None:
                    term.kind.check(value, term.label)
        except tokens.InvalidCursor as error:
            raise InvalidPagination(f"{self.invalid_cursor_message}: {error}.") from error
        return position

    def position_of(self, row: Any) -> tuple[Any, ...]:
        """The ordering values of ``row``, as fetched (aliases not yet stripped)."""
        names = [reader or ALIAS.format(i) for i, reader in enumerate(self.readers)]
        if isinstance(row, Mapping):
            return tuple(row[name] for name in names)
        if isinstance(row, tuple):  # values_list(): the aliases end each row, in order
            return row[len(row) - len(names) :]
        return tuple(getattr(row, name) for name in names)

    # -- the ordering ------------------------------------------------------------------
    def get_ordering(self, request: Request | None, queryset: Any, view: Any) -> tuple[Any, ...]:
        """The ordering to paginate by, as DRF's cursor chooses it: the first of the
        view's filter backends that has ``get_ordering`` (an ``OrderingFilter``) when it
        picks one, else ``self.ordering``."""
        ordering: Any = self.ordering
        backends = [
            backend
            for backend in getattr(view, "filter_backends", None) or ()
            if hasattr(backend, "get_ordering")
        ]
        if backends:
            chosen = backends[0]().get_ordering(request, queryset, view)
            if chosen:
                ordering = chosen
        if ordering is None:
            raise PaginatorMisconfigured(f"{type(self).__name__} needs an `ordering`.")
        return (ordering,) if isinstance(ordering, str | OrderBy) else tuple(ordering)

    def get_terms(
        self, request: Request | None, queryset: QuerySet[Any], view: Any
    ) -> list[KeysetTerm]:
        """The keyset terms: the ordering, then the pk as a tie-breaker."""
        owner = type(self).__name__
        nulls = declared_nulls(self.nulls, owner)
        connection = connections[queryset.db]

        def term_for(item: str | OrderBy) -> KeysetTerm:
            entry = parse_entry(item, nulls, owner)
            resolved = resolve_path(queryset, entry.path, owner, connection.vendor)
            return keyset_term(entry, resolved, connection)

        terms = [term_for(item) for item in self.get_ordering(request, queryset, view)]
        model = queryset.model
        pk_names = {"pk", model._meta.pk.name} if model._meta.pk else {"pk"}
        # A grouped values() queryset has no pk per row: its ordering must be unique.
        grouped = queryset.query.group_by is not None and queryset.query.values_select
        if not grouped and (not terms or terms[-1].path not in pk_names):
            descending = terms[0].descending if terms else False
            terms.append(term_for("-pk" if descending else "pk"))
        return terms


def strip_aliases(row: Any, count: int) -> Any:
    """``row`` without the ``count`` position aliases this paginator selected: they are
    not part of the caller's data. Model instances keep them as attributes."""
    if isinstance(row, dict):
        return {key: value for key, value in row.items() if not key.startswith("_perfkit_")}
    if isinstance(row, tuple):
        return row[: len(row) - count]
    return row


def direct_attname(path: str, queryset: QuerySet[Any]) -> str | None:
    """The attribute holding ordering term ``path`` on the queryset's model instances, when
    it is a concrete field of the model that every row loads; else None (the term is then
    selected under an alias). Saves selecting and decoding the same column twice."""
    query = queryset.query
    deferred_names, _ = query.deferred_loading
    if query.values_select or query.annotation_select_mask is not None or deferred_names:
        return None  # values() rows, or fields left out by only()/defer()
    if path == "pk":
        return "pk"
    if "__" in path or path in query.annotations:
        return None
    try:
        field = queryset.model._meta.get_field(path)
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.many_to_many:
        return None
    return str(field.attname)
