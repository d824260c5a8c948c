"""The indicator maths: periods, age groups, rates, percentiles, Kaplan–Meier and cell suppression.

Pure Python (with numpy and scipy): no Django here, so every formula can be read and tested alone.
The ORM layer (:mod:`corridor.reports.queries`) aggregates rows in the database and hands the
results to these functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from corridor.errors import CoreRefusal
from corridor.errors import template as _

# numpy (and matplotlib in the charts) are imported where they are used: a server process that only
# records and reads pages never loads them, which keeps each worker some 50 MB smaller.

# The WHO's age bands for patient-permit reporting.
AGE_GROUPS = ("<18", "18-40", "41-60", ">60")
UNKNOWN = "unknown"
SUPPRESSION_THRESHOLD = 5
SUPPRESSED = None  # a suppressed cell is empty, never zero: readers must not mistake it for "none"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A calendar month and the date up to which it is reported.

    ``as_of`` is the month's last day for a past month, or today for the current month: a report
    made on 14 October counts October's events up to and including the 14th.
    """

    start: dt.date
    end: dt.date
    as_of: dt.date

    @classmethod
    def month(cls, text: str, today: dt.date) -> Period:
        """Parse ``YYYY-MM``. A month that has not begun yet is refused (a ValueError with its code)."""
        found = _MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise CoreRefusal(
                _("a month is written YYYY-MM, such as %(example)s; got %(value)r"),
                code="month.not_yyyy_mm",
                example="2014-10",
                value=text,
            )
        year, month = int(found.group(1)), int(found.group(2))
        if year < 1900:
            raise CoreRefusal(
                _("%(month)s is before %(first_year)s"), code="month.too_early", month=text, first_year=1900
            )
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        if start > today:
            raise CoreRefusal(
                _("%(month)s has not begun yet (today is %(today)s)"), code="month.not_begun", month=text, today=today
            )
        return cls(start, end, min(end, today))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def complete(self) -> bool:
        return self.as_of == self.end

    def previous(self, months: int = 1) -> Period:
        """The month ``months`` before this one, complete."""
        year, month = self.start.year, self.start.month - months
        while month < 1:
            year, month = year - 1, month + 12
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return Period(start, end, end)


def age_group(birth_year: int | None, year: int) -> str:
    """The WHO age band of someone born in ``birth_year``, in ``year`` (age = year − birth year)."""
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    if age < 18:
        return "<18"
    if age <= 40:
        return "18-40"
    if age <= 60:
        return "41-60"
    return ">60"


def age_bounds(year: int) -> list[tuple[str, int | None, int | None]]:
    """Each age band as (label, earliest birth year, latest birth year) for ``year``; None is open."""
    return [
        ("<18", year - 17, None),
        ("18-40", year - 40, year - 18),
        ("41-60", year - 60, year - 41),
        (">60", None, year - 61),
    ]


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if numerator is None or not denominator:
        return None
    return 100.0 * numerator / denominator


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks (Hyndman–Fan type 7)."""
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q, method="linear"))


_ICD10_CHAPTERS: list[tuple[str, str, str]] = [
    # (first code, last code, chapter) — WHO ICD-10 chapters I–XXII.
    ("A00", "B99", "I infectious and parasitic"),
    ("C00", "D48", "II neoplasms"),
    ("D50", "D89", "III blood and immune"),
    ("E00", "E90", "IV endocrine and metabolic"),
    ("F00", "F99", "V mental and behavioural"),
    ("G00", "G99", "VI nervous system"),
    ("H00", "H59", "VII eye"),
    ("H60", "H95", "VIII ear"),
    ("I00", "I99", "IX circulatory"),
    ("J00", "J99", "X respiratory"),
    ("K00", "K93", "XI digestive"),
    ("L00", "L99", "XII skin"),
    ("M00", "M99", "XIII musculoskeletal"),
    ("N00", "N99", "XIV genitourinary"),
    ("O00", "O99", "XV pregnancy and childbirth"),
    ("P00", "P96", "XVI perinatal"),
    ("Q00", "Q99", "XVII congenital"),
    ("R00", "R99", "XVIII symptoms and signs"),
    ("S00", "T98", "XIX injury and poisoning"),
    ("V01", "Y98", "XX external causes"),
    ("Z00", "Z99", "XXI health services contact"),
    ("U00", "U99", "XXII special purposes"),
]
NOT_CODED = "not coded"


def diagnosis_group(icd10: str | None) -> str:
    """The ICD-10 chapter of a code such as ``C16.9`` (``II neoplasms``), or ``not coded``."""
    code = (icd10 or "").strip().upper()[:3]
    if len(code) < 3:
        return NOT_CODED
    for first, last, chapter in _ICD10_CHAPTERS:
        if first <= code <= last:
            return chapter
    return NOT_CODED


# ------------------------------------------------------------------------------------ the WHO's requests

APPROVED, DENIED, DELAYED, NOT_DUE = "approved", "denied", "delayed", "not_due"


def classify_request(answer: str | None, answered_on: dt.date | None, trip_date: dt.date, as_of: dt.date) -> str:
    """What became of one request, as the WHO counts permit applications.

    A request is *approved* or *denied* when that definitive answer came on or before the trip date;
    *delayed* when no answer came by then (none at all, or one that came too late). A request whose
    trip date is after ``as_of`` is *not due* yet and is not counted.
    """
    if trip_date > as_of:
        return NOT_DUE
    if answer in (APPROVED, DENIED) and answered_on is not None and answered_on <= trip_date:
        return answer
    return DELAYED


# --------------------------------------------------------------------------------------- time to care


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier curve of time to care: the share seen by each day since referral."""

    days: tuple[float, ...]
    seen: tuple[float, ...]
    at_risk: int
    events: int
    censored: int

    def share_by(self, day: float) -> float | None:
        """The estimated share seen within ``day`` days, or None with no data."""
        if not self.at_risk:
            return None
        share = 0.0
        for when, value in zip(self.days, self.seen, strict=True):
            if when > day:
                break
            share = value
        return share

    @property
    def median(self) -> float | None:
        """The first day by which half are estimated to have been seen; None when never reached."""
        for when, value in zip(self.days, self.seen, strict=True):
            if value >= 0.5 - 1e-12:
                return when
        return None


def kaplan_meier(durations: Sequence[float], seen: Sequence[bool]) -> Curve:
    """Kaplan–Meier estimate of the share seen by each day, those not (yet) seen right-censored.

    Uses :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`; nothing is hand-rolled.
    """
    if len(durations) != len(seen):
        raise ValueError("durations and seen differ in length")
    if any(d < 0 for d in durations):
        raise ValueError("a duration is negative")
    if not durations:
        return Curve((), (), 0, 0, 0)
    import numpy as np
    from scipy.stats import CensoredData, ecdf

    events = [float(d) for d, s in zip(durations, seen, strict=True) if s]
    censored = [float(d) for d, s in zip(durations, seen, strict=True) if not s]
    result = ecdf(CensoredData(uncensored=np.asarray(events), right=np.asarray(censored)))
    return Curve(
        days=tuple(float(d) for d in result.cdf.quantiles),
        seen=tuple(float(p) for p in result.cdf.probabilities),
        at_risk=len(durations),
        events=len(events),
        censored=len(censored),
    )


# ------------------------------------------------------------------------------------ competing risks

CENSORED, CARE, DIED, LEFT = 0, 1, 2, 3
CAUSES = (CARE, DIED, LEFT)


@dataclass(frozen=True)
class Incidence:
    """Cumulative incidence of each cause (Aalen–Johansen): the share who had it by each event day.

    Unlike one minus a Kaplan–Meier curve that censors deaths, the shares of care, death and leaving
    add up with those still waiting to the whole cohort, so nobody who died is counted as if they
    might still be seen.
    """

    days: tuple[float, ...]
    by_cause: dict[int, tuple[float, ...]]
    at_risk: int

    def share_by(self, cause: int, day: float) -> float | None:
        """The estimated share who had ``cause`` within ``day`` days, or None with no data."""
        if not self.at_risk:
            return None
        values = self.by_cause.get(cause, ())
        import numpy as np

        index = int(np.searchsorted(np.asarray(self.days), day, side="right")) - 1
        return float(values[index]) if index >= 0 and values else 0.0


def aalen_johansen(durations: Sequence[float], causes: Sequence[int]) -> Incidence:
    """The Aalen–Johansen estimate of every cause's cumulative incidence.

    ``causes`` holds, for each person, the event that ended their time (CARE, DIED, LEFT) or CENSORED.
    At each event time t with n at risk (time ≥ t) and d_k events of cause k, with S the all-cause
    Kaplan–Meier survival just before t: CIF_k(t) = CIF_k(t−) + S(t−) · d_k / n. A censored time tied
    with an event counts as still at risk at that time (the usual convention).
    """
    if len(durations) != len(causes):
        raise ValueError("durations and causes differ in length")
    import numpy as np

    time = np.asarray(durations, dtype=float)
    cause = np.asarray(causes, dtype=int)
    if time.size and (time < 0).any():
        raise ValueError("a duration is negative")
    if cause.size and not np.isin(cause, (CENSORED, *CAUSES)).all():
        raise ValueError("a cause is not one of CENSORED, CARE, DIED, LEFT")
    events = np.unique(time[cause != CENSORED])
    if not events.size:
        return Incidence((), {k: () for k in CAUSES}, int(time.size))
    ordered = np.sort(time)
    at_risk = time.size - np.searchsorted(ordered, events, side="left")
    index = np.searchsorted(events, time[cause != CENSORED])
    happened = cause[cause != CENSORED]
    per_cause = {k: np.bincount(index[happened == k], minlength=events.size) for k in CAUSES}
    total = sum(per_cause.values())
    survival = np.cumprod(1.0 - total / at_risk)
    before = np.concatenate(([1.0], survival[:-1]))
    return Incidence(
        days=tuple(float(t) for t in events),
        by_cause={k: tuple(float(v) for v in np.cumsum(before * per_cause[k] / at_risk)) for k in CAUSES},
        at_risk=int(time.size),
    )


# ------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """One column of a breakdown table.

    ``kind`` is ``label`` (the category), ``count``, ``rate`` (a percentage) or a statistic
    (``days``, ``hours``). ``numerators`` and ``basis`` name the count columns a value is computed
    from, and ``part_of`` the count column a count adds up to with its siblings (approved, denied
    and delayed make up requests), so that suppressing a small count also blanks whatever would
    reveal it.
    """

    code: str
    kind: str = "count"
    numerators: tuple[str, ...] = ()
    basis: str | None = None
    part_of: str | None = None


@dataclass
class Table:
    """A breakdown: one row a category, one column a count, rate or statistic."""

    code: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    indicator: str = ""

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column code."""
        return [{c.code: row[i] for i, c in enumerate(self.columns)} for row in self.rows]

    def column(self, code: str) -> int:
        for index, column in enumerate(self.columns):
            if column.code == code:
                return index
        raise KeyError(code)


@dataclass(frozen=True)
class Cell:
    """A number to publish, and what it is made of (for :func:`suppress_cells`)."""

    value: Any
    count: bool = False
    numerators: tuple[Any, ...] = ()
    basis: Any = None
    part_of: Any = None
    column: Any = None


def _small(value: Any, threshold: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold


def suppress_cells(cells: dict[Any, Cell], threshold: int = SUPPRESSION_THRESHOLD) -> set[Any]:
    """The keys of the cells to blank so that no count from 1 to ``threshold - 1`` can be read or derived.

    1. Primary: every count from 1 to threshold − 1 (zero is shown: it discloses nobody).
    2. Complementary, until nothing changes: wherever exactly one count is blank among the parts of
       a total (approved, denied and delayed of the requests), or among the counts of one column of
       a table, the smallest other non-zero one is blanked too, so that the hidden one cannot be
       recovered by subtraction.
    3. A rate or statistic is blank when a count it is made of is blank, or when it rests on 1 to
       ``threshold - 1`` (a rate over three people says too much about each). ``numerators`` and
       ``basis`` are the keys of those counts, or the counts themselves.
    """
    hidden = {key for key, cell in cells.items() if cell.count and _small(cell.value, threshold)}
    groups: dict[Any, list[Any]] = {}
    for key, cell in cells.items():
        if cell.count and cell.part_of is not None:
            groups.setdefault(("part", cell.part_of), []).append(key)
        if cell.count and cell.column is not None:
            groups.setdefault(("column", cell.column), []).append(key)
    changed = True
    while changed:
        changed = False
        for members in groups.values():
            if sum(1 for key in members if key in hidden) != 1:
                continue
            others = [
                (cells[key].value, str(key), key)
                for key in members
                if key not in hidden and isinstance(cells[key].value, int) and cells[key].value > 0
            ]
            if others:
                hidden.add(min(others)[2])
                changed = True
    for key, cell in cells.items():
        if cell.count:
            continue
        if any(n in hidden or (n not in cells and _small(n, threshold)) for n in cell.numerators):
            hidden.add(key)
        if cell.basis is not None:
            basis = cells[cell.basis].value if cell.basis in cells else cell.basis
            if cell.basis in hidden or _small(basis, threshold):
                hidden.add(key)
    return hidden


def suppress(table: Table, threshold: int = SUPPRESSION_THRESHOLD) -> Table:
    """A copy of ``table`` fit for the public, blanked by the rules of :func:`suppress_cells`."""
    codes = {column.code: j for j, column in enumerate(table.columns)}
    cells: dict[tuple[int, int], Cell] = {}
    for i, row in enumerate(table.rows):
        for j, column in enumerate(table.columns):
            if column.kind == "label":
                continue
            cells[(i, j)] = Cell(
                value=row[j],
                count=column.kind == "count",
                numerators=tuple((i, codes[n]) for n in column.numerators),
                basis=(i, codes[column.basis]) if column.basis is not None else None,
                part_of=(i, codes[column.part_of]) if column.part_of is not None else None,
                column=j,
            )
    rows = [list(row) for row in table.rows]
    for i, j in suppress_cells(cells, threshold):
        rows[i][j] = SUPPRESSED
    return replace(table, rows=rows)
