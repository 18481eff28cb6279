"""A private journal: timestamped entries per user, with generic comments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="comment_target_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment on {self.content_type_id}:{self.object_id}"


class JournalEntry(models.Model):
    class EntryType(models.TextChoices):
        NOTE = "note"
        REFLECTION = "reflection"
        GOAL = "goal"

    class PrivacyScope(models.TextChoices):
        PRIVATE = "private"
        TEAM = "team"
        PUBLIC = "public"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries"
    )
    timestamp = models.DateTimeField()
    entry_type = models.CharField(max_length=20, choices=EntryType.choices)
    privacy_scope = models.CharField(
        max_length=20, choices=PrivacyScope.choices, default=PrivacyScope.PRIVATE
    )
    body = models.TextField()
    comments = GenericRelation(Comment, related_query_name="journal_entry")

    class Meta:
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.timestamp:%Y-%m-%d %H:%M}"
