"""The DRF pagination gate's verdict: DRF's tests/test_pagination.py with perfkit's
paginators swapped in, judged against the skip list.

    python drf_pagination_verdict.py OUTCOMES.json SKIPS.txt

A listed test must still fail, and fail where its reason says (see the skip file's
header); everything else must pass. Exit 1 on any failing test that is not listed, a
listed test that fails for another reason, a listed test that passes (a stale entry) and
an entry that names no test of the run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import outcomes

# The reasons a test may be listed for, and what its crash line shows when it fails for it.
REASONS = {
    "tie artifact": ("# Paging artifact",),
    "private cursor codec": ("encode_cursor", "decode_cursor"),
}


@dataclass(frozen=True)
class SkipEntry:
    test: str
    reason: str
    line: int

    def fails_as_listed(self, entry: dict[str, object]) -> bool:
        kind = self.reason.split(":", 1)[0]
        return any(mark in str(entry.get("crash", "")) for mark in REASONS[kind])


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
        entries.append(SkipEntry(test, reason, number))
    return entries


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
