"""Views that stand in for an installed package's (the tests list this module in
``CALL_SITE_EXCLUDE``): a generic router that picks a class-based view per request, as
Wagtail's page views do, and the views it picks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from django.views.generic import TemplateView

from testproject.school.models import Class


class TeacherEmailsView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        emails = [c.teacher.email for c in Class.objects.order_by("pk")]  # line: library-loop
        return JsonResponse({"emails": emails})


class TeacherListView(TemplateView):
    template_name = "call_sites/teachers.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "classes": Class.objects.order_by("pk")}


VIEWS = {"emails": TeacherEmailsView.as_view(), "list": TeacherListView.as_view()}


def view_router(request: HttpRequest, kind: str) -> HttpResponse:
    return VIEWS[kind](request)
