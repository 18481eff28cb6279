"""On a copy of the testproject: perfaudit --fix, migrate, and the fixed findings are gone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.indexgen.sample_project import REPO


def manage(root, *args):
    environment = dict(os.environ)
    environment.pop("DATABASE_URL", None)  # the copy's own SQLite file
    environment["PYTHONPATH"] = os.pathsep.join([str(root), str(REPO)])
    environment["DJANGO_SETTINGS_MODULE"] = "testproject.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )


def fixable(root):
    result = manage(root, "perfaudit", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    findings = json.loads(result.stdout)["findings"]
    return {finding["id"]: finding["autofix"] for finding in findings if finding["autofix"]}


def test_perfaudit_fix_then_migrate_leaves_no_fixed_finding(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(REPO / "manage.py", root)
    shutil.copytree(
        REPO / "testproject",
        root / "testproject",
        ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3"),
    )
    assert manage(root, "migrate", "-v", "0").returncode == 0
    before = fixable(root)
    assert {fix["action"] for fix in before.values()} >= {"add_index", "set_db_index_false"}

    fixed = manage(root, "perfaudit", "--fix", "--yes")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "perfaudit --fix will generate migrations to:\n" in fixed.stdout
    check = manage(root, "makemigrations", "--check", "--dry-run")
    assert check.stdout == "No changes detected\n", check.stdout + check.stderr
    assert manage(root, "migrate", "-v", "0").returncode == 0

    assert set(fixable(root)) & set(before) == set()
