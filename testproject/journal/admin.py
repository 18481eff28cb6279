from django.contrib import admin

from testproject.journal.models import Comment, JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "timestamp", "entry_type", "privacy_scope"]
    list_select_related = ["user"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["content_type", "object_id", "created_at"]
