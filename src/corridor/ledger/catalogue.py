"""Every ledger event type, source and certainty level, in one place.

docs/ledger.md lists the same; a test fails if the two disagree. Add a type here, document it there.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# What a subject looks like (``patient:P-0042``, ``user:alice@example.org``): the ledger's append, the
# API's filters and its schemas all read this one pattern.
SUBJECT_PATTERN = r"^[a-z_]+:[A-Za-z0-9._\-@+]{1,90}$"


# The payload keys that name each kind of subject an entry is about (``supply:diesel`` is the payload's
# ``item``, or a generator's ``fuel``). A correction may not change them: the entry's subjects, which
# the correction repeats and the pages, the planner and the indicators read, would still name the
# first patient, trip or item while the payload named another. An entry about the wrong one is
# retracted and recorded again about the right one.
SUBJECT_KEYS: dict[str, tuple[str, ...]] = {
    "companion": ("companion",),
    "delivery": ("delivery",),
    "export": ("dataset",),
    "facility": ("facility",),
    "generator": ("generator",),
    "patient": ("patient",),
    "priority": ("priority",),
    "referral": ("referral",),
    "scenario": ("scenario",),
    "site": ("site",),
    "supply": ("item", "fuel"),
    "trip": ("trip",),
    "user": ("username",),
}


class Source(models.TextChoices):
    WITNESS = "witness", _("witness")
    DOCUMENT = "document", _("document")
    MEDIA = "media", _("media")
    OFFICIAL_STATEMENT = "official_statement", _("official statement")
    PUBLICATION = "publication", _("publication")
    SYSTEM = "system", _("system")


class Certainty(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    PROBABLE = "probable", _("probable")
    POSSIBLE = "possible", _("possible")
    UNVERIFIED = "unverified", _("unverified")


# Where an attached file can come from: a file is evidence someone holds, not a publication or the system.
ATTACHMENT_SOURCES = (Source.MEDIA, Source.WITNESS, Source.DOCUMENT, Source.OFFICIAL_STATEMENT)

SOURCE_MEANINGS: dict[str, str] = {
    Source.WITNESS: "seen by the person recording it, or told them by someone who saw it",
    Source.DOCUMENT: "a letter, a list, a medical record, a form",
    Source.MEDIA: "a photo, a video, a recording",
    Source.OFFICIAL_STATEMENT: "said or written by an authority",
    Source.PUBLICATION: "a published report or article",
    Source.SYSTEM: "recorded by Corridor itself (a plan, an export, a loaded scenario)",
}

CERTAINTY_MEANINGS: dict[str, str] = {
    Certainty.CONFIRMED: "established by more than one independent source, or by the recorder's own observation",
    Certainty.PROBABLE: "one credible source, consistent with what else is known",
    Certainty.POSSIBLE: "reported, plausible, not yet corroborated",
    Certainty.UNVERIFIED: "reported and not yet assessed",
}

# type code -> what it records. Order is the reading order of docs/ledger.md.
EVENT_TYPES: dict[str, str] = {
    "site.created": "A camp or crossing was added to the register.",
    "site.changed": "A site's name (in any language), population or time zone was changed.",
    "facility.created": "A hospital was added, with its specialties, hours and travel time.",
    "facility.changed": (
        "A hospital's name (in any language), specialties, hours, closed days or travel time were changed."
    ),
    "priority.changed": "The deadline or weight of a priority class was changed.",
    "rules.changed": "A new set of access rules takes effect from a date (capacity, facilities, weekdays, choices).",
    "patient.registered": "A patient was registered under a pseudonymous code.",
    "patient.changed": "A patient's sex, birth year or status was changed.",
    "identity.changed": "A patient's protected identity fields were changed (the values are not in the ledger).",
    "identity.viewed": "Someone was shown a patient's or a companion's identity fields.",
    "identity.rekeyed": "Every person's data key was re-wrapped under a new identity key (its id, never the key, "
    "is recorded); the identity values themselves are not re-encrypted.",
    "erasure.requested": "An admin asked for one person's identity to be erased, with a reason; nothing is erased "
    "until a second admin confirms.",
    "erasure.confirmed": "A second admin confirmed an erasure: the person's data key was destroyed, so their identity "
    "fields can no longer be read anywhere. Records that and when, never what was erased.",
    "erasure.cancelled": "An erasure request was withdrawn before it was confirmed; nothing was erased.",
    "text.viewed": "Someone without the right to read clinical text was shown one entry's withheld text, and why.",
    "text.proved": "One committed text of an entry was given out with its salt, to prove it to someone (which, why).",
    "referral.created": "A referral to outside care, with specialty, priority, deadline and eligible hospitals.",
    "referral.changed": "A referral's priority, eligible hospitals or fitness-to-travel date was changed.",
    "referral.closed": "A referral's episode of care ended: care complete (code treated), died, left or withdrawn.",
    "plan.proposed": "The planner proposed a day's trip, a standby list and a forecast.",
    "plan.lp_bound": (
        "A recorded plan's strong LP bound, computed after it: the plan's entry, the bound (or why there is "
        "none), the solver and the instance hash."
    ),
    "trip.requested": "A trip with its manifest was requested from the authority.",
    "trip.approved": "The authority approved a requested trip.",
    "trip.denied": "The authority denied a requested trip, with the reason given if any.",
    "trip.cancelled": "A trip was cancelled, with who cancelled it and the reason given if any.",
    "trip.manifest_changed": "Patients or escorts were added to or removed from a trip before it left.",
    "companion.registered": "A camp escort, interpreter or nurse joined the roster under a pseudonymous code.",
    "trip.companion_asked": "The camp asked for an escort, interpreter or nurse to go with a patient on a trip.",
    "trip.companion_answered": "The authority's answer on one companion: approved, rejected, substituted or none.",
    "gate.arrived": "The trip reached the gate.",
    "gate.released": "The gate let the trip through; hours held are computed from arrival.",
    "gate.held": "The trip was held at the gate (recorded with the hours held when released).",
    "gate.turned_back": "The gate sent the trip back.",
    "trip.departed": "The trip left the camp.",
    "trip.arrived": "The trip reached the hospital; late if after the facility's closing time.",
    "trip.returned": "The trip came back to the camp.",
    "patient.seen": "A patient was seen at the hospital: what was done, the referral's new status, any follow-up.",
    "patient.not_seen": "A patient reached the hospital but was not seen: no doctor, refused, or turned back.",
    "appointment.missed": "A patient missed an appointment because the trip was late, held or cancelled.",
    "patient.died": "A patient died while waiting for care.",
    "patient.left": "A patient left the camp or the waiting list.",
    "incident.recorded": "An obstruction incident: what happened, to what, reported how and how surely.",
    "supply.item_defined": "A supply item was added to a site's stock list: unit, critical threshold, set daily use.",
    "supply.item_changed": (
        "A supply item's name (in any language), critical threshold, set daily use or need of power was changed."
    ),
    "supply.counted": "The stock of a supply item was counted (the stock at the close of that day).",
    "supply.adjusted": "Stock changed other than by use (a loss, spoilage, a recount), with the reason.",
    "supply.requested": "A delivery of fuel, food, medicine or another supply was requested from the authority.",
    "supply.allowed": "A requested delivery was let through the gate in full.",
    "supply.partly_allowed": "Part of a requested delivery was let through: the quantities and the reason given.",
    "supply.blocked": "A delivery of fuel, food, medicine or another supply was blocked at the gate.",
    "power.generator_added": "A generator was added, with the fuel it burns and its litres an hour.",
    "power.recorded": "A generator's hours on a day and the hours the camp was without power.",
    "dependence.recorded": "A patient's care depends on a supply (dialysis on power, oxygen, insulin kept cold).",
    "dependence.ended": "A patient no longer depends on a supply, with the reason.",
    "entry.corrected": "A correction of an earlier entry: the corrected values, the reason, and the entry's number.",
    "entry.retracted": "An earlier entry is withdrawn as wrong, with the reason; it stays in the ledger.",
    "scenario.loaded": "A scenario (such as the demo camp) was loaded; the records it created follow.",
    "scenario.clock_moved": "The loaded scenario's clock was moved forward (the demo's life, day by day).",
    "user.created": "A user account was created with its roles and sites (never its password).",
    "user.sites_changed": "The sites a user works at were replaced: before and after, and who changed them.",
    "user.roles_changed": "A user's roles were replaced: the roles before and after, and who changed them.",
    "user.password_reset": "Someone else set a user's password; the user must change it at the next sign-in.",
    "user.password_changed": "A user changed their own password (and after whose reset, if one was pending).",
    "user.deactivated": "A user account was deactivated: no sign-in, no API token works; nothing is deleted.",
    "user.reactivated": "A deactivated user account was given its access back.",
    "token.issued": "An API token was issued to a user (its id and label, never the token).",
    "token.revoked": "An API token was revoked; requests bearing it are refused from then on.",
    "access.break_glass": "An admin or auditor opened time-limited access to one patient's identity, with the reason.",
    "access.break_glass_acknowledged": "An auditor acknowledged a break-glass access after reviewing it.",
    "export.created": "A report or export was generated, with its SHA-256.",
    "report.narrative": "A monitor's narrative for a month's report: the month, its language and the text.",
    "site.published": "The public site was generated: the SHA-256 manifest of every file it holds.",
    "ledger.commitments_began": (
        "From this entry on, the hashed bodies hold commitments in place of clinical and identifying text; "
        "the entries before it still carry their text (docs/ledger.md)."
    ),
    "checkpoint.signed": (
        "A signed checkpoint of the ledger: tree size, Merkle root, time and chain head; the witnesses that "
        "co-signed it and those that refused or could not be reached (and why), whether the k-of-n policy held, "
        "and its RFC 3161 time stamps."
    ),
    "attachment.added": (
        "A photo, video, recording, document or ProofMode proof bundle was stored sealed by its SHA-256 and "
        "attached to an entry: its detected type, size, C2PA provenance (valid, invalid or none), ProofMode check "
        "(valid, invalid, unchecked or none) and the hashes of its derivatives."
    ),
    "attachment.viewed": "Someone was given an attachment's original bytes (which, and why).",
}


def describe(type_code: str) -> str:
    return EVENT_TYPES[type_code]
