"""``corridor users`` and ``corridor tokens``: accounts and API tokens from the command line (acting as the system)."""

from __future__ import annotations

from pathlib import Path

import click

from corridor.accounts.role_names import Role
from corridor.cli import UserError, with_django

# Every role an account may be given, from the one definition of roles.
ROLES = tuple(role.value for role in Role)


@click.group()
def tokens() -> None:
    """Manage API tokens (each acts for one user, with that user's role)."""


@tokens.command("issue")
@click.argument("username")
@click.option("--label", required=True, help="What the token is for, e.g. the system that will hold it.")
@with_django
def issue(username: str, label: str) -> None:
    """Issue a token for USERNAME and print it once. Corridor keeps only its SHA-256."""
    from django.contrib.auth.models import User

    from corridor.accounts.tokens import issue_token

    user = User.objects.filter(username=username).first()
    if user is None:
        raise UserError(f"no user named {username!r}")
    token, secret = issue_token(user, by=None, label=label)
    click.echo(f"token {token.pk} for {username} ({label}); keep it secret, it is not shown again:", err=True)
    click.echo(secret)


@tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
@click.option("--reason", default="", help="Why (kept in the ledger).")
@with_django
def revoke(token_id: int, reason: str) -> None:
    """Revoke token TOKEN_ID (see `corridor tokens list`); requests bearing it are refused at once."""
    from corridor.accounts.tokens import revoke_token

    token = revoke_token(token_id, by=None, reason=reason)
    click.echo(f"revoked token {token.pk} of {token.user.get_username()}")


@tokens.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
@click.option("--all", "show_all", is_flag=True, help="Include revoked tokens.")
@with_django
def list_tokens(username: str | None, show_all: bool) -> None:
    """List tokens: id, user, label, first characters, when issued (never the secret)."""
    from corridor.accounts.models import ApiToken

    found = ApiToken.objects.select_related("user").order_by("pk")
    if username:
        found = found.filter(user__username=username)
    if not show_all:
        found = found.filter(revoked_at=None)
    rows = list(found)
    if not rows:
        click.echo("no tokens")
        return
    for token in rows:
        state = "active" if token.active else f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(
            f"{token.pk:>5}  {token.user.get_username():<20} {token.prefix}…  "
            f"{token.created_at:%Y-%m-%d %H:%M}  {state:<24} {token.label}"
        )


@click.group()
def users() -> None:
    """Manage user accounts (acting as the system; every change is a ledger entry)."""


def _password_from(password_file: Path) -> str:
    try:
        password = password_file.read_text().strip()
    except OSError as exc:
        raise UserError(f"cannot read {password_file}: {exc.strerror}") from None
    if not password:
        raise UserError(f"{password_file} is empty")
    return password


_PASSWORD_FILE = click.option(
    "--password-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the password (so it never appears in the shell history).",
)


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice(ROLES), help="Repeatable.")
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="A site code the user works at (repeatable); left out: the only site of a one-site install, else none.",
)
@_PASSWORD_FILE
@with_django
def users_add(name: str, roles: tuple[str, ...], sites: tuple[str, ...], password_file: Path) -> None:
    """Create user NAME with one or more roles, at one or more sites."""
    from corridor.accounts.services import create_user, sites_of

    user = create_user(
        username=name, role=list(roles), password=_password_from(password_file), sites=list(sites) or None, by=None
    )
    click.echo(f"created {name} ({', '.join(sorted(set(roles)))}) at {', '.join(sites_of(user)) or 'no site'}")


@users.command("list")
@with_django
def users_list() -> None:
    """List users: name, roles, active or deactivated, whether a password change is pending."""
    from django.contrib.auth.models import User

    from corridor.accounts.roles import roles_of
    from corridor.accounts.services import must_change_password, sites_of

    for user in User.objects.order_by("username"):
        roles = ",".join(sorted(r.value for r in roles_of(user))) or "-"
        state = "active" if user.is_active else "deactivated"
        pending = "  must change password" if must_change_password(user) else ""
        sites = ",".join(sites_of(user)) or "-"
        click.echo(f"{user.get_username():<24} {roles:<28} {sites:<20} {state}{pending}")


@users.command("sites")
@click.argument("name")
@click.option("--site", "sites", multiple=True, help="A site code (repeatable); none at all leaves the user no site.")
@click.option("--reason", default="", help="Why (kept in the ledger).")
@with_django
def users_sites(name: str, sites: tuple[str, ...], reason: str) -> None:
    """Replace the sites NAME works at with the given ones."""
    from corridor.accounts.services import change_sites, get_user

    change_sites(get_user(name), sites=list(sites), reason=reason, by=None)
    click.echo(f"{name}: {', '.join(sorted(set(sites))) or 'no site'}")


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice(ROLES), help="Repeatable.")
@click.option("--reason", default="", help="Why (kept in the ledger).")
@with_django
def users_roles(name: str, roles: tuple[str, ...], reason: str) -> None:
    """Replace NAME's roles with the given ones."""
    from corridor.accounts.services import change_roles, get_user

    change_roles(get_user(name), roles=list(roles), reason=reason, by=None)
    click.echo(f"{name}: {', '.join(sorted(set(roles)))}")


@users.command("reset-password")
@click.argument("name")
@_PASSWORD_FILE
@with_django
def users_reset_password(name: str, password_file: Path) -> None:
    """Set NAME's password; NAME must change it at the next sign-in and is told it was reset."""
    from corridor.accounts.services import get_user, reset_password

    reset_password(get_user(name), password=_password_from(password_file), by=None)
    click.echo(f"reset the password of {name}; it must be changed at the next sign-in")


@users.command("deactivate")
@click.argument("name")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@with_django
def users_deactivate(name: str, reason: str) -> None:
    """Deactivate NAME: no sign-in, no API token; nothing NAME recorded is touched."""
    from corridor.accounts.services import deactivate_user, get_user

    deactivate_user(get_user(name), reason=reason, by=None)
    click.echo(f"deactivated {name}")


@users.command("reactivate")
@click.argument("name")
@click.option("--reason", default="", help="Why (kept in the ledger).")
@with_django
def users_reactivate(name: str, reason: str) -> None:
    """Give NAME's deactivated account its access back."""
    from corridor.accounts.services import get_user, reactivate_user

    reactivate_user(get_user(name), reason=reason, by=None)
    click.echo(f"reactivated {name}")
