"""Fixtures shared by the ledger's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def own_data_dir(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the test's own, and no signing key named by the environment: a checkpoint the
    test makes is signed with a key made there, never with the developer's."""
    monkeypatch.delenv("CORRIDOR_SIGNING_KEY_FILE", raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def nested_data_dir(own_data_dir: Path, settings: Any) -> Path:
    """The data folder in ``corridor/`` of the test's own folder, so that what the test keeps beside it
    (a published log, a mirror, witnesses' folders) lies outside the data."""
    settings.DATA_DIR = own_data_dir / "corridor"
    return own_data_dir / "corridor"


@pytest.fixture
def witnessed_data_dir(nested_data_dir: Path, settings: Any) -> Path:
    """The data folder for the witnessing tests, and a short wait for a witness, so that one that does not
    answer fails a test in seconds."""
    settings.CHECKPOINT_TIMEOUT, settings.CHECKPOINT_RETRIES = 2, 1
    return nested_data_dir
