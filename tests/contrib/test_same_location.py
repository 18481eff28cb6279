"""One finding, one location: the middleware's log line, the toolbar panel and the pytest
summary show the same ``path:LINE`` and the same label (issue 15)."""

from __future__ import annotations

import html
import inspect
import logging
import re
from pathlib import Path

import pytest
from django.test import Client

from testproject.school.serializers import ClassSerializer
from tests.contrib.plugin_sessions import REPO_ROOT, write_tests
from tests.contrib.test_debug_toolbar_panel import render_panel, rows
from tests.contrib.toolbar_settings import toolbar_settings
from tests.factories import ClassFactory

pytestmark = pytest.mark.django_db


def teacher_field() -> str:
    lines, first = inspect.getsourcelines(ClassSerializer)
    line = first + next(i for i, text in enumerate(lines) if text.strip().startswith("teacher ="))
    path = Path(inspect.getsourcefile(ClassSerializer)).relative_to(REPO_ROOT)
    return f"{path}:{line}"


def where() -> str:
    return f"{teacher_field()} (ClassSerializer.teacher)"


def test_the_log_line_and_the_toolbar_panel_show_the_same_location(settings, caplog):
    ClassFactory.create_batch(3)

    settings.PERFKIT = {"ACTION": "log"}
    with caplog.at_level(logging.WARNING, logger="perfkit"):
        Client().get("/api/naive/classes/")
    logged = [r.getMessage() for r in caplog.records if "school.Class.teacher" in r.getMessage()]
    assert [line.split(": ")[0] for line in logged] == [
        f"n_plus_one school.Class.teacher at {where()}"
    ]

    settings.PERFKIT = {}
    toolbar_settings(settings)
    _, content = render_panel(Client(), "/api/naive/classes/")
    [teacher_row] = [cells for _, cells in rows(content) if "school.Class.teacher" in cells]
    shown = re.search(r"<code>([^<]+)</code><br><small>([^<]+)</small>", teacher_row)
    assert f"{shown.group(1)} ({html.unescape(shown.group(2))})" == where()


def test_the_pytest_summary_shows_the_same_location(pytester):
    write_tests(
        pytester,
        """
        from django.test import Client

        def test_endpoint(classes):
            assert Client().get("/api/naive/classes/").status_code == 200
        """,
    )
    result = pytester.runpytest_inprocess()
    result.stdout.fnmatch_lines(
        [f"test_inner.py::test_endpoint: n_plus_one school.Class.teacher at {where()}: 3 queries*"]
    )
