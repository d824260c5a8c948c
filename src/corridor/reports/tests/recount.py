"""The indicators again, slowly and obviously: every row read into Python and counted by hand.

Nothing here shares code with the SQL path (not even the maths module, and the Kaplan–Meier curve is
the textbook product-limit), so the two can only agree if both are right.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import statistics
from collections import defaultdict
from typing import Any

from django.conf import settings

from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral
from corridor.transfers.models import Trip, TripPassenger

SEEN = {"seen", "procedure_done", "admitted", "treatment_started", "follow_up", "care_complete"}
TREATMENT = {"procedure_done", "admitted", "treatment_started", "care_complete"}


def _age(birth: int | None, year: int) -> str:
    if birth is None:
        return "unknown"
    age = year - birth
    return "<18" if age < 18 else "18-40" if age <= 40 else "41-60" if age <= 60 else ">60"


def _quantile(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    if fraction == 0.5:
        return float(statistics.median(values))
    return statistics.quantiles(values, n=10, method="inclusive")[int(fraction * 10) - 1]


def _km_share(pairs: list[tuple[int, bool]], day: float) -> float | None:
    if not pairs:
        return None
    survival = 1.0
    for t in sorted({d for d, seen in pairs if seen and d <= day}):
        at_risk = sum(1 for d, _ in pairs if d >= t)
        events = sum(1 for d, seen in pairs if seen and d == t)
        survival *= 1 - events / at_risk
    return 1 - survival


def _km_median(pairs: list[tuple[int, bool]]) -> float | None:
    for day in sorted({d for d, _ in pairs}):
        share = _km_share(pairs, day)
        if share is not None and share >= 0.5 - 1e-12:
            return float(day)
    return None


def recount(start: dt.date, end: dt.date, as_of: dt.date) -> dict[str, Any]:
    """Every headline value and the main breakdowns, from raw rows."""
    bodies = [json.loads(body) for body in Entry.objects.order_by("seq").values_list("body", flat=True)]
    retracted = {b["corrects"] for b in bodies if b["type"] == "entry.retracted"}
    # Every entry as it stands: retracted ones gone, corrections (not themselves retracted) applied in order.
    standing: list[dict[str, Any]] = []
    fixes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for body in bodies:
        if body["type"] == "entry.corrected" and body["seq"] not in retracted:
            fixes[body["corrects"]].append(body["payload"].get("changes", {}))
    for body in bodies:
        if body["type"] in ("entry.corrected", "entry.retracted") or body["seq"] in retracted:
            continue
        now = {**body, "payload": dict(body["payload"])}
        for change in fixes[body["seq"]]:
            for key, value in change.items():
                if key in ("certainty", "source"):
                    now[key] = value
                else:
                    now["payload"][key] = value
        standing.append(now)
    cancelled_by: dict[int, str] = {}
    for body in standing:
        if body["type"] == "trip.cancelled":
            cancelled_by[int(body["payload"]["trip"])] = body["payload"].get("cancelled_by") or "unknown"
    trips = {t.pk: t for t in Trip.objects.all()}
    patients = {p.pk: p for p in Patient.objects.all()}
    referrals = {r.pk: r for r in Referral.objects.select_related("priority")}
    places = list(TripPassenger.objects.all())
    # Outcomes and requests as their entries stand: a corrected outcome as corrected (unknown when it
    # names no outcome), a retracted one pending; a trip whose request was retracted was never asked.
    outcome_types = ("patient.seen", "patient.not_seen")
    known = set(TripPassenger.Outcome.values) - {"pending"}
    outcome_said = {
        (int(b["payload"]["trip"]), b["payload"]["patient"]): b["payload"].get("outcome")
        for b in standing
        if b["type"] in outcome_types
    }
    unsaid = {
        (int(b["payload"]["trip"]), b["payload"]["patient"])
        for b in bodies
        if b["type"] in outcome_types and b["seq"] in retracted
    }
    for place in places:
        its = (place.trip_id, patients[place.patient_id].code)
        if its in outcome_said:
            place.outcome = outcome_said[its] if outcome_said[its] in known else "unknown"
        elif its in unsaid:
            place.outcome = "pending"
    never_asked = {int(b["payload"]["trip"]) for b in bodies if b["type"] == "trip.requested" and b["seq"] in retracted}

    def answer(trip_id: int) -> tuple[str | None, dt.date | None]:
        for body in bodies:
            if body["type"] in ("trip.approved", "trip.denied") and f"trip:{trip_id}" in body["subjects"]:
                if body["seq"] in retracted:
                    continue
                return body["type"].split(".")[1], dt.date.fromisoformat(body["occurred_at"][:10])
        return None, None

    def request_class(trip: Trip) -> str:
        if trip.date > as_of:
            return "not_due"
        kind, day = answer(trip.pk)
        if kind is not None and day is not None and day <= trip.date:
            return kind
        return "delayed"

    out: dict[str, Any] = {}
    counts: dict[str, int] = defaultdict(int)
    breakdowns: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    escorts: dict[str, int] = defaultdict(int)
    for place in places:
        trip = trips[place.trip_id]
        if place.removed or trip.status == "proposed" or not start <= trip.date <= end or trip.pk in never_asked:
            continue
        kind = request_class(trip)
        if place.role == "escort":
            escorts[kind] += 1
            continue
        counts[kind] += 1
        if kind == "not_due":
            continue
        patient = patients[place.patient_id]
        referral = referrals.get(place.referral_id) if place.referral_id else None
        keys = {
            "age_group": _age(patient.birth_year, start.year),
            "sex": patient.sex,
            "specialty": referral.specialty if referral else "unknown",
            "facility": trip.facility.code,
            "priority": referral.priority.code if referral else "unknown",
        }
        for name, key in keys.items():
            breakdowns[name][key][kind] += 1
    total = counts["approved"] + counts["denied"] + counts["delayed"]
    out["requests.total"] = total
    out["requests.approved"] = counts["approved"]
    out["requests.denied"] = counts["denied"]
    out["requests.delayed"] = counts["delayed"]
    out["requests.approval_rate"] = 100 * counts["approved"] / total if total else None
    out["requests.denial_rate"] = 100 * counts["denied"] / total if total else None
    out["requests.delay_rate"] = 100 * counts["delayed"] / total if total else None
    out["requests.unsuccessful_rate"] = 100 * (counts["denied"] + counts["delayed"]) / total if total else None
    out["requests.not_due"] = counts["not_due"]
    out["escorts.approved"] = escorts["approved"]
    out["escorts.denied"] = escorts["denied"]
    out["escorts.pending"] = escorts["delayed"] + escorts["not_due"]
    out["breakdowns"] = {
        name: {key: (sum(c.values()), c["approved"], c["denied"], c["delayed"]) for key, c in cats.items()}
        for name, cats in breakdowns.items()
    }

    # Time to care.
    first: dict[int, dt.date] = {}
    first_by_then: dict[int, dt.date] = {}
    for place in places:
        if place.removed or place.role != "patient" or place.outcome not in SEEN or not place.referral_id:
            continue
        day = trips[place.trip_id].date
        if place.referral_id not in first or day < first[place.referral_id]:
            first[place.referral_id] = day
        if day <= as_of and (place.referral_id not in first_by_then or day < first_by_then[place.referral_id]):
            first_by_then[place.referral_id] = day
    seen_now = [(referrals[r], day) for r, day in first.items() if start <= day <= as_of]
    days = [(day - r.referral_date).days for r, day in seen_now]
    out["care.seen"] = len(seen_now)
    out["care.days_median"] = _quantile(days, 0.5)
    out["care.days_p90"] = _quantile(days, 0.9)
    within = sum(1 for r, day in seen_now if day <= r.due_date)
    out["care.within_deadline_rate"] = 100 * within / len(seen_now) if seen_now else None
    pairs = []
    for r in referrals.values():
        if not as_of - dt.timedelta(days=365) < r.referral_date <= as_of:
            continue
        if r.pk in first_by_then:
            pairs.append(((first_by_then[r.pk] - r.referral_date).days, True))
        else:
            stop = r.closed_on if r.closed_on and r.closed_on <= as_of else as_of
            pairs.append((max(0, (stop - r.referral_date).days), False))
    out["care.km_median_days"] = _km_median(pairs)
    out["km_share"] = {day: _km_share(pairs, day) for day in (7, 14, 30, 60, 90, 180, 365)}

    # Backlog: open at the as-of date and waiting for a visit (not seen by then, or waiting now for a
    # follow-up); the rest of the open referrals are in care.
    open_then = [
        r
        for r in referrals.values()
        if r.referral_date <= as_of
        and (r.closed_on is None and r.status in ("waiting", "in_care") or (r.closed_on and r.closed_on > as_of))
    ]
    waiting = [r for r in open_then if r.pk not in first_by_then or (r.closed_on is None and r.status == "waiting")]
    out["backlog.waiting"] = len(waiting)
    out["backlog.past_deadline"] = sum(1 for r in waiting if (r.follow_up_due or r.due_date) < as_of)
    out["backlog.longest_wait_days"] = max(((as_of - r.referral_date).days for r in waiting), default=None)

    # Episodes of care.
    out["episodes.in_care"] = len(open_then) - len(waiting)
    treated_first: dict[int, dt.date] = {}
    for place in places:
        if place.removed or place.role != "patient" or place.outcome not in TREATMENT or not place.referral_id:
            continue
        day = trips[place.trip_id].date
        treated_first[place.referral_id] = min(day, treated_first.get(place.referral_id, day))
    treated_now = [(referrals[r], day) for r, day in treated_first.items() if start <= day <= as_of]
    out["episodes.treated"] = len(treated_now)
    out["episodes.treatment_days_median"] = _quantile([(day - r.referral_date).days for r, day in treated_now], 0.5)
    on_time = sum(1 for r, day in treated_now if day <= r.due_date)
    out["episodes.treated_within_deadline_rate"] = 100 * on_time / len(treated_now) if treated_now else None

    # Trips.
    month_trips = [
        t for t in trips.values() if start <= t.date <= as_of and t.status != "proposed" and t.pk not in never_asked
    ]
    month_ids = {t.pk for t in month_trips}
    out["trips.total"] = len(month_trips)
    cancelled = [t for t in month_trips if t.pk in cancelled_by]
    out["trips.cancelled"] = len(cancelled)
    cancelled_places = [
        p for p in places if p.trip_id in {t.pk for t in cancelled} and p.role == "patient" and not p.removed
    ]
    affected = {p.patient_id for p in cancelled_places}
    out["trips.cancellations_per_patient"] = len(cancelled_places) / len(affected) if affected else None
    per_patient: dict[int, int] = defaultdict(int)
    for p in places:
        trip = trips[p.trip_id]
        if p.trip_id in cancelled_by and trip.date <= as_of and p.role == "patient" and not p.removed:
            per_patient[p.patient_id] += 1
    out["trips.most_cancellations"] = max(per_patient.values(), default=0)
    holds = [
        (t.gate_released_at - t.gate_arrived_at).total_seconds() / 3600
        for t in month_trips
        if t.gate_arrived_at and t.gate_released_at
    ]
    out["trips.hours_held_mean"] = sum(holds) / len(holds) if holds else None
    out["trips.hours_held_max"] = max(holds) if holds else None
    out["trips.arrived_late"] = sum(
        1
        for t in month_trips
        if t.hospital_arrived_at and t.facility_closes_at and t.hospital_arrived_at > t.facility_closes_at
    )
    out["trips.not_seen"] = sum(
        1
        for p in places
        if p.trip_id in month_ids
        and p.role == "patient"
        and not p.removed
        and p.outcome in ("no_doctor", "refused", "turned_back", "not_seen_other")
    )

    # Deaths.
    # Deaths as their entries stand: on the corrected date (the referral closing then, or on its referral
    # date if later), a retracted death not at all.
    death_on = {b["payload"]["patient"]: b["payload"].get("date") for b in standing if b["type"] == "patient.died"}
    undone = {b["payload"]["patient"] for b in bodies if b["type"] == "patient.died" and b["seq"] in retracted}
    died: dict[int, int] = {}
    for r in referrals.values():
        code = patients[r.patient_id].code
        closed = r.closed_on
        if code in death_on:
            with contextlib.suppress(ValueError):  # a corrected date that is no date leaves the recorded one
                closed = max(dt.date.fromisoformat(str(death_on[code])), r.referral_date)
        elif code in undone:
            continue
        if r.status == "died" and closed and start <= closed <= as_of:
            died[r.patient_id] = max(died.get(r.patient_id, -1), (closed - r.referral_date).days)
    out["deaths.while_waiting"] = len(died)
    out["deaths.days_waited_median"] = float(statistics.median(died.values())) if died else None

    # Incidents: every kind of obstruction, read from the entries as they stand.
    threshold = settings.GATE_HOLD_THRESHOLD_MINUTES / 60
    answers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for body in standing:
        if body["type"] in ("trip.approved", "trip.denied", "trip.cancelled"):
            answers[str(body["payload"]["trip"])].append((body["type"], body["occurred_at"][:10]))
    incidents: dict[str, int] = defaultdict(int)
    for body in standing:
        payload, kind = body["payload"], body["type"]
        when = str(payload.get("date") or body["occurred_at"][:10])
        if not start.isoformat() <= when <= as_of.isoformat():
            continue
        if kind == "trip.requested":
            said = answers[str(payload["trip"])]
            counts_ = not any(t == "trip.denied" for t, _ in said) and not any(
                t in ("trip.approved", "trip.cancelled") and on <= when for t, on in said
            )
        elif kind == "trip.cancelled":
            counts_ = payload.get("cancelled_by") == "authority"
        elif kind == "gate.released":
            counts_ = payload["hours_held"] >= threshold
        elif kind == "trip.arrived":
            counts_ = payload.get("late") is True
        elif kind == "trip.companion_answered":
            counts_ = payload.get("answer") == "rejected"
        else:
            counts_ = kind in (
                "trip.denied",
                "gate.turned_back",
                "supply.blocked",
                "supply.partly_allowed",
                "incident.recorded",
            )
        if counts_:
            incidents[body["certainty"]] += 1
    out["incidents.total"] = sum(incidents.values())
    out["incidents"] = dict(incidents)
    return out
