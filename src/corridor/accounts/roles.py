"""The five roles and what each may do. Services check these; views check them again."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from corridor.accounts.role_names import Role
from corridor.errors import NotAllowed
from corridor.errors import template as _


class Can(StrEnum):
    """Capabilities. A role is a set of them; a service asks for one."""

    MANAGE_PATIENTS = "manage_patients"
    MANAGE_REFERRALS = "manage_referrals"
    MANAGE_TRIPS = "manage_trips"
    RECORD_GATE = "record_gate"
    RECORD_INCIDENTS = "record_incidents"
    SEE_IDENTITIES = "see_identities"
    # Free text that may describe a person's health or identify them (diagnoses, notes, purposes); see
    # corridor.sensitivity. Without it such text shows as "[withheld]" and is read only through the audited path.
    READ_CLINICAL = "read_clinical"
    CHANGE_RULES = "change_rules"
    MANAGE_REFERENCE = "manage_reference"
    READ_LEDGER = "read_ledger"
    EXPORT = "export"
    CORRECT_LEDGER = "correct_ledger"
    MANAGE_USERS = "manage_users"
    ERASE_IDENTITIES = "erase_identities"  # one admin asks, a second confirms
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
            Can.READ_CLINICAL,
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
            Can.READ_CLINICAL,
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
    Role.ADMIN: frozenset(
        {
            Can.MANAGE_REFERENCE,
            Can.CHANGE_RULES,
            Can.MANAGE_USERS,
            Can.ERASE_IDENTITIES,
            Can.READ_LEDGER,
            Can.BREAK_GLASS,
        }
    ),
}

# What each role may do, in the words of docs/roles.md (generated from here).
ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.COORDINATOR: "everything about patients, referrals, plans and trips; records gate timelines and incidents; "
    "sees identities; corrects ledger entries; exports; sees every break-glass access on the dashboard until an "
    "auditor acknowledges it",
    Role.CLINICIAN: "creates and changes referrals and their clinical fields; sees identities",
    Role.MONITOR: "records incidents, gate timelines, cancellations and deaths; corrects ledger entries; sees "
    "pseudonymous codes only, never identity fields",
    Role.AUDITOR: "reads and verifies the ledger and exports; reviews sign-ins and break-glass accesses and "
    "acknowledges the latter; sees an identity only by breaking the glass",
    Role.ADMIN: "accounts (create, roles, password resets, deactivation, API tokens) and reference data: sites, "
    "hospitals, priority classes, access rules; asks for or confirms (never both) the erasure of a person's "
    "identity; sees an identity only by breaking the glass",
}

CAPABILITY_MEANINGS: dict[Can, str] = {
    Can.MANAGE_PATIENTS: "register patients and change their records and identities",
    Can.MANAGE_REFERRALS: "create, change, withdraw and close referrals and their clinical fields",
    Can.MANAGE_TRIPS: "plan, request and record the authority's answers to trips; manifests and companions; "
    "stock counts and deliveries",
    Can.RECORD_GATE: "record the gate timeline: cancelled, at the gate, held, released, turned back, arrived, seen",
    Can.RECORD_INCIDENTS: "record incidents, blocked deliveries and deaths while waiting",
    Can.SEE_IDENTITIES: "read names and contacts, with a purpose, each reading recorded",
    Can.READ_CLINICAL: "read clinical and identifying free text (diagnoses, outcome and gate notes, purposes, "
    "field submissions' notes); other roles see it withheld and read one entry's text with a purpose, recorded",
    Can.CHANGE_RULES: "change the access rules in force from a date",
    Can.MANAGE_REFERENCE: "sites, hospitals, priority classes, supply items",
    Can.READ_LEDGER: "read and verify the ledger",
    Can.EXPORT: "pseudonymised exports and reports for partners",
    Can.CORRECT_LEDGER: "correct or retract a ledger entry by a new entry",
    Can.MANAGE_USERS: "accounts, roles, password resets, deactivation, API tokens, identity key rotation",
    Can.ERASE_IDENTITIES: "ask for, confirm or cancel the erasure of one person's identity at one's sites; the "
    "admin who asks cannot confirm (docs/privacy.md)",
    Can.BREAK_GLASS: "see one identity for a limited time, with a reason, in view of auditors and coordinators",
    Can.REVIEW_ACCESS: "review sign-ins and break-glass accesses; acknowledge the latter",
    Can.ADD_ATTACHMENTS: "attach photos, recordings and documents to an entry",
    Can.VIEW_DERIVATIVES: "see attachments as shown: images re-encoded without metadata, thumbnails",
    Can.VIEW_ORIGINALS: "open an attachment's original bytes (faces, voices, device metadata), each opening recorded",
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


# What each capability's refusal says: one sentence each, so the reader's language has them all.
REFUSALS: dict[Can, str] = {
    Can.MANAGE_PATIENTS: _("your role may not manage patients"),
    Can.MANAGE_REFERRALS: _("your role may not manage referrals"),
    Can.MANAGE_TRIPS: _("your role may not manage trips"),
    Can.RECORD_GATE: _("your role may not record gate"),
    Can.RECORD_INCIDENTS: _("your role may not record incidents"),
    Can.SEE_IDENTITIES: _("your role may not see identities"),
    Can.READ_CLINICAL: _("your role may not read clinical"),
    Can.CHANGE_RULES: _("your role may not change rules"),
    Can.MANAGE_REFERENCE: _("your role may not manage reference"),
    Can.READ_LEDGER: _("your role may not read ledger"),
    Can.EXPORT: _("your role may not export"),
    Can.CORRECT_LEDGER: _("your role may not correct ledger"),
    Can.MANAGE_USERS: _("your role may not manage users"),
    Can.ERASE_IDENTITIES: _("your role may not erase identities"),
    Can.BREAK_GLASS: _("your role may not break glass"),
    Can.REVIEW_ACCESS: _("your role may not review access"),
    Can.ADD_ATTACHMENTS: _("your role may not add attachments"),
    Can.VIEW_DERIVATIVES: _("your role may not view derivatives"),
    Can.VIEW_ORIGINALS: _("your role may not view originals"),
}


def refusal(capability: Can) -> NotAllowed:
    """The refusal of a role without ``capability`` (code ``role.may_not``, the capability as its value)."""
    return NotAllowed(REFUSALS[capability], code="role.may_not", capability=capability.value)


def require(user: Actor, capability: Can) -> None:
    if not can(user, capability):
        raise refusal(capability)
