"""The ``--ignore`` file: finding IDs (or ID prefixes ending in ``*``), one a line, with
``#`` comments. Entries that matched nothing are reported so the file cannot go stale."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from perfkit.audit.findings import AuditFinding
from perfkit.exceptions import UsageError


@dataclass
class IgnoreFile:
    entries: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> IgnoreFile:
        try:
            text = path.read_text()
        except OSError as error:
            raise UsageError(f"Cannot read the ignore file {path}: {error}") from error
        entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        return cls([entry for entry in entries if entry])

    def silences(self, finding: AuditFinding) -> bool:
        return any(fnmatchcase(finding.id, entry) for entry in self.entries)

    def unmatched(self, findings: Iterable[AuditFinding]) -> list[str]:
        ids = [finding.id for finding in findings]
        return [entry for entry in self.entries if not any(fnmatchcase(i, entry) for i in ids)]
