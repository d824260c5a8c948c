"""Evidence that outsiders can check: the stored Merkle tree, signed checkpoints, and proofs (docs/evidence.md).

``sign_checkpoint`` extends the stored tree to the ledger's head (checking the new entries' chain on the
way), checks that the new tree still contains the previous checkpoint's, signs, and appends a
``checkpoint.signed`` entry, all under the append lock in one transaction. ``evidence_for`` gives a
report or an export what an outsider needs to check the entries it cites: the checkpoint, the public
key, and an inclusion proof per entry. Every proof is verified against the signed root before it is
handed out, so a tampered database yields an error here rather than a proof that fails elsewhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_noop as _

from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.ledger import canonical, checkpoints, merkle
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import TREE_INDEX_BITS, Entry
from corridor.ledger.signing import SIGNING_KEY_VARIABLE, signing_key_path

EVIDENCE_FORMAT = "corridor-evidence/1"
CONSISTENCY_FORMAT = "corridor-consistency/1"
CHECKPOINT_TYPE = "checkpoint.signed"
_BATCH = 50_000


# --- the signing key -------------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key. One is generated in the data directory on first use, never at a
    configured path: a missing configured key is a mistake to report, not to paper over."""
    path = signing_key_path()
    try:
        if os.environ.get(SIGNING_KEY_VARIABLE, "").strip():
            return checkpoints.load_private_key(path)
        return checkpoints.load_or_create_private_key(path)
    except checkpoints.CheckpointError as exc:
        raise InvalidInput(
            _("the checkpoint signing key cannot be used: %(why)s"),
            SIGNING_KEY_VARIABLE,
            code="evidence.signing_key_unusable",
            why=str(exc),  # the key file's own problem, as the reader of keys words it
        ) from None


def verifier_key() -> checkpoints.VerifierKey:
    """The public half, to publish: outsiders check checkpoints with it."""
    return checkpoints.verifier_key_for(signing_key())


# --- the stored tree --------------------------------------------------------------------------------


def _node_id(level: int, index: int) -> int:
    return level << TREE_INDEX_BITS | index


class DatabaseSource:
    """Perfect subtree hashes from the database: level 0 from the entries' bodies, the rest from the tree table."""

    def fetch(self, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
        found: dict[merkle.Node, bytes] = {}
        leaves = [index for level, index in nodes if level == 0]
        inner = [_node_id(level, index) for level, index in nodes if level > 0]
        with connection.cursor() as cursor:
            if leaves:
                marks = ",".join(["%s"] * len(leaves))
                cursor.execute(f"SELECT seq, body FROM ledger_entry WHERE seq IN ({marks})", [i + 1 for i in leaves])
                for seq, body in cursor.fetchall():
                    found[(0, int(seq) - 1)] = merkle.leaf_hash(body.encode("utf-8"))
            if inner:
                marks = ",".join(["%s"] * len(inner))
                cursor.execute(f"SELECT node, hash FROM ledger_treenode WHERE node IN ({marks})", inner)
                for node, value in cursor.fetchall():
                    found[(int(node) >> TREE_INDEX_BITS, int(node) & ((1 << TREE_INDEX_BITS) - 1))] = bytes(value)
        missing = [node for node in nodes if node not in found]
        if missing:
            raise KeyError(f"the stored tree lacks {missing[0]}")
        return found


def stored_tree_size() -> int:
    """How many leaves the stored tree summarises: twice its level-1 nodes (an odd last leaf is not stored)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(node) FROM ledger_treenode WHERE node < %s", [_node_id(2, 0)])
        (highest,) = cursor.fetchone() or (None,)
    return 0 if highest is None else 2 * (int(highest) - _node_id(1, 0) + 1)


def _hash_of_entry(seq: int) -> str:
    if seq == 0:
        return canonical.GENESIS_HASH
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM ledger_entry WHERE seq = %s", [seq])
        row = cursor.fetchone()
    if row is None:
        raise Conflict(
            _("ledger entry %(seq)s is missing; run corridor verify"), code="evidence.entry_missing", seq=seq
        )
    return str(row[0])


def _leaves(start: int, end: int) -> list[bytes]:
    """Leaf hashes of entries ``start + 1`` to ``end``, checking on the way that they chain from entry ``start``."""
    sha256 = hashlib.sha256
    leaves: list[bytes] = []
    prev = _hash_of_entry(start)
    expected = start + 1
    with connection.cursor() as cursor:
        while expected <= end:
            cursor.execute(
                "SELECT seq, body, hash FROM ledger_entry WHERE seq >= %s AND seq <= %s ORDER BY seq",
                [expected, min(end, expected + _BATCH - 1)],
            )
            rows = cursor.fetchall()
            if not rows:
                raise Conflict(
                    _("the ledger is broken at entry %(seq)s: it is missing; run corridor verify"),
                    code="evidence.broken_missing",
                    seq=expected,
                )
            for seq, body, stored in rows:
                data = body.encode("utf-8")
                if seq != expected or sha256(data).hexdigest() != stored or canonical.prev_hash_in(body) != prev:
                    raise Conflict(
                        _("the ledger is broken at entry %(seq)s; run corridor verify for details"),
                        code="evidence.broken",
                        seq=expected,
                    )
                leaves.append(merkle.leaf_hash(data))
                prev = stored
                expected += 1
    return leaves


def extend_tree(size: int) -> int:
    """Store every perfect subtree over the first ``size`` entries that is not stored yet; return how many.

    Only the entries after the stored part are read (and their chain checked): signing a checkpoint a
    day costs the day's entries, not the whole ledger. Call it under the append lock.
    """
    start = stored_tree_size()
    if size >> 1 <= start >> 1:
        return 0
    hashes = _leaves(start, size)
    rows: list[tuple[int, bytes]] = []
    level, first = 0, start
    source = DatabaseSource()
    while True:
        low, high = start >> (level + 1), size >> (level + 1)
        if high <= low:
            break
        if first > 2 * low:  # the first new node's left child was stored by an earlier checkpoint
            hashes.insert(0, source.fetch([(level, first - 1)])[(level, first - 1)])
            first -= 1
        parents = [merkle.node_hash(hashes[2 * j], hashes[2 * j + 1]) for j in range(high - low)]
        rows.extend((_node_id(level + 1, low + j), value) for j, value in enumerate(parents))
        hashes, first, level = parents, low, level + 1
    with connection.cursor() as cursor:
        for at in range(0, len(rows), _BATCH):
            cursor.executemany("INSERT INTO ledger_treenode (node, hash) VALUES (%s, %s)", rows[at : at + _BATCH])
    return len(rows)


# --- checkpoints ------------------------------------------------------------------------------------


def checkpoint_notes() -> list[str]:
    """Every checkpoint recorded in the ledger, oldest first."""
    entries = Entry.objects.filter(type=CHECKPOINT_TYPE).order_by("seq")
    return [str(entry.payload["note"]) for entry in entries]


def latest_checkpoint() -> str | None:
    entry = Entry.objects.filter(type=CHECKPOINT_TYPE).order_by("-seq").first()
    return str(entry.payload["note"]) if entry else None


def checkpoint_of_size(size: int) -> str:
    """The checkpoint recorded in the ledger for a tree of ``size`` entries."""
    for note in checkpoint_notes():
        if checkpoints.parse(note)[0].size == size:
            return note
    raise NotFound(
        _("no checkpoint of %(size)s entries has been signed"), code="evidence.no_checkpoint_of_size", size=size
    )


def read_checkpoint(note: str) -> checkpoints.Checkpoint:
    """A checkpoint of this ledger: signed by its key, well formed, and matching the ledger as it is now."""
    try:
        checkpoint = checkpoints.verify(note, verifier_key())
    except checkpoints.CheckpointError as exc:
        raise InvalidInput(
            _("the checkpoint does not verify: %(why)s"), "checkpoint", code="evidence.checkpoint_invalid", why=str(exc)
        ) from None
    if checkpoint.size > ledger.head()[0]:
        raise Conflict(
            _("the checkpoint covers %(size)s entries, more than this ledger holds"),
            code="evidence.checkpoint_beyond_ledger",
            size=checkpoint.size,
        )
    try:
        current = merkle.root(DatabaseSource(), checkpoint.size)
    except KeyError:
        raise Conflict(
            _("the stored tree does not reach %(size)s entries; run corridor verify"),
            code="evidence.tree_short",
            size=checkpoint.size,
        ) from None
    if current != checkpoint.root:
        raise Conflict(
            _(
                "the ledger no longer matches the checkpoint of %(size)s entries signed at %(time)s: "
                "its history was rewritten; run corridor verify"
            ),
            code="evidence.history_rewritten",
            size=checkpoint.size,
            time=checkpoint.time,
        )
    return checkpoint


def sign_checkpoint(
    *, by: ledger.Actor = None, now: dt.datetime | None = None, then: Callable[[Entry, str], None] | None = None
) -> tuple[Entry, str]:
    """Sign a checkpoint of the whole ledger, have it witnessed and time-stamped, record it, return both.

    Refused (Conflict, nothing written) if the entries since the stored tree do not chain, or if the
    new tree does not contain the previous checkpoint's tree: a rewritten history is never signed.

    With witnesses (``CORRIDOR_WITNESSES``) or time-stamping authorities (``CORRIDOR_TSA_URLS``)
    configured, the append lock is released while they are asked, so a slow or absent witness never
    holds up the camp's work; the ``checkpoint.signed`` entry then records who co-signed, who refused
    and why, whether the policy (k of n) holds, and the time-stamp tokens. A checkpoint below the
    policy is recorded all the same, marked ``"witnessed": false``. The returned note is the checkpoint
    with every cosignature it got (the one to publish).

    ``then(entry, published)`` runs in the transaction that records the entry (a background job records
    its own completion there), so callers never need to wrap this in a transaction of their own, which
    would hold the append lock while the witnesses are asked.
    """
    from corridor.ledger import witnessing

    key = signing_key()
    origin = checkpoints.verifier_key_for(key).name
    witnesses = witnessing.parse_witnesses(settings.WITNESSES)
    tsas = list(settings.TSA_URLS)
    outside = bool(witnesses or tsas)
    with transaction.atomic():
        size, head_hash = ledger.lock()
        extend_tree(size)
        source = DatabaseSource()
        root = merkle.root(source, size)
        previous = latest_checkpoint()
        before_size = 0
        if previous is not None:
            before = checkpoints.parse(previous)[0]
            before_size = before.size
            proof = merkle.consistency_proof(source, before.size, size) if before.size <= size else []
            if not merkle.verify_consistency(before.size, size, before.root, root, proof):
                raise Conflict(
                    _(
                        "the ledger does not extend the checkpoint of %(size)s entries signed at %(time)s: "
                        "its history was rewritten; nothing was signed; run corridor verify"
                    ),
                    code="evidence.not_extended",
                    size=before.size,
                    time=before.time,
                )
        moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        last_recorded = Entry.objects.filter(seq=size).values_list("recorded_at", flat=True).first()
        if last_recorded and canonical.format_time(moment) < last_recorded:
            raise Conflict(
                _("the clock (%(now)s) is behind the last entry (%(last)s)"),
                code="evidence.clock_behind",
                now=canonical.format_time(moment),
                last=last_recorded,
            )
        checkpoint = checkpoints.Checkpoint(origin, size, root, canonical.format_time(moment), head_hash)
        note = checkpoints.sign(checkpoint, key)
        payload: dict[str, Any] = {
            "origin": origin,
            "tree_size": size,
            "root_hash": root.hex(),
            "head_hash": head_hash,
            "time": checkpoint.time,
            "verifier_key": checkpoints.verifier_key_for(key).encode(),
            "note": note,
        }
        if not outside:
            payload.update(_witness_record(witnessing.Gathered(), 0, [], []))
            entry = ledger.append(
                CHECKPOINT_TYPE, by=by, payload=payload, source=Source.SYSTEM, certainty=Certainty.CONFIRMED, now=moment
            )
            if then is not None:
                then(entry, note)
            return entry, note

    # Outside the lock: the stored tree's nodes never change, so proofs can be read while entries are added.
    def proof_for(old: int) -> list[bytes]:
        return merkle.consistency_proof(DatabaseSource(), old, size)

    timeout, retries = settings.CHECKPOINT_TIMEOUT, settings.CHECKPOINT_RETRIES
    gathered = witnessing.gather(note, size, before_size, proof_for, witnesses, timeout=timeout, retries=retries)
    published = note + "".join(gathered.lines)
    stamps, failures = witnessing.timestamp(published.encode("utf-8"), tsas, timeout=timeout, retries=retries)
    payload.update(_witness_record(gathered, settings.WITNESS_QUORUM, stamps, failures))
    with transaction.atomic():
        ledger.lock()
        newest = latest_checkpoint()
        if newest is not None and checkpoints.parse(newest)[0].size > size:
            raise Conflict(
                _("a checkpoint of more entries was recorded meanwhile; this one was not recorded"),
                code="evidence.checkpoint_overtaken",
            )
        entry = ledger.append(
            CHECKPOINT_TYPE, by=by, payload=payload, source=Source.SYSTEM, certainty=Certainty.CONFIRMED
        )
        if then is not None:
            then(entry, published)
    return entry, published


def _witness_record(
    gathered: Any, quorum: int, stamps: list[dict[str, Any]], failures: list[dict[str, str]]
) -> dict[str, Any]:
    """The part of a ``checkpoint.signed`` payload that says who witnessed it and who dated it."""
    cosigned = sum(1 for outcome in gathered.outcomes if outcome.line)
    return {
        "cosignatures": gathered.lines,
        "witnesses": [outcome.record() for outcome in gathered.outcomes],
        "witness_policy": {"quorum": quorum, "of": len(gathered.outcomes), "cosigned": cosigned},
        "witnessed": bool(gathered.outcomes) and cosigned >= quorum,
        "timestamps": stamps,
        "timestamp_failures": failures,
    }


def published_checkpoint(payload: dict[str, Any]) -> str:
    """The checkpoint as published: the keeper's note followed by the witnesses' cosignature lines."""
    return str(payload["note"]) + "".join(str(line) for line in payload.get("cosignatures", []))


# --- proofs -----------------------------------------------------------------------------------------


def _entry_records(seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
    found = {entry.seq: entry.as_record() for entry in Entry.objects.filter(seq__in=list(seqs))}
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        raise NotFound(_("there is no ledger entry %(seq)s"), code="entry.not_found", seq=missing[0])
    return found


def _checked_seqs(seqs: Iterable[int]) -> list[int]:
    result = []
    for seq in seqs:
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise InvalidInput(_("%(value)r is not an entry number"), "seqs", code="evidence.not_a_number", value=seq)
        result.append(seq)
    return sorted(set(result))


def inclusion_proof(seq: int, checkpoint: checkpoints.Checkpoint) -> list[bytes]:
    """The inclusion proof of entry ``seq`` in ``checkpoint``'s tree, verified before it is returned."""
    return inclusion_proofs([seq], checkpoint)[seq]


class _Fetched:
    """Subtree hashes read beforehand: the proofs of many entries share most of their nodes."""

    def __init__(self, found: dict[merkle.Node, bytes]) -> None:
        self.found = found

    def fetch(self, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
        return {node: self.found[node] for node in nodes}


def inclusion_proofs(seqs: Sequence[int], checkpoint: checkpoints.Checkpoint) -> dict[int, list[bytes]]:
    """The inclusion proof of each entry in ``checkpoint``'s tree, each verified before it is returned.

    Every node the proofs need is read in a few batches rather than two queries per entry: a report
    citing a thousand entries would otherwise make two thousand round trips.
    """
    size = checkpoint.size
    needed: set[merkle.Node] = set()
    for seq in seqs:
        needed.add((0, seq - 1))
        for start, end in merkle.inclusion_ranges(seq - 1, size):
            needed.update(merkle.perfect_parts(start, end))
    ordered = sorted(needed)
    found: dict[merkle.Node, bytes] = {}
    database = DatabaseSource()
    for at in range(0, len(ordered), 500):  # well under every database's limit on query parameters
        found.update(database.fetch(ordered[at : at + 500]))
    source = _Fetched(found)
    proofs = {}
    for seq in seqs:
        proof = merkle.inclusion_proof(source, seq - 1, size)
        if not merkle.verify_inclusion(seq - 1, size, found[(0, seq - 1)], proof, checkpoint.root):
            raise Conflict(
                _("entry %(seq)s no longer matches the checkpoint of %(size)s entries: run corridor verify"),
                code="evidence.entry_changed",
                seq=seq,
                size=size,
            )
        proofs[seq] = proof
    return proofs


def evidence_for(
    seqs: Iterable[int],
    *,
    checkpoint: str | None = None,
    sign_if_needed: bool = False,
    by: ledger.Actor = None,
) -> dict[str, Any]:
    """What an outsider needs to check the cited entries: a signed checkpoint, its key, and a proof for each.

    ``checkpoint`` is the note to prove against (default: the latest signed). With ``sign_if_needed``
    a new checkpoint is signed first (by ``by``) when none exists or a cited entry is newer than it;
    otherwise entries newer than the checkpoint come with ``"inclusion_proof": None``. The result is
    plain JSON data (format ``corridor-evidence/1``, described in docs/evidence.md) that
    ``verifier/corridor_verify.py evidence`` checks.
    """
    wanted = _checked_seqs(seqs)
    records = _entry_records(wanted)
    note = checkpoint if checkpoint is not None else latest_checkpoint()
    if sign_if_needed and checkpoint is None:
        note = sign_checkpoint_covering(wanted, by=by) or note
    parsed = read_checkpoint(note) if note is not None else None
    size = parsed.size if parsed else 0
    proofs = inclusion_proofs([seq for seq in wanted if seq <= size], parsed) if parsed is not None else {}
    entries = []
    for seq in wanted:
        proof = proofs.get(seq)
        entries.append(
            {
                "entry": records[seq],
                "leaf_index": seq - 1,
                "inclusion_proof": [value.hex() for value in proof] if proof is not None else None,
            }
        )
    recorded = _recorded_payload(note) if note is not None else None
    return {
        "format": EVIDENCE_FORMAT,
        "checkpoint": published_checkpoint(recorded) if recorded else note,
        "verifier_key": verifier_key().encode(),
        "tree_size": size,
        "root_hash": parsed.root.hex() if parsed else None,
        "entries": entries,
        "timestamps": list(recorded.get("timestamps", [])) if recorded else [],
    }


def sign_checkpoint_covering(seqs: Iterable[int], *, by: ledger.Actor = None) -> str | None:
    """Sign a checkpoint if none covers the newest of ``seqs`` yet; return it as published, or None.

    Call it before opening a transaction of one's own: signing asks the witnesses and time-stamping
    authorities, which must not happen while the append lock is held.
    """
    newest = max(seqs, default=0)
    note = latest_checkpoint()
    if note is not None and checkpoints.parse(note)[0].size >= newest:
        return None
    return sign_checkpoint(by=by)[1]


def _recorded_payload(note: str) -> dict[str, Any] | None:
    """The ``checkpoint.signed`` payload that recorded ``note`` (its cosignatures and time stamps), if any."""
    text = note.partition("\n\n")[0]
    for entry in Entry.objects.filter(type=CHECKPOINT_TYPE).order_by("-seq"):
        if str(entry.payload.get("note", "")).partition("\n\n")[0] == text:
            return dict(entry.payload)
    return None


def prove_consistency(old_note: str, new_note: str) -> dict[str, Any]:
    """Proof that ``old_note``'s tree is a prefix of ``new_note``'s (format ``corridor-consistency/1``)."""
    old, new = read_checkpoint(old_note), read_checkpoint(new_note)
    if old.size > new.size:
        raise InvalidInput(
            _("the old checkpoint covers %(old)s entries, the new one only %(new)s"),
            "old",
            code="evidence.checkpoints_reversed",
            old=old.size,
            new=new.size,
        )
    proof = merkle.consistency_proof(DatabaseSource(), old.size, new.size)
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise Conflict(
            _("the stored tree does not prove these checkpoints consistent; run corridor verify"),
            code="evidence.not_consistent",
        )
    return {
        "format": CONSISTENCY_FORMAT,
        "old": old_note,
        "new": new_note,
        "verifier_key": verifier_key().encode(),
        "proof": [value.hex() for value in proof],
    }


def resolve_checkpoint(reference: str) -> str:
    """A checkpoint note from a file name, or from a tree size of a checkpoint recorded in the ledger."""
    if reference.isdigit():
        return checkpoint_of_size(int(reference))
    try:
        return Path(reference).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("cannot read %(file)s: %(reason)s"),
            "checkpoint",
            code="evidence.unreadable_checkpoint",
            file=reference,
            reason=getattr(exc, "strerror", None) or exc,
        ) from None


def export_evidence() -> dict[str, Any]:
    """The sidecar of a full export: the latest checkpoint and its key.

    A full export needs no proof per entry: the verifier rebuilds the whole tree from the export and
    compares its root with the signed one, which checks every entry at once.
    """
    bundle = evidence_for([])
    bundle["note"] = (
        "A full export: the verifier rebuilds the Merkle tree from every entry and compares its root with the "
        "checkpoint's, so no per-entry proofs are needed. See docs/evidence.md."
    )
    return bundle


# --- publishing the log as static tiles (C2SP tlog-tiles) ---------------------------------------------------


def publish_log(out: Path) -> dict[str, Any]:
    """Write the latest checkpoint's tree as tiles, entry bundles and the checkpoint under ``out``.

    The leaves are recomputed from the entries' bodies and their root compared with the signed one
    before the checkpoint is written: a database altered behind Corridor's back is refused here
    (Conflict) instead of being published. Returns what was written.
    """
    from corridor.ledger import tiles

    entry = Entry.objects.filter(type=CHECKPOINT_TYPE).order_by("-seq").first()
    if entry is None:
        raise Conflict(
            _("no checkpoint has been signed yet: run corridor checkpoint first"), code="evidence.no_checkpoint"
        )
    payload = entry.payload
    checkpoint = checkpoints.parse(str(payload["note"]))[0]
    size = checkpoint.size
    writer = tiles.Writer(out)
    leaves: list[bytes] = []
    builder = merkle.RootBuilder()
    pending: list[bytes] = []
    sha256 = hashlib.sha256
    with connection.cursor() as cursor:
        for start in range(1, size + 1, _BATCH):
            end = min(size, start + _BATCH - 1)
            cursor.execute(
                "SELECT seq, body FROM ledger_entry WHERE seq >= %s AND seq <= %s ORDER BY seq", [start, end]
            )
            rows = cursor.fetchall()
            if len(rows) != end - start + 1:
                raise Conflict(
                    _("ledger entries between %(start)s and %(end)s are missing; run corridor verify"),
                    code="evidence.entries_missing",
                    start=start,
                    end=end,
                )
            for _seq, body in rows:
                data = body.encode("utf-8")
                leaf = sha256(merkle.LEAF_PREFIX + data).digest()
                leaves.append(leaf)
                builder.append(leaf)
                pending.append(data)
                if len(pending) == tiles.TILE_WIDTH:
                    index = len(leaves) // tiles.TILE_WIDTH - 1
                    writer.write(tiles.tile_path("entries", index), tiles.bundle(pending), immutable=True)
                    pending = []
    if builder.root() != checkpoint.root:
        raise Conflict(
            _("the ledger no longer matches the checkpoint of %(size)s entries: nothing was published"),
            code="evidence.not_published",
            size=size,
        )
    if pending:
        index, width = divmod(len(leaves), tiles.TILE_WIDTH)
        writer.write(tiles.tile_path("entries", index, width), tiles.bundle(pending), immutable=False)
    tiles.write_tiles(writer, leaves)
    for number, stamp in enumerate(payload.get("timestamps", []), start=1):
        writer.write(f"checkpoint.{number}.tsr", base64.b64decode(stamp["response"]), immutable=False)
    writer.write("checkpoint", published_checkpoint(payload).encode("utf-8"), immutable=False)
    return {"tree_size": size, "files": writer.written, "witnessed": bool(payload.get("witnessed"))}


def checkpoint_due(now: dt.datetime | None = None) -> str | None:
    """Why a checkpoint is due (``corridor checkpoint --if-due``), or None if it is not.

    Due when entries exist and none was signed yet, when ``CORRIDOR_CHECKPOINT_EVERY_ENTRIES`` entries
    follow the last checkpoint, or when ``CORRIDOR_CHECKPOINT_EVERY_HOURS`` have passed since it and
    anything besides its own entry was recorded.
    """
    size = ledger.head()[0]
    entry = Entry.objects.filter(type=CHECKPOINT_TYPE).order_by("-seq").first()
    if entry is None:
        return f"no checkpoint yet, {size} entries" if size else None
    covered = int(entry.payload["tree_size"])
    new = size - covered - 1  # the checkpoint's own entry does not count
    if new >= settings.CHECKPOINT_EVERY_ENTRIES:
        return f"{new} entries since the last checkpoint"
    signed = checkpoints.parse(str(entry.payload["note"]))[0].moment
    hours = ((now or dt.datetime.now(dt.UTC)) - signed).total_seconds() / 3600
    if new > 0 and hours >= settings.CHECKPOINT_EVERY_HOURS:
        return f"{new} entries and {hours:.0f} hours since the last checkpoint"
    return None
