"""The baseline ratchet: today's findings in a file you commit; later runs fail only on new ones.

The file is JSON, sorted and indented so that diffs read well::

    {
      "version": 1,
      "findings": [
        {
          "test": "tests/test_views.py::test_class_list",
          "kind": "n_plus_one",
          "subject": "school.Class.teacher",
          "call_site": "testproject/school/views.py::NaiveClassViewSet.list",
          "count": 3
        }
      ]
    }

A finding is known when its key (test, kind, subject, call site) is in the file. The
subject is the relation (``app_label.Model.field``) or, for findings without one, the
query's fingerprint; the call site is ``path::qualname``, so the key survives edits that
move lines. ``count`` is informative only: more or fewer rows in a fixture never make a
finding new.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from perfkit.exceptions import PerfkitError

FORMAT_VERSION = 1


class BaselineError(PerfkitError):
    """The baseline file cannot be read."""


@dataclass(frozen=True, order=True)
class BaselineEntry:
    """One recorded finding of one test."""

    test: str
    kind: str
    subject: str
    call_site: str
    count: int = 0

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.test, self.kind, self.subject, self.call_site)

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "kind": self.kind,
            "subject": self.subject,
            "call_site": self.call_site,
            "count": self.count,
        }

    @classmethod
    def from_finding(cls, test: str, finding: Mapping[str, Any]) -> BaselineEntry:
        """From a finding as the plugin ships it between processes (see ``shipped``)."""
        return cls(
            test=test,
            kind=str(finding["kind"]),
            subject=str(finding["subject"]),
            call_site=str(finding["call_site"]),
            count=int(finding.get("count", 0)),
        )

    def describe(self) -> str:
        return f"{self.test}: {self.kind} {self.subject} in {self.call_site}"


@dataclass(frozen=True)
class Baseline:
    """The entries of a baseline file (empty when the file does not exist yet)."""

    entries: tuple[BaselineEntry, ...] = ()

    def keys(self) -> set[tuple[str, str, str, str]]:
        return {entry.key for entry in self.entries}

    def for_tests(self, tests: Iterable[str]) -> list[BaselineEntry]:
        wanted = set(tests)
        return [entry for entry in self.entries if entry.test in wanted]

    def replaced(self, tests: Iterable[str], entries: Iterable[BaselineEntry]) -> Baseline:
        """This baseline with the entries of ``tests`` replaced by ``entries``: recording a
        run of some tests keeps what the file says about the others."""
        ran = set(tests)
        kept = [entry for entry in self.entries if entry.test not in ran]
        merged = {entry.key: entry for entry in [*kept, *entries]}
        return Baseline(tuple(sorted(merged.values())))


def load_baseline(path: str) -> Baseline:
    """Read ``path``; a missing file is an empty baseline, a malformed one an error."""
    try:
        with open(path, encoding="utf-8") as source:
            document = json.load(source)
    except FileNotFoundError:
        return Baseline()
    except (OSError, ValueError) as error:
        raise BaselineError(f"perfkit baseline {path}: cannot read it: {error}") from error
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise BaselineError(
            f"perfkit baseline {path}: expected a JSON object with version {FORMAT_VERSION}"
        )
    entries = []
    for index, raw in enumerate(document.get("findings", [])):
        try:
            entries.append(BaselineEntry.from_finding(str(raw["test"]), raw))
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineError(
                f"perfkit baseline {path}: entry {index} is malformed ({error!r}); "
                "each needs test, kind, subject and call_site"
            ) from error
    return Baseline(tuple(sorted(entries)))


def save_baseline(path: str, baseline: Baseline) -> None:
    """Write ``baseline`` to ``path`` atomically (a reader never sees half a file)."""
    document = {
        "version": FORMAT_VERSION,
        "findings": [entry.as_dict() for entry in baseline.entries],
    }
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".perfkit-baseline-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as target:
            json.dump(document, target, indent=2, sort_keys=False)
            target.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):  # the original file stays; drop the partial one
            os.unlink(temporary)
        raise
