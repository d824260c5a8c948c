"""The setup commands: ``migrate``, ``load-scenario``, ``demo`` and ``serve``.

They make a database ready and serve it. The commands that work on records live with their concept
(``corridor.ledger.cli``: ``verify``, ``export ledger``; ``corridor.reports.cli``: ``export``, ``report``; ...).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import click

from corridor.cli import UserError, migrate_database, with_django


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
