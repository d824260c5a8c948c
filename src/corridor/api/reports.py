"""Indicators and exports (corridor.reports), and the blockade's supplies (corridor.supplies): their status,
deliveries blocked at the gate, patients' dependences on a supply, and generators' power days."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field, StringConstraints

from corridor import clock, sensitivity
from corridor.accounts.roles import Can
from corridor.errors import NotAllowed, NotFound
from corridor.register.scoping import require_site, site_ids, visible
from corridor.supplies import actions as supplies
from corridor.supplies.models import Dependence, Generator, PowerDay

from .core import Page, acting, allowed, page_of, reader, recorded, requires, responses, user_of
from .register import _my_site, _patient
from .schemas import (
    LINE,
    PARAGRAPH,
    Code,
    Date,
    DependenceEndIn,
    DependenceIn,
    DependenceOut,
    EntryRef,
    Evidence,
    Id,
    PageMeta,
    PowerDayIn,
    PowerDayOut,
    Quantity,
)

router = Router()

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]


# ----------------------------------------------------------------------------------------- indicators


class IndicatorDefinition(Schema):
    code: str
    section: str
    title: str
    definition: str
    formula: str
    unit: str
    breakdowns: list[str]
    source: str


class IndicatorValue(Schema):
    code: str
    section: str
    title: str
    unit: str
    value: float | int | None = Field(description="null when suppressed (a small count) or not computable")


class IndicatorsOut(Schema):
    month: str
    as_of: str
    audience: str
    values: list[IndicatorValue]


class IndicatorQuery(Schema):
    month: Month
    audience: Literal["public", "partners"] = "public"


@router.get("/indicators/catalogue", response=responses(list[IndicatorDefinition]), tags=["indicators and exports"])
def indicator_catalogue(request: HttpRequest) -> list[dict[str, Any]]:
    """Every indicator with its definition, formula, unit and breakdowns (as in docs/indicators.md)."""
    from corridor.reports import catalogue

    reader(request)
    return [{**dataclasses.asdict(i), "breakdowns": list(i.breakdowns)} for i in catalogue.indicators()]


@router.get("/indicators", response=responses(IndicatorsOut), tags=["indicators and exports"])
def indicator_values(request: HttpRequest, query: Query[IndicatorQuery]) -> dict[str, Any]:
    """Every indicator's value for a month (``YYYY-MM``). The public edition blanks small counts and
    whatever would reveal them; the partners' edition needs a role that may export."""
    from corridor.reports import catalogue
    from corridor.reports.services import parse_month

    user = acting(request, Can.READ_LEDGER)
    if query.audience == "partners" and not allowed(request, Can.EXPORT):
        raise NotAllowed(
            _("your role may not see the partners' figures (unsuppressed small counts)"),
            code="report.partners_not_allowed",
        )
    period = parse_month(query.month)
    computed = catalogue.compute_all(period, sites=site_ids(user))  # the caller's sites' records only
    raw = computed.values()
    shown = catalogue.public_values(raw) if query.audience == "public" else {c: v.value for c, v in raw.items()}
    by_code = {i.code: i for i in catalogue.indicators()}
    return {
        "month": period.label,
        "as_of": period.as_of.isoformat(),
        "audience": query.audience,
        "values": [
            {
                "code": code,
                "section": by_code[code].section,
                "title": by_code[code].title,
                "unit": by_code[code].unit,
                "value": value,
            }
            for code, value in shown.items()
            if code in by_code
        ],
    }


class ExportIn(Schema):
    dataset: Literal["referrals", "trips", "incidents", "indicators"]
    format: Literal["csv", "json", "hxl"] = "csv"
    month: Month | None = Field(None, description="limit to one month; required for indicators")
    audience: Literal["public", "partners"] = "public"


class ExportOut(Schema):
    filename: str
    media_type: str
    sha256: str
    content: str = Field(description="the file itself (CSV, JSON or HXL text)")
    entry: EntryRef


@router.post("/exports", response=responses(ExportOut, 201), tags=["indicators and exports"], auth=requires(Can.EXPORT))
def make_export(request: HttpRequest, data: ExportIn) -> Status[dict[str, Any]]:
    """A pseudonymised export (no identity field, ever), recorded as ``export.created`` with its SHA-256."""
    from corridor.reports import services

    user = acting(request, Can.EXPORT)
    produced, entry = recorded(
        lambda: services.export(
            dataset=data.dataset, fmt=data.format, month=data.month, audience=data.audience, by=user
        )
    )
    return Status(
        201,
        {
            "filename": produced.filename,
            "media_type": produced.media_type,
            "sha256": produced.sha256,
            "content": produced.content.decode("utf-8"),
            "entry": entry,
        },
    )


# ------------------------------------------------------------------------------------------- supplies


class SupplyAlert(Schema):
    item: str
    level: str
    message: str = Field(description="the alert in English; `reasons` has the same as codes and values")
    reasons: list[dict[str, Any]] = Field(description="why, each as a code and its values, to word in any language")
    run_out_date: str | None
    blocked_since: str | None


class SuppliesOut(Schema):
    site: str
    today: str
    items: list[dict[str, Any]] = Field(description="per item: stock, daily use, days of autonomy with a range…")
    alerts: list[SupplyAlert]


@router.get("/supplies", response=responses(SuppliesOut), tags=["indicators and exports"])
def supplies_status(request: HttpRequest, site: Code | None = None) -> dict[str, Any]:
    """Where each supply stands today: stock, use, days of autonomy and run-out date, alerts."""
    from corridor.supplies import queries

    user = reader(request)
    where = queries.get_site(site)
    require_site(user, where)
    today = clock.today()
    rows = queries.status(where, today)
    alerts = queries.alerts(where, today, rows)
    return {
        "site": where.code,
        "today": today.isoformat(),
        "items": [row.as_json() for row in rows],
        "alerts": [a.as_json() for a in alerts],
    }


class BlockedIn(Evidence):
    site: Code
    item: Code = Field(description="one of the site's items, or a category (diesel, food, medicine…)")
    on: Date
    quantity: Quantity | None = None
    unit: Annotated[str, StringConstraints(pattern=LINE, max_length=50)] = ""
    reason: Annotated[str, StringConstraints(pattern=PARAGRAPH, max_length=2000)] = ""


@router.post(
    "/supplies/blocked",
    response=responses(EntryRef, 201),
    tags=["indicators and exports"],
    auth=requires(Can.RECORD_INCIDENTS),
)
def blocked_delivery(request: HttpRequest, data: BlockedIn) -> Status[EntryRef]:
    """A delivery stopped at the gate: what, how much, and the reason given (if any)."""
    from corridor.supplies.actions.deliveries import record_blocked_delivery

    user = acting(request, Can.RECORD_INCIDENTS)
    where = _my_site(request, data.site)
    _result, entry = recorded(
        lambda: record_blocked_delivery(
            site=where,
            item=data.item,
            on=data.on,
            quantity=data.quantity,
            unit=data.unit,
            reason=data.reason,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, entry)


# --------------------------------------------------------------------------------- dependences and power

# The service lets a role that manages patients or referrals record a dependence; a route's guard names one
# capability, and every role that manages patients manages referrals too (a test holds it), so this one.
DEPENDENCES = Can.MANAGE_REFERRALS


class DependencePage(PageMeta):
    items: list[DependenceOut]


class DependenceWritten(DependenceOut):
    entry: EntryRef


class DependenceFilter(Schema):
    site: Code | None = Field(None, description="one of the caller's sites (default: all of them)")
    patient: Code | None = None


class PowerDayWritten(PowerDayOut):
    entry: EntryRef


def dependence_out(dependence: Dependence, user: Any) -> dict[str, Any]:
    """The dependence as ``user`` may see it: its need and quantity by their class in corridor.sensitivity
    (pseudonymous today, shown to every role as on the supplies page; withheld should that change)."""
    quantity = sensitivity.field_class("supplies.Dependence", "daily_quantity")
    return {
        "id": dependence.pk,
        "patient": dependence.patient.code,
        "site": dependence.patient.site.code,
        "item": dependence.item.code,
        "need": sensitivity.field_text(dependence, "need", user),
        "daily_quantity": dependence.daily_quantity if sensitivity.visible(quantity, user) else None,
        "since": dependence.since,
        "until": dependence.until,
        "needs_power": dependence.item.needs_power,
        "recorded_seq": dependence.recorded_seq,
    }


def power_day_out(day: PowerDay) -> dict[str, Any]:
    return {
        "site": day.generator.site.code,
        "generator": day.generator.code,
        "on": day.on,
        "hours_run": day.hours_run,
        "fuel_used": day.fuel_used,
        "outage_hours": day.outage_hours,
        "note": day.note,
        "source": day.source,
        "certainty": day.certainty,
        "recorded_seq": day.recorded_seq,
    }


def _dependences(request: HttpRequest) -> QuerySet[Dependence]:
    return visible(Dependence.objects.select_related("patient__site", "item"), user_of(request))


def _dependence(request: HttpRequest, dependence_id: int) -> Dependence:
    """A dependence of the caller's sites; another site's is not found, as one that does not exist."""
    found: Dependence | None = _dependences(request).filter(pk=dependence_id).first()
    if found is None:
        raise NotFound(_("no dependence %(dependence)s"), code="dependence.not_found", dependence=dependence_id)
    return found


def _generator(request: HttpRequest, site: str, code: str) -> Generator:
    where = _my_site(request, site)
    found = Generator.objects.select_related("site").filter(site=where, code=code).first()
    if found is None:
        raise NotFound(_("no generator with code %(generator)r"), code="generator.not_found", generator=code)
    return found


@router.get("/supplies/dependences", response=responses(DependencePage), tags=["incidents and supplies"])
def list_dependences(request: HttpRequest, page: Query[Page], filters: Query[DependenceFilter]) -> dict[str, Any]:
    """The dependences not yet ended at the caller's sites, by patient code: who needs which supply, for what."""
    user = reader(request)
    dependences = _dependences(request).filter(until__isnull=True).order_by("patient__code", "item__code", "pk")
    if filters.site:
        dependences = dependences.filter(patient__site=_my_site(request, filters.site))
    if filters.patient:
        dependences = dependences.filter(patient__code=filters.patient)
    return page_of(dependences, page, lambda d: dependence_out(d, user))


@router.post(
    "/supplies/dependences",
    response=responses(DependenceWritten, 201),
    tags=["incidents and supplies"],
    auth=requires(DEPENDENCES),
)
def record_dependence(request: HttpRequest, data: DependenceIn) -> Status[dict[str, Any]]:
    """A patient's care depends on a supply of their site (dialysis, oxygen, insulin kept cold…); its ``id``
    ends it later."""
    user = acting(request, DEPENDENCES)
    patient = _patient(request, data.patient)
    item = supplies.get_item(patient.site, data.item)
    dependence, entry = recorded(
        lambda: supplies.record_dependence(
            patient=patient,
            item=item,
            need=data.need,
            since=data.since,
            daily_quantity=data.daily_quantity,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, {**dependence_out(dependence, user), "entry": entry})


@router.post(
    "/supplies/dependences/{dependence_id}/end",
    response=responses(DependenceWritten),
    tags=["incidents and supplies"],
    auth=requires(DEPENDENCES),
)
def end_dependence(request: HttpRequest, dependence_id: Id, data: DependenceEndIn) -> dict[str, Any]:
    """The patient no longer depends on the supply (treated, another supply, died, left), from ``on``."""
    user = acting(request, DEPENDENCES)
    dependence = _dependence(request, dependence_id)
    ended, entry = recorded(
        lambda: supplies.end_dependence(
            dependence, on=data.on, reason=data.reason, by=user, source=data.source, certainty=data.certainty
        )
    )
    return {**dependence_out(ended, user), "entry": entry}


@router.post(
    "/supplies/power",
    response=responses(PowerDayWritten, 201),
    tags=["incidents and supplies"],
    auth=requires(Can.MANAGE_TRIPS),
)
def record_power_day(request: HttpRequest, data: PowerDayIn) -> Status[dict[str, Any]]:
    """A generator's hours run, fuel used and hours without power on a day, each only if given (one at
    least): a figure left out is stored as unknown, never worked out from the others."""
    user = acting(request, Can.MANAGE_TRIPS)
    generator = _generator(request, data.site, data.generator)
    day, entry = recorded(
        lambda: supplies.record_power_day(
            generator=generator,
            on=data.on,
            hours_run=data.hours_run,
            fuel_used=data.fuel_used,
            outage_hours=data.outage_hours,
            note=data.note,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, {**power_day_out(day), "entry": entry})
