"""Test-only views: an N+1 whose size the request chooses (``?n=``), sync and async."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from testproject.school.models import Class, Teacher


def sync_loop(request: HttpRequest) -> JsonResponse:
    count = int(request.GET["n"])
    emails = [c.teacher.email for c in Class.objects.order_by("pk")[:count]]  # line: sync
    return JsonResponse({"emails": emails})


async def async_loop(request: HttpRequest) -> JsonResponse:
    count = int(request.GET["n"])
    emails = []
    async for school_class in Class.objects.order_by("pk")[:count]:
        teacher = await Teacher.objects.aget(pk=school_class.teacher_id)  # line: async
        emails.append(teacher.email)
    return JsonResponse({"emails": emails})


urlpatterns = [
    path("loop/sync/", sync_loop),
    path("loop/async/", async_loop),
    path("", include("testproject.urls")),
]
