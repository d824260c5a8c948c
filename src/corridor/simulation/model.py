"""What a simulated scenario is: priority classes, the access rules and the run's size.

Plain frozen dataclasses with validation, so that the engine can trust its input and the CLI, scenario
files and calibration all build the same thing. Nothing here imports Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

Policy = Literal["fifo", "priority", "edf", "atc"]
POLICIES: dict[str, str] = {
    "fifo": "first referred, first served",
    "priority": "most urgent class first, first referred first within a class",
    "edf": "earliest deadline (referral day + class deadline) first",
    "atc": "the planner's Apparent Tardiness Cost index, highest first",
}

SPECIALTIES: tuple[str, ...] = (
    "oncology",
    "ophthalmology",
    "cardiology",
    "orthopaedics",
    "nephrology",
    "neurology",
    "general_surgery",
    "obstetrics",
    "paediatrics",
    "imaging",
    "other",
)

# The register's default priority table: code -> (label, deadline in days, weight).
DEFAULT_CLASSES: dict[str, tuple[str, int, float]] = {
    "P1": ("emergency", 1, 10.0),
    "P2": ("urgent", 14, 5.0),
    "P3": ("soon", 30, 2.0),
    "P4": ("routine", 90, 1.0),
}
# A bare ``--arrival-rate 3`` describes one undifferentiated class; it needs some deadline for the
# "past deadline" figures, and the middle of the register's table is the least surprising.
SINGLE_CLASS = "P"
SINGLE_CLASS_DEADLINE = 30

WAIT_THRESHOLDS: tuple[int, ...] = (7, 30, 90)
# Single facility name used when no specialty mix is given: every referral goes to the same hospital.
ANY_FACILITY = "any"


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; the message names the field and what is wrong."""


@dataclass(frozen=True)
class PriorityClass:
    """One priority class: how often its referrals arrive and how urgent they are.

    ``death_hazard`` and ``leave_hazard`` are daily probabilities for a patient who is still waiting
    after a day's trip (so a patient referred today can die tonight); ``None`` means "not modelled",
    which is different from zero: results about deaths appear only when some hazard is given.
    ``specialty_mix`` maps specialty to share; empty means the scenario-wide mix.
    """

    name: str
    rate: float
    deadline_days: int
    weight: float = 1.0
    death_hazard: float | None = None
    leave_hazard: float | None = None
    initial_backlog: int = 0
    # Ages in days (0 = referred the day before the simulation starts) of the initial backlog, when the
    # ledger knows them; otherwise every initial patient is taken as referred that day.
    initial_ages: tuple[int, ...] = ()
    # Specialties of the initial backlog, aligned with ``initial_ages`` (from the ledger), so that each
    # waiting patient queues for the right hospital; otherwise the backlog is spread by the mix.
    initial_specialties: tuple[str, ...] = ()
    specialty_mix: tuple[tuple[str, float], ...] = ()

    def validate(self) -> None:
        where = f"class {self.name}"
        if not self.name or any(c.isspace() for c in self.name):
            raise ScenarioError(f"class name {self.name!r} must be one word")
        if not (math.isfinite(self.rate) and self.rate >= 0):
            raise ScenarioError(f"{where}: arrival rate must be a number >= 0, got {self.rate}")
        if self.deadline_days < 0:
            raise ScenarioError(f"{where}: deadline must be >= 0 days, got {self.deadline_days}")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ScenarioError(f"{where}: weight must be > 0, got {self.weight}")
        for label, hazard in (("death", self.death_hazard), ("leaving", self.leave_hazard)):
            if hazard is not None and not (0 <= hazard <= 1):
                raise ScenarioError(f"{where}: daily {label} hazard must be between 0 and 1, got {hazard}")
        if (self.death_hazard or 0) + (self.leave_hazard or 0) > 1:
            raise ScenarioError(f"{where}: death and leaving hazards add up to more than 1 a day")
        if self.initial_backlog < 0:
            raise ScenarioError(f"{where}: initial backlog must be >= 0, got {self.initial_backlog}")
        if self.initial_ages and len(self.initial_ages) != self.initial_backlog:
            raise ScenarioError(
                f"{where}: {len(self.initial_ages)} ages given for a backlog of {self.initial_backlog}"
            )
        if self.initial_specialties and len(self.initial_specialties) != self.initial_backlog:
            raise ScenarioError(
                f"{where}: {len(self.initial_specialties)} specialties given for a backlog of "
                f"{self.initial_backlog}"
            )
        for specialty in self.initial_specialties:
            _check_specialty(specialty, where)
        if any(age < 0 for age in self.initial_ages):
            raise ScenarioError(f"{where}: initial ages must be >= 0 days")
        _check_mix(self.specialty_mix, where)

    @property
    def total_hazard(self) -> float:
        return (self.death_hazard or 0.0) + (self.leave_hazard or 0.0)


def _check_specialty(name: str, where: str) -> None:
    if name not in SPECIALTIES:
        raise ScenarioError(f"{where}: unknown specialty {name!r}; use one of {', '.join(SPECIALTIES)}")


def _check_mix(mix: tuple[tuple[str, float], ...], where: str) -> None:
    names = [name for name, _ in mix]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{where}: a specialty is listed twice in the mix")
    for name in names:
        _check_specialty(name, where)
    for name, share in mix:
        if not (math.isfinite(share) and share >= 0):
            raise ScenarioError(f"{where}: share of {name} must be >= 0, got {share}")
    if mix and sum(share for _, share in mix) <= 0:
        raise ScenarioError(f"{where}: the specialty shares add up to zero")


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation needs. Classes are ranked by urgency: shorter deadline, then higher
    weight, then the order given (this is the order the ``priority`` policy serves them in)."""

    classes: tuple[PriorityClass, ...]
    capacity: int = 4
    trip_probability: float = 1.0
    facilities_per_day: int = 1
    policy: Policy = "priority"
    days: int = 365
    warmup_days: int = 0
    replications: int = 1000
    seed: int = 2024
    name: str = "scenario"
    description: str = ""
    # Scenario-wide specialty mix (specialty -> share) and which hospital serves each specialty.
    specialty_mix: tuple[tuple[str, float], ...] = ()
    facilities: tuple[tuple[str, str], ...] = ()
    atc_k: float = 2.0
    source: str = field(default="", compare=False)
    # Settings a scenario file states explicitly: calibration from the ledger leaves those alone.
    stated: frozenset[str] = field(default=frozenset(), compare=False)

    def validate(self) -> Scenario:
        """Raise ScenarioError for the first thing that cannot be simulated; return self otherwise."""
        if not self.classes:
            raise ScenarioError("give at least one arrival rate")
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise ScenarioError(f"class names must differ: {', '.join(names)}")
        if "all" in names:
            raise ScenarioError("'all' is reserved for the total over classes; rename that class")
        for cls in self.classes:
            cls.validate()
        if self.capacity < 0:
            raise ScenarioError(f"capacity must be >= 0 patients a day, got {self.capacity}")
        if not (0 <= self.trip_probability <= 1):
            raise ScenarioError(f"trip probability must be between 0 and 1, got {self.trip_probability}")
        if self.facilities_per_day < 1:
            raise ScenarioError(f"facilities per day must be >= 1, got {self.facilities_per_day}")
        if self.policy not in POLICIES:
            raise ScenarioError(f"unknown policy {self.policy!r}; use one of {', '.join(POLICIES)}")
        if self.days < 1:
            raise ScenarioError(f"days must be >= 1, got {self.days}")
        if self.warmup_days < 0:
            raise ScenarioError(f"warm-up days must be >= 0, got {self.warmup_days}")
        if self.replications < 1:
            raise ScenarioError(f"replications must be >= 1, got {self.replications}")
        if self.seed < 0:
            raise ScenarioError(f"seed must be >= 0, got {self.seed}")
        if not (math.isfinite(self.atc_k) and self.atc_k > 0):
            raise ScenarioError(f"the ATC look-ahead k must be > 0, got {self.atc_k}")
        _check_mix(self.specialty_mix, "specialty mix")
        served = dict(self.facilities)
        if len(served) != len(self.facilities):
            raise ScenarioError("a specialty is mapped to two facilities")
        for specialty, hospital in self.facilities:
            _check_specialty(specialty, "facilities")
            if not hospital.strip():
                raise ScenarioError(f"facilities: no hospital named for {specialty}")
        return self

    @property
    def ranked(self) -> tuple[PriorityClass, ...]:
        order = {c.name: i for i, c in enumerate(self.classes)}
        return tuple(sorted(self.classes, key=lambda c: (c.deadline_days, -c.weight, order[c.name])))

    @property
    def total_rate(self) -> float:
        return sum(c.rate for c in self.classes)

    @property
    def has_hazards(self) -> bool:
        return any(c.death_hazard is not None or c.leave_hazard is not None for c in self.classes)

    @property
    def load(self) -> float:
        """rho = lambda / (p K): at or above 1 the backlog grows without bound."""
        service = self.trip_probability * self.capacity
        return math.inf if service == 0 else self.total_rate / service

    def class_mix(self, cls: PriorityClass) -> dict[str, float]:
        """The class's specialty shares, normalised; a class without a mix uses the scenario's."""
        mix = dict(cls.specialty_mix or self.specialty_mix)
        if not mix:
            return {}
        total = sum(mix.values())
        return {name: share / total for name, share in mix.items() if share > 0}

    def facility_of(self, specialty: str) -> str:
        """Each specialty is served at one hospital; unmapped specialties have a hospital of their own."""
        return dict(self.facilities).get(specialty, specialty)

    def cell_layout(self) -> tuple[list[str], list[tuple[int, int, float]]]:
        """Facilities and the (class index in ``ranked``, facility index, rate) of each arrival stream.

        Patients of one class bound for one facility form one first-in-first-out queue under every
        policy, so the engine keeps one queue per such pair, not one per patient.
        """
        facilities: list[str] = []
        cells: list[tuple[int, int, float]] = []
        for c, cls in enumerate(self.ranked):
            by_facility: dict[str, float] = {}
            mix = self.class_mix(cls)
            if not mix:
                by_facility[ANY_FACILITY] = 1.0
            for specialty, share in mix.items():
                hospital = self.facility_of(specialty)
                by_facility[hospital] = by_facility.get(hospital, 0.0) + share
            if mix:
                # Patients already waiting for a specialty no longer referred still need their hospital.
                for specialty in cls.initial_specialties:
                    by_facility.setdefault(self.facility_of(specialty), 0.0)
            for hospital, share in by_facility.items():
                if hospital not in facilities:
                    facilities.append(hospital)
                cells.append((c, facilities.index(hospital), cls.rate * share))
        return facilities, cells

    def with_changes(self, **changes: object) -> Scenario:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_class(name: str, rate: float) -> PriorityClass:
    """A class from the register's default table, or a class with the single-class deadline."""
    if name in DEFAULT_CLASSES:
        _, deadline, weight = DEFAULT_CLASSES[name]
        return PriorityClass(name=name, rate=rate, deadline_days=deadline, weight=weight)
    return PriorityClass(name=name, rate=rate, deadline_days=SINGLE_CLASS_DEADLINE)
