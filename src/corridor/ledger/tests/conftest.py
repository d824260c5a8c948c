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
