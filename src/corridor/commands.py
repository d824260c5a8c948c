"""CLI sub-commands that work on the database. Each parses its arguments, calls services, prints."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import click

from corridor.cli import READ_AS, UserError, migrate_database, reader, with_django
from corridor.files import atomic_open


@click.command()
@with_django
def migrate() -> None:
    """Create or upgrade the database, the roles and the default priority classes."""
    from corridor.ledger.guards import database_problems

    migrate_database(verbosity=1)
    # Migrations already applied are not run again, so a trigger dropped since is not put back here:
    # say so rather than report a ready database (docs/deploy.md, "The ledger's guards").
    problems = database_problems()
    for problem in problems:
        click.echo(f"UNGUARDED: {problem}", err=True)
    if problems:
        raise UserError("the database is migrated but the ledger is not guarded: run corridor verify")
    click.echo("database ready")


@click.command("load-scenario")
@click.argument("name_or_path")
@with_django
def load_scenario(name_or_path: str) -> None:
    """Load a scenario by name (e.g. demo-camp) or from a JSON file. Loading the same one twice does nothing."""
    from corridor.scenarios.loader import load

    migrate_database()
    result = load(name_or_path)
    click.echo(result.describe())


# The demo's logins and the sites each works at: the camp's staff at the camp, the auditor and the admin
# at both, and the crossing's coordinator at the crossing only (so the boundary can be seen).
DEMO_LOGINS: dict[str, tuple[str, tuple[str, ...]]] = {
    **{f"demo-{role}": (role, ("CAMP-1",)) for role in ("coordinator", "clinician", "monitor")},
    "demo-auditor": ("auditor", ("CAMP-1", "XING-1")),
    "demo-admin": ("admin", ("CAMP-1", "XING-1")),
    "demo-crossing": ("coordinator", ("XING-1",)),
}


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Set everything up, print the logins, and stop.")
@click.option(
    "--advance",
    type=click.IntRange(0, 366),
    default=0,
    help="Then live N days forward: the scenario's clock moves, patients are referred, trips planned and answered.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="With --advance: the authority's random seed.")
@with_django
def demo(port: int, no_serve: bool, advance: int, seed: int) -> None:
    """Set up the demo camp and serve it on 127.0.0.1: database, scenario, one login per role."""
    from django.conf import settings

    from corridor.accounts.services import create_user, reset_password
    from corridor.scenarios.loader import load

    data_dir: Path = settings.DATA_DIR
    click.echo(f"data directory: {data_dir}")
    migrate_database()
    click.echo(load("demo-camp").describe())
    logins_file = data_dir / "demo-logins.txt"
    logins = json.loads(logins_file.read_text()) if logins_file.exists() else {}
    from django.contrib.auth.models import User

    for username, (role, sites) in DEMO_LOGINS.items():
        if username not in logins or not User.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            if User.objects.filter(username=username).exists():
                # Through the service, so the new demo password is a ledger entry like any reset.
                reset_password(User.objects.get(username=username), password=password, by=None, force_change=False)
            else:
                create_user(username=username, role=role, password=password, sites=sites, by=None)
            logins[username] = password
    fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(logins, handle, indent=1)
    click.echo("demo logins (role, sites; also kept in demo-logins.txt in the data directory):")
    for username, password in logins.items():
        role, sites = DEMO_LOGINS.get(username, ("?", ()))
        click.echo(f"  {username:<20} {password:<18} {role:<12} {', '.join(sites)}")
    if advance:
        from corridor.errors import CorridorError
        from corridor.scenarios.living import advance as live

        try:
            report = live(advance, seed=seed)
        except CorridorError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(report.describe())
        for violation in report.violations:
            click.echo(f"violation: {violation}", err=True)
        if report.violations:
            raise SystemExit(1)
    if not no_serve:
        # The background worker runs beside the server (plans, reports, the schedule), and stops with it.
        import subprocess

        worker = subprocess.Popen(
            [sys.executable, "-c", "from corridor.cli import main; main()", "worker", "--parent", str(os.getpid())]
        )
        try:
            _serve("127.0.0.1", port)
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def _prepare_to_serve() -> tuple[list[str], list[str]]:
    """Migrate, remove what uploads killed mid-way left, and check the ledger's guards: (removed, problems)."""
    from corridor.ledger.attachments import remove_leftovers
    from corridor.ledger.guards import database_problems

    migrate_database()
    removed = remove_leftovers()
    return removed, database_problems()


def _serve(host: str, port: int) -> None:
    from django.core.management import call_command

    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C stops)")
    call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--production", is_flag=True, help="Serve with gunicorn (several processes), not the dev server.")
@click.option("--workers", type=click.IntRange(1, 64), help="With --production: processes [CORRIDOR_WORKERS].")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="With --production.")
@click.option("--access-log", is_flag=True, help="With --production: log every request line to stdout.")
@with_django
def serve(host: str, port: int, production: bool, workers: int | None, threads: int, access_log: bool) -> None:
    """Serve the workspace: the development server, or with --production gunicorn (see docs/cli.md)."""
    if production:
        from django.conf import settings

        from corridor.ops.production import prepared_apart, run

        # gunicorn's workers are forked from this process: the migration loader and the checks run in a
        # process of their own, so that no worker carries what they leave in memory (docs/evidence.md).
        removed, problems = prepared_apart(_prepare_to_serve)
    else:
        removed, problems = _prepare_to_serve()
    if removed:
        click.echo(f"removed {len(removed)} temporary file(s) left by uploads killed mid-way")
    if production:
        # The ledger's append-only triggers are its first line of defence: a production server does not
        # start on a database where they were dropped, disabled or replaced (docs/deploy.md).
        if problems:
            raise UserError(
                "the ledger is not guarded, so the server will not start: "
                + "; ".join(problems)
                + " (see docs/deploy.md, 'The ledger's guards')"
            )
        workers = workers or settings.WORKERS
        click.echo(f"serving on http://{host}:{port}/ with {workers} worker(s) x {threads} thread(s) (Ctrl-C stops)")
        run(host, port, workers=workers, threads=threads, access_log=access_log)
        return
    _serve(host, port)


@click.command()
@click.option(
    "--deep",
    is_flag=True,
    help="Also check each body's canonical form, the subject index, each checkpoint's Merkle root "
    "and every attached file against its hash.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes hashing in parallel (default: one per core for large ledgers).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also hold the chain against this signed checkpoint file (repeatable).",
)
@with_django
def verify(deep: bool, workers: int | None, checkpoint_files: tuple[Path, ...] = ()) -> None:
    """Recompute the whole hash chain and hold it against every signed checkpoint (in the database, in the
    data directory's checkpoints folder, and any given). Exit 0 with the count and head hash, or 1 naming
    the first bad entry."""
    from corridor.ledger.guards import database_problems
    from corridor.ledger.services import verify as verify_ledger

    for path in checkpoint_files:
        if not path.is_file():
            raise UserError(f"cannot read {path}: no such file")
    problems = database_problems()
    if any(problem == "the table ledger_entry is missing" for problem in problems):
        raise UserError("this database holds no ledger yet: run corridor migrate")
    verdict = verify_ledger(deep=deep, workers=workers, checkpoint_files=checkpoint_files)
    if not verdict.ok:
        where = f"entry {verdict.bad_seq}: " if verdict.bad_seq is not None else ""
        click.echo(f"BROKEN: {where}{verdict.problem}", err=True)
    for problem in problems:
        click.echo(f"UNGUARDED: {problem}", err=True)
    if deep:
        from corridor.ledger.attachments import check_store

        damaged = check_store()
        for problem in damaged:
            click.echo(f"BROKEN: {problem}", err=True)
        problems = [*problems, *damaged]
    if not verdict.ok or problems:
        sys.exit(1)
    click.echo(f"ok: {verdict.count} entries, head {verdict.head_hash}")


@click.group()
def export() -> None:
    """Export records for outsiders."""


@export.command("ledger")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option(
    "--with-checkpoint",
    is_flag=True,
    help="Also write OUT.evidence.json: the latest signed checkpoint and its key (see docs/evidence.md).",
)
@READ_AS
@with_django
def export_ledger(fmt: str, out: Path | None, with_checkpoint: bool = False, username: str | None = None) -> None:
    """Every ledger entry with its hashes, one JSON object a line, so anyone can re-verify the chain.

    Without --as, every entry whole, free text included (the operator's copy, for re-verifying the chain);
    with --as USER, that account's sites only and its role's withheld text replaced, as the API gives it.
    """
    from corridor.accounts.roles import Can, require
    from corridor.ledger.exports import checkpoint_for_export, write_evidence_sidecar, write_jsonl

    user = reader(username)
    if user is not None:
        require(user, Can.READ_LEDGER)
    if with_checkpoint and out is None:
        raise UserError("--with-checkpoint writes a second file beside the export: give --out")
    sidecar = checkpoint_for_export() if with_checkpoint else None
    if out is None:
        write_jsonl(sys.stdout, reader=user)
        return
    with atomic_open(out) as handle:  # never leave a truncated export under the real name
        count = write_jsonl(handle, reader=user)
    click.echo(f"wrote {count} entries to {out}", err=True)
    if sidecar is not None:
        click.echo(f"wrote the latest checkpoint to {write_evidence_sidecar(out, sidecar)}", err=True)


def _dataset_export(dataset: str, help_text: str, *, month_required: bool = False) -> click.Command:
    """``corridor export DATASET``: pseudonymised CSV, JSON or HXL; see docs/exports.md."""

    @export.command(dataset, help=help_text)
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "hxl"]), default="csv", show_default=True)
    @click.option("--month", required=month_required, help="Only this month, YYYY-MM.")
    @click.option(
        "--audience",
        type=click.Choice(["public", "partners"]),
        default="public",
        show_default=True,
        help="Indicators only: public suppresses counts from 1 to 4; partners does not.",
    )
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
    @READ_AS
    @with_django
    def command(fmt: str, month: str | None, audience: str, out: Path | None, username: str | None = None) -> None:
        from corridor.reports.cli import run_export

        run_export(dataset, fmt, month, audience, out, by=reader(username))

    return command


export_referrals = _dataset_export("referrals", "Referrals, pseudonymised: codes, age groups, no identity field.")
export_trips = _dataset_export("trips", "Trips with the gate timeline and the WHO's request outcome.")
export_incidents = _dataset_export("incidents", "Obstruction incidents in the WHO SSA's public columns.")
export_indicators = _dataset_export("indicators", "Every indicator and breakdown of a month.", month_required=True)
