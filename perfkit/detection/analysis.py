"""Analyses over a capture: N+1 (through relations and by fingerprint), unused eager
loads, repeated writes, slow queries and budgets. Pure functions of what was captured,
except the optional EXPLAIN of slow reads on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from perfkit.capture import CallSite, Capture, CapturedQuery, EagerLoad, excluded
from perfkit.capture.site_details import TemplateDetail, ViewDetail, view_of
from perfkit.detection.created_rows import created_rows_fix
from perfkit.detection.findings import Finding
from perfkit.detection.fixes import (
    relation_fix,
    repeated_query_fix,
    unused_eager_load_fix,
)
from perfkit.detection.options import DetectionOptions
from perfkit.detection.values import with_values_policy
from perfkit.schema.plan import PlanUnavailable, explain


class _Where:
    """Where a finding is: its call site's location and label. A site with no line at
    all (no frame of any code found) is located at the request's view, if there is one."""

    def __init__(self, fallback: CallSite | None) -> None:
        self.fallback = fallback
        self.view: ViewDetail | None = view_of(fallback.detail) if fallback else None

    def __call__(self, site: CallSite) -> str:
        if not site.known and self.fallback is not None:
            return self.fallback.location
        return site.location

    def label(self, site: CallSite) -> str:
        if not site.known:
            return ""
        detail = site.detail
        if isinstance(detail, TemplateDetail) and self.view is not None:
            site = replace(site, detail=detail.or_view(self.view))
        return site.label


def find_problems(
    capture: Capture, options: DetectionOptions, fallback_site: CallSite | None = None
) -> list[Finding]:
    """Every finding in ``capture``, allowlist not applied, in a stable order."""
    fallback = fallback_site or capture.fallback_site
    queries = capture.queries
    count = len(queries)
    loads = capture.eager_loads
    # Each analysis runs only when it can find something: most scopes run few queries
    # and use what they load, and then nothing at all is built.
    n_plus_one = count >= options.n_plus_one_threshold
    repeated = count >= options.repeated_query_threshold
    writes = count >= options.repeated_write_threshold
    unused = options.detect_unused_eager_loads and any(not load.used for load in loads)
    slow = count > 0 and capture.slowest_ms >= options.slow_query_ms
    budgets = options.query_budget is not None or options.db_time_budget_ms is not None
    if not (n_plus_one or repeated or writes or unused or slow or budgets):
        return []
    where = _Where(fallback)
    findings: list[Finding] = []
    explained: set[int] = set()
    if n_plus_one:
        findings, explained = _relation_n_plus_one(queries, options, where)
    if repeated:
        findings += _repeated_queries(queries, options, where, explained)
    if writes:
        findings += _repeated_writes(queries, options, where)
    if unused:
        findings += _unused_eager_loads(loads, where)
    if slow:
        findings += _slow_queries(queries, options, where)
    if budgets:
        findings += _budgets(queries, options, fallback)
    if not findings:
        return findings
    return with_values_policy(findings, queries, options.log_parameters)


def _relation_n_plus_one(
    queries: list[CapturedQuery], options: DetectionOptions, where: _Where
) -> tuple[list[Finding], set[int]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, query in enumerate(queries):
        if query.relation is not None:
            groups[(query.relation.label, where(query.call_site))].append(index)
    findings: list[Finding] = []
    explained: set[int] = set()
    for (label, location), indexes in groups.items():
        group = [queries[index] for index in indexes]
        if len(group) < options.n_plus_one_threshold:
            continue
        if not any(query.relation.parent_from_many_rows for query in group if query.relation):
            continue
        explained.update(indexes)
        first = group[0]
        findings.append(
            Finding(
                kind="n_plus_one",
                relation=label,
                count=len(group),
                total_ms=sum(query.duration_ms for query in group),
                location=location,
                sql=first.sql,
                suggestion=created_rows_fix(queries, group, relation_fix(first, where.view)),
                fingerprint=first.fingerprint,
                alias=first.alias,
                location_label=where.label(first.call_site),
            )
        )
    return findings, explained


def _repeated_queries(
    queries: list[CapturedQuery], options: DetectionOptions, where: _Where, explained: set[int]
) -> list[Finding]:
    groups: dict[tuple[str, str, str], list[CapturedQuery]] = defaultdict(list)
    for index, query in enumerate(queries):
        if index in explained or query.statement not in ("SELECT", "WITH"):
            continue
        groups[(query.fingerprint, where(query.call_site), query.alias)].append(query)
    findings: list[Finding] = []
    for (fingerprint, location, alias), group in groups.items():
        if len(group) < options.repeated_query_threshold:
            continue
        labels = {query.relation.label if query.relation else None for query in group}
        relation = labels.pop() if len(labels) == 1 else None
        findings.append(
            Finding(
                kind="n_plus_one",
                relation=relation,
                count=len(group),
                total_ms=sum(query.duration_ms for query in group),
                location=location,
                sql=group[0].sql,
                suggestion=created_rows_fix(
                    queries,
                    group,
                    repeated_query_fix(fingerprint, len(group), group[0].call_site, where.view),
                ),
                fingerprint=fingerprint,
                alias=alias,
                location_label=where.label(group[0].call_site),
            )
        )
    return findings


def _repeated_writes(
    queries: list[CapturedQuery], options: DetectionOptions, where: _Where
) -> list[Finding]:
    groups: dict[tuple[str, str, str], list[CapturedQuery]] = defaultdict(list)
    for query in queries:
        if query.statement in ("INSERT", "UPDATE", "DELETE"):
            groups[(query.fingerprint, where(query.call_site), query.alias)].append(query)
    findings: list[Finding] = []
    for (fingerprint, location, alias), group in groups.items():
        if len(group) < options.repeated_write_threshold:
            continue
        statement = group[0].statement
        fix = {
            "INSERT": "collect the objects and save them with one bulk_create()",
            "UPDATE": "update them with one bulk_update() (or one queryset.update())",
            "DELETE": "delete them with one queryset.delete()",
        }[statement]
        findings.append(
            Finding(
                kind="repeated_write",
                relation=None,
                count=len(group),
                total_ms=sum(query.duration_ms for query in group),
                location=location,
                sql=group[0].sql,
                suggestion=f"{len(group)} {statement}s of the same shape from one line: {fix}.",
                fingerprint=fingerprint,
                alias=alias,
                location_label=where.label(group[0].call_site),
            )
        )
    return findings


def _unused_eager_loads(loads: Iterable[EagerLoad], where: _Where) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    used_paths = {(load.method, load.path, where(load.call_site)) for load in loads if load.used}
    for load in loads:
        location = where(load.call_site)
        key = (load.method, load.path, location)
        if load.used or load.instances == 0 or key in used_paths or key in seen:
            continue
        seen.add(key)
        findings.append(
            Finding(
                kind="unused_eager_load",
                relation=load.label,
                count=load.instances,
                total_ms=0.0,
                location=location,
                sql="",
                suggestion=unused_eager_load_fix(
                    load.method, load.path, load.label, load.instances, load.call_site, where.view
                ),
                location_label=where.label(load.call_site),
            )
        )
    return findings


def _slow_queries(
    queries: list[CapturedQuery], options: DetectionOptions, where: _Where
) -> list[Finding]:
    groups: dict[tuple[str, str, str], list[CapturedQuery]] = defaultdict(list)
    for query in queries:
        if query.duration_ms >= options.slow_query_ms:
            groups[(query.fingerprint, where(query.call_site), query.alias)].append(query)
    findings: list[Finding] = []
    for (fingerprint, location, alias), group in groups.items():
        slowest = max(group, key=lambda query: query.duration_ms)
        plan = _explain(slowest) if options.explain_slow_queries else None
        suggestion = (
            f"Slower than {options.slow_query_ms:g} ms (slowest {slowest.duration_ms:.1f} ms): "
            "check its plan for sequential scans and sorts an index could serve "
            "(manage.py perfaudit)."
        )
        findings.append(
            Finding(
                kind="slow_query",
                relation=None,
                count=len(group),
                total_ms=sum(query.duration_ms for query in group),
                location=location,
                sql=slowest.sql,
                suggestion=suggestion,
                fingerprint=fingerprint,
                alias=alias,
                explain=plan,
                location_label=where.label(slowest.call_site),
            )
        )
    return findings


_WRITES_IN_SQL = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def _explain(query: CapturedQuery) -> str | None:
    """A one-line plan summary of a slow read, or None when it must not be explained:
    never a write (nor a data-modifying CTE), never from an event loop (the ORM may not
    run there; the middleware explains from a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return None
    if query.statement not in ("SELECT", "WITH") or query.many or _WRITES_IN_SQL.search(query.sql):
        return None
    try:
        with excluded():
            plan = explain(query.alias, query.sql.strip().rstrip(";"), query.params)
    except PlanUnavailable:
        return None
    except Exception as error:  # a plan is a bonus: never fail detection over it
        return f"EXPLAIN failed: {type(error).__name__}"
    return plan.summary()


def _budgets(
    queries: list[CapturedQuery], options: DetectionOptions, fallback: CallSite | None
) -> list[Finding]:
    findings: list[Finding] = []
    location = fallback.location if fallback is not None else "<scope>"
    total_ms = sum(query.duration_ms for query in queries)
    if options.query_budget is not None and len(queries) > options.query_budget:
        findings.append(
            Finding(
                kind="query_budget",
                relation=None,
                count=len(queries),
                total_ms=total_ms,
                location=location,
                sql="",
                suggestion=f"{len(queries)} queries, over the budget of {options.query_budget}.",
            )
        )
    if options.db_time_budget_ms is not None and total_ms > options.db_time_budget_ms:
        findings.append(
            Finding(
                kind="db_time_budget",
                relation=None,
                count=len(queries),
                total_ms=total_ms,
                location=location,
                sql="",
                suggestion=(
                    f"{total_ms:.1f} ms in the database, over the budget of "
                    f"{options.db_time_budget_ms:g} ms."
                ),
            )
        )
    return findings
