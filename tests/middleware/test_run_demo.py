from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from testproject.school import serializers
from tests.middleware.test_endpoints import declared

pytestmark = pytest.mark.usefixtures("site_data")

ROW = re.compile(r"^(/[\w/]+/)\s+200\s+\d+\s+[\d.]+\s+(\d+)$", re.M)


def line(path: str, text: str) -> str:
    with open(path) as source:
        number = next(n for n, line in enumerate(source, 1) if text in line)
    return f"{path}:{number}"


def test_demo_shows_naive_findings_and_tuned_silence():
    out = StringIO()
    call_command("run_demo", stdout=out)
    text = out.getvalue()
    rows = dict(ROW.findall(text))
    assert len(rows) == 13, text
    for url, findings in rows.items():
        if url.startswith(("/api/naive/", "/naive/", "/admin/")):
            assert int(findings) > 0, url
        else:
            assert findings == "0", url
    assert "findings (perfkit.middleware.PerfkitMiddleware):" in text
    field = declared(serializers.ClassSerializer, "teacher")
    expected = f"n_plus_one school.Class.teacher at {field} (ClassSerializer.teacher): 6 queries"
    assert expected in text, text

    row = "testproject/school/templates/school/_class_row.html"
    view = line("testproject/school/pages.py", "def get_queryset")
    assert (
        f"n_plus_one school.Class.teacher at {line(row, 'school_class.teacher')} "
        "(template rendered by NaiveClassListView): "
    ) in text
    assert f'Add select_related("teacher") to NaiveClassListView.get_queryset() ({view}).' in text

    admin = "testproject/school/admin.py"
    lookup = line(admin, '"school_class__teacher__last_name"')
    option = line(admin, 'list_select_related = ["student", "school_class"]')
    assert (
        f"n_plus_one school.Class.teacher at {lookup} (EnrollmentAdmin.list_display "
        '"school_class__teacher__last_name"): '
    ) in text
    assert (
        'Set list_select_related = ("student", "school_class", "school_class__teacher") '
        f"on EnrollmentAdmin ({option})."
    ) in text
