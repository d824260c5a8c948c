"""Companions: the camp's escorts, interpreters and nurses, asked for on trips, and the authority's answers.

The roster holds camp people under pseudonymous codes; who they are is kept apart and encrypted as
patients' identities are (only roles that may see identities read it, and every read is in the
ledger). On a trip the camp asks, per patient, for the companions that patient needs; the authority
answers about each person: approved, rejected, substituted by one of its own choosing, or no answer.
Each step is one service that writes the state and its ledger entry in one transaction. Whether the
camp may choose a role is read from the rules in force on the trip's date and recorded with the ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.register import services as register
from corridor.register.models import AccessRuleSet, Patient, Site
from corridor.register.name_index import index_companion
from corridor.register.scoping import require_site
from corridor.transfers.models import Companion, CompanionIdentity, Trip, TripCompanion, TripPassenger
from corridor.transfers.services import ACTIVE, _when, check_trip_moment

KINDS = tuple(Companion.Kind.values)
ANSWERS = tuple(a for a in TripCompanion.Answer.values if a != TripCompanion.Answer.PENDING)
# Trips whose companions may still be asked for: the camp asks before the trip leaves.
ASKABLE = (Trip.Status.REQUESTED, Trip.Status.APPROVED)
# Trips whose companions may be answered about: the answer can come late, even after the trip.
ANSWERABLE = (*ASKABLE, Trip.Status.DENIED, Trip.Status.CANCELLED, Trip.Status.DEPARTED, Trip.Status.RETURNED)


def camp_may_choose(rules: AccessRuleSet | None, role: str) -> bool:
    """Whether the rules in force let the camp choose who goes in ``role`` (no rules: it may not)."""
    if rules is None:
        return False
    return {
        Companion.Kind.ESCORT: rules.camp_chooses_escorts,
        Companion.Kind.INTERPRETER: rules.camp_chooses_interpreter,
        Companion.Kind.NURSE: rules.camp_chooses_nurse,
    }[Companion.Kind(role)]


def register_companion(
    *,
    site: Site,
    code: str,
    kind: str,
    registered_on: dt.date,
    identity: dict[str, str] | None = None,
    synthetic: bool = False,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
) -> Companion:
    """Put a camp escort, interpreter or nurse on the roster under a pseudonymous code.

    ``identity`` (full_name, contact, notes) goes to its own encrypted table, never to the ledger.
    """
    require(by, Can.MANAGE_PATIENTS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    code = register._code(code, "code")
    if kind not in KINDS:
        raise InvalidInput(
            _("must be one of %(choices)s"), "kind", code="companion.unknown_kind", choices=", ".join(KINDS)
        )
    registered_on = clock.check_day("registered_on", register._date(registered_on, "registered_on"))
    register._evidence(source, certainty)
    fields = register._identity_fields(identity) if identity else None
    with transaction.atomic():
        if Companion.objects.filter(code=code).exists() or Patient.objects.filter(code=code).exists():
            raise Conflict(_("the code %(code_taken)s is already in use"), code="companion.code_taken", code_taken=code)
        companion = Companion.objects.create(
            site=site, code=code, kind=kind, registered_on=registered_on, synthetic=synthetic
        )
        if fields:
            CompanionIdentity.objects.create(companion=companion, **fields)
            index_companion(companion, fields["full_name"])
        ledger.append(
            "companion.registered",
            by=by,
            subjects=[f"companion:{code}", f"site:{site.code}"],
            payload={
                "companion": code,
                "site": site.code,
                "kind": kind,
                "registered_on": registered_on.isoformat(),
                "synthetic": synthetic,
                "has_identity": bool(fields),
            },
            source=source,
            certainty=certainty,
            occurred_on=registered_on,  # known by its date only: never a made-up hour
        )
    return companion


def view_companion_identity(companion: Companion, *, by: Actor, purpose: str = "") -> CompanionIdentity | None:
    """A companion's identity for display, recording who saw it in the ledger first. As for a patient's,
    every reading says why: an empty purpose is refused before anything is shown or written."""
    require(by, Can.SEE_IDENTITIES)
    purpose = register._text(purpose, "purpose")
    require_site(by, companion.site_id, "companion")
    with transaction.atomic():
        identity = CompanionIdentity.objects.filter(companion=companion).first()
        ledger.append(
            "identity.viewed",
            by=by,
            subjects=[f"companion:{companion.code}"],
            payload={"companion": companion.code, "purpose": purpose},
        )
    return identity


def get_companion(code: str) -> Companion:
    try:
        return Companion.objects.get(code=code)
    except Companion.DoesNotExist:
        raise InvalidInput(
            _("no companion with code %(companion)s"), "companion", code="companion.not_found", companion=code
        ) from None


def _subjects(trip: Trip, companion: Companion, patient: Patient) -> list[str]:
    return [f"trip:{trip.pk}", f"companion:{companion.code}", f"patient:{patient.code}"]


def _locked(trip: Trip, states: Container[str], message: str, code: str, at: dt.datetime | dt.date | None) -> Trip:
    """``trip`` read again under its row lock (the caller holds the transaction), refused with ``message``
    and ``code`` unless its status is one of ``states``; ``at``, if given, checked as a moment of its day.

    Asked of the locked row, never the caller's copy, so that a step recorded meanwhile is seen.
    """
    locked = Trip.objects.select_for_update().select_related("site", "facility").get(pk=trip.pk)
    if locked.status not in states:
        raise Conflict(message, code=code, trip=locked.code, status=locked.status)
    if at is not None:
        check_trip_moment(locked, "at", at)
    return locked


def ask_companion(
    trip: Trip,
    *,
    companion: Companion,
    for_patient: Patient,
    role: str | None = None,
    note: str = "",
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
) -> TripCompanion:
    """The camp asks for ``companion`` to go with ``for_patient`` on ``trip`` (as ``role``, by default the
    companion's own kind). Refused when the trip has left, the patient is not on it, the companion is
    already asked for, or an escort would exceed the escorts a day the rules allow."""
    require(by, Can.MANAGE_TRIPS)
    register._evidence(source, certainty)
    role = role or companion.kind
    if role not in KINDS:
        raise InvalidInput(
            _("must be one of %(choices)s"), "role", code="companion.unknown_role", choices=", ".join(KINDS)
        )
    note = register._text(note, "note", required=False, max_length=2000)
    with transaction.atomic():
        trip = _locked(
            trip,
            ASKABLE,
            _("trip %(trip)s is %(status)s; companions are asked for before it leaves"),
            "companion.trip_left",
            at,
        )
        if companion.site_id != trip.site_id:
            raise InvalidInput(
                _("%(companion)s is not on %(site)s's roster"),
                "companion",
                code="companion.other_site",
                companion=companion.code,
                site=trip.site.code,
            )
        on_board = TripPassenger.objects.filter(
            trip=trip, patient=for_patient, role=TripPassenger.Role.PATIENT, removed=False
        ).exists()
        if not on_board:
            raise InvalidInput(
                _("%(patient)s is not a patient on trip %(trip)s"),
                "for_patient",
                code="companion.patient_not_on_trip",
                patient=for_patient.code,
                trip=trip.code,
            )
        if TripCompanion.objects.filter(trip=trip, companion=companion).exists():
            raise Conflict(
                _("%(companion)s is already asked for on trip %(trip)s"),
                code="companion.already_asked",
                companion=companion.code,
                trip=trip.code,
            )
        rules = AccessRuleSet.in_force(trip.site, trip.date)
        if role == Companion.Kind.ESCORT and rules is not None:
            same_day = Trip.objects.filter(site=trip.site, date=trip.date, status__in=ACTIVE)
            escorts = (
                TripPassenger.objects.filter(trip__in=same_day, role=TripPassenger.Role.ESCORT, removed=False).count()
                + TripCompanion.objects.filter(trip__in=same_day, role=Companion.Kind.ESCORT)
                .exclude(answer__in=(TripCompanion.Answer.REJECTED, TripCompanion.Answer.SUBSTITUTED))
                .count()
            )
            if escorts + 1 > rules.max_escorts_per_day:
                raise InvalidInput(
                    _("escorts a day the rules allow: %(limit)s"),
                    "companion",
                    code="trip.over_escorts_per_day",
                    limit=rules.max_escorts_per_day,
                )
        may_choose = camp_may_choose(rules, role)
        asked = TripCompanion.objects.create(
            trip=trip, companion=companion, for_patient=for_patient, role=role, camp_may_choose=may_choose
        )
        ledger.append(
            "trip.companion_asked",
            by=by,
            subjects=_subjects(trip, companion, for_patient),
            payload={
                "trip": trip.pk,
                "date": trip.date.isoformat(),
                "companion": companion.code,
                "role": role,
                "for": for_patient.code,
                "camp_may_choose": may_choose,
                "note": note,
            },
            source=source,
            certainty=certainty,
            **_when(at),  # None: now, on Corridor's clock; a date alone: stored with date precision
        )
    return asked


def record_companion_answer(
    trip: Trip,
    *,
    companion: Companion,
    answer: str,
    note: str = "",
    by: Actor,
    source: str = Source.OFFICIAL_STATEMENT,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
    extra: dict[str, Any] | None = None,
) -> TripCompanion:
    """The authority's answer about one companion asked for on ``trip``: approved, rejected, substituted
    (it sent someone of its own choosing; ``note`` says who, by role, never by name) or no answer."""
    require(by, Can.MANAGE_TRIPS)
    register._evidence(source, certainty)
    if answer not in ANSWERS:
        raise InvalidInput(
            _("must be one of %(choices)s"), "answer", code="companion.unknown_answer", choices=", ".join(ANSWERS)
        )
    note = register._text(note, "note", required=False, max_length=2000)
    with transaction.atomic():
        trip = _locked(
            trip,
            ANSWERABLE,
            _("trip %(trip)s is %(status)s; no answer can be recorded"),
            "companion.trip_not_answerable",
            at,
        )
        try:
            asked = TripCompanion.objects.select_related("for_patient").get(trip=trip, companion=companion)
        except TripCompanion.DoesNotExist:
            raise InvalidInput(
                _("%(companion)s was not asked for on trip %(trip)s"),
                "companion",
                code="companion.not_asked",
                companion=companion.code,
                trip=trip.code,
            ) from None
        if asked.answer != TripCompanion.Answer.PENDING:
            raise Conflict(
                _(
                    "the answer about %(companion)s on trip %(trip)s is already recorded (%(answer)s); "
                    "correct it instead"
                ),
                code="companion.answered",
                companion=companion.code,
                trip=trip.code,
                answer=asked.answer,
            )
        asked.answer = answer
        asked.answer_note = note
        asked.save(update_fields=["answer", "answer_note"])
        ledger.append(
            "trip.companion_answered",
            by=by,
            subjects=_subjects(trip, companion, asked.for_patient),
            payload={
                **(extra or {}),
                "trip": trip.pk,
                "date": trip.date.isoformat(),
                "companion": companion.code,
                "role": asked.role,
                "for": asked.for_patient.code,
                "answer": answer,
                "camp_may_choose": asked.camp_may_choose,
                "note": note,
            },
            source=source,
            certainty=certainty,
            **_when(at),
        )
    return asked
