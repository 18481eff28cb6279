from __future__ import annotations

import contextvars
import threading

import pytest
from django.db import connection, connections
from django.db.models.fields import related_descriptors
from django.db.models.query import ModelIterable

from perfkit.capture import capture_queries, current_capture, excluded, orm
from perfkit.capture.scope import record_query, scopes_active
from testproject.school.models import Class, Teacher
from tests.factories import ClassFactory

pytestmark = pytest.mark.django_db

ORIGINAL_FORWARD_GET = related_descriptors.ForwardManyToOneDescriptor.__dict__["__get__"]
ORIGINAL_ITER = ModelIterable.__dict__["__iter__"]


def line_of(marker: str) -> int:
    with open(__file__) as source:
        for number, text in enumerate(source, start=1):
            if marker in text and "line_of(" not in text:
                return number
    raise AssertionError(marker)


def nothing_installed() -> bool:
    """No scope, and no connection carries the recorder (the ORM hooks, once installed,
    stay and pass through: see test_outside_a_scope_the_hooks_pass_straight_through)."""
    return (
        scopes_active() == 0
        and current_capture() is None
        and all(record_query not in c.execute_wrappers for c in connections.all())
    )


def test_records_sql_duration_alias_and_the_users_line():
    ClassFactory()
    with capture_queries() as captured:
        list(Class.objects.filter(name__startswith="Class"))  # marker: filter-call
    [query] = captured.queries
    assert query.sql.startswith("SELECT")
    assert query.alias == "default"
    assert query.duration_ms > 0
    assert query.call_site.in_user_code
    expected = f"tests/capture/test_capture.py:{line_of('marker: filter-call')}"
    assert query.call_site.location == expected
    assert "LIKE" in query.fingerprint.upper() or "GLOB" in query.fingerprint.upper()
    assert query.relation is None
    assert captured.query_count == 1
    assert captured.total_ms == query.duration_ms


def test_nothing_is_installed_outside_a_scope():
    assert nothing_installed()
    with capture_queries():
        assert record_query in connection.execute_wrappers
        assert related_descriptors.ForwardManyToOneDescriptor.__get__ is not ORIGINAL_FORWARD_GET
    assert nothing_installed()
    assert current_capture() is None


def test_outside_a_scope_the_hooks_pass_straight_through():
    ClassFactory.create_batch(2)
    with capture_queries():
        pass
    wrapper = related_descriptors.ForwardManyToOneDescriptor.__dict__["__get__"]
    assert wrapper.__wrapped__ is ORIGINAL_FORWARD_GET  # left in place after the scope
    names = [c.teacher.last_name for c in Class.objects.all()]  # no scope: nothing kept
    assert len(names) == 2
    with capture_queries() as captured:  # the next scope observes through it, once
        [c.teacher.last_name for c in Class.objects.all()]
    assert [q.relation.label if q.relation else None for q in captured.queries] == [
        None,
        "school.Class.teacher",
        "school.Class.teacher",
    ]
    orm.uninstall()  # on demand: Django's own methods back
    assert related_descriptors.ForwardManyToOneDescriptor.__dict__["__get__"] is (
        ORIGINAL_FORWARD_GET
    )
    assert ModelIterable.__dict__["__iter__"] is ORIGINAL_ITER


def test_everything_is_restored_when_the_block_raises():
    with pytest.raises(ZeroDivisionError), capture_queries():
        list(Teacher.objects.all())
        1 / 0  # noqa: B018
    assert nothing_installed()


def test_excluded_queries_are_not_recorded():
    with capture_queries() as captured:
        Class.objects.count()
        with excluded():
            Class.objects.count()
            assert current_capture() is None
        Class.objects.exists()
    assert [query.statement for query in captured.queries] == ["SELECT", "SELECT"]
    assert len(captured.queries) == 2


def test_nested_captures_both_record():
    with capture_queries() as outer:
        Class.objects.count()
        with capture_queries() as inner:
            Teacher.objects.count()
    assert len(inner.queries) == 1
    assert len(outer.queries) == 2


def test_another_thread_without_a_scope_is_not_recorded():
    def elsewhere():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        connections.close_all()

    with capture_queries() as captured:
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert captured.queries == []


def test_call_site_exclude_skips_a_module(settings):
    settings.PERFKIT = {"CALL_SITE_EXCLUDE": ["tests.capture.helpers"]}
    from tests.capture import helpers

    with capture_queries() as captured:
        helpers.count_classes()  # marker: helper-call
    [query] = captured.queries
    expected = f"tests/capture/test_capture.py:{line_of('marker: helper-call')}"
    assert query.call_site.location == expected


def test_without_exclusion_the_helper_is_the_call_site(settings):
    settings.PERFKIT = {}
    from tests.capture import helpers

    with capture_queries() as captured:
        helpers.count_classes()
    [query] = captured.queries
    assert query.call_site.location.startswith("tests/capture/helpers.py:")


def test_a_thread_run_in_a_copy_of_the_context_belongs_to_the_scope():
    failures = []

    def elsewhere():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    with capture_queries() as captured:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(elsewhere,))
        thread.start()
        thread.join()
    assert failures == []
    assert [query.sql for query in captured.queries] == ["SELECT 1"]


def test_the_fast_constructors_build_what_the_dataclasses_build():
    from dataclasses import astuple

    from perfkit.capture.call_site import UNKNOWN_SITE
    from perfkit.capture.records import (
        CapturedQuery,
        RelationLoad,
        new_captured_query,
        new_relation_load,
    )

    load_fields = ("app.Model.author", "forward", "author", "books__author", False, None, True)
    query_fields = ("SELECT 1", (1,), False, 1.5, "default", UNKNOWN_SITE, None)
    load = new_relation_load(*load_fields)  # type: ignore[arg-type]
    query = new_captured_query(*query_fields)
    assert load == RelationLoad(*load_fields) and astuple(load) == load_fields  # type: ignore[arg-type]
    assert query == CapturedQuery(*query_fields) and astuple(query)[:5] == query_fields[:5]
    with pytest.raises(AttributeError):
        query.sql = "changed"  # type: ignore[misc]  # still frozen


@pytest.fixture
def resolved(monkeypatch):
    """The frames a call site was searched from (each a walk up the stack)."""
    from perfkit.capture.call_site import CallSiteResolver

    frames = []
    resolve = CallSiteResolver.resolve

    def counted(self, frame, task=None, boundary=None):  # type: ignore[no-untyped-def]
        frames.append(frame)
        return resolve(self, frame, task, boundary)

    monkeypatch.setattr(CallSiteResolver, "resolve", counted)
    return frames


def test_an_n_plus_one_loops_call_site_is_found_once_and_the_frame_let_go(resolved):
    ClassFactory.create_batch(4)
    classes = list(Class.objects.all())
    with capture_queries() as captured:
        [c.teacher.last_name for c in classes]  # the N+1 line
    assert len(captured.queries) == 4
    assert {q.call_site.lineno for q in captured.queries} == {line_of("# the N+1 line")}
    # The first two queries from that frame and line walk; the frame is kept
    # from the second on, and the others reuse its site.
    assert len(resolved) == 2
    assert captured.sited_frame is None  # a closed capture holds no frame


def test_two_relations_read_on_one_line_of_a_loop_share_its_walks(resolved):
    from testproject.school.models import ClassSession
    from tests.factories import ClassSessionFactory

    ClassSessionFactory.create_batch(4)
    sessions = list(ClassSession.objects.all())
    with capture_queries() as captured:
        [(s.school_class.name, s.teacher.last_name) for s in sessions]  # one line, two loads
    assert len(captured.queries) == 8
    assert {q.call_site.lineno for q in captured.queries} == {line_of("# one line, two loads")}
    assert len(resolved) == 2


def test_a_frame_that_queried_once_is_let_go_when_it_returns():
    # Keeping it would keep its locals, and copy out every caller it returns to.
    import weakref

    class Local:
        pass

    ClassFactory.create_batch(2)
    first, second = Class.objects.all()
    seen = []

    def loads_a_teacher(school_class: Class) -> None:
        local = Local()
        seen.append(weakref.ref(local))
        assert school_class.teacher  # a lazy load: its query's call site is this frame

    def counts_enrollments(school_class: Class) -> None:
        local = Local()
        seen.append(weakref.ref(local))
        school_class.enrollments.count()

    with capture_queries() as captured:
        loads_a_teacher(first)
        assert seen[0]() is None  # freed as the function returned, inside the scope
        counts_enrollments(second)
        assert seen[1]() is None
        assert captured.sited_frame is None
    assert len(captured.queries) == 2


def test_a_generators_frame_is_sited_at_every_query(resolved):
    # A generator resumed from elsewhere has other callers: its site is never reused.
    ClassFactory.create_batch(3)
    classes = list(Class.objects.all())
    teachers = (c.teacher for c in classes)
    with capture_queries() as captured:
        next(teachers)
        list(teachers)
    assert len(captured.queries) == 3
    assert len(resolved) == 3
