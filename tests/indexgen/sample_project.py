"""A small throwaway Django project in a temporary directory, driven through subprocesses.

The generator writes files and runs ``makemigrations --check`` in a fresh interpreter, so
its tests work on a copy: a ``shop`` app written here, its own settings module, and its
own database (a SQLite file, or a fresh PostgreSQL database when ``DATABASE_URL`` names
PostgreSQL). The real testproject is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# An empty table is cheapest to scan; make the planner show which index it can use.
PRICE_OUT_SCANS = ("SET enable_seqscan = off", "SET enable_bitmapscan = off")

REPO = Path(__file__).resolve().parents[2]

SHOP_MODELS = '''\
"""A shop: orders listed newest first per customer."""

from django.db import models


class Stamped(models.Model):
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["created_at"], name="%(app_label)s_%(class)s_made")]


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    status = models.CharField(max_length=20)  # paid, shipped, ...
    reference = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    class Meta:
        # Looked up by the support desk.
        indexes = [
            models.Index(fields=["reference"], name="shop_order_reference_idx"),
        ]

    def __str__(self):
        return self.reference


class Shipment(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="shipments"
    )
    shipped_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["order", "-shipped_at"], name="shop_ship_order_idx")]


class Invoice(Stamped):
    total = models.IntegerField()

    def __str__(self):
        return str(self.total)
'''


@dataclass
class SampleProject:
    root: Path
    vendor: str
    database_name: str
    # Added to every command's environment (PERFKIT_SAMPLE_PATH, ..._APPS, ..._OPTIONS,
    # ..._OTHER_DATABASE).
    extra_environment: dict[str, str] = field(default_factory=dict)

    @property
    def models_path(self) -> Path:
        return self.root / "shop" / "models.py"

    @property
    def migrations_dir(self) -> Path:
        return self.root / "shop" / "migrations"

    def environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join([str(self.root), str(REPO)])
        environment["DJANGO_SETTINGS_MODULE"] = "shop_settings"
        environment["PERFKIT_SAMPLE_DATABASE"] = self.database_name
        if self.vendor == "sqlite":
            environment.pop("DATABASE_URL", None)
        environment.update(self.extra_environment)
        return environment

    def run(
        self, *args: str, extra_environment: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python -m django ARGS`` in the project; returns the finished process."""
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=self.root,
            env={**self.environment(), **(extra_environment or {})},
            capture_output=True,
            text=True,
        )

    def run_python(self, code: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run ``code`` after ``django.setup()`` in the project."""
        script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=self.root,
            env=self.environment(),
            input=stdin,
            capture_output=True,
            text=True,
        )

    def check_and_migrate(self, *migrate_args: str) -> str:
        """``makemigrations --check --dry-run shop`` then ``migrate shop ARGS``, in one process.

        Fails the test when makemigrations reports a change or migrate fails.
        """
        result = self.run_python(
            f"""
            from django.core.management import call_command
            call_command("makemigrations", "--check", "--dry-run", "shop")
            print("--- migrate")
            call_command("migrate", "shop", *{migrate_args!r})
            """
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("No changes detected in app 'shop'\n--- migrate\n"), (
            result.stdout
        )
        return result.stdout

    def round_trip(
        self, tables: list[str], queries: list[str], sqlmigrate: str | None = None
    ) -> dict:
        """In one process: [sqlmigrate], makemigrations --check, migrate, look, migrate
        back to 0001, look again. Returns what it saw (see inspect_round_trip.py).

        One interpreter instead of five keeps the suite fast on a busy machine.
        """
        arguments = json.dumps({"tables": tables, "queries": queries, "sqlmigrate": sqlmigrate})
        result = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("inspect_round_trip.py")), arguments],
            cwd=self.root,
            env=self.environment(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout.splitlines()[-1])

    def migration_names(self) -> list[str]:
        return sorted(path.stem for path in self.migrations_dir.glob("0*.py"))

    # -- the database, read directly -------------------------------------------------
    def index_definitions(self, table: str) -> dict[str, str]:
        """Index name → its SQL definition (pg_indexes / sqlite_master)."""
        if self.vendor == "postgresql":
            rows = self.query(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (table,)
            )
        else:
            rows = self.query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                (table,),
            )
        return {name: definition or "" for name, definition in rows}

    def explain(self, sql: str) -> str:
        """The plan of ``sql``; on PostgreSQL with sequential scans priced out."""
        if self.vendor == "postgresql":
            rows = self.query(f"EXPLAIN {sql}", (), setup=PRICE_OUT_SCANS)
            return "\n".join(row[0] for row in rows)
        rows = self.query(f"EXPLAIN QUERY PLAN {sql}", ())
        return "\n".join(str(row[-1]) for row in rows)

    def query(
        self,
        sql: str,
        params: tuple[object, ...],
        setup: tuple[str, ...] = (),
        autocommit: bool = False,
        database: str | None = None,
    ) -> list[tuple]:
        """Run ``sql`` on the project's database (or on ``database``, another one)."""
        name = database or self.database_name
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(**postgres_server(), dbname=name, autocommit=autocommit) as conn:
                for statement in setup:
                    conn.execute(statement)
                cursor = conn.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []
        with sqlite3.connect(name) as conn:
            return list(conn.execute(sql, params).fetchall())

    def copy_database(self) -> str:
        """A second database, a copy of this one as it is now (drop it with
        :func:`drop_database`)."""
        if self.vendor == "postgresql":
            return _create_database(self.database_name)
        copy = str(self.root / f"other-{uuid.uuid4().hex[:6]}.sqlite3")
        shutil.copy(self.database_name, copy)
        return copy


def vendor() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def postgres_server() -> dict[str, object]:
    import dj_database_url

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    return {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }


SETTINGS = """\
import os
import sys

import dj_database_url

SECRET_KEY = "sample"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "perfkit", "shop"]
ROOT_URLCONF = "shop_urls"
_url = os.environ.get("DATABASE_URL", "")
if _url.startswith(("postgres://", "postgresql://")):
    DATABASES = {"default": dj_database_url.parse(_url)}
    DATABASES["default"]["NAME"] = os.environ["PERFKIT_SAMPLE_DATABASE"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["PERFKIT_SAMPLE_DATABASE"],
        }
    }
# Tests add: a directory to import from (a fake site-packages), apps, a second database.
if os.environ.get("PERFKIT_SAMPLE_PATH"):
    sys.path.insert(0, os.environ["PERFKIT_SAMPLE_PATH"])
INSTALLED_APPS += [app for app in os.environ.get("PERFKIT_SAMPLE_APPS", "").split(",") if app]
if os.environ.get("PERFKIT_SAMPLE_OPTIONS"):  # e.g. "-c statement_timeout=1000"
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ[
        "PERFKIT_SAMPLE_OPTIONS"
    ]
if os.environ.get("PERFKIT_SAMPLE_OTHER_DATABASE"):
    DATABASES["other"] = {
        **DATABASES["default"], "NAME": os.environ["PERFKIT_SAMPLE_OTHER_DATABASE"]
    }
"""


def build_template(directory: Path, kind: str) -> SampleProject:
    """Write the project, make its initial migration and apply it to a template database.

    Tests copy the directory (with its SQLite file) or clone the PostgreSQL template
    database, which is much faster than migrating from scratch each time.
    """
    (directory / "shop" / "migrations").mkdir(parents=True)
    (directory / "shop" / "__init__.py").write_text("")
    (directory / "shop" / "migrations" / "__init__.py").write_text("")
    (directory / "shop" / "models.py").write_text(SHOP_MODELS)
    (directory / "shop_settings.py").write_text(SETTINGS)
    (directory / "shop_urls.py").write_text("urlpatterns = []\n")
    if kind == "postgresql":
        project = SampleProject(directory, kind, _create_database())
    else:
        project = SampleProject(directory, kind, str(directory / "db.sqlite3"))
    try:
        for command in (("makemigrations", "shop"), ("migrate", "shop")):
            result = project.run(*command)
            assert result.returncode == 0, result.stdout + result.stderr
    except BaseException:
        drop_project_database(project)  # no stray databases when setting up fails
        raise
    return project


def create_project(template: SampleProject, destination: Path) -> SampleProject:
    shutil.copytree(template.root, destination)
    if template.vendor == "postgresql":
        return SampleProject(destination, "postgresql", _create_database(template.database_name))
    return SampleProject(destination, "sqlite", str(destination / "db.sqlite3"))


def _create_database(template: str | None = None) -> str:
    import psycopg

    name = f"perfkit_indexgen_sample_{uuid.uuid4().hex[:10]}"
    clone = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(**postgres_server(), dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clone}')
    return name


def drop_project_database(project: SampleProject) -> None:
    drop_database(project.vendor, project.database_name)


def drop_database(kind: str, name: str) -> None:
    if kind != "postgresql":
        return
    import psycopg

    with psycopg.connect(**postgres_server(), dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
