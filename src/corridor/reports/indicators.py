"""The built-in indicators: their documented definitions and the functions that compute them.

Each compute function runs the SQL aggregation in :mod:`corridor.reports.queries` and the maths in
:mod:`corridor.reports.core`. docs/indicators.md documents every indicator registered here; a test
fails if the two disagree. Other apps add indicators the same way, in their own ``indicators.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext_noop

from corridor.reports import core, obstruction, queries
from corridor.reports.catalogue import Indicator, Result, Value, define_section, register
from corridor.reports.core import Column, Period, Table

WHO_BREAKDOWNS = ("age_group", "sex", "specialty", "facility", "priority")

define_section(
    "requests",
    gettext_noop("Requests to leave for care"),
    order=10,
)
define_section("care", gettext_noop("Time to care"), order=20)
define_section(
    "backlog",
    gettext_noop("The waiting list at the end of the period"),
    order=30,
)
define_section("trips", gettext_noop("Trips and the gate"), order=40)
define_section(
    "deaths",
    gettext_noop("Deaths while waiting"),
    order=50,
)
define_section(
    "incidents",
    gettext_noop("Obstruction incidents"),
    order=60,
)

REQUEST_SOURCE = (
    "transfers_trippassenger (role patient, not removed) joined to transfers_trip (date, facility, status), "
    "register_patient (sex, birth_year) and register_referral (specialty, priority); the answer from the "
    "first trip.approved or trip.denied ledger entry about the trip that is not retracted"
)

# ------------------------------------------------------------------------------------------- requests

REQUESTS = (
    Indicator(
        code="requests.total",
        section="requests",
        title=gettext_noop("Requests"),
        definition=gettext_noop(
            "Trip requests for a patient whose trip date fell in the period, one per patient and trip."
        ),
        formula="count of patient places on trips dated from the 1st of the month to the as-of date, excluding "
        "trips only proposed and patients taken off the manifest",
        unit="requests",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.approved",
        section="requests",
        title=gettext_noop("Approved"),
        definition=gettext_noop("Requests approved on or before the trip date."),
        formula="requests whose first definitive answer is trip.approved, dated (UTC) on or before the trip date",
        unit="requests",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.denied",
        section="requests",
        title=gettext_noop("Denied"),
        definition=gettext_noop("Requests denied on or before the trip date."),
        formula="requests whose first definitive answer is trip.denied, dated (UTC) on or before the trip date",
        unit="requests",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.delayed",
        section="requests",
        title=gettext_noop("Delayed"),
        definition=gettext_noop("Requests with no definitive answer (approval or denial) by the trip date."),
        formula="requests − approved − denied: no answer at all, or the first answer dated after the trip date",
        unit="requests",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.approval_rate",
        section="requests",
        title=gettext_noop("Approval rate"),
        definition=gettext_noop("Approved requests as a share of all requests."),
        formula="100 × approved / requests",
        unit="%",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.denial_rate",
        section="requests",
        title=gettext_noop("Denial rate"),
        definition=gettext_noop("Denied requests as a share of all requests."),
        formula="100 × denied / requests",
        unit="%",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.delay_rate",
        section="requests",
        title=gettext_noop("Delay rate"),
        definition=gettext_noop("Requests without a definitive answer by the trip date, as a share of all requests."),
        formula="100 × delayed / requests (approval + denial + delay rates = 100 %)",
        unit="%",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.unsuccessful_rate",
        section="requests",
        title=gettext_noop("Unsuccessful rate"),
        definition=gettext_noop("Denied and delayed requests as a share of all requests."),
        formula="100 × (denied + delayed) / requests",
        unit="%",
        breakdowns=WHO_BREAKDOWNS,
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="requests.not_due",
        section="requests",
        title=gettext_noop("Not yet due"),
        definition=gettext_noop("Requests for trips dated after the report's as-of date; not counted above."),
        formula="patient places on trips dated after the as-of date and before the month's end",
        unit="requests",
        breakdowns=(),
        source=REQUEST_SOURCE,
    ),
    Indicator(
        code="escorts.approved",
        section="requests",
        title=gettext_noop("Escorts approved"),
        definition=gettext_noop("Escorts on requested trips whose trip was approved by the trip date."),
        formula="escort places (role escort, not removed) on the period's trips classed approved, as for patients",
        unit="escorts",
        breakdowns=(),
        source=REQUEST_SOURCE.replace("role patient", "role escort"),
    ),
    Indicator(
        code="escorts.denied",
        section="requests",
        title=gettext_noop("Escorts denied"),
        definition=gettext_noop("Escorts on requested trips whose trip was denied by the trip date."),
        formula="escort places on the period's trips classed denied",
        unit="escorts",
        breakdowns=(),
        source=REQUEST_SOURCE.replace("role patient", "role escort"),
    ),
    Indicator(
        code="escorts.pending",
        section="requests",
        title=gettext_noop("Escorts pending"),
        definition=gettext_noop("Escorts with no answer by the trip date, or whose trip is still to come."),
        formula="escort places on the period's trips classed delayed or not yet due",
        unit="escorts",
        breakdowns=(),
        source=REQUEST_SOURCE.replace("role patient", "role escort"),
    ),
)

REQUEST_COLUMNS = [
    Column("category", "label"),
    Column("requests"),
    Column("approved", part_of="requests"),
    Column("denied", part_of="requests"),
    Column("delayed", part_of="requests"),
    Column("approval_rate", "rate", numerators=("approved",), basis="requests"),
    Column("denial_rate", "rate", numerators=("denied",), basis="requests"),
    Column("delay_rate", "rate", numerators=("delayed",), basis="requests"),
    Column("unsuccessful_rate", "rate", numerators=("denied", "delayed"), basis="requests"),
]


def _request_row(category: str, counts: dict[str, int]) -> list[Any]:
    approved, denied, delayed = counts.get(core.APPROVED, 0), counts.get(core.DENIED, 0), counts.get(core.DELAYED, 0)
    total = approved + denied + delayed
    return [
        category,
        total,
        approved,
        denied,
        delayed,
        core.rate(approved, total),
        core.rate(denied, total),
        core.rate(delayed, total),
        core.rate(denied + delayed, total),
    ]


def compute_requests(period: Period) -> Result:
    cube = queries.request_cube(period)
    overall: dict[str, int] = defaultdict(int)
    by: dict[str, dict[str, dict[str, int]]] = {name: {} for name in WHO_BREAKDOWNS}
    for row in cube:
        overall[row["class"]] += row["n"]
        if row["class"] == core.NOT_DUE:
            continue
        for name in WHO_BREAKDOWNS:
            category = row[name] if row[name] is not None else core.UNKNOWN
            counts = by[name].setdefault(str(category), {})
            counts[row["class"]] = counts.get(row["class"], 0) + row["n"]
    tables = []
    for name in WHO_BREAKDOWNS:
        categories = list(by[name])
        if name == "age_group":
            categories = [c for c in (*core.AGE_GROUPS, core.UNKNOWN) if c in by[name]]
        else:
            categories.sort()
        rows = [_request_row(c, by[name][c]) for c in categories]
        tables.append(Table(f"requests.by_{name}", list(REQUEST_COLUMNS), rows, indicator="requests.total"))
    headline = _request_row("all", overall)
    total = headline[1]
    escorts = queries.escort_counts(period)
    values = {
        "requests.total": Value.of_count(total),
        "requests.approved": Value.of_count(headline[2], part_of="requests.total"),
        "requests.denied": Value.of_count(headline[3], part_of="requests.total"),
        "requests.delayed": Value.of_count(headline[4], part_of="requests.total"),
        "requests.approval_rate": Value(headline[5], total, numerators=("requests.approved",)),
        "requests.denial_rate": Value(headline[6], total, numerators=("requests.denied",)),
        "requests.delay_rate": Value(headline[7], total, numerators=("requests.delayed",)),
        "requests.unsuccessful_rate": Value(headline[8], total, numerators=("requests.denied", "requests.delayed")),
        "requests.not_due": Value.of_count(overall.get(core.NOT_DUE, 0)),
        "escorts.approved": Value.of_count(escorts.get(core.APPROVED, 0)),
        "escorts.denied": Value.of_count(escorts.get(core.DENIED, 0)),
        "escorts.pending": Value.of_count(escorts.get(core.DELAYED, 0) + escorts.get(core.NOT_DUE, 0)),
    }
    return Result(values=values, tables=tables, details={"trend": queries.months_of_requests(period, 6)})


register(*REQUESTS, compute=compute_requests)

# --------------------------------------------------------------------------------------- time to care

CARE_SOURCE = (
    "register_referral (referral_date, due_date, closed_on, priority) and transfers_trippassenger (outcome "
    "seen, procedure_done, admitted, treatment_started, follow_up or care_complete; not removed) with "
    "transfers_trip (date); an outcome whose patient.seen entry was corrected or retracted as that entry stands"
)
KM_DAYS = (7, 14, 30, 60, 90, 180, 365)

CARE = (
    Indicator(
        code="care.seen",
        section="care",
        title=gettext_noop("Referrals first seen"),
        definition=gettext_noop("Referrals whose first completed hospital visit fell in the period."),
        formula="referrals whose earliest trip date with an outcome in which the patient was seen (seen, "
        "procedure_done, admitted, treatment_started, follow_up, care_complete) is in the period",
        unit="referrals",
        breakdowns=("priority",),
        source=CARE_SOURCE,
    ),
    Indicator(
        code="care.days_median",
        section="care",
        title=gettext_noop("Median days to first visit"),
        definition=gettext_noop(
            "Median days from referral to the first completed hospital visit, for referrals first seen in the period."
        ),
        formula="median of (first visit date − referral date) in days over care.seen",
        unit="days",
        breakdowns=("priority",),
        source=CARE_SOURCE,
    ),
    Indicator(
        code="care.days_p90",
        section="care",
        title=gettext_noop("Days to care, 90th percentile"),
        definition=gettext_noop("Nine in ten referrals first seen in the period were seen within this many days."),
        formula="90th percentile (linear interpolation, Hyndman–Fan type 7) of the same days",
        unit="days",
        breakdowns=("priority",),
        source=CARE_SOURCE,
    ),
    Indicator(
        code="care.within_deadline_rate",
        section="care",
        title=gettext_noop("Seen within the clinical deadline"),
        definition=gettext_noop(
            "Share of referrals first seen in the period whose visit was on or before their due date."
        ),
        formula="100 × (care.seen with first visit date ≤ due date) / care.seen",
        unit="%",
        breakdowns=("priority",),
        source=CARE_SOURCE,
    ),
    Indicator(
        code="care.seen_within_90_days",
        section="care",
        title=gettext_noop("Seen within 90 days (competing risks)"),
        definition=gettext_noop(
            "Share of the referrals made in the twelve months to the as-of date estimated to have been seen "
            "within 90 days, with death and leaving counted as ending the wait rather than hidden as if they might "
            "still be seen."
        ),
        formula="Aalen–Johansen cumulative incidence of the first completed visit at 90 days over referrals made in "
        "the 365 days to the as-of date; competing events: closed as died or left (COMPETING_EVENTS); censored at "
        "the as-of date (still waiting) or the closing date (withdrawn, treated without a recorded visit)",
        unit="%",
        breakdowns=(),
        source=CARE_SOURCE,
    ),
    Indicator(
        code="care.km_median_days",
        section="care",
        title=gettext_noop("Median time to care (Kaplan–Meier)"),
        definition=gettext_noop(
            "Days by which half of the referrals made in the twelve months to the as-of date are estimated "
            "to have been seen, counting those still waiting."
        ),
        formula="smallest t with Kaplan–Meier share seen ≥ 50 %, over referrals made in the 365 days to the as-of "
        "date; event = first completed visit; censored at the as-of date (still waiting) or the closing date "
        "(died, left, withdrawn, treated without a recorded visit); scipy.stats.ecdf on CensoredData",
        unit="days",
        breakdowns=("priority",),
        source=CARE_SOURCE,
    ),
)


def _days(later: dt.date, earlier: dt.date) -> int:
    return (later - earlier).days


Cohort = list[tuple[dt.date, dt.date | None, dt.date | None, str, str]]


def _competing(rows: Cohort, as_of: dt.date) -> tuple[core.Incidence, list[int], list[int]]:
    """Time to care with death and leaving as competing events (Aalen–Johansen), with the days and causes it
    was estimated from (so that the public edition can count the deaths and departures behind each share)."""
    durations, causes = [], []
    for referral_date, closed_on, first, _, status in rows:
        if first is not None:
            durations.append(_days(first, referral_date))
            causes.append(core.CARE)
            continue
        closed = closed_on is not None and closed_on <= as_of
        end = closed_on if closed and closed_on is not None else as_of
        durations.append(max(0, _days(end, referral_date)))
        causes.append(queries.COMPETING_EVENTS.get(status, core.CENSORED) if closed else core.CENSORED)
    return core.aalen_johansen(durations, causes), durations, causes


def _by_day(durations: list[int], causes: list[int], cause: int, day: int) -> int:
    """How many in the cohort had ``cause`` within ``day`` days (the count behind a share, for suppression)."""
    return sum(1 for d, c in zip(durations, causes, strict=True) if c == cause and d <= day)


def _km(rows: Cohort, as_of: dt.date) -> core.Curve:
    durations, seen = [], []
    for referral_date, closed_on, first, _, _status in rows:
        if first is not None:
            durations.append(_days(first, referral_date))
            seen.append(True)
        else:
            end = closed_on if closed_on is not None and closed_on <= as_of else as_of
            durations.append(max(0, _days(end, referral_date)))
            seen.append(False)
    return core.kaplan_meier(durations, seen)


def compute_care(period: Period) -> Result:
    visits = queries.first_visits(period)
    by_priority: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for visit in visits:
        by_priority[visit["priority"]].append(visit)
    columns = [
        Column("category", "label"),
        Column("seen"),
        Column("median_days", "days", basis="seen"),
        Column("p90_days", "days", basis="seen"),
        Column("within_deadline"),
        Column("within_deadline_rate", "rate", numerators=("within_deadline",), basis="seen"),
    ]

    def row(category: str, group: list[dict[str, Any]]) -> list[Any]:
        days = [_days(v["first"], v["referral_date"]) for v in group]
        within = sum(1 for v in group if v["first"] <= v["due_date"])
        return [
            category,
            len(group),
            core.percentile(days, 50),
            core.percentile(days, 90),
            within,
            core.rate(within, len(group)),
        ]

    overall = row("all", visits)
    table = Table("care.by_priority", columns, [row(p, by_priority[p]) for p in sorted(by_priority)], "care.seen")
    cohort = queries.km_cohort(period)
    curve = _km(cohort, period.as_of)
    curves = {}
    for code in sorted({r[3] for r in cohort}):
        curves[code] = _km([r for r in cohort if r[3] == code], period.as_of)
    km_table = Table(
        "care.km_curve",
        [Column("day", "label"), Column("cohort"), Column("share_seen", "rate", basis="cohort")],
        [[day, curve.at_risk, _pct(curve.share_by(day))] for day in KM_DAYS],
        "care.km_median_days",
    )
    km_by_priority = Table(
        "care.km_by_priority",
        [Column("category", "label"), Column("cohort"), Column("median_days", "days", basis="cohort")],
        [[code, c.at_risk, c.median] for code, c in curves.items()],
        "care.km_median_days",
    )
    incidence, durations, causes = _competing(cohort, period.as_of)
    # The counts of deaths and departures behind each share travel with it, so that the public edition
    # blanks a share that rests on one to four people (a share of 0.5 % of 182 is one death).
    competing = Table(
        "care.competing_risks",
        [
            Column("day", "label"),
            Column("cohort"),
            Column("share_seen", "rate", basis="cohort"),
            Column("died"),
            Column("share_died", "rate", numerators=("died",), basis="cohort"),
            Column("left"),
            Column("share_left", "rate", numerators=("left",), basis="cohort"),
            Column("km_share_seen", "rate", basis="cohort"),
        ],
        [
            [
                day,
                incidence.at_risk,
                _pct(incidence.share_by(core.CARE, day)),
                _by_day(durations, causes, core.DIED, day),
                _pct(incidence.share_by(core.DIED, day)),
                _by_day(durations, causes, core.LEFT, day),
                _pct(incidence.share_by(core.LEFT, day)),
                _pct(curve.share_by(day)),
            ]
            for day in KM_DAYS
        ],
        "care.seen_within_90_days",
    )
    ended = {cause: sum(1 for c in causes if c == cause) for cause in core.CAUSES}
    values = {
        "care.seen_within_90_days": Value(_pct(incidence.share_by(core.CARE, 90)), incidence.at_risk),
        "care.seen": Value.of_count(overall[1]),
        "care.days_median": Value(overall[2], overall[1]),
        "care.days_p90": Value(overall[3], overall[1]),
        "care.within_deadline_rate": Value(overall[5], overall[1], numerators=(overall[4],)),
        "care.km_median_days": Value(curve.median, curve.at_risk),
    }
    return Result(
        values,
        [table, km_table, km_by_priority, competing],
        {"curve": curve, "curves": curves, "incidence": incidence, "ended": ended},
    )


def _pct(share: float | None) -> float | None:
    return None if share is None else 100.0 * share


register(*CARE, compute=compute_care)

# -------------------------------------------------------------------------------------------- backlog

BACKLOG_SOURCE = (
    "register_referral (referral_date, due_date, follow_up_due, status, closed_on) with register_priorityclass, "
    "and transfers_trippassenger (outcome) with transfers_trip (date) for the first visit"
)
BACKLOG = (
    Indicator(
        code="backlog.waiting",
        section="backlog",
        title=gettext_noop("Waiting"),
        definition=gettext_noop("Referrals waiting for a visit (the first, or a follow-up) at the end of the period."),
        formula="referrals with referral date ≤ as-of date, not closed by then (closed_on empty or after it), and "
        "waiting for a visit: not first seen by then, or waiting now for a follow-up",
        unit="referrals",
        breakdowns=("priority",),
        source=BACKLOG_SOURCE,
    ),
    Indicator(
        code="backlog.past_deadline",
        section="backlog",
        title=gettext_noop("Past the clinical deadline"),
        definition=gettext_noop("Waiting referrals whose due date had passed."),
        formula="backlog.waiting with due date (a follow-up's own deadline when it waits for one) < as-of date",
        unit="referrals",
        breakdowns=("priority",),
        source=BACKLOG_SOURCE,
    ),
    Indicator(
        code="backlog.longest_wait_days",
        section="backlog",
        title=gettext_noop("Longest wait"),
        definition=gettext_noop("Days waited so far by the referral that has waited longest."),
        formula="as-of date − earliest referral date among backlog.waiting",
        unit="days",
        breakdowns=("priority",),
        source=BACKLOG_SOURCE,
    ),
)


def compute_backlog(period: Period) -> Result:
    rows = queries.backlog(period.as_of)
    columns = [
        Column("category", "label"),
        Column("waiting"),
        Column("past_deadline"),
        Column("past_deadline_rate", "rate", numerators=("past_deadline",), basis="waiting"),
        Column("longest_wait_days", "days", basis="waiting"),
    ]
    table_rows = [
        [
            r["priority"],
            r["waiting"],
            r["past_deadline"],
            core.rate(r["past_deadline"], r["waiting"]),
            _days(period.as_of, r["oldest"]),
        ]
        for r in rows
    ]
    waiting = sum(r["waiting"] for r in rows)
    past = sum(r["past_deadline"] for r in rows)
    oldest = min((r["oldest"] for r in rows), default=None)
    values = {
        "backlog.waiting": Value.of_count(waiting),
        "backlog.past_deadline": Value.of_count(past),
        "backlog.longest_wait_days": Value(_days(period.as_of, oldest) if oldest else None, waiting),
    }
    return Result(values, [Table("backlog.by_priority", columns, table_rows, "backlog.waiting")])


register(*BACKLOG, compute=compute_backlog)

# ---------------------------------------------------------------------------------------------- trips

TRIP_SOURCE = (
    "transfers_trip (date, status, cancelled_by, gate and hospital times, facility_closes_at); a trip whose "
    "status entry was retracted under the status its standing entries give"
)
TRIPS = (
    Indicator(
        code="trips.total",
        section="trips",
        title=gettext_noop("Trips"),
        definition=gettext_noop("Trips requested for dates in the period, whatever became of them."),
        formula="trips dated in the period, excluding those only proposed",
        unit="trips",
        breakdowns=("status",),
        source=TRIP_SOURCE,
    ),
    Indicator(
        code="trips.cancelled",
        section="trips",
        title=gettext_noop("Trips cancelled"),
        definition=gettext_noop("Trips cancelled after they were requested."),
        formula="trips dated in the period with a trip.cancelled ledger entry, as it stands after corrections and "
        "retractions",
        unit="trips",
        breakdowns=("cancelled_by",),
        source=TRIP_SOURCE,
    ),
    Indicator(
        code="trips.cancellations_per_patient",
        section="trips",
        title=gettext_noop("Cancellations per affected patient"),
        definition=gettext_noop(
            "Patient places on cancelled trips, divided by the number of patients they belonged to."
        ),
        formula="patient places on trips.cancelled / distinct patients among them",
        unit="cancellations per patient",
        breakdowns=(),
        source=TRIP_SOURCE + " and transfers_trippassenger",
    ),
    Indicator(
        code="trips.most_cancellations",
        section="trips",
        title=gettext_noop("Most cancellations for one patient"),
        definition=gettext_noop("The largest number of cancelled trips any one patient has had, up to the as-of date."),
        formula="max over patients of patient places on cancelled trips dated on or before the as-of date",
        unit="cancellations",
        breakdowns=(),
        source=TRIP_SOURCE + " and transfers_trippassenger",
    ),
    Indicator(
        code="trips.hours_held_mean",
        section="trips",
        title=gettext_noop("Mean hours held at the gate"),
        definition=gettext_noop("Mean hours between reaching the gate and being let through."),
        formula=(
            "mean of (gate_released_at − held_since, else gate_arrived_at) in hours over the period's trips "
            "with both times"
        ),
        unit="hours",
        breakdowns=("facility",),
        source=TRIP_SOURCE,
    ),
    Indicator(
        code="trips.hours_held_max",
        section="trips",
        title=gettext_noop("Longest hold at the gate"),
        definition=gettext_noop("The most hours any trip was held between reaching the gate and being let through."),
        formula="max of (gate_released_at − held_since, else gate_arrived_at) in hours over the same trips",
        unit="hours",
        breakdowns=("facility",),
        source=TRIP_SOURCE,
    ),
    Indicator(
        code="trips.arrived_late",
        section="trips",
        title=gettext_noop("Arrivals after closing time"),
        definition=gettext_noop("Trips that reached the hospital after it had closed for the day."),
        formula="trips with hospital_arrived_at > facility_closes_at (the facility's closing time on the trip date)",
        unit="trips",
        breakdowns=("facility",),
        source=TRIP_SOURCE,
    ),
    Indicator(
        code="trips.not_seen",
        section="trips",
        title=gettext_noop("Patients not seen by a doctor"),
        definition=gettext_noop(
            "Patients who set out but were not seen: no doctor, refused, or turned back at the gate."
        ),
        formula="patient places on the period's trips with outcome no_doctor, refused or turned_back",
        unit="patients",
        breakdowns=("outcome",),
        source="transfers_trippassenger (outcome) with transfers_trip (date); an outcome whose patient.seen or "
        "patient.not_seen entry was corrected or retracted as that entry stands",
    ),
)


def _hours(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 3600


def compute_trips(period: Period) -> Result:
    statuses = queries.trips_by_status(period)
    cancelled = queries.cancellations(period)
    held = queries.holds(period)  # corrected and retracted gate.released entries applied
    holds = queries.gate_holds(period, held)
    overall = queries.gate_hold_overall(period, held)
    late = queries.late_arrivals(period)
    outcomes = queries.outcomes(period)
    not_seen = {o: outcomes.get(o, 0) for o in queries.NOT_SEEN}
    tables = [
        Table(
            "trips.by_status",
            [Column("category", "label"), Column("trips")],
            [[s, n] for s, n in sorted(statuses.items())],
            "trips.total",
        ),
        Table(
            "trips.cancelled_by",
            [Column("category", "label"), Column("trips"), Column("patient_places")],
            [[r["cancelled_by"] or core.UNKNOWN, r["trips"], r["places"]] for r in cancelled["by"]],
            "trips.cancelled",
        ),
        Table(
            "trips.gate_by_facility",
            [
                Column("category", "label"),
                Column("trips"),
                Column("mean_hours", "hours", basis="trips"),
                Column("max_hours", "hours", basis="trips"),
            ],
            [[r["facility"], r["trips"], _hours(r["mean"]), _hours(r["longest"])] for r in holds],
            "trips.hours_held_mean",
        ),
        Table(
            "trips.late_by_facility",
            [
                Column("category", "label"),
                Column("arrived"),
                Column("late"),
                Column("late_rate", "rate", numerators=("late",), basis="arrived"),
            ],
            [[r["facility"], r["arrived"], r["late"], core.rate(r["late"], r["arrived"])] for r in late],
            "trips.arrived_late",
        ),
        Table(
            "trips.outcomes",
            [Column("category", "label"), Column("patients")],
            [[o, outcomes[o]] for o in sorted(outcomes)],
            "trips.not_seen",
        ),
    ]
    total_trips = sum(statuses.values())
    affected = cancelled["patients"]
    late_total = sum(r["late"] for r in late)
    not_seen_total = sum(not_seen.values())
    values = {
        "trips.total": Value.of_count(total_trips),
        "trips.cancelled": Value.of_count(cancelled["trips"]),
        "trips.cancellations_per_patient": Value(cancelled["places"] / affected if affected else None, affected),
        "trips.most_cancellations": Value(cancelled["most_for_one_patient"], None),
        "trips.hours_held_mean": Value(_hours(overall["mean"]), overall["trips"]),
        "trips.hours_held_max": Value(_hours(overall["longest"]), overall["trips"]),
        "trips.arrived_late": Value.of_count(late_total),
        "trips.not_seen": Value.of_count(not_seen_total),
    }
    return Result(values, tables, {"holds": queries.holds_by_day(period, held)})


register(*TRIPS, compute=compute_trips)

# --------------------------------------------------------------------------------------------- deaths

DEATH_SOURCE = (
    "register_referral closed as died (closed_on, referral_date, diagnosis_icd10, specialty, priority), "
    "written by the patient.died service with the patient's waiting referrals; source and certainty from "
    "the patient.died ledger entry; a corrected death on its corrected date, a retracted one not counted"
)
DEATHS = (
    Indicator(
        code="deaths.while_waiting",
        section="deaths",
        title=gettext_noop("Deaths while waiting"),
        definition=gettext_noop("Patients who died while at least one of their referrals was waiting."),
        formula="distinct patients with a referral closed as died, closing date in the period",
        unit="patients",
        breakdowns=("diagnosis_group", "priority"),
        source=DEATH_SOURCE,
    ),
    Indicator(
        code="deaths.days_waited_median",
        section="deaths",
        title=gettext_noop("Median days waited by those who died"),
        definition=gettext_noop(
            "For each death, the days from the longest-waiting referral to the death; the median of these."
        ),
        formula="median over deaths.while_waiting of max(closing date − referral date) in days",
        unit="days",
        breakdowns=("diagnosis_group",),
        source=DEATH_SOURCE,
    ),
)


def compute_deaths(period: Period) -> Result:
    rows = queries.deaths(period)
    per_patient: dict[int, dict[str, Any]] = {}
    for row in rows:
        waited = _days(row["closed_on"], row["referral_date"])
        known = per_patient.get(row["patient_id"])
        if known is None or waited > known["days_waited"]:
            per_patient[row["patient_id"]] = {
                "date": row["closed_on"],
                "days_waited": waited,
                "diagnosis_group": core.diagnosis_group(row["diagnosis_icd10"]),
                "specialty": row["specialty"],
                "priority": row["priority__code"],
                "source": row["source"] or "",
                "certainty": row["certainty"] or "",
            }
    deaths = sorted(per_patient.values(), key=lambda d: (d["date"], -d["days_waited"]))
    groups: dict[str, list[int]] = defaultdict(list)
    priorities: dict[str, int] = defaultdict(int)
    for death in deaths:
        groups[death["diagnosis_group"]].append(death["days_waited"])
        priorities[death["priority"]] += 1
    tables = [
        Table(
            "deaths.by_diagnosis_group",
            [Column("category", "label"), Column("deaths"), Column("median_days", "days", basis="deaths")],
            [[g, len(days), core.percentile(days, 50)] for g, days in sorted(groups.items())],
            "deaths.while_waiting",
        ),
        Table(
            "deaths.by_priority",
            [Column("category", "label"), Column("deaths")],
            [[p, n] for p, n in sorted(priorities.items())],
            "deaths.while_waiting",
        ),
    ]
    days = [d["days_waited"] for d in deaths]
    values = {
        "deaths.while_waiting": Value.of_count(len(deaths)),
        "deaths.days_waited_median": Value(core.percentile(days, 50), len(deaths)),
    }
    return Result(values, tables, {"deaths": deaths})


register(*DEATHS, compute=compute_deaths)

# ------------------------------------------------------------------------------------------ incidents

INCIDENTS = (
    Indicator(
        code="incidents.total",
        section="incidents",
        title=gettext_noop("Obstruction incidents"),
        definition=gettext_noop(
            "Obstruction of care in the period, in the terms of the WHO Surveillance System for Attacks on "
            "Health Care: permits denied, requests left unanswered by the appointment date, trips cancelled by the "
            "authority, holds at the gate over the threshold, trips turned back, arrivals after closing, companions "
            "refused, deliveries blocked or cut, and incidents recorded."
        ),
        formula="incidents derived by the catalogue in corridor.reports.obstruction from the ledger entries dated in "
        "the period (the payload's date), retracted entries left out and corrections applied",
        unit="incidents",
        breakdowns=("kind", "attack_type", "resource", "certainty"),
        source="ledger entries trip.requested, trip.approved, trip.denied, trip.cancelled, gate.released, "
        "gate.turned_back, trip.arrived, trip.companion_answered, supply.blocked, supply.partly_allowed and "
        "incident.recorded, and the entry.corrected / entry.retracted entries that name them",
    ),
)


def compute_incidents(period: Period) -> Result:
    records = queries.obstruction_records(period)
    incidents = queries.obstruction_incidents(period, records=records)
    counts = obstruction.counts(incidents)
    table = Table(
        "incidents.by_type",
        [
            Column("kind", "label"),
            Column("attack_type", "label"),
            Column("resource", "label"),
            Column("item", "label"),
            Column("certainty", "label"),
            Column("incidents"),
        ],
        [[*key, n] for key, n in sorted(counts.items())],
        "incidents.total",
    )
    total = sum(counts.values())
    refusals = obstruction.refusals(records, start=period.start, as_of=period.as_of)
    return Result({"incidents.total": Value.of_count(total)}, [table], {"incidents": incidents, "refusals": refusals})


register(*INCIDENTS, compute=compute_incidents)
