"""Requests through PerfkitMiddleware in the gate's new project.

Run from ``manage.py shell -c "import through_middleware; through_middleware.plain()"``
(or ``.drf()``). Each asserts that the response is 200 and the same, status, headers and
body, as without perfkit's middleware; ``plain()`` also that the middleware logged the
view's N+1.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from shop.models import Category, Product

PERFKIT_MIDDLEWARE = "perfkit.middleware.PerfkitMiddleware"


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def seed() -> None:
    """Two categories, five products a minute apart, once."""
    if Product.objects.exists():
        return
    now = timezone.now()
    categories = [Category.objects.create(name=name) for name in ("Tea", "Coffee")]
    for number in range(5):
        Product.objects.create(
            category=categories[number % 2],
            name=f"Product {number}",
            created_at=now - timedelta(minutes=number),
        )


def get(url: str) -> Any:
    """GET url as a browser on localhost would (startproject's ALLOWED_HOSTS with DEBUG)."""
    return Client(HTTP_HOST="localhost").get(url)


def get_with_and_without_perfkit(url: str) -> tuple[Any, Any, list[dict[str, Any]]]:
    """The response with perfkit, the one without, and the findings perfkit logged."""
    assert PERFKIT_MIDDLEWARE in settings.MIDDLEWARE, "the README's MIDDLEWARE is not set"
    collected = Collected()
    perfkit_logger = logging.getLogger("perfkit")
    perfkit_logger.addHandler(collected)
    try:
        with_perfkit = get(url)
    finally:
        perfkit_logger.removeHandler(collected)
    others = [name for name in settings.MIDDLEWARE if name != PERFKIT_MIDDLEWARE]
    with override_settings(MIDDLEWARE=others):
        without_perfkit = get(url)
    findings = [
        record.perfkit_finding for record in collected.records if hasattr(record, "perfkit_finding")
    ]
    return with_perfkit, without_perfkit, findings


def assert_unchanged(url: str, with_perfkit: Any, without_perfkit: Any) -> None:
    assert with_perfkit.status_code == 200, (url, with_perfkit.status_code)
    assert with_perfkit.status_code == without_perfkit.status_code
    assert dict(with_perfkit.items()) == dict(without_perfkit.items()), "headers differ"
    assert with_perfkit.content == without_perfkit.content, "bodies differ"


def plain() -> None:
    seed()
    url = "/products/"
    with_perfkit, without_perfkit, findings = get_with_and_without_perfkit(url)
    assert_unchanged(url, with_perfkit, without_perfkit)
    kinds = [finding["kind"] for finding in findings]
    assert "n_plus_one" in kinds, f"the middleware logged {kinds}, not the N+1"
    print(f"GET {url}: 200, unchanged by perfkit; logged: {', '.join(kinds)}")


def drf() -> None:
    seed()
    url = "/api/products/"
    with_perfkit, without_perfkit, _ = get_with_and_without_perfkit(url)
    assert_unchanged(url, with_perfkit, without_perfkit)
    page = json.loads(with_perfkit.content)
    assert set(page) >= {"next", "results"}, sorted(page)
    newest = [product.name for product in Product.objects.order_by("-created_at")[:2]]
    assert [row["name"] for row in page["results"]] == newest, page["results"]
    assert page["next"], "no next page for five rows at two a page"
    second = get(page["next"])
    assert second.status_code == 200, second.status_code
    assert len(json.loads(second.content)["results"]) == 2
    print(f"GET {url}: 200 with next and results, unchanged by perfkit; next page: 200")
