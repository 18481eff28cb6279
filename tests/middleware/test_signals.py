"""finding_detected: a raising receiver never drops the report, receivers may use the ORM
under ASGI (they run in a thread), and each finding is signalled once."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from perfkit.signals import finding_detected
from testproject.school.models import Class

pytestmark = pytest.mark.usefixtures("site_data")

URL = "/api/naive/classes/"
EXPECTED = {"school.Class.teacher", "school.Class.students"}


def get(interface: str, url: str):
    if interface == "wsgi":
        return Client().get(url)
    return async_to_sync(AsyncClient().get)(url)


@pytest.fixture
def connected():
    receivers = []

    def connect(receiver):
        finding_detected.connect(receiver)
        receivers.append(receiver)

    yield connect
    for receiver in receivers:
        finding_detected.disconnect(receiver)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_raising_receiver_is_logged_and_the_others_still_get_every_finding(
    connected, caplog, interface
):
    got = []

    def broken(sender, finding, **kwargs):
        raise RuntimeError("receiver bug")

    def working(sender, finding, request, **kwargs):
        got.append(finding.relation)

    connected(broken)
    connected(working)
    with caplog.at_level(logging.ERROR, logger="perfkit"):
        response = get(interface, URL)

    assert response.status_code == 200
    assert set(got) >= EXPECTED
    # Django logs each failure on django.dispatch; perfkit once per process on its logger.
    [record] = [r for r in caplog.records if r.name == "perfkit"]
    assert "the finding_detected receiver" in record.getMessage()
    assert "broken" in record.getMessage()
    assert record.exc_info[1].args == ("receiver bug",)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_receivers_may_use_the_orm_and_each_finding_is_sent_once(connected, interface):
    got = []

    def stores(sender, finding, request, **kwargs):
        got.append((finding.relation, finding.location, request.path, Class.objects.count()))

    connected(stores)
    response = get(interface, URL)

    assert response.status_code == 200
    relations = [relation for relation, *_ in got if relation in EXPECTED]
    assert sorted(relations) == sorted(EXPECTED)  # each once
    assert {path for _, _, path, _ in got} == {URL}
    assert {count for *_, count in got} == {Class.objects.count()}
