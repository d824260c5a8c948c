"""The day-level planning model: instances, plans, the rules a plan must keep and its cost.

Everything here is plain Python so that the checker stays the single, readable definition of what a
valid plan is; the solvers work on the numpy view in :mod:`corridor.planning.arrays` and are always
judged by :func:`check_plan` and :func:`objective` from this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

INSTANCE_FORMAT = "corridor-planning-instance/1"
PLAN_FORMAT = "corridor-plan/1"


class InstanceError(ValueError):
    """Malformed instance or plan data; the message starts with the path of the offending field."""


@dataclass(frozen=True)
class Day:
    capacity: int
    max_facilities: int
    closed: bool = False


@dataclass(frozen=True)
class Facility:
    id: str
    closed_weekdays: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Appointment:
    facility: str
    day: int


@dataclass(frozen=True)
class Patient:
    id: str
    release: int
    due: int
    weight: int
    facilities: tuple[str, ...]
    fixed: Appointment | None = None


@dataclass(frozen=True)
class Instance:
    horizon_days: int
    days: tuple[Day, ...]
    facilities: tuple[Facility, ...]
    patients: tuple[Patient, ...]
    start_weekday: int = 0
    default_capacity: int = 4
    default_max_facilities: int = 1

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def is_open(self, day: int, facility: Facility) -> bool:
        """A trip to ``facility`` on ``day`` is possible: the day is open and the facility is not closed."""
        if not 0 <= day < self.horizon_days:
            return False
        spec = self.days[day]
        if spec.closed or spec.capacity <= 0 or spec.max_facilities <= 0:
            return False
        return self.weekday(day) not in facility.closed_weekdays

    def facility_by_id(self) -> dict[str, Facility]:
        return {f.id: f for f in self.facilities}

    def unplanned_cost(self, patient: Patient) -> int:
        return patient.weight * max(0, self.horizon_days - patient.due)

    def trip_cost(self, patient: Patient, day: int) -> int:
        return patient.weight * max(0, day - patient.due)


@dataclass(frozen=True)
class Trip:
    day: int
    facility: str
    patients: tuple[str, ...]


@dataclass
class Plan:
    trips: list[Trip]
    objective: float | None = None
    lower_bound: float | None = None
    # Free-form facts a method wants to hand on (its name, iterations, ...); not part of the file format.
    meta: dict[str, Any] = field(default_factory=dict)

    def day_of(self) -> dict[str, int]:
        return {p: trip.day for trip in self.trips for p in trip.patients}

    def sorted(self) -> Plan:
        trips = sorted(self.trips, key=lambda trip: (trip.day, trip.facility))
        return Plan(trips, self.objective, self.lower_bound, dict(self.meta))


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``code`` for programs, ``field`` locating it in the plan, ``message`` for people."""

    code: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --------------------------------------------------------------------------------------------- parsing


def _fail(path: str, message: str) -> InstanceError:
    return InstanceError(f"{path}: {message}")


def _int(
    data: Mapping[str, Any], key: str, path: str, *, minimum: int | None = None, default: int | None = None
) -> int:
    if key not in data or data[key] is None:
        if default is not None:
            return default
        raise _fail(f"{path}{key}", "is required")
    value = data[key]
    # bool is an int subclass; a JSON true is never a sensible day or weight.
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise _fail(f"{path}{key}", "must be a whole number")
    result = int(value)
    if minimum is not None and result < minimum:
        raise _fail(f"{path}{key}", f"must be at least {minimum}")
    return result


def _bool(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{path}{key}", "must be true or false")
    return value


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be an object")
    return value


def _list(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> Sequence[Any]:
    if key not in data:
        if required:
            raise _fail(f"{path}{key}", "is required")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise _fail(f"{path}{key}", "must be a list")
    return value


def _str(data: Mapping[str, Any], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}{key}", "must be a non-empty string")
    return value


def load_instance(data: Any) -> Instance:
    """Validate a ``corridor-planning-instance/1`` dict and build an :class:`Instance`.

    Raises :class:`InstanceError` naming the first bad field, e.g. ``patients[3].due: must be a whole
    number``. Fixed appointments at a facility missing from the patient's list make that facility
    eligible: the appointment itself shows the hospital accepts the patient.
    """
    root = _object(data, "instance")
    fmt = root.get("format")
    if fmt != INSTANCE_FORMAT:
        raise _fail("format", f"must be {INSTANCE_FORMAT!r}")
    horizon = _int(root, "horizon_days", "", minimum=1)
    if horizon > 3660:
        raise _fail("horizon_days", "must be at most 3660")
    default_capacity = _int(root, "default_capacity", "", minimum=0, default=4)
    default_max = _int(root, "default_max_facilities", "", minimum=0, default=1)
    start_weekday = _int(root, "start_weekday", "", minimum=0, default=0)
    if start_weekday > 6:
        raise _fail("start_weekday", "must be between 0 (Monday) and 6 (Sunday)")

    days = [Day(default_capacity, default_max, False) for _ in range(horizon)]
    seen_days: set[int] = set()
    for k, raw in enumerate(_list(root, "days", "", required=False)):
        path = f"days[{k}]."
        entry = _object(raw, f"days[{k}]")
        t = _int(entry, "day", path, minimum=0)
        if t >= horizon:
            raise _fail(f"{path}day", f"must be below horizon_days ({horizon})")
        if t in seen_days:
            raise _fail(f"{path}day", f"day {t} is listed twice")
        seen_days.add(t)
        days[t] = Day(
            _int(entry, "capacity", path, minimum=0, default=default_capacity),
            _int(entry, "max_facilities", path, minimum=0, default=default_max),
            _bool(entry, "closed", path, False),
        )

    facilities: list[Facility] = []
    facility_ids: set[str] = set()
    for k, raw in enumerate(_list(root, "facilities", "")):
        path = f"facilities[{k}]."
        entry = _object(raw, f"facilities[{k}]")
        fid = _str(entry, "id", path)
        if fid in facility_ids:
            raise _fail(f"{path}id", f"{fid!r} is listed twice")
        facility_ids.add(fid)
        weekdays: set[int] = set()
        for j, wd in enumerate(_list(entry, "closed_weekdays", path, required=False)):
            if isinstance(wd, bool) or not isinstance(wd, int) or not 0 <= wd <= 6:
                raise _fail(f"{path}closed_weekdays[{j}]", "must be a weekday from 0 (Monday) to 6 (Sunday)")
            weekdays.add(wd)
        facilities.append(Facility(fid, frozenset(weekdays)))
    if not facilities:
        raise _fail("facilities", "must list at least one facility")

    patients: list[Patient] = []
    patient_ids: set[str] = set()
    for k, raw in enumerate(_list(root, "patients", "")):
        path = f"patients[{k}]."
        entry = _object(raw, f"patients[{k}]")
        pid = _str(entry, "id", path)
        if pid in patient_ids:
            raise _fail(f"{path}id", f"{pid!r} is listed twice")
        patient_ids.add(pid)
        release = _int(entry, "release", path)
        due = _int(entry, "due", path)
        weight = _int(entry, "weight", path, minimum=1)
        elig: list[str] = []
        for j, fid in enumerate(_list(entry, "facilities", path)):
            if not isinstance(fid, str) or fid not in facility_ids:
                raise _fail(f"{path}facilities[{j}]", f"unknown facility {fid!r}")
            if fid not in elig:
                elig.append(fid)
        fixed: Appointment | None = None
        raw_fixed = entry.get("fixed")
        if raw_fixed is not None:
            fx = _object(raw_fixed, f"{path}fixed")
            ffid = fx.get("facility")
            if not isinstance(ffid, str) or ffid not in facility_ids:
                raise _fail(f"{path}fixed.facility", f"unknown facility {ffid!r}")
            fixed = Appointment(ffid, _int(fx, "day", f"{path}fixed.", minimum=0))
            if ffid not in elig:
                elig.append(ffid)
        if not elig:
            raise _fail(f"{path}facilities", "must list at least one facility")
        patients.append(Patient(pid, release, due, weight, tuple(elig), fixed))

    return Instance(
        horizon, tuple(days), tuple(facilities), tuple(patients), start_weekday, default_capacity, default_max
    )


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The JSON form of ``instance``; only days that differ from the defaults are listed."""
    days = [
        {"day": t, "capacity": d.capacity, "max_facilities": d.max_facilities, "closed": d.closed}
        for t, d in enumerate(instance.days)
        if (d.capacity, d.max_facilities, d.closed)
        != (instance.default_capacity, instance.default_max_facilities, False)
    ]
    return {
        "format": INSTANCE_FORMAT,
        "horizon_days": instance.horizon_days,
        "default_capacity": instance.default_capacity,
        "default_max_facilities": instance.default_max_facilities,
        "start_weekday": instance.start_weekday,
        "days": days,
        "facilities": [
            {"id": f.id, "closed_weekdays": sorted(f.closed_weekdays)} for f in instance.facilities
        ],
        "patients": [
            {
                "id": p.id,
                "release": p.release,
                "due": p.due,
                "weight": p.weight,
                "facilities": list(p.facilities),
                "fixed": None if p.fixed is None else {"facility": p.fixed.facility, "day": p.fixed.day},
            }
            for p in instance.patients
        ],
    }


def load_plan(data: Any) -> Plan:
    """Parse a ``corridor-plan/1`` dict; only its shape is checked here, the rules by :func:`check_plan`."""
    root = _object(data, "plan")
    if root.get("format") != PLAN_FORMAT:
        raise _fail("format", f"must be {PLAN_FORMAT!r}")
    trips: list[Trip] = []
    for k, raw in enumerate(_list(root, "trips", "")):
        path = f"trips[{k}]."
        entry = _object(raw, f"trips[{k}]")
        day = _int(entry, "day", path)
        facility = _str(entry, "facility", path)
        members: list[str] = []
        for j, pid in enumerate(_list(entry, "patients", path)):
            if not isinstance(pid, str):
                raise _fail(f"{path}patients[{j}]", "must be a patient id (string)")
            members.append(pid)
        trips.append(Trip(day, facility, tuple(members)))
    values: dict[str, float | None] = {}
    for key in ("objective", "lower_bound"):
        value = root.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            raise _fail(key, "must be a number or null")
        values[key] = None if value is None else float(value)
    return Plan(trips, values["objective"], values["lower_bound"])


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    ordered = plan.sorted()
    return {
        "format": PLAN_FORMAT,
        "trips": [
            {"day": t.day, "facility": t.facility, "patients": list(t.patients)} for t in ordered.trips
        ],
        "objective": _number(plan.objective),
        "lower_bound": _number(plan.lower_bound),
    }


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


# --------------------------------------------------------------------------------------- rules and cost


def binding_appointments(instance: Instance) -> dict[str, Appointment]:
    """The fixed appointments a plan must keep: those that can be kept, taken in the instance's order.

    An appointment is dropped when its day is outside the horizon or closed, the facility is closed
    that weekday, the patient is not released by then, or earlier appointments already fill that day's
    seats or facilities. Every method and the checker use this one definition.
    """
    by_id = instance.facility_by_id()
    seats: dict[int, int] = {}
    chosen: dict[int, set[str]] = {}
    binding: dict[str, Appointment] = {}
    for p in instance.patients:
        a = p.fixed
        if a is None or not instance.is_open(a.day, by_id[a.facility]) or a.day < p.release:
            continue
        spec = instance.days[a.day]
        facs = chosen.setdefault(a.day, set())
        if seats.get(a.day, 0) >= spec.capacity:
            continue
        if a.facility not in facs and len(facs) >= spec.max_facilities:
            continue
        facs.add(a.facility)
        seats[a.day] = seats.get(a.day, 0) + 1
        binding[p.id] = a
    return binding


def objective(instance: Instance, plan: Plan) -> int:
    """Total weighted tardiness: sum of weight x days late, a patient not planned counting as day T.

    Patients named in the plan but unknown to the instance are ignored here (``check_plan`` reports
    them); a patient planned twice counts at their first day.
    """
    day_of: dict[str, int] = {}
    for trip in instance_sorted_trips(plan):
        for pid in trip.patients:
            day_of.setdefault(pid, trip.day)
    total = 0
    for p in instance.patients:
        day = day_of.get(p.id)
        total += instance.unplanned_cost(p) if day is None else instance.trip_cost(p, day)
    return total


def instance_sorted_trips(plan: Plan) -> list[Trip]:
    return sorted(plan.trips, key=lambda trip: trip.day)


def check_plan(instance: Instance, plan: Plan) -> list[Violation]:
    """Every broken rule of ``plan``, in plan order (the first one is what ``plan check`` reports).

    Rules: trip days inside the horizon and open; the facility known and open that weekday; at most
    ``max_facilities`` facilities and ``capacity`` patients a day (capacity is per day, shared by
    that day's trips); each patient known, eligible at the trip's facility, released by the trip's
    day and planned at most once; every binding fixed appointment kept; a stated objective equal to
    the recomputed one.
    """
    out: list[Violation] = []
    by_id = instance.facility_by_id()
    patients = {p.id: p for p in instance.patients}
    seats: dict[int, int] = {}
    facs: dict[int, set[str]] = {}
    where: dict[str, tuple[int, str]] = {}
    for k, trip in enumerate(plan.trips):
        path = f"trips[{k}]"
        if not 0 <= trip.day < instance.horizon_days:
            out.append(
                Violation(
                    "day-outside-horizon",
                    f"{path}.day",
                    f"day {trip.day} is outside the horizon 0..{instance.horizon_days - 1}",
                )
            )
            continue
        spec = instance.days[trip.day]
        facility = by_id.get(trip.facility)
        if facility is None:
            out.append(
                Violation("unknown-facility", f"{path}.facility", f"unknown facility {trip.facility!r}")
            )
            continue
        if spec.closed or spec.capacity <= 0 or spec.max_facilities <= 0:
            out.append(Violation("closed-day", f"{path}.day", f"day {trip.day} is closed"))
        elif not instance.is_open(trip.day, facility):
            out.append(
                Violation(
                    "closed-weekday",
                    f"{path}.facility",
                    f"{trip.facility} is closed on weekday {instance.weekday(trip.day)} (day {trip.day})",
                )
            )
        day_facs = facs.setdefault(trip.day, set())
        day_facs.add(trip.facility)
        if len(day_facs) > spec.max_facilities:
            out.append(
                Violation(
                    "too-many-facilities",
                    f"{path}.facility",
                    f"day {trip.day} would go to {len(day_facs)} facilities, at most "
                    f"{spec.max_facilities} allowed",
                )
            )
        for j, pid in enumerate(trip.patients):
            ppath = f"{path}.patients[{j}]"
            patient = patients.get(pid)
            if patient is None:
                out.append(Violation("unknown-patient", ppath, f"unknown patient {pid!r}"))
                continue
            if pid in where:
                out.append(
                    Violation("planned-twice", ppath, f"{pid} is already planned on day {where[pid][0]}")
                )
                continue
            where[pid] = (trip.day, trip.facility)
            if trip.facility not in patient.facilities:
                out.append(Violation("not-eligible", ppath, f"{pid} is not eligible at {trip.facility}"))
            if trip.day < patient.release:
                out.append(
                    Violation(
                        "before-release",
                        ppath,
                        f"{pid} is released on day {patient.release}, planned on day {trip.day}",
                    )
                )
            seats[trip.day] = seats.get(trip.day, 0) + 1
            if seats[trip.day] == spec.capacity + 1:
                out.append(
                    Violation(
                        "over-capacity", ppath, f"day {trip.day} has more than its {spec.capacity} seats"
                    )
                )
    for pid, appt in binding_appointments(instance).items():
        if where.get(pid) != (appt.day, appt.facility):
            out.append(
                Violation(
                    "fixed-not-kept",
                    f"patients[{pid}].fixed",
                    f"{pid}'s appointment at {appt.facility} on day {appt.day} is not kept",
                )
            )
    if plan.objective is not None:
        actual = objective(instance, plan)
        if abs(actual - plan.objective) > 1e-6 * max(1.0, abs(actual)):
            out.append(
                Violation(
                    "wrong-objective",
                    "objective",
                    f"states {plan.objective:g}, the plan's weighted tardiness is {actual}",
                )
            )
    return out
