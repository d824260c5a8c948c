"""Stock over time as a small inline SVG: no Django, no JavaScript, nothing fetched.

Counted stock is a solid line with dots, the projection at the expected use a dashed line, the
critical threshold a red rule, the blockade a shaded band from its first blocked delivery, and today a
vertical rule. Every label is escaped; every number is formatted here, so the output is safe to inline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

LEVEL_COLOURS = {"critical": "#b3261e", "low": "#b26a00", "ok": "#1b6e3a", "unknown": "#5f6368"}


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"


@dataclass(frozen=True)
class Words:
    """The chart's words and how it writes numbers and dates: English by default, the reader's language
    when the page passes its own (the caller translates; this module stays free of Django)."""

    title: str = "{item}: stock in {unit}"
    nothing_counted: str = "nothing counted yet"
    blocked: str = "blocked"
    threshold: str = "critical threshold"
    today: str = "today"
    projected: str = "projected at the expected use"
    number: Callable[[float], str] = _short
    date: Callable[[dt.date], str] = dt.date.isoformat
    rtl: bool = False  # dates written right to left ("۲۸ خرداد"): each label laid out in its own direction


def stock_svg(
    points: Sequence[tuple[dt.date, float, bool]],
    *,
    title: str,
    unit: str,
    today: dt.date,
    threshold: float | None = None,
    blocked_since: dt.date | None = None,
    level: str = "unknown",
    width: int = 320,
    height: int = 120,
    words: Words | None = None,
) -> str:
    """An SVG chart of ``points`` (date, stock, counted?) with an accessible title.

    Laid out left to right in every language (a time axis reads that way on the camp's own charts) and
    drawn at most as wide as its container, so it never spills out of its card on a phone.
    """
    w = words or Words()
    label = escape(w.title.format(item=title, unit=unit))
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" direction="ltr"'
    )
    if not points:
        nothing = escape(w.nothing_counted)
        return (
            f"{opening}><title>{label}: {nothing}</title>"
            f'<text x="8" y="{height // 2}" font-size="11" fill="#5f6368">{nothing}</text></svg>'
        )
    left, right, top, bottom = 44, 8, 8, 18
    first = min(p[0] for p in points)
    last = max(max(p[0] for p in points), today)
    span = max((last - first).days, 1)
    peak = max([p[1] for p in points] + [threshold or 0.0]) or 1.0
    peak *= 1.05

    def x(day: dt.date) -> float:
        return left + (width - left - right) * (day - first).days / span

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / peak)

    colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"])
    parts = [f'{opening} font-family="system-ui,sans-serif" font-size="10">', f"<title>{label}</title>"]
    if blocked_since is not None and blocked_since <= last:
        start = x(max(blocked_since, first))
        parts.append(
            f'<rect x="{start:.1f}" y="{top}" width="{x(last) - start:.1f}" height="{height - top - bottom}" '
            'fill="#f3e0de">'
            f"<title>{escape(w.blocked)}</title></rect>"
        )
    parts.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>'
    )
    for value in (0.0, peak / 1.05):
        parts.append(
            f'<text x="{left - 4}" y="{y(value) + 3:.1f}" text-anchor="end" fill="#444">'
            f"{escape(w.number(value))}</text>"
        )
    # In a right-to-left label "start" is its right edge: swap the anchors so both dates stay inside the axis.
    way, first_anchor, last_anchor = ("rtl", "end", "start") if w.rtl else ("ltr", "start", "end")
    for at, align, day in ((left, first_anchor, first), (width - right, last_anchor, last)):
        parts.append(
            f'<text x="{at}" y="{height - 4}" direction="{way}" text-anchor="{align}" fill="#444">'
            f"{escape(w.date(day))}</text>"
        )
    if threshold is not None:
        parts.append(
            f'<line x1="{left}" y1="{y(threshold):.1f}" x2="{width - right}" y2="{y(threshold):.1f}" '
            'stroke="#b3261e" stroke-dasharray="2 2">'
            f"<title>{escape(w.threshold)}</title></line>"
        )
    parts.append(
        f'<line x1="{x(today):.1f}" y1="{top}" x2="{x(today):.1f}" y2="{height - bottom}" stroke="#333" '
        'stroke-width="0.5">'
        f"<title>{escape(w.today)}</title></line>"
    )
    counted = [p for p in points if p[2]]
    projected = [p for p in points if not p[2]]
    if counted:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _ in counted)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f3a93" stroke-width="1.5"/>')
        for d, v, _ in counted:
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="1.6" fill="#1f3a93"/>')
    if projected:
        anchor = counted[-1:] if counted else []
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _ in [*anchor, *projected])
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3">'
            f"<title>{escape(w.projected)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)
