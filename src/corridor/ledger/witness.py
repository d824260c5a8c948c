"""A transparency-log witness (C2SP tlog-witness), shipped with Corridor and run by a partner: no Django.

``corridor witness init --data DIR`` makes the witness's own data directory: an Ed25519 key
(``witness-key.pem``), its name and the logs it follows (``witness.json``). ``corridor witness serve``
answers two requests:

``POST /add-checkpoint``
    An old size, a consistency proof and a checkpoint. The witness co-signs the checkpoint only if the
    log's key signed it and it extends, by the proof, the last checkpoint the witness co-signed for
    that log. Refusals use the specification's status codes: 404 unknown log, 403 no valid log
    signature, 400 malformed or old size above the new size (a rollback), 409 (body: the size the
    witness holds, ``text/x.tlog.size``) when the old size is not the one it co-signed last, 409 (body:
    the reason) when the old size is the checkpoint's and the roots differ (a split view), 422 when the
    consistency proof does not verify.
``GET /<hex SHA-256 of the origin>/checkpoint``
    The latest checkpoint it co-signed for that log, with the log's signature and its own.

It keeps every checkpoint it co-signed (``logs/<origin hash>/cosigned/``), and every validly signed
checkpoint that contradicts one of them (``logs/<origin hash>/conflicts/``): a second tree of a size it
already co-signed is proof that the log showed different histories to different people. It never
touches Corridor's database: it knows only the logs' public keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from corridor.files import write_atomically
from corridor.ledger import checkpoints, cosignatures, merkle

CONFIG_NAME = "witness.json"
KEY_NAME = "witness-key.pem"
MAX_REQUEST_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """The witness's data directory is missing or malformed."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


def init(data: Path, *, name: str | None = None, logs: Sequence[str] = ()) -> cosignatures.WitnessKey:
    """Create (or extend) a witness data directory; return the witness key to publish.

    The key is generated once; run again with more ``logs`` (verifier keys) to follow more logs.
    """
    parsed = []
    for text in logs:
        try:
            parsed.append(checkpoints.parse_verifier_key(text))
        except checkpoints.CheckpointError as exc:
            raise WitnessError(f"--log {text.strip()[:60]!r}: {exc}") from None
    key = checkpoints.load_or_create_private_key(data / KEY_NAME)
    config_path = data / CONFIG_NAME
    if config_path.exists():
        config = _read_config(data)
        if name is not None and name != config["name"]:
            raise WitnessError(f"this witness is already named {config['name']}: a new name needs a new directory")
    else:
        default = "corridor-witness/" + hashlib.sha256(cosignatures.witness_key_for("x", key).public).hexdigest()[:16]
        config = {"name": name or default, "logs": []}
    witness_key = cosignatures.witness_key_for(str(config["name"]), key)
    known = list(config["logs"])
    for log in parsed:
        if log.encode() not in known:
            known.append(log.encode())
    config["logs"] = known
    write_atomically(config_path, json.dumps(config, indent=1) + "\n", durable=True)
    return witness_key


def _read_config(data: Path) -> dict[str, Any]:
    try:
        config = json.loads((data / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitnessError(f"{data} is not a witness data directory (run corridor witness init): {exc}") from None
    if (
        not isinstance(config, dict)
        or not isinstance(config.get("name"), str)
        or not isinstance(config.get("logs"), list)
    ):
        raise WitnessError(f"{data / CONFIG_NAME} must hold a name and a list of logs")
    return config


class Witness:
    """The witness's state and its one decision: co-sign this checkpoint or refuse, and why."""

    def __init__(self, data: Path) -> None:
        self.data = data
        config = _read_config(data)
        self.key = checkpoints.load_private_key(data / KEY_NAME)
        self.name = str(config["name"])
        self.public = cosignatures.witness_key_for(self.name, self.key)
        self.logs: dict[str, list[checkpoints.VerifierKey]] = {}
        for text in config["logs"]:
            log = checkpoints.parse_verifier_key(str(text))
            self.logs.setdefault(log.name, []).append(log)
        self._lock = threading.Lock()

    def folder(self, origin: str) -> Path:
        return self.data / "logs" / origin_hash(origin)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # A thread lock for this process and a file lock for any other process serving the same directory:
        # checking the old size and storing the new checkpoint must be one step (tlog-witness).
        with self._lock, open(self.data / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def latest(self, origin: str) -> str | None:
        try:
            return (self.folder(origin) / "checkpoint").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def cosigned(self, origin: str) -> list[str]:
        """Every checkpoint this witness co-signed for ``origin``, oldest first."""
        folder = self.folder(origin) / "cosigned"
        paths = sorted(folder.glob("*.txt"), key=lambda path: int(path.name.split("-", 1)[0]))
        return [path.read_text(encoding="utf-8") for path in paths]

    def conflicts(self, origin: str) -> list[str]:
        """Every validly signed checkpoint refused because it contradicts one co-signed before."""
        folder = self.folder(origin) / "conflicts"
        return [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, text = cosignatures.parse_add_checkpoint(body)
            note = cosignatures.parse_note(text)
        except cosignatures.NoteError as exc:
            return Answer(400, f"malformed request: {exc}\n")
        keys = self.logs.get(note.origin)
        if not keys:
            return Answer(404, f"unknown log {note.origin}\n")
        refused = self._log_signature_problem(note, keys)
        if refused:
            return Answer(403, refused + "\n")
        if old > note.size:
            return Answer(400, f"old size {old} is above the checkpoint's size {note.size}\n")
        with self._locked():
            latest = self.latest(note.origin)
            known = cosignatures.parse_note(latest) if latest else None
            size = known.size if known else 0
            known_root = known.root if known else merkle.EMPTY_ROOT
            if known is not None and known.size == note.size and known.root != note.root:
                self._keep_conflict(note, text)
            elif note.size < size:
                self._check_against_history(note, text)
            if old != size:
                return Answer(409, f"{size}\n", SIZE_CONTENT_TYPE)
            if note.size == 0 and note.root != merkle.EMPTY_ROOT:
                return Answer(422, "a tree of size 0 has the empty tree's root\n")
            if old == 0 and proof:
                return Answer(422, "no proof is needed, or allowed, from the empty tree\n")
            if old == note.size and known_root != note.root:
                # tlog-witness: the same size with another root is a conflict (409), not a bad proof.
                return Answer(409, f"split view: a tree of {old} entries with another root was co-signed before\n")
            if not merkle.verify_consistency(old, note.size, known_root, note.root, proof):
                return Answer(422, f"the consistency proof from {old} to {note.size} entries does not verify\n")
            timestamp = max(int(time.time()), 1)
            line = cosignatures.cosign(note.text, self.name, self.key, timestamp)
            cosigned = text + line
            folder = self.folder(note.origin)
            write_atomically(folder / "cosigned" / f"{note.size}-{note.root.hex()[:16]}.txt", cosigned, durable=True)
            write_atomically(folder / "checkpoint", cosigned, durable=True)
        return Answer(200, line)

    def _log_signature_problem(self, note: cosignatures.Note, keys: list[checkpoints.VerifierKey]) -> str | None:
        """Why the log's signature is missing or wrong (403), or None if one by a key it trusts verifies.

        tlog-witness: signatures by unknown keys are ignored, and one valid signature by a trusted key
        is enough (a log may sign with a retiring and a new key at once).
        """
        problem = f"no signature by a known key of {note.origin}"
        for name, raw in note.signatures:
            for key in keys:
                if name != key.name or raw[:4] != key.key_id:
                    continue
                if len(raw) == 68 and key.verify(note.text.encode(), raw[4:]):
                    return None
                problem = f"the signature by {key.name} does not verify"
        return problem

    def _check_against_history(self, note: cosignatures.Note, text: str) -> None:
        """Keep ``text`` as a conflict if an earlier co-signed checkpoint had its size and another root."""
        for earlier in self.cosigned(note.origin):
            parsed = cosignatures.parse_note(earlier)
            if parsed.size == note.size and parsed.root != note.root:
                self._keep_conflict(note, text)
                return

    def _keep_conflict(self, note: cosignatures.Note, text: str) -> None:
        folder = self.folder(note.origin) / "conflicts"
        prefix = f"{note.size}-{note.root.hex()[:16]}-"
        if any(path.read_text(encoding="utf-8") == text for path in folder.glob(prefix + "*.txt")):
            return  # the same proof, sent again (a log retrying after a 409): kept once
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        write_atomically(folder / f"{prefix}{stamp}.txt", text, durable=True)

    def checkpoint_for(self, digest: str) -> Answer:
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            return Answer(404, "not found\n")
        try:
            return Answer(200, (self.data / "logs" / digest / "checkpoint").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Answer(404, "this witness has co-signed no checkpoint of that log\n")


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "corridor-witness"
        timeout = 30  # seconds a connection may sit idle or half-sent before it is dropped

        def _send(self, answer: Answer) -> None:
            data = answer.body.encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.close_connection = True
                self._send(Answer(411, "a Content-Length is required\n"))
                return
            if not 0 <= length <= MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(Answer(413, "the request is too large\n"))
                return
            body = self.rfile.read(length)
            if self.path != "/add-checkpoint":
                self._send(Answer(404, "not found\n"))
                return
            self._send(witness.add_checkpoint(body))

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if self.path == "/":
                self._send(Answer(200, witness.public.encode() + "\n"))
            elif len(parts) == 2 and parts[1] == "checkpoint":
                self._send(witness.checkpoint_for(parts[0]))
            else:
                self._send(Answer(404, "not found\n"))

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return ThreadingHTTPServer((host, port), Handler)


def describe(witness: Witness) -> str:
    logs = ", ".join(sorted(witness.logs)) or "none yet"
    return f"witness {witness.public.encode()}\nfollowing: {logs}"


def encode_time(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
