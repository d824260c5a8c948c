"""The five roles and what each may do. Services check these; views check them again."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from corridor.errors import NotAllowed


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CLINICIAN = "clinician"
    MONITOR = "monitor"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Can(StrEnum):
    """Capabilities. A role is a set of them; a service asks for one."""

    MANAGE_PATIENTS = "manage_patients"
    MANAGE_REFERRALS = "manage_referrals"
    MANAGE_TRIPS = "manage_trips"
    RECORD_GATE = "record_gate"
    RECORD_INCIDENTS = "record_incidents"
    SEE_IDENTITIES = "see_identities"
    CHANGE_RULES = "change_rules"
    MANAGE_REFERENCE = "manage_reference"
    READ_LEDGER = "read_ledger"
    EXPORT = "export"
    CORRECT_LEDGER = "correct_ledger"
    MANAGE_USERS = "manage_users"
    BREAK_GLASS = "break_glass"  # see one identity for a while, with a reason, in view of everyone
    REVIEW_ACCESS = "review_access"  # sign-ins and break-glass accesses; acknowledges the latter
    ADD_ATTACHMENTS = "add_attachments"
    # Attachments: what the workspace shows (images re-encoded without metadata, thumbnails) versus the
    # original bytes (faces, voices, device metadata), each viewing of which is recorded in the ledger.
    VIEW_DERIVATIVES = "view_derivatives"
    VIEW_ORIGINALS = "view_originals"


ROLE_CAPABILITIES: dict[Role, frozenset[Can]] = {
    Role.COORDINATOR: frozenset(
        {
            Can.MANAGE_PATIENTS,
            Can.MANAGE_REFERRALS,
            Can.MANAGE_TRIPS,
            Can.RECORD_GATE,
            Can.RECORD_INCIDENTS,
            Can.SEE_IDENTITIES,
            Can.CHANGE_RULES,
            Can.READ_LEDGER,
            Can.EXPORT,
            Can.CORRECT_LEDGER,
            Can.ADD_ATTACHMENTS,
            Can.VIEW_DERIVATIVES,
            Can.VIEW_ORIGINALS,
        }
    ),
    Role.CLINICIAN: frozenset(
        {
            Can.MANAGE_REFERRALS,
            Can.SEE_IDENTITIES,
            Can.READ_LEDGER,
            Can.ADD_ATTACHMENTS,
            Can.VIEW_DERIVATIVES,
            Can.VIEW_ORIGINALS,
        }
    ),
    Role.MONITOR: frozenset(
        {
            Can.RECORD_GATE,
            Can.RECORD_INCIDENTS,
            Can.READ_LEDGER,
            Can.CORRECT_LEDGER,
            Can.ADD_ATTACHMENTS,
            Can.VIEW_DERIVATIVES,
        }
    ),
    Role.AUDITOR: frozenset({Can.READ_LEDGER, Can.EXPORT, Can.BREAK_GLASS, Can.REVIEW_ACCESS}),
    Role.ADMIN: frozenset({Can.MANAGE_REFERENCE, Can.CHANGE_RULES, Can.MANAGE_USERS, Can.READ_LEDGER, Can.BREAK_GLASS}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.COORDINATOR: "Everything about patients, referrals, plans and trips; sees identities.",
    Role.CLINICIAN: "Referrals and clinical fields; sees identities.",
    Role.MONITOR: "Records incidents and gate timelines; sees pseudonymous codes only.",
    Role.AUDITOR: "Reads the ledger, verifies it, exports, reviews sign-ins and break-glass accesses; "
    "sees an identity only by breaking the glass.",
    Role.ADMIN: "Users and reference data (sites, hospitals, priority classes, access rules); "
    "sees an identity only by breaking the glass.",
}

Actor = AbstractBaseUser | AnonymousUser | str | None


def roles_of(user: Actor) -> set[Role]:
    """A user's roles (its Django groups named after roles). ``None`` and strings are system actors."""
    if user is None or isinstance(user, str):
        return set(Role)
    if not user.is_authenticated:
        return set()
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    return {role for role in Role if role.value in names}


def can(user: Actor, capability: Can) -> bool:
    """Whether ``user`` has ``capability``. Scripts and loaders (``None`` or a name) act as the system."""
    if user is None or isinstance(user, str):
        return True
    return any(capability in ROLE_CAPABILITIES[role] for role in roles_of(user))


def require(user: Actor, capability: Can) -> None:
    if not can(user, capability):
        raise NotAllowed(f"your role may not {capability.value.replace('_', ' ')}")
