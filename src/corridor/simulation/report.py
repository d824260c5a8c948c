"""Plain-text tables and the chart for simulation results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corridor.simulation.core import Difference
from corridor.simulation.model import WAIT_THRESHOLDS
from corridor.simulation.results import TIMING, ClassSummary, Estimate, SimulationResult


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _est(e: Estimate | None, digits: int = 1, scale: float = 1.0) -> str:
    if e is None or e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return _num(e.value * scale, digits)
    return f"{e.value * scale:.{digits}f} [{e.low * scale:.{digits}f}, {e.high * scale:.{digits}f}]"


def _pct(e: Estimate | None) -> str:
    return _est(e, 1, 100.0)


def headline(r: SimulationResult) -> list[str]:
    s = r.scenario
    rho = "inf" if math.isinf(s.load) else f"{s.load:.2f}"
    facilities = (
        f"{s.facilities_per_day} of {len(r.facilities)} hospitals"
        if len(r.facilities) > 1
        else "any hospital"
    )
    lines = [
        f"== {s.name}" + (f": {s.description}" if s.description else ""),
        f"   {s.capacity} patients a day, {s.trip_probability:.0%} of trips happen, {facilities} a day, "
        f"policy {s.policy}; referrals {s.total_rate:.2f} a day, load rho = {rho}",
        f"   {s.replications} replications x {s.days} days (after {s.warmup_days} warm-up days), "
        f"seed {s.seed}, {r.seconds:.1f} s",
    ]
    if s.load >= 1:
        growth = s.total_rate - s.trip_probability * s.capacity
        lines.append(
            f"   rho >= 1: the waiting list grows by about {growth:.2f} patients a day, so waits depend "
            "on the horizon"
        )
    elif len(r.facilities) > s.facilities_per_day:
        lines.append("   (rho ignores the hospitals-a-day limit, which lowers what a trip can carry)")
    return lines


def table(r: SimulationResult) -> list[str]:
    """The per-class table: waits in days, probabilities in %, each with its 95 % interval."""
    header = ["class", "deadline", "mean wait, days", "median", "90th", f"P(W>{WAIT_THRESHOLDS[0]}) %"]
    header += [f"P(W>{d}) %" for d in WAIT_THRESHOLDS[1:]] + ["P(W>deadline) %", "missed deadline %"]
    rows = [header]
    for name, c in r.classes.items():
        rows.append(
            [
                name,
                "-" if c.deadline_days is None else f"{c.deadline_days} d",
                _est(c.mean_wait, 2),
                _num(c.percentiles[50].value, 0),
                _num(c.percentiles[90].value, 0),
                *[_pct(c.p_wait_over[d]) for d in WAIT_THRESHOLDS],
                _pct(c.p_wait_over_deadline),
                _pct(c.share_missed_deadline),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return out


def deaths_lines(r: SimulationResult) -> list[str]:
    if not r.scenario.has_hazards:
        return []
    all_: ClassSummary = r.classes["all"]
    lines = [
        f"   expected deaths while waiting over {r.scenario.days} days: {_est(all_.deaths)}; "
        f"left the list: {_est(all_.left)}; deaths per 1,000 referred: {_est(all_.deaths_per_1000_referred)}"
    ]
    for name, c in r.classes.items():
        if name != "all":
            lines.append(f"     {name}: deaths {_est(c.deaths)}")
    return lines


def describe(r: SimulationResult) -> list[str]:
    b = r.backlog
    last = len(b.mean) - 1
    lines = headline(r) + [""] + table(r) + [""]
    lines.append(
        f"   waiting just after each trip (mean over the measured days): {_est(r.mean_waiting_after_trip)}"
    )
    lines.append(
        f"   on the last day: mean {b.mean[last]:.1f} ({b.mean_low[last]:.1f}-{b.mean_high[last]:.1f}); "
        f"95 % of runs between {b.band_low[last]:.0f} and {b.band_high[last]:.0f}"
    )
    lines += deaths_lines(r)
    return lines


def timing_note() -> str:
    return f"Timing: {TIMING}. Intervals are Monte Carlo 95 % intervals."


def comparison(results: Sequence[SimulationResult], diffs: Sequence[Difference]) -> list[str]:
    """Scenarios side by side, then each one's difference from the first on the same random numbers."""
    names = [r.scenario.name for r in results]
    rows: list[list[str]] = [["", *names]]
    rows.append(["patients a day (K)", *[str(r.scenario.capacity) for r in results]])
    rows.append(["trips that happen (p)", *[f"{r.scenario.trip_probability:.0%}" for r in results]])
    rows.append(["hospitals a day (F)", *[str(r.scenario.facilities_per_day) for r in results]])
    rows.append(["policy", *[r.scenario.policy for r in results]])
    rows.append(
        ["load rho", *["inf" if math.isinf(r.scenario.load) else f"{r.scenario.load:.2f}" for r in results]]
    )
    class_names = [n for n in results[0].classes if all(n in r.classes for r in results)]
    for name in class_names:
        rows.append([f"mean wait {name}, days", *[_est(r.classes[name].mean_wait, 2) for r in results]])
    for d in WAIT_THRESHOLDS:
        rows.append([f"P(W>{d}) all, %", *[_pct(r.classes["all"].p_wait_over[d]) for r in results]])
    rows.append(["P(W>deadline) all, %", *[_pct(r.classes["all"].p_wait_over_deadline) for r in results]])
    rows.append(["missed deadline all, %", *[_pct(r.classes["all"].share_missed_deadline) for r in results]])
    rows.append(["waiting after trip", *[_est(r.mean_waiting_after_trip) for r in results]])
    rows.append(["waiting on last day", *[f"{r.backlog.mean[-1]:.1f}" for r in results]])
    if all(r.scenario.has_hazards for r in results):
        rows.append(["deaths while waiting", *[_est(r.classes["all"].deaths) for r in results]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    if diffs:
        lines += [
            "",
            f"Differences from {names[0]} on common random numbers (same referrals and cancellations),",
        ]
        lines.append("with paired 95 % intervals:")
        for diff in diffs:
            lines.append(f"  {diff.name}:")
            lines += [f"    mean wait {k}: {_est(e, 2)} days" for k, e in diff.mean_wait.items()]
            lines += [
                f"    P(W>{d}) all: {_est(e, 1, 100.0)} percentage points"
                for d, e in diff.p_wait_over.items()
            ]
            lines.append(f"    waiting after trip: {_est(diff.mean_waiting_after_trip)} patients")
            if diff.deaths is not None:
                lines.append(
                    f"    deaths while waiting: {_est(diff.deaths)} per {results[0].scenario.days} days"
                )
    return lines


def chart(results: Sequence[SimulationResult], path: Path) -> Path:
    """Backlog over time (mean and the band holding 95 % of runs) and the distribution of waits, per
    scenario. The format follows the file's extension (.png or .svg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for i, r in enumerate(results):
        color = f"C{i}"
        b = r.backlog
        days = np.arange(len(b.mean))
        left.fill_between(days, b.band_low, b.band_high, color=color, alpha=0.18, linewidth=0)
        left.plot(days, b.mean, color=color, label=r.scenario.name)
        hist = r.wait_histogram[-1].astype(float)
        total = hist.sum()
        if total > 0:
            survival = 1 - np.cumsum(hist) / total  # P(W > d)
            horizon = int(np.nonzero(hist)[0].max()) + 1
            right.step(
                np.arange(horizon + 1),
                np.append(survival[:horizon], 0.0),
                where="post",
                color=color,
                label=r.scenario.name,
            )
    if results and results[0].scenario.warmup_days:
        left.axvline(results[0].scenario.warmup_days, color="grey", linestyle=":", linewidth=1)
    left.set_title("Patients waiting just after each day's trip\n(line: mean; band: 95 % of runs)")
    left.set_xlabel("day")
    left.set_ylabel("patients waiting")
    left.set_ylim(bottom=0)
    left.legend(loc="upper left", fontsize="small")
    right.set_title("Waiting time of treated patients, all classes\nP(W > d)")
    right.set_xlabel("d, days from referral to travel")
    right.set_ylabel("share of patients")
    for d in WAIT_THRESHOLDS:
        right.axvline(d, color="grey", linestyle=":", linewidth=1)
    right.set_ylim(0, 1)
    # A few very old referrals in a backlog would stretch the axis over years: show up to the 99.5th
    # percentile of the longest-waiting scenario (the table gives the rest).
    tails = []
    for r in results:
        hist = r.wait_histogram[-1]
        if hist.sum() > 0:
            tails.append(int(np.searchsorted(np.cumsum(hist), 0.995 * hist.sum())))
    right.set_xlim(0, max([*tails, max(WAIT_THRESHOLDS)]) * 1.05 + 1)
    right.legend(loc="upper right", fontsize="small")
    fig.suptitle(
        "Corridor what-if simulation (wait = travel day - referral day; queue counted after the trip)",
        fontsize="medium",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
