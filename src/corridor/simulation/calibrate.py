"""Estimate a scenario's inputs from the ledger: a pure function over plain event dicts.

Each event is ``{"type": ..., "occurred_at": datetime or ISO text, "payload": {...}}``, optionally with
``"seq"`` and ``"corrects"`` (an ``entry.retracted`` event removes the entry it corrects). What is
estimated, and from what:

* arrival rate per class: ``referral.created`` events whose referral date falls in the window, divided
  by the window's length in days (with an exact Poisson 95 % interval);
* trip probability: trips requested for a date in the window that departed, divided by those that
  departed or were denied or cancelled (trips with no outcome yet are left out, and counted);
* current backlog per class: referrals created minus referrals closed, over the whole ledger, with the
  age of each waiting referral at the end of the window;
* specialty mix per class, and which hospital each specialty travelled to most often;
* daily hazards of death and of leaving while waiting: closures for those reasons divided by the days
  referrals spent waiting in the window (reported; used only when asked for);
* the observed mean wait (trip date minus referral date) of patients seen, to set beside the simulation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scipy.stats import chi2

from corridor.simulation.model import DEFAULT_CLASSES, Scenario, default_class

EVENT_TYPES: tuple[str, ...] = (
    "referral.created",
    "referral.changed",
    "referral.closed",
    "trip.requested",
    "trip.approved",
    "trip.denied",
    "trip.cancelled",
    "trip.departed",
    "patient.seen",
    "entry.retracted",
)


class CalibrationError(ValueError):
    """The ledger holds too little to estimate from; the message says what is missing."""


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()


@dataclass(frozen=True)
class Hazard:
    events: int
    exposure_days: int

    @property
    def rate(self) -> float | None:
        return self.events / self.exposure_days if self.exposure_days else None


@dataclass(frozen=True)
class Calibration:
    """What the ledger says, with the counts each figure rests on."""

    since: dt.date
    until: dt.date
    referrals: dict[str, int]
    backlog_ages: dict[str, list[int]]
    backlog_specialties: dict[str, list[str]]  # aligned with backlog_ages
    trips_departed: int
    trips_not_happening: int
    trips_undecided: int
    specialty_mix: dict[str, dict[str, int]]
    facilities: dict[str, str]
    deaths: dict[str, Hazard]
    leavings: dict[str, Hazard]
    observed_waits: dict[str, list[int]]
    closures_without_referral: int = 0
    events_used: int = 0
    largest_trip: int = 0
    retracted: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def rates(self) -> dict[str, float]:
        return {name: n / self.days for name, n in self.referrals.items()}

    def rate_interval(self, name: str) -> tuple[float, float]:
        """Exact (Garwood) 95 % interval for a Poisson rate from its count."""
        n = self.referrals.get(name, 0)
        low = 0.0 if n == 0 else float(chi2.ppf(0.025, 2 * n)) / 2
        high = float(chi2.ppf(0.975, 2 * n + 2)) / 2
        return low / self.days, high / self.days

    @property
    def trips_requested(self) -> int:
        return self.trips_departed + self.trips_not_happening

    @property
    def trip_probability(self) -> float | None:
        return self.trips_departed / self.trips_requested if self.trips_requested else None

    @property
    def backlog(self) -> dict[str, int]:
        return {name: len(ages) for name, ages in self.backlog_ages.items()}

    def classes(self) -> list[str]:
        names = set(self.referrals) | {n for n, ages in self.backlog_ages.items() if ages}
        order = list(DEFAULT_CLASSES)
        return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))

    def describe(self, *, with_hazards: bool = False) -> list[str]:
        """One line per estimate, saying what it rests on."""
        lines = [
            f"calibrated from {self.events_used} ledger events, window {self.since} to {self.until} ({self.days} days)"
        ]
        for name in self.classes():
            n = self.referrals.get(name, 0)
            low, high = self.rate_interval(name)
            lines.append(
                f"  arrival rate {name}: {n / self.days:.3f} a day (95 % {low:.3f}-{high:.3f}) from {n} referrals"
            )
        p = self.trip_probability
        p_text = "not estimated" if p is None else f"{p:.3f}"
        lines.append(
            f"  trip probability: {p_text} from {self.trips_departed} departed of "
            f"{self.trips_requested} requested trips with an outcome"
            + (f" ({self.trips_undecided} without an outcome left out)" if self.trips_undecided else "")
        )
        backlog = ", ".join(f"{n} {len(self.backlog_ages.get(n, []))}" for n in self.classes())
        lines.append(f"  backlog on {self.until}: {backlog} (referrals created minus closed)")
        for name in self.classes():
            waits = self.observed_waits.get(name, [])
            if waits:
                lines.append(
                    f"  observed mean wait {name}: {sum(waits) / len(waits):.1f} days over {len(waits)} patients seen"
                )
        deaths = sum(h.events for h in self.deaths.values())
        left = sum(h.events for h in self.leavings.values())
        exposure = sum(h.exposure_days for h in self.deaths.values())
        if exposure:
            used = "used, by class:" if with_hazards else "used only with --with-hazards"
            lines.append(f"  while waiting: {deaths} died and {left} left over {exposure} patient-days ({used})")
            if with_hazards:
                for name in self.classes():
                    d, gone = self.deaths.get(name), self.leavings.get(name)
                    if d is not None and gone is not None and d.rate is not None:
                        lines.append(
                            f"    {name}: death hazard {d.rate:.5f} a day ({d.events} deaths), "
                            f"leaving {gone.rate or 0:.5f} ({gone.events})"
                        )
        if self.facilities:
            mapping = ", ".join(f"{s}->{f}" for s, f in sorted(self.facilities.items()))
            lines.append(f"  hospital per specialty, from trips: {mapping}")
        if self.closures_without_referral:
            lines.append(f"  {self.closures_without_referral} closures of unknown referrals ignored")
        if self.retracted:
            lines.append(f"  {self.retracted} retracted entries ignored")
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "days": self.days,
            "events_used": self.events_used,
            "arrival_rates": self.rates,
            "arrival_rate_ci95": {n: list(self.rate_interval(n)) for n in self.classes()},
            "referrals": self.referrals,
            "trip_probability": self.trip_probability,
            "trips_departed": self.trips_departed,
            "trips_requested": self.trips_requested,
            "trips_without_outcome": self.trips_undecided,
            "backlog": self.backlog,
            "observed_mean_wait_days": {n: sum(w) / len(w) for n, w in self.observed_waits.items() if w},
            "death_hazard": {n: h.rate for n, h in self.deaths.items()},
            "leave_hazard": {n: h.rate for n, h in self.leavings.items()},
            "facilities": self.facilities,
        }

    def apply(self, base: Scenario, *, with_hazards: bool = False) -> Scenario:
        """The base scenario with the ledger's arrivals, trip probability, backlog and mixes.

        The base keeps the access rules (capacity, facilities per day, policy), a trip probability its
        file states, its hospital per specialty, and any deadlines and weights it defines; classes it
        lacks come from the register's default table.
        """
        known = {c.name: c for c in base.classes}
        classes = []
        for name in self.classes():
            cls = known.get(name) or default_class(name, 0.0)
            mix = self.specialty_mix.get(name, {})
            waiting = sorted(zip(self.backlog_ages.get(name, []), self.backlog_specialties.get(name, []), strict=True))
            cls = replace(
                cls,
                rate=self.rates.get(name, 0.0),
                initial_backlog=len(waiting),
                initial_ages=tuple(age for age, _ in waiting),
                initial_specialties=tuple(specialty for _, specialty in waiting),
                specialty_mix=tuple(sorted((s, float(n)) for s, n in mix.items())) or cls.specialty_mix,
            )
            if with_hazards:
                cls = replace(
                    cls,
                    death_hazard=self.deaths[name].rate if name in self.deaths else 0.0,
                    leave_hazard=self.leavings[name].rate if name in self.leavings else 0.0,
                )
            classes.append(cls)
        facilities = dict(base.facilities) or self.facilities
        p = self.trip_probability
        # A scenario file that states a trip probability is asking "what if it were this?": keep it.
        if p is None or "trip_probability" in base.stated:
            p = base.trip_probability
        return replace(
            base,
            classes=tuple(classes),
            trip_probability=p,
            facilities=tuple(sorted(facilities.items())),
            specialty_mix=(),
        )


def calibrate(
    events: Iterable[Mapping[str, Any]], *, since: dt.date | None = None, until: dt.date | None = None
) -> Calibration:
    """Estimate from ledger events (in ledger order). ``until`` defaults to the last dated event."""
    events = list(events)
    retracted = {e["corrects"] for e in events if e.get("type") == "entry.retracted" and e.get("corrects")}
    events = [e for e in events if e.get("seq") is None or e.get("seq") not in retracted]
    events = [e for e in events if e.get("type") != "entry.retracted"]

    referral_class: dict[Any, str] = {}
    referral_date: dict[Any, dt.date] = {}
    referral_specialty: dict[Any, str] = {}
    patient_referral: dict[str, Any] = {}
    closed: dict[Any, tuple[dt.date, str]] = {}
    orphan_closures = 0
    trips: dict[Any, dict[str, Any]] = {}
    seen: list[tuple[Any, Any, Any]] = []
    last_date: dt.date | None = None
    used = 0

    for e in events:
        kind, payload = e["type"], e.get("payload") or {}
        when = _date(e["occurred_at"])
        last_date = when if last_date is None else max(last_date, when)
        if kind not in EVENT_TYPES:
            continue
        used += 1
        if kind == "referral.created":
            rid = payload["referral"]
            referral_class[rid] = str(payload["priority"])
            referral_date[rid] = _date(payload.get("referral_date") or when)
            referral_specialty[rid] = str(payload.get("specialty") or "other")
            if payload.get("patient"):
                patient_referral[str(payload["patient"])] = rid
        elif kind == "referral.changed":
            rid = payload.get("referral")
            if rid in referral_class and payload.get("priority"):
                referral_class[rid] = str(payload["priority"])
        elif kind == "referral.closed":
            rid = payload.get("referral")
            if rid not in referral_class:
                orphan_closures += 1
                continue
            closed[rid] = (_date(payload.get("closed_on") or when), str(payload.get("reason", "")))
        elif kind == "trip.requested":
            trips[payload["trip"]] = {
                "date": _date(payload.get("date") or when),
                "facility": payload.get("facility"),
                "referrals": list(payload.get("referrals") or []),
                "patients": list(payload.get("patients") or []),
                "outcome": None,
            }
        elif kind in ("trip.denied", "trip.cancelled", "trip.departed"):
            trip = trips.get(payload.get("trip"))
            if trip is not None and trip["outcome"] != "departed":
                trip["outcome"] = "departed" if kind == "trip.departed" else "not"
        elif kind == "patient.seen":
            seen.append((payload.get("trip"), payload.get("referral"), payload.get("patient")))

    if not referral_class:
        raise CalibrationError("the ledger has no referral.created events to estimate arrivals from")
    end = until or last_date or max(referral_date.values())
    start = since or min(referral_date.values())
    if start > end:
        raise CalibrationError(f"the window is empty: {start} is after the last recorded day {end}")

    def in_window(day: dt.date) -> bool:
        return start <= day <= end

    referrals: Counter[str] = Counter()
    mix: dict[str, Counter[str]] = defaultdict(Counter)
    ages: dict[str, list[int]] = defaultdict(list)
    waiting_specialties: dict[str, list[str]] = defaultdict(list)
    exposure: Counter[str] = Counter()
    died: Counter[str] = Counter()
    left: Counter[str] = Counter()
    # A referral's wait ends at its first visit: the referral stays open while the patient is in care
    # (corridor.register.episodes), so the visit, not the closing, ends the wait the simulator models.
    first_seen: dict[Any, dt.date] = {}
    for trip_id, rid, patient in seen:
        trip = trips.get(trip_id)
        rid = rid if rid in referral_class else patient_referral.get(str(patient))
        if trip is not None and rid is not None:
            first_seen[rid] = min(first_seen.get(rid, trip["date"]), trip["date"])
    for rid, name in referral_class.items():
        day = referral_date[rid]
        if day > end:
            continue
        if in_window(day):
            referrals[name] += 1
            mix[name][referral_specialty[rid]] += 1
        closing = closed.get(rid)
        if rid in first_seen and (closing is None or first_seen[rid] < closing[0]):
            closing = (first_seen[rid], "treated")
        if closing is None or closing[0] > end:
            ages[name].append((end - day).days)
            waiting_specialties[name].append(referral_specialty[rid])
        # Days spent waiting inside the window: the exposure for the death and leaving hazards.
        out = min(closing[0], end + dt.timedelta(days=1)) if closing else end + dt.timedelta(days=1)
        exposure[name] += max(0, (out - max(day, start)).days)
        if closing and in_window(closing[0]):
            if closing[1] == "died":
                died[name] += 1
            elif closing[1] == "left":
                left[name] += 1

    departed = not_happening = undecided = largest = 0
    travelled: dict[str, Counter[str]] = defaultdict(Counter)
    for trip in trips.values():
        if not in_window(trip["date"]):
            continue
        if trip["outcome"] == "departed":
            departed += 1
            largest = max(largest, len(trip["referrals"] or trip["patients"]))
            rids = trip["referrals"] or [patient_referral.get(p) for p in trip["patients"]]
            for rid in rids:
                if rid in referral_specialty and trip["facility"]:
                    travelled[referral_specialty[rid]][str(trip["facility"])] += 1
        elif trip["outcome"] == "not":
            not_happening += 1
        else:
            undecided += 1

    waits: dict[str, list[int]] = defaultdict(list)
    for trip_id, rid, patient in seen:
        trip = trips.get(trip_id)
        rid = rid if rid in referral_class else patient_referral.get(str(patient))
        if trip is None or rid is None or not in_window(trip["date"]):
            continue
        waits[referral_class[rid]].append((trip["date"] - referral_date[rid]).days)

    names = set(referral_class.values())
    notes = []
    if departed + not_happening == 0:
        notes.append("no trip with an outcome in the window: the trip probability is not estimated")
    return Calibration(
        since=start,
        until=end,
        referrals={n: referrals.get(n, 0) for n in names},
        backlog_ages={n: ages.get(n, []) for n in names},
        backlog_specialties={n: waiting_specialties.get(n, []) for n in names},
        trips_departed=departed,
        trips_not_happening=not_happening,
        trips_undecided=undecided,
        specialty_mix={n: dict(c) for n, c in mix.items()},
        facilities={s: c.most_common(1)[0][0] for s, c in travelled.items()},
        deaths={n: Hazard(died.get(n, 0), exposure.get(n, 0)) for n in names},
        leavings={n: Hazard(left.get(n, 0), exposure.get(n, 0)) for n in names},
        observed_waits=dict(waits),
        closures_without_referral=orphan_closures,
        events_used=used,
        largest_trip=largest,
        retracted=len(retracted),
        notes=notes,
    )
