"""Explanations a coordinator can read, each as a plain-English sentence plus structured fields.

The structured fields (``code`` and the numbers it needs) let the web interface translate a
sentence instead of showing the English one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor.planning.arrays import Arrays, Pattern, assign
from corridor.planning.model import Plan


@dataclass
class Explanation:
    code: str
    sentence: str
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "sentence": self.sentence, **self.fields}


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def explain_day(
    a: Arrays, pattern: Pattern, plan: Plan, day: int, *, late_limit: int = 10, decided_by: str = "plan"
) -> list[Explanation]:
    """Why ``day``'s facility and patients, who is projected late, and what the bound says."""
    inst = a.instance
    out: list[Explanation] = []
    cost = int(plan.objective if plan.objective is not None else assign(a, pattern).cost)
    trips = [t for t in plan.trips if t.day == day]
    patients = {p.id: (i, p) for i, p in enumerate(inst.patients)}
    if not trips:
        out.append(Explanation("no-trip", f"No trip is planned on day {day}.", {"day": day}))
    for trip in trips:
        h = next(k for k, f in enumerate(inst.facilities) if f.id == trip.facility)
        # What the plan would cost if this day went elsewhere, all patients re-placed optimally.
        alternatives: list[tuple[int, str]] = []
        if not (a.fixed_day == day).any():
            for h2 in np.nonzero(a.open[day])[0]:
                if int(h2) == h:
                    continue
                trial = pattern.copy()
                trial[day] = -1
                trial[day, 0] = int(h2)
                alternatives.append((assign(a, trial).cost - cost, inst.facilities[int(h2)].id))
        alternatives.sort()
        forced = any(a.fixed_day[patients[pid][0]] == day for pid in trip.patients if pid in patients)
        if forced:
            sentence = f"Day {day} goes to {trip.facility} because a fixed appointment is kept there."
        elif decided_by == "scenarios":
            sentence = (
                f"Day {day} goes to {trip.facility}: of the facilities open that day it left the fewest "
                f"weighted days late across sampled futures with new referrals and cancelled trips."
            )
        elif alternatives:
            delta, other = alternatives[0]
            sentence = (
                f"Day {day} goes to {trip.facility}: the best alternative, {other}, would make the "
                f"plan {delta} weighted days later in total."
            )
        else:
            sentence = f"Day {day} goes to {trip.facility}, the only facility open that day."
        out.append(
            Explanation(
                "why-facility",
                sentence,
                {
                    "day": day,
                    "facility": trip.facility,
                    "fixed_appointment": forced,
                    "decided_by": decided_by,
                    "alternatives": [{"facility": f, "extra_cost": d} for d, f in alternatives[:3]],
                },
            )
        )
        for pid in trip.patients:
            i, p = patients[pid]
            slack = p.due - day
            if a.fixed_day[i] == day:
                reason = "has a fixed appointment"
                code = "patient-fixed"
            elif slack < 0:
                reason = f"is already {_days(-slack)} past the deadline (weight {p.weight})"
                code = "patient-overdue"
            else:
                reason = f"must travel within {_days(slack)} (weight {p.weight})"
                code = "patient-due"
            out.append(
                Explanation(
                    code,
                    f"{pid} travels on day {day}: {reason}.",
                    {"patient": pid, "day": day, "weight": p.weight, "due": p.due, "slack_days": slack},
                )
            )
    day_of = plan.day_of()
    late: list[tuple[int, int, str]] = []
    for p in inst.patients:
        if p.due >= a.T and p.id not in day_of:
            continue
        c = day_of.get(p.id, a.T)
        if c > p.due:
            late.append((p.weight * (c - p.due), c - p.due, p.id))
    late.sort(reverse=True)
    for weighted, days_late, pid in late[:late_limit]:
        planned = day_of.get(pid)
        where = f"planned on day {planned}" if planned is not None else "not planned within the horizon"
        more = "" if planned is not None else " at least"
        out.append(
            Explanation(
                "projected-late",
                f"{pid} is projected to be{more} {_days(days_late)} late ({where}).",
                {"patient": pid, "days_late": days_late, "planned_day": planned, "weighted": weighted},
            )
        )
    if len(late) > late_limit:
        out.append(
            Explanation(
                "more-late",
                f"{len(late) - late_limit} more patients are projected to be late.",
                {"count": len(late) - late_limit},
            )
        )
    if plan.lower_bound is not None:
        bound = int(plan.lower_bound)
        gap = (cost - bound) / cost if cost > 0 else 0.0
        out.append(
            Explanation(
                "bound",
                f"No plan can do better than {bound} weighted days late; this plan has "
                f"{cost} ({gap:.0%} above that bound).",
                {"bound": bound, "objective": cost, "gap": round(gap, 4)},
            )
        )
    return out
