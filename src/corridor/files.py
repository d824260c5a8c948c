"""Files written whole or not at all: pure Python, no Django.

A half-written checkpoint, key file, export or proof is worse than none: a reader cannot tell it is
cut. Every file Corridor writes under a name someone will read goes through here: the bytes go to
``NAME.partial`` beside the target, then one rename puts them in place (atomic on POSIX within a
folder), so the target is the old file or the new one, never a mixture. On failure the partial file
is removed and the error raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


@contextmanager
def atomic_open(
    path: Path, mode: Literal["w", "wb"] = "w", *, permissions: int = 0o644, durable: bool = False
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing through its partial file; the file takes its name when the block ends.

    ``permissions`` apply from the first byte (a key file must never be readable by others, even for a
    moment); ``durable`` also syncs the file and its folder, for files whose loss after a crash would
    lose something (keys, a witness's state).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, permissions)
    with (
        _put_in_place(partial, path, durable=durable),
        os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle,
    ):
        yield handle
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


@contextmanager
def atomic_path(path: Path, *, permissions: int = 0o644, durable: bool = False) -> Iterator[Path]:
    """The partial file's path, for a writer that takes a file name rather than a handle (SQLite's backup,
    ``pg_dump``); the file takes its name when the block ends, or is removed if the block fails.

    The partial file is created empty first, with ``permissions``, so that the writer never gets the
    chance to make it readable by others (a database backup holds everything the database does).
    """
    partial = partial_path(path)
    partial.unlink(missing_ok=True)  # what a killed run left: never written into, never renamed
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, permissions))
    with _put_in_place(partial, path, durable=durable):
        yield partial
        if durable:
            _sync(partial, os.O_RDONLY)


@contextmanager
def _put_in_place(partial: Path, path: Path, *, durable: bool) -> Iterator[None]:
    """When the block ends, rename ``partial`` to ``path``; if the block fails, remove ``partial`` instead.

    Both atomic writers end this way, so a failure can never leave a partial file behind under either.
    ``durable`` also syncs the folder, without which the rename itself may not survive a crash.
    """
    try:
        yield
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if durable:
        _sync(path.parent, os.O_RDONLY)


def _sync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: str | bytes, *, permissions: int = 0o644, durable: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_open`)."""
    if isinstance(data, bytes):
        with atomic_open(path, "wb", permissions=permissions, durable=durable) as binary:
            binary.write(data)
    else:
        with atomic_open(path, "w", permissions=permissions, durable=durable) as text:
            text.write(data)
