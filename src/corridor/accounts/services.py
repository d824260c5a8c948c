"""User accounts and their roles: every change an act with its ledger entry, in one transaction.

Separation of duties is enforced here, not in the pages: nobody changes their own roles, deactivates
their own account or resets their own password (they change it, knowing the old one). A password set
by someone else must be changed at the next sign-in, and the entry names who set it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.models import AccountState, SiteMembership
from corridor.accounts.roles import Actor, Can, Role, require, roles_of
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.register.models import Site

USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,90}$")  # also a ledger subject: user:NAME


def ensure_groups() -> None:
    """One Django group per role (idempotent)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def _subject(user: AbstractBaseUser) -> str:
    return f"user:{user.get_username()}"


def _is(by: Actor, user: AbstractBaseUser) -> bool:
    return isinstance(by, AbstractBaseUser) and by.pk == user.pk


def _roles(roles: Iterable[str] | str) -> list[str]:
    given = [roles] if isinstance(roles, str) else list(roles)
    valid = {r.value for r in Role}
    for role in given:
        if role not in valid:
            raise InvalidInput(
                _("must be one of %(choices)s; got %(value)r"),
                "roles",
                code="account.unknown_role",
                choices=", ".join(r.value for r in Role),
                value=role,
            )
    if not given:
        raise InvalidInput(
            _("give at least one role (deactivate the account to take every access away)"),
            "roles",
            code="account.no_role",
        )
    return sorted(set(given))


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        # Django's password validators say why in the reader's language already.
        raise InvalidInput(" ".join(exc.messages), "password", code="account.weak_password") from None


def _set_roles(user: User, roles: list[str]) -> None:
    ensure_groups()
    user.groups.set(Group.objects.filter(name__in=roles))
    # Django's own admin is read-only for everyone; staff status only lets the admin role browse it.
    staff = Role.ADMIN.value in roles
    if user.is_staff != staff or user.is_superuser != staff:
        user.is_staff = user.is_superuser = staff
        user.save(update_fields=["is_staff", "is_superuser"])


def _sites(codes: Iterable[str] | str | None) -> list[Site]:
    """The sites named by ``codes``. ``None``: the one site of a one-site install, else none."""
    if codes is None:
        only = list(Site.objects.all()[:2])
        return only if len(only) == 1 else []
    given = [codes] if isinstance(codes, str) else sorted({c.strip() for c in codes if c.strip()})
    found = {site.code: site for site in Site.objects.filter(code__in=given)}
    missing = [code for code in given if code not in found]
    if missing:
        raise InvalidInput(
            _("there is no site %(sites)s"), "sites", code="account.unknown_site", sites=", ".join(missing)
        )
    return [found[code] for code in given]


def sites_of(user: AbstractBaseUser) -> list[str]:
    """The codes of the sites ``user`` works at, in order."""
    return list(SiteMembership.objects.filter(user_id=user.pk).values_list("site__code", flat=True))


def get_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("there is no user named %(username)r"), code="account.not_found", username=username)
    return user


def create_user(
    *,
    username: str,
    role: str | Iterable[str],
    password: str,
    by: Actor,
    check_password: bool = True,
    sites: Iterable[str] | str | None = None,
) -> User:
    """Create a user with one or more roles at the sites named (codes); the ledger records who was created
    with which roles and sites, never the password. Without ``sites``, a one-site install gives that site
    and a several-site install none (an admin assigns them). A password chosen by someone else must be
    changed at the first sign-in (not for the system's)."""
    require(by, Can.MANAGE_USERS)
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise InvalidInput(
            _("use letters, digits and . @ + - _ only (at most %(most)s)"),
            "username",
            code="account.bad_username",
            most=90,
        )
    roles = _roles(role)
    chosen = _sites(sites)
    if check_password:
        _check_password(password)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(_("a user named %(username)s already exists"), code="account.exists", username=username)
        user = User.objects.create_user(username=username, password=password)
        _set_roles(user, roles)
        SiteMembership.objects.bulk_create([SiteMembership(user=user, site=site) for site in chosen])
        forced = by is not None and not isinstance(by, str)
        if forced:
            AccountState.objects.create(
                user=user, must_change_password=True, reset_by=ledger.actor_name(by), reset_at=dt.datetime.now(dt.UTC)
            )
        payload: dict[str, object] = {
            "username": username,
            "role": roles[0],
            "roles": roles,
            "sites": [site.code for site in chosen],
        }
        ledger.append("user.created", by=by, subjects=[f"user:{username}"], payload=payload)
    return user


def change_roles(user: User, *, roles: Iterable[str], by: Actor, reason: str = "") -> User:
    """Replace a user's roles. Nobody changes their own: another admin (or the command line) must."""
    require(by, Can.MANAGE_USERS)
    if _is(by, user):
        raise NotAllowed(_("nobody may change their own roles; ask another admin"), code="account.own_roles")
    new = _roles(roles)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = sorted(r.value for r in roles_of(user))
        if old == new:
            raise InvalidInput(
                _("%(username)s already has exactly these roles"),
                "roles",
                code="account.same_roles",
                username=user.get_username(),
            )
        _set_roles(user, new)
        ledger.append(
            "user.roles_changed",
            by=by,
            subjects=[_subject(user)],
            payload={"username": user.get_username(), "from": old, "to": new, "reason": reason.strip() or None},
        )
    return user


def change_sites(user: User, *, sites: Iterable[str], by: Actor, reason: str = "") -> User:
    """Replace the sites a user works at. Nobody changes their own, as with roles. An empty list is
    allowed: the account keeps its roles and sees no per-site record until given a site again."""
    require(by, Can.MANAGE_USERS)
    if _is(by, user):
        raise NotAllowed(_("nobody may change their own sites; ask another admin"), code="account.own_sites")
    chosen = _sites(list(sites))
    new = [site.code for site in chosen]
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = sites_of(user)
        if old == new:
            raise InvalidInput(
                _("%(username)s already works at exactly these sites"),
                "sites",
                code="account.same_sites",
                username=user.get_username(),
            )
        SiteMembership.objects.filter(user=user).exclude(site__in=chosen).delete()
        have = set(SiteMembership.objects.filter(user=user).values_list("site_id", flat=True))
        SiteMembership.objects.bulk_create([SiteMembership(user=user, site=s) for s in chosen if s.pk not in have])
        ledger.append(
            "user.sites_changed",
            by=by,
            subjects=[_subject(user)],
            payload={"username": user.get_username(), "from": old, "to": new, "reason": reason.strip() or None},
        )
    return user


def reset_password(user: User, *, password: str, by: Actor, force_change: bool = True) -> User:
    """Set another user's password. The entry names who reset it; unless the system resets it with
    ``force_change=False`` (the demo's own logins), the user must choose a new one at the next sign-in
    and is told who reset it and when. Their open sessions end, since the password changed."""
    require(by, Can.MANAGE_USERS)
    if _is(by, user):
        raise NotAllowed(
            _("change your own password on the password page, with your current one"), code="account.own_password"
        )
    if not force_change and not (by is None or isinstance(by, str)):
        raise NotAllowed(
            _("a password reset by a person must be changed by the user at the next sign-in"),
            code="account.reset_not_forced",
        )
    _check_password(password, user)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        AccountState.objects.update_or_create(
            user=user,
            defaults={"must_change_password": force_change, "reset_by": ledger.actor_name(by), "reset_at": now},
        )
        ledger.append(
            "user.password_reset",
            by=by,
            subjects=[_subject(user)],
            payload={
                "username": user.get_username(),
                "reset_by": ledger.actor_name(by),
                "must_change": force_change,
            },
        )
    return user


def change_password(user: User, *, old_password: str, new_password: str) -> User:
    """A user changes their own password, proving the current one; clears a pending forced change."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed(_("sign in first"), code="account.signed_out")
    if not user.check_password(old_password):
        raise InvalidInput(_("is not your current password"), "old_password", code="account.wrong_password")
    if old_password == new_password:
        raise InvalidInput(_("must differ from the current password"), "new_password", code="account.same_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), "new_password", code="account.weak_password") from None
    with transaction.atomic():
        state = AccountState.objects.select_for_update().filter(user=user).first()
        after_reset = state.reset_by if state is not None and state.must_change_password else None
        user.set_password(new_password)
        user.save(update_fields=["password"])
        if state is not None and state.must_change_password:
            state.must_change_password = False
            state.save(update_fields=["must_change_password"])
        ledger.append(
            "user.password_changed",
            by=user,
            subjects=[_subject(user)],
            payload={"username": user.get_username(), "after_reset_by": after_reset},
        )
    return user


def must_change_password(user: AbstractBaseUser) -> AccountState | None:
    """The pending forced change of ``user``'s password (who reset it, when), or None."""
    return AccountState.objects.filter(user_id=user.pk, must_change_password=True).first()


def _set_active(user: User, *, active: bool, by: Actor, reason: str) -> User:
    require(by, Can.MANAGE_USERS)
    if _is(by, user):
        raise NotAllowed(_("nobody may deactivate or reactivate their own account"), code="account.own_activity")
    reason = (reason or "").strip()
    if not active and not reason:
        raise InvalidInput(_("say why the account is deactivated"), "reason", code="account.no_reason")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            already = _("%(username)s is already active") if active else _("%(username)s is already deactivated")
            raise Conflict(already, code="account.unchanged", username=user.get_username())
        user.is_active = active
        user.save(update_fields=["is_active"])
        ledger.append(
            "user.reactivated" if active else "user.deactivated",
            by=by,
            subjects=[_subject(user)],
            payload={"username": user.get_username(), "reason": reason or None},
        )
    return user


def deactivate_user(user: User, *, by: Actor, reason: str) -> User:
    """Take every access away (sign-in and API tokens) without deleting anything the user recorded."""
    return _set_active(user, active=False, by=by, reason=reason)


def reactivate_user(user: User, *, by: Actor, reason: str = "") -> User:
    """Give a deactivated account its access back, with the roles it had."""
    return _set_active(user, active=True, by=by, reason=reason)


# API tokens live in their own module; re-exported so that every accounts service is found here.
from corridor.accounts.tokens import issue_token, revoke_token  # noqa: E402

__all__ = [
    "change_password",
    "change_roles",
    "change_sites",
    "create_user",
    "deactivate_user",
    "ensure_groups",
    "get_user",
    "issue_token",
    "must_change_password",
    "reactivate_user",
    "reset_password",
    "revoke_token",
    "sites_of",
]
