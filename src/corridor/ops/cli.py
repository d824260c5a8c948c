"""Operations commands: backup, restore, check-deploy, rotate-identity-key."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from corridor.cli import UserError, with_django


@click.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The file to write.")
@with_django
def backup(out: Path) -> None:
    """Copy the database to FILE while it runs: SQLite's online backup, or pg_dump for PostgreSQL.

    Operator only: the copy holds everything, free text and sealed attachments included (docs/privacy.md).
    """
    from django.conf import settings

    from corridor.ops.backup import attachments_beside, backup_attachments
    from corridor.ops.backup import backup as make_backup
    from corridor.register.crypto import key_id

    snapshot = make_backup(out)
    click.echo(f"backed up {snapshot.describe()} to {out}")
    copied = backup_attachments(out)
    click.echo(f"attachment store copied to {attachments_beside(out)} ({copied} new files)")
    click.echo(
        f"the identity key ({key_id(settings.IDENTITY_KEYS[0])}) is not in the backup: keep it, and a copy of it, "
        "apart from the backup, or the names in it cannot be read",
        err=True,
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds records (it is saved first).")
@with_django
def restore(file: Path, replace: bool) -> None:
    """Replace the database with backup FILE (stop the server first). Prints the restored head hash.

    Operator only (docs/privacy.md).
    """
    from django.db.migrations.executor import MigrationExecutor

    from corridor.ledger.services import verify
    from corridor.ops.backup import restore as do_restore

    expected, saved = do_restore(file, replace=replace)
    if saved is not None:
        click.echo(f"the database it replaced is saved in {saved}", err=True)
    verdict = verify()
    if not verdict.ok:
        where = f"entry {verdict.bad_seq}: " if verdict.bad_seq is not None else ""
        click.echo(f"BROKEN after restore: {where}{verdict.problem}", err=True)
        sys.exit(1)
    if expected is not None and (verdict.count, verdict.head_hash) != (expected.entries, expected.head):
        found = f"{verdict.count} entries, head {verdict.head_hash}"
        raise UserError(f"restored {found}; the file held {expected.describe()}")
    click.echo(f"restored {verdict.count} ledger entries, head {verdict.head_hash}")
    from corridor.ops.backup import restore_attachments

    copied, problems = restore_attachments(file)
    for problem in problems:
        click.echo(f"BROKEN after restore: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"restored {copied} attachment files; every attached file matches its hash")
    from django.db import connection

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        click.echo("the backup is from an older version: run `corridor migrate` before serving it", err=True)


@click.command("check-deploy")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@with_django
def check_deploy(strict: bool) -> None:
    """Django's deployment checks plus Corridor's (keys, file permissions, database, ledger). Exit 1 on an error."""
    from corridor.ops.deploy import run_all

    findings = run_all()
    for finding in findings:
        click.echo(finding.line())
    errors = [f for f in findings if f.level == "error"]
    warnings = [f for f in findings if f.level == "warning"]
    if errors or (strict and warnings):
        click.echo(f"{len(errors)} error(s), {len(warnings)} warning(s): not ready to deploy", err=True)
        sys.exit(1)
    click.echo(f"ready to deploy ({len(warnings)} warning(s))")


@click.command("rotate-identity-key")
@with_django
def rotate_identity_key() -> None:
    """Re-encrypt every patient identity under a new key (see docs/cli.md for keys set in the environment)."""
    from corridor.ops.keys import rotate

    rotation = rotate()
    click.echo(f"re-encrypted {rotation.rows} identities under key {rotation.key}")
    click.echo(f"resealed {rotation.attachments} attachment files under key {rotation.key}")
    if rotation.origin == "environment" and rotation.retired:
        click.echo(
            f"no identity needs key(s) {', '.join(rotation.retired)} any more: remove them from CORRIDOR_IDENTITY_KEY",
            err=True,
        )
