"""Every scenario yields exactly its expected findings (kind, relation, line)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

import perfkit
from tests.detection import scenarios

CASES = list(scenarios.EXPECTED.items())


@pytest.mark.parametrize(("scenario", "expected"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_scenario(school, scenario, expected, capsys):
    with perfkit.detect() as report:
        scenario()
    found = sorted((f.kind, f.relation or "", f.location) for f in report.findings)
    wanted = sorted(
        (kind, relation or "", scenarios.location_of(marker)) for kind, relation, marker in expected
    )
    assert found == wanted, [f.message for f in report.findings]
    assert report.errors == []


def test_async_for_and_aget_are_located_in_the_coroutine(school):
    async def run():
        with perfkit.detect() as report:
            await scenarios.async_loops()
        return report

    report = async_to_sync(run)()
    found = sorted((f.kind, f.relation or "", f.location) for f in report.findings)
    wanted = sorted(
        (kind, relation or "", scenarios.location_of(marker))
        for kind, relation, marker in scenarios.ASYNC_EXPECTED
    )
    assert found == wanted, [f.message for f in report.findings]


def test_async_querysets_are_observed_without_harm(school):
    async def run():
        with perfkit.detect() as report:
            await scenarios.async_querysets()
        return report

    report = async_to_sync(run)()
    assert report.errors == []
    assert report.queries == 5
    # Nothing read the prefetched students of the first class, nor the teachers.
    assert sorted((f.kind, f.relation) for f in report.findings) == [
        ("unused_eager_load", "school.Class.students"),
        ("unused_eager_load", "school.Class.teacher"),
    ]
