"""Episodes of care in the report catalogue: referrals in care, time to treatment, and the share treated
within the clinical deadline. The reports app imports this module at start-up.

Time to the first visit is ``care.days_median`` (corridor.reports.indicators); docs/indicators.md says
how each maps to the WHO's terms and documents each indicator in the same words (a test compares them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from corridor.reports import core, queries, strings
from corridor.reports.catalogue import Indicator, Result, Value, define_section, register
from corridor.reports.core import Column, Period, Table
from corridor.transfers.models import TripPassenger

SECTION = "episodes"
TREATMENT = tuple(str(o) for o in TripPassenger.TREATMENT_OUTCOMES)
SOURCE = (
    "register_referral (referral_date, due_date, status, closed_on, priority) and transfers_trippassenger "
    "(outcome; role patient, not removed) with transfers_trip (date); an outcome whose patient.seen entry was "
    "corrected or retracted as that entry stands"
)

define_section(
    SECTION,
    gettext_noop("Episodes of care"),
    order=25,
)

strings.add_words(
    {
        "col.treated": _("Treatment begun"),
        "col.treated_within_deadline": _("Within deadline"),
        "col.treated_within_deadline_rate": _("Within deadline %"),
        "col.in_care": _("In care"),
    }
)

EPISODES = (
    Indicator(
        code="episodes.in_care",
        section=SECTION,
        title=gettext_noop("In care"),
        definition=gettext_noop(
            "Referrals seen at least once and still in care at the end of the period, with no visit due."
        ),
        formula="referrals with referral date ≤ as-of date, not closed by then, first seen on or before it, and not "
        "waiting now for a follow-up visit",
        unit="referrals",
        breakdowns=("priority",),
        source=SOURCE,
    ),
    Indicator(
        code="episodes.treated",
        section=SECTION,
        title=gettext_noop("Treatment begun"),
        definition=gettext_noop(
            "Referrals whose treatment began in the period: a procedure, the start of a treatment, an "
            "admission, or care completed at a visit."
        ),
        formula="referrals whose earliest trip date with outcome procedure_done, treatment_started, admitted or "
        "care_complete is in the period",
        unit="referrals",
        breakdowns=("priority",),
        source=SOURCE,
    ),
    Indicator(
        code="episodes.treatment_days_median",
        section=SECTION,
        title=gettext_noop("Median days to treatment"),
        definition=gettext_noop(
            "Median days from referral to the first visit at which treatment was given or begun, for "
            "referrals whose treatment began in the period."
        ),
        formula="median of (first treatment visit date − referral date) in days over episodes.treated",
        unit="days",
        breakdowns=("priority",),
        source=SOURCE,
    ),
    Indicator(
        code="episodes.treated_within_deadline_rate",
        section=SECTION,
        title=gettext_noop("Treated within the clinical deadline"),
        definition=gettext_noop(
            "Share of referrals whose treatment began in the period that began it on or before their due date."
        ),
        formula="100 × (episodes.treated with first treatment visit date ≤ due date) / episodes.treated",
        unit="%",
        breakdowns=("priority",),
        source=SOURCE,
    ),
)


def first_treatments(period: Period) -> list[dict[str, Any]]:
    """Referrals whose first treatment visit is in the period: referral date, due date, class, that visit."""
    return queries.first_visits(period, TREATMENT)


def in_care_by_priority(period: Period) -> dict[str, int]:
    """Referrals in care at the end of the as-of date, by priority class."""
    as_of = period.as_of
    rows = (
        queries.open_referrals(as_of)
        .filter(queries.first_visit_on_or_before(as_of))
        .exclude(queries.waiting_q(as_of))
        .values("priority__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["priority__code"]: row["n"] for row in rows}


def compute_episodes(period: Period) -> Result:
    treated = first_treatments(period)
    in_care = in_care_by_priority(period)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for visit in treated:
        groups[visit["priority"]].append(visit)
    columns = [
        Column("category", "label"),
        Column("in_care"),
        Column("treated"),
        Column("median_days", "days", basis="treated"),
        Column("treated_within_deadline"),
        Column("treated_within_deadline_rate", "rate", numerators=("treated_within_deadline",), basis="treated"),
    ]

    def row(category: str, group: list[dict[str, Any]], n_in_care: int) -> list[Any]:
        days = [(v["first"] - v["referral_date"]).days for v in group]
        within = sum(1 for v in group if v["first"] <= v["due_date"])
        return [category, n_in_care, len(group), core.percentile(days, 50), within, core.rate(within, len(group))]

    overall = row("all", treated, sum(in_care.values()))
    codes = sorted(set(groups) | set(in_care))
    table = Table(
        "episodes.by_priority",
        columns,
        [row(code, groups[code], in_care.get(code, 0)) for code in codes],
        "episodes.treated",
    )
    values = {
        "episodes.in_care": Value.of_count(overall[1]),
        "episodes.treated": Value.of_count(overall[2]),
        "episodes.treatment_days_median": Value(overall[3], overall[2]),
        "episodes.treated_within_deadline_rate": Value(overall[5], overall[2], numerators=(overall[4],)),
    }
    return Result(values, [table])


register(*EPISODES, compute=compute_episodes)
