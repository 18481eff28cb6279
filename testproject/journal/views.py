"""Journal API. ``Naive*`` views are demo material with deliberate mistakes; ``Tuned*``
views are the same endpoints done right (see testproject/school/views.py)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from rest_framework import viewsets

from perfkit import pagination as perfkit_pagination
from testproject.journal.models import JournalEntry
from testproject.journal.serializers import JournalEntrySerializer


class TunedPagination(perfkit_pagination.CursorPagination):
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
    queryset = JournalEntry.objects.all()  # lets system checks see the model

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return (
            JournalEntry.objects.filter(privacy_scope="public")
            .select_related("user")
            .annotate(comment_total=Count("comments"))
        )
