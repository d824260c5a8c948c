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
from django.utils.translation import gettext_noop as _

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
        raise NotAllowed(_("your role may not issue tokens for other users"), code="token.not_yours")
    label = (label or "").strip()
    if not label:
        raise InvalidInput(_("say what the token is for"), "label", code="token.no_label")
    if len(label) > 100:
        raise InvalidInput(_("is longer than %(limit)s characters"), "label", code="text.too_long", limit=100)
    if not user.is_active:
        raise Conflict(_("user %(user)s is deactivated"), code="token.user_deactivated", user=user.get_username())
    roles = sorted(role.value for role in roles_of(user))
    if not roles:
        raise InvalidInput(
            _("user %(user)s has no role, so a token could do nothing"),
            "user",
            code="token.user_without_role",
            user=user.get_username(),
        )
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
            raise NotFound(_("there is no token %(token)s"), code="token.not_found", token=token_id)
        if not _may_manage(by, token.user):
            raise NotAllowed(_("your role may not revoke other users' tokens"), code="token.not_yours")
        if token.revoked_at is not None:
            # The moment in UTC to the minute: the reader's language says it with its zone.
            raise Conflict(
                _("token %(token)s was already revoked on %(revoked_at)s"),
                code="token.already_revoked",
                token=token_id,
                revoked_at=token.revoked_at.astimezone(dt.UTC).replace(second=0, microsecond=0),
            )
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
