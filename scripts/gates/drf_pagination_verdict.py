"""The DRF pagination gate's verdict: DRF's tests/test_pagination.py with perfkit's
paginators swapped in, judged against the skip list.

    python drf_pagination_verdict.py OUTCOMES.json SKIPS.txt

A listed test must still fail, and fail where its reason says (see the skip file's
header); everything else must pass. A test listed for "mock queryset" names its
real-queryset twin, which must pass ("twin X passes") or be listed itself and fail as
listed ("twin X fails as listed"). Exit 1 on any failing test that is not listed, a
listed test that fails for another reason, a listed test whose twin does not hold what
its entry says, a listed test that passes (a stale entry) and an entry that names no test
of the run.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import outcomes

# The reasons a test may be listed for, and what its crash line or message shows when it
# fails for it.
REASONS = {
    "tie artifact": ("# Paging artifact",),
    "private cursor codec": ("encode_cursor", "decode_cursor"),
    "mock queryset": ("MockQuerySet",),
}
TWIN = re.compile(r"\btwin (?P<test>\S+) (?P<claim>passes|fails as listed)\b")


@dataclass(frozen=True)
class SkipEntry:
    test: str
    reason: str
    line: int

    @property
    def kind(self) -> str:
        return self.reason.split(":", 1)[0]

    def fails_as_listed(self, entry: dict[str, object]) -> bool:
        seen = f"{entry.get('crash', '')} {entry.get('message', '')}"
        return any(mark in seen for mark in REASONS[self.kind])

    def twin(self) -> tuple[str, str] | None:
        """(twin's node id, "passes" or "fails as listed") for a "mock queryset" entry."""
        match = TWIN.search(self.reason)
        return (match["test"], match["claim"]) if match else None


class SkipFileError(ValueError):
    pass


def read_skips(path: Path) -> list[SkipEntry]:
    entries = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        test, _, reason = (part.strip() for part in text.partition("#"))
        if reason.split(":", 1)[0] not in REASONS or ":" not in reason:
            raise SkipFileError(
                f"{path}:{number}: the reason must start with one of "
                f"{', '.join(repr(r + ':') for r in REASONS)}; got {reason!r}"
            )
        entry = SkipEntry(test, reason, number)
        if entry.kind == "mock queryset" and entry.twin() is None:
            raise SkipFileError(
                f"{path}:{number}: a 'mock queryset' entry names its real-queryset twin: "
                "'twin <node id> passes' or 'twin <node id> fails as listed'"
            )
        entries.append(entry)
    return entries


def twin_problem(skip: SkipEntry, results: outcomes.Outcomes, held: set[str]) -> str | None:
    """Why a "mock queryset" entry's twin does not hold what the entry says, or None.
    ``held``: the listed tests that fail as listed."""
    twin = skip.twin()
    if twin is None:
        return None
    test, claim = twin
    if test.rsplit("::", 1)[-1] != skip.test.rsplit("::", 1)[-1] or test == skip.test:
        return f"{test} is not its twin (the same test method in another class)"
    if test not in results:
        return f"its twin {test} is not a test of this run"
    state = outcomes.status(results[test])
    if claim == "passes" and state != "passed":
        return f"its twin {test} does not pass ({state})"
    if claim == "fails as listed" and test not in held:
        return f"its twin {test} is not listed and failing as listed ({state})"
    return None


def main(outcomes_path: str, skips_path: str) -> int:
    results = outcomes.load(outcomes_path)
    try:
        skips = read_skips(Path(skips_path))
    except SkipFileError as error:
        print(error)
        return 1
    listed = {entry.test: entry for entry in skips}
    passed, skipped_by_drf, failing, as_listed, stale = [], [], [], [], []
    for test, entry in sorted(results.items()):
        state = outcomes.status(entry)
        skip = listed.get(test)
        if skip is None:
            if state == "passed":
                passed.append(test)
            elif state == "skipped":
                skipped_by_drf.append(test)
            else:
                failing.append((test, state, outcomes.why(entry)))
        elif state not in ("failed", "error"):
            stale.append((skip, state))
        elif skip.fails_as_listed(entry):
            as_listed.append(skip)
        else:
            reason = f"listed for '{skip.reason}', but fails before that: {outcomes.why(entry)}"
            failing.append((test, state, reason))
    unknown = [entry for entry in skips if entry.test not in results]
    held = {skip.test for skip in as_listed if skip.kind != "mock queryset"}
    for skip in list(as_listed):
        problem = twin_problem(skip, results, held)
        if problem is not None:
            as_listed.remove(skip)
            failing.append((skip.test, "failed", f"listed for '{skip.reason}', but {problem}"))

    print(
        f"{len(passed)} passed, {len(failing)} failed, {len(as_listed)} skipped "
        f"(listed in {Path(skips_path).name}, each failing as listed)"
        + (f", {len(skipped_by_drf)} skipped by DRF" if skipped_by_drf else "")
    )
    if failing:
        print(f"failing tests ({len(failing)}):")
        for test, state, why in failing:
            print(f"  {test} ({state})\n    {why}")
    for skip, state in stale:
        print(f"stale skip entry (line {skip.line}): {skip.test} {state}; remove it")
    for skip in unknown:
        print(f"skip entry (line {skip.line}) names no test of this run: {skip.test}")
    return 1 if failing or stale or unknown else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
