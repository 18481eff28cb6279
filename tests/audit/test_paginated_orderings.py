"""perfaudit's ordering check (PA303) covers the orderings of perfkit cursor paginators in
the project's DRF views, as well as Meta.ordering."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.test import override_settings
from django.urls import path
from rest_framework import generics

from perfkit.audit.run import run_audit
from perfkit.pagination import CursorPagination
from testproject.school.models import Attendance, Student

pytestmark = pytest.mark.django_db


class ByLastName(CursorPagination):
    ordering = ["last_name"]


class NewestFirst(CursorPagination):
    ordering = ["-id"]


class SameAsMetaOrdering(CursorPagination):
    ordering = ["-created_at"]


class ByExpression(CursorPagination):
    ordering = [F("first_name").asc(nulls_last=True)]


def view(name, paginator, model):
    attributes = {"queryset": model.objects.all(), "pagination_class": paginator}
    return type(name, (generics.ListAPIView,), attributes).as_view()


urlpatterns = [
    path("students/", view("StudentsByName", ByLastName, Student)),
    path("students/new/", view("NewStudents", NewestFirst, Student)),
    path("students/first/", view("StudentsByFirstName", ByExpression, Student)),
    path("attendance/", view("AttendanceFeed", SameAsMetaOrdering, Attendance)),
]


def test_unindexed_paginator_ordering_is_reported_once():
    with override_settings(ROOT_URLCONF=__name__):
        findings = run_audit(app_labels=["school"], checks=["PA303"]).findings
    assert sorted(f.id for f in findings) == [
        "PA303:school_attendance:created_at",  # Meta.ordering; the paginator's is the same
        "PA303:school_student:last_name",
    ]
    [student] = [f for f in findings if f.table == "school_student"]
    assert student.message == (
        "school.Student is ordered by (last_name) in the cursor pagination of StudentsByName, "
        "and no index leads with those columns and directions: every ordered page sorts the "
        "whole table."
    )
    assert student.autofix == {
        "action": "add_index",
        "app_label": "school",
        "model": "Student",
        "fields": ["last_name"],
        "name": None,
    }


def test_importing_the_audit_does_not_import_drf():
    import subprocess
    import sys

    code = (
        "import sys, perfkit.audit.run, perfkit.management.commands.perfaudit; "
        "print('rest_framework' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
