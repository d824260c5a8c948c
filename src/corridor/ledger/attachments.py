"""Photos, videos and documents kept as evidence, stored by their SHA-256 and named in the ledger.

A file is stored once under ``attachments/ab/abcdef…`` in the data directory (``ab`` being the first two
hex digits of its SHA-256), and an ``attachment.added`` entry records its hash, size and media type and
what it is evidence of (an entry, subjects, or both). The file's name is not recorded: names of photos
and scans too often carry a person's name. Because the ledger holds the hash, a checkpoint that covers the
entry also vouches for the file's exact bytes; ``verifier/corridor_verify.py --attachments DIR`` checks
them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from corridor.accounts.roles import Can, require
from corridor.errors import InvalidInput, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+\-]{0,80}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def store_dir() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


def path_for(digest: str) -> Path:
    if not _SHA256.match(digest):
        raise InvalidInput("not a SHA-256 in lowercase hex", "sha256")
    return store_dir() / digest[:2] / digest


def store(file: BinaryIO | Path) -> tuple[str, int]:
    """Copy ``file`` into the store (once per content) and return its SHA-256 and size.

    Written to a temporary file, flushed to disk, then renamed into place: a crash leaves either the
    whole file or none under its hash, never a truncated one.
    """
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            source = file.open("rb") if isinstance(file, Path) else file
            try:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            finally:
                if isinstance(file, Path):
                    source.close()
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput("the file is empty", "file")
        target = path_for(digest.hexdigest())
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(temporary)  # the same bytes are already stored
        else:
            os.chmod(temporary, 0o440)
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return digest.hexdigest(), size


def attach(
    file: BinaryIO | Path,
    *,
    entry: int | None = None,
    subjects: Iterable[str] = (),
    by: ledger.Actor,
    source: str,
    certainty: str,
    media_type: str = "application/octet-stream",
    occurred_at: dt.datetime | None = None,
) -> Entry:
    """Store ``file`` by its SHA-256 and append an ``attachment.added`` entry naming it; return the entry.

    ``entry`` is the number of the ledger entry the file is evidence for (its subjects are inherited);
    ``subjects`` adds or replaces them (``patient:P-0042``). One of the two is required. The file is
    stored before the entry is written, so the ledger never names a file that is not there; a refused
    entry leaves at most an unreferenced copy in the store.
    """
    require(by, Can.RECORD_INCIDENTS)
    if isinstance(subjects, str):
        raise InvalidInput("give a list of subjects, not one string", "subjects")
    subject_list = list(subjects)
    if not _MEDIA_TYPE.match(media_type):
        raise InvalidInput(f"{media_type!r} is not a media type like image/jpeg", "media_type")
    if entry is None and not subject_list:
        raise InvalidInput("say what the file is evidence of: an entry number or subjects", "entry")
    inherited: list[str] = []
    if entry is not None:
        original = Entry.objects.filter(seq=entry).first()
        if original is None:
            raise NotFound(f"there is no ledger entry {entry}")
        inherited = original.subjects
    if isinstance(file, Path) and not file.is_file():
        raise InvalidInput(f"{file} is not a file", "file")
    digest, size = store(file)
    return ledger.append(
        "attachment.added",
        by=by,
        subjects=[*inherited, *subject_list],
        payload={"sha256": digest, "bytes": size, "media_type": media_type, "entry": entry},
        source=source,
        certainty=certainty,
        occurred_at=occurred_at,
    )


def read(digest: str) -> bytes:
    """The stored file's bytes, checked against its hash (NotFound if absent, InvalidInput if damaged)."""
    path = path_for(digest)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"attachment {digest} is not in the store") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise InvalidInput(f"attachment {digest} is damaged: its bytes no longer match its hash", "sha256")
    return data


def check_store() -> list[str]:
    """Every problem with the files the ledger names: missing, or not matching their hash. Empty if none."""
    problems = []
    for item in Entry.objects.filter(type="attachment.added").order_by("seq"):
        digest = str(item.payload["sha256"])
        path = path_for(digest)
        if not path.exists():
            problems.append(f"entry {item.seq}: attachment {digest} is missing")
            continue
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
        if hasher.hexdigest() != digest:
            problems.append(f"entry {item.seq}: attachment {digest} is damaged")
    return problems
