"""The indicator catalogue: a registry that any module can add an indicator to.

An indicator is declared once, with its formula, unit, breakdowns and source (docs/indicators.md
must say the same; a test fails if the two disagree), and registered with the function that
computes it for a period::

    from corridor.reports.catalogue import Indicator, Result, Value, register

    def days_of_autonomy(period):
        ...
        return Result(values={"supplies.days_of_autonomy": Value(12.5)}, tables=[...])

    register(
        Indicator(code="supplies.days_of_autonomy", section="supplies", title=gettext_noop("Days of autonomy"), ...),
        compute=days_of_autonomy,
    )

Put that in a module named ``indicators.py`` inside any installed app: the reports app imports every
such module when Django starts, so the indicator joins the monthly report and the exports without
any change here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from corridor.reports import core, scope
from corridor.reports.core import Period, Table


@dataclass(frozen=True)
class Indicator:
    """One indicator as documented.

    ``definition`` is the plain sentence printed beside the number in reports; ``formula`` the exact
    rule for docs/indicators.md. ``title`` and ``definition`` are in English and are gettext messages
    (mark them with ``gettext_noop``): :func:`corridor.reports.strings.title` and ``definition`` give
    them in a report's language. This module stays free of Django, so it does not translate itself.
    """

    code: str
    section: str
    title: str
    definition: str
    formula: str
    unit: str
    breakdowns: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Value:
    """A headline value, and what public editions need to know to suppress it.

    ``basis`` is how many people or things it rests on; ``count`` says it is itself a count;
    ``numerators`` names the count indicators a rate is made of (or gives those counts, when they
    are not indicators themselves); ``part_of`` names the total a count adds up to with its siblings
    (requests.approved, .denied and .delayed make requests.total).
    """

    value: float | int | None
    basis: int | None = None
    count: bool = False
    numerators: tuple[str | int, ...] = ()
    part_of: str | None = None

    @classmethod
    def of_count(cls, n: int, part_of: str | None = None) -> Value:
        return cls(n, n, count=True, part_of=part_of)


def public_values(values: Mapping[str, Value]) -> dict[str, Any]:
    """Headline values fit for the public: small counts, and whatever would reveal them, blank (None)."""
    cells = {
        code: core.Cell(v.value, count=v.count, numerators=v.numerators, basis=v.basis, part_of=v.part_of)
        for code, v in values.items()
    }
    hidden = core.suppress_cells(cells)
    return {code: (None if code in hidden else v.value) for code, v in values.items()}


@dataclass
class Result:
    """What a compute function returns: headline values by indicator code, breakdown tables, and
    details for the report (lists of deaths, incidents, a curve)."""

    values: dict[str, Value] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


Compute = Callable[[Period], Result]


@dataclass(frozen=True)
class Section:
    """A part of the report: a title (an English gettext message) and the indicators computed together.

    ``declared`` says ``define_section`` made it, so it stays when its indicators are unregistered.
    """

    code: str
    title: str
    order: int
    declared: bool = False


@dataclass
class _Registration:
    indicators: tuple[Indicator, ...]
    compute: Compute


_lock = threading.Lock()
_sections: dict[str, Section] = {}
_indicators: dict[str, Indicator] = {}
_registrations: list[_Registration] = []


def define_section(code: str, title: str, *, order: int = 100) -> None:
    """Declare a section of the report (optional: ``register`` makes one from the indicator's section)."""
    with _lock:
        _sections[code] = Section(code, title, order, declared=True)


def register(*indicators: Indicator, compute: Compute) -> None:
    """Add indicators computed together by ``compute(period) -> Result``. Codes must be new."""
    if not indicators:
        raise ValueError("register at least one indicator")
    if len({ind.section for ind in indicators}) != 1:
        raise ValueError("indicators registered together must belong to one section")
    with _lock:
        for indicator in indicators:
            if indicator.code in _indicators:
                raise ValueError(f"indicator {indicator.code} is already registered")
        for indicator in indicators:
            _indicators[indicator.code] = indicator
            if indicator.section not in _sections:
                _sections[indicator.section] = Section(indicator.section, indicator.section.replace("_", " "), 100)
        _registrations.append(_Registration(tuple(indicators), compute))


def unregister(*codes: str) -> None:
    """Remove indicators (and their computation) from the catalogue, e.g. a test's own."""
    with _lock:
        for code in codes:
            _indicators.pop(code, None)
        _registrations[:] = [r for r in _registrations if not {i.code for i in r.indicators} & set(codes)]
        used = {i.section for i in _indicators.values()}
        for code in [c for c in _sections if c not in used and not _sections[c].declared]:
            del _sections[code]


def indicators() -> list[Indicator]:
    """Every registered indicator, in report order."""
    order = {code: (s.order, i) for i, (code, s) in enumerate(_sections.items())}
    return sorted(_indicators.values(), key=lambda ind: order[ind.section])


def indicator(code: str) -> Indicator:
    return _indicators[code]


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: s.order)


@dataclass
class IndicatorSet:
    """Every indicator for one period, section by section."""

    period: Period
    results: dict[str, Result]
    sites: frozenset[int] | None = None  # the sites counted (ids); None for every site

    def value(self, code: str) -> Any:
        section = _indicators[code].section
        return self.results[section].values[code].value

    def values(self) -> dict[str, Value]:
        found: dict[str, Value] = {}
        for result in self.results.values():
            found.update(result.values)
        return found

    def tables(self) -> list[Table]:
        return [table for result in self.results.values() for table in result.tables]

    def details(self, section: str) -> dict[str, Any]:
        return self.results[section].details if section in self.results else {}


def compute_all(period: Period, only: Iterable[str] | None = None, sites: Iterable[int] | None = None) -> IndicatorSet:
    """Compute every registered indicator (or the sections named in ``only``) for ``period``, counting
    the records of ``sites`` only (site ids; ``None`` for every site)."""
    with scope.covering(sites):
        found = _compute_all(period, only)
    found.sites = scope.frozen(sites)
    return found


def _compute_all(period: Period, only: Iterable[str] | None) -> IndicatorSet:
    wanted = set(only) if only is not None else None
    results: dict[str, Result] = {s.code: Result() for s in sections() if wanted is None or s.code in wanted}
    for registration in list(_registrations):
        section = registration.indicators[0].section
        if section not in results:
            continue
        result = registration.compute(period)
        expected = {ind.code for ind in registration.indicators}
        if set(result.values) != expected:
            missing = sorted(expected - set(result.values))
            extra = sorted(set(result.values) - expected)
            raise RuntimeError(f"indicator computation for {sorted(expected)} returned missing={missing} extra={extra}")
        merged = results[section]
        merged.values.update(result.values)
        merged.tables.extend(result.tables)
        merged.details.update(result.details)
    return IndicatorSet(period, results)
