"""Shared fixtures: one Hail session per test run, and the micro data set on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from microdata import write_grouplens
from workflow_run import run_on_synthetic_data


@pytest.fixture
def grouplens_dir(tmp_path: Path) -> Path:
    """The micro data set in the GroupLens layout."""
    return write_grouplens(tmp_path / "grouplens")


@pytest.fixture(scope="session")
def hail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Hail on local[2], started once for the whole test run with the project's
    own session helper."""
    from movielens_hail.session import start_hail

    folder = tmp_path_factory.mktemp("hail")
    start_hail(threads=2, log=folder / "hail.log", tmp_dir=folder / "tmp")
    import hail as hl

    yield hl


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the whole workflow ran to completion on synthetic data,
    once per test run, for the end-to-end and browser tests."""
    return run_on_synthetic_data(tmp_path_factory.mktemp("workflow"))
