from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from testproject.school import serializers
from tests.middleware.test_endpoints import declared

pytestmark = pytest.mark.usefixtures("site_data")


def test_demo_shows_naive_findings_and_tuned_silence():
    out = StringIO()
    call_command("run_demo", stdout=out)
    text = out.getvalue()
    rows = dict(re.findall(r"^(/api/\w+/\w+/)\s+200\s+\d+\s+[\d.]+\s+(\d+)$", text, re.M))
    assert len(rows) == 10, text
    for url, findings in rows.items():
        if url.startswith("/api/naive/"):
            assert int(findings) > 0, url
        else:
            assert findings == "0", url
    assert "findings (perfkit.middleware.PerfkitMiddleware):" in text
    field = declared(serializers.ClassSerializer, "teacher")
    expected = f"n_plus_one school.Class.teacher at {field} (ClassSerializer.teacher): 6 queries"
    assert expected in text, text
