"""The ledger's own guards: the database objects that keep it append-only, and the signed checkpoints
that pin its history.

Two questions, asked by ``corridor verify``, ``corridor restore``, ``corridor check-deploy`` and the
start-up of ``corridor serve --production``, all through this module:

* **Are the guards in place?** :func:`guard_problems` compares the database with what the migrations
  create: the triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on the ledger, its
  subject index and its Merkle tree; the unique constraints on ``hash`` and ``prev_hash`` that stop a
  fork; and the generated columns (a plain ``prev_hash`` column could claim links the bodies do not make,
  and the routine check trusts that column).
* **Does the chain agree with every signed checkpoint?** :func:`against_checkpoints` reads every
  checkpoint recorded in the ledger, every ``checkpoints/*.txt`` in the data directory and any file the
  caller names, and compares each one's head with the chain. A chain that verifies on its own can still
  be a rewrite (triggers dropped, bodies and hashes recomputed); a checkpoint signed before the rewrite
  cannot be recomputed without the signing key, so the rewrite contradicts it. When the stored Merkle
  tree still matches the signed root, it is used to find the first rewritten entry; otherwise the entry
  the checkpoint's head names is reported, which is at or after the first rewritten one.

Both work on any connection through a small ``Query`` function, so ``restore`` can ask them about a
backup before anything is replaced.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corridor.ledger import canonical, checkpoints, merkle

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

CHECKPOINT_TYPE = "checkpoint.signed"
TREE_INDEX_BITS = 40
_BATCH = 20_000

ENTRY_MESSAGE = "ledger entries are append-only: record a correction instead"
TREE_MESSAGE = "Merkle tree nodes are append-only: they never change once computed"
GUARDED_TABLES = {"ledger_entry": ENTRY_MESSAGE, "ledger_subject": ENTRY_MESSAGE, "ledger_treenode": TREE_MESSAGE}
GENERATED_COLUMNS = (
    "type",
    "occurred_at",
    "recorded_at",
    "recorded_by",
    "source",
    "certainty",
    "corrects",
    "prev_hash",
)
UNIQUE_CONSTRAINTS = {
    "ledger_entry_hash_unique": ("ledger_entry", "hash"),
    "ledger_entry_prev_hash_unique": ("ledger_entry", "prev_hash"),
}
# pg_trigger.tgtype bits: ROW 1, BEFORE 2, DELETE 8, UPDATE 16, TRUNCATE 32.
_PG_ROW_BEFORE_UPDATE_DELETE = 1 | 2 | 8 | 16
_PG_STATEMENT_BEFORE_TRUNCATE = 2 | 32
_PG_FUNCTIONS = {
    "ledger_entry": "corridor_ledger_append_only",
    "ledger_subject": "corridor_ledger_append_only",
    "ledger_treenode": "corridor_ledger_tree_append_only",
}


# --- connections ------------------------------------------------------------------------------------


def django_query() -> Query:
    """Queries on Django's default connection."""
    from django.db import connection

    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())

    return run


def sqlite_query(db: sqlite3.Connection) -> Query:
    """Queries on an SQLite file opened with the standard library (a backup being inspected)."""

    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return list(db.execute(sql.replace("%s", "?"), list(params)).fetchall())

    return run


def psycopg_query(db: Any) -> Query:
    """Queries on a psycopg connection (a backup restored into a scratch database to be inspected)."""

    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return list(db.execute(sql, list(params)).fetchall())

    return run


def vendor_of_django() -> str:
    from django.db import connection

    return str(connection.vendor)


# --- the append-only guards -------------------------------------------------------------------------


def sqlite_trigger_sql(table: str, action: str) -> str:
    """The exact statement migrations 0002 and 0003 run for ``table`` and ``action`` on SQLite."""
    return (
        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{GUARDED_TABLES[table]}'); END"
    )


# Which ledger migration creates the guards of each table: a backup taken before it ran lacks them rightly.
_CREATED_BY = {
    "ledger_entry": "0002_append_only",
    "ledger_subject": "0002_append_only",
    "ledger_treenode": "0003_tree_nodes",
}


def guard_problems(query: Query, vendor: str, *, applied: set[str] | None = None) -> list[str]:
    """What differs from the guards the migrations create: empty when every one is in place.

    ``applied`` names the ledger migrations the database records as applied (default: all of them), so
    that an older backup is not faulted for guards its migrations had not created yet.
    """
    if vendor == "sqlite":
        problems = _sqlite_problems(query)
    elif vendor == "postgresql":
        problems = _postgresql_problems(query)
    else:  # pragma: no cover
        return [f"Corridor supports SQLite and PostgreSQL, not {vendor}"]
    if applied is None:
        return problems
    expected = [table for table, migration in _CREATED_BY.items() if migration in applied]
    return [p for p in problems if any(f" {table}" in p or f"{table}_" in p or f"{table}." in p for table in expected)]


def _sqlite_problems(query: Query) -> list[str]:
    marks = ",".join(["%s"] * len(GUARDED_TABLES))
    rows = query(
        f"SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name IN ({marks})", list(GUARDED_TABLES)
    )
    triggers = {name: (table, sql) for kind, name, table, sql in rows if kind == "trigger"}
    tables = {name: sql or "" for kind, name, _, sql in rows if kind == "table"}
    problems = []
    for table in GUARDED_TABLES:
        if table not in tables:
            problems.append(f"the table {table} is missing")
            continue
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            found = triggers.get(name)
            if found is None:
                problems.append(f"the trigger {name} is missing: {table} accepts {action}")
            elif found != (table, sqlite_trigger_sql(table, action)):
                problems.append(f"the trigger {name} is not the one the migrations create")
    entry = " ".join(tables.get("ledger_entry", "").split())
    for column in GENERATED_COLUMNS:
        if f'"{column}"' in entry and f"GENERATED ALWAYS AS (json_extract(\"body\", '$.{column}')) STORED" not in entry:
            problems.append(f"ledger_entry.{column} is not generated from the body")
    for name, (table, column) in UNIQUE_CONSTRAINTS.items():
        if table in tables and f'CONSTRAINT "{name}" UNIQUE ("{column}")' not in entry:
            problems.append(f"the unique constraint {name} on {table}.{column} is missing")
    return problems


def _postgresql_problems(query: Query) -> list[str]:
    rows = query(
        "SELECT c.relname, t.tgname, t.tgtype, t.tgenabled, p.proname, p.prosrc "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) AND c.relnamespace = to_regnamespace(current_schema())",
        [list(GUARDED_TABLES)],
    )
    triggers = {
        str(name): (str(table), int(kind), str(enabled), str(function), str(source))
        for table, name, kind, enabled, function, source in rows
    }
    present = {
        str(r[0])
        for r in query(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
            "AND relnamespace = to_regnamespace(current_schema())",
            [list(GUARDED_TABLES)],
        )
    }
    problems = []
    for table, message in GUARDED_TABLES.items():
        if table not in present:
            problems.append(f"the table {table} is missing")
            continue
        for suffix, kind, what in (
            ("append_only", _PG_ROW_BEFORE_UPDATE_DELETE, "UPDATE and DELETE"),
            ("no_truncate", _PG_STATEMENT_BEFORE_TRUNCATE, "TRUNCATE"),
        ):
            name = f"{table}_{suffix}"
            found = triggers.get(name)
            if found is None:
                problems.append(f"the trigger {name} is missing: {table} accepts {what}")
                continue
            on, tgtype, enabled, function, source = found
            if enabled not in ("O", "A"):
                problems.append(f"the trigger {name} is disabled: {table} accepts {what}")
            elif on != table or tgtype != kind or function != _PG_FUNCTIONS[table] or message not in source:
                problems.append(f"the trigger {name} is not the one the migrations create")
    generated = {
        str(column): (str(state), str(expression or ""))
        for column, state, expression in query(
            "SELECT column_name, is_generated, generation_expression FROM information_schema.columns "
            "WHERE table_name = 'ledger_entry' AND table_schema = current_schema()",
            [],
        )
    }
    for column in GENERATED_COLUMNS:
        state, expression = generated.get(column, ("NEVER", ""))
        if "ledger_entry" in present and (state != "ALWAYS" or f"'{column}'" not in expression):
            problems.append(f"ledger_entry.{column} is not generated from the body")
    constraints = {
        str(name): (str(table), str(kind), str(definition))
        for name, table, kind, definition in query(
            "SELECT con.conname, c.relname, con.contype, pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_class c ON c.oid = con.conrelid WHERE c.relname = 'ledger_entry' "
            "AND c.relnamespace = to_regnamespace(current_schema())",
            [],
        )
    }
    for name, (table, column) in UNIQUE_CONSTRAINTS.items():
        if "ledger_entry" in present and constraints.get(name) != (table, "u", f"UNIQUE ({column})"):
            problems.append(f"the unique constraint {name} on {table}.{column} is missing")
    return problems


def database_problems() -> list[str]:
    """:func:`guard_problems` for the database Django is connected to."""
    return guard_problems(django_query(), vendor_of_django())


# --- checkpoints against the chain ------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A signed checkpoint, as a claim about the chain, and where it was found."""

    where: str
    checkpoint: checkpoints.Checkpoint

    def describe(self) -> str:
        point = self.checkpoint
        return f"the checkpoint of {point.size} entries signed at {point.time} ({self.where})"


def stored_notes(query: Query) -> list[tuple[str, str]]:
    """(where, note) for every checkpoint recorded in the ledger."""
    found = []
    for seq, body in query("SELECT seq, body FROM ledger_entry WHERE type = %s ORDER BY seq", [CHECKPOINT_TYPE]):
        try:
            note = json.loads(body)["payload"]["note"]
        except (ValueError, KeyError, TypeError):
            note = None
        found.append((f"ledger entry {seq}", note if isinstance(note, str) else ""))
    return found


def file_notes(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(where, note) for checkpoint files; an unreadable one is kept as an empty note, to be refused."""
    found = []
    for path in paths:
        try:
            found.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            found.append((str(path), ""))
    return found


def data_dir_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "checkpoints").glob("checkpoint-*.txt"))


def read_anchors(
    notes: Iterable[tuple[str, str]], key: checkpoints.VerifierKey | None
) -> tuple[list[Anchor], str | None]:
    """Parse (and, given this ledger's key, authenticate) each note. Returns the anchors, or the first refusal.

    A note for this ledger's log must carry a valid signature by its key; a note for another log (an
    earlier key) is compared on what it says, since a contradiction is a contradiction whoever signed.
    """
    anchors = []
    for where, note in notes:
        try:
            point = checkpoints.parse(note)[0]
            if key is not None and point.origin == key.name:
                checkpoints.verify(note, key)
        except checkpoints.CheckpointError as exc:
            return [], f"{where} holds a checkpoint that does not verify: {exc}"
        anchors.append(Anchor(where, point))
    return anchors, None


def _hash_of(query: Query, seq: int) -> str | None:
    if seq == 0:
        return canonical.GENESIS_HASH
    rows = query("SELECT hash FROM ledger_entry WHERE seq = %s", [seq])
    return str(rows[0][0]) if rows else None


def against_checkpoints(query: Query, verdict: canonical.Verdict, anchors: Sequence[Anchor]) -> canonical.Verdict:
    """The chain's verdict, unless a checkpoint contradicts it: then the first entry that does.

    Call with the verdict of a chain that verifies on its own. Given that, entry N's hash commits to
    entries 1 to N, so a checkpoint's head alone says whether those entries are the ones it signed.
    """
    if not verdict.ok:
        return verdict
    count = verdict.count
    for anchor in sorted(anchors, key=lambda a: a.checkpoint.size):
        point = anchor.checkpoint
        if point.size > count:
            problem = f"missing: {anchor.describe()} vouches for {point.size} entries, the ledger holds {count}"
            return canonical.Verdict(False, count, verdict.head_hash, count + 1, problem)
        if _hash_of(query, point.size) == point.head:
            continue
        first, exact = first_rewritten(query, point)
        if exact:
            problem = (
                f"contradicts {anchor.describe()}: this entry and every later one were rewritten (entry "
                f"{first - 1} may be too: the signed tree covers the two together)"
            )
        else:
            problem = f"contradicts {anchor.describe()}: its hash is not the signed head; the history was rewritten"
        return canonical.Verdict(False, count, verdict.head_hash, first, problem)
    return verdict


def _subtree_hash(query: Query, level: int, index: int) -> bytes:
    """The hash of a perfect subtree computed from the bodies as they are now."""
    start, end = index << level, (index + 1) << level
    builder = merkle.RootBuilder()
    while start < end:
        rows = query(
            "SELECT body FROM ledger_entry WHERE seq > %s AND seq <= %s ORDER BY seq", [start, min(end, start + _BATCH)]
        )
        if not rows:
            break
        for (body,) in rows:
            builder.append(merkle.leaf_hash(str(body).encode("utf-8")))
        start += len(rows)
    return builder.root()


def _stored(query: Query, nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
    wanted = [level << TREE_INDEX_BITS | index for level, index in nodes]
    if not wanted:
        return {}
    marks = ",".join(["%s"] * len(wanted))
    rows = query(f"SELECT node, hash FROM ledger_treenode WHERE node IN ({marks})", wanted)
    mask = (1 << TREE_INDEX_BITS) - 1
    return {(int(node) >> TREE_INDEX_BITS, int(node) & mask): bytes(value) for node, value in rows}


def first_rewritten(query: Query, point: checkpoints.Checkpoint) -> tuple[int, bool]:
    """(entry, exact): the first entry that differs from what ``point`` signed.

    The chain verifies, so a rewritten entry forces every later one to change too (each names its
    predecessor's hash): the rewritten entries are a suffix. The stored perfect subtree hashes are
    trusted only when they fold to the signed root; then the leftmost subtree whose recomputed hash
    differs is followed down to a pair of entries, of which the second is certainly rewritten. Without
    a trustworthy tree, the checkpoint's last entry is named: its hash is not the signed head.
    """
    fallback = (point.size, False)
    parts = merkle.perfect_parts(0, point.size) if point.size else []
    if not parts or parts[-1][0] == 0:  # an odd last leaf: the stored tree cannot be checked against the root
        return fallback
    stored = _stored(query, parts)
    if len(stored) != len(parts) or merkle.fold([stored[p] for p in parts]) != point.root:
        return fallback
    for level, index in parts:
        if _subtree_hash(query, level, index) == stored[(level, index)]:
            continue
        authentic = stored[(level, index)]
        while level > 1:
            left, right = (level - 1, 2 * index), (level - 1, 2 * index + 1)
            children = _stored(query, [left, right])
            if len(children) != 2 or merkle.node_hash(children[left], children[right]) != authentic:
                return ((index + 1) << level, False)
            if _subtree_hash(query, *left) != children[left]:
                level, index, authentic = left[0], left[1], children[left]
            else:
                level, index, authentic = right[0], right[1], children[right]
        return (2 * index + 2, True)
    return fallback


def signing_verifier_key() -> checkpoints.VerifierKey | None:
    """This ledger's verifier key, from its signing key if there is one (never creating one)."""
    from corridor.ledger.signing import signing_key_path

    path = signing_key_path()
    if not path.exists():
        return None
    try:
        return checkpoints.verifier_key_for(checkpoints.load_private_key(path))
    except checkpoints.CheckpointError:
        return None


def roots_against_checkpoints(query: Query, verdict: canonical.Verdict, anchors: Sequence[Anchor]) -> canonical.Verdict:
    """The deep check: each checkpoint's Merkle root recomputed from the bodies, in one pass.

    With the heads matching, the entries are those signed; a root that differs then means the signed
    tree was not the tree of those entries (a fault of the signer, or a note made elsewhere).
    """
    if not verdict.ok or not anchors:
        return verdict
    wanted: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        wanted.setdefault(anchor.checkpoint.size, []).append(anchor)
    for anchor in wanted.get(0, []):
        if anchor.checkpoint.root != merkle.EMPTY_ROOT:
            return canonical.Verdict(False, verdict.count, verdict.head_hash, None, f"{anchor.describe()}: wrong root")
    builder, last, highest = merkle.RootBuilder(), 0, max(wanted)
    while last < highest:
        rows = query(
            "SELECT seq, body FROM ledger_entry WHERE seq > %s AND seq <= %s ORDER BY seq",
            [last, min(highest, last + _BATCH)],
        )
        if not rows:
            break
        for seq, body in rows:
            builder.append(merkle.leaf_hash(str(body).encode("utf-8")))
            last = int(seq)
            for anchor in wanted.get(last, []):
                if anchor.checkpoint.root != builder.root():
                    problem = f"the Merkle root of entries 1 to {last} is not the one signed in {anchor.describe()}"
                    return canonical.Verdict(False, verdict.count, verdict.head_hash, last, problem)
    return verdict


def check_against_checkpoints(
    query: Query, verdict: canonical.Verdict, *, data_dir: Path, extra: Sequence[Path] = (), deep: bool = False
) -> canonical.Verdict:
    """``verdict`` checked against every checkpoint in the database, in ``data_dir`` and in ``extra``;
    with ``deep``, each checkpoint's Merkle root is recomputed from the bodies as well."""
    if not verdict.ok:
        return verdict
    notes = [*stored_notes(query), *file_notes(data_dir_files(data_dir)), *file_notes(extra)]
    anchors, refusal = read_anchors(notes, signing_verifier_key())
    if refusal is not None:
        return canonical.Verdict(False, verdict.count, verdict.head_hash, None, refusal)
    verdict = against_checkpoints(query, verdict, anchors)
    return roots_against_checkpoints(query, verdict, anchors) if deep else verdict
