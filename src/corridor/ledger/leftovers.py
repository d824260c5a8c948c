"""What an upload killed mid-way leaves behind, and its removal.

An upload passes through three kinds of temporary file inside the attachment store, none of which
the ledger ever names: Django's spooled copy (``.uploads/PID-….upload``), the file being sealed
(``.incoming-PID-…``) and a ProofMode bundle's extracted media (``.proofmode-PID-…/``). A request
that fails or is cut removes its own; a process that is killed (out of memory, SIGKILL, power loss)
cannot. Each name therefore carries the id of the process that made it, and ``remove_leftovers``
removes those whose process is gone: when the server starts, and before every new attachment.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler

_OWNED = re.compile(r"^(?:\.incoming-|\.proofmode-|)(\d+)-")


class _SpooledByProcess(TemporaryUploadedFile):
    """Django's spooled upload, its name starting with the id of the process receiving it."""

    def __init__(self, name: Any, content_type: Any, size: int, charset: str | None, extra: Any = None) -> None:
        # Kept open for the request, as Django's own; closing it removes it.
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=f"{os.getpid()}-", suffix=".upload", dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        UploadedFile.__init__(self, file, name, content_type, size, charset, extra)


class SpoolByProcess(TemporaryFileUploadHandler):
    """``TemporaryFileUploadHandler`` whose files can be told apart by the process that spooled them."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = _SpooledByProcess(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    try:
        # A killed process whose parent died too can stay a zombie until init reaps it: it is gone all the same.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def remove_leftovers(store: Path, spool: Path) -> list[str]:
    """Remove the temporary files of uploads whose process no longer runs; return their names.

    A process id reused since (after a reboot) keeps its leftovers until that process ends too.
    Nothing under the store's ``ab/`` folders (the stored objects) is ever looked at."""
    removed = []
    candidates = list(store.glob(".incoming-*")) + list(store.glob(".proofmode-*")) if store.is_dir() else []
    candidates += list(spool.iterdir()) if spool.is_dir() else []
    for path in candidates:
        owner = _OWNED.match(path.name)
        if owner is None or _alive(int(owner[1])):
            continue
        with suppress(FileNotFoundError):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.name)
    return removed
