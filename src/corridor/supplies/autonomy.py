"""Days of autonomy, blockade periods and power from fuel: the arithmetic, with no Django.

Stock is known from **counts**: a count on a date is the stock at the close of that day. Between two
counts the stock changes by what was **received** (deliveries let through), by **adjustments**
(losses, spoilage, a recount's difference: negative or positive, never consumption), and by use. So
the use between two counts is ``first + received + adjusted - second`` over the days between them.
That is the *measured* daily use; a coordinator may also *set* an expected daily use (a ration
policy, say), which then takes precedence while the measured variability still gives the range.

Days of autonomy = stock today / expected daily use, with a range from mean ± one standard deviation
of the daily use measured between counts (weighted by the days each interval covers). The run-out
date is the day the projected stock reaches zero. With nothing to measure use from there is no
estimate, and the result says so rather than printing zero or infinity.

Every quantity carries a unit. Volumes (litres, millilitres, cubic metres) and masses (kilograms,
grams, tonnes) convert within their kind; every other unit (rations, vials, cylinders…) must match
the item's unit exactly, and anything else is refused with :class:`UnitMismatch`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corridor.errors import CoreRefusal
from corridor.errors import template as _
from corridor.notices import Notice

# --------------------------------------------------------------------------------------------- units

# canonical unit -> (dimension, factor to the dimension's base unit)
_CONVERTIBLE: dict[str, tuple[str, float]] = {
    "litres": ("volume", 1.0),
    "millilitres": ("volume", 0.001),
    "cubic metres": ("volume", 1000.0),
    "kilograms": ("mass", 1.0),
    "grams": ("mass", 0.001),
    "tonnes": ("mass", 1000.0),
}
_ALIASES: dict[str, str] = {
    "l": "litres",
    "litre": "litres",
    "liter": "litres",
    "liters": "litres",
    "ml": "millilitres",
    "millilitre": "millilitres",
    "milliliter": "millilitres",
    "milliliters": "millilitres",
    "m3": "cubic metres",
    "m³": "cubic metres",
    "cubic metre": "cubic metres",
    "cubic meter": "cubic metres",
    "cubic meters": "cubic metres",
    "kg": "kilograms",
    "kilogram": "kilograms",
    "g": "grams",
    "gram": "grams",
    "t": "tonnes",
    "tonne": "tonnes",
}


class UnitMismatch(CoreRefusal):
    """A quantity's unit cannot be turned into the unit its item is kept in."""


def normalise_unit(unit: str) -> str:
    """The canonical spelling of ``unit`` (``"L"`` → ``"litres"``); unknown units are only trimmed and lower-cased."""
    text = " ".join(str(unit or "").split()).lower()
    if not text:
        raise UnitMismatch(_("a quantity needs a unit (litres, rations, vials…)"), code="unit.missing")
    return _ALIASES.get(text, text)


def convert(quantity: float, unit: str, to_unit: str, *, item: str = "the item") -> float:
    """``quantity`` in ``unit`` expressed in ``to_unit``, or UnitMismatch saying why it cannot be."""
    given, wanted = normalise_unit(unit), normalise_unit(to_unit)
    if given == wanted:
        return float(quantity)
    a, b = _CONVERTIBLE.get(given), _CONVERTIBLE.get(wanted)
    if a and b and a[0] == b[0]:
        return float(quantity) * a[1] / b[1]
    raise UnitMismatch(
        _(
            "%(item)s is kept in %(wanted)s; %(quantity)s %(given)s cannot be converted to %(wanted)s "
            "(record it in %(wanted)s, or convert it first)"
        ),
        code="unit.not_convertible",
        item=item,
        wanted=wanted,
        quantity=int(quantity) if float(quantity).is_integer() else quantity,
        given=given,
    )


# -------------------------------------------------------------------------------------- stock and use


@dataclass(frozen=True)
class Count:
    """The stock at the close of ``on``, in the item's unit."""

    on: dt.date
    quantity: float


@dataclass(frozen=True)
class Movement:
    """Stock that came in (a delivery let through, positive) or an adjustment (positive or negative) on ``on``."""

    on: dt.date
    quantity: float
    kind: str = "received"  # or "adjusted"


@dataclass(frozen=True)
class Interval:
    """Use measured between two consecutive counts."""

    start: dt.date
    end: dt.date
    used: float

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def rate(self) -> float:
        return self.used / self.days


@dataclass(frozen=True)
class UseEstimate:
    """Expected daily use and its range. ``basis`` is "measured", "set" or "none" (nothing to go on)."""

    daily: float | None
    low: float | None
    high: float | None
    basis: str
    intervals: int = 0
    warnings: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Autonomy:
    """How long the stock lasts at the expected use, with a range, or why that cannot be said."""

    stock: float
    days: float | None
    days_low: float | None
    days_high: float | None
    run_out: dt.date | None
    run_out_earliest: dt.date | None
    run_out_latest: dt.date | None
    note: Notice | None = None


def measured_intervals(
    counts: Iterable[Count], movements: Iterable[Movement], *, until: dt.date | None = None
) -> tuple[list[Interval], list[Notice]]:
    """Use between each pair of consecutive counts (up to ``until``), and warnings about intervals left out.

    Two counts on the same day: the later one in the given order stands. An interval in which the stock
    rose although nothing was received or adjusted is left out (something went unrecorded) and named in
    the warnings, never silently turned into negative use.
    """
    by_day: dict[dt.date, float] = {}
    for count in counts:
        if until is None or count.on <= until:
            by_day[count.on] = count.quantity
    days = sorted(by_day)
    moves = sorted((m for m in movements if until is None or m.on <= until), key=lambda m: m.on)
    intervals: list[Interval] = []
    warnings: list[Notice] = []
    index = 0
    for start, end in zip(days, days[1:], strict=False):
        while index < len(moves) and moves[index].on <= start:
            index += 1
        inflow = 0.0
        while index < len(moves) and moves[index].on <= end:
            inflow += moves[index].quantity
            index += 1
        used = by_day[start] + inflow - by_day[end]
        if used < -1e-9:
            warnings.append(Notice.of("supply.unexplained_rise", rise=-used, start=start, end=end))
            continue
        intervals.append(Interval(start, end, max(used, 0.0)))
    return intervals, warnings


def estimate_use(
    intervals: Sequence[Interval],
    *,
    today: dt.date,
    set_daily: float | None = None,
    window_days: int = 28,
    warnings: Sequence[Notice] = (),
) -> UseEstimate:
    """Expected daily use from the intervals ending in the last ``window_days`` (else the last three).

    The recent past is what matters under rationing, so older intervals are used only when nothing
    recent was counted. The range is mean ± one standard deviation of the daily rate, weighted by each
    interval's days, and never below zero. A set daily use takes precedence for the expectation; its
    range carries the measured coefficient of variation.
    """
    if set_daily is not None and (not math.isfinite(set_daily) or set_daily < 0):
        raise ValueError("a set daily use must be a finite number, zero or more")
    recent = [i for i in intervals if i.end > today - dt.timedelta(days=window_days) and i.end <= today]
    if not recent:
        recent = [i for i in intervals if i.end <= today][-3:]
    mean = sd = None
    if recent:
        total_days = sum(i.days for i in recent)
        mean = sum(i.used for i in recent) / total_days
        sd = math.sqrt(sum(i.days * (i.rate - mean) ** 2 for i in recent) / total_days)
    if set_daily is not None:
        spread = (sd / mean) if mean and sd is not None else 0.0
        return UseEstimate(
            set_daily,
            max(set_daily * (1 - spread), 0.0),
            set_daily * (1 + spread),
            "set",
            len(recent),
            tuple(warnings),
        )
    if mean is None or sd is None:
        return UseEstimate(None, None, None, "none", 0, tuple(warnings))
    return UseEstimate(mean, max(mean - sd, 0.0), mean + sd, "measured", len(recent), tuple(warnings))


def stock_on(
    day: dt.date, counts: Iterable[Count], movements: Iterable[Movement], daily_use: float | None
) -> float | None:
    """The stock at the close of ``day``: the last count up to then, plus what came in since, minus the
    expected use since (never below zero). None when nothing was ever counted by then."""
    last: Count | None = None
    for count in counts:
        if count.on <= day and (last is None or count.on >= last.on):
            last = count
    if last is None:
        return None
    since = sum(m.quantity for m in movements if last.on < m.on <= day)
    used = (daily_use or 0.0) * (day - last.on).days
    return max(last.quantity + since - used, 0.0)


# Beyond this a run-out date means nothing (and a tiny use would overflow the calendar).
HORIZON_DAYS = 3650


def _run_out(today: dt.date, stock: float, daily: float | None) -> tuple[float | None, dt.date | None]:
    if daily is None or daily <= 0:
        return None, None
    days = stock / daily
    if days > HORIZON_DAYS:
        return days, None
    return days, today + dt.timedelta(days=math.ceil(days - 1e-9))


def autonomy(stock: float, use: UseEstimate, today: dt.date) -> Autonomy:
    """Days of autonomy and the run-out date (the day the projected stock reaches zero), with their range."""
    if stock < 0 or not math.isfinite(stock):
        raise ValueError("the stock must be a finite number, zero or more")
    if use.daily is None:
        return Autonomy(stock, None, None, None, None, None, None, Notice.of("supply.no_use_recorded"))
    if use.daily <= 0:
        return Autonomy(stock, None, None, None, None, None, None, Notice.of("supply.not_going_down"))
    days, run_out = _run_out(today, stock, use.daily)
    days_low, earliest = _run_out(today, stock, use.high)
    days_high, latest = _run_out(today, stock, use.low)
    note = None if days_high is not None else Notice.of("supply.steady_at_lowest_use")
    if run_out is None:
        note = Notice.of("supply.beyond_horizon", days=HORIZON_DAYS)
    return Autonomy(stock, days, days_low, days_high, run_out, earliest, latest, note)


def series(
    counts: Iterable[Count],
    movements: Iterable[Movement],
    *,
    start: dt.date,
    end: dt.date,
    daily_use: float | None,
) -> list[tuple[dt.date, float, bool]]:
    """The stock through time for a chart: each count as measured (``True``), and from the last count
    on the projection at the expected use to ``end`` (``False``). Points before ``start`` are dropped."""
    counted = sorted({c.on: c for c in counts}.values(), key=lambda c: c.on)
    points: list[tuple[dt.date, float, bool]] = [(c.on, c.quantity, True) for c in counted if start <= c.on <= end]
    last = next((c for c in reversed(counted) if c.on <= end), None)
    if last is None:
        return points
    moves = list(movements)
    day = max(last.on, start)
    while day < end:
        day += dt.timedelta(days=1)
        value = stock_on(day, counted, moves, daily_use)
        if value is not None:
            points.append((day, value, False))
        if value == 0:
            break
    return points


# ------------------------------------------------------------------------------------------ blockade


@dataclass(frozen=True)
class Decision:
    """What the gate did with one delivery: "allowed", "partly_allowed", "blocked" or "requested" (undecided)."""

    on: dt.date
    status: str
    requested: float | None = None
    allowed: float | None = None


@dataclass(frozen=True)
class Period:
    """A blockade: from the first blocked delivery to the day before a delivery is allowed in full."""

    start: dt.date
    end: dt.date | None  # last day of the blockade; None while it goes on

    def days_within(self, first: dt.date, last: dt.date) -> int:
        """How many days of [first, last] fall in this period."""
        stop = last if self.end is None else min(self.end, last)
        begin = max(self.start, first)
        return max((stop - begin).days + 1, 0)


def blockade_periods(decisions: Iterable[Decision]) -> list[Period]:
    """Blockade periods from the gate's decisions, in date order.

    A period opens with a blocked delivery and closes with the next delivery allowed in full: a partly
    allowed delivery is relief, not an end. On one day, blocked before allowed (the order given is kept).
    """
    periods: list[Period] = []
    start: dt.date | None = None
    for decision in sorted(decisions, key=lambda d: d.on):
        if decision.status == "blocked" and start is None:
            start = decision.on
        elif decision.status == "allowed" and start is not None:
            # Allowed the same day it was first blocked: still a day on which a delivery was stopped.
            periods.append(Period(start, max(decision.on - dt.timedelta(days=1), start)))
            start = None
    if start is not None:
        periods.append(Period(start, None))
    return periods


def blocked_since(periods: Sequence[Period], today: dt.date) -> dt.date | None:
    """The start of the blockade going on at ``today``, if any."""
    for period in periods:
        if period.start <= today and (period.end is None or period.end >= today):
            return period.start
    return None


def blockade_days(periods: Iterable[Period], first: dt.date, last: dt.date) -> int:
    """Days of [first, last] under a blockade (periods may not overlap; each day counts once)."""
    days: set[dt.date] = set()
    for period in periods:
        n = period.days_within(first, last)
        if n:
            begin = max(period.start, first)
            days.update(begin + dt.timedelta(days=k) for k in range(n))
    return len(days)


def share_allowed(decisions: Iterable[Decision]) -> tuple[float | None, int]:
    """The share of decided deliveries that were let through, and how many were decided.

    An allowed delivery counts 1, a blocked one 0, a partly allowed one the fraction of the requested
    quantity allowed. Deliveries still awaiting an answer are not counted. None when nothing was decided.
    """
    total = 0.0
    decided = 0
    for decision in decisions:
        if decision.status == "allowed":
            total += 1
        elif decision.status == "partly_allowed":
            if not decision.requested or decision.allowed is None:
                raise ValueError("a partly allowed delivery needs the requested and the allowed quantity")
            total += min(max(decision.allowed / decision.requested, 0.0), 1.0)
        elif decision.status != "blocked":
            continue
        decided += 1
    return (total / decided if decided else None), decided


# --------------------------------------------------------------------------------------------- power


def generator_hours(daily_fuel: float | None, litres_per_hour: float) -> tuple[float | None, float | None]:
    """Generator hours a day that ``daily_fuel`` litres run, capped at 24, and the hours without power."""
    if litres_per_hour <= 0:
        raise ValueError("a generator's burn rate must be more than zero litres an hour")
    if daily_fuel is None:
        return None, None
    hours = min(max(daily_fuel, 0.0) / litres_per_hour, 24.0)
    return hours, 24.0 - hours


@dataclass(frozen=True)
class ItemFigures:
    """Everything the status of one item needs, computed in one go from its records."""

    stock: float | None
    last_count: Count | None
    use: UseEstimate
    autonomy: Autonomy | None
    warnings: tuple[Notice, ...] = field(default=())


def figures(
    counts: Sequence[Count],
    movements: Sequence[Movement],
    *,
    today: dt.date,
    set_daily: float | None = None,
    window_days: int = 28,
) -> ItemFigures:
    """Stock today, expected use and autonomy for one item from its counts and movements up to ``today``."""
    past_counts = [c for c in counts if c.on <= today]
    past_moves = [m for m in movements if m.on <= today]
    intervals, warnings = measured_intervals(past_counts, past_moves, until=today)
    use = estimate_use(intervals, today=today, set_daily=set_daily, window_days=window_days, warnings=warnings)
    stock = stock_on(today, past_counts, past_moves, use.daily)
    last: Count | None = None
    for count in past_counts:  # on a day counted twice, the later count stands
        if last is None or count.on >= last.on:
            last = count
    return ItemFigures(
        stock=stock,
        last_count=last,
        use=use,
        autonomy=autonomy(stock, use, today) if stock is not None else None,
        warnings=tuple(warnings),
    )
