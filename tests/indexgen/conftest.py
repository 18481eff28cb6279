from __future__ import annotations

import pytest

from tests.indexgen.sample_project import (
    build_template,
    create_project,
    drop_project_database,
)


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    template = build_template(tmp_path_factory.mktemp("template") / "project")
    yield template
    drop_project_database(template)


@pytest.fixture
def sample(sample_template, tmp_path):
    """A fresh copy of the sample project, its initial migration applied."""
    project = create_project(sample_template, tmp_path / "project")
    yield project
    drop_project_database(project)
