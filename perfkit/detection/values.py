"""What of the queries' values a finding may carry: nothing, unless ``LOG_PARAMETERS``.

Query parameters and the literals written into SQL can hold personal data. A finding
goes to logs, warnings, exceptions, headers, the toolbar panel, signal receivers and
pytest reports, so by default it carries none: ``Finding.sql`` has every string and
number literal replaced by ``?`` (raw SQL may inline them; the ORM's own SQL has
placeholders anyway), ``fingerprint`` and the ``explain`` summary never hold any, and
``params`` is None. With ``LOG_PARAMETERS`` on, ``sql`` is the SQL as it ran and
``params`` the ``repr`` of the parameters of the first query behind the finding, which
the ``log`` and ``warn`` actions append to their line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from perfkit.capture import CapturedQuery
from perfkit.detection.findings import Finding
from perfkit.schema.sql_text import without_literals


def with_values_policy(
    findings: list[Finding], queries: list[CapturedQuery], log_parameters: bool
) -> list[Finding]:
    """``findings`` stripped of values, or, with ``log_parameters``, given sample params."""
    if not log_parameters:
        return [_without_values(finding) for finding in findings]
    first_params: dict[str, Any] = {}
    for query in queries:
        first_params.setdefault(query.sql, query.params)
    return [
        replace(finding, params=repr(first_params[finding.sql]))
        if first_params.get(finding.sql) is not None
        else finding
        for finding in findings
    ]


def _without_values(finding: Finding) -> Finding:
    sql = without_literals(finding.sql) if finding.sql else finding.sql
    if sql == finding.sql and finding.params is None:
        return finding  # the ORM's SQL holds placeholders, not values: nothing to strip
    # What replace() builds, without its walk over fields() (every field of a Finding is
    # an __init__ argument): a third cheaper, and most N+1 SQL gets here ("LIMIT 21").
    return Finding(**{**vars(finding), "sql": sql, "params": None})
