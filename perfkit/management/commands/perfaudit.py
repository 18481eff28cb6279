"""``manage.py perfaudit``: audit the models' indexes against the live database.

Exit codes: 0 nothing at or above ``--fail-level``; 1 something is; 2 usage error.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

import perfkit
from perfkit.audit.findings import CHECKS, SEVERITY_RANK, AuditFinding
from perfkit.audit.ignore import IgnoreFile
from perfkit.audit.run import run_audit
from perfkit.audit.workload import load_captured


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
        from perfkit.management.commands.perfindex import add_fix_options

        add_fix_options(parser)
        parser.add_argument("--dry-run", action="store_true", help="With --fix: write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        labels: list[str] = options["app_label"]
        database: str = options["database"]
        if database not in connections:
            raise CommandError(f"Unknown database alias {database!r}.", returncode=2)
        for alias in options["replica"]:
            if alias not in connections:
                raise CommandError(f"Unknown replica alias {alias!r}.", returncode=2)
        from django.apps import apps

        for label in labels:
            try:
                apps.get_app_config(label)
            except LookupError:
                raise CommandError(f"Unknown app label {label!r}.", returncode=2) from None
        checks = [c.strip() for c in (options["checks"] or "").split(",") if c.strip()]
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise CommandError(
                f"Unknown check ID(s): {', '.join(unknown)}. Known: {', '.join(CHECKS)}.",
                returncode=2,
            )
        ignore = IgnoreFile.load(Path(options["ignore"])) if options["ignore"] else IgnoreFile()
        captured = []
        if options["captured"]:
            try:
                captured = load_captured(Path(options["captured"]))
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from error

        result = run_audit(
            database,
            labels,
            checks,
            options["replica"],
            progress=lambda message: self.stderr.write(f"perfaudit: {message}"),
            captured=captured,
        )
        findings = [f for f in result.findings if not ignore.silences(f)]
        stale = ignore.unmatched(result.findings)
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "perfkit_version": perfkit.__version__,
                        "database": result.database,
                        "vendor": result.vendor,
                        "findings": [finding.as_json() for finding in findings],
                        "skipped": result.skipped,
                        "stale_ignores": stale,
                    },
                    indent=2,
                )
            )
        else:
            self.write_text(findings, result.skipped, stale, result.vendor, database)

        if options["fix"]:
            from perfkit.management.commands.perfindex import apply_audit_fixes

            fixes = [finding.autofix for finding in findings if finding.autofix]
            if not fixes:
                self.stdout.write("Nothing perfaudit --fix can fix.")
            else:
                apply_audit_fixes(self, fixes, options)
            return
        threshold = SEVERITY_RANK[options["fail_level"]]
        if any(SEVERITY_RANK[f.effective_severity] >= threshold for f in findings):
            raise SystemExit(1)

    def write_text(
        self,
        findings: list[AuditFinding],
        skipped: list[str],
        stale: list[str],
        vendor: str,
        database: str,
    ) -> None:
        grouped: dict[str, list[AuditFinding]] = defaultdict(list)
        for finding in findings:
            grouped[finding.model or f"table {finding.table}"].append(finding)
        for subject in sorted(grouped):
            self.stdout.write(subject)
            for finding in grouped[subject]:
                severity = finding.effective_severity.upper()
                self.stdout.write(f"  {finding.check} {severity}: {finding.message}")
                if finding.fix:
                    self.stdout.write(f"    fix: {finding.fix}")
                self.stdout.write(f"    id: {finding.id}")
        for note in skipped:
            self.stderr.write(f"perfaudit: skipped {note}")
        for entry in stale:
            self.stderr.write(f"perfaudit: ignore entry {entry!r} matched nothing; remove it.")
        counts: dict[str, int] = defaultdict(int)
        for finding in findings:
            counts[finding.effective_severity] += 1
        summary = ", ".join(f"{counts[level]} {level}" for level in ("error", "warning", "info"))
        self.stdout.write(
            f"perfaudit: {len(findings)} findings on {database} ({vendor}): {summary}."
        )
