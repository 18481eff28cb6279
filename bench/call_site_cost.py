"""What perfkit's capture costs per query, by the kind of code that made the query.

Three N+1 scenarios over ``--classes`` classes (each with a teacher and students), each
run with no capture and inside ``perfkit.detect()``, interleaved round by round:

- ``python loop``: a loop in project code reads each class's teacher (the call site is
  the loop's line);
- ``serializer``: the testproject's ``ClassSerializer(many=True)`` reads teacher and
  students per class (the call site is the serializer field);
- ``template``: a template file loops over the classes and reads the same (the call site
  is the template line).

Times are the process's CPU time (``time.process_time``: SQLite runs in the process,
and a busy machine disturbs CPU time far less than wall time). The cost per query is
(median time with detection - median time without) / queries.
Run it from a checkout to measure that checkout's perfkit (before/after a change: run it
in both, alternately).

    DATABASE_URL=sqlite:////tmp/call_site_cost.sqlite3 python bench/call_site_cost.py --rounds 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import report, setup_django

TEMPLATE = """{% for school_class in classes %}
<p>{{ school_class.name }}: {{ school_class.teacher.email }}</p>
<ul>{% for student in school_class.students.all %}<li>{{ student.email }}</li>{% endfor %}</ul>
{% endfor %}
"""


def seed(classes: int) -> None:
    from django.core.management import call_command

    from testproject.school.models import Class
    from tests.factories import ClassFactory, EnrollmentFactory, TeacherFactory

    call_command("migrate", verbosity=0)
    missing = classes - Class.objects.count()
    for _ in range(max(0, missing)):
        school_class = ClassFactory(teacher=TeacherFactory())
        EnrollmentFactory.create_batch(2, school_class=school_class)


def scenarios(classes: int, template_dir: str) -> dict[str, Callable[[], Any]]:
    from django.template import Context, Engine

    from testproject.school.models import Class
    from testproject.school.serializers import ClassSerializer

    template = Engine(dirs=[template_dir]).get_template("classes.html")

    def python_loop() -> Any:
        return [c.teacher.email for c in Class.objects.order_by("pk")[:classes]]

    def serializer() -> Any:
        return ClassSerializer(Class.objects.order_by("pk")[:classes], many=True).data

    def render() -> Any:
        return template.render(Context({"classes": Class.objects.order_by("pk")[:classes]}))

    return {"python loop": python_loop, "serializer": serializer, "template": render}


def timed(run: Callable[[], Any], detect: bool) -> tuple[float, int]:
    """CPU microseconds one run takes, and the queries detection saw (0 without it)."""
    import perfkit

    started = time.process_time()
    if not detect:
        run()
        return (time.process_time() - started) * 1e6, 0
    with perfkit.detect() as found:
        run()
    return (time.process_time() - started) * 1e6, found.queries


def resolve_cost(run: Callable[[], Any], repeat: int = 200) -> float:
    """Median microseconds of one call-site resolution, at the first 50 queries of
    ``run`` (each resolved ``repeat`` times over on its own stack, caches warm)."""
    from django.db import connection

    import perfkit
    from perfkit.capture import current_capture

    samples: list[float] = []

    def measure(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        capture = current_capture()
        if capture is not None and len(samples) < 50:
            frame = sys._getframe(1)
            resolve = capture.resolver.resolve
            started = time.perf_counter()
            for _ in range(repeat):
                resolve(frame, capture.task, capture.boundary)
            samples.append((time.perf_counter() - started) / repeat * 1e6)
        return execute(sql, params, many, context)

    with perfkit.detect(), connection.execute_wrapper(measure):
        run()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    setup_django()
    seed(args.classes)
    with tempfile.TemporaryDirectory() as template_dir:
        Path(template_dir, "classes.html").write_text(TEMPLATE)
        runs = scenarios(args.classes, template_dir)
        timings: dict[tuple[str, bool], list[float]] = {(n, d): [] for n in runs for d in (0, 1)}
        queries: dict[str, int] = {}
        resolving = {name: resolve_cost(run) for name, run in runs.items()}
        for _ in range(args.rounds):
            for name, run in runs.items():
                for detect in (False, True):
                    elapsed, count = timed(run, detect)
                    timings[(name, detect)].append(elapsed)
                    if detect:
                        queries[name] = count
    rows = []
    for name in runs:
        off = statistics.median(timings[(name, False)])
        on = statistics.median(timings[(name, True)])
        rows.append(
            [
                name,
                queries[name],
                round(off / 1000, 2),
                round(on / 1000, 2),
                round((on - off) / queries[name], 1),
                round(resolving[name], 2),
            ]
        )
    report(
        "call_site_cost",
        ["scenario", "queries", "off CPU ms", "detect CPU ms", "µs per query", "µs to resolve"],
        rows,
        classes=args.classes,
        rounds=args.rounds,
    )


if __name__ == "__main__":
    main()
