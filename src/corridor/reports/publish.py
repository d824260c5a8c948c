"""The public page: a static site of aggregate figures, safe to put on any web host.

HTML, CSS and SVG only (no script), in English, Persian and Arabic: the month-by-month indicators with
small counts suppressed as the public exports are, the obstruction timeline as aggregates, the days
each supply was under blockade, CSV/JSON/HXL downloads, and the published checkpoints with how to
verify them. Nothing here names, dates or describes a person: only suppressed counts, rates and days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from corridor.ledger import checkpoints
from corridor.reports import catalogue, core, exports, monthly, obstruction, queries, strings
from corridor.reports.core import Column, Table

FIGURES = (
    "requests.total",
    "requests.approval_rate",
    "requests.denial_rate",
    "requests.delay_rate",
    "trips.cancelled",
    "trips.hours_held_max",
    "deaths.while_waiting",
    "incidents.total",
    "supplies.blockade_days",
)
CSS = """
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 64rem; padding: 1rem;
  color: #1d2430; line-height: 1.45; }
html[dir="rtl"] body { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", sans-serif; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #1f5fa8; padding-bottom: .15rem; }
nav a { margin-inline-end: 1rem; } table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .25rem .4rem; border-bottom: 1px solid #d5dae1; text-align: start; }
td.n, th.n { text-align: end; font-variant-numeric: tabular-nums; } .note { color: #4a5565; font-size: .9rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f6f9; padding: .5rem; direction: ltr; }
.chart { max-width: 100%; height: auto; }
"""
WORDS: dict[str, Promise] = {
    "title": _("Access to hospital care from %(site)s: public figures"),
    "intro": _(
        "Aggregate figures only. Counts from 1 to 4, and any figure that would reveal them, are left "
        "blank (—) so that nobody can be recognised. Data as of %(as_of)s."
    ),
    "monthly": _("Month by month"),
    "month": _("Month"),
    "timeline": _("Obstruction of care, by month and kind"),
    "total": _("All"),
    "blockade": _("Days each supply was under blockade"),
    "downloads": _("Downloads"),
    "verify": _("Checking these figures"),
    "verify_text": _(
        "Every figure is computed from an append-only ledger whose entries are chained by SHA-256 and "
        "signed at intervals. The latest signed checkpoint and the key that checks its signature are "
        "below. Every file of this site is listed with its SHA-256 in manifest.json, and that manifest "
        "is itself recorded in the ledger. Partners holding evidence bundles can check them against "
        "this checkpoint with the standalone verifier published with Corridor."
    ),
    "no_checkpoint": _("No checkpoint has been signed yet."),
    "key": _("Verifier key"),
    "history": _(
        "Every checkpoint signed so far, oldest first. Each later one holds every entry of the earlier "
        "ones unchanged: the issuing organisation can give anyone the proof that one checkpoint extends "
        "another, which the standalone verifier checks, so a ledger rewritten after a checkpoint was "
        "published would be caught."
    ),
    "entries": _("Entries"),
    "signed": _("Signed at (UTC)"),
    "file": _("File"),
    "supply": _("Supply"),
}
LANGUAGE_NAMES = {"en": "English", "fa": "فارسی", "ar": "العربية"}


def _w(key: str, language: str, **values: Any) -> str:
    text = strings.translate(WORDS[key], language)
    return text % values if values else text


def months_back(today: dt.date, count: int) -> list[core.Period]:
    """The ``count`` months up to and including today's, oldest first."""
    current = core.Period.month(f"{today:%Y-%m}", today)
    return [current.previous(back) if back else current for back in range(count - 1, -1, -1)]


def timeline_table(incidents_by_month: list[tuple[str, list[obstruction.Incident]]]) -> Table:
    """Incidents per month and kind, each kind a part of the month's total, suppressed as public tables are."""
    kinds = list(obstruction.KINDS)
    columns = [Column("month", "label"), Column("total")] + [Column(k, part_of="total") for k in kinds]
    rows = []
    for label, incidents in incidents_by_month:
        counts = obstruction.counts(incidents)
        per_kind = {k: sum(n for key, n in counts.items() if key[0] == k) for k in kinds}
        rows.append([label, len(incidents), *(per_kind[k] for k in kinds)])
    return core.suppress(Table("incidents.timeline", columns, rows))


def _svg_bars(labels: list[str], values: list[int | None], language: str, title: str) -> str:
    """A bar chart as SVG (no script): one bar a month; a suppressed month has no bar and a dash."""
    width, height, pad = 640, 220, 30
    top = max([v for v in values if v] or [1])
    step = (width - 2 * pad) / max(1, len(values))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#5b6575"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = pad + i * step + step * 0.15
        if value:
            h = (height - 2 * pad) * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{height - pad - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                'fill="#D55E00"/>'
            )
        shown = strings.number(value, language) if value is not None else "—"
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - pad - 4 - ((height - 2 * pad) * (value or 0) / top):.1f}" '
            f'font-size="11" text-anchor="middle">{html.escape(shown)}</text>'
        )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
            f"{html.escape(strings.digits(label, language))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def build(
    today: dt.date,
    months: int,
    head: tuple[int, str],
    checkpoint: str | None,
    key: str,
    sites: frozenset[int] | None = None,
    history: Sequence[str] = (),
) -> dict[str, bytes]:
    """Every file of the site by its path, from the indicators of the ``months`` months to today, counting
    the records of ``sites`` (ids; ``None`` for every site). ``history`` holds every signed checkpoint,
    oldest first: each is published as ``checkpoints/SIZE.txt`` and listed on the pages."""
    from corridor.reports.monthly import site_names

    periods = months_back(today, months)
    with queries.shared_reads():  # the months overlap: what several of them read is read once
        computed = [(p, catalogue.compute_all(p, sites=sites)) for p in periods]
    public = [(p, catalogue.public_values(found.values())) for p, found in computed]
    timeline = timeline_table([(p.label, found.details("incidents").get("incidents", [])) for p, found in computed])
    blockade_rows: dict[str, dict[str, Any]] = {}
    for p, found in computed:
        table = next((t for t in found.tables() if t.code == "supplies.by_item"), None)
        for row in table.rows if table else []:
            blockade_rows.setdefault(str(row[0]), {})[p.label] = row[5]
    files: dict[str, bytes] = {"style.css": CSS.encode("utf-8")}
    for p, found in computed:
        dataset = exports.indicators(p, "public", found)
        for fmt, suffix in (("csv", "csv"), ("json", "json"), ("hxl", "hxl.csv")):
            files[f"data/indicators-{p.label}.{suffix}"] = exports.write(dataset, fmt, head)
    if checkpoint:
        files["checkpoint.txt"] = checkpoint.encode("utf-8")
    files["verifier-key.txt"] = (key + "\n").encode("utf-8")
    published = []
    for note in history:
        signed = checkpoints.parse(note)[0]
        files[f"checkpoints/{signed.size}.txt"] = note.encode("utf-8")
        published.append((signed.size, signed.time[:16].replace("T", " ")))
    downloads = sorted(name for name in files if name.startswith("data/"))
    for language in strings.LANGUAGES:
        page = _page(
            language,
            site_names(sites, language),
            today,
            public,
            timeline,
            blockade_rows,
            downloads,
            checkpoint,
            key,
            [p.label for p in periods],
            published,
        )
        files[f"{language}/index.html"] = page.encode("utf-8")
    files["index.html"] = files["en/index.html"].replace(b'href="../', b'href="')
    return files


def _page(
    language: str,
    site: str,
    today: dt.date,
    public: list[tuple[core.Period, dict[str, Any]]],
    timeline: Table,
    blockade: dict[str, dict[str, Any]],
    downloads: list[str],
    checkpoint: str | None,
    key: str,
    labels: list[str],
    published: Sequence[tuple[int, str]] = (),
) -> str:
    e = html.escape
    direction = "rtl" if language in strings.RTL else "ltr"
    out = [
        f'<!doctype html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(_w("title", language, site=site))}</title><link rel="stylesheet" href="../style.css"></head><body>',
        "<nav>"
        + "".join(f'<a href="../{code}/index.html">{name}</a>' for code, name in LANGUAGE_NAMES.items())
        + "</nav>",
        f"<h1>{e(_w('title', language, site=site))}</h1>",
        f'<p class="note">{e(_w("intro", language, as_of=strings.date(today, language)))}</p>',
        f"<h2>{e(_w('monthly', language))}</h2><table><thead><tr><th>{e(_w('month', language))}</th>",
    ]
    for code in FIGURES:
        out.append(f'<th class="n">{e(strings.title(catalogue.indicator(code), language))}</th>')
    out.append("</tr></thead><tbody>")
    for period, values in public:
        out.append(f"<tr><td>{e(strings.month(period.start, language))}</td>")
        for code in FIGURES:
            unit_code = catalogue.indicator(code).unit
            kind = "count" if catalogue.indicator(code).code in _COUNTS else "value"
            out.append(f'<td class="n {kind}">{e(monthly.format_value(values.get(code), unit_code, language))}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    totals = [row[1] for row in timeline.rows]
    out.append(f"<h2>{e(_w('timeline', language))}</h2>")
    out.append(_svg_bars(labels, totals, language, _w("timeline", language)))
    out.append(f'<table><thead><tr><th>{e(_w("month", language))}</th><th class="n">{e(_w("total", language))}</th>')
    for column in timeline.columns[2:]:
        out.append(f'<th class="n">{e(strings.label("kind", column.code, language))}</th>')
    out.append("</tr></thead><tbody>")
    for row in timeline.rows:
        cells = "".join(f'<td class="n count">{e(strings.number(v, language))}</td>' for v in row[1:])
        out.append(f"<tr><td>{e(strings.digits(str(row[0]), language))}</td>{cells}</tr>")
    out.append("</tbody></table>")
    out.append(f"<h2>{e(_w('blockade', language))}</h2><table><thead><tr><th>{e(_w('supply', language))}</th>")
    out += [f'<th class="n">{e(strings.digits(label, language))}</th>' for label in labels]
    out.append("</tr></thead><tbody>")
    supplies = monthly.supply_names(language)
    for item, by_month in sorted(blockade.items()):
        cells = "".join(
            f'<td class="n days">{e(strings.number(by_month.get(label), language))}</td>' for label in labels
        )
        name = supplies.get(item) or strings.label("item", item, language)
        out.append(f"<tr><td>{e(name)}</td>{cells}</tr>")
    out.append("</tbody></table>")
    out.append(f"<h2>{e(_w('downloads', language))}</h2><ul>")
    out += [f'<li><a href="../{e(name)}">{e(name)}</a></li>' for name in downloads]
    out.append('<li><a href="../manifest.json">manifest.json</a></li></ul>')
    out.append(f"<h2>{e(_w('verify', language))}</h2><p>{e(_w('verify_text', language))}</p>")
    if checkpoint:
        out.append(f'<pre>{e(checkpoint)}</pre><p><a href="../checkpoint.txt">checkpoint.txt</a></p>')
    else:
        out.append(f"<p>{e(_w('no_checkpoint', language))}</p>")
    out.append(f"<p>{e(_w('key', language))}:</p><pre>{e(key)}</pre>")
    if published:
        out.append(f"<p>{e(_w('history', language))}</p><table><thead><tr>")
        out.append(f'<th class="n">{e(_w("entries", language))}</th><th>{e(_w("signed", language))}</th>')
        out.append(f"<th>{e(_w('file', language))}</th></tr></thead><tbody>")
        for size, when in published:
            name = f"checkpoints/{size}.txt"
            out.append(
                f'<tr><td class="n">{e(strings.number(size, language))}</td><td><bdi>{e(when)}</bdi></td>'
                f'<td><a href="../{name}">{name}</a></td></tr>'
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


_COUNTS = {
    code for code in FIGURES if code in ("requests.total", "trips.cancelled", "deaths.while_waiting", "incidents.total")
}


def manifest(files: dict[str, bytes]) -> bytes:
    """Every file's SHA-256, by path, as JSON."""
    listing = {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}
    return json.dumps({"format": "corridor-site/1", "files": listing}, indent=1, sort_keys=True).encode("utf-8")


def write(out: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
