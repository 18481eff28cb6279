"""An error inside perfkit is logged (once per process, with its traceback) and never
changes the response; ACTION = "raise" never replaces the view's own exception."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

import perfkit
from perfkit.capture import Capture, orm
from perfkit.capture.call_site import CallSiteResolver
from perfkit.capture.scope import scopes_active

pytestmark = pytest.mark.usefixtures("site_data")


def perfkit_errors(caplog):
    return [r for r in caplog.records if r.name == "perfkit" and r.levelno >= logging.ERROR]


URL = "/api/naive/attendance/"


def boom(*args, **kwargs):
    raise RuntimeError("injected")


def fetch(interface):
    if interface == "wsgi":
        return Client().get(URL)
    return async_to_sync(AsyncClient().get)(URL)


@pytest.fixture
def baseline(settings):
    settings.PERFKIT = {"ENABLED": False}
    response = Client().get(URL)
    settings.PERFKIT = {"FINDINGS_HEADER": True, "SERVER_TIMING": True}
    return response.status_code, response.content


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize(
    "target",
    [
        ("perfkit.middleware.build_report", "detection failed"),
        ("perfkit.middleware.add_server_timing", "acting on findings failed"),
        ("perfkit.middleware.DetectionOptions.from_settings", "could not start capturing"),
    ],
    ids=["detection", "headers", "start"],
)
def test_a_failing_step_leaves_the_response_alone(monkeypatch, caplog, baseline, interface, target):
    name, logged = target
    monkeypatch.setattr(name, boom)
    with caplog.at_level(logging.ERROR, logger="perfkit"):
        response = fetch(interface)
    assert (response.status_code, response.content) == baseline
    assert any(logged in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_failing_orm_observers_leave_the_orm_alone(monkeypatch, caplog, baseline, interface):
    monkeypatch.setattr(orm, "relation_load", boom)
    monkeypatch.setattr(orm, "defer", boom)
    with caplog.at_level(logging.WARNING, logger="perfkit"):
        response = fetch(interface)
        fetch(interface)  # the same errors again: not logged again
    assert (response.status_code, response.content) == baseline
    [record] = perfkit_errors(caplog)  # one distinct error: boom, from relation_load
    assert "error while observing queries: RuntimeError" in record.getMessage()
    assert record.exc_info[1].args == ("injected",)  # with its traceback
    assert record.exc_info[2] is not None


def test_a_failing_close_leaves_the_response_alone(monkeypatch, caplog, baseline):
    close = Capture.close

    def failing_close(self):
        close(self)  # perfkit's state is clean; the step still fails
        raise RuntimeError("injected")

    monkeypatch.setattr(Capture, "close", failing_close)
    with caplog.at_level(logging.ERROR, logger="perfkit"):
        response = Client().get(URL)
    assert (response.status_code, response.content) == baseline
    assert "closing the request's capture failed" in perfkit_errors(caplog)[0].getMessage()
    assert scopes_active() == 0


def test_a_failing_recorder_leaves_the_queries_alone(monkeypatch, caplog, baseline):
    monkeypatch.setattr(CallSiteResolver, "resolve", boom)
    with caplog.at_level(logging.WARNING, logger="perfkit"):
        response = Client().get(URL)
    assert (response.status_code, response.content) == baseline
    assert response.headers["X-Perfkit-Findings"] == "0"


def test_raise_mode_is_the_one_exception(settings):
    settings.PERFKIT = {"ACTION": "raise"}
    with pytest.raises(perfkit.NPlusOneError, match=r"school\.Attendance\.student"):
        Client().get(URL)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_raise_mode_never_replaces_the_views_own_exception(settings, received, interface):
    settings.PERFKIT = {"ACTION": "raise"}
    settings.ROOT_URLCONF = "tests.middleware.urls"
    client = Client() if interface == "wsgi" else AsyncClient()
    get = client.get if interface == "wsgi" else async_to_sync(client.get)

    with pytest.raises(ValueError, match="the view's own error"):
        get("/raising/")
    client.raise_request_exception = False
    response = get("/raising/")

    assert response.status_code == 500
    assert b"NPlusOneError" not in response.content
    # Still detected and signalled: only the raise is left out.
    assert {f.relation for _, f in received} == {"school.Class.teacher"}
