"""Exercise the testproject's naive and tuned endpoints and show what each costs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

ENDPOINTS = ["classes", "attendance", "schedules", "employees", "journal"]


class Command(BaseCommand):
    help = "Request every naive and tuned endpoint once and report its queries."

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client()
        self.stdout.write(f"{'endpoint':<28} {'status':>6} {'queries':>8} {'db ms':>8}")
        for endpoint in ENDPOINTS:
            for flavour in ("naive", "tuned"):
                url = f"/api/{flavour}/{endpoint}/"
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url)
                db_ms = sum(float(query["time"]) for query in captured.captured_queries) * 1000
                self.stdout.write(
                    f"{url:<28} {response.status_code:>6} {len(captured):>8} {db_ms:>8.1f}"
                )
