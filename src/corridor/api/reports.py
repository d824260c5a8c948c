"""Indicators and exports (corridor.reports), and the blockade's supplies (corridor.supplies)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field, StringConstraints

from corridor import clock
from corridor.accounts.roles import Can
from corridor.errors import NotAllowed
from corridor.register.scoping import require_site, site_ids

from .core import acting, allowed, reader, recorded, requires, responses
from .register import _my_site
from .schemas import LINE, PARAGRAPH, Code, Date, EntryRef, Evidence, Quantity

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
    return [
        {
            "code": i.code,
            "section": i.section,
            "title": i.title,
            "definition": i.definition,
            "formula": i.formula,
            "unit": i.unit,
            "breakdowns": list(i.breakdowns),
            "source": i.source,
        }
        for i in catalogue.indicators()
    ]


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
