"""The committed texts of ledger entries, kept apart from the hashed bodies and encrypted.

Each value :func:`corridor.ledger.commitments.commit` takes out of a payload is one row of
``ledger_sealedtext`` (the entry, the value's path, whose key sealed it, and the ciphertext of the text
with its salt). The ledger does not know people's keys: the register gives it a :class:`Keeper` at
start-up (``RegisterConfig.ready``), which seals a text under the data key of the person the entry
concerns, or under the configured identity key when it concerns no one. Erasing a person destroys
their data key, and with it every text of theirs kept here; the hashed bodies, their hashes, the
Merkle tree and the checkpoints never held the text, so none of them changes.

This module reads and writes the table with SQL through the caller's cursor, so ``Entry`` can reveal its
payload without the models importing this module back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection

from corridor.ledger import commitments

_INSERT = "INSERT INTO ledger_sealedtext (seq, path, owner, sealed) VALUES"
_SELECT = "SELECT seq, path, owner, sealed FROM ledger_sealedtext WHERE seq IN ({})"


class Keeper(Protocol):
    """Seals and opens the texts of ledger entries (implemented by the register, which holds the keys)."""

    def seal(self, subjects: Sequence[str], context: str, seq: int, plaintext: str) -> tuple[str, str] | None:
        """(owner, ciphertext) of ``plaintext`` for an entry about ``subjects``; None when the person it
        concerns was erased (then nothing is kept: the text was given after their key was destroyed)."""
        ...

    def open(self, owner: str, context: str, seq: int, stored: str) -> str | None:
        """The plaintext sealed by :meth:`seal`; None once its owner was erased."""
        ...

    def erased(self, subjects: Sequence[str]) -> bool:
        """Whether the person whose key would seal texts about ``subjects`` was erased (so none are kept)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A block within which many texts are opened (the keys they need read at once)."""
        ...


_keeper: Keeper | None = None


def register_keeper(keeper: Keeper) -> None:
    global _keeper
    _keeper = keeper


def keeper() -> Keeper:
    if _keeper is None:
        raise RuntimeError("no keeper of ledger texts is registered (the register app is not installed)")
    return _keeper


def context(seq: int, path: str) -> str:
    """What a sealed text is bound to: a ciphertext copied to another entry or path does not open there."""
    return f"ledger.sealedtext|{int(seq)}|{path}"


# Events whose texts must outlive the person they concern: why an erasure was asked for (or withdrawn) is
# part of the record of the erasure itself, so it is sealed under the identity key, not under the data key
# the erasure destroys.
OUTLIVE_THE_PERSON = frozenset({"erasure.requested", "erasure.cancelled"})


def store(cursor: Any, seq: int, event: str, subjects: Sequence[str], held: Sequence[commitments.Held]) -> None:
    """Seal and insert the texts taken out of entry ``seq`` (inside the append's transaction)."""
    if event in OUTLIVE_THE_PERSON:
        subjects = ()
    rows: list[Any] = []
    for item in held:
        plaintext = json.dumps({"salt": item.salt.hex(), "text": item.text}, ensure_ascii=False)
        sealed = keeper().seal(subjects, context(seq, item.path), seq, plaintext)
        if sealed is not None:
            rows += [seq, item.path, sealed[0], sealed[1]]
    if rows:
        cursor.execute(f"{_INSERT} {', '.join(['(%s, %s, %s, %s)'] * (len(rows) // 4))}", rows)


def opened(seqs: Iterable[int]) -> dict[int, dict[str, tuple[str, str] | None]]:
    """For each entry of ``seqs``, each sealed path's (text, salt hex), or None once it cannot be opened."""
    wanted = sorted(set(seqs))
    found: dict[int, dict[str, tuple[str, str] | None]] = {seq: {} for seq in wanted}
    if not wanted:
        return found
    with connection.cursor() as cursor:
        cursor.execute(_SELECT.format(", ".join(["%s"] * len(wanted))), wanted)
        rows = cursor.fetchall()
    for seq, path, owner, stored in rows:
        plaintext = keeper().open(owner, context(seq, path), seq, stored)
        if plaintext is None:
            found[seq][path] = None
            continue
        held = json.loads(plaintext)
        found[seq][path] = (str(held["text"]), str(held["salt"]))
    return found


def revealed(seq: int, payload: dict[str, Any], texts: dict[str, tuple[str, str] | None]) -> dict[str, Any]:
    """``payload`` with its committed values put back from ``texts``; a value that cannot be opened any more
    (its person erased) reads as the erased marker."""
    schemes = commitments.paths(payload)
    values: dict[str, Any] = {}
    for path, held in texts.items():
        if held is not None and path in schemes:
            text = held[0]
            if not commitments.proves(text, held[1], schemes[path]):
                # The ciphertext is authenticated, so only someone holding the keys could have put this here.
                raise ValueError(f"the text kept for entry {seq}'s {path} is not the one its body commits to")
            values[path] = json.loads(text) if schemes[path].startswith(commitments.JSON_SCHEME + ":") else text
    return dict(commitments.substitute(payload, values, ERASED))


ERASED = "erased"  # as corridor.register.crypto.ERASED: what every reader is shown once the key is gone


@dataclass
class TextCheck:
    """What :func:`check_texts` found: how many committed texts opened and matched, how many cannot be
    opened (or were never kept) because their person was erased, and each problem, one line each."""

    matched: int = 0
    erased: int = 0
    problems: list[str] = field(default_factory=list)


_WITH_COMMITMENTS = "SELECT seq, body FROM ledger_entry WHERE seq > %s AND body LIKE %s ORDER BY seq LIMIT %s"
_UNCOMMITTED = (
    "SELECT s.seq, s.path FROM ledger_sealedtext s LEFT JOIN ledger_entry e ON e.seq = s.seq"
    " WHERE e.seq IS NULL OR e.body NOT LIKE %s ORDER BY s.seq, s.path"
)


def check_texts(batch: int = 2_000) -> TextCheck:
    """Hold every sealed text against the commitment its entry's body holds (``verify --deep``).

    Each commitment must have its sealed text, unless the person it is about was erased (their texts are
    then unreadable, or were never kept); each text that opens must be the one committed to (the HMAC under
    its salt); a text that does not open was altered, or moved from another entry, path or person. A
    sealed text no body commits to is named too. Problems name the entry and the path, never the text.
    """
    found = TextCheck()
    pattern = f"%{commitments.MARK}%"
    uncommitted: list[tuple[int, str]] = []
    last = 0
    with keeper().reading(), connection.cursor() as cursor:
        while True:
            cursor.execute(_WITH_COMMITMENTS, [last, pattern, batch])
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            seqs = [seq for seq, _ in rows]
            cursor.execute(_SELECT.format(", ".join(["%s"] * len(seqs))), seqs)
            stored = {(seq, path): (owner, sealed) for seq, path, owner, sealed in cursor.fetchall()}
            for seq, body in rows:
                _check_entry(seq, json.loads(body), stored, found)
            uncommitted += stored  # what is left was kept for a path its entry's body does not commit to
        cursor.execute(_UNCOMMITTED, [pattern])
        uncommitted += [(int(seq), str(path)) for seq, path in cursor.fetchall()]
    for seq, path in sorted(uncommitted):
        found.problems.append(f"entry {seq}: a sealed text is kept for {path}, which its body does not commit to")
    return found


def _check_entry(
    seq: int, fields: dict[str, Any], stored: dict[tuple[int, str], tuple[str, str]], found: TextCheck
) -> None:
    subjects = () if fields.get("type") in OUTLIVE_THE_PERSON else fields.get("subjects", ())
    for path, commitment in commitments.paths(fields.get("payload", {})).items():
        row = stored.pop((seq, path), None)
        if row is None:
            if keeper().erased(subjects):
                found.erased += 1
            else:
                found.problems.append(f"entry {seq}: the sealed text of {path} is missing")
            continue
        try:
            plaintext = keeper().open(row[0], context(seq, path), seq, row[1])
        except (RuntimeError, ValueError):  # the keeper's IdentityKeyError: altered, moved, or no such key
            found.problems.append(f"entry {seq}: the sealed text of {path} does not open (altered, or moved)")
            continue
        if plaintext is None:
            found.erased += 1
            continue
        try:
            held = json.loads(plaintext)
            proven = commitments.proves(str(held["text"]), str(held["salt"]), commitment)
        except (ValueError, KeyError, TypeError):
            proven = False
        if proven:
            found.matched += 1
        else:
            found.problems.append(f"entry {seq}: the sealed text of {path} does not match its commitment")
