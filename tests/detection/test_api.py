"""The public contract: perfkit.detect(), Finding, Report, NPlusOneError, the signal."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from asgiref.sync import async_to_sync, sync_to_async

import perfkit
import perfkit.detection.actions
from perfkit.detection import DetectionOptions, PerfkitWarning
from perfkit.signals import finding_detected
from testproject.school.models import Class
from tests.factories import ClassFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes():
    return ClassFactory.create_batch(3)


def teacher_loop():
    return [c.teacher.last_name for c in Class.objects.all()]  # line: teacher-loop


def test_public_names():
    assert set(perfkit.__all__) >= {"detect", "Finding", "Report", "NPlusOneError", "PerfkitError"}
    assert issubclass(perfkit.NPlusOneError, perfkit.PerfkitError)


def test_report_of_a_context_manager(classes):
    with perfkit.detect() as report:
        assert report.findings == []
        teacher_loop()
    [finding] = report.findings
    assert isinstance(finding, perfkit.Finding)
    assert (finding.kind, finding.relation, finding.count) == (
        "n_plus_one",
        "school.Class.teacher",
        3,
    )
    assert finding.location.startswith("tests/detection/test_api.py:")
    assert finding.total_ms > 0
    assert '"school_teacher"' in finding.sql
    assert finding.suggestion == (
        'Add select_related("teacher") to the queryset that loads the parent rows.'
    )
    assert report.queries == 4
    assert len(report.captured) == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.count = 1  # type: ignore[misc]


def test_raise_action_raises_nplusoneerror_at_scope_exit(classes):
    with pytest.raises(perfkit.NPlusOneError) as raised, perfkit.detect(action="raise"):
        teacher_loop()
    assert [finding.relation for finding in raised.value.findings] == ["school.Class.teacher"]
    assert "school.Class.teacher" in str(raised.value)


def test_an_error_in_the_block_wins_over_findings(classes):
    with pytest.raises(KeyError), perfkit.detect(action="raise"):
        teacher_loop()
        raise KeyError("mine")


def test_warn_action(classes):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with perfkit.detect(action="warn"):
            teacher_loop()
    [warning] = [w for w in caught if issubclass(w.category, PerfkitWarning)]
    assert "school.Class.teacher" in str(warning.message)


def test_log_action(classes, caplog):
    with caplog.at_level("WARNING", logger="perfkit"), perfkit.detect(action="log"):
        teacher_loop()
    [record] = caplog.records
    assert record.name == "perfkit"
    assert record.perfkit_finding["relation"] == "school.Class.teacher"
    assert "params=" not in record.getMessage()


def test_log_parameters_when_enabled(classes, caplog):
    with (
        caplog.at_level("WARNING", logger="perfkit"),
        perfkit.detect(action="log", log_parameters=True),
    ):
        teacher_loop()
    assert "params=" in caplog.records[0].getMessage()


def test_decorator_without_and_with_arguments(classes):
    @perfkit.detect
    def plain():
        return teacher_loop()

    @perfkit.detect(action="raise")
    def strict():
        return teacher_loop()

    assert len(plain()) == 3
    with pytest.raises(perfkit.NPlusOneError):
        strict()


def test_decorating_a_coroutine_function(classes):
    @perfkit.detect(action="raise")
    async def view():
        return await sync_to_async(teacher_loop)()

    with pytest.raises(perfkit.NPlusOneError):
        async_to_sync(view)()


def test_signal_is_sent_per_finding(classes):
    received = []

    def receiver(sender, finding, request, **kwargs):
        received.append((sender, finding.relation, request))

    finding_detected.connect(receiver)
    try:
        with perfkit.detect():
            teacher_loop()
    finally:
        finding_detected.disconnect(receiver)
    assert received == [(perfkit.Finding, "school.Class.teacher", None)]


def test_per_scope_overrides(classes):
    with perfkit.detect(n_plus_one_threshold=4) as report:
        teacher_loop()
    assert report.findings == []
    with perfkit.detect(allowlist=["school.Class.teacher", "nothing.Matches.this"]) as report:
        teacher_loop()
    assert report.findings == []
    assert [f.relation for f in report.ignored] == ["school.Class.teacher"]
    assert report.unmatched_allowlist == ["nothing.Matches.this"]


def test_unknown_override_is_a_type_error():
    with pytest.raises(TypeError, match="unknown detection option"):
        perfkit.detect(n_plus_one_treshold=3)


def test_options_from_settings_read_perfkit(settings):
    settings.PERFKIT = {"N_PLUS_ONE_THRESHOLD": 7, "ALLOWLIST": ["a.B.c"]}
    options = DetectionOptions.from_settings(slow_query_ms=5)
    assert options.n_plus_one_threshold == 7
    assert options.allowlist == ("a.B.c",)
    assert options.slow_query_ms == 5


def test_bare_decorator_on_a_coroutine_function_keeps_the_scope_open(classes):
    seen = []

    @perfkit.detect
    async def view():
        from perfkit.capture import current_capture

        seen.append(current_capture())
        return await sync_to_async(teacher_loop)()

    assert len(async_to_sync(view)()) == 3
    assert seen[0] is not None


def test_a_bug_in_detection_does_not_break_the_block(classes, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(perfkit.detection.actions, "find_problems", broken)
    with perfkit.detect(action="raise") as report:
        teacher_loop()
    assert report.findings == []
    assert report.queries == 4
    assert "detection failed" in caplog.text


def test_call_site_of_code_run_through_sync_to_async(classes):
    async def view():
        with perfkit.detect() as report:
            await sync_to_async(teacher_loop)()
        return report

    [finding] = async_to_sync(view)().findings
    with open(__file__) as source:
        line = next(n for n, text in enumerate(source, 1) if text.rstrip().endswith("teacher-loop"))
    assert finding.location == f"tests/detection/test_api.py:{line}"


def test_an_error_in_detection_is_logged_once_per_process_with_its_traceback(
    classes, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(perfkit.detection.actions, "find_problems", broken)
    with caplog.at_level("DEBUG", logger="perfkit"):
        for _ in range(3):
            with perfkit.detect() as report:
                teacher_loop()
    assert [type(error) for error in report.errors] == [RuntimeError]
    [logged] = [record for record in caplog.records if record.levelname == "ERROR"]
    assert "detection failed; the report is empty: RuntimeError" in logged.getMessage()
    assert logged.exc_info[1] is not None and logged.exc_info[2] is not None


def test_async_with_runs_orm_receivers_off_the_event_loop(classes):
    from testproject.school.models import Teacher

    counted = []

    def receiver(sender, finding, **kwargs):
        counted.append((finding.relation, Teacher.objects.count()))

    @perfkit.detect
    async def decorated():
        return await sync_to_async(teacher_loop)()

    async def block():
        async with perfkit.detect() as report:
            await sync_to_async(teacher_loop)()
        return report

    finding_detected.connect(receiver)
    try:
        async_to_sync(decorated)()
        report = async_to_sync(block)()
    finally:
        finding_detected.disconnect(receiver)
    assert [f.relation for f in report.findings] == ["school.Class.teacher"]
    assert counted == [("school.Class.teacher", 3)] * 2
