"""Issuing, revoking and checking API tokens, each issue and revocation with its ledger entry.

A token is ``cor_`` followed by 43 characters of URL-safe base64 (256 random bits). Corridor keeps
only its SHA-256, so a copy of the database cannot be used to call the API; the secret is shown once,
when it is issued. A token carries its user's role at the time of each request: change the role and
the token's reach changes with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction

from corridor.accounts.models import ApiToken
from corridor.accounts.roles import Actor, Can, can, roles_of
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger

PREFIX = "cor_"


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _may_manage(by: Actor, user: AbstractBaseUser) -> bool:
    """Users manage their own tokens; admins (and the command line) manage everyone's."""
    if can(by, Can.MANAGE_USERS):
        return True
    return isinstance(by, AbstractBaseUser) and by.pk == user.pk


def issue_token(user: User, *, by: Actor, label: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns (token, secret). The secret is not kept and cannot be shown again."""
    if not _may_manage(by, user):
        raise NotAllowed("your role may not issue tokens for other users")
    label = (label or "").strip()
    if not label:
        raise InvalidInput("say what the token is for", "label")
    if len(label) > 100:
        raise InvalidInput("is longer than 100 characters", "label")
    if not user.is_active:
        raise Conflict(f"user {user.get_username()} is deactivated")
    roles = sorted(role.value for role in roles_of(user))
    if not roles:
        raise InvalidInput(f"user {user.get_username()} has no role, so a token could do nothing", "user")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            label=label,
            digest=digest_of(secret),
            prefix=secret[:8],
            created_at=dt.datetime.now(dt.UTC),
            created_by=ledger.actor_name(by),
        )
        ledger.append(
            "token.issued",
            by=by,
            subjects=[f"user:{user.get_username()}", f"token:{token.pk}"],
            payload={"token": token.pk, "user": user.get_username(), "label": label, "roles": roles},
        )
    return token, secret


def revoke_token(token_id: int, *, by: Actor, reason: str = "") -> ApiToken:
    """Revoke a token for good; requests bearing it are refused from the moment this commits."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
        if token is None:
            raise NotFound(f"there is no token {token_id}")
        if not _may_manage(by, token.user):
            raise NotAllowed("your role may not revoke other users' tokens")
        if token.revoked_at is not None:
            raise Conflict(f"token {token_id} was already revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC")
        token.revoked_at = dt.datetime.now(dt.UTC)
        token.revoked_by = ledger.actor_name(by)
        token.save(update_fields=["revoked_at", "revoked_by"])
        ledger.append(
            "token.revoked",
            by=by,
            subjects=[f"user:{token.user.get_username()}", f"token:{token.pk}"],
            payload={"token": token.pk, "user": token.user.get_username(), "reason": (reason or "").strip() or None},
        )
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret whose user is still active, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    return token
