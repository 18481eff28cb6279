"""Journal API. ``Naive*`` views are demo material with deliberate mistakes; ``Tuned*``
views are the same endpoints done right (see testproject/school/views.py)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from rest_framework import pagination, viewsets

from testproject.journal.models import JournalEntry
from testproject.journal.serializers import JournalEntrySerializer


class TunedPagination(pagination.CursorPagination):
    page_size = 50
    ordering = "-id"


class NaiveJournalEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Demo material: the author and a COUNT of comments are queried per entry, the list
    is ordered by -timestamp (no index) and unpaginated."""

    serializer_class = JournalEntrySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return JournalEntry.objects.filter(privacy_scope="public").order_by("-timestamp")


class TunedJournalEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = JournalEntrySerializer
    pagination_class = TunedPagination

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return (
            JournalEntry.objects.filter(privacy_scope="public")
            .select_related("user")
            .annotate(comment_total=Count("comments"))
        )
