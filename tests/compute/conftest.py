"""A copy of the compute fixture model with its records written beside it."""

import shutil

import pytest

from .records import MODEL, records, write_parquet


@pytest.fixture(scope="module")
def rows():
    return records()


@pytest.fixture
def model_dir(tmp_path, rows):
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    write_parquet(rows, folder / "records")
    return folder
