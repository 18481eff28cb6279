"""Async ORM calls are located at the line that awaited them, wherever the awaiting
coroutine runs: an async view served over WSGI, ``asyncio.run()`` inside a scope, a
worker that starts before the awaiting task has parked (issue 11, item 10)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.db import connections
from django.test import Client, override_settings

import perfkit
from testproject.school.models import Class, Teacher
from tests.factories import ClassFactory

SETTINGS = {"REPEATED_QUERY_THRESHOLD": 2, "SLOW_QUERY_MS": 60_000}


def line_of(path: str, marker: str) -> int:
    with open(path) as source:
        for number, text in enumerate(source, start=1):
            if text.rstrip().endswith(marker):
                return number
    raise LookupError(marker)


def here(marker: str) -> str:
    return f"tests/capture/test_async_call_sites.py:{line_of(__file__, f'# line: {marker}')}"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.middleware.urls", PERFKIT=SETTINGS)
def test_an_async_view_served_over_wsgi_is_located_at_its_await(received):
    ClassFactory.create_batch(4)
    response = Client().get("/loop/async/", {"n": 4})
    assert response.status_code == 200
    [(_request, finding)] = received
    line = line_of("tests/middleware/urls.py", "# line: async")
    assert (finding.kind, finding.count) == ("n_plus_one", 4)
    assert finding.location == f"tests/middleware/urls.py:{line}"
    assert finding.location_label == ""


async def load_teachers(pks: list[int]) -> list[Teacher]:
    return [await Teacher.objects.aget(pk=pk) for pk in pks]  # line: asyncio-run


@pytest.mark.django_db(transaction=True)
def test_asyncio_run_inside_a_scope_is_located_at_its_await():
    pks = [school_class.teacher_id for school_class in ClassFactory.create_batch(4)]
    with perfkit.detect(repeated_query_threshold=2) as report:
        asyncio.run(load_teachers(pks))
    [finding] = report.findings
    assert (finding.kind, finding.count) == ("n_plus_one", 4)
    assert finding.location == here("asyncio-run")
    # The queries ran in asgiref's own thread: close the connection it opened there.
    asyncio.run(sync_to_async(connections.close_all)())


class HoldingExecutor(concurrent.futures.Executor):
    """Runs each call in a thread of its own while the event loop's thread waits inside
    ``submit()``, that is, mid-step, before the awaiting task parks on its ``await``.
    The loop's thread goes on only once the call's query has run (``query_ran``) and a
    little later, so that the call site is resolved while the task has not parked."""

    def __init__(self) -> None:
        self.query_ran = threading.Event()

    def submit(self, fn, /, *args, **kwargs):
        future: concurrent.futures.Future = concurrent.futures.Future()

        def signal(execute, sql, params, many, context):
            try:
                return execute(sql, params, many, context)
            finally:
                self.query_ran.set()  # before perfkit's recorder (outside this one) resolves

        def run():
            connection = connections["default"]
            connection.ensure_connection()  # perfkit's recorder goes on first, outermost
            try:
                with connection.execute_wrapper(signal):
                    future.set_result(fn(*args, **kwargs))
            except BaseException as error:
                future.set_exception(error)
            finally:
                connections.close_all()

        threading.Thread(target=run).start()
        self.query_ran.wait(timeout=5)
        time.sleep(0.005)
        self.query_ran.clear()
        return future


async def fetch_while_the_loop_is_busy(pks: list[int]) -> list[Teacher]:
    get = SyncToAsync(Teacher.objects.get, thread_sensitive=False, executor=HoldingExecutor())
    teachers = []
    for pk in pks:
        teachers.append(await get(pk=pk))  # line: not-yet-parked
    return teachers


@pytest.mark.django_db(transaction=True)
def test_a_worker_faster_than_the_awaiting_task_still_finds_its_await():
    pks = [school_class.teacher_id for school_class in ClassFactory.create_batch(3)]

    async def scope() -> perfkit.Report:
        with perfkit.detect(repeated_query_threshold=2) as report:
            await fetch_while_the_loop_is_busy(pks)
        return report

    report = asyncio.run(scope())
    [finding] = report.findings
    assert (finding.kind, finding.count) == ("n_plus_one", 3)
    assert finding.location == here("not-yet-parked")
    assert Class.objects.count() == 3
