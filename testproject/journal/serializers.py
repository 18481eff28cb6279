from __future__ import annotations

from rest_framework import serializers

from testproject.journal.models import JournalEntry


class JournalEntrySerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    comment_count = serializers.SerializerMethodField()

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "username",
            "timestamp",
            "entry_type",
            "privacy_scope",
            "body",
            "comment_count",
        ]

    def get_comment_count(self, entry: JournalEntry) -> int:
        annotated = getattr(entry, "comment_total", None)
        return entry.comments.count() if annotated is None else int(annotated)
