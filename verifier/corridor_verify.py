#!/usr/bin/env python3
"""Check a Corridor ledger export, evidence bundle or consistency proof without trusting Corridor.

One file. It needs Python 3.8 or newer and, to check signatures, the ``cryptography`` package
(``pip install cryptography``); to check RFC 3161 time stamps (``--tsa-cert``), also ``rfc3161-client``
(``pip install rfc3161-client``: Trail of Bits', the one Sigstore uses, built on ``cryptography``; a time
stamp is a CMS signature whose checking ``cryptography`` does not offer). Nothing else. Read it:
everything it checks is below, and docs/evidence.md explains the formats.

    python3 corridor_verify.py chain LEDGER.jsonl
    python3 corridor_verify.py export LEDGER.jsonl --key KEY [--checkpoint FILE ...] [--attachments DIR]
    python3 corridor_verify.py evidence BUNDLE.json --key KEY [--attachments DIR]
    python3 corridor_verify.py consistency PROOF.json --key KEY
    python3 corridor_verify.py checkpoint FILE --key KEY [--timestamp TSR ...]
    python3 corridor_verify.py mirror DIR-OR-URL --key KEY [--entry N ...]
    python3 corridor_verify.py text TEXT.json [--key KEY]

``export``, ``evidence`` and ``checkpoint`` also take a policy: ``--witness WITNESS_KEY`` (repeatable, or a
file of keys), ``--quorum K`` (how many of them must have co-signed; default all) and ``--tsa-cert PEM``
(a trusted time-stamping authority's root certificate, and its own). Then, for each checkpoint, the
verifier reports which witnesses co-signed, whether the policy holds, and the trusted time, and fails
when the policy does not hold (for an export: when no checkpoint it records meets it; entries after
the largest that does are reported as the keeper's word).

KEY is the ledger's verifier key (one line: ``name+keyid+base64``) or a file holding it. Get it from
the organisation that keeps the ledger by a channel you trust, not from the bundle you are checking.

Exit status: 0 when everything checked holds, 1 when something does not (the first problem is named),
2 when the input cannot be read.

What each command establishes:

chain
    The hash chain of an export (``corridor export ledger``): every entry's hash is the SHA-256 of its
    canonical body and names the previous entry's hash, from entry 1 on with no gaps. The same verdict
    as ``corridor verify``.
export
    The chain, and then, for every checkpoint given with ``--checkpoint`` and every checkpoint recorded
    in the export itself (``checkpoint.signed`` entries): the signature is the key's; the export holds
    at least the entries the checkpoint covers; the Merkle root of the first N entries is the signed
    root and entry N's hash is the signed head, so none of them was altered, removed, inserted or
    reordered since; and no entry is back-dated: an entry the checkpoint covers was recorded no later
    than the checkpoint's time, and one it does not cover was recorded no earlier.
evidence
    A bundle of selected entries with inclusion proofs (``corridor prove entry``, or a report's evidence):
    the checkpoint's signature, each entry's hash, each proof against the signed root, and the times.
consistency
    Two checkpoints and a consistency proof (``corridor prove consistency``): the older tree is a prefix
    of the newer, so nothing the older one covered was changed before the newer was signed.
checkpoint
    One checkpoint's signature, and what it says.
mirror
    A copy of the log published as static tiles (``corridor publish-log``, C2SP tlog-tiles), as a
    folder or at an http(s) URL (then only the files needed are fetched): the checkpoint's signature;
    for each ``--entry N``, the entry from its bundle and its inclusion proof computed from the tiles;
    with no ``--entry``, every entry against the tiles and the tiles against the checkpoint's root.
text
    One committed text with its salt (``corridor prove text``): the HMAC-SHA-256 of the text under the
    salt is the commitment the entry's hashed body holds at that key, and the entry matches its hash;
    with ``--key``, also the entry's inclusion proof against the signed checkpoint given with it. A
    changed text, salt or entry fails.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

GENESIS_HASH = "0" * 64
MIRROR_FILE_LIMIT = 256 * (2 + 65535)  # the largest file of a published log: a full entry bundle
FIELDS = (
    "certainty",
    "corrects",
    "occurred_at",
    "payload",
    "prev_hash",
    "recorded_at",
    "recorded_by",
    "seq",
    "source",
    "subjects",
    "type",
    "v",
)
EMPTY_ROOT = hashlib.sha256(b"").digest()
SIGNATURE_DASH = "\u2014 "
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_NAME = re.compile(r"^[^\s+]+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class Failed(Exception):
    """Something checked does not hold."""


class Unreadable(Exception):
    """The input is not what this tool reads."""


# --- reading JSON strictly ------------------------------------------------------------------------------

MAX_DEPTH = 64  # far deeper than any entry, bundle or proof; a deeper input is refused, not recursed into
RECORD_FIELDS = frozenset(FIELDS) | {"hash"}


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``text`` nest deeper than ``limit``, found without parsing it."""
    if text.count("[") + text.count("{") <= limit:  # the common case, at C speed
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise Unreadable("the key %r appears twice in one object" % name)
        found[name] = value
    return found


def loads(text: str, where: str) -> Any:
    """JSON as the ledger writes it: no key twice in an object, no nesting deeper than MAX_DEPTH."""
    if json_depth_exceeds(text):
        raise Unreadable("%s nests deeper than %d levels" % (where, MAX_DEPTH))
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except (ValueError, RecursionError) as exc:
        raise Unreadable("%s is not JSON: %s" % (where, exc)) from None


# --- the entries and their chain (docs/ledger.md) -----------------------------------------------------


def body_of(record: dict[str, Any]) -> str:
    """An entry's canonical body: its twelve fields as JSON, keys sorted, compact, UTF-8 as itself."""
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise Unreadable("entry lacks field(s): " + ", ".join(missing))
    fields = {name: record[name] for name in FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class Verdict:
    def __init__(self, ok: bool, count: int, head: str, bad_seq: int | None = None, problem: str | None = None) -> None:
        self.ok, self.count, self.head, self.bad_seq, self.problem = ok, count, head, bad_seq, problem

    def line(self) -> str:
        if self.ok:
            return "ok: %d entries, head %s" % (self.count, self.head)
        return "BROKEN: entry %s: %s" % (self.bad_seq, self.problem)


def verify_chain(records: Iterable[dict[str, Any]]) -> Verdict:
    """Walk the entries in order and stop at the first whose number, hash or link is wrong."""
    expected, prev, before_prev = 1, GENESIS_HASH, None
    for record in records:
        seq = int(record["seq"])
        body = body_of(record)
        stored = str(record.get("hash", ""))
        if seq != expected:
            if seq > expected:
                missing = str(expected) if seq == expected + 1 else "%d to %d" % (expected, seq - 1)
                return Verdict(False, expected - 1, prev, expected, "entry %s missing" % missing)
            return Verdict(False, expected - 1, prev, seq, "sequence number repeated or out of order")
        if hashlib.sha256(body.encode("utf-8")).hexdigest() != stored:
            return Verdict(False, expected - 1, prev, seq, "content does not match its hash: the entry was altered")
        if record["prev_hash"] != prev:
            if before_prev is not None and record["prev_hash"] == before_prev:
                return Verdict(
                    False, expected - 1, prev, seq - 1, "entry %d was inserted: entry %d links past it" % (seq - 1, seq)
                )
            written = record.get("seq")
            if isinstance(written, int) and written != seq:
                problem = "holds entry %d: entries were reordered, removed or renumbered" % written
            else:
                problem = "does not link to the entry before it: an entry was inserted or reordered here"
            return Verdict(False, expected - 1, prev, seq, problem)
        before_prev, prev = prev, stored
        expected += 1
    return Verdict(True, expected - 1, prev)


def read_jsonl(path: str) -> Iterator[dict[str, Any]]:
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise Unreadable("cannot read %s: %s" % (path, exc.strerror)) from None
    try:
        number = 0
        while True:
            try:
                line = handle.readline()
            except (UnicodeDecodeError, OSError) as exc:
                raise Unreadable("line %d cannot be read as UTF-8 text: %s" % (number + 1, exc)) from None
            if not line:
                break
            number += 1
            if not line.strip():
                continue
            record = loads(line, "line %d" % number)
            if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
                raise Unreadable("line %d is not a ledger entry" % number)
            unknown = sorted(set(record) - RECORD_FIELDS)
            if unknown:
                raise Unreadable("line %d has field(s) no entry has: %s" % (number, ", ".join(unknown)))
            yield record
    finally:
        if handle is not sys.stdin:
            handle.close()


# --- the Merkle tree (RFC 9162, section 2.1) ----------------------------------------------------------


def leaf_hash(body: str) -> bytes:
    return hashlib.sha256(b"\x00" + body.encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class RootBuilder:
    """The tree's root as leaves are added one by one, keeping one hash per set bit of the size."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            value = node_hash(self.stack.pop()[1], value)
            level += 1
        self.stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if not 0 <= index < size or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2, step by step; equal sizes and an empty first tree decided first."""
    if not 0 <= first <= second or any(len(p) != 32 for p in proof):
        return False
    if first == 0:
        return not proof and first_hash == EMPTY_ROOT
    if first == second:
        return not proof and first_hash == second_hash
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- keys and checkpoints (signed notes) ---------------------------------------------------------------


class Key:
    """A verifier key: ``name+keyid+base64(0x01 || Ed25519 public key)``."""

    def __init__(self, text: str) -> None:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not _NAME.match(parts[0]) or not re.match(r"^[0-9a-f]{8}$", parts[1]):
            raise Unreadable("a verifier key reads name+8-hex-digit-key-id+base64-key")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise Unreadable("the verifier key's key is not base64") from None
        if len(raw) != 33 or raw[:1] != b"\x01":
            raise Unreadable("the verifier key is not an Ed25519 key")
        self.name, self.key_id, self.public = parts[0], bytes.fromhex(parts[1]), raw[1:]
        computed = hashlib.sha256(self.name.encode() + b"\n" + raw).digest()[:4]
        if computed != self.key_id or base64.b64encode(raw).decode() != parts[2]:
            raise Unreadable("the verifier key's ID does not match its name and key")

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:  # pragma: no cover - depends on the outsider's machine
            raise Unreadable("checking signatures needs the cryptography package: pip install cryptography") from None
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Checkpoint:
    def __init__(self, origin: str, size: int, root: bytes, time: str, head: str) -> None:
        self.origin, self.size, self.root, self.time, self.head = origin, size, root, time, head

    def describe(self) -> str:
        return "checkpoint of %d entries signed at %s" % (self.size, self.time)


def read_checkpoint(note: str, key: Key) -> Checkpoint:
    """Parse a checkpoint exactly and check that ``key`` signed it; raise Failed otherwise."""
    if not isinstance(note, str) or "\r" in note or not note.endswith("\n"):
        raise Failed("the checkpoint is not lines ending in a newline")
    text, separator, signatures = note.partition("\n\n")
    lines = text.split("\n")
    if not separator or len(lines) != 5:
        raise Failed("the checkpoint is not five lines, a blank line and signatures")
    origin, size, root, time, head = lines
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise Failed("the checkpoint's root hash is not base64") from None
    well_formed = (
        _NAME.match(origin)
        and _SIZE.match(size)
        and len(root_hash) == 32
        and base64.b64encode(root_hash).decode() == root
        and time.startswith("time ")
        and _TIME.match(time[5:])
        and head.startswith("head ")
        and _HEX64.match(head[5:])
    )
    if not well_formed:
        raise Failed("the checkpoint's text is not origin, size, base64 root, 'time …' and 'head …'")
    try:
        datetime.datetime.strptime(time[5:], TIME_FORMAT)
    except ValueError:
        raise Failed("the checkpoint's time is not a real date and time") from None
    signed = (text + "\n").encode("utf-8")
    ours = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            raise Failed("a signature line does not start with an em dash")
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise Failed("a signature is not base64") from None
        if len(raw) not in (68, 76) or base64.b64encode(raw).decode() != encoded:  # 76: a witness's cosignature
            raise Failed("a signature is not 68 (or 76) bytes of canonical base64")
        if name == key.name and raw[:4] == key.key_id:
            ours = True
            if key.verify(signed, raw[4:]):
                if origin != key.name:
                    raise Failed("the checkpoint is for %s, the key for %s" % (origin, key.name))
                return Checkpoint(origin, int(size), root_hash, time[5:], head[5:])
    if ours:
        raise Failed("the signature does not verify: the checkpoint or the key was altered")
    raise Failed("the checkpoint carries no signature by %s+%s" % (key.name, key.key_id.hex()))


def check_times(checkpoints: list[Checkpoint]) -> None:
    """Checkpoints of more entries must not be dated before checkpoints of fewer."""
    ordered = sorted(checkpoints, key=lambda c: (c.size, c.time))
    for at in range(1, len(ordered)):
        earlier, later = ordered[at - 1], ordered[at]
        if later.time < earlier.time:
            raise Failed("the %s is dated before the %s" % (later.describe(), earlier.describe()))


# --- the commands ---------------------------------------------------------------------------------------


def _load_key(text: str) -> Key:
    if os.path.isfile(text):
        text = _read_text(text)
    return Key(text)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable("cannot read %s: %s" % (path, exc)) from None


def _read_json(path: str) -> dict[str, Any]:
    value = loads(_read_text(path), path)
    if not isinstance(value, dict):
        raise Unreadable("%s is not a JSON object" % path)
    return value


def _checkpoint_in(path: str) -> str:
    """A checkpoint file, or the checkpoint inside an evidence bundle (an export's .evidence.json)."""
    text = _read_text(path)
    if not text.lstrip().startswith("{"):
        return text
    note = _read_json(path).get("checkpoint")
    if not isinstance(note, str):
        raise Unreadable("%s holds no checkpoint" % path)
    return note


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) and _HEX64.match(v) for v in values):
        raise Failed("a proof is not a list of 64-hex-digit hashes")
    return [bytes.fromhex(v) for v in values]


SEALED_MAGIC = b"CRDRSEAL1\n"


def refuse_sealed_attachment(path: str, digest: str) -> None:
    """Corridor keeps attachments sealed (encrypted) in its store; a sealed copy cannot be checked here.

    Say so plainly rather than report the file as altered: the files to check are the originals
    written by ``corridor prove entry N --attachments DIR``.
    """
    with open(path, "rb") as handle:
        if handle.read(len(SEALED_MAGIC)) == SEALED_MAGIC:
            raise Unreadable(
                "attachment %s is a sealed copy from Corridor's store, not the original: ask for the folder "
                "written by `corridor prove entry N --attachments DIR`" % digest
            )


def _check_attachment(directory: str, digest: Any) -> bool | None:
    """True if the file is there and intact, None if it was not supplied; Failed if it is damaged."""
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise Failed("an attachment entry does not name a SHA-256")
    for path in (os.path.join(directory, digest[:2], digest), os.path.join(directory, digest)):
        if os.path.isfile(path):
            refuse_sealed_attachment(path, digest)
            hasher = hashlib.sha256()
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(chunk)
            if hasher.hexdigest() != digest:
                raise Failed("attachment %s does not match its hash: the file was altered" % digest)
            return True
    return None


def verify_export(
    records: Iterable[dict[str, Any]], key: Key, notes: Sequence[str] = (), attachments: str | None = None
) -> list[str]:
    """Check an export against the given checkpoints and those it records; return what was established."""
    # Fixed-width byte arrays rather than lists of strings keep a million entries in about 120 MB.
    leaves, hashes, recorded, occurred = bytearray(), bytearray(), bytearray(), bytearray()
    recorded_notes: list[str] = []
    other_keys = 0
    files: list[tuple[int, Any]] = []

    def walk() -> Iterator[dict[str, Any]]:
        nonlocal other_keys
        for record in records:
            yield record
            leaves.extend(leaf_hash(body_of(record)))
            hashes.extend(bytes.fromhex(str(record["hash"])))
            for array, name in ((recorded, "recorded_at"), (occurred, "occurred_at")):
                value = record[name]
                if not isinstance(value, str) or not _TIME.match(value):
                    raise Failed("entry %d's %s is not a ledger time" % (record["seq"], name))
                array.extend(value.encode("ascii"))
            payload = record.get("payload")
            if record.get("type") == "checkpoint.signed" and isinstance(payload, dict):
                note = payload.get("note")
                if isinstance(note, str) and note.startswith(key.name + "\n"):
                    recorded_notes.append(note)
                else:
                    other_keys += 1
            if record.get("type") == "attachment.added" and isinstance(payload, dict):
                files.append((int(record["seq"]), payload.get("sha256")))

    verdict = verify_chain(walk())
    if not verdict.ok:
        raise Failed("the chain is broken at entry %s: %s" % (verdict.bad_seq, verdict.problem))
    count = verdict.count
    report = ["chain: %d entries, head %s" % (count, verdict.head)]
    given = [read_checkpoint(note, key) for note in notes]
    try:
        in_ledger = [read_checkpoint(note, key) for note in recorded_notes]
    except Failed as exc:
        raise Failed("a checkpoint recorded in the ledger does not verify: %s" % exc) from None
    every = sorted(given + in_ledger, key=lambda c: (c.size, c.time))
    if not every:
        raise Failed("no checkpoint signed by this key to check the export against")
    check_times(every)
    if every[-1].size > count:
        raise Failed("the %s, but the export has only %d: entries were removed" % (every[-1].describe(), count))

    # The root of the first N entries for every checkpoint's N, in one pass over the leaves.
    roots = {0: EMPTY_ROOT}
    builder = RootBuilder()
    sizes = {c.size for c in every}
    for index in range(every[-1].size):
        builder.append(bytes(leaves[32 * index : 32 * index + 32]))
        if builder.size in sizes:
            roots[builder.size] = builder.root()
    for checkpoint in every:
        if roots[checkpoint.size] != checkpoint.root:
            raise Failed(
                "the first %d entries do not have the root of the %s: an entry it covers was altered, "
                "removed, inserted or reordered" % (checkpoint.size, checkpoint.describe())
            )
        head = hashes[32 * checkpoint.size - 32 : 32 * checkpoint.size].hex() if checkpoint.size else GENESIS_HASH
        if head != checkpoint.head:
            raise Failed("entry %d's hash is not the head of the %s" % (checkpoint.size, checkpoint.describe()))

    # Back-dating: each entry was recorded no later than the first checkpoint that covers it, and no
    # earlier than the last checkpoint that does not (checkpoint times rise with their sizes: checked above).
    earliest = {c.size: c for c in reversed(every)}  # per size, the earliest-dated checkpoint
    latest_of = {c.size: c for c in every}  # per size, the latest-dated one
    ordered = sorted(sizes)
    ahead, behind = 0, None
    for seq in range(1, count + 1):
        while ahead < len(ordered) and ordered[ahead] < seq:
            behind = latest_of[ordered[ahead]]
            ahead += 1
        when = recorded[27 * seq - 27 : 27 * seq].decode("ascii")
        if ahead < len(ordered) and when > earliest[ordered[ahead]].time:
            cover = earliest[ordered[ahead]]
            raise Failed("entry %d is covered by the %s but says it was recorded later" % (seq, cover.describe()))
        if behind is not None and when < behind.time:
            raise Failed(
                "entry %d is not covered by the %s but says it was recorded before it: it is back-dated"
                % (seq, behind.describe())
            )
    last = every[-1]
    late_reports = sum(
        1 for seq in range(last.size + 1, count + 1) if occurred[27 * seq - 27 : 27 * seq].decode("ascii") < last.time
    )
    report.append(
        "checkpoints: %d verified (%d given, %d recorded in the ledger)" % (len(every), len(given), len(in_ledger))
    )
    if other_keys:
        report.append("checkpoints by other keys, not checked: %d" % other_keys)
    report.append("covered by the latest (%s): entries 1 to %d, unaltered and in order" % (last.describe(), last.size))
    report.append("times: no entry is back-dated against any checkpoint")
    if count > last.size:
        report.append(
            "not yet covered by a checkpoint: entries %d to %d (chained, not signed; %d of them describe events "
            "that occurred before the latest checkpoint: late reporting, not back-dating)"
            % (last.size + 1, count, late_reports)
        )
    if attachments is not None:
        found = sum(1 for _, digest in files if _check_attachment(attachments, digest))
        report.append("attachments: %d intact, %d not supplied" % (found, len(files) - found))
    return report


def verify_evidence(bundle: dict[str, Any], key: Key, attachments: str | None = None) -> list[str]:
    """Check a bundle of entries with inclusion proofs against its checkpoint; return what was established."""
    if bundle.get("format") != "corridor-evidence/1":
        raise Unreadable("not a corridor-evidence/1 bundle")
    if not isinstance(bundle.get("checkpoint"), str):
        raise Failed("the bundle has no checkpoint: none had been signed when it was made")
    checkpoint = read_checkpoint(bundle["checkpoint"], key)
    if bundle.get("tree_size") != checkpoint.size or bundle.get("root_hash") != checkpoint.root.hex():
        raise Failed("the bundle's tree size or root does not match its checkpoint")
    entries = bundle.get("entries")
    if not isinstance(entries, list):
        raise Unreadable("the bundle has no list of entries")
    found = 0
    for item in entries:
        if not isinstance(item, dict) or not isinstance(item.get("entry"), dict):
            raise Unreadable("an item of the bundle is not an entry with its proof")
        record = item["entry"]
        seq = record.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise Failed("an entry has no valid number")
        body = body_of(record)
        if hashlib.sha256(body.encode("utf-8")).hexdigest() != record.get("hash"):
            raise Failed("entry %d does not match its hash: it was altered" % seq)
        if item.get("leaf_index") != seq - 1:
            raise Failed("entry %d is given at the wrong place in the tree" % seq)
        if item.get("inclusion_proof") is None:
            raise Failed("entry %d is not covered by the %s: it cannot be verified yet" % (seq, checkpoint.describe()))
        proof = _hashes(item["inclusion_proof"])
        if not verify_inclusion(seq - 1, checkpoint.size, leaf_hash(body), proof, checkpoint.root):
            problem = "entry %d is not in the %s: it was altered or the proof is wrong"
            raise Failed(problem % (seq, checkpoint.describe()))
        if seq == checkpoint.size and record.get("hash") != checkpoint.head:
            raise Failed("entry %d's hash is not the checkpoint's head" % seq)
        if str(record.get("recorded_at")) > checkpoint.time:
            raise Failed("entry %d says it was recorded after the %s that covers it" % (seq, checkpoint.describe()))
        if attachments is not None and record.get("type") == "attachment.added":
            payload = record.get("payload")
            if _check_attachment(attachments, payload.get("sha256") if isinstance(payload, dict) else None):
                found += 1
    report = [
        "%s: signature verified" % checkpoint.describe(),
        "entries: %d, each included in it, unaltered, and recorded no later than it" % len(entries),
    ]
    if attachments is not None:
        report.append("attachments: %d intact" % found)
    return report


def _commitment_at(payload: Any, key: str) -> Any:
    value = payload
    for part in key.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("commitment"), str):
        return value["commitment"]
    return None


def verify_text(document: dict[str, Any], key: Key | None) -> list[str]:
    """Check a committed text and its salt against the commitment in its entry (docs/ledger.md, Commitments).

    The commitment is ``hmac-sha256:HEX`` (or ``hmac-sha256+json:HEX`` for a value kept as canonical JSON),
    HEX being HMAC-SHA-256 keyed with the salt's bytes over the text's UTF-8 bytes.
    """
    if document.get("format") != "corridor-text/1":
        raise Unreadable("not a corridor-text/1 file")
    text, salt, where, record = document.get("text"), document.get("salt"), document.get("key"), document.get("entry")
    if (
        not isinstance(text, str)
        or not isinstance(salt, str)
        or not isinstance(where, str)
        or not isinstance(record, dict)
    ):
        raise Unreadable("the file lacks its text, salt, key or entry")
    seq = record.get("seq")
    body = body_of(record)
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != record.get("hash"):
        raise Failed("entry %s does not match its hash: it was altered" % seq)
    committed = _commitment_at(record.get("payload"), where)
    if committed is None:
        raise Failed("entry %s holds no commitment at %s" % (seq, where))
    scheme, _, digest = committed.partition(":")
    if scheme not in ("hmac-sha256", "hmac-sha256+json"):
        raise Failed("entry %s's commitment at %s is of an unknown scheme %r" % (seq, where, scheme))
    try:
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        raise Failed("the salt is not hexadecimal") from None
    computed = hmac.new(salt_bytes, text.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(computed, digest):
        raise Failed(
            "the text and salt are not what entry %s committed to at %s: one of them was changed" % (seq, where)
        )
    report = ["entry %s: unaltered; the text at %s is the one it committed to" % (seq, where)]
    if key is None:
        report.append("not checked against a checkpoint (give --key to check the inclusion proof)")
        return report
    bundle = document.get("evidence")
    if not isinstance(bundle, dict):
        raise Failed("the file has no inclusion proof: no checkpoint covered entry %s when it was made" % seq)
    items = bundle.get("entries")
    if (
        not isinstance(items, list)
        or len(items) != 1
        or not isinstance(items[0], dict)
        or items[0].get("entry") != record
    ):
        raise Failed("the inclusion proof is not for this entry")
    return report + verify_evidence(bundle, key)


def verify_consistency_bundle(bundle: dict[str, Any], key: Key) -> list[str]:
    if bundle.get("format") != "corridor-consistency/1":
        raise Unreadable("not a corridor-consistency/1 proof")
    old = read_checkpoint(bundle.get("old"), key)  # type: ignore[arg-type]
    new = read_checkpoint(bundle.get("new"), key)  # type: ignore[arg-type]
    proof = _hashes(bundle.get("proof"))
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        problem = "the %s does not extend the %s: history was rewritten between them"
        raise Failed(problem % (new.describe(), old.describe()))
    check_times([old, new])
    return ["the %s extends the %s: nothing it covered was changed" % (new.describe(), old.describe())]


# --- witnesses and time stamps (C2SP tlog-cosignature, RFC 3161) --------------------------------------------


class WitnessKey:
    """A witness's key: ``name+keyid+base64(0x04 || Ed25519 public key)`` (the cosignature/v1 type)."""

    def __init__(self, text: str) -> None:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not _NAME.match(parts[0]) or not re.match(r"^[0-9a-f]{8}$", parts[1]):
            raise Unreadable("a witness key reads name+8-hex-digit-key-id+base64-key")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise Unreadable("the witness key's key is not base64") from None
        if len(raw) != 33 or raw[:1] != b"\x04":
            raise Unreadable("the witness key is not an Ed25519 cosignature/v1 key (type 0x04)")
        self.name, self.key_id, self.public = parts[0], bytes.fromhex(parts[1]), raw[1:]
        computed = hashlib.sha256(self.name.encode() + b"\n" + raw).digest()[:4]
        if computed != self.key_id or base64.b64encode(raw).decode() != parts[2]:
            raise Unreadable("the witness key's ID does not match its name and key")
        self.text = text.strip()


class Policy:
    """What the reader requires: cosignatures by ``quorum`` of ``witnesses``; time stamps by trusted TSAs."""

    def __init__(self, witnesses: Sequence[WitnessKey], quorum: int | None, tsa_certs: Sequence[bytes]) -> None:
        self.witnesses = list(witnesses)
        self.quorum = len(self.witnesses) if quorum is None else quorum
        if not 0 <= self.quorum <= len(self.witnesses):
            raise Unreadable("--quorum must be between 0 and the number of --witness keys (%d)" % len(self.witnesses))
        self.tsa_certs = list(tsa_certs)

    @property
    def active(self) -> bool:
        return bool(self.witnesses or self.tsa_certs)


def cosigned_by(note: str, witnesses: Sequence[WitnessKey]) -> dict[str, int]:
    """The witnesses (by name) whose valid cosignature ``note`` carries, with their timestamps.

    A line by a witness given that does not verify (made over another checkpoint, or altered) is a
    failure, not something to skip: a witness never signs what it did not see. Lines by keys not given
    are ignored, as signed notes require.
    """
    text, _, signatures = note.partition("\n\n")
    body = text + "\n"
    found: dict[str, int] = {}
    for line in signatures[:-1].split("\n"):
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise Failed("a signature is not base64") from None
        for witness in witnesses:
            if name != witness.name or raw[:4] != witness.key_id:
                continue
            timestamp = int.from_bytes(raw[4:12], "big") if len(raw) == 76 else 0
            message = ("cosignature/v1\ntime %d\n" % timestamp + body).encode("utf-8")
            if not (0 < timestamp < 2**63 and _ed25519_verifies(witness.public, message, raw[12:])):
                raise Failed(
                    "the cosignature by witness %s does not verify: it was made over another checkpoint, "
                    "or altered" % witness.name
                )
            found[witness.name] = timestamp
    return found


def _ed25519_verifies(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # pragma: no cover - depends on the outsider's machine
        raise Unreadable("checking signatures needs the cryptography package: pip install cryptography") from None
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _load_certificates(pem: bytes) -> list[Any]:
    from cryptography import x509

    try:
        return list(x509.load_pem_x509_certificates(pem))
    except ValueError as exc:
        raise Unreadable("a --tsa-cert file is not PEM certificates: %s" % exc) from None


def trusted_time(data: bytes, response: bytes, tsa_certs: Sequence[bytes]) -> str:
    """The time an RFC 3161 token over exactly ``data`` vouches for, if a trusted TSA signed it; else Failed.

    ``tsa_certs`` are PEM files: the self-signed certificates in them are the roots trusted, the others
    the TSA's own certificate and intermediates. The check is rfc3161-client's (as Sigstore's): the CMS
    signature, the certificate chain at the token's time, the critical timeStamping key usage, and the
    message digest.
    """
    try:
        import rfc3161_client
    except ImportError:  # pragma: no cover - depends on the outsider's machine
        raise Unreadable("checking time stamps needs rfc3161-client: pip install rfc3161-client") from None
    try:
        token = rfc3161_client.decode_timestamp_response(response)
    except ValueError as exc:
        raise Failed("a time stamp is not an RFC 3161 response: %s" % exc) from None
    algorithms = {"2.16.840.1.101.3.4.2.1": hashlib.sha256, "2.16.840.1.101.3.4.2.2": hashlib.sha384,
                  "2.16.840.1.101.3.4.2.3": hashlib.sha512}  # fmt: skip
    imprint = token.tst_info.message_imprint
    digest = algorithms.get(imprint.hash_algorithm.dotted_string)
    if digest is None or imprint.message != digest(data).digest():
        raise Failed("a time stamp is over other bytes than this checkpoint")
    builder = rfc3161_client.VerifierBuilder()
    for pem in tsa_certs:
        for certificate in _load_certificates(pem):
            if certificate.issuer == certificate.subject:
                builder = builder.add_root_certificate(certificate)
            else:
                builder = builder.add_intermediate_certificate(certificate)
    try:
        builder.build().verify_message(token, data)
    except (rfc3161_client.VerificationError, ValueError) as exc:
        raise Failed("a time stamp is not by a trusted time-stamping authority: %s" % exc) from None
    return token.tst_info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_policy(
    checkpoint: Checkpoint, note: str, responses: Sequence[bytes], policy: Policy, *, required: bool = True
) -> tuple[bool, list[str]]:
    """Whether ``note`` (the published checkpoint, cosignatures included) meets ``policy``, and why.

    With ``required`` a checkpoint that does not meet it raises Failed; otherwise it is reported.
    """
    lines = []
    holds = True
    if policy.witnesses:
        found = cosigned_by(note, policy.witnesses)
        names = ", ".join(sorted(found)) or "none"
        missing = ", ".join(sorted(w.name for w in policy.witnesses if w.name not in found)) or "none"
        verdict = "holds" if len(found) >= policy.quorum else "DOES NOT HOLD"
        lines.append(
            "%s: co-signed by %d of %d witnesses (%s; not by: %s); policy %d of %d %s"
            % (checkpoint.describe(), len(found), len(policy.witnesses), names, missing, policy.quorum,
               len(policy.witnesses), verdict)
        )  # fmt: skip
        holds = len(found) >= policy.quorum
    if policy.tsa_certs:
        times = []
        for response in responses:
            try:
                times.append(trusted_time(note.encode("utf-8"), response, policy.tsa_certs))
            except Failed as exc:
                if "other bytes" in str(exc) or required:
                    raise
                lines.append("%s: %s" % (checkpoint.describe(), exc))
        if times:
            earliest = min(times)
            if checkpoint.time[:19] > earliest[:19] and _seconds_between(earliest, checkpoint.time) > 60:
                raise Failed(
                    "the %s claims a time after its trusted time stamp (%s)" % (checkpoint.describe(), earliest)
                )
            lines.append("%s: trusted time %s (it existed no later than this)" % (checkpoint.describe(), earliest))
        else:
            holds = False
            lines.append("%s: NO trusted time stamp" % checkpoint.describe())
    if required and not holds:
        raise Failed(lines[-1] if lines else "the policy does not hold")
    return holds, lines


def _seconds_between(earlier: str, later: str) -> float:
    a = datetime.datetime.strptime(earlier[:19], "%Y-%m-%dT%H:%M:%S")
    b = datetime.datetime.strptime(later[:19], "%Y-%m-%dT%H:%M:%S")
    return (b - a).total_seconds()


def _responses(values: Any) -> list[bytes]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(
        isinstance(v, dict) and isinstance(v.get("response"), str) for v in values
    ):
        raise Unreadable('the time stamps are not a list of {"tsa", "response"} objects')
    try:
        return [base64.b64decode(v["response"], validate=True) for v in values]
    except binascii.Error:
        raise Unreadable("a time stamp is not base64") from None


def verify_export_policy(records: Iterable[dict[str, Any]], key: Key, policy: Policy) -> list[str]:
    """Check the witness and time-stamp policy on the checkpoints an export records.

    Every recorded checkpoint is reported. At least one must meet the policy: the export check has
    already matched every checkpoint's root against the entries, so the largest one that meets it vouches
    for every entry it covers. Entries after it are vouched for only by the keeper (or not at all).
    """
    found: list[tuple[Checkpoint, str, list[bytes]]] = []
    for record in records:
        payload = record.get("payload")
        if record.get("type") != "checkpoint.signed" or not isinstance(payload, dict):
            continue
        note = payload.get("note")
        if not isinstance(note, str) or not note.startswith(key.name + "\n"):
            continue
        cosignatures = payload.get("cosignatures") or []
        if not isinstance(cosignatures, list) or not all(isinstance(line, str) for line in cosignatures):
            raise Unreadable("a checkpoint's cosignatures are not a list of lines")
        published = note + "".join(cosignatures)
        found.append((read_checkpoint(published, key), published, _responses(payload.get("timestamps"))))
    if not found:
        raise Failed("the export records no checkpoint to check the policy on")
    report = []
    best = None
    for checkpoint, published, responses in found:
        holds, lines = check_policy(checkpoint, published, responses, policy, required=False)
        report.extend(lines)
        if holds and (best is None or checkpoint.size > best.size):
            best = checkpoint
    if best is None:
        raise Failed("no checkpoint recorded in the export meets the policy")
    largest = max(c.size for c, _, _ in found)
    report.append("policy: entries 1 to %d are covered by a checkpoint that meets it" % best.size)
    if largest > best.size:
        report.append(
            "entries %d to %d are covered only by checkpoints that do not meet it (the keeper's word)"
            % (best.size + 1, largest)
        )
    return report


# --- a mirror of the published tiles (C2SP tlog-tiles) -------------------------------------------------------


def read_published(location: str, relative: str) -> bytes:
    """The file ``relative`` (``checkpoint``, ``tile/0/000``…) of a published log: a folder, or an http(s) URL.

    A missing file raises OSError either way. Over HTTP only the files needed are fetched (a few tiles
    and one entry bundle for one entry), with the standard library.
    """
    if location.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        url = location.rstrip("/") + "/" + relative
        request = urllib.request.Request(url, headers={"User-Agent": "corridor-verify"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the reader's own URL
                return bytes(answer.read(MIRROR_FILE_LIMIT + 1))
        except urllib.error.HTTPError as exc:
            raise OSError("%s: HTTP %d" % (url, exc.code)) from None
        except (urllib.error.URLError, ValueError) as exc:
            raise OSError("%s: %s" % (url, getattr(exc, "reason", exc))) from None
    with open(os.path.join(location, *relative.split("/")), "rb") as handle:
        return handle.read(MIRROR_FILE_LIMIT + 1)


class Mirror:
    """The tiles of a tree of ``size`` leaves at ``location`` (a copy of ``corridor publish-log``'s output:
    a folder, or the URL of a web server that serves one)."""

    def __init__(self, location: str, size: int) -> None:
        self.location, self.size = location, size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    @staticmethod
    def index_path(index: int) -> str:
        digits = "%03d" % index
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[at : at + 3] for at in range(0, len(digits), 3)]
        return "/".join(["x" + group for group in groups[:-1]] + [groups[-1]])

    def path(self, level: Any, index: int) -> str:
        """The file of tile ``index`` at ``level`` (or of entry bundle ``index``), full or partial."""
        tile_level = 0 if level == "entries" else level
        full = (index + 1) * 256 ** (tile_level + 1) <= self.size
        width = 256 if full else (self.size // 256**tile_level) % 256
        suffix = "" if full else ".p/%d" % width
        return "tile/%s/%s%s" % (level, self.index_path(index), suffix)

    def tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self._tiles:
            data = read_published(self.location, self.path(level, index))
            if len(data) % 32 or len(data) > 256 * 32:
                raise Failed("tile %d/%d is not a whole number of hashes" % (level, index))
            self._tiles[(level, index)] = [data[at : at + 32] for at in range(0, len(data), 32)]
        return self._tiles[(level, index)]

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree of ``2**level`` leaves at ``index``, from the tiles."""
        tile_level, below = divmod(level, 8)
        first = index << below  # its first hash at level 8 * tile_level
        hashes = []
        for position in range(first, first + (1 << below)):
            tile = self.tile(tile_level, position // 256)
            if position % 256 >= len(tile):
                raise Failed("tile %d/%d is shorter than the checkpoint needs" % (tile_level, position // 256))
            hashes.append(tile[position % 256])
        while len(hashes) > 1:
            hashes = [node_hash(hashes[at], hashes[at + 1]) for at in range(0, len(hashes), 2)]
        return hashes[0]

    def node(self, start: int, end: int) -> bytes:
        """The hash of the tree node over leaves [start, end): its perfect parts, folded from the right."""
        parts = []
        while start < end:
            level = ((start & -start).bit_length() - 1) if start else (end - start).bit_length() - 1
            while (1 << level) > end - start:
                level -= 1
            parts.append(self.subtree(level, start >> level))
            start += 1 << level
        result = parts[-1]
        for value in reversed(parts[:-1]):
            result = node_hash(value, result)
        return result

    def entry(self, seq: int) -> bytes:
        data = read_published(self.location, self.path("entries", (seq - 1) // 256))
        bodies, at = [], 0
        while at + 2 <= len(data):
            length = int.from_bytes(data[at : at + 2], "big")
            bodies.append(data[at + 2 : at + 2 + length])
            at += 2 + length
        if at != len(data) or (seq - 1) % 256 >= len(bodies):
            raise Failed("the entry bundle holding entry %d is malformed or short" % seq)
        return bodies[(seq - 1) % 256]


def _inclusion_path(index: int, size: int) -> list[tuple[int, int]]:
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = 1 << ((end - start - 1).bit_length() - 1)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def verify_mirror(location: str, key: Key, seqs: Sequence[int], policy: Policy) -> list[str]:
    """Check a mirror (a folder or a URL): its checkpoint (and policy), then each entry asked for, or every one."""
    try:
        note = read_published(location, "checkpoint").decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable("cannot read the mirror's checkpoint: %s" % exc) from None
    checkpoint = read_checkpoint(note, key)
    report = ["%s: signature verified" % checkpoint.describe()]
    if policy.active:
        stamps = []
        if policy.tsa_certs:
            for number in range(1, 10):  # checkpoint.1.tsr, checkpoint.2.tsr… until one is missing
                try:
                    stamps.append(read_published(location, "checkpoint.%d.tsr" % number))
                except OSError:
                    break
        report += check_policy(checkpoint, note, stamps, policy)[1]
    mirror = Mirror(location, checkpoint.size)
    try:
        if not seqs:
            root = mirror.node(0, checkpoint.size) if checkpoint.size else EMPTY_ROOT
            if root != checkpoint.root:
                raise Failed("the tiles do not add up to the checkpoint's root: the mirror was altered")
            for tile in range((checkpoint.size + 255) // 256):
                leaves = mirror.tile(0, tile)
                for offset, leaf in enumerate(leaves):
                    if leaf_hash(mirror.entry(tile * 256 + offset + 1).decode("utf-8")) != leaf:
                        raise Failed(
                            "entry %d does not match its leaf hash: it was altered" % (tile * 256 + offset + 1)
                        )
            report.append(
                "every entry, 1 to %d, matches the tiles, and the tiles the checkpoint's root" % checkpoint.size
            )
            return report
        for seq in seqs:
            if not 1 <= seq <= checkpoint.size:
                raise Failed("entry %d is not covered by the %s" % (seq, checkpoint.describe()))
            body = mirror.entry(seq)
            try:
                record = loads(body.decode("utf-8"), "entry %d in the mirror" % seq)
            except (Unreadable, ValueError):  # not UTF-8, not JSON, a key twice, or nested too deep
                raise Failed("entry %d in the mirror is not JSON" % seq) from None
            if not isinstance(record, dict) or record.get("seq") != seq:
                raise Failed("the entry at place %d of the mirror says it is entry %s" % (seq, record.get("seq")))
            proof = [mirror.node(start, end) for start, end in _inclusion_path(seq - 1, checkpoint.size)]
            if not verify_inclusion(seq - 1, checkpoint.size, leaf_hash(body.decode("utf-8")), proof, checkpoint.root):
                raise Failed("entry %d is not in the %s: the mirror was altered" % (seq, checkpoint.describe()))
            if str(record.get("recorded_at")) > checkpoint.time:
                raise Failed("entry %d says it was recorded after the checkpoint that covers it" % seq)
            report.append(
                "entry %d (%s, recorded %s) is included in it, unaltered: hash %s"
                % (seq, record.get("type"), record.get("recorded_at"), hashlib.sha256(body).hexdigest())
            )
    except OSError as exc:
        raise Failed("the mirror lacks a file the checkpoint needs: %s" % exc) from None
    return report


def _add_policy_arguments(*subs: argparse.ArgumentParser) -> None:
    for sub in subs:
        sub.add_argument(
            "--witness", action="append", default=[], help="a witness key, or a file of them one a line (repeatable)"
        )
        sub.add_argument("--quorum", type=int, help="how many of the witnesses must co-sign (default: all given)")
        sub.add_argument(
            "--tsa-cert",
            action="append",
            default=[],
            help="PEM certificates of a trusted TSA and its root (repeatable)",
        )


def _policy_from(args: argparse.Namespace) -> Policy:
    witnesses: list[WitnessKey] = []
    for value in args.witness:
        text = _read_text(value) if os.path.isfile(value) else value
        witnesses.extend(WitnessKey(line) for line in text.splitlines() if line.strip())
    if args.quorum is not None and not witnesses:
        raise Unreadable("--quorum needs --witness keys")
    certs: list[bytes] = []
    for path in args.tsa_cert:
        try:
            with open(path, "rb") as handle:
                certs.append(handle.read())
        except OSError as exc:
            raise Unreadable("cannot read %s: %s" % (path, exc)) from None
    return Policy(witnesses, args.quorum, certs)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unreadable("cannot read %s: %s" % (path, exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="corridor_verify.py",
        description="Check a Corridor ledger export, evidence bundle or consistency proof.",
        epilog="See the top of this file and docs/evidence.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    chain = commands.add_parser("chain", help="the hash chain of an export (as corridor verify)")
    chain.add_argument("file", help="the JSONL export, or - for standard input")
    export = commands.add_parser("export", help="an export against checkpoints")
    export.add_argument("file")
    export.add_argument(
        "--checkpoint", action="append", default=[], help="a checkpoint file or evidence bundle (repeatable)"
    )
    evidence = commands.add_parser("evidence", help="entries with inclusion proofs")
    evidence.add_argument("file")
    consistency = commands.add_parser("consistency", help="two checkpoints and a consistency proof")
    consistency.add_argument("file")
    checkpoint = commands.add_parser("checkpoint", help="one checkpoint's signature")
    checkpoint.add_argument("file")
    mirror = commands.add_parser("mirror", help="entries from a mirror of the published tiles")
    mirror.add_argument("folder", help="a copy of what corridor publish-log wrote: a folder, or its http(s) URL")
    mirror.add_argument("--entry", type=int, action="append", default=[], help="an entry number (default: all)")
    text_command = commands.add_parser("text", help="a committed text and its salt against its entry")
    text_command.add_argument("file")
    text_command.add_argument("--key", help="the verifier key, or a file holding it: also check the inclusion proof")
    for sub in (export, evidence, consistency, checkpoint, mirror):
        sub.add_argument("--key", required=True, help="the verifier key, or a file holding it")
    for sub in (export, evidence):
        sub.add_argument("--attachments", help="a folder of attachment files named by their SHA-256")
    _add_policy_arguments(export, evidence, checkpoint, mirror)
    checkpoint.add_argument("--timestamp", action="append", default=[], help="an RFC 3161 response file (.tsr) over it")
    args = parser.parse_args(argv)
    try:
        if args.command == "chain":
            verdict = verify_chain(read_jsonl(args.file))
            print(verdict.line())
            return 0 if verdict.ok else 1
        if args.command == "text":
            report = verify_text(_read_json(args.file), _load_key(args.key) if args.key else None)
            for line in report:
                print(line)
            print("OK")
            return 0
        key = _load_key(args.key)
        policy = _policy_from(args) if args.command != "consistency" else Policy([], None, [])
        if args.command == "export":
            notes = [_checkpoint_in(path) for path in args.checkpoint]
            if policy.active and args.file == "-":
                raise Unreadable("checking the witness or time-stamp policy needs the export as a file, not -")
            report = verify_export(read_jsonl(args.file), key, notes, args.attachments)
            if policy.active:
                report += verify_export_policy(read_jsonl(args.file), key, policy)
        elif args.command == "evidence":
            bundle = _read_json(args.file)
            report = verify_evidence(bundle, key, args.attachments)
            if policy.active:
                signed = read_checkpoint(bundle["checkpoint"], key)
                report += check_policy(signed, bundle["checkpoint"], _responses(bundle.get("timestamps")), policy)[1]
        elif args.command == "consistency":
            report = verify_consistency_bundle(_read_json(args.file), key)
        elif args.command == "mirror":
            report = verify_mirror(args.folder, key, args.entry, policy)
        else:
            text = _read_text(args.file)
            signed = read_checkpoint(text, key)
            report = [signed.describe() + ": signature verified"]
            if policy.active:
                responses = [_read_bytes(path) for path in args.timestamp]
                report += check_policy(signed, text, responses, policy)[1]
    except Failed as exc:
        print("FAILED: %s" % exc)
        return 1
    except Unreadable as exc:
        print("corridor_verify.py: error: %s" % exc, file=sys.stderr)
        return 2
    for line in report:
        print(line)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
