"""The DRF suite gate's verdict: DRF's tests with perfkit's plugin off, in report mode
and in strict mode, compared test by test.

    python drf_suite_verdict.py OFF.json REPORT.json STRICT.json

Exit 1 when any test's outcome differs between off and report (report mode must not
change what a test does); strict mode's differences are printed, not judged: failing a
test for its findings is what strict mode is for.
"""

from __future__ import annotations

import sys

import outcomes


def differences(
    base: outcomes.Outcomes, other: outcomes.Outcomes
) -> list[tuple[str, str, str, str]]:
    """Tests whose phases differ: (node id, phases in base, phases in other, why other)."""
    found = []
    for test in sorted(base.keys() | other.keys()):
        before, after = base.get(test, {}), other.get(test, {})
        if outcomes.phases(before) != outcomes.phases(after):
            found.append(
                (
                    test,
                    outcomes.phases(before) or "not run",
                    outcomes.phases(after) or "not run",
                    outcomes.why(after),
                )
            )
    return found


def print_differences(title: str, found: list[tuple[str, str, str, str]]) -> None:
    print(f"{title}: {len(found)}")
    for test, before, after, why in found:
        print(f"  {test}\n    off: {before}\n    now: {after}")
        if why:
            print(f"    {why}")


def main(off_path: str, report_path: str, strict_path: str) -> int:
    off, report, strict = (outcomes.load(p) for p in (off_path, report_path, strict_path))
    if not off:
        print("the run with the plugin off recorded no tests: the gate tests nothing")
        return 1
    for mode, results in (("off", off), ("report", report), ("strict", strict)):
        print(f"{mode:>6}: {outcomes.counts(results)}")

    in_strict = differences(off, strict)
    failed_by_perfkit = [
        test
        for test, *_ in in_strict
        if outcomes.status(off.get(test, {})) == "passed"
        and outcomes.status(strict.get(test, {})) == "failed"
    ]
    print(f"strict mode: {len(failed_by_perfkit)} test(s) that pass with the plugin off failed")
    print_differences("tests whose outcome differs in strict mode (printed, not judged)", in_strict)
    changed = differences(off, report)
    print_differences("tests whose outcome differs between off and report", changed)
    return 1 if changed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
