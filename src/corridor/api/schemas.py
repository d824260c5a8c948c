"""What the API accepts and returns.

Inputs are bounded everywhere (text without control characters, whole numbers and dates within
sensible ranges) so that hostile input is refused with a 422 naming the field before any service runs,
instead of reaching the database as something it cannot store.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from corridor import vocabulary
from corridor.ledger.catalogue import SUBJECT_PATTERN
from corridor.planning.budget import Budget
from corridor.register.models import Referral
from corridor.transfers import bounds
from corridor.transfers.models import TripPassenger
from corridor.validate import CODE_PATTERN

# --------------------------------------------------------------------------------------------- inputs

# One line of text: no control characters at all. A paragraph may hold tabs and line breaks.
LINE = r"^[^\x00-\x1f\x7f]*$"
PARAGRAPH = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, min_length=1, max_length=32)]
Line = Annotated[str, StringConstraints(pattern=LINE, max_length=200)]
Paragraph = Annotated[str, StringConstraints(pattern=PARAGRAPH, max_length=5000)]
Purpose = Annotated[str, StringConstraints(pattern=LINE, max_length=200)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Seq = Annotated[int, Field(ge=1, le=2**53)]
Count = Annotated[int, Field(ge=0, le=1000)]
Quantity = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
# The code lists come from corridor.vocabulary, so the API cannot accept a code the models do not know
# or miss one they added. mypy sees plain strings (an enum built at run time is no type to it); pydantic
# and the OpenAPI document see the named enums.
if TYPE_CHECKING:
    SourceCode = str
    CertaintyCode = str
    SpecialtyCode = str
    SexCode = str
    CancelledByCode = str
    OutcomeCode = str
    ClosingReason = str
    PatientStatusCode = str
    ReferralStatusCode = str
    TripStatusCode = str
    NeedCode = str
else:
    PatientStatusCode = vocabulary.enum("patient_status")
    ReferralStatusCode = vocabulary.enum("referral_status")
    TripStatusCode = vocabulary.enum("trip_status")
    NeedCode = vocabulary.enum("dependence_need")
    SourceCode = vocabulary.enum("source")
    CertaintyCode = vocabulary.enum("certainty")
    SpecialtyCode = vocabulary.enum("specialty")
    SexCode = vocabulary.enum("sex")
    CancelledByCode = vocabulary.enum("cancelled_by")
    OutcomeCode = vocabulary.enum(
        "outcome", only=[o for o in TripPassenger.Outcome if o != TripPassenger.Outcome.PENDING]
    )
    ClosingReason = vocabulary.enum(
        "referral_status", "ClosingReason", only=[s for s in Referral.Status if s not in Referral.OPEN]
    )

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def _date_in_range(value: dt.date) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _moment_in_range(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone")
    _date_in_range(value.date())
    return value


def _storable(value: Any, depth: int = 0) -> Any:
    """A JSON value the ledger can store as text on both databases: no NUL or other control character
    (PostgreSQL's jsonb refuses \\u0000), no lone surrogate (not UTF-8), not nested absurdly deep."""
    if depth > 8:
        raise ValueError("is nested too deeply")
    if isinstance(value, str):
        if any(ord(c) < 32 and c not in "\t\n\r" or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("text must not hold control characters")
        if len(value) > 5000:
            raise ValueError("text is longer than 5000 characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key, depth + 1)
            _storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _storable(item, depth + 1)
    return value


Date = Annotated[dt.date, AfterValidator(_date_in_range)]
Moment = Annotated[dt.datetime, AfterValidator(_moment_in_range)]
Weekday = Annotated[int, Field(ge=0, le=6)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Evidence(Schema):
    """How the recorded fact is known, and how surely."""

    source: SourceCode = SourceCode("witness")
    certainty: CertaintyCode = CertaintyCode("confirmed")


# -------------------------------------------------------------------------------------------- outputs


class ErrorBody(Schema):
    status: int
    code: str = Field(description="invalid_input, not_authenticated, not_allowed, not_found, conflict, rate_limited…")
    message: str
    field: str | None = Field(None, description="the input field at fault, when there is one")
    details: list[dict[str, Any]] | None = Field(None, description="every validation problem, for invalid_input")
    reason: str | None = Field(None, description="a service's refusal: its code (e.g. trip.over_patients_per_day)")
    values: dict[str, Any] | None = Field(None, description="the refusal's values, to word it in any language")


class ErrorOut(Schema):
    """Every error the API returns, whatever its cause."""

    error: ErrorBody


class EntryRef(Schema):
    """The ledger entry a write produced: cite it, or verify it in an export."""

    seq: int
    hash: str
    type: str


class PageMeta(Schema):
    count: int = Field(description="how many items match, over all pages")
    limit: int
    offset: int


# A reference row's name in Persian and Arabic (and English, when it differs from ``name``): each optional.
Names = Annotated[
    dict[Literal["en", "fa", "ar"], Annotated[str, StringConstraints(pattern=LINE, min_length=1, max_length=200)]],
    Field(
        description='the name in other languages, e.g. {"fa": "…", "ar": "…"}; a page in a language left out shows name'
    ),
]


class SiteOut(Schema):
    code: str
    name: str
    names: dict[str, str]
    country: str
    population: int
    time_zone: str


class SiteIn(Schema):
    code: Code
    name: Line
    names: Names = Field(default_factory=dict)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
    population: Annotated[int, Field(ge=0, le=100_000_000)] = 0
    time_zone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+\-/]{1,64}$")] = "UTC"


class FacilityOut(Schema):
    code: str
    name: str
    names: dict[str, str]
    specialties: list[str]
    opening_hours: dict[str, list[str]]
    travel_minutes: int
    closed_dates: list[str]


OpeningHours = dict[Literal["0", "1", "2", "3", "4", "5", "6"], Annotated[list[HHMM], Field(max_length=2)]]


class FacilityIn(Schema):
    code: Code
    name: Line
    names: Names = Field(default_factory=dict)
    specialties: Annotated[list[SpecialtyCode], Field(min_length=1, max_length=11)]
    opening_hours: OpeningHours = Field(default_factory=dict)
    travel_minutes: Annotated[int, Field(ge=0, le=1440)] = 60
    closed_dates: Annotated[list[Date], Field(max_length=400)] = Field(default_factory=list)


class FacilityChange(Schema):
    name: Line | None = None
    names: Names | None = None
    specialties: Annotated[list[SpecialtyCode], Field(min_length=1, max_length=11)] | None = None
    opening_hours: OpeningHours | None = None
    travel_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    closed_dates: Annotated[list[Date], Field(max_length=400)] | None = None


class IdentityIn(Schema):
    full_name: Annotated[str, StringConstraints(pattern=LINE, min_length=1, max_length=200)]
    contact: Line = ""
    notes: Paragraph = ""


class IdentityOut(Schema):
    patient: str
    full_name: str | None
    contact: str | None
    notes: str | None
    erased: bool = Field(False, description='the identity was erased: each field reads "erased" (docs/privacy.md)')
    viewed_entry: int = Field(description="the identity.viewed ledger entry that records this reading")


class PatientOut(Schema):
    """A patient under a pseudonymous code. Identity fields appear only when asked for and allowed."""

    code: str
    site: str
    sex: str
    birth_year: int | None
    status: str
    registered_on: dt.date
    depends_on_power: bool
    synthetic: bool
    identity: IdentityOut | None = None


class PatientIn(Evidence):
    site: Code
    code: Code
    registered_on: Date
    sex: SexCode = SexCode("u")
    birth_year: Annotated[int, Field(ge=1900, le=2199)] | None = None
    depends_on_power: bool = False
    identity: IdentityIn | None = None


class PatientChange(Schema):
    sex: SexCode | None = None
    birth_year: Annotated[int, Field(ge=1900, le=2199)] | None = None
    depends_on_power: bool | None = None


class DeathIn(Evidence):
    on: Date
    circumstances: Paragraph = ""
    after_denied_care: bool = False


class ReferralOut(Schema):
    id: int
    patient: str
    specialty: str
    diagnosis_icd10: str
    diagnosis: str
    priority: str
    referral_date: dt.date
    due_date: dt.date
    fit_to_travel_from: dt.date | None
    eligible_facilities: list[str]
    status: str
    follow_up_due: dt.date | None = None
    closed_on: dt.date | None
    synthetic: bool


class ReferralIn(Evidence):
    patient: Code
    specialty: SpecialtyCode
    priority: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._\-]{1,8}$")]
    referral_date: Date
    eligible_facilities: Annotated[list[Code], Field(max_length=50)] = Field(default_factory=list)
    diagnosis_icd10: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.]{0,8}$")] = ""
    diagnosis: Line = ""
    fit_to_travel_from: Date | None = None


class ReferralClose(Evidence):
    reason: ClosingReason
    on: Date
    note: Annotated[str, StringConstraints(pattern=PARAGRAPH, max_length=2000)] = ""


class RulesOut(Schema):
    id: int
    site: str
    effective_from: dt.date
    effective_until: dt.date | None
    max_patients_per_day: int
    max_escorts_per_day: int
    max_facilities_per_day: int
    allowed_weekdays: list[int]
    camp_chooses_patients: bool
    camp_chooses_escorts: bool
    camp_chooses_doctor: bool
    camp_chooses_appointment_time: bool
    camp_chooses_interpreter: bool
    camp_chooses_nurse: bool
    notes: str
    source: str
    certainty: str
    recorded_seq: int


class RulesIn(Evidence):
    effective_from: Date
    effective_until: Date | None = None
    max_patients_per_day: Count
    max_facilities_per_day: Count = 1
    max_escorts_per_day: Count = 0
    allowed_weekdays: Annotated[list[Weekday], Field(max_length=7)] = Field(default_factory=lambda: list(range(7)))
    camp_chooses_patients: bool = False
    camp_chooses_escorts: bool = False
    camp_chooses_doctor: bool = False
    camp_chooses_appointment_time: bool = False
    camp_chooses_interpreter: bool = False
    camp_chooses_nurse: bool = False
    notes: Paragraph = ""


class PassengerOut(Schema):
    patient: str
    role: str
    referral: int | None
    escort_for: str | None
    outcome: str
    outcome_note: str
    follow_up_due: dt.date | None = None
    removed: bool


class TripOut(Schema):
    id: int
    site: str
    date: dt.date
    facility: str
    status: str
    status_reason: str
    cancelled_by: str
    appointment_time: dt.time | None
    gate_arrived_at: dt.datetime | None
    held_since: dt.datetime | None = None
    gate_released_at: dt.datetime | None
    hours_held: float | None
    hospital_arrived_at: dt.datetime | None
    facility_closes_at: dt.datetime | None
    arrived_late: bool | None
    returned_at: dt.datetime | None
    turned_back_at_gate: bool
    synthetic: bool
    passengers: list[PassengerOut]


class EscortIn(Schema):
    escort: Code
    escorting: Code


class TripIn(Evidence):
    site: Code
    date: Date
    facility: Code
    referrals: Annotated[list[Id], Field(min_length=1, max_length=100)]
    escorts: Annotated[list[EscortIn], Field(max_length=100)] = Field(default_factory=list)
    appointment_time: dt.time | None = None
    source: SourceCode = SourceCode("system")


class AnswerIn(Evidence):
    """The authority's answer or a cancellation, when it happened and the reason it gave (if any).

    ``at`` when the time of day is known; else ``on``, the date alone (stored with date precision).
    """

    at: Moment | None = None
    on: Date | None = Field(default=None, description="the date alone, when the time of day is not known")
    reason: Paragraph = ""
    source: SourceCode = SourceCode("official_statement")


class CancelIn(AnswerIn):
    cancelled_by: CancelledByCode = CancelledByCode("authority")
    source: SourceCode = SourceCode("witness")


class MomentIn(Evidence):
    at: Moment


class HoldIn(Evidence):
    since: Moment
    note: Paragraph = ""


class TurnedBackIn(MomentIn):
    reason: Paragraph = ""


class OutcomeIn(Evidence):
    patient: Code
    outcome: OutcomeCode
    note: Paragraph = ""
    follow_up_due: Date | None = None
    at: Moment | None = None
    on: Date | None = Field(default=None, description="the date alone, when the time of day is not known")


class MissedIn(Evidence):
    patient: Code
    reason: Annotated[str, StringConstraints(pattern=PARAGRAPH, min_length=1, max_length=5000)]


class ManifestIn(Schema):
    add: Annotated[list[Id], Field(max_length=100)] = Field(default_factory=list, description="referral ids to add")
    remove: Annotated[list[Code], Field(max_length=100)] = Field(
        default_factory=list, description="patient codes to take off"
    )
    reason: Annotated[str, StringConstraints(pattern=PARAGRAPH, min_length=1, max_length=5000)]


class TimelineEvent(Schema):
    seq: int
    type: str
    occurred_at: str
    recorded_by: str
    source: str
    certainty: str
    payload: dict[str, Any]


class TimelineOut(Schema):
    trip: TripOut
    events: list[TimelineEvent]


class EntryOut(Schema):
    seq: int
    type: str
    occurred_at: str
    recorded_at: str
    recorded_by: str
    subjects: list[str]
    payload: dict[str, Any]
    source: str
    certainty: str
    corrects: int | None
    prev_hash: str
    hash: str
    redacted: bool = Field(
        False,
        description="true when clinical or identifying text is withheld from the caller's role: the record no "
        "longer hashes to `hash` (read it whole with GET /api/ledger/{seq}/text)",
    )
    revealed: bool = Field(
        False,
        description="true when the payload shows texts that the hashed body holds only as commitments "
        "(docs/ledger.md, Commitments): the record no longer hashes to `hash`; `corridor prove text` gives one text "
        "with its salt",
    )


class CorrectionIn(Schema):
    reason: Annotated[str, StringConstraints(pattern=PARAGRAPH, min_length=1, max_length=5000)]
    changes: Annotated[
        dict[Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,64}$")], Any], AfterValidator(_storable)
    ] = Field(default_factory=dict)
    retract: bool = False
    source: SourceCode = SourceCode("witness")
    certainty: CertaintyCode = CertaintyCode("confirmed")


class VerdictOut(Schema):
    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None
    problem: str | None


class IdentityViewOut(Schema):
    seq: int
    viewed_at: str
    viewed_by: str
    patient: str
    patients: list[str] = Field(
        default_factory=list, description="every patient shown: one, or several for a search by name"
    )
    purpose: str


# Each part of a plan's work budget a caller may lower, up to the recorded default: a quicker plan, still
# reproducible (its entry records the budget), never a costlier one on a shared server.
_DEFAULT = Budget()


class PlanBudgetIn(Schema):
    """Less work than the recorded default, part by part; a part left out keeps the default."""

    model_config = ConfigDict(extra="forbid")

    dual_iterations: Annotated[int, Field(ge=0, le=_DEFAULT.dual_iterations)] | None = None
    search_rounds: Annotated[int, Field(ge=0, le=_DEFAULT.search_rounds)] | None = None
    windows: Annotated[int, Field(ge=0, le=_DEFAULT.windows)] | None = None
    window_nodes: Annotated[int, Field(ge=1, le=_DEFAULT.window_nodes)] | None = None
    polish_iterations: Annotated[int, Field(ge=0, le=_DEFAULT.polish_iterations)] | None = None


class PlanProposeIn(Schema):
    # A field the planner would not use is refused, not dropped: plans are bounded by work, not seconds,
    # so a ``time_limit`` (accepted and ignored before) gets a 422 that names it.
    model_config = ConfigDict(extra="forbid")

    date: Date | None = Field(None, description="the day to plan (default: today by Corridor's clock)")
    horizon_days: Annotated[int, Field(ge=7, le=366)] = 60
    budget: PlanBudgetIn | None = Field(
        None, description="less planning work than the default, for a quicker plan; recorded with it"
    )


class PlanBoundOut(Schema):
    """How far the plan can be from the best possible (``corridor.transfers.bounds.Shown``)."""

    value: int = Field(description="no plan for this day's instance can cost less (weighted days late)")
    gap: float = Field(description="(objective - value) / objective: at most this share could still be saved")
    source: str = Field(
        description="; ".join(f"{k}: {v}" for k, v in bounds.SOURCES.items()),
        json_schema_extra={"enum": list(bounds.SOURCES)},
    )
    state: str = Field(
        description="where the LP bound stands: " + "; ".join(f"{k}: {v}" for k, v in bounds.STATES.items()),
        json_schema_extra={"enum": list(bounds.STATES)},
    )
    lp_entry: int | None = Field(default=None, description="the plan.lp_bound ledger entry, once recorded")
    lp_bound: int | None = Field(default=None, description="the LP's bound, when it proved one")


class PlanOut(Schema):
    seq: int
    hash: str
    recorded_at: str
    recorded_by: str
    site: str
    date: str
    trip: dict[str, Any] | None
    standby: list[dict[str, Any]]
    forecast: list[dict[str, Any]]
    objective: float
    lower_bound: float
    explanations: list[Any]
    bound: PlanBoundOut
    booked: dict[str, Any] | None = Field(
        default=None, description="what the day already holds: trips, patients, hospitals, and whether it is used up"
    )


class PlanAcceptIn(Schema):
    facility: Code | None = None
    referrals: Annotated[list[Id], Field(max_length=100)] | None = None
    reason: Paragraph = ""


class IncidentIn(Evidence):
    site: Code
    kind: Annotated[str, StringConstraints(pattern=LINE, min_length=1, max_length=100)]
    resource: Annotated[str, StringConstraints(pattern=LINE, min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(pattern=PARAGRAPH, min_length=1, max_length=5000)]
    on: Date
    subjects: Annotated[list[Annotated[str, StringConstraints(pattern=SUBJECT_PATTERN)]], Field(max_length=50)] = Field(
        default_factory=list
    )
    certainty: CertaintyCode = CertaintyCode("unverified")


class DependenceIn(Evidence):
    patient: Code
    item: Code = Field(description="one of the patient's site's items")
    need: NeedCode
    # Required: a day nobody gave, stored as the start, would say the patient depended from then and not before.
    since: Date = Field(description="the day the dependence began, as the patient's file or the patient says it")
    daily_quantity: Quantity | None = Field(None, description="in the item's unit, when known")
    # As the service: a dependence is usually known from the patient's file.
    source: SourceCode = SourceCode("document")


class DependenceEndIn(Evidence):
    on: Date
    reason: Annotated[str, StringConstraints(pattern=PARAGRAPH, max_length=2000)]
    source: SourceCode = SourceCode("document")


class DependenceOut(Schema):
    """A patient's dependence on a supply, under the patient's pseudonymous code."""

    id: int
    patient: str
    site: str
    item: str
    need: str = Field(description="what the supply is needed for (a code of the dependence_need list)")
    daily_quantity: float | None = Field(description="in the item's unit; null when not known")
    since: dt.date
    until: dt.date | None = Field(description="the day it ended; null while it lasts")
    needs_power: bool = Field(description="the item needs power, so the patient depends on the site's fuel too")
    recorded_seq: int


class PowerDayIn(Evidence):
    """A generator's day: any of the three figures, at least one. A figure left out stays unknown."""

    site: Code
    generator: Code
    on: Date
    hours_run: Quantity | None = Field(None, description="hours the generator ran")
    fuel_used: Quantity | None = Field(None, description="litres it burned, when metered")
    outage_hours: Quantity | None = Field(None, description="hours the camp was without power")
    note: Annotated[str, StringConstraints(pattern=PARAGRAPH, max_length=2000)] = ""


class PowerDayOut(Schema):
    """A power day as stored: each figure as given, null when nobody gave it (never worked out from another)."""

    site: str
    generator: str
    on: dt.date
    hours_run: float | None
    fuel_used: float | None
    outage_hours: float | None
    note: str
    source: str
    certainty: str
    recorded_seq: int


class CountOut(Schema):
    key: str
    count: int


class DashboardOut(Schema):
    """The coordinator's morning view, in numbers."""

    today: dt.date
    patients: int
    facilities: int
    waiting: int
    past_deadline: int
    waiting_by_priority: list[CountOut]
    trips_by_status: list[CountOut]
    deaths_while_waiting: int
    ledger_entries: int
    ledger_head: str


class TokenOut(Schema):
    id: int
    label: str
    prefix: str
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None


class MeOut(Schema):
    username: str
    roles: list[str]
    capabilities: list[str]
    token: TokenOut
