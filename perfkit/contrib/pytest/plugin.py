"""perfkit's pytest plugin: N+1 detection over test bodies, strict mode, baseline ratchet.

Registered through the ``pytest11`` entry point, so it loads wherever perfkit is
installed; it does work only where perfkit is *configured*:

* ``perfkit_mode = off`` (ini) or ``--no-perfkit`` registers no per-test hook at all;
* otherwise each test body is observed only when Django's settings are configured,
  ``"perfkit"`` is in ``INSTALLED_APPS`` and ``PERFKIT["ENABLED"]`` is true.

Detection covers the test body only: the call phase of a test function, the test
method of a ``unittest``/``django.test`` class (as pytest-django runs it: not ``setUp``,
``tearDown``, ``setUpTestData`` or the fixtures a ``TransactionTestCase`` loads), never
fixtures or factories. In the default ``report`` mode
findings are listed at the end of the run; in ``strict`` mode (``--perfkit-strict`` or
``perfkit_mode = strict``) a test whose body has findings of the ``perfkit_fail_on``
kinds (default ``n_plus_one``) fails, listing each finding with its fix. A baseline
(``--perfkit-baseline PATH`` or ``perfkit_baseline``) makes the run strict for findings
the file does not list; ``--perfkit-record-baseline`` writes it. Under pytest-xdist the
workers ship their findings in the test reports and the controller merges them. Errors
inside perfkit never change an outcome: they are logged once per process on the
``perfkit`` logger and counted in the summary.

See docs/testing.md.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Literal, cast

import pytest

from perfkit.detection.findings import FINDING_KINDS

Mode = Literal["off", "report", "strict"]
MODES: tuple[Mode, ...] = ("off", "report", "strict")
MARKER_HELP = (
    "perfkit(enabled=True, strict=None, fail_on=None, **detection_options): per-test "
    "perfkit detection settings, e.g. n_plus_one_threshold=5 or allowlist=[...] "
    "(see docs/testing.md)"
)
_FINDINGS = pytest.StashKey[list[dict[str, Any]]]()
_ERRORS = pytest.StashKey[list[str]]()
_PLUGIN_NAME = "perfkit-detection"


# -- options -------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfkit", "perfkit: N+1 detection in test bodies")
    group.addoption(
        "--perfkit-strict",
        action="store_true",
        default=False,
        help="fail tests whose body has perfkit findings (of the perfkit_fail_on kinds)",
    )
    group.addoption(
        "--no-perfkit",
        action="store_true",
        default=False,
        help="turn the perfkit plugin off for this run",
    )
    group.addoption(
        "--perfkit-baseline",
        metavar="PATH",
        default=None,
        help="baseline file: findings it lists are accepted, new ones fail",
    )
    group.addoption(
        "--perfkit-record-baseline",
        action="store_true",
        default=False,
        help="write this run's findings to the baseline file instead of failing",
    )
    parser.addini("perfkit_mode", "perfkit plugin mode: off, report or strict", default="report")
    parser.addini("perfkit_baseline", "perfkit baseline file (implies strict)", default="")
    parser.addini(
        "perfkit_fail_on",
        "finding kinds that fail a test in strict mode",
        type="args",
        default=["n_plus_one"],
    )


@dataclass(frozen=True)
class PluginSettings:
    """What the command line and the ini file ask of the plugin for this run."""

    mode: Mode
    fail_on: frozenset[str]
    baseline_path: str | None
    record: bool

    @classmethod
    def from_config(cls, config: pytest.Config) -> PluginSettings:
        mode = str(config.getini("perfkit_mode")).strip().lower()
        if mode not in MODES:
            raise pytest.UsageError(f"perfkit_mode = {mode!r}: expected one of {', '.join(MODES)}")
        if config.getoption("no_perfkit"):
            mode = "off"
        elif config.getoption("perfkit_strict"):
            mode = "strict"
        fail_on = frozenset(str(kind) for kind in config.getini("perfkit_fail_on"))
        unknown = sorted(fail_on - set(FINDING_KINDS))
        if unknown:
            raise pytest.UsageError(
                f"perfkit_fail_on: unknown finding kind(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(FINDING_KINDS))}"
            )
        path = config.getoption("perfkit_baseline") or str(config.getini("perfkit_baseline"))
        baseline_path = str(config.rootpath / path) if path else None
        record = bool(config.getoption("perfkit_record_baseline"))
        if record and baseline_path is None:
            raise pytest.UsageError(
                "--perfkit-record-baseline needs a file: --perfkit-baseline PATH "
                "or the perfkit_baseline ini setting"
            )
        if baseline_path is not None and mode == "report":
            mode = "strict"  # a baseline exists to fail on what it does not list
        return cls(cast(Mode, mode), fail_on, baseline_path, record)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = PluginSettings.from_config(config)
    if settings.mode == "off":
        return  # inert: no per-test hook is registered
    config.pluginmanager.register(PerfkitPlugin(config, settings), _PLUGIN_NAME)


@pytest.fixture
def assert_max_queries() -> Any:
    """``with assert_max_queries(3): ...``: fail when the block runs more queries."""
    from perfkit.testing import assert_max_queries as budget

    return budget


# -- per-test marker -----------------------------------------------------------------
@dataclass(frozen=True)
class MarkerOptions:
    """``@pytest.mark.perfkit(...)`` merged from module, class and function (closest wins)."""

    enabled: bool = True
    strict: bool | None = None
    fail_on: frozenset[str] | None = None
    overrides: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, item: pytest.Item) -> MarkerOptions:
        marks = list(item.iter_markers("perfkit"))
        if not marks:
            return _NO_MARKER
        from perfkit.detection import DetectionOptions

        merged: dict[str, Any] = {}
        for mark in reversed(marks):
            if mark.args:
                raise MarkerError("takes keyword arguments only, e.g. perfkit(enabled=False)")
            merged.update(mark.kwargs)
        enabled = merged.pop("enabled", True)
        strict = merged.pop("strict", None)
        fail_on = merged.pop("fail_on", None)
        if not isinstance(enabled, bool) or not (strict is None or isinstance(strict, bool)):
            raise MarkerError("enabled and strict take True or False")
        kinds = None
        if fail_on is not None:
            kinds = frozenset([fail_on] if isinstance(fail_on, str) else fail_on)
            unknown = sorted(kinds - set(FINDING_KINDS))
            if unknown:
                raise MarkerError(f"fail_on: unknown finding kind(s) {', '.join(unknown)}")
        try:
            DetectionOptions().with_overrides(**merged)
        except TypeError as error:
            raise MarkerError(str(error)) from error
        return cls(enabled, strict, kinds, tuple(merged.items()))


class MarkerError(ValueError):
    pass


_NO_MARKER = MarkerOptions()


# -- the plugin proper ---------------------------------------------------------------
class PerfkitPlugin:
    """Registered by ``pytest_configure`` unless the mode is ``off``."""

    def __init__(self, config: pytest.Config, settings: PluginSettings) -> None:
        from perfkit.contrib.pytest.baseline import Baseline

        self.config = config
        self.settings = settings
        self.is_worker = hasattr(config, "workerinput")
        self.baseline = Baseline()
        self.baseline_keys: set[tuple[str, str, str, str]] = set()
        # Controller side: what every test (local or on a worker) shipped.
        self.findings_by_test: dict[str, list[dict[str, Any]]] = {}
        self.errors_by_test: dict[str, list[str]] = {}
        self.observed: set[str] = set()
        self.passed: set[str] = set()
        self._perfkit_installed: bool | None = None

    # -- session ----------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from perfkit.contrib.pytest.baseline import BaselineError, load_baseline

        if self.settings.baseline_path is None:
            return
        try:
            self.baseline = load_baseline(self.settings.baseline_path)
        except BaselineError as error:
            raise pytest.UsageError(str(error)) from error
        self.baseline_keys = self.baseline.keys()

    def pytest_report_header(self, config: pytest.Config) -> str:
        kinds = ", ".join(sorted(self.settings.fail_on))
        text = f"perfkit: {self.settings.mode} mode, failing on {kinds}"
        if self.settings.baseline_path:
            verb = "recording" if self.settings.record else "baseline"
            text += f", {verb} {self.settings.baseline_path}"
        return text

    def active(self) -> bool:
        """Django configured, perfkit installed and enabled: checked per test, cheaply."""
        if not self._perfkit_installed:
            try:
                from django.apps import apps
                from django.conf import settings
            except ImportError:
                return False
            if not settings.configured or not apps.ready:
                return False  # pytest-django may not have set Django up yet: ask again later
            self._perfkit_installed = apps.is_installed("perfkit")
        if not self._perfkit_installed:
            return False
        from perfkit.conf import perfkit_settings

        return perfkit_settings.ENABLED

    # -- one test ---------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        if not self.active():
            return (yield)
        try:
            marker = MarkerOptions.of(item)
        except MarkerError as error:
            pytest.fail(f"@pytest.mark.perfkit: {error}", pytrace=False)
        if not marker.enabled:
            return (yield)

        from perfkit.detection import DetectionOptions, detect

        scope = detect(options=DetectionOptions.from_settings(**dict(marker.overrides)))
        method = ObservedTestMethod.install(item, scope)
        entered = method is None and _enter(scope)
        try:
            result = yield
        except BaseException as error:
            if entered:
                scope.__exit__(type(error), error, error.__traceback__)
            self._remember(item, scope.report)
            raise
        finally:
            if method is not None:
                method.restore()
        if entered:
            scope.__exit__(None, None, None)
        new = self._remember(item, scope.report)
        if getattr(item, "_excinfo", None):  # a unittest failure already fails the test
            return result
        strict = marker.strict if marker.strict is not None else self.settings.mode == "strict"
        fail_on = marker.fail_on if marker.fail_on is not None else self.settings.fail_on
        failing = [finding for finding in new if finding["kind"] in fail_on]
        if strict and failing and not self.settings.record:
            pytest.fail(self._failure_message(failing), pytrace=False)
        return result

    def _remember(self, item: pytest.Item, report: Any) -> list[dict[str, Any]]:
        """Ship the body's findings (and perfkit's own errors) with the test report;
        return the findings the baseline lacks."""
        shipped = [shipped_finding(finding) for finding in report.findings]
        item.stash[_FINDINGS] = shipped
        item.stash[_ERRORS] = [shipped_error(error) for error in report.errors]
        return [
            finding
            for finding in shipped
            if (item.nodeid, finding["kind"], finding["subject"], finding["call_site"])
            not in self.baseline_keys
        ]

    def _failure_message(self, failing: list[dict[str, Any]]) -> str:
        where = (
            f"not in the baseline {self.settings.baseline_path}"
            if self.settings.baseline_path
            else "in the test body (perfkit strict mode)"
        )
        lines = [f"perfkit: {len(failing)} finding(s) {where}:"]
        for finding in failing:
            lines.append(f"  - {finding['message']}")
            lines.append(f"    call site: {finding['call_site']}")
        relations = sorted({f["subject"] for f in failing if f["kind"] == "n_plus_one"})
        lines.append(
            "Fix them as suggested, or accept them for this test with "
            f"@pytest.mark.perfkit(allowlist={relations!r})"
            + ("" if self.settings.baseline_path else " or a baseline (--perfkit-baseline).")
        )
        return "\n".join(lines)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if call.when == "call" and _FINDINGS in item.stash:
            # Plain attributes travel to the xdist controller with the report.
            report.perfkit_findings = item.stash[_FINDINGS]
            report.perfkit_errors = item.stash[_ERRORS]
        return report

    # -- controller side: collect, summarise, record -----------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker or report.when != "call":
            return
        shipped = getattr(report, "perfkit_findings", None)
        if shipped is None:
            return  # detection did not run for this test
        self.observed.add(report.nodeid)
        if report.passed:
            self.passed.add(report.nodeid)
        if shipped:
            self.findings_by_test[report.nodeid] = list(shipped)
        errors = getattr(report, "perfkit_errors", None)
        if errors:
            self.errors_by_test[report.nodeid] = list(errors)

    def recorded_entries(self) -> list[Any]:
        from perfkit.contrib.pytest.baseline import BaselineEntry

        return [
            BaselineEntry.from_finding(test, finding)
            for test, findings in self.findings_by_test.items()
            for finding in findings
            if finding["kind"] in self.settings.fail_on
        ]

    def disappeared(self) -> list[Any]:
        """Baseline entries of tests that passed here whose finding did not occur."""
        seen = {entry.key for entry in self.recorded_entries()}
        return [e for e in self.baseline.for_tests(self.passed) if e.key not in seen]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from perfkit.contrib.pytest.baseline import save_baseline

        if self.is_worker or not self.settings.record or self.settings.baseline_path is None:
            return
        updated = self.baseline.replaced(self.observed, self.recorded_entries())
        save_baseline(self.settings.baseline_path, updated)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        write = terminalreporter.write_line
        count = sum(len(findings) for findings in self.findings_by_test.values())
        if count:
            terminalreporter.section("perfkit findings")
            for test, findings in sorted(self.findings_by_test.items()):
                for finding in findings:
                    write(f"{test}: {finding['message']}")
            write(f"perfkit: {count} finding(s) in {len(self.findings_by_test)} test(s)")
        if self.errors_by_test:
            self._summarise_errors(terminalreporter)
        if self.settings.record and self.settings.baseline_path:
            recorded = len(self.recorded_entries())
            write(
                f"perfkit: recorded {recorded} finding(s) of {len(self.observed)} test(s) "
                f"to {self.settings.baseline_path}"
            )
            return
        gone = self.disappeared()
        if gone:
            terminalreporter.section("perfkit baseline")
            for entry in gone:
                write(f"no longer found: {entry.describe()}")
            write(
                f"perfkit: {len(gone)} baseline finding(s) no longer occur; tighten the "
                "baseline with --perfkit-record-baseline"
            )

    def _summarise_errors(self, terminalreporter: Any) -> None:
        errors = [error for found in self.errors_by_test.values() for error in found]
        terminalreporter.section("perfkit errors")
        for error in sorted(set(errors)):
            terminalreporter.write_line(f"{error}")
        terminalreporter.write_line(
            f"perfkit: {len(errors)} capture error(s) in {len(self.errors_by_test)} test(s): "
            "those test bodies were not fully observed (no test outcome changed); the "
            "tracebacks are on the 'perfkit' logger"
        )


def shipped_finding(finding: Any) -> dict[str, Any]:
    """A finding as plain JSON-able data (it crosses from xdist workers to the controller)."""
    from perfkit.capture.code_names import call_site_key

    return {
        "kind": finding.kind,
        "subject": finding.relation or finding.fingerprint or finding.sql,
        "call_site": call_site_key(finding.location),
        "location": finding.location,
        "count": finding.count,
        "message": finding.message,
    }


def shipped_error(error: BaseException) -> str:
    """An error inside perfkit, as text that holds no value: its type and where it rose."""
    from perfkit.capture.source_paths import display_path

    where = ""
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        where = f" at {display_path(code.co_filename)}:{traceback.tb_lineno} in {code.co_name}"
        traceback = traceback.tb_next
    return f"{type(error).__module__}.{type(error).__qualname__}{where}"


def _enter(scope: Any) -> bool:
    """Open ``scope``; False (and the test runs unobserved) if perfkit fails to."""
    try:
        scope.__enter__()
    except Exception as error:
        from perfkit.capture.errors import log_error

        log_error(error, "the pytest plugin could not start observing a test")
        scope.report.errors.append(error)
        return False
    return True


class ObservedTestMethod:
    """A ``unittest`` test's method run inside the detection scope, and nothing else:
    not ``setUp``/``tearDown``, not the fixtures ``TransactionTestCase`` loads, not
    ``setUpTestData``.

    ``unittest`` looks the method up on the test case instance
    (``getattr(self, self._testMethodName)``), so the wrapper goes there: pytest-django
    calls the test case itself (``self._testcase(result=self)``), without pytest's own
    ``runtest``. For pytest's ``runtest``, which puts ``item.obj`` on the instance,
    ``item.obj`` is the wrapper too. An ``async def`` method gets an ``async def``
    wrapper, which Django's ``SimpleTestCase`` runs with ``async_to_sync`` as it would
    the method. Both are put back afterwards, each only while it is still the wrapper.
    """

    def __init__(self, item: Any, instance: Any, name: str, original: Any, wrapper: Any):
        self.item = item
        self.instance = instance
        self.name = name
        self.original = original
        self.wrapper = wrapper

    @classmethod
    def install(cls, item: pytest.Item, scope: Any) -> ObservedTestMethod | None:
        """Wrap ``item``'s test method; None when ``item`` is not a ``unittest`` test."""
        if type(item).__name__ != "TestCaseFunction":
            return None
        instance = getattr(item, "instance", None) or getattr(item, "_testcase", None)
        name = getattr(instance, "_testMethodName", None)
        original = getattr(item, "obj", None)
        if instance is None or name is None or original is None:
            return None
        wrapper = _observing(original, scope)
        setattr(instance, name, wrapper)
        item.obj = wrapper  # type: ignore[attr-defined]
        return cls(item, instance, name, original, wrapper)

    def restore(self) -> None:
        if self.item.obj is self.wrapper:
            self.item.obj = self.original
        if self.instance.__dict__.get(self.name) is self.wrapper:
            delattr(self.instance, self.name)


def _observing(method: Any, scope: Any) -> Any:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def observed_coroutine(*args: Any, **kwargs: Any) -> Any:
            if not _enter(scope):
                return await method(*args, **kwargs)
            async with _Entered(scope):
                return await method(*args, **kwargs)

        return observed_coroutine

    @functools.wraps(method)
    def observed(*args: Any, **kwargs: Any) -> Any:
        if not _enter(scope):
            return method(*args, **kwargs)
        with _Entered(scope):
            return method(*args, **kwargs)

    return observed


class _Entered:
    """Exit an already entered ``detect`` scope, as ``with``/``async with`` would."""

    def __init__(self, scope: Any) -> None:
        self.scope = scope

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        self.scope.__exit__(*exc_info)

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.scope.__aexit__(*exc_info)
