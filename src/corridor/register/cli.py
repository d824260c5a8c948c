"""``corridor erase`` and ``corridor retention``: one admin asks, a second confirms (docs/privacy.md)."""

from __future__ import annotations

from typing import Any

import click

from corridor.cli import UserError, with_django


def _admin(username: str, *, sign: bool = True) -> Any:
    """The active user ``username``; with ``sign``, only once they have typed their password.

    The second admin's confirmation means something only if that admin is there: anyone at the server's
    shell could otherwise name any account with --as.
    """
    from django.contrib.auth.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(f"no active user named {username!r}")
    if sign:
        _sign(user)
    return user


def _sign(user: Any) -> None:
    password = click.prompt(f"{user.get_username()}'s password", hide_input=True, err=True)
    if not user.check_password(password):
        raise UserError(f"that is not {user.get_username()}'s password")


AS_OPTION = click.option(
    "--as",
    "username",
    required=True,
    help="The admin acting, who types their password (recorded in the ledger); the one who confirms must not be "
    "the one who asked.",
)


@click.command()
@click.argument("code")
@click.option("--reason", help="Why this person's identity is to be erased (asks for the erasure).")
@click.option("--confirm", is_flag=True, help="Confirm another admin's request: the identity is erased now.")
@click.option("--cancel", is_flag=True, help="Withdraw a request not yet confirmed.")
@AS_OPTION
@with_django
def erase(code: str, reason: str | None, confirm: bool, cancel: bool, username: str) -> None:
    """Erase a patient's or companion's identity: --reason asks, a second admin's --confirm destroys its key."""
    from corridor.register import erasure

    if sum((bool(reason) and not cancel, confirm, cancel)) != 1:
        raise UserError("give one of --reason TEXT (to ask), --confirm or --cancel")
    by = _admin(username, sign=False)
    person = erasure.find_person(code, by)  # a mistyped code is said before anyone types a password
    _sign(by)
    if confirm:
        erasure.confirm_erasure(person, by=by)
        click.echo(f"erased the identity of {code}: its data key is destroyed; the ledger records the erasure")
        click.echo(
            "backups made before now still hold the key, readable with the identity key: see docs/privacy.md",
            err=True,
        )
    elif cancel:
        erasure.cancel_erasure(person, by=by, reason=reason or "")
        click.echo(f"cancelled the erasure of {code}")
    else:
        request = erasure.request_erasure(person, reason=reason or "", by=by)
        click.echo(
            f"asked for the erasure of {code} (ledger entry {request.requested_seq}); nothing is erased until "
            f"another admin runs: corridor erase {code} --confirm --as THEIR-NAME"
        )


@click.group()
def retention() -> None:
    """The retention schedule: identities of patients who left or died CORRIDOR_RETENTION_YEARS ago."""


YEARS_OPTION = click.option(
    "--years", type=click.IntRange(1, 200), default=None, help="Instead of CORRIDOR_RETENTION_YEARS."
)


@retention.command("list")
@YEARS_OPTION
@click.option("--as", "username", default=None, help="Only this user's sites (default: every site).")
@with_django
def list_due(years: int | None, username: str | None) -> None:
    """List the patients whose identity the schedule says may now be erased."""
    from corridor.register import erasure

    found = erasure.due(by=_admin(username, sign=False) if username else None, years=years)
    for item in found:
        waiting = "  erasure asked, waiting for confirmation" if item.requested else ""
        click.echo(f"{item.code:<14} {item.site:<10} {item.status:<10} since {item.since.isoformat()}{waiting}")
    click.echo(f"{len(found)} identities due for erasure ({erasure.retention_years(years)} years)")


@retention.command("request")
@YEARS_OPTION
@AS_OPTION
@with_django
def request_due(years: int | None, username: str) -> None:
    """Ask for the erasure of every identity due (a second admin confirms with `retention confirm`)."""
    from corridor.register import erasure

    asked = erasure.request_due(by=_admin(username), years=years)
    click.echo(f"asked for {len(asked)} erasures: {', '.join(r.code for r in asked) or 'none'}")


@retention.command("confirm")
@AS_OPTION
@with_django
def confirm_due(username: str) -> None:
    """Confirm every retention erasure another admin asked for: those identities are erased now."""
    from corridor.register import erasure

    done = erasure.confirm_due(by=_admin(username))
    click.echo(f"erased {len(done)} identities: {', '.join(r.code for r in done) or 'none'}")
