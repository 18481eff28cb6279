"""Test-only views: an N+1 whose size the request chooses (``?n=``), sync and async."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, JsonResponse, StreamingHttpResponse
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


def n_plus_one_then_raise(request: HttpRequest) -> JsonResponse:
    [c.teacher.email for c in Class.objects.all()]
    raise ValueError("the view's own error")


def csv_rows():
    yield "class,teacher\n"
    for school_class in Class.objects.order_by("pk"):
        yield f"{school_class.name},{school_class.teacher.email}\n"  # line: stream-sync


async def async_csv_rows():
    yield "class,teacher\n"
    async for school_class in Class.objects.order_by("pk"):
        teacher = await Teacher.objects.aget(pk=school_class.teacher_id)  # line: stream-async
        yield f"{school_class.name},{teacher.email}\n"


def stream_sync(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(csv_rows(), content_type="text/csv")


def stream_async(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(async_csv_rows(), content_type="text/csv")


def file_download(request: HttpRequest) -> FileResponse:
    names = ",".join(c.teacher.email for c in Class.objects.order_by("pk"))
    return FileResponse(io.BytesIO(names.encode()), content_type="text/plain")


urlpatterns += [
    path("raising/", n_plus_one_then_raise),
    path("file/", file_download),
    path("stream/sync/", stream_sync),
    path("stream/async/", stream_async),
]
