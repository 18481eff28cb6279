"""The ORM hooks observe without touching: the host's exceptions stay the host's, each
hook is installed, degraded and restored on its own, and never over someone else's patch."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db.models import query_utils
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from django.db.models.query import ModelIterable

import perfkit
from perfkit.capture import capture_queries, orm
from testproject.school.models import Class
from tests.capture.test_capture import nothing_installed
from tests.factories import ClassFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIGINAL_ONE_TO_ONE_GET = ReverseOneToOneDescriptor.__dict__["__get__"]
ORIGINAL_FORWARD_GET = ForwardManyToOneDescriptor.__dict__["__get__"]
ORIGINAL_ITER = ModelIterable.__dict__["__iter__"]


def test_values_rows_with_prefetch_related_are_left_to_django():
    ClassFactory.create_batch(2)
    expected = list(Class.objects.prefetch_related("teacher").values("id"))

    with capture_queries() as captured:
        rows = list(Class.objects.prefetch_related("teacher").values("id"))
        pairs = list(Class.objects.prefetch_related("teacher").values_list("id", "name"))

    assert rows == expected
    assert len(pairs) == 2
    assert captured.errors == []


@pytest.fixture
def one_to_one_calls(monkeypatch):
    """Count the calls of the reverse one-to-one descriptor perfkit's hook wraps."""
    calls = []

    def counted(self, instance, cls=None):
        if instance is not None:  # not User.teacher (the class attribute)
            calls.append(instance)
        return ORIGINAL_ONE_TO_ONE_GET(self, instance, cls)

    monkeypatch.setattr(ReverseOneToOneDescriptor, "__get__", counted)
    return calls


@pytest.mark.parametrize("loaded", ["lazily", "select_related"])
def test_a_missing_reverse_one_to_one_raises_the_hosts_error_once(one_to_one_calls, loaded):
    user = UserFactory()  # no teacher
    users = User.objects.select_related("teacher") if loaded == "select_related" else User.objects

    with capture_queries() as captured:
        fetched = users.get(pk=user.pk)
        with pytest.raises(User.teacher.RelatedObjectDoesNotExist) as raised:
            fetched.teacher  # noqa: B018

    assert type(raised.value) is User.teacher.RelatedObjectDoesNotExist
    assert len(one_to_one_calls) == 1
    assert captured.errors == []  # the host's exception is not perfkit's error


def test_a_moved_django_method_turns_that_hook_off_only_and_is_logged_once(monkeypatch, caplog):
    # Django moving DeferredAttribute.__get__ to a base class: the hook finds no method.
    orm.uninstall()  # so that this test's first scope installs the hooks
    moved = type("DeferredAttribute", (query_utils.DeferredAttribute,), {})
    monkeypatch.setattr(query_utils, "DeferredAttribute", moved)
    ClassFactory.create_batch(3)

    with caplog.at_level(logging.ERROR, logger="perfkit"):
        for _ in range(2):
            with perfkit.detect() as report:
                [c.teacher.last_name for c in Class.objects.all()]

    [finding] = report.findings  # the other hooks still observe
    assert finding.relation == "school.Class.teacher"
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "the ORM hook DeferredAttribute.__get__ is off" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert "__get__" not in moved.__dict__
    assert nothing_installed()
    orm.uninstall()  # and let the next scope try that hook again (on the real class)


def test_a_patch_made_over_a_hook_survives_the_scope_and_is_restored_by_its_owner():
    ClassFactory.create_batch(3)

    def other_tool(self, instance, cls=None):
        return ORIGINAL_FORWARD_GET(self, instance, cls)

    with capture_queries():
        patcher = mock.patch.object(ForwardManyToOneDescriptor, "__get__", other_tool)
        patcher.start()
    assert ForwardManyToOneDescriptor.__dict__["__get__"] is other_tool  # not overwritten
    patcher.stop()  # puts back what it found: perfkit's wrapper
    assert ForwardManyToOneDescriptor.__dict__["__get__"].__wrapped__ is ORIGINAL_FORWARD_GET

    with perfkit.detect() as report:  # observed through it, once
        [c.teacher.last_name for c in Class.objects.all()]
    assert [f.count for f in report.findings] == [3]
    assert nothing_installed()

    with mock.patch.object(ForwardManyToOneDescriptor, "__get__", other_tool):
        orm.uninstall()  # a patch over perfkit's wrapper: left alone, ours passes through
        assert ForwardManyToOneDescriptor.__dict__["__get__"] is other_tool
    left_behind = ForwardManyToOneDescriptor.__dict__["__get__"]
    assert left_behind.perfkit_switch.on is False
    with perfkit.detect() as report:  # takes its wrapper back, once
        [c.teacher.last_name for c in Class.objects.all()]
    assert [f.count for f in report.findings] == [3]


def test_perfkits_wrapper_under_another_patch_never_observes_twice():
    ClassFactory.create_batch(3)
    try:
        with capture_queries():
            ours = ModelIterable.__dict__["__iter__"]

            def other_tool(self):
                return ours(self)

            ModelIterable.__iter__ = other_tool  # and never removed by that tool
        assert ModelIterable.__dict__["__iter__"] is other_tool

        with capture_queries() as captured:
            list(Class.objects.select_related("teacher"))
        assert [(load.path, load.instances) for load in captured.eager_loads] == [("teacher", 3)]
        assert ModelIterable.__dict__["__iter__"] is other_tool
    finally:
        ModelIterable.__iter__ = ORIGINAL_ITER
        orm.uninstall()


def test_a_related_managers_copy_runs_with_its_own_database():
    # get_or_create()/create() on a related manager go through db_manager(using): the
    # copy's queryset must use the copy's database, as without perfkit.
    teacher = ClassFactory().teacher
    expected = teacher.classes.db_manager("default").get_queryset()._db

    with capture_queries() as captured:
        copied = teacher.classes.db_manager("default")
        assert copied.get_queryset()._db == expected == "default"
        assert copied.count() == 1
        teacher.classes.get_or_create(name="Homeroom")

    assert captured.errors == []
    assert [q.relation.label for q in captured.queries if q.statement == "SELECT"] == [
        "school.Teacher.classes"
    ] * 2


@contextmanager
def under_another_tool(monkeypatch, owner, original, note):
    """Another tool's ``__get__`` on ``owner`` (calling ``original``), under perfkit's
    next hook: yields what it noted, ``note(descriptor, instance)`` per read."""
    orm.uninstall()  # so that the next scope wraps the other tool's wrapper
    reads = []

    def other_tool(self, instance, cls=None):
        if instance is not None:
            reads.append(note(self, instance))
        return original(self, instance, cls)

    monkeypatch.setattr(owner, "__get__", other_tool)
    try:
        yield reads
    finally:
        orm.uninstall()


def test_a_tool_under_perfkits_descriptor_hook_sees_every_cached_read(monkeypatch):
    # A cached object is returned without the original only when the original is
    # Django's own: another tool's wrapper there (nplusone's) must see each read.
    ClassFactory.create_batch(3)
    with under_another_tool(
        monkeypatch, ForwardManyToOneDescriptor, ORIGINAL_FORWARD_GET, lambda _, row: row
    ) as reads:
        with capture_queries() as captured:
            classes = list(Class.objects.select_related("teacher"))
            teachers = [c.teacher for c in classes for _ in range(2)]
        assert len(reads) == 6
        assert teachers == [c.teacher for c in classes for _ in range(2)]
        assert [load.used for load in captured.eager_loads] == [True]


ORIGINAL_DEFERRED_GET = query_utils.DeferredAttribute.__dict__["__get__"]


def test_a_foreign_key_id_reads_as_django_reads_it_and_a_deferred_one_still_loads():
    # A foreign key's *_id is a data descriptor: its __get__ runs on every read, so the
    # hook returns the loaded value itself; a deferred field still loads, and is seen.
    ClassFactory.create_batch(2)
    expected = [(c.pk, c.teacher_id, c.room) for c in Class.objects.order_by("pk")]

    with capture_queries() as captured:
        got = [(c.pk, c.teacher_id, c.room) for c in Class.objects.order_by("pk")]
        deferred = list(Class.objects.only("pk", "teacher").order_by("pk"))
        late = [(c.pk, c.teacher_id, c.room) for c in deferred]

    assert got == late == expected
    loads = [(q.relation.kind, q.relation.attribute) for q in captured.queries if q.relation]
    assert loads == [("deferred", "room")] * 2
    assert captured.errors == []


def test_a_tool_under_perfkits_deferred_hook_sees_every_loaded_read(monkeypatch):
    ClassFactory.create_batch(2)
    with under_another_tool(
        monkeypatch,
        query_utils.DeferredAttribute,
        ORIGINAL_DEFERRED_GET,
        lambda descriptor, _: descriptor.field.attname,
    ) as reads:
        with capture_queries():
            ids = [c.teacher_id for c in Class.objects.order_by("pk")]
        assert reads == ["teacher_id"] * 2
        assert ids == [c.teacher_id for c in Class.objects.order_by("pk")]


def test_a_cached_read_returns_what_djangos_descriptor_returns():
    ClassFactory.create_batch(2)
    expected = [(c.pk, c.teacher) for c in Class.objects.select_related("teacher")]

    with capture_queries() as captured:
        got = [(c.pk, c.teacher) for c in Class.objects.select_related("teacher")]

    assert got == expected
    assert [len(captured.queries), captured.errors] == [1, []]


def test_a_field_that_keeps_its_cache_elsewhere_is_read_through_django():
    from django.db import models

    class CachedElsewhere(models.ForeignKey):  # type: ignore[type-arg]
        def get_cached_value(self, instance, default=models.NOT_PROVIDED):  # type: ignore[no-untyped-def]
            return super().get_cached_value(instance, default)

    plain = Class._meta.get_field("teacher")
    elsewhere = CachedElsewhere(User, on_delete=models.CASCADE)
    assert orm._reads_cache_directly(plain) is True
    assert orm._reads_cache_directly(elsewhere) is False
    assert orm._is_djangos_own(ORIGINAL_FORWARD_GET) is True
    assert orm._is_djangos_own(orm.HOOKS[0].made or (lambda: None)) is False


def test_a_related_managers_class_is_wrapped_once_and_put_back_by_uninstall():
    teacher = ClassFactory().teacher
    manager_class = type(teacher.classes)
    own = {name: manager_class.__dict__.get(name) for name in ("get_queryset", "count")}
    orm.uninstall()
    try:
        kept = teacher.classes  # taken before any scope: its class is observed later
        for _ in range(2):
            with capture_queries() as captured:
                assert len(teacher.classes.all()) == 1  # observes the class
                assert kept.count() == 1
            assert [q.relation.label for q in captured.queries] == ["school.Teacher.classes"] * 2
        wrapped = manager_class.__dict__["get_queryset"]
        assert wrapped.__wrapped__ is own["get_queryset"]  # wrapped once, not twice
        assert vars(kept).keys() == vars(type(teacher).classes.__get__(teacher)).keys()
    finally:
        orm.uninstall()
    assert manager_class.__dict__.get("get_queryset") is own["get_queryset"]
    assert "count" not in manager_class.__dict__ and own["count"] is None  # inherited
    with capture_queries() as captured:
        assert teacher.classes.count() == 1
    assert captured.queries[0].relation.label == "school.Teacher.classes"
