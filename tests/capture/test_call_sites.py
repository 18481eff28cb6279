"""How a call site is shown: project paths relative to the project root, library code
relative to where it is installed and labelled as such, and a view picked by a generic
router named for itself, never for the router (issue 11, item 10; issue 15)."""

from __future__ import annotations

import contextvars
import inspect
import threading
from pathlib import Path

import django
import pytest
from django.core.paginator import Paginator
from django.db import connections
from django.test import Client, override_settings

from perfkit.capture import CallSite, capture_queries
from perfkit.capture.source_paths import display_path, real_path
from testproject.school.models import Class
from tests.capture import library_views
from tests.factories import ClassFactory

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(Path(__file__).parent / "templates")],
    }
]


def line_of(path: str, marker: str) -> int:
    with open(path) as source:
        for number, text in enumerate(source, start=1):
            if marker in text and "line_of(" not in text:
                return number
    raise LookupError(marker)


def test_library_files_are_shown_relative_to_where_they_are_installed():
    query_py = inspect.getsourcefile(django.db.models.query)
    assert display_path(query_py) == "django/db/models/query.py"
    assert real_path("django/db/models/query.py") == query_py
    assert display_path(__file__) == "tests/capture/test_call_sites.py"
    assert display_path("<string>") == "<string>"


def test_a_library_site_is_labelled_as_library_code():
    assert CallSite("/x/site-packages/lib/views.py", 3, "get", in_user_code=False).label == (
        "library code"
    )
    assert CallSite("views.py", 3, "get").label == ""


@pytest.mark.django_db(transaction=True)
def test_a_query_only_library_code_made_is_located_in_that_library():
    ClassFactory.create_batch(3)
    page = Paginator(Class.objects.order_by("pk"), 2).page
    with capture_queries() as captured:
        context = contextvars.copy_context()  # the thread runs inside this scope
        thread = threading.Thread(target=context.run, args=(page, 1))
        thread.start()
        thread.join()
    [count] = [query for query in captured.queries if "COUNT(" in query.sql]
    paginator_py = inspect.getsourcefile(django.core.paginator)
    assert count.call_site.location.startswith("django/core/paginator.py:")
    line = int(count.call_site.location.rsplit(":", 1)[1])
    assert count.call_site.function == "count"  # Paginator.count: c = object_list.count
    assert Path(paginator_py).read_text().splitlines()[line - 1].strip() == "return c()"
    assert count.call_site.label == "library code"
    connections.close_all()


@pytest.mark.django_db
@override_settings(
    ROOT_URLCONF="tests.capture.call_site_urls",
    TEMPLATES=TEMPLATES,
    PERFKIT={"CALL_SITE_EXCLUDE": ["tests.capture.library_views"]},
)
def test_a_routed_view_is_named_for_itself_not_for_the_router(received):
    ClassFactory.create_batch(3)
    assert Client().get("/router/emails/").status_code == 200
    [finding] = [f for _, f in received]
    loop = line_of(library_views.__file__, "# line: library-loop")
    assert finding.location == f"tests/capture/library_views.py:{loop}"
    assert finding.location_label == "library code, view TeacherEmailsView"

    received.clear()
    assert Client().get("/router/list/").status_code == 200
    [finding] = [f for _, f in received]
    template = "tests/capture/templates/call_sites/teachers.html"
    assert finding.location == f"{template}:{line_of(template, '# line: teacher')}"
    assert finding.location_label == "template rendered by TeacherListView"
    router = line_of(library_views.__file__, "def view_router")
    assert all(f":{router}" not in f.location for _, f in received)


def test_project_files_outside_the_working_directory_are_relative_to_the_settings_package(
    tmp_path, monkeypatch, settings
):
    from perfkit.capture import source_paths

    settings.PERFKIT = {}  # settings overridden: their holder does not name the module
    monkeypatch.chdir(tmp_path)
    source_paths._settings_roots.clear()
    source_paths.display_path.cache_clear()
    wsgi = Path(__file__).resolve().parents[2] / "testproject" / "wsgi.py"
    assert display_path(str(wsgi)) == "testproject/wsgi.py"
    assert real_path("testproject/wsgi.py") == str(wsgi)
    assert display_path(str(tmp_path / "views.py")) == "views.py"
