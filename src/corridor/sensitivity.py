"""Sensitivity classes: the one place that says how sensitive each stored field and ledger payload key is.

Four classes. *Public* and *pseudonymous* values (codes, dates, coded fields such as specialty, ICD-10 code,
priority and outcome) are shown to every role that may open the record. *Clinical* and *identifying* text
(diagnoses typed by hand, outcome and gate notes, the purpose typed before reading an identity, the free text
of a field submission) is shown only to a role with ``read_clinical``; anyone else sees ``[withheld]`` and may
read it through the audited path (``text.viewed``), which records who read which entry's text and why.

Every edge that shows a ledger payload or one of these fields (pages, API, exports, dossiers, the CLI, the
admin) passes it through :func:`redact` or asks :func:`visible`. The classing test walks every model field and
every payload key and fails on one that is not classed here, so a new field cannot reach a monitor unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy

from corridor.accounts.roles import Actor, Can, can
from corridor.ledger import commitments


class Sensitivity(StrEnum):
    PUBLIC = "public"
    PSEUDONYMOUS = "pseudonymous"
    CLINICAL = "clinical"
    IDENTIFYING = "identifying"


PUBLIC, PSEUDONYMOUS, CLINICAL, IDENTIFYING = (
    Sensitivity.PUBLIC,
    Sensitivity.PSEUDONYMOUS,
    Sensitivity.CLINICAL,
    Sensitivity.IDENTIFYING,
)

# The classes shown only to roles with read_clinical.
RESTRICTED = frozenset({CLINICAL, IDENTIFYING})

WITHHELD = gettext_lazy("[withheld]")


def _fields(**by_class: str) -> dict[str, Sensitivity]:
    table: dict[str, Sensitivity] = {}
    for cls, names in by_class.items():
        for name in names.split():
            if name in table:  # one name in two classes would be settled silently by the order written
                raise ValueError(f"{name} is classed twice")
            table[name] = Sensitivity(cls)
    return table


# "app_label.Model" -> field name -> class. Every concrete field of every Corridor model is here.
FIELDS: dict[str, dict[str, Sensitivity]] = {
    "ledger.Entry": _fields(
        public="seq hash type occurred_at recorded_at source certainty corrects prev_hash",
        pseudonymous="recorded_by",
        # The canonical body holds every payload key, free text included: shown only through redact().
        clinical="body",
    ),
    "ledger.Subject": _fields(pseudonymous="id entry key"),
    # A committed text and its salt, encrypted under its person's data key (or the identity key).
    "ledger.SealedText": _fields(public="id seq path", pseudonymous="owner", identifying="sealed"),
    "ledger.EntrySite": _fields(public="id entry site_id"),
    "ledger.TreeNode": _fields(public="node hash"),
    "ledger.Attachment": _fields(
        public="id added documents sha256 media_type kind size c2pa proofmode derivative thumbnail"
    ),
    "register.Site": _fields(public="id code name names country population time_zone"),
    "register.Facility": _fields(public="id code name names specialties opening_hours travel_minutes closed_dates"),
    "register.PriorityClass": _fields(public="id code name deadline_days weight rank"),
    "register.Patient": _fields(
        public="id site synthetic",
        pseudonymous="code sex birth_year status depends_on_power registered_on",
    ),
    "register.PatientIdentity": _fields(pseudonymous="id patient", identifying="full_name contact notes"),
    "register.Referral": _fields(
        public="id synthetic",
        pseudonymous="patient specialty diagnosis_icd10 priority referral_date due_date fit_to_travel_from status "
        "follow_up_due closed_on",
        clinical="diagnosis",
    ),
    "register.AccessRuleSet": _fields(
        public="id site effective_from effective_until max_patients_per_day max_escorts_per_day "
        "max_facilities_per_day allowed_weekdays camp_chooses_patients camp_chooses_escorts camp_chooses_doctor "
        "camp_chooses_appointment_time camp_chooses_interpreter camp_chooses_nurse notes source certainty "
        "recorded_seq"
    ),
    "register.Scenario": _fields(public="id name checksum today loaded_seq"),
    # A person's data key, wrapped by the master key: never shown, whatever the role.
    "register.DataKey": _fields(
        public="id kind key_id created_at erased_at", pseudonymous="person_id", identifying="wrapped"
    ),
    # A keyed digest of one word of a name: whoever holds the key and guesses the name could confirm it.
    "register.NameToken": _fields(public="id site key", pseudonymous="patient companion", identifying="digest"),
    # An erasure says that and when, never what: its reason is written for the second admin, like a break-glass reason.
    "register.Erasure": _fields(
        public="id kind state retention requested_seq decided_seq",
        pseudonymous="code person_id site reason requested_by decided_by",
    ),
    "transfers.Trip": _fields(
        # The authority's reason for a denial or a cancellation is evidence of obstruction, reported publicly.
        public="id site date facility status status_reason cancelled_by appointment_time gate_arrived_at "
        "held_since gate_released_at hospital_arrived_at facility_closes_at returned_at turned_back_at_gate "
        "synthetic"
    ),
    "transfers.TripPassenger": _fields(
        public="id trip removed",
        pseudonymous="patient referral role escort_for outcome follow_up_due",
        clinical="outcome_note",
    ),
    "transfers.Companion": _fields(public="id site synthetic", pseudonymous="code kind registered_on"),
    "transfers.CompanionIdentity": _fields(pseudonymous="id companion", identifying="full_name contact notes"),
    "transfers.TripCompanion": _fields(
        public="id trip camp_may_choose",
        # What the authority said about a companion (who it sent instead): obstruction evidence, not clinical.
        pseudonymous="companion for_patient role answer answer_note",
    ),
    "transfers.GateTap": _fields(public="id key trip step seqs tapped_at received_at", pseudonymous="recorded_by"),
    "accounts.ApiToken": _fields(
        public="id prefix created_at revoked_at digest",
        pseudonymous="user label created_by revoked_by",
    ),
    "accounts.AccountState": _fields(public="id must_change_password reset_at", pseudonymous="user reset_by"),
    "accounts.SignIn": _fields(public="id at outcome forced", pseudonymous="username user address"),
    # A break-glass reason is written to be reviewed by auditors and shown to coordinators: it is the point.
    "accounts.BreakGlass": _fields(
        public="id opened_at expires_at entry_seq acknowledged_at",
        pseudonymous="user patient reason acknowledged_by",
    ),
    "accounts.SiteMembership": _fields(pseudonymous="id user site"),
    "supplies.SupplyItem": _fields(
        public="id site code name names category unit critical_threshold daily_use_set needs_power synthetic"
    ),
    "supplies.StockRecord": _fields(public="id item on kind quantity reason source certainty synthetic recorded_seq"),
    "supplies.Delivery": _fields(
        public="id site item category requested_on quantity_requested unit status decided_on quantity_allowed "
        "reason source certainty synthetic requested_seq decided_seq"
    ),
    "supplies.Generator": _fields(public="id site code fuel litres_per_hour synthetic"),
    "supplies.PowerDay": _fields(
        public="id generator on hours_run outage_hours fuel_used note source certainty recorded_seq"
    ),
    "supplies.Dependence": _fields(
        public="id item recorded_seq", pseudonymous="patient need daily_quantity since until"
    ),
    # Raw field submissions carry their free text (notes, circumstances) as typed: kept sealed
    # (corridor.intake.sealing), under the data key of the patient that ``owner`` names, else the install's.
    "intake.ImportedSubmission": _fields(
        public="id instance_id form seqs platform file_format imported_at",
        pseudonymous="imported_by owner digests",
        clinical="answers",
    ),
    "intake.Refusal": _fields(
        public="id source way instance_id form problems first_seen_at last_seen_at times settled_at",
        pseudonymous="owner",
        clinical="data",
    ),
    "web.Preference": _fields(pseudonymous="id user language"),
    # A job belongs to its owner and is shown to no one else.
    "jobs.Job": _fields(
        public="id kind state progress progress_text progress_said attempts worker task_id schedule link filename "
        "media_type created_at started_at heartbeat_at finished_at error error_said",
        pseudonymous="owner params answer answer_said data content",
    ),
}

# Ledger payload keys, whatever the event (nested keys are classed by the same table).
KEYS: dict[str, Sensitivity] = _fields(
    public="site facility date at precision synthetic trip name names en fa ar country population time_zone "
    "opening_hours closed_dates specialties travel_minutes deadline_days rank weight effective_from effective_until "
    "max_patients_per_day max_escorts_per_day max_facilities_per_day allowed_weekdays camp_chooses_patients "
    "camp_chooses_escorts camp_chooses_doctor camp_chooses_appointment_time camp_chooses_interpreter "
    "camp_chooses_nurse scenario description first_entry sha256 counts category item unit quantity "
    "quantity_allowed quantity_requested requested_on delivery critical_threshold daily_use_set needs_power fuel "
    "generator litres_per_hour hours_run outage_hours fuel_used late facility_closes_at hours_held cancelled_by "
    "appointment_time plan since reason kind resource status tree_size root_hash files manifest_sha256 rows "
    "format media_type bytes c2pa proofmode proofmode_detail derivative thumbnail entry timestamps language "
    "text month horizon_days standby forecast planner seconds expires_at identity_key key_id count today days "
    "moved_from moved_to retract corrects because_of tap tapped_at via request retention refusal "
    # The planner's proposal: its figures, and sentences it writes itself from codes (never typed text).
    "alternatives arrival_rate assumed booked bound cancel_rate cancelled_today code day days_late decided_by due "
    "explanations extra_cost fixed_appointment gap id kept_trips lower_bound objective planned_day rules sentence "
    "slack_days trips used_up weighted",
    pseudonymous="priority patient patients escorts referrals referral companion for role answer camp_may_choose "
    "has_identity registered_on sex birth_year depends_on_power specialty diagnosis_icd10 due_date referral_date "
    "fit_to_travel_from facilities outcome referral_status follow_up_due closed_on need daily_quantity "
    "waiting_referrals days_waited after_denied_care user username roles before after sites token token_issued_by "
    "label by break_glass_entry grant subjects instance_id form source certainty added removed person died",
    # A field submission as the server sent it (its answers, free text included), kept whole in the entry.
    clinical="diagnosis note notes circumstances outcome_note submission",
    identifying="purpose full_name contact",
)

# (event type, key) -> class, where an event uses a common key for something of another class.
EVENT_KEYS: dict[tuple[str, str], Sensitivity] = {
    ("checkpoint.signed", "note"): PUBLIC,  # the signed checkpoint text, published as is
    ("power.recorded", "note"): PUBLIC,  # hours without power, about the camp
    ("supply.counted", "note"): PUBLIC,
    ("rules.changed", "notes"): PUBLIC,  # what the authority's rules are reported to be
    ("trip.companion_asked", "note"): PSEUDONYMOUS,  # as TripCompanion.answer_note
    ("trip.companion_answered", "note"): PSEUDONYMOUS,
    ("access.break_glass", "reason"): PSEUDONYMOUS,  # as BreakGlass.reason
    # Why an identity is to be erased can itself say who or what (a family's request after a death, a
    # diagnosis): written for the second admin, who reads it on the erasure pages; withheld in the ledger.
    ("erasure.requested", "reason"): IDENTIFYING,
    ("erasure.cancelled", "reason"): IDENTIFYING,
    ("access.break_glass_acknowledged", "note"): PSEUDONYMOUS,
}

# Keys whose value is a mapping keyed by data (weekdays, counts' labels), classed as a whole, never walked.
OPAQUE = frozenset({"opening_hours", "counts", "proofmode_detail", "planner", "forecast", "submission"})


def field_class(label: str, field: str) -> Sensitivity | None:
    """The class of ``field`` of model ``label`` ("register.Referral"), or None when it is not classed."""
    return FIELDS.get(label, {}).get(field)


def key_class(event: str, key: str) -> Sensitivity | None:
    """The class of payload ``key`` in an ``event`` entry, or None when it is not classed."""
    return EVENT_KEYS.get((event, key)) or KEYS.get(key)


def payload_keys(payload: Any) -> Iterable[str]:
    """Every key of ``payload``, nested ones included (opaque values are not walked)."""
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            yield str(key)
            if key not in OPAQUE:
                yield from payload_keys(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from payload_keys(item)


def may_read_clinical(user: Actor) -> bool:
    """Whether ``user`` reads clinical text, asked once per user object: a page or an API list asks for every
    row, and a user's roles are not changed in the middle of one request."""
    if user is None or isinstance(user, str):
        return can(user, Can.READ_CLINICAL)
    cached: bool | None = user.__dict__.get("_corridor_read_clinical")
    if cached is None:
        cached = can(user, Can.READ_CLINICAL)
        user.__dict__["_corridor_read_clinical"] = cached
    return cached


def visible(cls: Sensitivity | None, user: Actor) -> bool:
    """Whether ``user`` may be shown a value of class ``cls``. An unclassed value is treated as clinical."""
    if cls is None or cls in RESTRICTED:
        return may_read_clinical(user)
    return True


def withheld() -> str:
    return str(WITHHELD)


def _redacted(event: str, value: Any, keep_commitments: bool = False) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            cls = key_class(event, str(key))
            if cls is None or cls in RESTRICTED:
                # An empty note is shown as empty: that no text was written is not itself sensitive.
                kept = inner in ("", None) or (keep_commitments and commitments.is_commitment(inner))
                out[key] = inner if kept else withheld()
            elif key in OPAQUE:
                out[key] = inner
            else:
                out[key] = _redacted(event, inner, keep_commitments)
        return out
    if isinstance(value, list):
        return [_redacted(event, item, keep_commitments) for item in value]
    return value


def redact(payload: Mapping[str, Any], user: Actor, event: str = "") -> dict[str, Any]:
    """``payload`` as ``user`` may see it: clinical and identifying values replaced by ``[withheld]``."""
    if may_read_clinical(user):
        return dict(payload)
    return dict(_redacted(event, payload))


def is_redacted(payload: Mapping[str, Any], event: str) -> bool:
    """Whether some text of ``payload`` is withheld from a role without read_clinical."""
    return _redacted(event, payload) != dict(payload)


def redact_entry(entry: Any, user: Actor) -> Any:
    """``entry`` (a ledger Entry) with its payload redacted for ``user``, in place, and returned.

    Only the parsed copy changes: the stored body and its hash stay as they are, so verification is untouched;
    the body itself is never shown to a role without read_clinical (see :func:`entry_record`).
    """
    return _redact_entry(entry, may_read_clinical(user))


def _redact_entry(entry: Any, allowed: bool) -> Any:
    if allowed:
        return entry
    fields = dict(entry.fields)
    # The body's commitments are withheld like the texts they stand for: they are of the same class.
    fields["payload"] = dict(_redacted(entry.type, fields["payload"]))
    entry.__dict__["_fields"] = fields
    entry.__dict__["_payload"] = fields["payload"]
    entry.__dict__["_redacted"] = fields["payload"] != _parsed(entry)["payload"]
    return entry


def redact_entries(entries: Iterable[Any], user: Actor) -> list[Any]:
    """Each of ``entries`` redacted for ``user`` (whose roles are read once, not once an entry)."""
    allowed = may_read_clinical(user)
    found = [_redact_entry(e, allowed) for e in entries]
    if allowed:
        from corridor.ledger.models import Entry

        Entry.reveal_all(found)
    return found


def _parsed(entry: Any) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(entry.body)
    return value


def entry_record(entry: Any, user: Actor) -> dict[str, Any]:
    """The entry as exported (every hashed field plus its hash), its payload redacted for ``user``.

    A redacted record no longer hashes to ``hash``: ``redacted`` says so, and the full record is for the roles
    that may read clinical text (or through ``text.viewed``).
    """
    if entry.committed and not may_read_clinical(user):
        hashed = entry.fields["payload"]
        # Every text in its body is a commitment, which reveals nothing of it (docs/ledger.md, "Commitments"):
        # the entry is given whole, so it still hashes to its hash.
        if _redacted(entry.type, hashed, keep_commitments=True) == hashed:
            whole: dict[str, Any] = entry.as_record()
            return whole
    redact_entry(entry, user)
    record: dict[str, Any] = entry.as_record()
    if entry.__dict__.get("_redacted"):
        record["redacted"] = True
    elif entry.committed:
        # The hashed body holds commitments in place of the texts; a reader of clinical text is given the
        # texts, and the record, like a redacted one, no longer hashes to ``hash``.
        record["payload"] = entry.payload
        record["revealed"] = True
    return record


def text_of(value: str, cls: Sensitivity, user: Actor) -> str:
    """A model field's text as ``user`` may see it."""
    if not value or visible(cls, user):
        return value
    return withheld()


def field_text(obj: Any, field: str, user: Actor) -> str:
    """``obj.field`` as ``user`` may see it, by the field's class here."""
    label = obj._meta.label
    value = getattr(obj, field)
    return text_of(value, field_class(label, field) or CLINICAL, user)
