"""``manage.py perfaudit``: audit the models' indexes against the live database.

Exit codes: 0 nothing at or above ``--fail-level``; 1 something is; 2 usage error.
Findings on the models of installed packages count only with ``--include-third-party``.
From ``call_command()`` the command returns normally, or raises ``CommandError`` with
that code as ``returncode``. At ``-v 0`` only the results are printed; ``-v 2`` adds
the progress lines.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

import perfkit
from perfkit.audit.findings import CHECKS, SEVERITY_RANK, AuditFinding
from perfkit.audit.ignore import IgnoreFile
from perfkit.audit.run import AuditResult, run_audit
from perfkit.audit.workload import load_captured
from perfkit.management.arguments import add_generation_options
from perfkit.management.errors import command_errors


class Command(BaseCommand):
    help = "Audit model indexes against the live database (read-only)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("app_label", nargs="*", help="Audit only these apps.")
        parser.add_argument("--database", default="default", help="Database alias to audit.")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--fail-level",
            choices=["info", "warning", "error"],
            default="error",
            help="Exit 1 when a finding is at or above this severity (default: error).",
        )
        parser.add_argument("--ignore", metavar="FILE", help="Finding IDs to silence.")
        parser.add_argument("--checks", metavar="ID,...", help="Run only these checks.")
        parser.add_argument(
            "--replica",
            action="append",
            default=[],
            metavar="ALIAS",
            help="A replica's alias: unused only if unused there too (repeatable).",
        )
        parser.add_argument(
            "--captured",
            metavar="FILE",
            help="Queries captured by the detector (perfkit.audit.workload.save_captured), "
            "added to pg_stat_statements' for the workload suggestions.",
        )
        parser.add_argument(
            "--include-third-party",
            action="store_true",
            help="Also audit the apps of installed packages (Django's contrib apps, "
            "Wagtail, ...) and count their findings in the exit status; without it, "
            "their findings (when their apps are named) are labelled and not counted.",
        )
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Generate migrations for every fixable finding (shows the plan, then asks).",
        )
        parser.add_argument("--yes", action="store_true", help="With --fix: do not ask.")
        add_generation_options(parser, prefix="With --fix: ")

    def handle(self, *args: Any, **options: Any) -> None:
        labels: list[str] = options["app_label"]
        database: str = options["database"]
        verbosity: int = options["verbosity"]
        self._check_names(labels, database, options["replica"])
        checks = [c.strip() for c in (options["checks"] or "").split(",") if c.strip()]
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise CommandError(
                f"Unknown check ID(s): {', '.join(unknown)}. Known: {', '.join(CHECKS)}.",
                returncode=2,
            )
        with command_errors(self.stderr):
            ignore = IgnoreFile.load(Path(options["ignore"])) if options["ignore"] else IgnoreFile()
            captured = load_captured(Path(options["captured"])) if options["captured"] else []

        def progress(message: str) -> None:
            if verbosity >= 2:
                self.stderr.write(f"perfaudit: {message}")

        include_third_party: bool = options["include_third_party"]
        result = run_audit(
            database,
            labels,
            checks,
            options["replica"],
            progress=progress,
            captured=captured,
            third_party=include_third_party,
        )
        findings = [f for f in result.findings if not ignore.silences(f)]
        stale = ignore.unmatched(result.findings)
        if options["format"] == "json":
            self.write_json(result, findings, stale)
        else:
            self.write_text(findings, result.vendor, database, include_third_party)
        if verbosity >= 1:
            for note in result.skipped:
                self.stderr.write(f"perfaudit: skipped {note}")
            for entry in stale:
                self.stderr.write(f"perfaudit: ignore entry {entry!r} matched nothing; remove it.")

        if options["fix"]:
            self.fix(findings, database, options)
            return
        threshold = SEVERITY_RANK[options["fail_level"]]
        failing = [
            f
            for f in findings
            if SEVERITY_RANK[f.effective_severity] >= threshold
            and (include_third_party or not f.third_party)
        ]
        if failing:
            raise CommandError(
                f"{len(failing)} finding(s) at or above {options['fail_level']}.", returncode=1
            )

    def _check_names(self, labels: list[str], database: str, replicas: list[str]) -> None:
        if database not in connections:
            raise CommandError(f"Unknown database alias {database!r}.", returncode=2)
        for alias in replicas:
            if alias not in connections:
                raise CommandError(f"Unknown replica alias {alias!r}.", returncode=2)
        for label in labels:
            try:
                apps.get_app_config(label)
            except LookupError:
                raise CommandError(f"Unknown app label {label!r}.", returncode=2) from None

    def fix(self, findings: list[AuditFinding], database: str, options: dict[str, Any]) -> None:
        fixes = [finding.autofix for finding in findings if finding.autofix]
        if not fixes:
            self.stdout.write("Nothing perfaudit --fix can fix.")
            return
        with command_errors(self.stderr):
            from perfkit.indexgen.fixes import run_fixes

            run_fixes(
                fixes,
                assume_yes=options["yes"],
                ask=self.ask,
                stdout=self.stdout,
                stderr=self.stderr,
                concurrently=options["concurrently"],
                dry_run=options["dry_run"],
                update_models=options["update_models"],
                using=database,
            )

    def ask(self, prompt: str) -> str:
        """Ask on the command's own stdout; read one line of standard input."""
        self.stdout.write(prompt, ending="")
        self.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    def write_json(
        self, result: AuditResult, findings: list[AuditFinding], stale: list[str]
    ) -> None:
        document = {
            "perfkit_version": perfkit.__version__,
            "database": result.database,
            "vendor": result.vendor,
            "findings": [finding.as_json() for finding in findings],
            "skipped": result.skipped,
            "stale_ignores": stale,
        }
        self.stdout.write(json.dumps(document, indent=2))

    def write_text(
        self, findings: list[AuditFinding], vendor: str, database: str, include_third_party: bool
    ) -> None:
        grouped: dict[str, list[AuditFinding]] = defaultdict(list)
        for finding in findings:
            grouped[finding.model or f"table {finding.table}"].append(finding)
        for subject in sorted(grouped):
            self.stdout.write(subject)
            for finding in grouped[subject]:
                severity = finding.effective_severity.upper()
                label = " (third-party app)" if finding.third_party else ""
                self.stdout.write(f"  {finding.check} {severity}{label}: {finding.message}")
                if finding.fix:
                    self.stdout.write(f"    fix: {finding.fix}")
                self.stdout.write(f"    id: {finding.id}")
        counts: dict[str, int] = defaultdict(int)
        for finding in findings:
            counts[finding.effective_severity] += 1
        summary = ", ".join(f"{counts[level]} {level}" for level in ("error", "warning", "info"))
        third_party = sum(1 for finding in findings if finding.third_party)
        if third_party:
            counted = "counted" if include_third_party else "not counted"
            summary += f"; {third_party} on third-party apps, {counted} in the exit status" + (
                "" if include_third_party else " (--include-third-party counts them)"
            )
        self.stdout.write(
            f"perfaudit: {len(findings)} findings on {database} ({vendor}): {summary}."
        )
