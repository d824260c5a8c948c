"""Photos, videos, audio and documents kept as evidence: sealed at rest, named by their SHA-256 in the ledger.

Every object in the store is a sealed file (``corridor.ledger.sealed``: AES-256-GCM under the identity
key, in chunks, its trailer bound to the plaintext's hash) at ``attachments/ab/abcdef…``, ``ab`` being
the first two hex digits of the plaintext's SHA-256. An ``attachment.added`` entry names the entry the
file is evidence for, its hash, size and type (detected from its content, never from a name), whether
it carried a C2PA manifest that verifies, whether it is a ProofMode proof bundle whose hashes and
signatures verify, and the hashes of what may be shown of it (for images a metadata-free re-encoding
and a thumbnail). The file's name is never recorded: names of photos and
scans too often carry a person's name. Because the ledger holds the hash, a checkpoint that covers the
entry also vouches for the file's exact bytes.

An upload is read once, as a stream, into a temporary file inside the store while it is hashed and
sealed; it is refused as soon as its type is not on the allow list or it passes its kind's size
limit, and anything refused or interrupted leaves neither a file nor an entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop as _

from corridor import validate
from corridor.accounts.roles import Can, require
from corridor.errors import InvalidInput, NotFound
from corridor.ledger import media, proofmode, sealed
from corridor.ledger import services as ledger
from corridor.ledger.models import Attachment, Entry

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def store_dir() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


def path_for(digest: str) -> Path:
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise InvalidInput(_("not a SHA-256 in lowercase hex"), "sha256", code="attachment.bad_hash")
    return store_dir() / digest[:2] / digest


def _keys() -> tuple[str, dict[str, bytes]]:
    """(id of the key that seals, every configured key by id): the identity keys, as for identity fields."""
    from corridor.register.crypto import key_id, keyring

    keyring()  # follows a rotation made by another process
    keys = list(settings.IDENTITY_KEYS)
    raw = {key_id(k): base64.urlsafe_b64decode(k.encode("ascii") + b"=" * (-len(k) % 4)) for k in keys}
    return key_id(keys[0]), raw


def declared_too_large(content_length: str | None) -> str | None:
    """A refusal to give before reading an upload whose declared length exceeds every limit, else None."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        return None
    largest = max(limits().values())
    if declared > largest + 1024 * 1024:  # room for the multipart envelope and the other fields
        return f"the upload is larger than the largest file accepted ({largest // (1024 * 1024)} MB)"
    return None


# Entries that files document: what happened, not the system's own book-keeping.
_NOT_ATTACHABLE = ("attachment.", "checkpoint.", "token.", "user.", "identity.", "scenario.", "export.")


def attachable(entry_type: str) -> bool:
    return not entry_type.startswith(_NOT_ATTACHABLE)


def target(seq: int) -> Entry:
    """The entry a file would document: NotFound if there is none, InvalidInput if files cannot document it.
    The edges ask before reading an upload, so a wrong number never costs one."""
    found = Entry.objects.filter(seq=seq).first()
    if found is None:
        raise NotFound(_("there is no ledger entry %(seq)s"), code="entry.not_found", seq=seq)
    if not attachable(found.type):
        raise InvalidInput(
            _("a file cannot document a %(event)s entry; attach it to what happened"),
            "entry",
            code="attachment.not_attachable",
            event=found.type,
        )
    return found


def limits() -> dict[str, int]:
    """The largest file of each kind, in bytes (``CORRIDOR_ATTACHMENT_MAX_MB_*``)."""
    return {kind: int(mb) * 1024 * 1024 for kind, mb in settings.ATTACHMENT_MAX_MB.items()}


@contextmanager
def _incoming() -> Iterator[tuple[IO[bytes], Path]]:
    """A private temporary file inside the store, removed unless the caller moved it into place."""
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Named by this process, so that what a killed process left is found (corridor.ledger.leftovers).
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".incoming-{os.getpid()}-")
    path = Path(name)
    try:
        with os.fdopen(handle, "w+b") as out:
            yield out, path
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


def remove_leftovers() -> list[str]:
    """Remove the temporary files that uploads killed mid-way left in the store (corridor.ledger.leftovers)."""
    from corridor.ledger.leftovers import remove_leftovers as remove

    return remove(store_dir(), Path(settings.FILE_UPLOAD_TEMP_DIR))


def _place(temporary: Path, digest: str) -> bool:
    """Move a sealed file into place under its hash; False (and nothing moved) if the hash is already stored."""
    target = path_for(digest)
    target.parent.mkdir(exist_ok=True, mode=0o700)
    if target.exists():
        return False
    os.chmod(temporary, 0o400)
    os.replace(temporary, target)
    return True


# A file over its kind's limit, in one sentence per kind so that each language says the kind in its words.
_TOO_LARGE = {
    "image": _("the image is larger than the limit of %(limit)s MB for images (%(setting)s)"),
    "video": _("the video is larger than the limit of %(limit)s MB for videos (%(setting)s)"),
    "audio": _("the audio is larger than the limit of %(limit)s MB for audios (%(setting)s)"),
    "document": _("the document is larger than the limit of %(limit)s MB for documents (%(setting)s)"),
    "bundle": _("the bundle is larger than the limit of %(limit)s MB for bundles (%(setting)s)"),
}


def _too_large(kind: str, limit: int) -> InvalidInput:
    return InvalidInput(
        _TOO_LARGE[kind],
        "file",
        code="attachment.too_large",
        limit=limit // (1024 * 1024),
        setting=f"CORRIDOR_ATTACHMENT_MAX_MB_{kind.upper()}",
    )


def _seal_stream(source: BinaryIO, out: IO[bytes], head: bytes, limit: int, kind: str) -> tuple[str, int]:
    key_id, keys = _keys()
    sealer = sealed.Sealer(out, key_id, keys[key_id])
    sealer.write(head)
    while chunk := source.read(_CHUNK):
        if sealer.size + len(chunk) > limit:
            raise _too_large(kind, limit)
        sealer.write(chunk)
    if sealer.size > limit:
        raise _too_large(kind, limit)
    digest = sealer.finish()
    out.flush()
    os.fsync(out.fileno())
    return digest, sealer.size


def put_bytes(data: bytes) -> tuple[str, bool]:
    """Seal ``data`` into the store under its hash; return (hash, whether it was newly written)."""
    digest = hashlib.sha256(data).hexdigest()
    if path_for(digest).exists():
        return digest, False
    key_id, keys = _keys()
    with _incoming() as (out, temporary):
        sealer = sealed.Sealer(out, key_id, keys[key_id])
        sealer.write(data)
        sealer.finish()
        out.flush()
        os.fsync(out.fileno())
        return digest, _place(temporary, digest)


def _read_head(source: BinaryIO) -> bytes:
    head = b""
    while len(head) < media.HEAD:
        chunk = source.read(media.HEAD - len(head))
        if not chunk:
            break
        head += chunk
    return head


@contextmanager
def _plaintext(source: BinaryIO, sealed_path: Path, digest: str) -> Iterator[BinaryIO]:
    """The uploaded bytes again, to make derivatives and read provenance: the source itself when it can be
    rewound (a file on disk, an upload spooled by Django), else a private copy inside the store."""
    try:
        seekable = source.seekable()
    except (AttributeError, OSError):
        seekable = False
    if seekable:
        source.seek(0)
        yield source
        return
    with _incoming() as (copy, _path), sealed_path.open("rb") as handle:
        for chunk in sealed.open_chunks(handle, _keys()[1], digest):
            copy.write(chunk)
        copy.seek(0)
        yield copy  # type: ignore[misc]


def attach(
    file: BinaryIO | Path,
    *,
    entry: int | None = None,
    subjects: Iterable[str] = (),
    by: ledger.Actor,
    source: str,
    certainty: str,
    occurred_at: dt.datetime | None = None,
) -> Entry:
    """Store ``file`` sealed under its SHA-256 and append an ``attachment.added`` entry naming it; return the entry.

    ``entry`` is the number of the ledger entry the file is evidence for (its subjects are inherited);
    ``subjects`` adds to them (``patient:P-0042``). One of the two is required. The file is read once,
    as a stream; its type is detected from its content and must be on the allow list
    (``media.ALLOWED``), its size within its kind's limit. The same bytes attached twice to the same
    entry are one attachment: the second call returns the first entry and writes nothing. Anything
    refused or interrupted leaves no file and no entry.
    """
    require(by, Can.ADD_ATTACHMENTS)
    # Checked before a byte is read, so a bad field never costs an upload.
    validate.evidence(source, certainty)
    if isinstance(subjects, str):
        raise InvalidInput(
            _("give a list of subjects, not one string"), "subjects", code="attachment.subjects_not_a_list"
        )
    subject_list = list(subjects)
    if entry is None and not subject_list:
        raise InvalidInput(
            _("say what the file is evidence of: an entry number or subjects"), "entry", code="attachment.of_nothing"
        )
    inherited = target(entry).subjects if entry is not None else []
    remove_leftovers()  # a worker killed mid-upload since the server started left these
    if isinstance(file, Path):
        if not file.is_file():
            raise InvalidInput(_("%(path)s is not a file"), "file", code="attachment.not_a_file", path=str(file))
        with file.open("rb") as handle:
            return attach(
                handle,
                entry=entry,
                subjects=subject_list,
                by=by,
                source=source,
                certainty=certainty,
                occurred_at=occurred_at,
            )

    head = _read_head(file)
    if not head:
        raise InvalidInput(_("the file is empty"), "file", code="attachment.empty")
    media_type = media.detect(head)
    if media_type not in media.ALLOWED:
        accepted = ", ".join(sorted(media.ALLOWED))
        if media_type:
            raise InvalidInput(
                _("a file of type %(media_type)s is not accepted; accepted types: %(known)s"),
                "file",
                code="attachment.type_refused",
                media_type=media_type,
                known=accepted,
            )
        raise InvalidInput(
            _("a file of a type that could not be recognised is not accepted; accepted types: %(known)s"),
            "file",
            code="attachment.type_unknown",
            known=accepted,
        )
    kind = media.ALLOWED[media_type]
    written: list[Path] = []
    try:
        with _incoming() as (out, temporary):
            digest, size = _seal_stream(file, out, head, limits()[kind], kind)
            out.close()
            if entry is not None:
                existing = Attachment.objects.filter(documents=entry, sha256=digest).select_related("added").first()
                if existing is not None:
                    return existing.added
            placed = _place(temporary, digest)
            if placed:
                written.append(path_for(digest))
            kept: list[bytes] = []
            extra = _describe(file, path_for(digest), digest, media_type, kind, written, kept)
            with transaction.atomic():
                added = ledger.append(
                    "attachment.added",
                    by=by,
                    subjects=[*inherited, *subject_list],
                    payload={
                        "entry": entry,
                        "sha256": digest,
                        "bytes": size,
                        "media_type": media_type,
                        "kind": kind,
                        **extra,
                    },
                    source=source,
                    certainty=certainty,
                    occurred_at=occurred_at,
                )
                Attachment.objects.create(
                    added=added,
                    documents=entry,
                    sha256=digest,
                    media_type=media_type,
                    kind=kind,
                    size=size,
                    c2pa=str(extra["c2pa"]),
                    proofmode=str(extra["proofmode"]),
                    derivative=str(extra["derivative"] or ""),
                    thumbnail=str(extra["thumbnail"] or ""),
                )
            if not placed:
                # The same bytes were already stored by another upload, whose own entry may have been refused
                # meanwhile and its copy removed: this entry names the file, so this copy takes its place.
                _place(temporary, digest)
            for data in kept:
                put_bytes(data)  # a no-op unless the object was removed meanwhile
        return added
    except IntegrityError:
        # Another request attached the same bytes to the same entry a moment ago: that is the attachment.
        _discard(written)
        existing = Attachment.objects.filter(documents=entry, sha256=digest).select_related("added").first()
        if existing is None:
            raise
        return existing.added
    except BaseException:
        _discard(written)
        raise


def _discard(paths: list[Path]) -> None:
    """Remove files this call wrote, unless an attachment recorded meanwhile names them."""
    for path in paths:
        if Attachment.objects.filter(sha256=path.name).exists():
            continue
        if Entry.objects.filter(type="attachment.added", body__contains=path.name).exists():
            continue
        with suppress(FileNotFoundError):
            path.unlink()


def _describe(
    file: BinaryIO, sealed_path: Path, digest: str, media_type: str, kind: str, written: list[Path], kept: list[bytes]
) -> dict[str, object]:
    """Provenance and derivatives of the stored file, for the entry's payload. The small objects stored on the
    way (manifest report, derivative, thumbnail) are also added to ``kept``, so that they can be stored again
    if a concurrent upload's clean-up removed them before this entry was written.

    A ProofMode bundle (a zip) is checked as such (``corridor.ledger.proofmode``); its C2PA provenance and
    its derivatives are those of the media inside (the first photo, else the first media file)."""

    def store(data: bytes) -> str:
        name, new = put_bytes(data)
        if new:
            written.append(path_for(name))
        kept.append(data)
        return name

    def shown(plain: BinaryIO, inner_type: str) -> dict[str, object]:
        proof = media.provenance(plain, inner_type)
        manifest = store(proof.manifest.encode("utf-8")) if proof.manifest is not None else None
        derivative = thumbnail = None
        if media.ALLOWED.get(inner_type) == "image":
            plain.seek(0)
            try:
                made = media.derivatives(plain)
            except ValueError as exc:
                # The image library's own words: no template, so they stay as it said them.
                raise InvalidInput(str(exc), "file", code="attachment.image_unreadable") from None
            derivative, thumbnail = store(made.image), store(made.thumbnail)
        return {"c2pa": proof.status, "c2pa_manifest": manifest, "derivative": derivative, "thumbnail": thumbnail}

    with _plaintext(file, sealed_path, digest) as plain:
        if kind != "bundle":
            return {**shown(plain, media_type), "proofmode": "none", "proofmode_detail": None}
        try:
            with proofmode.open_bundle(plain, store_dir(), limits()["bundle"], _accepted_inside) as bundle:
                inside = sorted(bundle.media, key=lambda m: media.ALLOWED[m.media_type] != "image")
                described: dict[str, object] = {"c2pa": "none", "c2pa_manifest": None}
                described.update(derivative=None, thumbnail=None)
                if inside:
                    with inside[0].path.open("rb") as handle:
                        described = shown(handle, inside[0].media_type)
                detail = bundle.payload()
                return {**described, "proofmode": detail.pop("status"), "proofmode_detail": detail}
        except proofmode.Refused as exc:
            raise InvalidInput(str(exc), "file", code="attachment.bundle_refused") from None


def _accepted_inside(head: bytes) -> str | None:
    """The type of a media file inside a ProofMode bundle if it is accepted (not another zip), else None."""
    found = media.detect(head)
    return found if found in media.ALLOWED and media.ALLOWED[found] != "bundle" else None


def open_stream(digest: str) -> Iterator[bytes]:
    """The stored file's bytes, chunk by chunk, checked against its hash as they are read.

    NotFound if absent; InvalidInput (raised while iterating, at the latest before the last chunk)
    if the file was altered or does not hold the bytes with this hash.
    """
    path = path_for(digest)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(
            _("attachment %(sha256)s is not in the store"), code="attachment.not_stored", sha256=digest
        ) from None

    def chunks() -> Iterator[bytes]:
        with handle:
            if not handle.read(len(sealed.MAGIC)).startswith(sealed.MAGIC):
                yield from _legacy(handle, digest)  # stored in the clear before the store was sealed
                return
            handle.seek(0)
            try:
                yield from sealed.open_chunks(handle, _keys()[1], digest)
            except sealed.SealError as exc:
                raise InvalidInput(
                    _("attachment %(sha256)s is damaged: %(reason)s"),
                    "sha256",
                    code="attachment.damaged",
                    sha256=digest,
                    reason=str(exc),
                ) from None

    return chunks()


def _legacy(handle: BinaryIO, digest: str) -> Iterator[bytes]:
    handle.seek(0)
    hasher = hashlib.sha256()
    held = None
    while chunk := handle.read(_CHUNK):
        if held is not None:
            yield held
        hasher.update(chunk)
        held = chunk
    if hasher.hexdigest() != digest:
        raise InvalidInput(
            _("attachment %(sha256)s is damaged: its bytes no longer match its hash"),
            "sha256",
            code="attachment.damaged",
            sha256=digest,
        )
    if held is not None:
        yield held


def read(digest: str) -> bytes:
    """The stored file's bytes, checked against its hash (NotFound if absent, InvalidInput if damaged)."""
    return b"".join(open_stream(digest))


@dataclass(frozen=True)
class Shown:
    """What a viewer is given: the bytes' chunks, their type, and the entry recording the viewing (originals)."""

    chunks: Iterator[bytes]
    media_type: str
    viewed: Entry | None = None


def attachment_of(seq: int) -> Attachment:
    found = Attachment.objects.filter(added_id=seq).select_related("added").first()
    if found is None:
        raise NotFound(_("entry %(seq)s is not an attachment"), code="attachment.not_found", seq=seq)
    return found


def view_derivative(seq: int, *, by: ledger.Actor, thumbnail: bool = False) -> Shown:
    """The metadata-free image (or its thumbnail) of attachment entry ``seq``, for roles that may see it."""
    require(by, Can.VIEW_DERIVATIVES)
    found = attachment_of(seq)
    digest = found.thumbnail if thumbnail else found.derivative
    if not digest:
        raise NotFound(
            _("attachment %(seq)s has no image to show: download the original"), code="attachment.no_image", seq=seq
        )
    media_type = "image/png" if read_head_is_png(digest) else "image/jpeg"
    return Shown(open_stream(digest), media_type)


def read_head_is_png(digest: str) -> bool:
    first = next(open_stream(digest), b"")
    return first.startswith(b"\x89PNG")


def view_original(seq: int, *, by: ledger.Actor, purpose: str | None = None) -> Shown:
    """The original bytes of attachment entry ``seq``, recording who was given them and why first
    (``attachment.viewed``), as a reading of an identity is: an empty purpose is refused before anything
    is read or written."""
    from corridor import validate

    require(by, Can.VIEW_ORIGINALS)
    found = attachment_of(seq)
    if purpose is not None and not isinstance(purpose, str):
        raise InvalidInput(_("give the purpose as text"), "purpose", code="attachment.purpose_not_text")
    purpose = validate.text(purpose, "purpose", required=True, max_length=500)
    stream = open_stream(found.sha256)
    viewed = ledger.append(
        "attachment.viewed",
        by=by,
        subjects=found.added.subjects,
        payload={"attachment": seq, "sha256": found.sha256, "purpose": purpose},
    )
    return Shown(stream, found.media_type, viewed)


def for_entries(seqs: Iterable[int]) -> dict[int, list[Attachment]]:
    """The attachments documenting each of ``seqs``, oldest first."""
    grouped: dict[int, list[Attachment]] = {}
    for item in Attachment.objects.filter(documents__in=list(seqs)).order_by("added_id"):
        grouped.setdefault(int(item.documents or 0), []).append(item)
    return grouped


def digests_of(payload: dict[str, object]) -> list[str]:
    """Every stored object an ``attachment.added`` payload names: the original, its manifest and derivatives."""
    names = [payload.get(k) for k in ("sha256", "c2pa_manifest", "derivative", "thumbnail")]
    return [n for n in names if isinstance(n, str) and _SHA256.match(n)]


def check_file(digest: str) -> str | None:
    """None if the stored object is there and holds the bytes with this hash, else "missing" or "damaged"."""
    try:
        for _chunk in open_stream(digest):
            pass
    except NotFound:
        return "missing"
    except InvalidInput:
        return "damaged"
    return None


def check_store(progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Every problem with the files the ledger names: missing, or not matching their hash. Empty if none.

    ``progress(done, total)`` is told after each attachment entry, for the scheduled check's progress bar."""
    problems = []
    added = Entry.objects.filter(type="attachment.added").order_by("seq")
    total = added.count()
    for done, item in enumerate(added.iterator(), start=1):
        if progress is not None:
            progress(done, total)
        for digest in digests_of(item.payload):
            problem = check_file(digest)
            if problem:
                problems.append(f"entry {item.seq}: attachment {digest} is {problem}")
    return problems


def _objects() -> Iterator[Path]:
    folder = store_dir()
    if not folder.is_dir():
        return
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and len(sub.name) == 2 and not sub.name.startswith("."):
            yield from (p for p in sorted(sub.iterdir()) if _SHA256.match(p.name))


def keys_in_use() -> dict[str, int]:
    """How many stored objects each key id seals (``unsealed`` for files stored in the clear)."""
    counts: dict[str, int] = {}
    for path in _objects():
        with path.open("rb") as handle:
            head = handle.read(len(sealed.MAGIC) + 8)
        kid = head[len(sealed.MAGIC) :].decode("ascii", "replace") if head.startswith(sealed.MAGIC) else "unsealed"
        counts[kid] = counts.get(kid, 0) + 1
    return counts


def reseal_all() -> int:
    """Seal every stored object under the first configured key (after a key rotation; files stored in the
    clear are sealed too). Each file is checked against its hash as it is read, written whole under a
    temporary name and renamed over the old one. Returns how many were resealed."""
    primary, keys = _keys()
    count = 0
    for path in _objects():
        with path.open("rb") as handle:
            head = handle.read(len(sealed.MAGIC) + 8)
        if head == sealed.MAGIC + primary.encode("ascii"):
            continue
        digest = path.name
        with _incoming() as (out, temporary):
            sealer = sealed.Sealer(out, primary, keys[primary])
            for chunk in open_stream(digest):
                sealer.write(chunk)
            if sealer.finish() != digest:  # pragma: no cover - open_stream has checked the hash
                raise InvalidInput(
                    _("attachment %(sha256)s is damaged"), "sha256", code="attachment.damaged", sha256=digest
                )
            out.flush()
            os.fsync(out.fileno())
            os.chmod(temporary, 0o400)
            os.replace(temporary, path)
        count += 1
    return count


def export_files(seqs: Iterable[int], folder: Path) -> list[str]:
    """Write the original (unsealed) bytes of the attachments among entries ``seqs`` into ``folder/ab/abcdef…``,
    for an outsider's verifier; return the hashes written. Each is checked against its hash as it is copied."""
    written = []
    for item in Entry.objects.filter(seq__in=list(seqs), type="attachment.added").order_by("seq"):
        digest = str(item.payload["sha256"])
        target = folder / digest[:2] / digest
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(digest + ".partial")
        with partial.open("wb") as out:
            for chunk in open_stream(digest):
                out.write(chunk)
        partial.replace(target)
        written.append(digest)
    return written
