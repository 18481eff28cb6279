"""100 concurrent requests, each with its own N+1 size: each gets exactly its findings."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from django.test import AsyncClient, Client, override_settings

from tests.factories import ClassFactory

# Contention makes queries slow here; slow-query findings are not what this test is about.
SETTINGS = {"REPEATED_QUERY_THRESHOLD": 2, "FINDINGS_HEADER": True, "SLOW_QUERY_MS": 60_000}
SIZES = range(2, 52)  # 50 requests per test, 100 in all


def findings_by_request(received):
    by_size: dict[int, list] = {}
    for request, finding in received:
        by_size.setdefault(int(request.GET["n"]), []).append(finding)
    return by_size


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF="tests.middleware.urls", PERFKIT=SETTINGS)
def test_fifty_threads(received):
    ClassFactory.create_batch(max(SIZES))

    def request(size: int):
        try:
            return size, Client().get("/loop/sync/", {"n": size})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = dict(pool.map(request, SIZES))
    by_size = findings_by_request(received)
    assert sorted(by_size) == list(SIZES)
    for size in SIZES:
        assert len(by_size[size]) == 1, [f.message for f in by_size[size]]
        [finding] = by_size[size]
        assert (finding.relation, finding.count) == ("school.Class.teacher", size)
        assert finding.location.startswith("tests/middleware/urls.py:")
        assert responses[size].headers["X-Perfkit-Findings"] == "1"
        assert len(responses[size].json()["emails"]) == size


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.middleware.urls", PERFKIT=SETTINGS)
def test_fifty_async_requests_in_one_gather(received):
    ClassFactory.create_batch(max(SIZES))
    client = AsyncClient()

    async def all_at_once():
        return await asyncio.gather(*(client.get("/loop/async/", {"n": n}) for n in SIZES))

    responses = async_to_sync(all_at_once)()
    assert all(response.status_code == 200 for response in responses)
    by_size = findings_by_request(received)
    assert sorted(by_size) == list(SIZES)
    with open("tests/middleware/urls.py") as source:
        line = next(n for n, text in enumerate(source, 1) if "# line: async" in text)
    for size in SIZES:
        [finding] = by_size[size]
        assert (finding.kind, finding.relation, finding.count) == ("n_plus_one", None, size)
        assert finding.location == f"tests/middleware/urls.py:{line}"
