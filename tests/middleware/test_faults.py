"""An error inside perfkit is logged and never changes the response."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

import perfkit
from perfkit.capture import orm
from perfkit.capture.call_site import CallSiteResolver

pytestmark = pytest.mark.usefixtures("site_data")

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
    monkeypatch.setattr(orm, "_mark_selected", boom)
    with caplog.at_level(logging.WARNING, logger="perfkit"):
        response = fetch(interface)
    assert (response.status_code, response.content) == baseline
    assert any("error(s) while observing" in record.getMessage() for record in caplog.records)


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
