"""Apps of installed packages (here Django's admin and auth, installed in site-packages):
perfaudit labels their findings and leaves them out of the exit status unless
--include-third-party; perfindex and --fix never write into them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import django.contrib.admin
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from perfkit.audit.installed_packages import is_package_path, is_project_app, third_party_app

pytestmark = pytest.mark.django_db

ADMIN = Path(django.contrib.admin.__file__).parent


def run(command, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
        err.write(str(error))
    return code, out.getvalue(), err.getvalue()


def test_which_apps_are_the_projects():
    assert not is_project_app("admin") and not is_project_app("auth")
    assert is_project_app("school")
    admin = third_party_app("admin")
    assert admin is not None and admin.module == "django.contrib.admin"
    assert third_party_app("school") is None


def test_a_package_directory_is_recognised_by_its_name_or_its_place(tmp_path):
    assert is_package_path(str(tmp_path / "venv" / "lib" / "site-packages" / "tagkit"))
    assert is_package_path(str(tmp_path / "dist-packages" / "tagkit"))
    assert is_package_path(str(ADMIN))
    assert not is_package_path(str(tmp_path / "project" / "shop"))


def test_third_party_findings_are_labelled_and_not_counted():
    code, out, _ = run("perfaudit", "admin", "--format", "json", "--fail-level", "warning")
    assert code == 0
    [finding] = json.loads(out)["findings"]
    assert finding["id"] == "PA303:django_admin_log:action_time"
    assert finding["third_party"] is True
    assert finding["fix"].startswith(
        "admin.LogEntry is not this project's model (django.contrib.admin is an installed "
        "package): change it upstream, or create or drop the index from a migration of one "
        "of your own apps (migrations.RunSQL;"
    )
    assert finding["fix"].endswith(
        "The fix on a model of your own would be: "
        "python manage.py perfindex add admin.LogEntry -action_time"
    )
    code, out, _ = run("perfaudit", "admin", "--fail-level", "warning")
    assert code == 0
    assert "  PA303 WARNING (third-party app): admin.LogEntry is ordered by" in out
    assert out.splitlines()[-1] == (
        f"perfaudit: 1 findings on default ({connection.vendor}): 0 error, 1 warning, 0 info; 1 on "
        "third-party apps, not counted in the exit status (--include-third-party counts "
        "them)."
    )


def test_include_third_party_audits_them_and_counts_them():
    code, out, _ = run("perfaudit", "admin", "--fail-level", "warning", "--include-third-party")
    assert code == 1
    code, out, _ = run("perfaudit", "--format", "json", "--include-third-party")
    findings = json.loads(out)["findings"]
    by_model = {(f["model"], f["third_party"]) for f in findings}
    assert ("admin.LogEntry", True) in by_model
    assert ("school.Attendance", False) in by_model
    # without it and without labels: the project's own apps only
    _, out, _ = run("perfaudit", "--format", "json")
    assert all(not f["third_party"] for f in json.loads(out)["findings"])


def test_perfindex_refuses_a_third_party_model_and_says_what_can_be_done():
    before = sorted(path.name for path in (ADMIN / "migrations").iterdir())
    models_text = (ADMIN / "models.py").read_text()
    code, _, err = run("perfindex", "add", "admin.LogEntry", "-action_time")
    assert code == 2
    concurrently = " CONCURRENTLY" if connection.vendor == "postgresql" else ""
    assert err.startswith(
        "admin.LogEntry belongs to the app 'admin' (django.contrib.admin, installed in "
        f"{ADMIN}), not to this project: perfkit does not write migrations into an "
        "installed package or edit its models"
    )
    assert "  - create the index from a migration of one of your own apps, with RunSQL" in err
    assert (
        f'            sql=\'CREATE INDEX{concurrently} "django_admi_action__e8f581_idx" '
        'ON "django_admin_log" ("action_time" DESC)\','
    ) in err
    assert (
        f"            reverse_sql='DROP INDEX{concurrently} IF EXISTS "
        '"django_admi_action__e8f581_idx"\','
    ) in err
    assert err.rstrip().endswith("  - or ask the maintainers of django to change it.")
    # nothing written into the package
    assert sorted(path.name for path in (ADMIN / "migrations").iterdir()) == before
    assert (ADMIN / "models.py").read_text() == models_text


def test_perfindex_refuses_removals_from_a_third_party_model():
    code, _, err = run("perfindex", "remove", "auth.Permission", "some_index")
    assert code == 2
    assert "auth.Permission belongs to the app 'auth' (django.contrib.auth" in err
    assert "migrations.RunSQL('DROP INDEX" in err and '"some_index"' in err


def test_fix_skips_third_party_findings_with_a_note():
    code, out, _ = run("perfaudit", "admin", "school", "--fix", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert "perfaudit --fix will generate migrations to:" in lines
    assert any(line.endswith(". add index on school.Attendance (-created_at)") for line in lines)
    [note] = [line for line in lines if "admin.LogEntry" in line and "skipped" in line]
    assert note.startswith(
        "  skipped: add index on admin.LogEntry (-action_time): admin.LogEntry belongs to "
        "the app 'admin' (django.contrib.admin"
    )
