"""Compare the two runs of ``wagtail_requests.py`` and decide whether the gate passes.

Fails (exit 1, saying why) when, for any URL: the status, content type, masked body or
number of queries differs between the run with perfkit and the run without; the run
without perfkit got a server error (then the site, not perfkit, is broken); perfkit
logged an error (an ERROR record, or one that says "error(s) while observing" or
"failed"); or a finding's location is wrong (see ``wagtail_locations``). Locations that
are Wagtail's page router or a declaration line are reported; with ``--strict-locations``
they fail the gate too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wagtail_locations import LocationVerdict, judge

ERROR_WORDS = ("error(s) while observing", "failed")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    perfkit_errors: Counter[str] = field(default_factory=Counter)
    judgements: Counter[str] = field(default_factory=Counter)


def load(run: Path) -> dict[str, Any]:
    return json.loads((run / "results.json").read_text())


def is_perfkit_error(record: dict[str, Any]) -> bool:
    if record["level"] in ("ERROR", "CRITICAL"):
        return True
    message = record["message"]
    return any(word in message for word in ERROR_WORDS)


def first_difference(left: bytes, right: bytes, context: int = 80) -> str:
    at = next(
        (index for index, pair in enumerate(zip(left, right, strict=False)) if pair[0] != pair[1]),
        min(len(left), len(right)),
    )
    start = max(0, at - context)
    return (
        f"at byte {at}: without {left[start : at + context]!r} / "
        f"with {right[start : at + context]!r}"
    )


def compare_visit(
    number: int, without: dict[str, Any], with_: dict[str, Any], runs: tuple[Path, Path]
) -> list[str]:
    where = f"#{number} {without['path']}"
    problems = []
    if without["status"] >= 500:
        problems.append(
            f"{where}: the site fails without perfkit ({without['status']}, "
            f"{'; '.join(without['exceptions'])}): fix the gate's site"
        )
    for key in ("status", "content_type", "queries"):
        if without[key] != with_[key]:
            problems.append(
                f"{where}: {key} {without[key]!r} without perfkit, {with_[key]!r} with it"
            )
    if without["exceptions"] != with_["exceptions"]:
        problems.append(
            f"{where}: view exceptions {without['exceptions']} without perfkit, "
            f"{with_['exceptions']} with it"
        )
    if without["body_sha256"] != with_["body_sha256"]:
        left = (runs[0] / without["body_file"]).read_bytes()
        right = (runs[1] / with_["body_file"]).read_bytes()
        problems.append(f"{where}: body differs {first_difference(left, right)}")
    return problems


def judge_findings(
    visit: dict[str, Any], lines_run: dict[str, list[int]], site: Path
) -> list[tuple[dict[str, Any], LocationVerdict]]:
    return [
        (record["finding"], judge(record["finding"]["location"], site, lines_run))
        for record in visit["records"]
        if record["finding"]
    ]


def print_table(
    rows: list[tuple[int, dict[str, Any], dict[str, Any], list[Any]]],
) -> None:
    print(f"{'#':>2}  {'URL':<46} {'as':<4} {'status':>7} {'queries':>7}  body  findings")
    for number, without, with_, judged in rows:
        status = f"{without['status']}/{with_['status']}"
        queries = f"{without['queries']}/{with_['queries']}"
        body = "same" if without["body_sha256"] == with_["body_sha256"] else "DIFF"
        who = "adm" if without["client"] == "admin" else "anon"
        print(
            f"{number:>2}  {without['path']:<46} {who:<4} {status:>7} {queries:>7}  "
            f"{body:<4}  {len(judged)}"
        )
    print("\n(status and queries: without perfkit / with perfkit)\n")
    print(f"{'#':>2}  {'kind':<17} {'relation':<40} {'n':>3}  {'verdict':<8} location")
    for number, _without, _with, judged in rows:
        for finding, verdict in judged:
            print(
                f"{number:>2}  {finding['kind']:<17} {finding['relation'] or '-':<40} "
                f"{finding['count']:>3}  {verdict.judgement:<8} {verdict.resolved.shown}"
            )
            if verdict.judgement != "ok":
                print(f"{'':>36}  {'':<8} ^ {verdict.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without", type=Path, required=True, help="results without perfkit")
    parser.add_argument("--with", dest="with_", type=Path, required=True, help="with perfkit")
    parser.add_argument("--site", type=Path, required=True, help="the generated site")
    parser.add_argument(
        "--strict-locations",
        action="store_true",
        help="router and declaration-line locations fail the gate too",
    )
    args = parser.parse_args()
    without, with_ = load(args.without), load(args.with_)
    verdict = Verdict()
    if without["perfkit"] or not with_["perfkit"]:
        verdict.problems.append("the runs are mislabelled: perfkit must be on in --with only")
    paths = [visit["path"] for visit in without["visits"]]
    if paths != [visit["path"] for visit in with_["visits"]]:
        verdict.problems.append("the two runs requested different URLs")

    for record in without["setup_records"] + with_["setup_records"]:
        verdict.problems.append(f"perfkit logged outside any request: {record['message']}")
    rows = []
    pairs = zip(without["visits"], with_["visits"], strict=False)
    for number, (off, on) in enumerate(pairs, start=1):
        verdict.problems += compare_visit(number, off, on, (args.without, args.with_))
        for record in off["records"]:
            verdict.problems.append(
                f"#{number}: a perfkit record without perfkit: {record['message']}"
            )
        for record in on["records"]:
            if is_perfkit_error(record):
                verdict.perfkit_errors[record["message"].split("; first: ")[-1]] += 1
                verdict.problems.append(
                    f"#{number} {on['path']}: perfkit error: {record['message']}"
                )
                if record["traceback"]:
                    verdict.problems.append(record["traceback"])
        judged = judge_findings(on, off["lines_run"], args.site.resolve())
        for finding, location in judged:
            verdict.judgements[location.judgement] += 1
            failing = location.judgement == "wrong" or (
                args.strict_locations and location.judgement != "ok"
            )
            if failing:
                verdict.problems.append(
                    f"#{number} {on['path']}: {finding['kind']} at "
                    f"{finding['location']}: {location.reason}"
                )
        rows.append((number, off, on, judged))

    print_table(rows)
    findings = sum(verdict.judgements.values())
    print(
        f"\n{len(rows)} URLs, {findings} findings; locations: "
        + ", ".join(f"{count} {name}" for name, count in sorted(verdict.judgements.items()))
    )
    absolute = sum(
        1 for _n, _off, _on, judged in rows for _f, loc in judged if loc.resolved.root == "absolute"
    )
    print(f"{absolute} locations were printed by perfkit as absolute paths")
    if verdict.perfkit_errors:
        print("\nperfkit errors (first error of each request, as perfkit logs it):")
        for message, count in verdict.perfkit_errors.most_common():
            print(f"  {count:>3} requests: {message}")
    if verdict.problems:
        print(f"\nFAIL: {len(verdict.problems)} problem(s)")
        for problem in verdict.problems:
            print(f"  - {problem}")
        return 1
    print("\nPASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
