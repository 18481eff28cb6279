"""Request the gate's URLs once each, in this process, and write what came back as JSON.

Run by ``scripts/gates/wagtail`` twice, in two processes on two pristine copies of the
same database and media: once with perfkit installed (``GATE_PERFKIT=on``), once with
perfkit absent. Per URL it records the status, content type, the masked body (written to
a file), the number of queries (Django's own ``CaptureQueriesContext``, applied the same
way in both runs and free of project frames, so it cannot become a call site), the
exception a view raised, every record of the ``perfkit`` logger, and the findings.

With ``--trace-lines-of`` (the run without perfkit) it also records which lines of the
files named by the other run's findings executed during each request (Python lines, and
the template lines whose tags rendered): the verdict uses them to tell a location that
ran from one that did not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from wagtail_bodies import mask_body


@dataclass(frozen=True)
class Visit:
    """One URL to request, and as whom (``admin``: the superuser; ``anonymous``)."""

    path: str
    client: str


def admin_paths() -> list[str]:
    from django.contrib.auth.models import Group, User
    from django.urls import reverse
    from gatesite.models import ArticleIndexPage, ArticlePage, Author
    from wagtail.documents.models import Document
    from wagtail.images.models import Image
    from wagtail.models import Page, Site

    home = Page.objects.get(depth=2)
    listing = ArticleIndexPage.objects.get(slug="articles")
    article = ArticlePage.objects.get(slug="articles-5")  # has two revisions
    image = Image.objects.order_by("pk").first()
    document = Document.objects.order_by("pk").first()
    person = User.objects.get(username="person1")
    group = Group.objects.get(name="Reviewers")
    author = Author.objects.order_by("pk").first()
    site = Site.objects.get(is_default_site=True)
    assert image and document and author  # the seed made them
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore_root"),
        reverse("wagtailadmin_explore", args=[home.pk]),
        reverse("wagtailadmin_explore", args=[listing.pk]),
        reverse("wagtailadmin_pages:edit", args=[article.pk]),
        reverse("wagtailadmin_pages:edit", args=[listing.pk]),
        reverse("wagtailadmin_pages:add_subpage", args=[listing.pk]),
        reverse("wagtailadmin_pages:add", args=["gatesite", "articlepage", listing.pk]),
        reverse("wagtailadmin_pages:history", args=[article.pk]),
        reverse("wagtailadmin_pages:search") + "?q=article",
        reverse("wagtailimages:index"),
        reverse("wagtailimages:edit", args=[image.pk]),
        reverse("wagtailimages_chooser:choose"),
        reverse("wagtaildocs:index"),
        reverse("wagtaildocs:edit", args=[document.pk]),
        reverse("wagtailusers_users:index"),
        reverse("wagtailusers_users:edit", args=[person.pk]),
        reverse("wagtailusers_groups:index"),
        reverse("wagtailusers_groups:edit", args=[group.pk]),
        reverse("wagtailadmin_collections:index"),
        reverse("wagtailsites:index"),
        reverse("wagtailsettings:edit", args=["gatesite", "sitebranding", site.pk]),
        reverse("wagtailsnippets:index"),
        reverse("wagtailsnippets_gatesite_author:list"),
        reverse("wagtailsnippets_gatesite_author:edit", args=[author.pk]),
        reverse("wagtailadmin_reports:locked_pages"),
        reverse("wagtailadmin_reports:site_history"),
        reverse("wagtailadmin_reports:aging_pages"),
        reverse("wagtailredirects:index"),
        reverse("wagtailadmin_workflows:index"),
        reverse("wagtailadmin_choose_page"),
    ]


def front_end_paths() -> list[str]:
    from django.urls import reverse
    from wagtail.documents.models import Document
    from wagtail.models import Page

    document = Document.objects.order_by("pk").first()
    assert document
    pages = [Page.objects.get(slug=slug).specific for slug in ("articles", "articles-5", "news")]
    return [
        "/",
        *(page.url for page in pages),
        reverse("search") + "?query=article",
        reverse("authors"),
        reverse("wagtaildocs_serve", args=[document.pk, Path(document.file.name).name]),
        "/no-such-page/",
    ]


def visits() -> list[Visit]:
    return [Visit(path, "admin") for path in admin_paths()] + [
        Visit(path, "anonymous") for path in front_end_paths()
    ]


class RecordingHandler(logging.Handler):
    """Keeps every record of the ``perfkit`` logger until taken."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[dict[str, Any]]:
        taken, self.records = self.records, []
        formatter = logging.Formatter()
        return [
            {
                "level": record.levelname,
                "message": record.getMessage(),
                "traceback": formatter.formatException(record.exc_info)
                if record.exc_info
                else None,
                "finding": getattr(record, "perfkit_finding", None),
            }
            for record in taken
        ]


@contextmanager
def lines_run_in(files: set[str]) -> Iterator[dict[str, set[int]]]:
    """Which lines of ``files`` (real paths) execute inside the block: Python lines, and
    template lines (each ``{{ }}``/``{% %}`` Django's engine renders)."""
    ran: dict[str, set[int]] = {}
    if not files:  # the run with perfkit: no tracer at all, not even an idle one
        yield ran
        return
    from django.template.base import Node

    render_node = Node.render_annotated.__code__
    wanted: dict[str, bool] = {}

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            ran.setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
        return local

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code is render_node:
            node = frame.f_locals.get("self")
            template = getattr(getattr(node, "origin", None), "name", None)
            if isinstance(template, str) and not template.startswith("<"):
                template = os.path.realpath(template)
                if template in files:
                    ran.setdefault(template, set()).add(node.token.lineno)
            return None
        filename = frame.f_code.co_filename
        keep = wanted.get(filename)
        if keep is None:
            keep = wanted[filename] = os.path.realpath(filename) in files
        return local if keep else None

    sys.settrace(on_call)
    try:
        yield ran
    finally:
        sys.settrace(None)


def request(visit: Visit, clients: dict[str, Any], traced_files: set[str]) -> dict[str, Any]:
    from django.core.signals import got_request_exception
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raised: list[str] = []

    def on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        raised.append(f"{type(error).__name__}: {error}")

    got_request_exception.connect(on_exception)
    try:
        with lines_run_in(traced_files) as ran, CaptureQueriesContext(connection) as queries:
            response = clients[visit.client].get(visit.path)
            body = response.getvalue()  # also drains a streaming response, inside the count
            response.close()
    finally:
        got_request_exception.disconnect(on_exception)
    return {
        "path": visit.path,
        "client": visit.client,
        "status": response.status_code,
        "content_type": response.get("Content-Type", ""),
        "body": body,
        "queries": len(queries),
        "exceptions": raised,
        "lines_run": {os.path.realpath(filename): sorted(lines) for filename, lines in ran.items()},
    }


def finding_files(findings_run: Path, site: Path) -> set[str]:
    """Real paths of the files that the other run's findings name (when they exist)."""
    from wagtail_locations import resolve

    data = json.loads(findings_run.read_text())
    files = set()
    for visit in data["visits"]:
        for record in visit["records"]:
            finding = record["finding"]
            if finding:
                resolved = resolve(finding["location"], site)
                if resolved.path is not None:
                    files.add(os.path.realpath(resolved.path))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="the generated site")
    parser.add_argument("--out", type=Path, required=True, help="a directory for the results")
    parser.add_argument("--trace-lines-of", type=Path, help="the other run's results.json")
    args = parser.parse_args()

    site = args.site.resolve()
    os.chdir(site)  # perfkit prints project paths relative to the working directory
    sys.path.insert(0, str(site))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatesite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db.models import F
    from django.test import Client

    handler = RecordingHandler()
    perfkit_logger = logging.getLogger("perfkit")
    perfkit_logger.addHandler(handler)
    perfkit_logger.setLevel(logging.DEBUG)

    traced_files = finding_files(args.trace_lines_of, site) if args.trace_lines_of else set()
    admin = Client(raise_request_exception=False)
    admin.force_login(User.objects.get(username="admin"))
    # Logging in stamps last_login with now, which the users index prints: pin it.
    User.objects.filter(username="admin").update(last_login=F("date_joined"))
    clients = {"admin": admin, "anonymous": Client(raise_request_exception=False)}
    setup_records = handler.take()

    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for number, visit in enumerate(visits(), start=1):
        result = request(visit, clients, traced_files)
        body = mask_body(result.pop("body"))
        body_file = args.out / f"{number:02d}.body"
        body_file.write_bytes(body)
        result["length"] = len(body)
        result["body_sha256"] = hashlib.sha256(body).hexdigest()
        result["body_file"] = body_file.name
        result["records"] = handler.take()
        results.append(result)
    summary = {
        "perfkit": "perfkit.middleware.PerfkitMiddleware" in settings.MIDDLEWARE,
        "setup_records": setup_records,
        "visits": results,
    }
    (args.out / "results.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
