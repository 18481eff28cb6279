"""What perfkit's pytest plugin costs a real suite: DRF's own tests, off, report and strict.

Runs the ``tests`` folder of an unpacked DRF source distribution (``--drf-src``) with the
interpreter of a virtualenv that has DRF's test requirements and perfkit (``--python``;
the one ``scripts/gates/drf_suite`` builds, ``.venv-drfgate``), in one process (no
xdist), on SQLite, with ``perfkit`` added to DRF's ``INSTALLED_APPS`` by the gate's
plugin, as the gate does. One warm-up run of each variant, then ``--rounds`` rounds,
each variant once a round in a new random order. Reported: median CPU time of a run
(user + system, ``getrusage``), its ratio to ``off``, the paired ratio and wall time:

- ``off``: ``--no-perfkit``;
- ``report``: the default mode: every test body observed, findings listed at the end;
- ``strict``: ``--perfkit-strict`` (no baseline: the tests with findings fail).

    . scripts/gates/lib.sh && ensure_gate_venv && src=$(unpack_drf_sdist "$(mktemp -d)")
    .venv/bin/python bench/drf_suite_overhead.py --drf-src "$src" \\
        --python .venv-drfgate/bin/python --rounds 3
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, RUN_COLUMNS, child_run, interleaved_runs, report, setup_django

VARIANTS = {
    "off": ["--no-perfkit"],
    "report": [],
    "strict": ["--perfkit-strict"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drf-src", type=Path, required=True, help="an unpacked DRF sdist")
    parser.add_argument("--python", default=sys.executable, help="the gate virtualenv's")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not (options.drf_src / "tests").is_dir():
        parser.error(f"{options.drf_src} has no tests folder: give an unpacked DRF sdist")
    os.environ.pop("DATABASE_URL", None)
    setup_django()
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["PYTHONPATH"] = str(ROOT / "scripts" / "gates" / "pytest_plugins")
    python = os.path.abspath(options.python)  # not resolved: a virtualenv's is a symlink
    pytest = [python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]
    pytest += ["-p", "no:xdist", "-p", "perfkit_in_installed_apps"]

    def run(variant: str) -> tuple[float, float]:
        # 1: some tests failed (strict mode fails the tests with findings)
        return child_run([*pytest, *VARIANTS[variant]], options.drf_src, environment, (0, 1))

    rows = interleaved_runs(run, list(VARIANTS), options.rounds)
    print(f"load average at the end: {os.getloadavg()}")
    report(
        "drf_suite_overhead", RUN_COLUMNS, rows, rounds=options.rounds, load_average=os.getloadavg()
    )


if __name__ == "__main__":
    main()
