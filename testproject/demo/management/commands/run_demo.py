"""Exercise the testproject's naive and tuned endpoints and show what each costs, with
the findings perfkit's middleware reports for each (the naive ones have N+1 queries, the
tuned ones must be silent): the API, a template-rendered page, and an admin changelist
(requested as the superuser ``demo-admin``, made if missing)."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.http import HttpRequest
from django.test import Client, override_settings

from perfkit import Finding
from perfkit.conf import user_settings
from perfkit.detection import unmatched_entries
from perfkit.signals import finding_detected

SERVER_TIMING = re.compile(r'db;dur=([0-9.]+);desc="([0-9]+) queries"')
ENDPOINTS = ["classes", "attendance", "schedules", "employees", "journal"]
PAGES = ["/naive/classes/", "/tuned/classes/"]
ADMIN_PAGES = ["/admin/school/enrollment/"]


class Command(BaseCommand):
    help = "Request every naive and tuned endpoint once and report its queries and findings."

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client()
        found: list[Finding] = []

        def collect(sender: Any, finding: Finding, request: HttpRequest, **kwargs: Any) -> None:
            found.append(finding)

        perfkit_logger = logging.getLogger("perfkit")
        level = perfkit_logger.level
        # The command prints the findings itself; the middleware's log lines would repeat them.
        perfkit_logger.setLevel(logging.ERROR)
        finding_detected.connect(collect)
        try:
            demo_settings = {
                **user_settings(),
                "ENABLED": True,
                "ACTION": "log",
                "SERVER_TIMING": True,
                "FINDINGS_HEADER": True,
            }
            with override_settings(PERFKIT=demo_settings):
                self.run(client, found)
        finally:
            finding_detected.disconnect(collect)
            perfkit_logger.setLevel(level)
        stale = unmatched_entries()
        if stale:
            self.stdout.write(f"allowlist entries that matched nothing: {stale!r}")

    def run(self, client: Client, found: list[Finding]) -> None:
        self.stdout.write(
            f"{'endpoint':<28} {'status':>6} {'queries':>8} {'db ms':>8} {'findings':>9}"
        )
        details: list[str] = []
        urls = [f"/api/{f}/{endpoint}/" for endpoint in ENDPOINTS for f in ("naive", "tuned")]
        admin = Client()
        admin.force_login(demo_admin())
        visits = [(url, client) for url in [*urls, *PAGES]]
        visits += [(url, admin) for url in ADMIN_PAGES]
        for url, visitor in visits:
            found.clear()
            response = visitor.get(url)
            # Server-Timing: db;dur=12.3;desc="42 queries", perfkit;desc="2 findings"
            timing = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
            db_ms, queries = (timing.group(1), timing.group(2)) if timing else ("?", "?")
            self.stdout.write(
                f"{url:<28} {response.status_code:>6} {queries:>8} {db_ms:>8} "
                f"{response.headers.get('X-Perfkit-Findings', '?'):>9}"
            )
            if found:
                details.append(url)
                details.extend(f"  {finding.message}" for finding in found)
        if details:
            self.stdout.write("\nfindings (perfkit.middleware.PerfkitMiddleware):")
        for line in details:
            self.stdout.write(line)


def demo_admin() -> Any:
    """The superuser the demo requests the admin as (made on first use)."""
    user, _ = get_user_model().objects.get_or_create(
        username="demo-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return user
