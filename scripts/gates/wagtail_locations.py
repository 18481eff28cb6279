"""Finding locations: where ``path:LINE`` points on disk, and whether it names code that ran.

A location is judged against the lines that executed during the same request in the run
without perfkit (``wagtail_requests.py --trace-lines-of``):

- ``ok``: an existing line (Python, or a template's ``{{ }}``/``{% %}``) that executed
  during the request, and not a declaration;
- ``router``: Wagtail's generic page-view router, never the view that ran (issue 11, 10);
- ``fallback``: a ``def``/``class`` line, perfkit's stand-in when no project frame made
  the query: where the view is declared, not the code that queried;
- ``wrong``: not ``path:LINE``, no such file, no such line, or a line that did not run.
"""

from __future__ import annotations

import os
import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LOCATION = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")
WAGTAIL_PAGE_ROUTER = os.path.join("wagtail", "admin", "viewsets", "pages.py")
DECLARATION = re.compile(r"^(async\s+def|def|class)\s|^@")

Judgement = Literal["ok", "router", "fallback", "wrong"]


@dataclass(frozen=True)
class ResolvedLocation:
    """``path`` is None when the location is malformed or names no existing file."""

    location: str
    path: Path | None
    line: int
    root: str  # "absolute", "project" or "site-packages"; "" when unresolved

    @property
    def shown(self) -> str:
        """The location relative to its root, for the table."""
        if self.path is None or self.root != "absolute":
            return self.location
        site_packages = site_packages_directory()
        if self.path.is_relative_to(site_packages):
            return f"{self.path.relative_to(site_packages)}:{self.line}"
        return self.location


@dataclass(frozen=True)
class LocationVerdict:
    judgement: Judgement
    reason: str
    resolved: ResolvedLocation


def site_packages_directory() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def resolve(location: str, project: Path) -> ResolvedLocation:
    """Find ``location``'s file: absolute, or relative to the project or site-packages."""
    match = LOCATION.match(location)
    if match is None:
        return ResolvedLocation(location, None, 0, "")
    raw, line = Path(match["path"]), int(match["line"])
    if raw.is_absolute():
        candidates = [(raw, "absolute")]
    else:
        candidates = [
            (project / raw, "project"),
            (site_packages_directory() / raw, "site-packages"),
        ]
    for candidate, root in candidates:
        if candidate.is_file():
            return ResolvedLocation(location, candidate, line, root)
    return ResolvedLocation(location, None, line, "")


def judge(location: str, project: Path, lines_run: dict[str, list[int]]) -> LocationVerdict:
    """Judge one finding's location; ``lines_run`` maps real paths to executed lines."""
    resolved = resolve(location, project)
    if resolved.path is None:
        reason = (
            "not path:LINE"
            if resolved.line == 0
            else "no such file (absolute, project, site-packages)"
        )
        return LocationVerdict("wrong", reason, resolved)
    lines = resolved.path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not 1 <= resolved.line <= len(lines):
        return LocationVerdict("wrong", f"the file has {len(lines)} lines", resolved)
    text = lines[resolved.line - 1].strip()
    ran = resolved.line in lines_run.get(os.path.realpath(resolved.path), ())
    if str(resolved.path).endswith(WAGTAIL_PAGE_ROUTER):
        return LocationVerdict("router", f"Wagtail's page-view router: {text}", resolved)
    if DECLARATION.match(text):
        return LocationVerdict("fallback", f"declaration line, not the query: {text}", resolved)
    if not ran:
        return LocationVerdict("wrong", f"did not execute in this request: {text}", resolved)
    return LocationVerdict("ok", text, resolved)
