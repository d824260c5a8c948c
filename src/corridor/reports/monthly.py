"""The monthly report: indicators, charts and incidents for one month, as HTML and as PDF.

The same Django template gives the page shown in the workspace and the document handed to agencies;
WeasyPrint lays it out as PDF with the system's Noto fonts, which shape Persian and Arabic text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import ngettext, pgettext_lazy

from corridor.register.models import Facility, PriorityClass, Site
from corridor.reports import catalogue, charts, core, obstruction, privacy, strings
from corridor.reports.catalogue import IndicatorSet
from corridor.reports.core import Table
from corridor.supplies import wording as supply_words

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

CSS_PATH = Path(__file__).with_name("static") / "reports" / "report.css"

# The label kind of a table's category column, by the table's code.
_CATEGORY_KINDS = {
    "requests.by_age_group": "age_group",
    "requests.by_sex": "sex",
    "requests.by_specialty": "specialty",
    "trips.by_status": "status",
    "trips.cancelled_by": "cancelled_by",
    "trips.outcomes": "outcome",
    "deaths.by_diagnosis_group": "diagnosis_group",
}
# An indicator's unit as a word beside its value (in the context "unit", as a table's unit column says it).
_UNITS: dict[str, Promise] = {
    "requests": pgettext_lazy("unit", "requests"),
    "escorts": pgettext_lazy("unit", "escorts"),
    "companions": pgettext_lazy("unit", "companions"),
    "referrals": pgettext_lazy("unit", "referrals"),
    "days": pgettext_lazy("unit", "days"),
    "hours": pgettext_lazy("unit", "hours"),
    "trips": pgettext_lazy("unit", "trips"),
    "patients": pgettext_lazy("unit", "patients"),
    "incidents": pgettext_lazy("unit", "incidents"),
    "cancellations": pgettext_lazy("unit", "cancellations"),
    "cancellations per patient": pgettext_lazy("unit", "cancellations per patient"),
}
# The standard priority classes' names (a camp may name its own, which stay as written).
_PRIORITY_NAMES: dict[str, Promise] = {
    "emergency": pgettext_lazy("priority class", "emergency"),
    "urgent": pgettext_lazy("priority class", "urgent"),
    "soon": pgettext_lazy("priority class", "soon"),
    "routine": pgettext_lazy("priority class", "routine"),
}
KEY_FIGURES = (
    "requests.total",
    "requests.approval_rate",
    "requests.denial_rate",
    "requests.delay_rate",
    "care.days_median",
    "care.seen_within_90_days",
    "backlog.waiting",
    "backlog.past_deadline",
    "trips.cancelled",
    "trips.hours_held_max",
    "deaths.while_waiting",
    "incidents.total",
)


@dataclass(frozen=True)
class ReportOptions:
    language: str = "en"
    public: bool = False
    inline_css: bool = True
    css_href: str = ""


def unit(code: str, language: str) -> str:
    if code == "%":  # the value already carries its percent sign
        return ""
    words = _UNITS.get(code)
    return code if words is None else strings.translate(words, language)


def _decimals(unit_code: str, value: Any) -> int:
    if unit_code in ("%", "hours", "cancellations per patient"):
        return 1
    if isinstance(value, float) and not value.is_integer():
        return 1
    return 0


def format_value(value: Any, unit_code: str, language: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return strings.number(value, language, _decimals(unit_code, value), percent=unit_code == "%")


def _cell(column: core.Column, value: Any, table: Table, language: str) -> dict[str, Any]:
    """One table cell as text, whether it is a number (aligned to the end), and whether it is a code."""
    if column.kind == "label":
        if isinstance(value, int):  # days since referral, in the Kaplan–Meier table
            return {"text": strings.number(value, language), "n": True}
        if value in (None, ""):
            return {"text": "—", "n": False}
        if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            return {"text": strings.date(day, language), "n": False}
        if column.code == "unit":
            with translation.override(language):
                return {"text": supply_words.unit(str(value)), "n": False}
        kind = column.code if column.code != "category" else _CATEGORY_KINDS.get(table.code, "")
        text = strings.label(kind, value, language)
        # A code with no words (P1, H-02) is isolated so that it reads left to right in any language.
        return {"text": text, "n": False, "code": text == str(value)}
    if value is None:
        return {"text": "—", "n": True}
    if column.kind == "count":
        return {"text": strings.number(value, language), "n": True}
    if column.kind == "rate":
        return {"text": strings.number(value, language, 1, percent=True), "n": True}
    decimals = 1 if column.kind == "hours" else _decimals("", value)
    return {"text": strings.number(value, language, decimals), "n": True}


def _table(table: Table, language: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    what = table.code.split(".", 1)[-1].removeprefix("by_")
    if names and table.columns and table.columns[0].kind == "label" and "facility" in table.code:
        # A hospital by its name, not its code.
        table = replace(table, rows=[[names.get(str(r[0]), r[0]), *r[1:]] for r in table.rows])
    if table.code == "supplies.by_item":  # a supply by its name in the language, not its code ("CAMP-1 diesel")
        supplies = supply_names(language)
        table = replace(table, rows=[[supplies.get(str(r[0]), r[0]), *r[1:]] for r in table.rows])
    return {
        "code": table.code,
        "title": strings.tr("report.breakdown", language, what=strings.tr(f"by.{what}", language)),
        "headers": [
            {"text": strings.tr(f"col.{c.code}", language), "n": c.kind not in ("label",)} for c in table.columns
        ],
        "rows": [[_cell(c, row[i], table, language) for i, c in enumerate(table.columns)] for row in table.rows],
    }


def _public(indicators: IndicatorSet) -> tuple[dict[str, Any], list[Table]]:
    return catalogue.public_values(indicators.values()), [core.suppress(t) for t in indicators.tables()]


def cited_entries(indicators: IndicatorSet) -> list[int]:
    """The ledger entries the report cites: its incidents, denials and cancellations, with their corrections."""
    details = indicators.details("incidents")
    incidents: list[obstruction.Incident] = details.get("incidents", [])
    refusals: list[obstruction.Refusal] = details.get("refusals", [])
    return sorted({seq for i in incidents for seq in i.entries} | {seq for r in refusals for seq in r.entries})


def context(
    indicators: IndicatorSet,
    options: ReportOptions,
    head: tuple[int, str],
    now: dt.datetime,
    evidence: dict[str, Any] | None = None,
    narrative: obstruction.Record | None = None,
) -> dict[str, Any]:
    """Everything the template shows, already in the report's language."""
    language = options.language
    period = indicators.period
    if options.public:
        values, tables = _public(indicators)
    else:
        values = {code: v.value for code, v in indicators.values().items()}
        tables = indicators.tables()
    tables_by_indicator: dict[str, list[Table]] = {}
    for table in tables:
        tables_by_indicator.setdefault(catalogue.indicator(table.indicator).section, []).append(table)

    raw = indicators.values()

    def shown(code: str) -> str:
        value = values.get(code)
        basis = raw[code].basis if code in raw else None
        if (
            value is None
            and code == "care.km_median_days"
            and basis
            and (basis >= core.SUPPRESSION_THRESHOLD or not options.public)
        ):
            return strings.tr("report.not_reached", language)  # the curve exists but has not reached half
        return format_value(value, catalogue.indicator(code).unit, language)

    names = place_names(language)
    sections = []
    for section in catalogue.sections():
        members = [i for i in catalogue.indicators() if i.section == section.code]
        if not members:
            continue
        sections.append(
            {
                "code": section.code,
                "title": strings.title(section, language),
                "indicators": [
                    {
                        "code": i.code,
                        "title": strings.title(i, language),
                        "definition": strings.definition(i, language),
                        "value": shown(i.code),
                        "unit": unit(i.unit, language),
                    }
                    for i in members
                ],
                "tables": [_table(t, language, names) for t in tables_by_indicator.get(section.code, [])],
            }
        )
    key_figures = [
        {
            "title": strings.title(catalogue.indicator(c), language),
            "value": shown(c),
            "unit": unit(catalogue.indicator(c).unit, language),
        }
        for c in KEY_FIGURES
        if c in values
    ]
    return {
        "lang": language,
        "dir": "rtl" if language in strings.RTL else "ltr",
        "css": _css(language) if options.inline_css else "",
        "css_href": options.css_href,
        "public": options.public,
        "t": strings.words("report", language),
        "t_col": strings.words("col", language),
        "site": site_names(indicators.sites, language),
        **issuer(),
        "period_covered": strings.span(
            strings.date(period.start, language), strings.date(period.end, language), language
        ),
        "data_as_of": strings.date(period.as_of, language),
        "narrative": _narrative(narrative, language),
        "refusals": refusal_rows(indicators.details("incidents").get("refusals", []), language),
        "period": strings.month(period.start, language),
        "period_code": period.label,
        "counted_to": strings.tr("report.to", language, date=strings.date(period.as_of, language)),
        "jalali": strings.span(strings.jalali(period.start), strings.jalali(period.end), "fa")
        if language == "fa"
        else "",
        "generated": strings.digits(now.strftime("%Y-%m-%d %H:%M UTC"), language),
        "head_seq": strings.tr("report.entry", language, seq=strings.number(head[0], language)),
        "head_hash": head[1],
        # The public edition leaves the kinds out: a small count among them would show through.
        "summary": _summary(values, language) + ([] if options.public else _summary_incidents(indicators, language)),
        "key_figures": key_figures,
        "charts": _charts(indicators, language, options.public),
        "sections": sections,
        "deaths": _deaths(indicators, language, options.public),
        "incidents": _incidents(indicators, language),
        "evidence": _evidence(evidence),
        "methods": strings.methods(language),
        "priorities": _priorities(language),
    }


_PAGE_DIGITS = {"fa": "persian", "ar": "arabic-indic"}


def _css(language: str) -> str:
    css = CSS_PATH.read_text(encoding="utf-8")
    style = _PAGE_DIGITS.get(language)
    if style:  # page numbers in the language's own digits
        css += f'\n@page {{ @bottom-center {{ content: counter(page, {style}) " / " counter(pages, {style}); }} }}\n'
        css += "@page :first { @bottom-center { content: none; } }\n"
    return css


def _summary(values: dict[str, Any], language: str) -> list[str]:
    def n(code: str, decimals: int = 0) -> str:
        return strings.number(values.get(code), language, decimals)

    return [
        strings.tr(
            "summary.requests",
            language,
            requests=n("requests.total"),
            approved=n("requests.approved"),
            denied=n("requests.denied"),
            delayed=n("requests.delayed"),
        ),
        strings.tr(
            "summary.backlog",
            language,
            waiting=n("backlog.waiting"),
            past=n("backlog.past_deadline"),
            longest=n("backlog.longest_wait_days"),
        ),
        strings.tr(
            "summary.trips",
            language,
            trips=n("trips.total"),
            cancelled=n("trips.cancelled"),
            mean=n("trips.hours_held_mean", 1),
            max=n("trips.hours_held_max", 1),
        ),
        strings.tr("summary.deaths", language, deaths=n("deaths.while_waiting")),
    ]


def _summary_incidents(indicators: IndicatorSet, language: str) -> list[str]:
    """One sentence: how many obstruction incidents, of which kinds (most frequent first)."""
    incidents: list[obstruction.Incident] = indicators.details("incidents").get("incidents", [])
    if not incidents:
        return []
    by_kind: dict[str, int] = {}
    for incident in incidents:
        by_kind[incident.kind] = by_kind.get(incident.kind, 0) + 1
    parts = [
        f"{strings.label('kind', kind, language)} {strings.number(n, language)}"
        for kind, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return [
        strings.tr(
            "summary.incidents",
            language,
            n=len(incidents),
            total=strings.number(len(incidents), language),
            kinds=strings.join(parts, language),
        )
    ]


def _charts(indicators: IndicatorSet, language: str, public: bool) -> list[dict[str, Any]]:
    period = indicators.period
    found = []

    def local(text: str) -> str:
        return strings.digits(text, language)

    trend = indicators.details("requests").get("trend")
    if trend is not None:
        found.append(
            {
                "uri": charts.data_uri(charts.requests_by_month(trend, local)),
                "caption": strings.tr("chart.requests", language),
                "legend": [
                    (key, strings.title(catalogue.indicator(f"requests.{key}"), language))
                    for key in (core.APPROVED, core.DENIED, core.DELAYED)
                ],
            }
        )
    care = indicators.details("care")
    if "incidence" in care:
        incidence, naive = care["incidence"], care["curve"]
        causes = [core.CARE, core.DIED, core.LEFT]
        if public:  # a curve over fewer than five referrals, or a line of one to four deaths, says too much
            if incidence.at_risk < core.SUPPRESSION_THRESHOLD:
                incidence, naive, causes = core.Incidence((), {}, 0), core.Curve((), (), 0, 0, 0), []
            causes = [c for c in causes if not 0 < care["ended"].get(c, 0) < core.SUPPRESSION_THRESHOLD]
            if core.CARE not in causes:  # the naive curve's steps are the same few visits
                naive = core.Curve((), (), 0, 0, 0)
        keys = [charts.CAUSE_KEYS[c] for c in causes]
        found.append(
            {
                "uri": charts.data_uri(charts.time_to_care(incidence, naive, local, causes)),
                "caption": strings.tr("chart.km", language),
                "legend": [(key, strings.tr(f"chart.{key}", language)) for key in keys]
                + ([("naive", strings.tr("chart.naive", language))] if naive.days else []),
            }
        )
    backlog = next((t for t in indicators.tables() if t.code == "backlog.by_priority"), None)
    if backlog is not None:
        rows = [(r[0], r[1], r[2]) for r in backlog.rows]
        if public:
            rows = [(code, w, p) for code, w, p in rows if w >= core.SUPPRESSION_THRESHOLD]
        found.append(
            {
                "uri": charts.data_uri(charts.backlog(rows, local)),
                "caption": strings.tr("chart.backlog", language),
                "legend": [
                    ("within", strings.tr("chart.within", language)),
                    ("past", strings.tr("chart.past", language)),
                ],
            }
        )
    holds = indicators.details("trips").get("holds")
    if holds is not None:
        found.append(
            {
                "uri": charts.data_uri(charts.gate_holds(holds, period.start, period.end, local)),
                "caption": strings.tr("chart.holds", language),
                "legend": [],
            }
        )
    return found


def _deaths(indicators: IndicatorSet, language: str, public: bool) -> list[dict[str, str]]:
    deaths = indicators.details("deaths").get("deaths", [])
    if public and 0 < len(deaths) < core.SUPPRESSION_THRESHOLD:
        return []  # the count is blanked in the public edition; a list would give it away
    return [
        {
            "date": strings.date(d["date"], language),
            "days_waited": strings.number(d["days_waited"], language),
            "diagnosis_group": strings.label("diagnosis_group", d["diagnosis_group"], language),
            "specialty": strings.label("specialty", d["specialty"], language),
            "priority": d["priority"],
            "source": strings.label("source", d["source"], language),
            "certainty": strings.label("certainty", d["certainty"], language),
        }
        for d in deaths
    ]


def site_names(sites: frozenset[int] | None, language: str = "en") -> str:
    """The names of the sites a report counts, in ``language``, for its cover (every site when ``sites`` is None)."""
    chosen = Site.objects.order_by("id")
    if sites is not None:
        chosen = chosen.filter(id__in=sorted(sites))
    return strings.join((site.name_in(language) for site in chosen), language)


def issuer() -> dict[str, str]:
    """Who issues the report: organisation, contact and logo (as a data URI) from the settings."""
    import base64

    from django.conf import settings

    logo = ""
    path = getattr(settings, "REPORT_LOGO", None)
    if path is not None:
        kind = {".svg": "image/svg+xml", ".png": "image/png"}.get(Path(path).suffix.lower(), "image/jpeg")
        logo = f"data:{kind};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"
    return {
        "organisation": getattr(settings, "REPORT_ORGANISATION", ""),
        "contact": getattr(settings, "REPORT_CONTACT", ""),
        "logo": logo,
    }


def _narrative(record: obstruction.Record | None, language: str) -> dict[str, Any] | None:
    """The month's narrative as paragraphs, with who wrote it, when, and its entry number."""
    if record is None:
        return None
    text = str(record.payload.get("text") or "")
    written = dt.date.fromisoformat(record.recorded_at[:10]) if record.recorded_at else None
    return {
        "paragraphs": [p.strip() for p in text.split("\n\n") if p.strip()],
        "byline": strings.tr(
            "report.narrative_by",
            language,
            by=record.recorded_by,
            date=strings.date(written, language) if written else "—",
            seq=strings.number(record.seq, language),
        ),
        "seq": record.seq,
    }


def refusal_rows(refusals: list[obstruction.Refusal], language: str) -> list[dict[str, str]]:
    """Denials and cancellations as the report lists them, hospitals by name, reasons as given."""
    places = place_names(language)
    redact = privacy.redactor(privacy.withheld_in(language))
    return [
        {
            "date": strings.date(dt.date.fromisoformat(r.date), language),
            "entries": ", ".join(f"#{n}" for n in r.entries),
            "place": places.get(r.place, r.place) or "—",
            "action": strings.label("action", r.action, language),
            "by": strings.label("cancelled_by", r.by, language),
            "patients": strings.number(r.patients, language),
            "reason": redact(r.reason) if r.reason else strings.tr("report.no_reason", language),
        }
        for r in refusals
    ]


def place_names(language: str = "en") -> dict[str, str]:
    """Hospitals and sites by code, for writing their names (in ``language`` when given in it) rather than codes."""
    names = {f.code: f.name_in(language) for f in Facility.objects.all()}
    names.update({s.code: s.name_in(language) for s in Site.objects.all()})
    return names


def supply_names(language: str = "en") -> dict[str, str]:
    """Supply items by the code the supply tables give them ("diesel", or "CAMP-1 diesel" when several sites
    are counted): the item's name in ``language``, with its site's name when the site is part of the code."""
    from corridor.supplies.models import SupplyItem

    names: dict[str, str] = {}
    for item in SupplyItem.objects.select_related("site").order_by("site_id", "code"):
        names[f"{item.site.code} {item.code}"] = f"{item.name_in(language)} ({item.site.name_in(language)})"
        names.setdefault(item.code, item.name_in(language))
    return names


def incident_rows(incidents: list[obstruction.Incident], language: str) -> list[dict[str, str]]:
    """Incidents as the report lists them: date, place, type, what happened, source, certainty, entries."""
    places = place_names(language)
    units = supply_words.units_in(language)
    redact = privacy.redactor(privacy.withheld_in(language))
    return [
        {
            "date": strings.date(dt.date.fromisoformat(i.date), language) if i.date else "—",
            "seq": str(i.seq),
            "entries": ", ".join(f"#{n}" for n in i.entries),
            "place": places.get(i.place, i.place) or "—",
            "kind": strings.label("kind", i.kind, language),
            "attack_type": strings.label("attack_type", i.attack_type, language),
            "resource": strings.label("resource", i.resource, language),
            "item": strings.label("item", i.item, language) if i.item else "",
            "what": obstruction.sentence(i, language, places, units),
            "description": redact(i.description),
            "source": strings.label("source", i.source, language),
            "certainty": strings.label("certainty", i.certainty, language),
        }
        for i in incidents
    ]


def _incidents(indicators: IndicatorSet, language: str) -> list[dict[str, str]]:
    return incident_rows(indicators.details("incidents").get("incidents", []), language)


def _evidence(evidence: dict[str, Any] | None) -> dict[str, Any] | None:
    """The checkpoint the cited entries are proved against, as shown on the page (None: nothing to show)."""
    if not evidence or not evidence.get("entries"):
        return None
    proved = [e for e in evidence["entries"] if e.get("inclusion_proof") is not None]
    return {
        "checkpoint": evidence.get("checkpoint") or "",
        "proved": len(proved),
        "cited": len(evidence["entries"]),
        "complete": bool(evidence.get("checkpoint")) and len(proved) == len(evidence["entries"]),
    }


def priority_name(p: PriorityClass, language: str) -> str:
    """A priority class's name with its clinical deadline, e.g. ``urgent (14 days)``."""
    known = _PRIORITY_NAMES.get(p.name)
    name = p.name if known is None or language == "en" else strings.translate(known, language)
    with translation.override(language):
        # The same plural forms as the screens' "N days" (Arabic has six, Persian two).
        days = ngettext("%(n)s day", "%(n)s days", p.deadline_days) % {"n": strings.number(p.deadline_days, language)}
    return f"{name} ({days})"


def _priorities(language: str) -> list[tuple[str, str]]:
    """Each priority class with its name and clinical deadline, for the methods note."""
    return [(p.code, priority_name(p, language)) for p in PriorityClass.objects.order_by("rank")]


def render_html(
    indicators: IndicatorSet,
    options: ReportOptions,
    head: tuple[int, str],
    now: dt.datetime,
    evidence: dict[str, Any] | None = None,
    narrative: obstruction.Record | None = None,
) -> str:
    return render_to_string("reports/monthly.html", context(indicators, options, head, now, evidence, narrative))


def render_pdf(html: str, evidence: dict[str, Any] | None = None) -> bytes:
    """Lay the report out as PDF, with the cited entries' proofs attached as ``evidence.json``.

    Fonts come from the system (Noto), so no network access is needed.
    """
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=None)
    attachments = []
    if evidence and evidence.get("entries"):
        attachments.append(
            weasyprint.Attachment(
                string=json.dumps(evidence, ensure_ascii=False, indent=1),
                name="evidence.json",
                description="Signed checkpoint and inclusion proofs of the ledger entries this report cites",
            )
        )
    pdf: bytes = document.write_pdf(attachments=attachments)
    return pdf
