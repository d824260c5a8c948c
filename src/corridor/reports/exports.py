"""Pseudonymised exports of referrals, trips, incidents and indicator tables, as CSV, JSON or HXL.

No identity field (full name, contact, notes) is ever read here: patients appear under their
pseudonymous code, birth years become WHO age groups, and free text written by people passes
through the identity redactor. Indicator tables for the public have their small cells suppressed.
See docs/exports.md for every column and its HXL hashtag.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Min, Q, Subquery

from corridor.register.models import Referral, Site
from corridor.register.scoping import for_sites
from corridor.reports import catalogue, core, privacy, queries, ssa
from corridor.transfers.models import Trip, TripPassenger

FORMATS = ("csv", "json", "hxl")
DATASETS = ("referrals", "trips", "incidents", "indicators")
AUDIENCES = ("public", "partners")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "hxl": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True)
class Col:
    name: str
    hxl: str
    description: str = ""


@dataclass
class Dataset:
    """A table ready to write: its columns (with HXL hashtags) and rows, plus what it covers."""

    name: str
    columns: list[Col]
    rows: list[list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


# ------------------------------------------------------------------------------------------ referrals

REFERRAL_COLUMNS = [
    Col("referral", "#meta+referral+id", "Corridor's number for the referral"),
    Col("patient", "#meta+patient+code", "the patient's pseudonymous code"),
    Col("sex", "#meta+sex", "f, m or u (not recorded)"),
    Col("age_group", "#meta+age_group", "<18, 18-40, 41-60, >60 or unknown, in the referral's year"),
    Col("specialty", "#meta+specialty", "the specialty referred to"),
    Col("diagnosis_icd10", "#meta+diagnosis+code", "ICD-10 code, when recorded"),
    Col("diagnosis_group", "#meta+diagnosis+group", "the ICD-10 chapter, or 'not coded'"),
    Col("priority", "#severity+priority+code", "the priority class (P1 … P4)"),
    Col("referral_date", "#date+referral", "when the patient was referred"),
    Col("due_date", "#date+due", "the clinical deadline"),
    Col("status", "#status+referral", "waiting, in_care, treated (care complete), died, left or withdrawn"),
    Col("closed_on", "#date+closed", "when the referral's episode of care ended"),
    Col(
        "days_waited",
        "#meta+days_waited+num",
        "days from referral to the first visit, else to closing, else to the export's as-of date",
    ),
    Col("facilities", "#loc+hospital+code", "the hospitals eligible, space-separated codes"),
    Col("site", "#loc+camp+code", "the camp's code"),
    Col("synthetic", "#meta+synthetic", "true for made-up demo or test records"),
]


def referrals(period: core.Period | None, today: dt.date, sites: Iterable[int] | None = None) -> Dataset:
    """Every referral of ``sites`` (ids; None: every site), or those on the waiting list at some time in
    ``period``, one row each."""
    rows_qs = (
        for_sites(Referral.objects.all(), sites)
        .defer("diagnosis")  # sealed under each patient's key, and not a column of this export: not opened
        .select_related("patient__site", "priority")
        .prefetch_related("eligible_facilities")
    )
    as_of = today
    if period is not None:
        as_of = period.as_of
        rows_qs = rows_qs.filter(referral_date__lte=period.as_of).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gte=period.start)
        )
    rows = []
    seen_by_then = Q(
        trips__outcome__in=queries.SEEN, trips__removed=False, trips__role=queries.PATIENT, trips__trip__date__lte=as_of
    )
    rows_qs = rows_qs.annotate(first_visit=Min("trips__trip__date", filter=seen_by_then))
    for r in rows_qs.order_by("referral_date", "id"):
        end = r.closed_on if r.closed_on and r.closed_on <= as_of else as_of
        end = min(end, r.first_visit or end)  # first_visit: from annotate() above
        rows.append(
            [
                r.pk,
                r.patient.code,
                r.patient.sex,
                core.age_group(r.patient.birth_year, r.referral_date.year),
                r.specialty,
                r.diagnosis_icd10,
                core.diagnosis_group(r.diagnosis_icd10),
                r.priority.code,
                r.referral_date,
                r.due_date,
                r.status,
                r.closed_on,
                max(0, (end - r.referral_date).days),
                " ".join(sorted(f.code for f in r.eligible_facilities.all())),
                r.patient.site.code,
                r.synthetic,
            ]
        )
    return Dataset("referrals", list(REFERRAL_COLUMNS), rows, {"as_of": as_of.isoformat()})


# ---------------------------------------------------------------------------------------------- trips

TRIP_COLUMNS = [
    Col("trip", "#meta+trip+id", "Corridor's number for the trip (T-n)"),
    Col("date", "#date+trip", "the trip date"),
    Col("facility", "#loc+hospital+code", "the destination hospital"),
    Col("status", "#status+trip", "requested, approved, denied, cancelled, departed or returned"),
    Col("answer", "#status+answer", "the authority's first definitive answer: approved, denied or empty"),
    Col("answered_on", "#date+answer", "the date (UTC) of that answer"),
    Col("request_outcome", "#status+request", "approved, denied or delayed as the WHO counts requests; not_due"),
    Col("cancelled_by", "#meta+cancelled_by", "authority, camp, hospital or other"),
    Col("reason", "#description+reason", "the reason given, if any (identities withheld)"),
    Col("gate_arrived_at", "#date+gate+arrived", "reached the gate (UTC)"),
    Col("gate_released_at", "#date+gate+released", "let through (UTC)"),
    Col("hours_held", "#indicator+hours_held+num", "hours between the two"),
    Col("hospital_arrived_at", "#date+hospital+arrived", "reached the hospital (UTC)"),
    Col("facility_closes_at", "#date+hospital+closes", "when the hospital closed that day (UTC)"),
    Col("arrived_late", "#meta+late", "true when it arrived after closing"),
    Col("turned_back", "#meta+turned_back", "true when the gate sent it back"),
    Col("patients", "#affected+patients+num", "patients on the manifest"),
    Col("escorts", "#affected+escorts+num", "escorts on the manifest"),
    Col("seen", "#affected+seen+num", "patients seen by a doctor"),
    Col("not_seen", "#affected+not_seen+num", "patients not seen (no doctor, refused, turned back)"),
    Col("patient_codes", "#meta+patient+code", "the patients' pseudonymous codes, space-separated"),
    Col("synthetic", "#meta+synthetic", "true for made-up demo or test records"),
]


def trips(period: core.Period | None, today: dt.date, sites: Iterable[int] | None = None) -> Dataset:
    """Every trip of ``sites`` (or the month's), one row each, with the WHO's request outcome and the gate
    timeline."""
    on_board = Q(passengers__removed=False)
    qs = (
        for_sites(Trip.objects.all(), sites)
        .select_related("facility")
        .annotate(
            said=Subquery(queries.answer_subquery("id"), output_field=CharField()),
            n_patients=Count("passengers", filter=on_board & Q(passengers__role=TripPassenger.Role.PATIENT)),
            n_escorts=Count("passengers", filter=on_board & Q(passengers__role=TripPassenger.Role.ESCORT)),
            n_seen=Count("passengers", filter=on_board & Q(passengers__outcome__in=queries.SEEN)),
            n_not_seen=Count("passengers", filter=on_board & Q(passengers__outcome__in=queries.NOT_SEEN)),
        )
    )
    as_of = today
    if period is not None:
        as_of = period.as_of
        qs = qs.filter(date__gte=period.start, date__lte=period.end)
    codes: dict[int, list[str]] = {}
    places = TripPassenger.objects.filter(role=TripPassenger.Role.PATIENT, removed=False, trip__in=qs.values("id"))
    for trip_id, code in places.values_list("trip_id", "patient__code").order_by("patient__code"):
        codes.setdefault(trip_id, []).append(code)
    redact = privacy.redactor()
    rows = []
    for t in qs.order_by("date", "id"):
        answered_on = dt.date.fromisoformat(t.said[:10]) if t.said else None
        answer = t.said[11:].removeprefix("trip.") if t.said else ""
        rows.append(
            [
                t.code,
                t.date,
                t.facility.code,
                t.status,
                answer,
                answered_on,
                core.classify_request(answer or None, answered_on, t.date, as_of),
                t.cancelled_by,
                redact(t.status_reason),
                t.gate_arrived_at,
                t.gate_released_at,
                t.hours_held,
                t.hospital_arrived_at,
                t.facility_closes_at,
                t.arrived_late,
                t.turned_back_at_gate,
                t.n_patients,
                t.n_escorts,
                t.n_seen,
                t.n_not_seen,
                " ".join(codes.get(t.pk, [])),
                t.synthetic,
            ]
        )
    return Dataset("trips", list(TRIP_COLUMNS), rows, {"as_of": as_of.isoformat()})


# ------------------------------------------------------------------------------------------ incidents

# The public fields of the WHO SSA dataset, named as the SSA names them, then Corridor's own.
INCIDENT_COLUMNS = [
    Col("Country / Territory", "#country+code", "the site's ISO 3166-1 alpha-2 code"),
    Col("Date", "#date+occurred", "the date of the incident"),
    Col("Attack Type", "#event+type", "the SSA's type of attack"),
    Col("Health Care Resource", "#event+resource", "the SSA's resource affected"),
    Col("Facility Type", "#loc+type", "as recorded, when recorded"),
    Col("Total Death", "#affected+killed+num", "as recorded; empty when the entry does not say"),
    Col("Total Injured", "#affected+injured+num", "as recorded; empty when the entry does not say"),
    Col("Certainty Level", "#meta+certainty", "Confirmed, Probable, Possible, or Unverified (below the SSA scale)"),
    Col("Supply", "#item+name", "for a blocked delivery: diesel, food, medicine …"),
    Col("Source Type", "#meta+source", "how it is known: witness, document, media …"),
    Col("Ledger Entry", "#meta+ledger+id", "the ledger entry's number, to trace it and its corrections"),
    Col("Obstruction", "#event+category", "Corridor's kind: permit_denied, held_at_gate … (indicators.md)"),
]


def incidents(period: core.Period | None, today: dt.date, sites: Iterable[int] | None = None) -> Dataset:
    """Obstruction incidents in the SSA's public columns, after corrections, retracted ones left out.

    Install-wide whatever ``sites`` says: these are the public columns published as they are (docs/roles.md)."""
    site = Site.objects.order_by("id").first()
    country = site.country if site else ""
    span = period or core.Period(dt.date(1900, 1, 1), today, today)
    rows = []
    for incident in queries.obstruction_incidents(span):
        rows.append(
            [
                country,
                incident.date,
                ssa.attack_label(incident.attack_type),
                ssa.resource_label(incident.resource),
                str(incident.facts.get("facility_type") or ""),
                incident.deaths,
                incident.injured,
                ssa.certainty_label(incident.certainty),
                incident.item,
                incident.source,
                incident.seq,
                incident.kind,
            ]
        )
    return Dataset("incidents", list(INCIDENT_COLUMNS), rows, {"as_of": span.as_of.isoformat()})


# ----------------------------------------------------------------------------------------- indicators

INDICATOR_COLUMNS = [
    Col("period", "#date+period", "the month, YYYY-MM"),
    Col("as_of", "#date+as_of", "the last day counted"),
    Col("indicator", "#indicator+code", "the indicator's code in docs/indicators.md"),
    Col("name", "#indicator+name", "the indicator's title"),
    Col("breakdown", "#indicator+breakdown", "the breakdown table's code; empty for the headline value"),
    Col("category", "#indicator+category", "the category of the breakdown, or 'all'"),
    Col("measure", "#indicator+measure", "what the value counts or measures"),
    Col("value", "#indicator+value+num", "the value; empty when suppressed or undefined"),
    Col("unit", "#indicator+unit", "requests, %, days …"),
    Col("suppressed", "#meta+suppressed", "true when the value is blanked to protect small numbers"),
]

_UNIT_OF_KIND = {"count": "", "rate": "%", "days": "days", "hours": "hours"}


def indicators(period: core.Period, audience: str, found: catalogue.IndicatorSet | None = None) -> Dataset:
    """Every indicator's headline value and every breakdown cell, one row each (long format).

    ``found`` is the period's indicator set when the caller has computed it already.
    """
    if found is None:
        found = catalogue.compute_all(period)
    public = audience == "public"
    rows: list[list[Any]] = []
    common = [period.label, period.as_of]
    values = found.values()
    blanked = catalogue.public_values(values) if public else {code: v.value for code, v in values.items()}
    for code, value in values.items():
        entry = catalogue.indicator(code)
        shown = blanked[code]
        rows.append(
            [*common, code, entry.title, "", "all", code, shown, entry.unit, shown is None and value.value is not None]
        )
    for table in found.tables():
        shown_table = core.suppress(table) if public else table
        labels = [i for i, c in enumerate(table.columns) if c.kind == "label"]
        for original, row in zip(table.rows, shown_table.rows, strict=True):
            category = " / ".join(str(row[i]) if row[i] not in (None, "") else "-" for i in labels)
            for j, column in enumerate(table.columns):
                if column.kind == "label":
                    continue
                unit = _UNIT_OF_KIND.get(column.kind, "") or catalogue.indicator(table.indicator).unit
                rows.append(
                    [
                        *common,
                        table.indicator,
                        catalogue.indicator(table.indicator).title,
                        table.code,
                        category,
                        column.code,
                        row[j],
                        unit if column.kind != "count" else "count",
                        row[j] is None and original[j] is not None,
                    ]
                )
    return Dataset(
        "indicators", list(INDICATOR_COLUMNS), rows, {"as_of": period.as_of.isoformat(), "audience": audience}
    )


BUILDERS: dict[str, Callable[..., Dataset]] = {"referrals": referrals, "trips": trips, "incidents": incidents}


# -------------------------------------------------------------------------------------------- writers


def _csv(columns: Sequence[Col], rows: Sequence[Sequence[Any]], tags: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    if tags:
        writer.writerow([c.hxl for c in columns])
    for row in rows:
        writer.writerow(
            ["" if v is None else ("true" if v is True else "false" if v is False else _cell(v)) for v in row]
        )
    return buffer.getvalue().encode("utf-8")


def to_csv(dataset: Dataset) -> bytes:
    return _csv(dataset.columns, dataset.rows, tags=False)


def to_hxl(dataset: Dataset) -> bytes:
    """HXL-tagged CSV: a hashtag row under the header, read back and written out by libhxl."""
    import hxl

    tagged = _csv(dataset.columns, dataset.rows, tags=True).decode("utf-8")
    source = list(csv.reader(io.StringIO(tagged)))
    data = hxl.data(source)
    return "".join(data.gen_csv(show_headers=True, show_tags=True)).encode("utf-8")


def to_json(dataset: Dataset, head: tuple[int, str]) -> bytes:
    document = {
        "dataset": dataset.name,
        **dataset.meta,
        "ledger_head": {"seq": head[0], "hash": head[1]},
        "columns": [{"name": c.name, "hxl": c.hxl, "description": c.description} for c in dataset.columns],
        "rows": [{c.name: _cell(v) for c, v in zip(dataset.columns, row, strict=True)} for row in dataset.rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write(dataset: Dataset, fmt: str, head: tuple[int, str]) -> bytes:
    if fmt == "csv":
        return to_csv(dataset)
    if fmt == "hxl":
        return to_hxl(dataset)
    if fmt == "json":
        return to_json(dataset, head)
    raise ValueError(fmt)
