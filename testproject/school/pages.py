"""School pages rendered with templates, in two flavours (like the API in views.py).

``NaiveClassListView`` is demo material: its template reads each class's teacher and
students one class at a time (an N+1 in ``_class_row.html``, included from
``class_list.html``). ``TunedClassListView`` renders the same page with the relations
loaded up front.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.views.generic import ListView

from testproject.school.models import Class


class NaiveClassListView(ListView):
    """Demo material: teacher and students are loaded one class at a time."""

    template_name = "school/class_list.html"
    context_object_name = "classes"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Class]:
        return Class.objects.order_by("name", "pk")


class TunedClassListView(NaiveClassListView):
    def get_queryset(self) -> QuerySet[Class]:
        return (
            Class.objects.order_by("name", "pk")
            .select_related("teacher")
            .prefetch_related("students")
        )
