"""A package installed in (a fake) site-packages, and a project model that inherits an
index from one of its abstract models: the generator never writes into the package,
perfaudit labels the package's findings, and one fix that cannot be made (the inherited
index) is skipped with a note while the others are written."""

from __future__ import annotations

import json
import textwrap

import pytest

TAGKIT_MODELS = """\
from django.db import models


class TaggedBase(models.Model):
    tag = models.CharField(max_length=50)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["tag"], name="%(app_label)s_%(class)s_tag")]


class Tag(models.Model):
    name = models.CharField(max_length=50)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created"]
"""

LABEL_MODEL = """

from tagkit.models import TaggedBase  # noqa: E402


class Label(TaggedBase):
    order = models.ForeignKey(Order, on_delete=models.CASCADE)

    class Meta(TaggedBase.Meta):
        indexes = [
            *TaggedBase.Meta.indexes,
            models.Index(fields=["tag", "order"], name="shop_label_tag_order"),
        ]
"""


@pytest.fixture
def vendored(sample):
    """The sample project with ``tagkit`` installed in vendor/site-packages and
    ``shop.Label`` inheriting its tag index, both migrated."""
    package = sample.root / "vendor" / "site-packages" / "tagkit"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "models.py").write_text(TAGKIT_MODELS)
    sample.extra_environment.update(
        PERFKIT_SAMPLE_PATH=str(package.parent), PERFKIT_SAMPLE_APPS="tagkit"
    )
    with sample.models_path.open("a") as models_file:
        models_file.write(LABEL_MODEL)
    result = sample.run_python(
        """
        from django.core.management import call_command
        call_command("makemigrations", "tagkit", "shop", verbosity=0)
        call_command("migrate", verbosity=0)
        """
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return sample, package


def run_commands(project, *commands):
    """Run each command (a list of words) with call_command in one interpreter; return
    [(exit status, stdout, stderr)]."""
    result = project.run_python(
        f"""
        import io, json
        from django.core.management import CommandError, call_command
        outcomes = []
        for words in {[list(command) for command in commands]!r}:
            out, err = io.StringIO(), io.StringIO()
            try:
                call_command(*words, stdout=out, stderr=err)
                code = 0
            except CommandError as error:
                code = error.returncode
                err.write(str(error))
            outcomes.append((code, out.getvalue(), err.getvalue()))
        print(json.dumps(outcomes))
        """
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_package_is_never_written_and_the_inherited_index_is_skipped(vendored):
    project, package = vendored
    package_files = sorted(str(path) for path in package.rglob("*.py"))
    dry_run, audit_package, fix_package, add_to_package = run_commands(
        project,
        ["perfaudit", "--fix", "--dry-run"],
        ["perfaudit", "tagkit", "--format", "json", "--fail-level", "info"],
        ["perfaudit", "tagkit", "--fix", "--yes"],
        ["perfindex", "add", "tagkit.Tag", "-created"],
    )

    # The project's own fixes go ahead; the inherited index is skipped with the reason.
    code, out, _ = dry_run
    assert code == 0
    plan = out.split("perfaudit --fix will generate migrations to:\n")[1]
    plan = plan.split("\nWould write")[0].splitlines()
    assert "  1. set db_index=False on shop.Shipment.order" in plan
    assert (
        "  skipped: remove index shop_label_tag from shop.Label: 'shop_label_tag' on "
        "shop.Label is inherited from the Meta.indexes of the abstract model "
        "tagkit.models.TaggedBase: removing it there removes it from every model that "
        "inherits it, so perfkit leaves that edit to you (or give this model its own "
        "Meta.indexes without it)."
    ) in plan

    # The package's findings: labelled, not counted, not fixed.
    code, out, _ = audit_package
    assert code == 0
    findings = json.loads(out)["findings"]
    assert [(f["id"], f["third_party"]) for f in findings] == [("PA303:tagkit_tag:created", True)]
    code, out, _ = fix_package
    assert code == 0
    assert "\nNothing to fix: no finding carries a fix that can be applied.\n" in out
    assert "  skipped: add index on tagkit.Tag (-created): tagkit.Tag belongs to the app " in out
    code, _, err = add_to_package
    assert code == 2
    assert f"tagkit.Tag belongs to the app 'tagkit' (tagkit, installed in {package})" in err
    assert sorted(str(path) for path in package.rglob("*.py")) == package_files


def test_fix_writes_the_project_fixes_despite_the_skipped_one(vendored):
    project, _ = vendored
    [(code, out, err)] = run_commands(project, ["perfaudit", "--fix", "--yes"])
    assert code == 0, out + err
    assert "skipped: remove index shop_label_tag from shop.Label" in out
    assert "Wrote shop/migrations/" in out
    assert "db_index=False" in project.models_path.read_text()
    project.check_and_migrate()


def test_perfindex_refuses_the_inherited_index_and_field(vendored):
    project, _ = vendored
    [(code, _, err)] = run_commands(
        project, ["perfindex", "remove", "shop.Label", "shop_label_tag"]
    )
    assert code == 2
    assert "is inherited from the Meta.indexes of the abstract model" in err
    # db_index=False on an inherited field (no command asks for it but perfaudit --fix)
    result = project.run_python(
        textwrap.dedent(
            """
            from django.db.migrations.loader import MigrationLoader
            from perfkit.indexgen.changes import DisableFieldIndexChange
            from perfkit.indexgen.errors import IndexChangeRefused
            from perfkit.indexgen.planning import plan_changes
            try:
                plan_changes(
                    [DisableFieldIndexChange("shop", "Label", "tag")],
                    MigrationLoader(None, ignore_no_migrations=True),
                )
            except IndexChangeRefused as error:
                print(error)
            """
        )
    )
    assert result.stdout.strip() == (
        "shop.Label.tag is inherited from the abstract model tagkit.models.TaggedBase: "
        "setting db_index=False there changes every model that inherits it, so perfkit "
        "leaves that edit to you (or override the field in this model)."
    )
