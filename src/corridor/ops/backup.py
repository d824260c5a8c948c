"""Backups and restores that keep the ledger whole.

SQLite is copied with its online backup API (a consistent snapshot even while the server writes);
PostgreSQL with ``pg_dump`` inside an exported snapshot, so the head hash reported for the backup is
exactly the one in the file. A restore checks the file first, keeps a copy of the database it replaces,
and reports the restored head hash, which ``corridor verify`` prints again afterwards.

The attachment store goes beside the backup file, in ``FILE.attachments/``: its files are copied as
they are stored, sealed under the identity key, and a restore puts them back and then opens every file
the restored ledger names, checking it against its hash.

The identity key is not in a backup (it never is in the database): keep it, and its backups, apart.
Without it the sealed attachments cannot be read either.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_noop as _

from corridor.errors import Conflict, InvalidInput
from corridor.files import atomic_path
from corridor.ledger import canonical, guards

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class ToolMissing(InvalidInput):
    """A program the backup needs (pg_dump, pg_restore) is not installed."""


@dataclass(frozen=True)
class Snapshot:
    """What a backup holds: its ledger's length and head hash."""

    entries: int
    head: str

    def describe(self) -> str:
        return f"{self.entries} ledger entries, head {self.head}"


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def vendor() -> str:
    return str(connection.vendor)


def _sqlite_snapshot(db: sqlite3.Connection) -> Snapshot:
    """Verify the whole chain in an SQLite file and return its length and head."""
    rows = db.execute("SELECT seq, body, hash FROM ledger_entry ORDER BY seq")
    verdict = canonical.verify_rows(rows)
    if not verdict.ok:
        raise InvalidInput(
            _("the ledger in it does not verify: entry %(seq)s: %(problem)s"),
            code="backup.ledger_broken",
            seq=verdict.bad_seq,
            problem=verdict.problem,
        )
    return Snapshot(verdict.count, verdict.head_hash)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# ------------------------------------------------------------------------------------------- backup


def attachments_beside(path: Path) -> Path:
    """Where the attachment store of the backup ``path`` is kept: ``path.attachments/``."""
    return path.with_name(path.name + ".attachments")


def _copy_store(source: Path, target: Path, *, replace: bool) -> int:
    """Copy every stored object (``ab/abcdef…``) from ``source`` to ``target``, each written whole (a
    temporary name, fsync, rename); objects already there are kept unless ``replace``. Returns how many."""
    copied = 0
    if not source.is_dir():
        return 0
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for item in sorted(folder.iterdir()):
            if not item.is_file() or item.name.startswith("."):
                continue
            destination = target / folder.name / item.name
            if destination.exists() and not replace:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = destination.with_name("." + item.name + ".partial")
            shutil.copyfile(item, partial)
            os.chmod(partial, 0o400)
            _fsync(partial)
            os.replace(partial, destination)
            copied += 1
    return copied


def backup_attachments(out: Path) -> int:
    """Copy the attachment store (sealed, as stored) beside the backup ``out``; return the files copied."""
    from corridor.ledger.attachments import store_dir

    target = attachments_beside(out.expanduser())
    target.mkdir(exist_ok=True, mode=0o700)
    return _copy_store(store_dir(), target, replace=False)


def restore_attachments(path: Path) -> tuple[int, list[str]]:
    """Put back the attachment store kept beside the backup ``path``, then check every file the (restored)
    ledger names against its hash. Returns (files copied, problems: missing or damaged files)."""
    from corridor.ledger.attachments import check_store, store_dir

    copied = _copy_store(attachments_beside(path.expanduser()), store_dir(), replace=True)
    return copied, check_store()


def backup(out: Path) -> Snapshot:
    """Write a consistent copy of the database to ``out`` (never a half-written file under that name)."""
    out = out.expanduser()
    if out.is_dir():
        raise InvalidInput(
            _("%(path)s is a directory; name the file to write"), "out", code="backup.out_is_folder", path=str(out)
        )
    if not out.parent.is_dir():
        raise InvalidInput(
            _("the folder %(path)s does not exist"), "out", code="backup.no_folder", path=str(out.parent)
        )
    # Owner-only from the first byte: a backup holds everything the database does.
    with atomic_path(out, permissions=0o600, durable=True) as partial:
        return _backup_sqlite(partial) if vendor() == "sqlite" else _backup_postgresql(partial)


def _backup_sqlite(target: Path) -> Snapshot:
    source = sqlite3.connect(str(_database()["NAME"]))
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)
        # One self-contained file: no -wal beside it to forget when the backup is copied away.
        copy.execute("PRAGMA journal_mode=DELETE")
        problems = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if problems != "ok":  # pragma: no cover - the copy of a sound database is sound
            raise Conflict(
                _("the copy failed SQLite's integrity check: %(detail)s"), code="backup.copy_damaged", detail=problems
            )
        return _sqlite_snapshot(copy)
    finally:
        copy.close()
        source.close()


def _pg_environment() -> dict[str, str]:
    db = _database()
    environment = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            environment[variable] = str(db[key])
    options = db.get("OPTIONS") or {}
    if options.get("sslmode"):
        environment["PGSSLMODE"] = str(options["sslmode"])
    environment["PGDATABASE"] = str(db["NAME"])
    return environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            _(
                "%(tool)s is not installed, and PostgreSQL is backed up and restored with it; install PostgreSQL's "
                "client tools (on Debian: apt-get install postgresql-client) in the same major version as the server"
            ),
            code="backup.tool_missing",
            tool=name,
        )
    return found


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, env=_pg_environment(), capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise Conflict(
            _("%(tool)s failed: %(detail)s"),
            code="backup.tool_failed",
            tool=what,
            detail=detail[-1] if detail else f"exit {result.returncode}",
        )


def _backup_postgresql(target: Path) -> Snapshot:
    pg_dump = _tool("pg_dump")
    import psycopg

    environment = _pg_environment()
    # A REPEATABLE READ transaction exports its snapshot; pg_dump dumps exactly that snapshot, so the
    # head read here is the head in the file even while the server goes on appending.
    with psycopg.connect(
        dbname=environment["PGDATABASE"],
        host=environment.get("PGHOST"),
        port=environment.get("PGPORT"),
        user=environment.get("PGUSER"),
        password=environment.get("PGPASSWORD"),
    ) as pg:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = pg.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        rows = pg.execute("SELECT seq, body, hash FROM ledger_entry ORDER BY seq")
        verdict = canonical.verify_rows((int(s), str(b), str(h)) for s, b, h in rows)
        if not verdict.ok:
            raise InvalidInput(
                _("the ledger does not verify: entry %(seq)s: %(problem)s"),
                code="backup.ledger_broken",
                seq=verdict.bad_seq,
                problem=verdict.problem,
            )
        options = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}"]
        _run([pg_dump, *options, "-f", str(target)], "pg_dump")
        pg.execute("COMMIT")
    return Snapshot(verdict.count, verdict.head_hash)


# ------------------------------------------------------------------------------------------ restore


def kind_of(path: Path) -> str:
    """ "sqlite" or "postgresql" by the file's first bytes; InvalidInput for anything else."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise InvalidInput(
            _("cannot read %(path)s: %(detail)s"), "file", code="backup.unreadable", path=str(path), detail=exc.strerror
        ) from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise InvalidInput(
        _("%(path)s is not a Corridor backup (neither an SQLite file nor a pg_dump archive)"),
        "file",
        code="backup.not_a_backup",
        path=str(path),
    )


def inspect_sqlite(path: Path) -> Snapshot:
    """Check an SQLite backup file without changing it: sound, a Corridor database, ledger verifies."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(
            _("%(path)s cannot be opened: %(detail)s"),
            "file",
            code="backup.unopenable",
            path=str(path),
            detail=str(exc),
        ) from None
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise InvalidInput(
                _("%(path)s is damaged (SQLite's integrity check fails)"), "file", code="backup.damaged", path=str(path)
            )
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"ledger_entry", "django_migrations"} <= tables:
            raise InvalidInput(
                _("%(path)s is an SQLite file but not a Corridor database"),
                "file",
                code="backup.not_corridor",
                path=str(path),
            )
        snapshot = _sqlite_snapshot(db)
        _check_guarded(path, guards.sqlite_query(db), "sqlite", snapshot)
        return snapshot
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(
            _("%(path)s is damaged: %(detail)s"), "file", code="backup.damaged", path=str(path), detail=str(exc)
        ) from None
    finally:
        db.close()


def _check_guarded(path: Path, query: guards.Query, kind: str, snapshot: Snapshot) -> None:
    """Refuse a backup whose ledger guards differ from what the migrations create, or whose chain
    contradicts a signed checkpoint (its own, or one in this data directory): InvalidInput, nothing replaced."""
    applied = {str(name) for (name,) in query("SELECT name FROM django_migrations WHERE app = %s", ["ledger"])}
    problems = guards.guard_problems(query, kind, applied=applied)
    if problems:
        raise InvalidInput(
            _(
                "%(path)s is refused: its ledger is not guarded as the migrations leave it (%(problems)s); "
                "nothing was replaced"
            ),
            "file",
            code="backup.unguarded",
            path=str(path),
            problems="; ".join(problems),
        )
    verdict = guards.check_against_checkpoints(
        query, canonical.Verdict(True, snapshot.entries, snapshot.head), data_dir=Path(settings.DATA_DIR)
    )
    if not verdict.ok:
        if verdict.bad_seq is not None:
            raise InvalidInput(
                _("%(path)s is refused: its ledger does not verify: entry %(seq)s: %(problem)s; nothing was replaced"),
                "file",
                code="backup.contradicts_checkpoint",
                path=str(path),
                seq=verdict.bad_seq,
                problem=verdict.problem,
            )
        raise InvalidInput(
            _("%(path)s is refused: its ledger does not verify: %(problem)s; nothing was replaced"),
            "file",
            code="backup.contradicts_checkpoint",
            path=str(path),
            problem=verdict.problem,
        )


def inspect_postgresql(path: Path) -> Snapshot:
    """Check a pg_dump archive without touching the database: restore it into a scratch database, check
    it there as :func:`inspect_sqlite` does, and drop the scratch database."""
    import psycopg

    pg_restore = _tool("pg_restore")
    environment = _pg_environment()
    scratch = f"corridor_restore_check_{secrets.token_hex(6)}"
    params: dict[str, Any] = {
        "host": environment.get("PGHOST"),
        "port": environment.get("PGPORT"),
        "user": environment.get("PGUSER"),
        "password": environment.get("PGPASSWORD"),
    }
    try:
        admin = psycopg.connect(dbname=environment["PGDATABASE"], autocommit=True, **params)
    except psycopg.Error as exc:
        raise Conflict(
            _("cannot connect to PostgreSQL to check the backup: %(detail)s"),
            code="backup.no_connection",
            detail=str(exc),
        ) from None
    with admin:
        try:
            admin.execute(f'CREATE DATABASE "{scratch}"')
        except psycopg.Error as exc:
            raise Conflict(
                _(
                    "a PostgreSQL backup is checked in a scratch database before anything is replaced, and this role "
                    "cannot create one (%(detail)s): grant it CREATEDB; nothing was replaced"
                ),
                code="backup.no_createdb",
                detail=str(exc).strip(),
            ) from None
        try:
            args = ["--no-owner", "--no-privileges", "--exit-on-error", "-d", scratch, str(path)]
            try:
                _run([pg_restore, *args], "pg_restore")
            except Conflict as exc:
                raise InvalidInput(
                    _("%(path)s is damaged: %(reason)s; nothing was replaced"),
                    "file",
                    code="backup.damaged",
                    path=str(path),
                    reason=exc,
                ) from None
            with psycopg.connect(dbname=scratch, **params) as db:
                query = guards.psycopg_query(db)
                tables = {
                    str(r[0]) for r in query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", [])
                }
                if not {"ledger_entry", "django_migrations"} <= tables:
                    raise InvalidInput(
                        _("%(path)s is a pg_dump archive but not of a Corridor database"),
                        "file",
                        code="backup.not_corridor",
                        path=str(path),
                    )
                rows = query("SELECT seq, body, hash FROM ledger_entry ORDER BY seq", [])
                verdict = canonical.verify_rows((int(seq), str(body), str(digest)) for seq, body, digest in rows)
                if not verdict.ok:
                    raise InvalidInput(
                        _("the ledger in it does not verify: entry %(seq)s: %(problem)s"),
                        "file",
                        code="backup.ledger_broken",
                        seq=verdict.bad_seq,
                        problem=verdict.problem,
                    )
                snapshot = Snapshot(verdict.count, verdict.head_hash)
                _check_guarded(path, query, "postgresql", snapshot)
                return snapshot
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def current_entries() -> int:
    from corridor.ledger.models import Entry

    try:
        return Entry.objects.count()
    except Exception:  # no ledger table yet: an empty, unmigrated database
        return 0


def restore(path: Path, *, replace: bool) -> tuple[Snapshot, Path | None]:
    """Replace the database with the backup at ``path``.

    Refuses (writing nothing) when the file is not a sound Corridor backup for this database engine,
    when its ledger's append-only triggers, constraints or generated columns differ from what the
    migrations create, when its chain does not verify or contradicts a signed checkpoint (its own or
    one in this data directory), or when the database already holds ledger entries and ``replace`` is
    not given. With ``replace``, the current database is first backed up into the data directory.
    Returns (what was restored, where the replaced database was saved).
    """
    path = path.expanduser()
    kind = kind_of(path)
    if kind != vendor():
        raise InvalidInput(
            _("%(path)s is a %(kind)s backup but this Corridor uses %(vendor)s"),
            "file",
            code="backup.other_engine",
            path=str(path),
            kind=kind,
            vendor=vendor(),
        )
    existing = current_entries()
    if existing and not replace:
        raise Conflict(
            _(
                "the database already holds %(count)s ledger entries; pass --replace to overwrite it "
                "(a copy of it is saved in the data directory first)"
            ),
            code="backup.not_empty",
            count=existing,
        )
    snapshot = inspect_sqlite(path) if kind == "sqlite" else inspect_postgresql(path)
    saved = None
    if existing:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = ".sqlite3" if kind == "sqlite" else ".dump"
        saved = Path(settings.DATA_DIR) / f"before-restore-{stamp}{suffix}"
        backup(saved)
    connection.close()
    if kind == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgresql(path)
    return snapshot, saved


def _restore_sqlite(path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(str(_database()["NAME"]), timeout=30)
    try:
        # The backup API replaces every page of the target in one step, under its write lock.
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _restore_postgresql(path: Path) -> None:
    pg_restore = _tool("pg_restore")
    # One transaction: the old tables are dropped and the backup's created, or nothing changes.
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            _pg_environment()["PGDATABASE"],
            str(path),
        ],
        "pg_restore",
    )
