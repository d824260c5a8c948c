"""The ``corridor`` command: one entry point, one sub-command per task.

Sub-commands live beside the code they drive (``corridor.planning.cli``, ``corridor.ledger.cli``,
``corridor.reports.cli``; the setup commands in ``corridor.commands``) and are imported only when
called, so ``corridor --help`` stays instant even though the planner pulls in OR-Tools. Each
sub-command's docstring is its ``--help``.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

# name -> "module:attribute". Pure commands (plan, simulate) never touch Django; the rest call
# ``setup_django()`` first.
COMMANDS: dict[str, str] = {
    "demo": "corridor.commands:demo",
    "serve": "corridor.commands:serve",
    "migrate": "corridor.commands:migrate",
    "load-scenario": "corridor.commands:load_scenario",
    "users": "corridor.accounts.cli:users",
    "verify": "corridor.ledger.cli:verify",
    "export": "corridor.reports.cli:export",
    "plan": "corridor.planning.cli:plan",
    "simulate": "corridor.simulation.cli:simulate",
    "import": "corridor.intake.cli:import_",
    "intake": "corridor.intake.cli:intake",
    "checkpoint": "corridor.ledger.cli:checkpoint",
    "prove": "corridor.ledger.cli:prove",
    "attach": "corridor.ledger.cli:attach",
    "supplies": "corridor.supplies.cli:supplies",
    "tokens": "corridor.accounts.cli:tokens",
    "backup": "corridor.ops.cli:backup",
    "restore": "corridor.ops.cli:restore",
    "check-deploy": "corridor.ops.cli:check_deploy",
    "rotate-identity-key": "corridor.ops.cli:rotate_identity_key",
    "erase": "corridor.register.cli:erase",
    "retention": "corridor.register.cli:retention",
    "report": "corridor.reports.cli:report",
    "witness": "corridor.ledger.witness_cli:witness",
    "publish-log": "corridor.ledger.cli:publish_log",
    "worker": "corridor.jobs.cli:worker",
    "jobs": "corridor.jobs.cli:jobs",
    "dossier": "corridor.reports.cli:dossier",
    "publish": "corridor.reports.cli:publish",
}


class UserError(click.ClickException):
    """A mistake in what the user asked for: one clear line on stderr and exit code 2, no traceback."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"corridor: error: {self.format_message()}", err=True)


def reader(username: str | None) -> Any:
    """The active account a command reads for, by ``--as``; None (the system account) without it.

    What the account's role may not read is withheld from the output exactly as on its pages and in the
    API (``corridor.sensitivity``), and only its sites' records are there. Without ``--as`` the command
    runs as the operator's system account, which reads everything: that is for the server's operator
    only (docs/privacy.md, "Who can see what").
    """
    if username is None:
        return None
    from django.contrib.auth.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(f"--as: there is no active account {username!r}")
    return user


READ_AS = click.option(
    "--as",
    "username",
    default=None,
    metavar="USER",
    help="Read as this account: its sites only, and the clinical and identifying text its role may not read "
    "withheld, as on its pages. Without it: the operator's system account, which reads everything.",
)


def setup_django() -> None:
    """Configure Django for a command that needs the database; bad settings become a UserError."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    import django

    from corridor.env import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        raise UserError(str(exc)) from None


F = TypeVar("F", bound=Callable[..., Any])


def with_django(func: F) -> F:
    """Set up Django before the command runs and turn a refused service call into one clear line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_django()
        from corridor.errors import CorridorError

        try:
            return func(*args, **kwargs)
        except CorridorError as exc:
            raise UserError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def migrate_database(verbosity: int = 0) -> None:
    """Apply the migrations and the rows every install needs (role groups, priority classes)."""
    from django.core.management import call_command

    from corridor.accounts.services import ensure_groups
    from corridor.register.services import ensure_priority_classes

    call_command("migrate", interactive=False, verbosity=verbosity)
    ensure_groups()
    ensure_priority_classes(by=None)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corridor")
def cli() -> None:
    """Corridor: register, plan, record and report patient transfers out of a closed camp."""


def main() -> None:
    try:
        cli.main(prog_name="corridor", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
