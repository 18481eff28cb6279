"""libcst edits of model source: only the touched lines change."""

from __future__ import annotations

import pytest

from perfkit.indexgen import model_source

HEADER = "from django.db import models\n\n\n"


def test_append_to_a_one_line_list_keeps_it_on_one_line():
    source = HEADER + (
        "class Order(models.Model):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta:\n"
        '        indexes = [models.Index(fields=["ref"], name="a")]  # lookups\n'
    )
    assert model_source.add_index(source, "Order", ["-ref"], "b") == HEADER + (
        "class Order(models.Model):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta:\n"
        '        indexes = [models.Index(fields=["ref"], name="a"), '
        'models.Index(fields=["-ref"], name="b")]  # lookups\n'
    )


def test_meta_with_only_pass_gets_indexes_instead_of_pass():
    source = HEADER + (
        "class Order(models.Model):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta:\n"
        "        pass\n"
    )
    assert model_source.add_index(source, "Order", ["ref"], "b") == HEADER + (
        "class Order(models.Model):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta:\n"
        "        indexes = [\n"
        '            models.Index(fields=["ref"], name="b"),\n'
        "        ]\n"
    )


def test_new_meta_goes_after_the_fields_of_a_class_without_methods():
    source = HEADER + "class Order(models.Model):\n    ref = models.CharField(max_length=9)\n"
    assert model_source.add_index(source, "Order", ["ref"], "b") == HEADER + (
        "class Order(models.Model):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta:\n"
        "        indexes = [\n"
        '            models.Index(fields=["ref"], name="b"),\n'
        "        ]\n"
    )


def test_meta_extending_a_base_meta_keeps_the_inherited_indexes():
    source = HEADER + (
        "class Order(Stamped):\n"
        "    ref = models.CharField(max_length=9)\n"
        "\n"
        "    class Meta(Stamped.Meta):\n"
        '        ordering = ["ref"]\n'
    )
    edited = model_source.add_index(source, "Order", ["ref"], "b", inherits_indexes=True)
    assert edited.endswith(
        '        ordering = ["ref"]\n'
        "        indexes = [\n"
        "            *Stamped.Meta.indexes,\n"
        '            models.Index(fields=["ref"], name="b"),\n'
        "        ]\n"
    )


def test_aliased_models_import_is_used():
    source = (
        "from django.db import models as m\n\n\n"
        "class Order(m.Model):\n    ref = m.CharField(max_length=9)\n"
    )
    assert 'm.Index(fields=["ref"], name="b")' in model_source.add_index(
        source, "Order", ["ref"], "b"
    )


def test_remove_a_middle_entry_keeps_comments_and_the_others():
    source = HEADER + (
        "class Order(models.Model):\n"
        "    class Meta:\n"
        "        indexes = [\n"
        '            models.Index(fields=["a"], name="a"),  # first\n'
        '            models.Index(fields=["b"], name="b"),\n'
        '            models.Index(fields=["c"], name="c"),  # last\n'
        "        ]\n"
    )
    assert model_source.remove_index(source, "Order", "b") == HEADER + (
        "class Order(models.Model):\n"
        "    class Meta:\n"
        "        indexes = [\n"
        '            models.Index(fields=["a"], name="a"),  # first\n'
        '            models.Index(fields=["c"], name="c"),  # last\n'
        "        ]\n"
    )


def test_db_index_true_is_replaced():
    source = HEADER + (
        "class Order(models.Model):\n"
        "    customer = models.ForeignKey(Customer, models.CASCADE, db_index=True)  # hot\n"
    )
    assert model_source.disable_db_index(source, "Order", "customer").endswith(
        "    customer = models.ForeignKey(Customer, models.CASCADE, db_index=False)  # hot\n"
    )


def test_db_index_false_goes_after_a_trailing_comma():
    source = HEADER + (
        "class Order(models.Model):\n"
        "    customer = models.ForeignKey(\n"
        "        Customer,\n"
        "        on_delete=models.CASCADE,\n"
        "    )\n"
    )
    assert model_source.disable_db_index(source, "Order", "customer").endswith(
        "    customer = models.ForeignKey(\n"
        "        Customer,\n"
        "        on_delete=models.CASCADE,\n"
        "        db_index=False,\n"
        "    )\n"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            HEADER + "def make():\n    class Order(models.Model):\n        pass\n",
            "no module-level class Order in the file",
        ),
        (
            "from django.db.models import Model\n\nclass Order(Model):\n    pass\n",
            "the module does not import `from django.db import models`",
        ),
    ],
)
def test_shapes_it_does_not_edit_are_refused(source, reason):
    with pytest.raises(model_source.SourceEditFailed, match="^" + reason.replace("(", r"\(")):
        model_source.add_index(source, "Order", ["ref"], "b")
