"""``corridor check-deploy``: Django's deployment checks plus Corridor's own.

A finding is an *error* (the deployment is unsafe or broken: exit 1) or a *warning* (worth fixing,
printed; ``--strict`` makes it fail too). Django's security warnings count as errors, except the two
HSTS options that commit a whole domain (subdomains, preload), which are the operator's call.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ADVISORY = {"security.W005", "security.W021"}


@dataclass(frozen=True)
class Finding:
    level: str  # "error" or "warning"
    code: str
    message: str

    def line(self) -> str:
        return f"{self.level.upper():<7} {self.code}: {self.message}"


def django_findings() -> list[Finding]:
    found = []
    for message in checks.run_checks(include_deployment_checks=True):
        if message.level < checks.WARNING or message.is_silenced():
            continue
        level = "warning" if message.id in ADVISORY else "error"
        text = str(message.msg) + (f" ({message.hint})" if message.hint else "")
        found.append(Finding(level, str(message.id), " ".join(text.split())))
    return found


def _public_hosts() -> list[str]:
    return [h for h in settings.ALLOWED_HOSTS if h not in LOCAL_HOSTS]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def corridor_findings() -> list[Finding]:
    """Corridor's own checks: keys, files, database, ledger."""
    found: list[Finding] = []
    public = _public_hosts()
    found += _secret_key(public)
    found += _identity_key(public)
    found += _data_dir()
    found += _database()
    if "*" in settings.ALLOWED_HOSTS:
        found.append(Finding("error", "corridor.E004", "CORRIDOR_ALLOWED_HOSTS contains '*': name the host names"))
    return found


def _secret_key(public: list[str]) -> list[Finding]:
    generated = not (os.environ.get("CORRIDOR_SECRET_KEY") or os.environ.get("CORRIDOR_SECRET_KEY_FILE"))
    if generated and not settings.DEBUG and public:
        return [
            Finding(
                "error",
                "corridor.E001",
                f"the secret key is the one generated into the data directory, and the server answers to "
                f"{', '.join(public)}: set CORRIDOR_SECRET_KEY_FILE to a file kept outside the data directory",
            )
        ]
    return []


def _identity_key(public: list[str]) -> list[Finding]:
    from corridor.register.crypto import IdentityKeyError, key_id, key_ids_in_use, keyring

    found = []
    try:
        keyring()
    except (IdentityKeyError, ValueError) as exc:
        return [Finding("error", "corridor.E010", f"the identity key cannot be used: {exc}")]
    configured = {key_id(k) for k in settings.IDENTITY_KEYS}
    try:
        in_use = key_ids_in_use()
    except Exception as exc:  # no table yet: reported by the migrations check
        in_use = {}
        found.append(Finding("warning", "corridor.W011", f"identity rows could not be read: {exc}"))
    missing = sorted(k for k in in_use if k not in configured)
    if missing:
        found.append(
            Finding(
                "error",
                "corridor.E011",
                f"identity fields are encrypted with key(s) {', '.join(missing)} which are not configured: "
                "those names cannot be read; restore the key (CORRIDOR_IDENTITY_KEY or the identity_key file)",
            )
        )
    file_name = os.environ.get("CORRIDOR_IDENTITY_KEY_FILE")
    if file_name and _mode(Path(file_name)) & 0o077:
        found.append(Finding("error", "corridor.E012", f"{file_name} can be read by other users: chmod 600 it"))
    if settings.IDENTITY_KEY_ORIGIN == "data-dir" and public:
        found.append(
            Finding(
                "warning",
                "corridor.W013",
                "the identity key is kept in the data directory, beside the database: a copy of that directory "
                "holds both; set CORRIDOR_IDENTITY_KEY_FILE to a file kept elsewhere (and back it up apart)",
            )
        )
    old = [k for k in in_use if k in configured and k != key_id(settings.IDENTITY_KEYS[0])]
    if old:
        found.append(
            Finding(
                "warning",
                "corridor.W014",
                f"some identity fields still use the older key(s) {', '.join(sorted(old))}: run "
                "`corridor rotate-identity-key` to finish a rotation",
            )
        )
    return found


def _data_dir() -> list[Finding]:
    data_dir = Path(settings.DATA_DIR)
    found = []
    if not data_dir.is_dir():
        return [Finding("error", "corridor.E020", f"the data directory {data_dir} does not exist")]
    if _mode(data_dir) & 0o022:
        found.append(Finding("error", "corridor.E021", f"{data_dir} can be written by other users: chmod go-w it"))
    if _mode(data_dir) & 0o005:
        found.append(
            Finding("warning", "corridor.W022", f"{data_dir} can be listed by any user on the machine: chmod o-rx it")
        )
    for name in ("secret_key", "identity_key", "corridor.sqlite3", "demo-logins.txt"):
        path = data_dir / name
        if path.exists() and _mode(path) & 0o077:
            found.append(Finding("error", "corridor.E023", f"{path} can be read by other users: chmod 600 it"))
    return found


def _database() -> list[Finding]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    found = []
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return [Finding("error", "corridor.E030", f"the database cannot be reached: {exc}")]
    if pending:
        found.append(
            Finding("error", "corridor.E031", f"{len(pending)} migration(s) not applied: run `corridor migrate`")
        )
        return found
    from corridor.ledger.guards import database_problems
    from corridor.ledger.services import verify

    for problem in database_problems():
        found.append(Finding("error", "corridor.E035", f"the ledger is not guarded: {problem}"))
    verdict = verify()
    if not verdict.ok:
        found.append(
            Finding(
                "error",
                "corridor.E032",
                "the ledger does not verify: "
                + (f"entry {verdict.bad_seq}: " if verdict.bad_seq is not None else "")
                + str(verdict.problem),
            )
        )
    workers = int(getattr(settings, "WORKERS", 1))
    if connection.vendor == "sqlite" and workers > 1:
        found.append(
            Finding(
                "warning",
                "corridor.W033",
                f"SQLite with {workers} workers (CORRIDOR_WORKERS): writes queue on one lock; for several workers "
                "under real load use PostgreSQL (CORRIDOR_DATABASE_URL)",
            )
        )
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        found.append(
            Finding("warning", "corridor.W034", "pg_dump is not installed, so `corridor backup` cannot run here")
        )
    return found


def run_all() -> list[Finding]:
    return [*django_findings(), *corridor_findings()]
