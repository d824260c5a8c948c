"""Companions in the report catalogue: the share approved, interpreters and nurses refused, and trips that
went without the interpreter they needed. The reports app imports this module at start-up.

docs/indicators.md documents each indicator in the same words (a test compares them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from corridor.reports import core, strings
from corridor.reports.catalogue import Indicator, Result, Value, define_section, register
from corridor.reports.core import Column, Period, Table
from corridor.reports.queries import scoped
from corridor.transfers.models import Companion, Trip, TripCompanion

SECTION = "companions"
SOURCE = (
    "transfers_tripcompanion (role, answer) with transfers_trip (date, status); one row per companion asked "
    "for one patient on one trip"
)
REFUSED = (TripCompanion.Answer.REJECTED, TripCompanion.Answer.SUBSTITUTED)
CLINICAL_ROLES = (Companion.Kind.INTERPRETER, Companion.Kind.NURSE)
WENT = (Trip.Status.DEPARTED, Trip.Status.RETURNED)

define_section(
    SECTION,
    gettext_noop("Escorts, interpreters and nurses"),
    order=45,
)

strings.add_words(
    {
        "col.asked": _("Asked for"),
        "col.rejected": _("Rejected"),
        "col.substituted": _("Substituted"),
        "col.no_answer": _("No answer"),
        "by.role": _("role"),
        "col.role": _("Role"),
    }
)

COMPANIONS = (
    Indicator(
        code="companions.asked",
        section=SECTION,
        title=gettext_noop("Companions asked for"),
        definition=gettext_noop(
            "Escorts, interpreters and nurses the camp asked for, per patient, on trips dated in the period."
        ),
        formula="companions asked for on trips dated in the period",
        unit="companions",
        breakdowns=("role",),
        source=SOURCE,
    ),
    Indicator(
        code="companions.approved_rate",
        section=SECTION,
        title=gettext_noop("Companions approved"),
        definition=gettext_noop("Share of the companions asked for that the authority approved as asked."),
        formula="100 × (companions.asked with answer approved) / companions.asked",
        unit="%",
        breakdowns=("role",),
        source=SOURCE,
    ),
    Indicator(
        code="companions.interpreter_nurse_refused",
        section=SECTION,
        title=gettext_noop("Interpreters and nurses refused"),
        definition=gettext_noop(
            "Interpreters and nurses asked for whom the authority rejected or replaced with its own choice."
        ),
        formula="companions.asked with role interpreter or nurse and answer rejected or substituted",
        unit="companions",
        breakdowns=("role",),
        source=SOURCE,
    ),
    Indicator(
        code="companions.trips_without_interpreter",
        section=SECTION,
        title=gettext_noop("Trips without the interpreter needed"),
        definition=gettext_noop("Trips that went in the period with an interpreter asked for and none approved."),
        formula="trips dated in the period with status departed or returned, an interpreter asked for, and no "
        "interpreter approved",
        unit="trips",
        breakdowns=(),
        source=SOURCE,
    ),
)


def asked(period: Period) -> QuerySet[TripCompanion]:
    return scoped(TripCompanion.objects.filter(trip__date__gte=period.start, trip__date__lte=period.as_of))


def trips_without_interpreter(period: Period) -> int:
    interpreters = TripCompanion.objects.filter(trip=OuterRef("pk"), role=Companion.Kind.INTERPRETER)
    return (
        scoped(Trip.objects.filter(date__gte=period.start, date__lte=period.as_of, status__in=WENT))
        .filter(Exists(interpreters))
        .exclude(Exists(interpreters.filter(answer=TripCompanion.Answer.APPROVED)))
        .count()
    )


def compute_companions(period: Period) -> Result:
    rows = (
        asked(period)
        .values("role")
        .annotate(
            asked=Count("id"),
            approved=Count("id", filter=Q(answer=TripCompanion.Answer.APPROVED)),
            rejected=Count("id", filter=Q(answer=TripCompanion.Answer.REJECTED)),
            substituted=Count("id", filter=Q(answer=TripCompanion.Answer.SUBSTITUTED)),
            no_answer=Count("id", filter=Q(answer__in=(TripCompanion.Answer.NO_ANSWER, TripCompanion.Answer.PENDING))),
        )
        .order_by("role")
    )
    by_role: dict[str, dict[str, Any]] = {str(row["role"]): dict(row) for row in rows}
    columns = [
        Column("role", "label"),
        Column("asked"),
        Column("approved"),
        Column("rejected"),
        Column("substituted"),
        Column("no_answer"),
        Column("approval_rate", "rate", numerators=("approved",), basis="asked"),
    ]

    def line(category: str, r: dict[str, Any]) -> list[Any]:
        return [
            category,
            r["asked"],
            r["approved"],
            r["rejected"],
            r["substituted"],
            r["no_answer"],
            core.rate(r["approved"], r["asked"]),
        ]

    keys = ("asked", "approved", "rejected", "substituted", "no_answer")
    total = {k: sum(r[k] for r in by_role.values()) for k in keys}
    refused = sum(int(by_role.get(role, {}).get(k, 0)) for role in CLINICAL_ROLES for k in ("rejected", "substituted"))
    table = Table(
        "companions.by_role",
        columns,
        [line(role, by_role[role]) for role in Companion.Kind.values if role in by_role],
        "companions.asked",
    )
    values = {
        "companions.asked": Value.of_count(total["asked"]),
        "companions.approved_rate": Value(
            core.rate(total["approved"], total["asked"]), total["asked"], numerators=(total["approved"],)
        ),
        "companions.interpreter_nurse_refused": Value.of_count(refused),
        "companions.trips_without_interpreter": Value.of_count(trips_without_interpreter(period)),
    }
    return Result(values, [table])


register(*COMPANIONS, compute=compute_companions)
