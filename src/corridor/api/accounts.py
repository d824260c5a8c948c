"""Accounts (admin), break-glass access to an identity (admin, auditor) and the access review (auditor).

Each write calls the service the account pages and ``corridor users`` call, so it is checked the same
way (nobody changes their own roles…) and answers with its ledger entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field, StringConstraints

from corridor import vocabulary
from corridor.accounts import breakglass
from corridor.accounts import services as accounts
from corridor.accounts.models import BreakGlass, SignIn
from corridor.accounts.roles import Actor, Can, roles_of
from corridor.register.scoping import visible

from .core import Page, acting, page_of, recorded, requires, responses
from .register import _patient
from .schemas import LINE, Code, EntryRef, Id, Line

router = Router()

if TYPE_CHECKING:
    RoleCode = str
else:
    RoleCode = vocabulary.enum("role")
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@+-]{1,90}$")]
Secret = Annotated[str, StringConstraints(max_length=200)]
Reason = Annotated[str, StringConstraints(pattern=LINE, max_length=500)]


class UserOut(Schema):
    username: str
    roles: list[str]
    sites: list[str] = Field(description="the codes of the sites the user works at; they see only these sites' records")
    active: bool
    must_change_password: bool


class UserPage(Schema):
    items: list[UserOut]
    count: int
    limit: int
    offset: int


class UserIn(Schema):
    username: Username
    roles: list[RoleCode] = Field(min_length=1, max_length=5)
    password: Secret = Field(description="the first password; the user must change it at the first sign-in")
    sites: list[Code] | None = Field(
        None, max_length=100, description="site codes; left out: the one site of a one-site install, else none"
    )


class UserWritten(UserOut):
    entry: EntryRef


class SitesIn(Schema):
    sites: list[Code] = Field(max_length=100, description="site codes; an empty list leaves the account no site")
    reason: Reason = ""


class RolesIn(Schema):
    roles: list[RoleCode] = Field(min_length=1, max_length=5)
    reason: Reason = ""


class PasswordIn(Schema):
    password: Secret = Field(description="the user must change it at the next sign-in")


class ReasonIn(Schema):
    reason: Reason = ""


class TokenIn(Schema):
    label: Line


class TokenIssued(Schema):
    id: int
    user: str
    label: str
    secret: str = Field(description="shown only in this answer; Corridor keeps its SHA-256")
    entry: EntryRef


class BreakGlassIn(Schema):
    reason: Reason = Field(description="why the identity must be seen; recorded and shown to coordinators")


class BreakGlassOut(Schema):
    id: int
    user: str
    patient: str
    reason: str
    opened_at: dt.datetime
    expires_at: dt.datetime
    entry: int = Field(description="the access.break_glass ledger entry")
    acknowledged_at: dt.datetime | None
    acknowledged_by: str


class BreakGlassWritten(BreakGlassOut):
    written: EntryRef


class BreakGlassPage(Schema):
    items: list[BreakGlassOut]
    count: int
    limit: int
    offset: int


class AcknowledgeIn(Schema):
    note: Reason = ""


class SignInOut(Schema):
    at: dt.datetime
    outcome: str
    username: str
    known_user: bool
    address: str


class SignInPage(Schema):
    items: list[SignInOut]
    count: int
    limit: int
    offset: int


class SignInFilter(Schema):
    username: Username | None = None
    outcome: Literal["signed_in", "failed", "signed_out"] | None = None


def user_out(user: User) -> dict[str, Any]:
    return {
        "username": user.get_username(),
        "roles": sorted(r.value for r in roles_of(user)),
        "sites": accounts.sites_of(user),
        "active": user.is_active,
        "must_change_password": accounts.must_change_password(user) is not None,
    }


def _account_changed(request: HttpRequest, username: str, change: Callable[[User, Actor], User]) -> dict[str, Any]:
    """``change`` made by the caller (who manages users) to ``username``'s account, answered with the account
    as it now stands and the ledger entry the change wrote."""
    by = acting(request, Can.MANAGE_USERS)
    user = accounts.get_user(username)
    changed, entry = recorded(lambda: change(user, by))
    return {**user_out(changed), "entry": entry}


def grant_out(grant: BreakGlass) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "user": grant.user.get_username(),
        "patient": grant.patient.code,
        "reason": grant.reason,
        "opened_at": grant.opened_at,
        "expires_at": grant.expires_at,
        "entry": grant.entry_seq,
        "acknowledged_at": grant.acknowledged_at,
        "acknowledged_by": grant.acknowledged_by,
    }


@router.get("/users", response=responses(UserPage), tags=["accounts"])
def list_users(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Every account with its roles, whether it is active and whether a password change is pending."""
    acting(request, Can.MANAGE_USERS)
    return page_of(User.objects.order_by("username"), page, user_out)


@router.post("/users", response=responses(UserWritten, 201), tags=["accounts"], auth=requires(Can.MANAGE_USERS))
def create_user(request: HttpRequest, data: UserIn) -> Status[dict[str, Any]]:
    """Create an account (``user.created``); the user must change the password at the first sign-in."""
    by = acting(request, Can.MANAGE_USERS)
    user, entry = recorded(
        lambda: accounts.create_user(
            username=data.username, role=list(data.roles), password=data.password, sites=data.sites, by=by
        )
    )
    return Status(201, {**user_out(user), "entry": entry})


@router.put(
    "/users/{username}/roles", response=responses(UserWritten), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def change_roles(request: HttpRequest, username: Username, data: RolesIn) -> dict[str, Any]:
    """Replace a user's roles (``user.roles_changed``); nobody changes their own."""
    return _account_changed(
        request,
        username,
        lambda user, by: accounts.change_roles(user, roles=list(data.roles), reason=data.reason, by=by),
    )


@router.put(
    "/users/{username}/sites", response=responses(UserWritten), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def change_sites(request: HttpRequest, username: Username, data: SitesIn) -> dict[str, Any]:
    """Replace the sites a user works at (``user.sites_changed``); nobody changes their own."""
    return _account_changed(
        request,
        username,
        lambda user, by: accounts.change_sites(user, sites=list(data.sites), reason=data.reason, by=by),
    )


@router.post(
    "/users/{username}/password-reset",
    response=responses(UserWritten),
    tags=["accounts"],
    auth=requires(Can.MANAGE_USERS),
)
def reset_password(request: HttpRequest, username: Username, data: PasswordIn) -> dict[str, Any]:
    """Set another user's password (``user.password_reset``); they must change it at the next sign-in."""
    return _account_changed(
        request, username, lambda user, by: accounts.reset_password(user, password=data.password, by=by)
    )


@router.post(
    "/users/{username}/deactivate", response=responses(UserWritten), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def deactivate(request: HttpRequest, username: Username, data: ReasonIn) -> dict[str, Any]:
    """No sign-in and no token for this account from now on (``user.deactivated``); a reason is required."""
    return _account_changed(
        request, username, lambda user, by: accounts.deactivate_user(user, reason=data.reason, by=by)
    )


@router.post(
    "/users/{username}/reactivate", response=responses(UserWritten), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def reactivate(request: HttpRequest, username: Username, data: ReasonIn) -> dict[str, Any]:
    """Give a deactivated account its access back (``user.reactivated``)."""
    return _account_changed(
        request, username, lambda user, by: accounts.reactivate_user(user, reason=data.reason, by=by)
    )


@router.post(
    "/users/{username}/tokens", response=responses(TokenIssued, 201), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def issue_token(request: HttpRequest, username: Username, data: TokenIn) -> Status[dict[str, Any]]:
    """Issue a token for a user (``token.issued``); the secret is in this answer only."""
    by = acting(request, Can.MANAGE_USERS)
    user = accounts.get_user(username)
    (token, secret), entry = recorded(lambda: accounts.issue_token(user, label=data.label, by=by))
    return Status(201, {"id": token.pk, "user": username, "label": token.label, "secret": secret, "entry": entry})


@router.post(
    "/tokens/{token_id}/revoke", response=responses(EntryRef), tags=["accounts"], auth=requires(Can.MANAGE_USERS)
)
def revoke_token(request: HttpRequest, token_id: Id, data: ReasonIn) -> EntryRef:
    """Revoke a token at once (``token.revoked``)."""
    by = acting(request, Can.MANAGE_USERS)
    _, entry = recorded(lambda: accounts.revoke_token(token_id, reason=data.reason, by=by))
    return entry


@router.post(
    "/patients/{code}/break-glass",
    response=responses(BreakGlassWritten, 201),
    tags=["patients"],
    auth=requires(Can.BREAK_GLASS),
)
def break_glass(request: HttpRequest, code: Code, data: BreakGlassIn) -> Status[dict[str, Any]]:
    """Admin or auditor: open time-limited access to one patient's identity, with a reason
    (``access.break_glass``); then read it with ``GET /api/patients/{code}/identity?purpose=…``."""
    by = acting(request, Can.BREAK_GLASS)
    patient = _patient(request, code)
    grant, entry = recorded(lambda: breakglass.open_break_glass(patient, reason=data.reason, by=by))
    return Status(201, {**grant_out(grant), "written": entry})


@router.get("/audit/break-glass", response=responses(BreakGlassPage), tags=["ledger"])
def list_break_glass(request: HttpRequest, page: Query[Page], unacknowledged: bool = False) -> dict[str, Any]:
    """Auditors: every break-glass access, newest first (``unacknowledged=true``: only those not yet reviewed)."""
    by = acting(request, Can.REVIEW_ACCESS)
    grants = visible(BreakGlass.objects.select_related("user", "patient"), by).order_by("-opened_at", "-pk")
    if unacknowledged:
        grants = grants.filter(acknowledged_at=None)
    return page_of(grants, page, grant_out)


@router.post(
    "/audit/break-glass/{grant_id}/acknowledge",
    response=responses(BreakGlassWritten),
    tags=["ledger"],
    auth=requires(Can.REVIEW_ACCESS),
)
def acknowledge(request: HttpRequest, grant_id: Id, data: AcknowledgeIn) -> dict[str, Any]:
    """Auditors: acknowledge a break-glass access after review (``access.break_glass_acknowledged``)."""
    by = acting(request, Can.REVIEW_ACCESS)
    grant, entry = recorded(lambda: breakglass.acknowledge(grant_id, note=data.note, by=by))
    return {**grant_out(grant), "written": entry}


@router.get("/audit/sign-ins", response=responses(SignInPage), tags=["ledger"])
def sign_ins(request: HttpRequest, page: Query[Page], filters: Query[SignInFilter]) -> dict[str, Any]:
    """Auditors: every sign-in, failed sign-in and sign-out, newest first, with the address."""
    acting(request, Can.REVIEW_ACCESS)
    rows = SignIn.objects.all()
    if filters.username:
        rows = rows.filter(username=filters.username)
    if filters.outcome:
        rows = rows.filter(outcome=filters.outcome)

    def out(row: SignIn) -> dict[str, Any]:
        return {
            "at": row.at,
            "outcome": row.outcome,
            "username": row.username,
            "known_user": row.user_id is not None,
            "address": row.address,
        }

    return page_of(rows, page, out)
