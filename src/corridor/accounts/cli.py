"""``corridor tokens``: issue, revoke and list API tokens from the command line (acting as the system)."""

from __future__ import annotations

import click

from corridor.cli import UserError, with_django


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
