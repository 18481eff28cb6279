"""A scope never initialises a database connection the observed code did not use.

A thread starts with no connection wrappers at all, as a test that removed an alias's
wrapper does (DRF's test_atomic_requests.py): whatever exists there afterwards, the code
under observation (or perfkit) created.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory

import perfkit
from perfkit.capture import capture_queries
from perfkit.middleware import PerfkitMiddleware

pytestmark = pytest.mark.django_db


def initialised_in_a_new_thread(work):
    """The aliases whose connection wrapper exists after ``work`` ran in a new thread."""
    aliases = []

    def run():
        try:
            work()
            aliases.extend(a for a in connections if hasattr(connections._connections, a))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return aliases


def test_capture_and_detect_initialise_no_connection():
    def scopes():
        with capture_queries(), perfkit.detect():
            pass

    assert initialised_in_a_new_thread(scopes) == []


def test_the_middleware_initialises_no_connection_for_a_view_without_queries():
    middleware = PerfkitMiddleware(lambda request: HttpResponse("no queries"))

    def request():
        assert middleware(RequestFactory().get("/")).content == b"no queries"

    assert initialised_in_a_new_thread(request) == []


def test_a_connection_first_used_inside_the_scope_is_observed():
    counted = []

    def query():
        with capture_queries() as captured, connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        counted.append(captured.query_count)

    assert initialised_in_a_new_thread(query) == ["default"]
    assert counted == [1]
