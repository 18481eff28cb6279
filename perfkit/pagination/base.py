"""What both paginators share: the page-size parameter, its OpenAPI description, and
the browsable API's previous/next controls."""

from __future__ import annotations

from typing import Any

from django.template import loader
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.settings import api_settings

from perfkit.pagination.errors import MAX_DIGITS


class PagedByLinks(BasePagination):
    """Page size from ``page_size`` (or DRF's ``PAGE_SIZE``), optionally from a query
    parameter capped at ``max_page_size``. As in DRF, a page size that is not a positive
    whole number (``0``, ``-5``, ``abc``) falls back to the default."""

    page_size: int | None = None
    page_size_query_param: str | None = None
    page_size_query_description = _("Number of results to return per page.")
    max_page_size: int | None = None
    template: str | None = "rest_framework/pagination/previous_and_next.html"

    def get_page_size(self, request: Request) -> int | None:
        default = self.page_size if self.page_size is not None else api_settings.PAGE_SIZE
        if self.page_size_query_param and self.page_size_query_param in request.query_params:
            raw = str(request.query_params[self.page_size_query_param]).strip()
            digits = raw.isascii() and raw.isdigit()
            if digits and len(raw) > MAX_DIGITS:
                if self.max_page_size:  # more than any LIMIT takes: capped, as DRF caps
                    return self.max_page_size
            elif digits and int(raw) > 0:
                size = int(raw)
                return min(size, self.max_page_size) if self.max_page_size else size
        return default if default is None else int(default)

    def get_next_link(self) -> str | None:
        raise NotImplementedError

    def get_previous_link(self) -> str | None:
        raise NotImplementedError

    def page_size_parameters(self) -> list[dict[str, Any]]:
        if self.page_size_query_param is None:
            return []
        return [
            query_parameter(
                self.page_size_query_param,
                self.page_size_query_description,
                {"type": "integer"},
            )
        ]

    def get_html_context(self) -> dict[str, Any]:
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link()}

    def to_html(self) -> str:
        if self.template is None:
            raise NotImplementedError(f"{type(self).__name__} has no template to render.")
        return loader.get_template(self.template).render(self.get_html_context())


def query_parameter(name: str, description: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional OpenAPI query parameter."""
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": str(description),
        "schema": schema,
    }


def linked_page_schema(
    results: dict[str, Any],
    required: list[str],
    next_example: str,
    previous_example: str,
    **properties: dict[str, Any],
) -> dict[str, Any]:
    """The OpenAPI schema of a page: ``next``/``previous`` links (with examples, as DRF
    gives them), ``results`` and more."""
    link = {"type": "string", "nullable": True, "format": "uri"}
    return {
        "type": "object",
        "required": [*required, "results"],
        "properties": {
            **properties,
            "next": {**link, "example": next_example},
            "previous": {**link, "example": previous_example},
            "results": results,
        },
    }
