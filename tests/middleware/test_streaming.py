"""Queries made while a StreamingHttpResponse streams are observed; detection runs when
the stream ends (sync and async iterators, through WSGI and ASGI)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client, RequestFactory

from perfkit.capture.scope import scopes_active
from perfkit.middleware import FINDINGS_HEADER, PerfkitMiddleware
from tests.factories import ClassFactory
from tests.middleware.urls import file_download

pytestmark = pytest.mark.django_db

ROWS = 6


@pytest.fixture(autouse=True)
def site(settings):
    settings.ROOT_URLCONF = "tests.middleware.urls"
    settings.PERFKIT = {"FINDINGS_HEADER": True, "SERVER_TIMING": True}
    ClassFactory.create_batch(ROWS)


def lines_of(marker: str) -> set[str]:
    """The line marked ``# line: marker``, or the lines of the view named ``marker``."""
    with open("tests/middleware/urls.py") as source:
        lines = list(source)
    for number, text in enumerate(lines, start=1):
        if f"# line: {marker}" in text:
            return {f"tests/middleware/urls.py:{number}"}
        if text.startswith(f"def {marker}("):
            return {f"tests/middleware/urls.py:{number}", f"tests/middleware/urls.py:{number + 1}"}
    raise LookupError(marker)


def get(interface: str, url: str):
    if interface == "wsgi":
        return Client().get(url)
    return async_to_sync(AsyncClient().get)(url)


def body_of(response) -> bytes:
    if response.is_async:

        async def collect():
            return b"".join([chunk async for chunk in response.streaming_content])

        return async_to_sync(collect)()
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize(
    ("body", "relation", "line"),
    [("sync", "school.Class.teacher", "stream-sync"), ("async", None, "stream_async")],
)
def test_queries_while_streaming_are_observed_and_detected_at_the_end(
    received, interface, body, relation, line
):
    response = get(interface, f"/stream/{body}/")

    assert response.streaming
    assert received == []  # the rows have not been produced yet
    assert scopes_active() == 1  # the request's scope goes on while the body streams
    assert body_of(response).count(b"\n") == ROWS + 1

    assert scopes_active() == 0
    [(request, finding)] = [(r, f) for r, f in received if f.kind == "n_plus_one"]
    assert request.path == f"/stream/{body}/"
    assert (finding.relation, finding.count) == (relation, ROWS)
    # An async generator's awaits cannot be followed to the line that awaited: that
    # finding is located at the view that returned the stream.
    assert finding.location in lines_of(line)
    # The headers left with the first chunk, before anything was known.
    assert FINDINGS_HEADER not in response.headers
    assert "Server-Timing" not in response.headers


def test_a_stream_closed_before_its_end_ends_the_scope(received):
    response = Client().get("/stream/sync/")
    chunks = iter(response.streaming_content)
    next(chunks)
    next(chunks)  # one row: one teacher query

    response.close()

    assert scopes_active() == 0
    assert [f for _, f in received if f.kind == "n_plus_one"] == []


def test_a_file_response_is_detected_at_once_and_keeps_its_file(received):
    response = PerfkitMiddleware(file_download)(RequestFactory().get("/file/"))

    assert response.file_to_stream is not None  # the server's file wrapper still applies
    assert response.headers[FINDINGS_HEADER] == "1"
    assert [f.relation for _, f in received] == ["school.Class.teacher"]
    response.close()
