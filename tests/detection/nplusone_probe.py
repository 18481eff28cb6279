"""Run by test_nplusone_differential.py in a separate process (nplusone patches Django
for good when imported). Not collected on its own: the file name has no ``test_`` prefix.

For every scenario, nplusone and perfkit watch the same run; every N+1 and unused eager
load nplusone reports must be among perfkit's findings.
"""

from __future__ import annotations

import pytest

import perfkit
from tests.detection import scenarios

nplusone_listeners = pytest.importorskip("nplusone.core.listeners")
pytest.importorskip("nplusone.ext.django.patch")  # patches the ORM on import

# Reports of nplusone that are wrong: the scenario reads these relations, through paths
# nplusone does not observe. perfkit must stay silent on them.
NPLUSONE_FALSE_POSITIVES = {
    ("unused_eager_load", "school.Teacher.class_list"): (
        "Prefetch(to_attr=...) fills a plain list; the scenario reads it with len()"
    ),
    ("unused_eager_load", "journal.JournalEntry.comments"): (
        "a prefetched GenericRelation read through .all(): nplusone sees no touch"
    ),
    ("unused_eager_load", "journal.Comment.target"): (
        "a prefetched GenericForeignKey read as an attribute: nplusone sees no touch"
    ),
}


class Collector:
    def __init__(self):
        self.messages = []

    def notify(self, message):
        self.messages.append(message)


def run_with_nplusone(scenario):
    collector = Collector()
    listeners = [kind(collector) for kind in nplusone_listeners.listeners.values()]
    for listener in listeners:
        listener.setup()
    with perfkit.detect() as report:
        scenario()
    for listener in listeners:
        listener.teardown()
    return collector.messages, report


SYNC_SCENARIOS = list(scenarios.EXPECTED)


@pytest.mark.parametrize("scenario", SYNC_SCENARIOS, ids=[s.__name__ for s in SYNC_SCENARIOS])
def test_perfkit_reports_what_nplusone_reports(school, scenario, capsys):
    messages, report = run_with_nplusone(scenario)
    theirs = {
        (message.label, f"{message.model._meta.label}.{message.field}") for message in messages
    }
    ours = {(finding.kind, finding.relation) for finding in report.findings}
    wrong = {pair for pair in theirs if pair in NPLUSONE_FALSE_POSITIVES}
    assert not wrong & ours
    missing = theirs - ours - wrong
    with capsys.disabled():
        print(f"\n{scenario.__name__}: nplusone {sorted(theirs)} perfkit {sorted(ours)}")
    assert not missing, f"nplusone found {sorted(missing)}; perfkit found {sorted(ours)}"
