from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from tests.schema.exact_models import models_for


@contextmanager
def postgres_wrappers():
    """What ``django.contrib.postgres`` does when installed (the testproject does not
    install it): let ``OpClass`` wrap an index expression, as ``OrderBy`` and ``Collate`` do."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.contrib.postgres.indexes import OpClass
    from django.db.models.expressions import OrderBy
    from django.db.models.functions import Collate
    from django.db.models.indexes import IndexExpression

    before = IndexExpression.wrapper_classes
    IndexExpression.register_wrappers(OrderBy, OpClass, Collate)
    try:
        yield
    finally:
        IndexExpression.register_wrappers(*before)


@pytest.fixture(scope="module")
def exact_models(django_db_setup, django_db_blocker):
    """The models of :mod:`tests.schema.exact_models`, their tables created by the schema
    editor as ``migrate`` creates them (outside any transaction: SQLite's schema editor
    needs that), and dropped at the end of the module."""
    created = models_for(connection.vendor)
    with postgres_wrappers(), django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            for model in created:
                editor.create_model(model)
        try:
            yield created
        finally:
            with connection.schema_editor() as editor:
                for model in reversed(created):
                    editor.delete_model(model)
