from __future__ import annotations

import pytest

from tests.indexgen.sample_project import (
    build_template,
    create_project,
    drop_project_database,
    vendor,
)


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    template = build_template(tmp_path_factory.mktemp("template") / "project", vendor())
    yield template
    drop_project_database(template)


@pytest.fixture(scope="session")
def sqlite_sample_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("sqlite_template") / "project", "sqlite")


@pytest.fixture
def sample(sample_template, tmp_path):
    """A fresh copy of the sample project on the suite's database, initial migration applied."""
    project = create_project(sample_template, tmp_path / "project")
    yield project
    drop_project_database(project)


@pytest.fixture
def sqlite_sample(sqlite_sample_template, tmp_path):
    """The same on SQLite whatever the suite runs on: for behaviour no backend changes."""
    return create_project(sqlite_sample_template, tmp_path / "project")
