"""Attachment upload benchmark: a 200 MB video through the API, and the server process's peak memory.

    python benchmarks/attachments.py [--megabytes 200] [--workers 1]

Starts `corridor serve --production` (gunicorn) on 127.0.0.1 in a temporary data directory, warms the
worker up with a small photo upload (so the libraries are loaded), resets the server processes' peak
resident memory (VmHWM in /proc, reset through clear_refs) and reads their resident memory, then
streams a ``--megabytes`` MP4 through ``POST /api/ledger/{seq}/attachments`` from a client that never
holds it in memory either, and reads the peak reached during the upload. Goal: that peak exceeds the
memory before the upload by less than 100 MB (the file is spooled to disk by Django and sealed chunk
by chunk), and that the absolute peak stays under 100 MB: most of the worker's resident memory is Django,
the API's schemas and the libraries an upload loads (Pillow, the C2PA library), there before the file.
It also checks that the stored original's SHA-256 is the one the client computed, then starts a second
upload and cuts the connection halfway: nothing may remain (no entry, no file in the store, no spooled
upload). Last it starts a third upload and kills the server (SIGKILL, every process) halfway, as a power cut or the
out-of-memory killer would: what the dead worker left is counted, the server started again, and
again nothing may remain.

``measure()`` is what the slow test in src/corridor/api/tests/test_upload_server.py runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORRIDOR = [sys.executable, "-c", "from corridor.cli import main; main()"]
BOUNDARY = "corridor-benchmark-boundary"
CHUNK = 1 << 20

SETUP = """
from corridor.accounts.services import create_user
from corridor.accounts.tokens import issue_token
from corridor.ledger import services as ledger
user = create_user(username="bench-monitor", role="monitor", password="x-" + os.urandom(8).hex(), by=None)
token = issue_token(user, by=None, label="benchmark")[1]
seq = ledger.append("incident.recorded", by="benchmark", subjects=["site:GATE"], payload={}, source="witness").seq
import json; print(json.dumps({"token": token, "seq": seq}))
"""

LEFT = """
from corridor.ledger.models import Entry
import json; print(json.dumps({"attachments": Entry.objects.filter(type="attachment.added").count()}))
"""


def _django(code: str, env: dict[str, str]) -> str:
    prelude = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'corridor.settings'; django.setup()\n"
    done = subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"setup failed: {done.stderr[-2000:]}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and workers)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for text in child.read_text().split():
            found += _tree(int(text))
    return found


def _memory(pid: int, field: str = "VmHWM") -> dict[int, int]:
    """Peak (``VmHWM``) or current (``VmRSS``) resident memory of each process in the tree, in bytes, by pid."""
    peaks = {}
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        peaks[member] = int(fields[field].split()[0]) * 1024
    return peaks


def _reset_peaks(pid: int) -> bool:
    """Reset each process's peak (VmHWM) to its current resident memory (Linux: ``5`` to clear_refs), so
    that the peak read after the upload is the upload's own, not the warm-up's. False if the kernel refused."""
    done = True
    for member in _tree(pid):
        try:
            Path(f"/proc/{member}/clear_refs").write_text("5")
        except OSError:
            done = False
    return done


def _video(megabytes: int) -> Iterator[bytes]:
    """An MP4 of ``megabytes`` MB (an ``ftyp`` box, then one ``mdat`` box of pseudo-random bytes), in chunks."""
    total = megabytes * CHUNK
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    yield ftyp + (total - len(ftyp)).to_bytes(4, "big") + b"mdat"
    left = total - len(ftyp) - 8
    block = hashlib.sha512(b"corridor").digest() * (CHUNK // 64)
    counter = 0
    while left > 0:
        counter += 1
        piece = block[: min(CHUNK, left)]
        # Varied, so no layer can compress or deduplicate it away.
        piece = counter.to_bytes(8, "big") + piece[8:]
        yield piece
        left -= len(piece)


def _envelope(megabytes: int) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="source"\r\n\r\nmedia\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="certainty"\r\n\r\nconfirmed\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="VID_0001.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + megabytes * CHUNK + len(tail)


def upload(port: int, token: str, seq: int, megabytes: int, *, cut_at: int | None = None) -> tuple[int, dict, str]:
    """Stream a multipart upload; return (status, JSON answer, SHA-256 sent). ``cut_at``: drop the
    connection after that many MB instead (returns status 0)."""
    head, tail, length = _envelope(megabytes)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", f"/api/ledger/{seq}/attachments", skip_host=True)
    connection.putheader("Host", "127.0.0.1")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    connection.send(head)
    hasher = hashlib.sha256()
    sent = 0
    for piece in _video(megabytes):
        if cut_at is not None and sent >= cut_at * CHUNK:
            assert connection.sock is not None
            connection.sock.shutdown(socket.SHUT_RDWR)
            connection.close()
            return 0, {}, ""
        try:
            connection.send(piece)
        except BrokenPipeError:  # the server answered early (a refusal): read what it said
            break
        hasher.update(piece)
        sent += len(piece)
    else:
        connection.send(tail)
    answer = connection.getresponse()
    raw = answer.read()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {"unreadable": raw[:300].decode("latin-1")}
    connection.close()
    return answer.status, body, hasher.hexdigest()


def _photo_upload(port: int, token: str, seq: int) -> None:
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 120, 80)).save(picture, "JPEG")
    data = picture.getvalue()
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="source"\r\n\r\nmedia\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="certainty"\r\n\r\nconfirmed\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="warm.jpg"\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "POST",
        f"/api/ledger/{seq}/attachments",
        body=body,
        headers={
            "Host": "127.0.0.1",
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    answer = connection.getresponse()
    answer.read()
    if answer.status != 201:
        raise RuntimeError(f"the warm-up upload was refused: {answer.status}")


@dataclass
class Measured:
    megabytes: int
    seconds: float
    peak_before: int  # bytes: the largest resident memory among the server's processes just before the upload
    peak_after: int  # bytes: the largest peak resident memory (VmHWM) among them during the upload
    sha256_matches: bool
    status: int
    left_after_cut: dict[str, int]
    idle: int = 0  # bytes: the largest resident memory among the server's processes once started, before any upload
    left_when_killed: int = 0  # temporary files the killed worker left (more than 0, or the test tests nothing)
    left_after_restart: dict[str, int] | None = None

    @property
    def increase(self) -> int:
        return self.peak_after - self.peak_before


def _stored_files(folder: Path) -> int:
    store = folder / "attachments"
    return sum(1 for p in store.rglob("*") if p.is_file()) if store.exists() else 0


def _start(env: dict[str, str], port: int, workers: int, folder: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*CORRIDOR, "serve", "--production", "--port", str(port), "--workers", str(workers), "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("ab"),
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a loaded machine is slow
            probe.request("GET", "/api/openapi.json", headers={"Host": "127.0.0.1"})
            if probe.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.3)


def _temporaries(folder: Path) -> dict[str, int]:
    store = folder / "attachments"
    return {
        "spooled": sum(1 for _ in (store / ".uploads").iterdir()),
        "incoming": sum(1 for _ in store.glob(".incoming-*")) + sum(1 for _ in store.glob(".proofmode-*")),
    }


def _killed_mid_upload(server: subprocess.Popen[bytes], port: int, setup: dict, megabytes: int, folder: Path) -> int:
    """Upload in the background, SIGKILL every server process once half has arrived; return how many
    temporary files the dead worker left."""

    def send() -> None:
        with contextlib.suppress(OSError):  # the server dies under it, as intended
            upload(port, setup["token"], setup["seq"], megabytes)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    spool = folder / "attachments" / ".uploads"
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > megabytes * CHUNK // 2 for p in spool.iterdir() if p.is_file()):
        if time.monotonic() > deadline:
            raise RuntimeError("the upload to be killed never got halfway")
        time.sleep(0.05)
    for pid in _tree(server.pid):
        os.kill(pid, signal.SIGKILL)
    server.wait(timeout=20)
    sender.join(timeout=60)
    return sum(_temporaries(folder).values())


def measure(megabytes: int = 200, workers: int = 1, folder: Path | None = None) -> Measured:
    folder = folder or Path(tempfile.mkdtemp(prefix="corridor-attach-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CORRIDOR_DATA_DIR": str(folder)}
    env.pop("CORRIDOR_DATABASE_URL", None)
    subprocess.run([*CORRIDOR, "migrate"], env=env, check=True, capture_output=True)
    setup = json.loads(_django(SETUP, env))
    port = _free_port()
    server = _start(env, port, workers, folder)
    try:
        idle = max(_memory(server.pid, "VmRSS").values())
        _photo_upload(port, setup["token"], setup["seq"])
        # The peak is reset after the warm-up, so whatever the upload costs shows, even below the warm-up's
        # peak (decoding the photo). Without the reset, the warm-up's peak is the baseline (an upper bound).
        reset = _reset_peaks(server.pid)
        before = max(_memory(server.pid, "VmRSS" if reset else "VmHWM").values())
        started = time.perf_counter()
        status, answer, sent = upload(port, setup["token"], setup["seq"], megabytes)
        seconds = time.perf_counter() - started
        after = max(_memory(server.pid).values())
        files_before_cut = _stored_files(folder)
        upload(port, setup["token"], setup["seq"], megabytes, cut_at=megabytes // 2)
        time.sleep(2)  # the worker notices the cut connection and cleans up
        left = json.loads(_django(LEFT, env))
        measured = Measured(
            megabytes,
            seconds,
            before,
            after,
            answer.get("sha256") == sent,
            status,
            {
                "entries": left["attachments"] - 2,  # the warm-up photo and the video
                "new_files": _stored_files(folder) - files_before_cut,
                **_temporaries(folder),
            },
        )
        measured.idle = idle
        measured.left_when_killed = _killed_mid_upload(server, port, setup, megabytes, folder)
        server = _start(env, port, workers, folder)  # which removes what the killed worker left
        left = json.loads(_django(LEFT, env))
        measured.left_after_restart = {
            "entries": left["attachments"] - 2,
            "new_files": _stored_files(folder) - files_before_cut,
            **_temporaries(folder),
        }
        return measured
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(f"uploading a {args.megabytes} MB video to corridor serve --production ({args.workers} worker) …")
    result = measure(args.megabytes, args.workers)
    mb = 1024 * 1024
    print(f"status {result.status}, {result.seconds:.1f} s ({args.megabytes / result.seconds:.0f} MB/s)")
    print(f"server process resident memory once started, before any upload: {result.idle / mb:.0f} MB")
    print(
        f"server process resident memory: {result.peak_before / mb:.0f} MB before the upload (after a warm-up "
        f"upload loaded the libraries), peak during the upload {result.peak_after / mb:.0f} MB: "
        f"+{result.increase / mb:.1f} MB for the upload (goal: < 100 MB)"
    )
    print(f"server process peak resident memory, all told: {result.peak_after / mb:.0f} MB (goal: < 100 MB)")
    print(f"stored original's SHA-256 equals the bytes sent: {result.sha256_matches}")
    print(f"after an upload cut halfway: {result.left_after_cut} (goal: all 0)")
    print(
        f"a server killed halfway through an upload left {result.left_when_killed} temporary file(s); "
        f"after it started again: {result.left_after_restart} (goal: all 0)"
    )
    ok = (
        result.status == 201
        and result.sha256_matches
        and result.increase < 100 * mb
        and result.peak_after < 100 * mb
        and not any(result.left_after_cut.values())
        and result.left_when_killed > 0
        and not any((result.left_after_restart or {"missing": 1}).values())
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
