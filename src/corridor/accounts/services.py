"""User accounts and their roles."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from corridor.accounts.roles import Actor, Can, Role, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger


def ensure_groups() -> None:
    """One Django group per role (idempotent)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def create_user(*, username: str, role: str, password: str, by: Actor, check_password: bool = True) -> User:
    """Create a user with one role; the ledger records who was created with which role, never the password."""
    require(by, Can.MANAGE_USERS)
    username = (username or "").strip()
    if not re.match(r"^[A-Za-z0-9_.@+-]{1,90}$", username):  # also a ledger subject: user:NAME
        raise InvalidInput("use letters, digits and . @ + - _ only", "username")
    if role not in Role.__members__.values():
        raise InvalidInput(f"must be one of {', '.join(r.value for r in Role)}", "role")
    if check_password:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), "password") from None
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(f"a user named {username} already exists")
        ensure_groups()
        user = User.objects.create_user(username=username, password=password)
        if role == Role.ADMIN:
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        user.groups.add(Group.objects.get(name=role))
        ledger.append(
            "user.created", by=by, subjects=[f"user:{username}"], payload={"username": username, "role": role}
        )
    return user


# API tokens live in their own module; re-exported so that every accounts service is found here.
from corridor.accounts.tokens import issue_token, revoke_token  # noqa: E402

__all__ = ["create_user", "ensure_groups", "issue_token", "revoke_token"]
