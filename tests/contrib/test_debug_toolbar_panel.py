"""PerfkitPanel rendered through django-debug-toolbar for a naive and a tuned endpoint."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from perfkit.capture import capture_queries
from perfkit.capture.errors import forget_logged_errors
from perfkit.signals import finding_detected
from tests.contrib.toolbar_settings import toolbar_settings
from tests.factories import ClassFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

TEACHER_AND_STUDENTS = ("school.Class.teacher", "school.Class.students")


@pytest.fixture
def toolbar(settings):
    toolbar_settings(settings)


@pytest.fixture
def classes():
    for school_class in ClassFactory.create_batch(3):
        EnrollmentFactory.create_batch(2, school_class=school_class)


def render_panel(client, url):
    """GET ``url`` as a browser would, then the panel the way the toolbar's JS fetches it."""
    page = client.get(url, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = page.content.decode()
    request_id = re.search(r'data-request-id="([0-9a-f]+)"', html).group(1)
    assert 'id="djdt-PerfkitPanel"' in html or "PerfkitPanel" in html
    rendered = client.get(
        "/__debug__/render_panel/", {"request_id": request_id, "panel_id": "PerfkitPanel"}
    )
    assert rendered.status_code == 200
    return html, rendered.json()["content"]


def rows(content):
    return re.findall(r'<tr class="perfkit-([a-z_]+)">(.*?)</tr>', content, re.S)


def test_the_naive_endpoint_shows_each_finding_with_its_fix(client, toolbar, classes):
    page, content = render_panel(client, "/api/naive/classes/")

    found = rows(content)
    kinds = [kind for kind, _ in found]
    assert kinds.count("n_plus_one") == 2
    relations = re.findall(r"<td><code>([a-z_.A-Z]+)</code></td>", content)
    assert {"school.Class.teacher", "school.Class.students"} <= set(relations)
    teacher_row = next(cells for kind, cells in found if "school.Class.teacher" in cells)
    cells = re.findall(r"<td>(.*?)</td>", teacher_row, re.S)
    assert cells[0] == "N+1"
    assert cells[3] == "3"  # count: one query per class
    assert float(cells[4]) > 0  # time in ms
    assert "select_related(&quot;teacher&quot;)" in cells[5]  # the fix
    assert "<code>testproject/school/" in cells[2]  # call site: path:line and the function
    assert re.search(r"<small>[A-Za-z_.]+</small>", cells[2])
    # The subtitle in the toolbar's sidebar.
    assert re.search(r"\d+ findings, \d+ queries", page)


def test_the_tuned_endpoint_shows_no_findings(client, toolbar, classes):
    _, content = render_panel(client, "/api/tuned/classes/")

    assert rows(content) == []
    assert "No N+1, unused eager load, repeated write or slow query" in content
    assert re.search(r"0 findings\s*· \d+ queries", content)


def test_the_toolbars_own_queries_are_not_captured(client, settings, classes):
    with capture_queries() as without_toolbar:
        assert client.get("/api/tuned/classes/", HTTP_ACCEPT="text/html").status_code == 200
    view_queries = without_toolbar.query_count
    assert view_queries > 0
    toolbar_settings(settings)

    _, content = render_panel(Client(), "/api/tuned/classes/")  # a client loads MIDDLEWARE once

    # Exactly the request's own queries: not the 6 content-type lookups the panel before
    # it runs around the request (an N+1 shape it would otherwise report).
    assert re.search(rf"0 findings\s*· {view_queries} queries", content), (view_queries, content)
    assert "django_content_type" not in content


@pytest.mark.parametrize("middleware", ["with the middleware", "panel only"])
def test_each_finding_is_signalled_once_with_its_request(client, settings, classes, middleware):
    toolbar_settings(settings)
    if middleware == "panel only":
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("perfkit.")]
    got = []

    def receiver(sender, finding, request, **kwargs):
        got.append((finding.relation, request.path if request is not None else None))

    finding_detected.connect(receiver)
    try:
        render_panel(client, "/api/naive/classes/")
    finally:
        finding_detected.disconnect(receiver)

    n_plus_ones = [entry for entry in got if entry[0] in TEACHER_AND_STUDENTS]
    assert sorted(n_plus_ones) == sorted(
        (relation, "/api/naive/classes/") for relation in TEACHER_AND_STUDENTS
    )


def test_an_error_in_the_panel_is_logged_once_and_the_page_is_unchanged(
    client, toolbar, classes, monkeypatch, caplog
):
    forget_logged_errors()

    def boom(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr("perfkit.contrib.debug_toolbar.panel.build_report", boom)
    with caplog.at_level(logging.ERROR, logger="perfkit"):
        for _ in range(2):
            page = client.get("/api/tuned/classes/", HTTP_ACCEPT="text/html")
            assert page.status_code == 200
    [record] = [r for r in caplog.records if "toolbar panel" in r.getMessage()]
    assert "the toolbar panel's detection failed: RuntimeError" in record.getMessage()
    assert record.exc_info[1].args == ("injected",)
    forget_logged_errors()
