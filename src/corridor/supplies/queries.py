"""Reading the blockade: per-item status, alerts, patients at risk, power, and monthly indicators.

Everything here only reads. The arithmetic is in :mod:`corridor.supplies.autonomy`; this module
gathers an item's records, hands them to it, and shapes the answer for pages, the CLI and reports.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_noop as _

from corridor.errors import InvalidInput
from corridor.names import name_in
from corridor.notices import Notice
from corridor.register.models import Patient, Site
from corridor.supplies import autonomy, wording
from corridor.supplies.actions.stock import counts_and_movements
from corridor.supplies.models import Delivery, Dependence, Generator, PowerDay, SupplyItem

DEFAULT_ALERT_DAYS = 7
WINDOW_DAYS = 28


def alert_days() -> int:
    """Autonomy below this many days raises an alert (``CORRIDOR_AUTONOMY_ALERT_DAYS``)."""
    return int(getattr(settings, "AUTONOMY_ALERT_DAYS", DEFAULT_ALERT_DAYS))


def only_site() -> Site:
    """The site when there is exactly one (the usual case), else a clear error asking which."""
    sites = list(Site.objects.order_by("code")[:2])
    if len(sites) == 1:
        return sites[0]
    if not sites:
        raise InvalidInput(
            _("no site is registered yet; load a scenario or create a site first"), "site", code="site.none_yet"
        )
    raise InvalidInput(_("there is more than one site; name one"), "site", code="site.name_one")


def get_site(code: str | None) -> Site:
    if not code:
        return only_site()
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise InvalidInput(_("no site %(site)r"), "site", code="site.unknown", site=code)
    return site


# -------------------------------------------------------------------------------------------- status


@dataclass(frozen=True)
class ItemStatus:
    """Where one item stands on a day. ``level`` is "critical", "low", "ok" or "unknown" (for colours)."""

    code: str
    name: str
    category: str
    unit: str
    stock: float | None
    last_count_on: dt.date | None
    last_count: float | None
    daily_use: float | None
    daily_use_low: float | None
    daily_use_high: float | None
    use_basis: str
    days_of_autonomy: float | None
    days_low: float | None
    days_high: float | None
    run_out_date: dt.date | None
    run_out_earliest: dt.date | None
    run_out_latest: dt.date | None
    blocked_since: dt.date | None
    blockade_days: int | None
    critical_threshold: float | None
    needs_power: bool
    level: str
    alerts: tuple[Notice, ...] = ()
    notes: tuple[Notice, ...] = ()
    names: dict[str, str] = field(default_factory=dict)

    def name_in(self, language: str | None) -> str:
        """The item's name in ``language``, or its one name when none was given in it."""
        return name_in(self.name, self.names, language)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values: dates as ISO text, figures rounded for reading."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, float):
                value = round(value, 2)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        # Each alert and note as the English sentence and, for a client that words it itself, its code.
        out["alerts"] = [wording.english(n) for n in self.alerts]
        out["notes"] = [wording.english(n) for n in self.notes]
        out["alert_codes"] = [n.as_json() for n in self.alerts]
        out["note_codes"] = [n.as_json() for n in self.notes]
        return out


def _decisions(deliveries: Iterable[Delivery]) -> list[autonomy.Decision]:
    return [
        autonomy.Decision(d.decided_on or d.requested_on, d.status, d.quantity_requested, d.quantity_allowed)
        for d in deliveries
    ]


def deliveries_for(item: SupplyItem) -> list[Delivery]:
    """Deliveries of the item itself and those named only by its category (a convoy of "medicine")."""
    return list(
        Delivery.objects.filter(site_id=item.site_id)
        .filter(Q(item=item) | Q(item__isnull=True, category=item.category))
        .order_by("decided_on", "requested_on", "id")
    )


def periods_for(item: SupplyItem, until: dt.date) -> list[autonomy.Period]:
    """The item's blockade periods from the gate's decisions up to ``until``."""
    decided = [d for d in deliveries_for(item) if d.status != Delivery.Status.REQUESTED]
    return autonomy.blockade_periods(x for x in _decisions(decided) if x.on <= until)


def _level(
    stock: float | None, threshold: float | None, days: float | None, use_basis: str, alert_after: int
) -> tuple[str, list[Notice]]:
    alerts: list[Notice] = []
    if stock is not None and threshold is not None and stock < threshold:
        alerts.append(Notice.of("supply.below_threshold", threshold=threshold))
    if days is not None and days < alert_after:
        alerts.append(Notice.of("supply.few_days_left", days=alert_after))
    if alerts:
        return "critical", alerts
    if stock is None or (days is None and use_basis == "none"):
        return "unknown", alerts
    if days is not None and days < 2 * alert_after:
        return "low", alerts
    return "ok", alerts


def item_status(item: SupplyItem, today: dt.date, *, alert_after: int | None = None) -> ItemStatus:
    """The status of one item on ``today``: stock, use, autonomy, run-out, blockade and alerts."""
    alert_after = alert_days() if alert_after is None else alert_after
    counts, movements = counts_and_movements(item)
    figures = autonomy.figures(counts, movements, today=today, set_daily=item.daily_use_set, window_days=WINDOW_DAYS)
    periods = periods_for(item, today)
    since = autonomy.blocked_since(periods, today)
    auto = figures.autonomy
    days = auto.days if auto else None
    level, alerts = _level(figures.stock, item.critical_threshold, days, figures.use.basis, alert_after)
    notes = list(figures.warnings)
    if figures.stock is None:
        notes.append(Notice.of("supply.never_counted"))
    elif auto and auto.note:
        notes.append(auto.note)
    return ItemStatus(
        code=item.code,
        name=item.name,
        names=dict(item.names or {}),
        category=item.category,
        unit=item.unit,
        stock=figures.stock,
        last_count_on=figures.last_count.on if figures.last_count else None,
        last_count=figures.last_count.quantity if figures.last_count else None,
        daily_use=figures.use.daily,
        daily_use_low=figures.use.low,
        daily_use_high=figures.use.high,
        use_basis=figures.use.basis,
        days_of_autonomy=days,
        days_low=auto.days_low if auto else None,
        days_high=auto.days_high if auto else None,
        run_out_date=auto.run_out if auto else None,
        run_out_earliest=auto.run_out_earliest if auto else None,
        run_out_latest=auto.run_out_latest if auto else None,
        blocked_since=since,
        blockade_days=(today - since).days + 1 if since else None,
        critical_threshold=item.critical_threshold,
        needs_power=item.needs_power,
        level=level,
        alerts=tuple(alerts),
        notes=tuple(notes),
    )


def status(site: Site, today: dt.date, *, alert_after: int | None = None) -> list[ItemStatus]:
    """Every item of the site on ``today``, in the order of the site's stock list.

    An item that needs power (kept cold, pumped) says so when the fuel runs out before it does.
    """
    rows = [item_status(item, today, alert_after=alert_after) for item in SupplyItem.objects.filter(site=site)]
    fuel = power_item(site)
    fuel_state = next((r for r in rows if fuel is not None and r.code == fuel.code), None)
    if fuel_state is None or fuel_state.run_out_date is None:
        return rows
    out = []
    for row in rows:
        if (
            row.needs_power
            and row.code != fuel_state.code
            and (row.run_out_date is None or fuel_state.run_out_date < row.run_out_date)
        ):
            note = Notice.of("supply.fuel_runs_out_first", fuel=fuel_state.code, on=fuel_state.run_out_date)
            row = replace(row, notes=(*row.notes, note))
        out.append(row)
    return out


@dataclass(frozen=True)
class Alert:
    """An item in alert: why (its alerts), when it runs out and since when its deliveries are blocked."""

    item: str
    level: str
    name: str
    reasons: tuple[Notice, ...]
    run_out_date: dt.date | None
    blocked_since: dt.date | None

    @property
    def message(self) -> str:
        """The alert in English, for logs, the CLI and the API."""
        return wording.english_alert(self)

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "level": self.level,
            "message": self.message,
            "reasons": [r.as_json() for r in self.reasons],
            "run_out_date": self.run_out_date.isoformat() if self.run_out_date else None,
            "blocked_since": self.blocked_since.isoformat() if self.blocked_since else None,
        }


def alerts(site: Site, today: dt.date, statuses: Sequence[ItemStatus] | None = None) -> list[Alert]:
    """One line per item below its threshold or short of days, the shortest autonomy first."""
    rows = status(site, today) if statuses is None else statuses
    flagged = [s for s in rows if s.alerts]
    flagged.sort(key=lambda s: (s.days_of_autonomy if s.days_of_autonomy is not None else float("inf"), s.code))
    return [Alert(s.code, s.level, s.name, s.alerts, s.run_out_date, s.blocked_since) for s in flagged]


# ------------------------------------------------------------------------------------ patients at risk


def power_item(site: Site) -> SupplyItem | None:
    """The fuel the site's power hangs on: its generators' fuel, else its diesel item."""
    generator = Generator.objects.filter(site=site).select_related("fuel").order_by("code").first()
    if generator is not None:
        return generator.fuel
    return SupplyItem.objects.filter(site=site, category="diesel").order_by("code").first()


@dataclass(frozen=True)
class OpenDependence:
    """A dependence recorded and not ended: what the supplies page needs to offer its end."""

    pk: int
    item: str


@dataclass(frozen=True)
class PatientRisk:
    """A patient whose care hangs on supplies, and the first day one of them is projected to run out."""

    patient: str
    needs: tuple[str, ...]
    depends_on: tuple[str, ...]
    at_risk_from: dt.date | None
    first_short: str | None
    blocked_since: dt.date | None
    level: str
    explicit: bool = True
    items: tuple[str, ...] = field(default=())
    # Only those recorded with no end: one whose end is already dated cannot be ended again.
    dependences: tuple[OpenDependence, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "needs": list(self.needs),
            "depends_on": list(self.depends_on),
            "at_risk_from": self.at_risk_from.isoformat() if self.at_risk_from else None,
            "first_short": self.first_short,
            "blocked_since": self.blocked_since.isoformat() if self.blocked_since else None,
            "level": self.level,
            "explicit": self.explicit,
        }


def patients_at_risk(site: Site, today: dt.date, statuses: Sequence[ItemStatus] | None = None) -> list[PatientRisk]:
    """Living patients whose care depends on a supply, the soonest at risk first.

    A recorded dependence on an item that needs power (insulin kept cold) is also a dependence on the
    site's fuel. A patient flagged as depending on power with no dependence recorded depends on the fuel.
    Only pseudonymous codes appear.
    """
    by_code = {s.code: s for s in (status(site, today) if statuses is None else statuses)}
    fuel = power_item(site)
    living = Q(patient__site=site) & ~Q(patient__status__in=[Patient.Status.DECEASED, Patient.Status.LEFT])
    active = Dependence.objects.filter(living, since__lte=today).filter(Q(until__isnull=True) | Q(until__gt=today))
    per_patient: dict[str, tuple[set[str], set[str]]] = {}
    open_ones: dict[str, list[OpenDependence]] = {}
    for dep in active.select_related("patient", "item").order_by("patient__code", "item__code"):
        needs, items = per_patient.setdefault(dep.patient.code, (set(), set()))
        needs.add(dep.need)
        items.add(dep.item.code)
        if dep.until is None:
            open_ones.setdefault(dep.patient.code, []).append(OpenDependence(pk=dep.pk, item=dep.item.code))
        if dep.item.needs_power and fuel is not None:
            items.add(fuel.code)
    implicit: set[str] = set()
    if fuel is not None:
        flagged = Patient.objects.filter(site=site, depends_on_power=True).exclude(
            status__in=[Patient.Status.DECEASED, Patient.Status.LEFT]
        )
        for code in flagged.values_list("code", flat=True):
            if code not in per_patient:
                implicit.add(code)
                per_patient[code] = ({"power"}, {fuel.code})
            else:
                per_patient[code][1].add(fuel.code)
    risks = []
    for code, (needs, items) in per_patient.items():
        known = [by_code[i] for i in sorted(items) if i in by_code]
        dated = [s for s in known if s.run_out_date is not None]
        first = min(dated, key=lambda s: (s.run_out_date, s.code)) if dated else None
        blocked = [s.blocked_since for s in known if s.blocked_since]
        levels = {s.level for s in known}
        level = next((lv for lv in ("critical", "low", "ok", "unknown") if lv in levels), "unknown")
        risks.append(
            PatientRisk(
                patient=code,
                needs=tuple(sorted(needs)),
                depends_on=tuple(sorted(items)),
                at_risk_from=first.run_out_date if first else None,
                first_short=first.code if first else None,
                blocked_since=min(blocked) if blocked else None,
                level=level,
                explicit=code not in implicit,
                dependences=tuple(open_ones.get(code, ())),
            )
        )
    far = dt.date.max
    risks.sort(key=lambda r: (r.at_risk_from or far, r.patient))
    return risks


# --------------------------------------------------------------------------------------------- power


@dataclass(frozen=True)
class PowerStatus:
    """Generator hours a day from recent fuel use, and what the fuel left allows."""

    generator: str
    litres_per_hour: float
    hours_per_day: float | None
    outage_hours_per_day: float | None
    recorded_days: int
    # Hours run a day over the recorded days, with the fuel's estimate for a day known only by its fuel.
    recorded_hours_mean: float | None
    hours_estimated: bool  # some of those days' hours are estimates from the fuel used
    outage_days: int  # of the recorded days, those whose hours without power were recorded
    recorded_outage_mean: float | None


def power(site: Site, today: dt.date, statuses: Sequence[ItemStatus] | None = None) -> list[PowerStatus]:
    """Per generator: hours a day its fuel's measured use runs it (all of the fuel shared by the site's
    generators at their burn rates), and the mean of the hours recorded over the last four weeks."""
    by_code = {s.code: s for s in (status(site, today) if statuses is None else statuses)}
    generators = list(Generator.objects.filter(site=site).select_related("fuel"))
    out = []
    for generator in generators:
        fuel = by_code.get(generator.fuel.code)
        sharing = sum(g.litres_per_hour for g in generators if g.fuel_id == generator.fuel_id)
        share = generator.litres_per_hour / sharing
        daily = fuel.daily_use * share if fuel and fuel.daily_use is not None else None
        hours, outage = autonomy.generator_hours(daily, generator.litres_per_hour)
        recent = PowerDay.objects.select_related("generator").filter(
            generator=generator, on__gt=today - dt.timedelta(days=WINDOW_DAYS), on__lte=today
        )
        days = list(recent)
        each = [d.hours_run if d.hours_run is not None else d.estimated_hours for d in days]
        hours_known = [h for h in each if h is not None]
        outages = [d.outage_hours for d in days if d.outage_hours is not None]
        out.append(
            PowerStatus(
                generator=generator.code,
                litres_per_hour=generator.litres_per_hour,
                hours_per_day=hours,
                outage_hours_per_day=outage,
                recorded_days=len(days),
                recorded_hours_mean=sum(hours_known) / len(hours_known) if hours_known else None,
                hours_estimated=any(d.estimated_hours is not None for d in days),
                outage_days=len(outages),
                recorded_outage_mean=sum(outages) / len(outages) if outages else None,
            )
        )
    return out


# ------------------------------------------------------------------------------------- stock history


def stock_history(item: SupplyItem, start: dt.date, end: dt.date, today: dt.date) -> list[tuple[dt.date, float, bool]]:
    """Counted stock from ``start`` to ``today`` and the projection from the last count to ``end``."""
    counts, movements = counts_and_movements(item)
    figures = autonomy.figures(counts, movements, today=today, set_daily=item.daily_use_set, window_days=WINDOW_DAYS)
    past = [c for c in counts if c.on <= today]
    return autonomy.series(
        past, [m for m in movements if m.on <= today], start=start, end=end, daily_use=figures.use.daily
    )


# ---------------------------------------------------------------------------------------- indicators


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class MonthFigures:
    """One item's blockade figures for a month (up to ``until`` when the month is not over)."""

    item: str
    unit: str
    days_of_autonomy: float | None
    blockade_days: int
    deliveries_decided: int
    share_allowed: float | None
    quantity_requested: float
    quantity_allowed: float


def month_figures(site: Site, year: int, month: int, today: dt.date) -> list[MonthFigures]:
    """Per item: days of autonomy at the month's end (or today), blockade days in the month, and the share
    of the deliveries requested that month that the gate let through."""
    first, last = month_bounds(year, month)
    until = min(last, today)
    out: list[MonthFigures] = []
    if until < first:
        return out
    for item in SupplyItem.objects.filter(site=site):
        state = item_status(item, until)
        periods = periods_for(item, until)
        requested = [d for d in deliveries_for(item) if first <= d.requested_on <= until]
        decided = [d for d in requested if d.status != Delivery.Status.REQUESTED]
        share, n = autonomy.share_allowed(_decisions(decided))
        own = [d for d in requested if d.item_id == item.pk]
        out.append(
            MonthFigures(
                item=item.code,
                unit=item.unit,
                days_of_autonomy=state.days_of_autonomy,
                blockade_days=autonomy.blockade_days(periods, first, until),
                deliveries_decided=n,
                share_allowed=share,
                quantity_requested=sum(d.quantity_requested or 0.0 for d in own),
                quantity_allowed=sum(d.quantity_allowed or 0.0 for d in own),
            )
        )
    return out
