"""ProofMode proof bundles: recognised by their content, and their hashes and OpenPGP signatures checked.

ProofMode (Guardian Project) shares a capture as a zip holding, for each media file, named by the
media's SHA-256 in lowercase hex (``H``):

- the media file itself, under its own name (``IMG_20240101_101010.jpg``);
- ``H.proof.csv`` and/or ``H.proof.json``: the proof, whose ``File Hash SHA256`` is ``H``, with the
  device, network and (optionally) location readings at capture;
- ``H.asc``: an ASCII-armoured OpenPGP detached signature of the media's bytes;
- ``H.proof.csv.asc`` / ``H.proof.json.asc``: detached signatures of the proofs;
- optionally ``H.ots`` (an OpenTimestamps proof) and ``H.gst`` (a Google SafetyNet / Play Integrity
  token), which are kept in the bundle but not checked here;

and once per bundle ``pubkey.asc``, the phone's OpenPGP public key, and ``HowToVerifyProofData.txt``.

``open_bundle`` checks, for every media file: that its SHA-256 equals the hash its proof records,
that ``H.asc`` verifies over its bytes, and that each proof present verifies with its ``.asc`` — all
against the key in ``pubkey.asc``, with Sequoia-PGP (``pysequoia``). A valid result proves that the
holder of *that* key signed these bytes; which person or phone holds the key is not something the
bundle can show. This module imports nothing from Django.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from corridor import jsonlimits

PUBKEY = "pubkey.asc"
HOW_TO = "HowToVerifyProofData.txt"
HASH_FIELD = "File Hash SHA256"
PATH_FIELD = "File Path"
_NAMED = re.compile(
    r"^(?P<hash>[0-9a-f]{64})(?P<tag>\.asc|\.proof\.csv|\.proof\.json|\.proof\.csv\.asc|\.proof\.json\.asc|\.ots|\.gst)$"
)
# Files a ProofMode bundle carries that are neither media nor checked here.
_OTHER = re.compile(r"(\.txt|\.cert|\.provider|\.devicecheck|\.asc)$", re.IGNORECASE)
MAX_MEMBERS = 1000
MAX_SIDE_FILE = 10 * 1024 * 1024  # a proof, signature or key is small; anything larger is not one
_CHUNK = 1 << 20
_CHANGED = "the file was changed after it was signed, or the signature is not of it"
SHA1_KEY = f"the key in {PUBKEY} is certified only with SHA-1, which the OpenPGP library's policy refuses"
HEAD = 64 * 1024
# Given a media file's first bytes, its media type if it is accepted, else None.
Accept = Callable[[bytes], "str | None"]


class Refused(ValueError):
    """The zip is not a ProofMode proof bundle, cannot be read, or holds what is not accepted."""


@dataclass(frozen=True)
class Media:
    """A media file inside a bundle, extracted to ``path`` (removed when the bundle is closed)."""

    name: str
    sha256: str
    size: int
    media_type: str
    path: Path


@dataclass
class Result:
    # "valid", "invalid", "unchecked" (the hashes match, but the signatures could not be checked) or "none"
    status: str = "none"
    reasons: list[str] = field(default_factory=list)
    signer: str | None = None  # fingerprint of the primary key in pubkey.asc
    media: list[Media] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # parts present but not verified (".ots", ".gst")

    def payload(self) -> dict[str, object]:
        """What the ledger entry records of the bundle (hashes and types of its media; never their names)."""
        return {
            "status": self.status,
            "reason": "; ".join(self.reasons) if self.reasons else None,
            "signer": self.signer,
            "media": [{"sha256": m.sha256, "bytes": m.size, "media_type": m.media_type} for m in self.media],
            "not_checked": sorted(set(self.unchecked)),
        }


def is_bundle(names: list[str]) -> bool:
    """Whether a zip's member names are a ProofMode bundle's: its public key, or a proof or signature
    named by a SHA-256."""
    return PUBKEY in names or HOW_TO in names or any(_NAMED.match(Path(n).name) for n in names)


def _first_line(exc: BaseException) -> str:
    # Sequoia's errors carry a Rust backtrace when RUST_BACKTRACE is set; the first line is the message.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_SIDE_FILE:
        raise Refused("a ProofMode proof, signature or key inside the bundle is too large to be one")
    return archive.read(info)


def _key_fingerprints(key: bytes) -> tuple[str, set[str], bool]:
    """(the primary key's fingerprint, the fingerprints and key ids of every key in the certificate, whether
    its self-signatures are all made with SHA-1)."""
    import pysequoia

    cert = pysequoia.Cert.from_bytes(key)
    ids: set[str] = set()
    self_signatures = []
    for packet in pysequoia.packet.PacketPile.from_bytes(bytes(cert)):
        if str(packet.tag) in ("Tag.PublicKey", "Tag.PublicSubkey"):
            ids.add(packet.fingerprint.lower())
            ids.add(packet.key_id.lower())
        elif str(packet.tag) == "Tag.Signature":
            self_signatures.append(str(packet.hash_algorithm))
    sha1_only = bool(self_signatures) and all(h == "HashAlgorithm.SHA1" for h in self_signatures)
    return cert.fingerprint.lower(), ids, sha1_only


def _check_signature(
    what: str, signature: bytes | None, key: bytes, keys: set[str], data: bytes | Path, *, verify: bool = True
) -> str | None:
    """None if ``signature`` is a detached signature of ``data`` by the bundled key, else why not. Without
    ``verify``, only that it is there, readable and names the bundled key as its issuer."""
    import pysequoia

    if signature is None:
        return f"{what} has no signature"
    try:
        sig = pysequoia.Sig.from_bytes(signature)
    except (RuntimeError, ValueError) as exc:
        return f"the signature of {what} cannot be read: {_first_line(exc)}"
    issuer = (sig.issuer_fingerprint or sig.issuer_key_id or "").lower()
    if issuer and issuer not in keys:
        return f"{what} is signed by key {issuer}, not by the key in {PUBKEY}"
    if not verify:
        return None
    cert = pysequoia.Cert.from_bytes(key)
    try:
        if isinstance(data, Path):
            checked = pysequoia.verify(file=str(data), store=lambda _ids: [cert], signature=sig)
        else:
            checked = pysequoia.verify(bytes=data, store=lambda _ids: [cert], signature=sig)
    except (RuntimeError, ValueError):
        return f"the signature of {what} does not verify with the key in {PUBKEY}: {_CHANGED}"
    if not checked.valid_sigs:  # pragma: no cover - pysequoia raises rather than return none
        return f"the signature of {what} does not verify with the key in {PUBKEY}: {_CHANGED}"
    return None


def _recorded_hashes(kind: str, text: bytes) -> tuple[set[str], set[str]]:
    """(the media hashes a proof records, the base names of the files it records) for a .csv or .json proof."""
    rows: list[dict[str, str]] = []
    decoded = text.decode("utf-8", "replace")
    if kind == "json":
        try:
            parsed = jsonlimits.loads(decoded)
        except ValueError:  # not JSON, or nested past the limit
            return set(), set()
        rows = [r for r in (parsed if isinstance(parsed, list) else [parsed]) if isinstance(r, dict)]
    else:
        rows = list(csv.DictReader(io.StringIO(decoded)))
    hashes = {str(r.get(HASH_FIELD) or "").strip().lower() for r in rows} - {""}
    names = {Path(str(r.get(PATH_FIELD) or "").replace("\\", "/")).name for r in rows} - {""}
    return hashes, names


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, index: int, accept: Accept) -> Media:
    target = folder / f"media-{index}"
    hasher = hashlib.sha256()
    with archive.open(info) as source, target.open("wb") as out:
        head = source.read(HEAD)
        media_type = accept(head)
        if media_type is None:
            # Named by its place, not its name: refusals are logged, and file names carry people's names.
            raise Refused(f"file {index + 1} inside the bundle is not of a type accepted")
        hasher.update(head)
        out.write(head)
        while chunk := source.read(_CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    return Media(info.filename, hasher.hexdigest(), info.file_size, media_type, target)


@contextmanager
def open_bundle(source: BinaryIO, scratch: Path, max_media_bytes: int, accept: Accept) -> Iterator[Result]:
    """Read the zip ``source`` (seekable) as a ProofMode bundle and check it; yield the Result, whose
    media are extracted into a private folder under ``scratch`` removed on exit.

    Raises Refused if the zip cannot be read or is not a ProofMode bundle, or holds more than
    MAX_MEMBERS files, a media file larger than ``max_media_bytes`` or one that ``accept`` refuses.
    Every other problem makes the bundle ``invalid``, with its reasons.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(f"the zip archive cannot be read: {exc}") from None
    folder = Path(tempfile.mkdtemp(dir=scratch, prefix=f".proofmode-{os.getpid()}-"))
    try:
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            names = [i.filename for i in infos]
            if len(infos) > MAX_MEMBERS:
                raise Refused(f"the zip archive holds more than {MAX_MEMBERS} files")
            if not is_bundle(names):
                raise Refused("a zip archive is accepted only as a ProofMode proof bundle")
            yield _check(archive, infos, folder, max_media_bytes, accept)
    except zipfile.BadZipFile as exc:
        raise Refused(f"the zip archive is damaged: {exc}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], folder: Path, limit: int, accept: Accept) -> Result:
    result = Result(status="valid")
    by_name = {Path(i.filename).name: i for i in infos}
    named: dict[str, dict[str, zipfile.ZipInfo]] = {}
    candidates = []
    for info in infos:
        base = Path(info.filename).name
        found = _NAMED.match(base)
        if found:
            named.setdefault(found["hash"], {})[found["tag"]] = info
            if found["tag"] in (".ots", ".gst"):
                result.unchecked.append(found["tag"])
        elif not _OTHER.search(base):
            candidates.append(info)
    for index, info in enumerate(candidates):
        if info.file_size > limit:
            raise Refused(f"file {index + 1} inside the bundle is larger than the limit of {limit // 2**20} MB")
        result.media.append(_extract(archive, info, folder, index, accept))

    unchecked = ""
    key_info = by_name.get(PUBKEY)
    key = _read_small(archive, key_info) if key_info is not None else None
    keys: set[str] = set()
    if key is None:
        result.reasons.append(f"the bundle has no public key ({PUBKEY})")
    else:
        try:
            result.signer, keys, sha1_only = _key_fingerprints(key)
        except (RuntimeError, ValueError) as exc:
            result.reasons.append(f"{PUBKEY} is not an OpenPGP public key: {_first_line(exc)}")
            key = None
        else:
            if sha1_only:
                # ProofMode's phones certify their key with SHA-1, which Sequoia's standard policy no longer
                # accepts (and pysequoia does not yet let a caller relax): no signature by such a key can be
                # checked here, so the result says so rather than call a genuine bundle forged.
                unchecked = f"{SHA1_KEY}; its signatures were not checked"
    if not result.media:
        result.reasons.append("the bundle holds no media file")
    proved = {h for h, tags in named.items() if ".proof.csv" in tags or ".proof.json" in tags}
    if not proved:
        result.reasons.append("the bundle holds no proof (.proof.csv or .proof.json)")

    for number, item in enumerate(result.media, start=1):
        # Reasons go into the ledger: they name a file by its place in the bundle, never by its name.
        label = f"media file {number}"
        if item.sha256 not in named:
            claimed = _claimed_for(archive, named, item.name, {m.sha256 for m in result.media})
            if claimed:
                result.reasons.append(f"{label} has SHA-256 {item.sha256}, not {claimed} as its proof records")
                signature = named[claimed].get(".asc")
                if key is not None and signature is not None:
                    # Said too, so a reader sees that the signature does not cover these bytes either.
                    problem = _check_signature(
                        label, _read_small(archive, signature), key, keys, item.path, verify=not unchecked
                    )
                    if problem:
                        result.reasons.append(problem)
            else:
                result.reasons.append(f"no proof names {label} (SHA-256 {item.sha256})")
            continue
        tags = named[item.sha256]
        read = {tag: _read_small(archive, info) for tag, info in tags.items() if tag not in (".ots", ".gst")}
        if ".proof.csv" not in read and ".proof.json" not in read:
            result.reasons.append(f"{label} has no proof (.proof.csv or .proof.json)")
        for kind in ("csv", "json"):
            proof = read.get(f".proof.{kind}")
            if proof is None:
                continue
            hashes, _ = _recorded_hashes(kind, proof)
            if item.sha256 not in hashes:
                result.reasons.append(f"the .proof.{kind} of {label} does not record its SHA-256")
            if key is not None:
                problem = _check_signature(
                    f".proof.{kind} of {label}", read.get(f".proof.{kind}.asc"), key, keys, proof, verify=not unchecked
                )
                if problem:
                    result.reasons.append(problem)
        if key is not None:
            problem = _check_signature(label, read.get(".asc"), key, keys, item.path, verify=not unchecked)
            if problem:
                result.reasons.append(problem)
    if result.reasons:
        result.status = "invalid"
    elif unchecked:
        result.status = "unchecked"
        result.reasons.append(unchecked)
    return result


def _claimed_for(
    archive: zipfile.ZipFile, named: dict[str, dict[str, zipfile.ZipInfo]], name: str, present: set[str]
) -> str | None:
    """The hash a proof records for the media file called ``name`` (by its ``File Path``), or, failing that,
    the only proved hash with no media file: what the file's hash should have been."""
    orphans = []
    for digest, tags in named.items():
        for kind in ("csv", "json"):
            info = tags.get(f".proof.{kind}")
            if info is None:
                continue
            _, names = _recorded_hashes(kind, _read_small(archive, info))
            if Path(name).name in names:
                return digest
        if digest not in present and (".proof.csv" in tags or ".proof.json" in tags):
            orphans.append(digest)
    return orphans[0] if len(orphans) == 1 else None
