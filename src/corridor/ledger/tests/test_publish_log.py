"""The log published as static C2SP tlog-tiles, checked from a mirror; and checkpoints when due."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.ledger import evidence, merkle, tiles
from corridor.ledger import services as ledger
from corridor.ledger.tests.ledgers import load_verifier
from corridor.ledger.tests.tampering import append_held

verifier = load_verifier()


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = verifier.main(list(args))
    return status, out.getvalue()


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    """``folder`` served by the standard library's plain file server on a free loopback port."""
    handler = functools.partial(QuietFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _checkpoint_and_publish(out: Path) -> str:
    """Sign a checkpoint and publish the log into ``out``, as an operator would; what publish-log said."""
    runner = CliRunner()
    assert runner.invoke(cli, ["checkpoint"]).exit_code == 0
    result = runner.invoke(cli, ["publish-log", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def test_tile_paths_follow_the_specification() -> None:
    assert tiles.index_path(1234067) == "x001/x234/067"
    assert tiles.index_path(5) == "005" and tiles.index_path(1000) == "x001/000"
    assert tiles.tile_path(0, 273, 112) == "tile/0/273.p/112" and tiles.tile_path("entries", 7) == "tile/entries/007"


def test_a_tree_of_70000_leaves_has_the_tiles_the_specification_lists(tmp_path: Path) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(70_000)]
    writer = tiles.Writer(tmp_path)
    tiles.write_tiles(writer, leaves)
    level0 = sorted(p.name for p in (tmp_path / "tile" / "0").rglob("*") if p.is_file())
    assert len([p for p in (tmp_path / "tile" / "0").rglob("*") if p.is_file() and "p" not in p.parent.name]) == 273
    assert (tmp_path / "tile/0/273.p/112").stat().st_size == 112 * 32 and level0
    assert (tmp_path / "tile/1/000").stat().st_size == 8192
    assert (tmp_path / "tile/1/001.p/17").stat().st_size == 17 * 32
    assert (tmp_path / "tile/2/000.p/1").stat().st_size == 32
    tree = merkle.MemoryTree(leaves)
    for size in (70_000, 65_536, 256 * 273):
        mirror = verifier.Mirror(str(tmp_path), 70_000)
        assert mirror.node(0, size) == tree.root(size)


@pytest.mark.django_db
@pytest.mark.usefixtures("nested_data_dir")
def test_an_entry_is_checked_from_a_mirror_of_the_published_log(tmp_path: Path) -> None:
    append_held(600)
    out = tmp_path / "published"
    assert "published 600 entries (NOT WITNESSED checkpoint)" in _checkpoint_and_publish(out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "checkpoint", "tile/0/000", "tile/0/001", "tile/0/002.p/88",
        "tile/1/000.p/2", "tile/entries/000", "tile/entries/001", "tile/entries/002.p/88",
    ]  # fmt: skip
    assert (out / "checkpoint").read_text(encoding="utf-8") == evidence.latest_checkpoint()
    key = evidence.verifier_key().encode()
    mirror = tmp_path / "mirror"
    shutil.copytree(out, mirror)  # what a plain web server would serve, copied elsewhere
    status, report = _verify("mirror", str(mirror), "--key", key, "--entry", "1", "--entry", "300", "--entry", "600")
    assert status == 0 and "entry 300 (gate.held" in report and report.endswith("OK\n"), report
    assert _verify("mirror", str(mirror), "--key", key)[0] == 0
    with _served(mirror) as url:  # the same mirror behind a plain web server, read over HTTP
        status, report = _verify("mirror", url, "--key", key, "--entry", "300")
        assert status == 0 and "entry 300 (gate.held" in report, report
        assert _verify("mirror", url, "--key", key)[0] == 0
        assert _verify("mirror", url + "/nothing-here", "--key", key)[0] == 2
        (mirror / "tile/0/001").write_bytes(bytes(8192))  # a tile altered on the server
        status, report = _verify("mirror", url, "--key", key, "--entry", "300")
        assert status == 1 and "entry 300 is not in the checkpoint" in report, report
        shutil.copy(out / "tile/0/001", mirror / "tile/0/001")
    # Entry 300's body, altered in the mirror (same length, so only its content differs).
    bundle = mirror / "tile/entries/001"
    bundle.write_bytes(bundle.read_bytes().replace(b'"i":299', b'"i":298'))
    status, report = _verify("mirror", str(mirror), "--key", key, "--entry", "300")
    assert status == 1 and "entry 300 is not in the checkpoint" in report
    assert _verify("mirror", str(mirror), "--key", key)[0] == 1
    assert _verify("mirror", str(out), "--key", key, "--entry", "601")[0] == 1
    # Published again after more entries: full tiles stay, the partial ones and the checkpoint move on.
    append_held(200)
    _checkpoint_and_publish(out)
    assert (out / "tile/0/003.p/33").exists() and _verify("mirror", str(out), "--key", key)[0] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("own_data_dir")
def test_a_checkpoint_is_due_after_n_entries_or_a_day_with_something_new(settings: Any) -> None:
    settings.CHECKPOINT_EVERY_ENTRIES, settings.CHECKPOINT_EVERY_HOURS = 5, 24
    runner = CliRunner()
    assert runner.invoke(cli, ["checkpoint", "--if-due"]).output == "no checkpoint due\n"
    ledger.append("gate.held", by="tester", subjects=["trip:1"], payload={}, source="witness", certainty="probable")
    result = runner.invoke(cli, ["checkpoint", "--if-due"])
    assert result.exit_code == 0 and result.output.startswith("due: no checkpoint yet, 1 entries\nsigned: 1 entries")
    assert evidence.checkpoint_due() is None
    for _ in range(4):
        ledger.append("gate.held", by="tester", subjects=["trip:1"], payload={}, source="witness", certainty="probable")
    assert evidence.checkpoint_due() is None  # four new entries, below five, and within the day
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    assert evidence.checkpoint_due(later) == "4 entries and 25 hours since the last checkpoint"
    ledger.append("gate.held", by="tester", subjects=["trip:1"], payload={}, source="witness", certainty="probable")
    assert evidence.checkpoint_due() == "5 entries since the last checkpoint"
    evidence.sign_checkpoint()
    assert evidence.checkpoint_due(later + dt.timedelta(days=3)) is None  # nothing new but its own entry


@pytest.mark.django_db
@pytest.mark.usefixtures("nested_data_dir")
def test_a_mirror_entry_nested_past_the_limit_fails_without_a_traceback(tmp_path: Path) -> None:
    append_held(3)
    out = tmp_path / "published"
    _checkpoint_and_publish(out)
    bundle = next(p for p in (out / "tile" / "entries").rglob("*") if p.is_file())  # 000.p/3
    data, bodies, at = bundle.read_bytes(), [], 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 2], "big")
        bodies.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    bodies[0] = b"[" * 30_000 + b"]" * 30_000  # entry 1, replaced by a bomb for the parser
    bundle.write_bytes(b"".join(len(body).to_bytes(2, "big") + body for body in bodies))
    key = evidence.verifier_key().encode()
    status, report = _verify("mirror", str(out), "--key", key, "--entry", "1")
    assert status == 1 and "entry 1 in the mirror is not JSON" in report and "Traceback" not in report
