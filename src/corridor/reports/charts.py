"""The report's charts, drawn with matplotlib (Agg backend) as PNG images.

Charts carry numbers and codes only (P1, H-02, 2014-10): matplotlib does not shape Persian or Arabic
script, so every word — title, axis meaning, legend — is in the report's HTML beside the chart,
where the text engine shapes it properly in every language. Digits need no shaping: each chart
writes its ticks and month labels in the report language's digits (``digits``).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from corridor.reports import core

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in grey print.
COLOURS = {
    core.APPROVED: "#009E73",
    core.DENIED: "#D55E00",
    core.DELAYED: "#E69F00",
    "all": "#000000",
    "P1": "#CC79A7",
    "P2": "#D55E00",
    "P3": "#0072B2",
    "P4": "#009E73",
    "within": "#56B4E9",
    "past": "#D55E00",
    "seen": "#000000",
    "death": "#D55E00",
    "departure": "#0072B2",
    "naive": "#000000",
}
CAUSE_KEYS = {core.CARE: "seen", core.DIED: "death", core.LEFT: "departure"}
_SIZE = (6.4, 2.6)
_DPI = 110


def _figure() -> Figure:
    # Imported here, not with the module: a server process that never draws a chart never loads it.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No timestamp in the metadata, so that the same data always gives the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


Digits = Callable[[str], str]


def _local(digits: Digits) -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: digits(f"{value:g}"))


def _style(axes: object, digits: Digits, *, numeric_x: bool = True) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)  # type: ignore[attr-defined]
    axes.tick_params(labelsize=8)  # type: ignore[attr-defined]
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)  # type: ignore[attr-defined]
    axes.yaxis.set_major_formatter(_local(digits))  # type: ignore[attr-defined]
    if numeric_x:
        axes.xaxis.set_major_formatter(_local(digits))  # type: ignore[attr-defined]


def requests_by_month(series: Sequence[tuple[str, dict[str, int]]], digits: Digits = str) -> bytes:
    """Stacked bars: requests approved, denied and delayed, month by month."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = [digits(label) for label, _ in series]
    bottom = [0] * len(series)
    for key in (core.APPROVED, core.DENIED, core.DELAYED):
        heights = [counts.get(key, 0) for _, counts in series]
        axes.bar(labels, heights, bottom=bottom, color=COLOURS[key], width=0.6)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    _style(axes, digits, numeric_x=False)
    return _png(figure)


def time_to_care(
    incidence: core.Incidence,
    naive: core.Curve,
    digits: Digits = str,
    causes: Sequence[int] = core.CAUSES,
) -> bytes:
    """Time to care as cumulative incidence (Aalen–Johansen): the share seen, died waiting and left by day
    since referral, each a solid line, with the naive Kaplan–Meier share seen dashed beside them.

    ``causes`` are the lines to draw (the public edition leaves out one that rests on fewer than five people).
    """
    figure = _figure()
    axes = figure.add_subplot()
    for cause in causes:
        values = incidence.by_cause.get(cause, ())
        if not incidence.days or not values:
            continue
        axes.step(
            [0.0, *incidence.days],
            [0.0, *(100 * v for v in values)],
            where="post",
            color=COLOURS[CAUSE_KEYS[cause]],
            linewidth=2.0 if cause == core.CARE else 1.4,
        )
    if naive.days:
        axes.step(
            [0.0, *naive.days],
            [0.0, *(100 * s for s in naive.seen)],
            where="post",
            color=COLOURS["naive"],
            linewidth=1.2,
            linestyle=(0, (4, 2)),
        )
    axes.set_ylim(0, 100)
    axes.set_xlim(left=0)
    # No legend inside the image: the report's HTML legend names each line in its language.
    _style(axes, digits)
    return _png(figure)


def backlog(rows: Sequence[tuple[str, int, int]], digits: Digits = str) -> bytes:
    """Bars per priority class: waiting within the deadline, and past it, stacked."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = [code for code, _, _ in rows]
    past = [p for _, _, p in rows]
    within = [w - p for _, w, p in rows]
    axes.bar(labels, within, color=COLOURS["within"], width=0.5)
    axes.bar(labels, past, bottom=within, color=COLOURS["past"], width=0.5)
    _style(axes, digits, numeric_x=False)
    return _png(figure)


def gate_holds(holds: Sequence[tuple[dt.date, float]], start: dt.date, end: dt.date, digits: Digits = str) -> bytes:
    """One dot per trip: hours held at the gate, by day of the month."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.scatter([d.day for d, _ in holds], [h for _, h in holds], s=14, color=COLOURS["P3"])
    axes.set_xlim(0.5, end.day + 0.5)
    axes.set_ylim(bottom=0)
    _style(axes, digits)
    return _png(figure)
