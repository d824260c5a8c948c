"""verify holds the chain against witnessed checkpoints too: their cosignature lines are read, not refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.ledger import services as ledger
from corridor.ledger.tests.test_guards import _append, rewrite_from
from corridor.ledger.tests.test_witnessing import Running, witnesses  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("witnessed_data_dir")]


def test_a_witnessed_checkpoint_verifies_and_still_catches_a_rewrite(
    witnesses: list[Running],  # noqa: F811
    tmp_path: Path,
) -> None:
    _append(10)
    result = CliRunner().invoke(cli, ["checkpoint"])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "corridor" / "checkpoints").glob("checkpoint-*.txt"))
    assert written and "\n\u2014 witness.example/" in written[0].read_text(encoding="utf-8")
    assert ledger.verify().ok
    rewrite_from(4)
    verdict = ledger.verify()
    assert not verdict.ok and verdict.bad_seq is not None and verdict.bad_seq >= 4
