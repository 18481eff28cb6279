"""A toolbar panel standing for the toolbar's own database work (a separate module: the
toolbar imports panels while its URLs module is still loading)."""

from __future__ import annotations

from debug_toolbar.panels import Panel
from django.contrib.contenttypes.models import ContentType


class ToolbarOwnQueriesPanel(Panel):
    """Runs queries around the rest of the request, as the toolbar's own machinery
    (stores, other panels) may: an N+1-shaped loop perfkit's panel must not show."""

    has_content = False
    title = "Own queries"

    def process_request(self, request):
        for content_type_id in range(1, 4):
            ContentType.objects.filter(pk=content_type_id).first()
        response = super().process_request(request)
        for content_type_id in range(1, 4):
            ContentType.objects.filter(pk=content_type_id).first()
        return response
