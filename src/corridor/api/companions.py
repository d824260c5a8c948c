"""Companions: the roster of camp escorts, interpreters and nurses, and the ones asked for on each trip.

Every write checks the caller's role first, then looks up what the request names, then calls the
service of :mod:`corridor.transfers.companions`, which writes the state and its ledger entry together.
Identities are never listed; a role that may see them reads one through the audited service.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from corridor import vocabulary
from corridor.accounts.roles import Can
from corridor.errors import NotAllowed, NotFound
from corridor.register.scoping import visible
from corridor.transfers import companions as service
from corridor.transfers.models import Companion, TripCompanion

from .core import Page, acting, allowed, page_of, reader, recorded, requires, responses, user_of
from .register import _my_site, _patient, identity_fields
from .schemas import Code, Date, EntryRef, Evidence, Id, IdentityIn, Moment, PageMeta, Paragraph, Purpose, SourceCode
from .transfers import _trip_alone

router = Router()

if TYPE_CHECKING:
    KindCode = str
    AnswerCode = str
else:
    KindCode = vocabulary.enum("companion_kind")
    AnswerCode = vocabulary.enum("companion_answer")


class CompanionOut(Schema):
    code: str
    site: str
    kind: str
    registered_on: dt.date
    synthetic: bool


class CompanionPage(PageMeta):
    items: list[CompanionOut]


class CompanionIn(Evidence):
    site: Code
    code: Code
    kind: KindCode
    registered_on: Date
    identity: IdentityIn | None = None
    source: SourceCode = SourceCode("document")


class CompanionWritten(CompanionOut):
    entry: EntryRef


class CompanionIdentityOut(Schema):
    companion: str
    full_name: str | None
    contact: str | None
    notes: str | None
    erased: bool = Field(False, description='the identity was erased: each field reads "erased" (docs/privacy.md)')
    viewed_entry: int = Field(description="the identity.viewed ledger entry that records this reading")


class TripCompanionOut(Schema):
    trip: int
    companion: str
    role: str
    for_patient: str
    camp_may_choose: bool
    answer: str
    answer_note: str


class TripCompanionList(Schema):
    items: list[TripCompanionOut]


class TripCompanionWritten(TripCompanionOut):
    entry: EntryRef


class AskIn(Evidence):
    companion: Code
    for_patient: Code
    role: KindCode | None = None
    note: Paragraph = ""
    at: Moment | None = None
    source: SourceCode = SourceCode("system")


class CompanionAnswerIn(Evidence):
    answer: AnswerCode
    note: Paragraph = ""
    at: Moment | None = None
    source: SourceCode = SourceCode("official_statement")


def companion_out(companion: Companion) -> dict[str, Any]:
    return {
        "code": companion.code,
        "site": companion.site.code,
        "kind": companion.kind,
        "registered_on": companion.registered_on,
        "synthetic": companion.synthetic,
    }


def asked_out(asked: TripCompanion) -> dict[str, Any]:
    return {
        "trip": asked.trip_id,
        "companion": asked.companion.code,
        "role": asked.role,
        "for_patient": asked.for_patient.code,
        "camp_may_choose": asked.camp_may_choose,
        "answer": asked.answer,
        "answer_note": asked.answer_note,
    }


def _companion(request: HttpRequest, code: str) -> Companion:
    companion = visible(Companion.objects.select_related("site"), user_of(request)).filter(code=code).first()
    if companion is None:
        raise NotFound(_("no companion with code %(companion)r"), code="companion.not_found", companion=code)
    return companion


@router.get("/companions", response=responses(CompanionPage), tags=["companions"])
def list_companions(request: HttpRequest, page: Query[Page], site: Code | None = None) -> dict[str, Any]:
    """The roster: pseudonymous codes and roles, never identities."""
    reader(request)
    roster = visible(Companion.objects.select_related("site"), user_of(request)).order_by("code")
    if site:
        roster = roster.filter(site__code=site)
    return page_of(roster, page, companion_out)


@router.post(
    "/companions",
    response=responses(CompanionWritten, 201),
    tags=["companions"],
    auth=requires(Can.MANAGE_PATIENTS),
)
def create_companion(request: HttpRequest, data: CompanionIn) -> Status[dict[str, Any]]:
    """Put a camp escort, interpreter or nurse on the roster; the identity is stored encrypted."""
    user = acting(request, Can.MANAGE_PATIENTS)
    site = _my_site(request, data.site)
    companion, entry = recorded(
        lambda: service.register_companion(
            site=site,
            code=data.code,
            kind=data.kind,
            registered_on=data.registered_on,
            identity=data.identity.dict() if data.identity else None,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, {**companion_out(companion), "entry": entry})


@router.get("/companions/{code}/identity", response=responses(CompanionIdentityOut), tags=["companions"])
def get_companion_identity(request: HttpRequest, code: Code, purpose: Purpose = "") -> dict[str, Any]:
    """A companion's identity fields, for roles that may see them; recorded as ``identity.viewed``."""
    user = reader(request)
    if not allowed(request, Can.SEE_IDENTITIES):
        raise NotAllowed(_("your role may not see identities"), code="identity.not_allowed")
    companion = _companion(request, code)
    identity, entry = recorded(lambda: service.view_companion_identity(companion, by=user, purpose=purpose))
    return {"companion": companion.code, **identity_fields(identity, entry)}


@router.get("/trips/{trip_id}/companions", response=responses(TripCompanionList), tags=["companions"])
def list_trip_companions(request: HttpRequest, trip_id: Id) -> dict[str, Any]:
    """The companions asked for on a trip, per patient, with the authority's answer about each."""
    reader(request)
    trip = _trip_alone(request, trip_id)
    rows = trip.companions.select_related("companion", "for_patient").order_by("for_patient__code", "role", "id")
    return {"items": [asked_out(a) for a in rows]}


@router.post(
    "/trips/{trip_id}/companions",
    response=responses(TripCompanionWritten, 201),
    tags=["companions"],
    auth=requires(Can.MANAGE_TRIPS),
)
def ask_companion(request: HttpRequest, trip_id: Id, data: AskIn) -> Status[dict[str, Any]]:
    """The camp asks for a companion to go with one patient on the trip."""
    user = acting(request, Can.MANAGE_TRIPS)
    trip, companion, patient = (
        _trip_alone(request, trip_id),
        _companion(request, data.companion),
        _patient(request, data.for_patient),
    )
    asked, entry = recorded(
        lambda: service.ask_companion(
            trip,
            companion=companion,
            for_patient=patient,
            role=data.role,
            note=data.note,
            by=user,
            source=data.source,
            certainty=data.certainty,
            at=data.at,
        )
    )
    return Status(201, {**asked_out(asked), "entry": entry})


@router.post(
    "/trips/{trip_id}/companions/{code}/answer",
    response=responses(TripCompanionWritten),
    tags=["companions"],
    auth=requires(Can.MANAGE_TRIPS),
)
def answer_companion(request: HttpRequest, trip_id: Id, code: Code, data: CompanionAnswerIn) -> dict[str, Any]:
    """The authority's answer about one companion: approved, rejected, substituted or no answer."""
    user = acting(request, Can.MANAGE_TRIPS)
    trip, companion = _trip_alone(request, trip_id), _companion(request, code)
    asked, entry = recorded(
        lambda: service.record_companion_answer(
            trip,
            companion=companion,
            answer=data.answer,
            note=data.note,
            by=user,
            source=data.source,
            certainty=data.certainty,
            at=data.at,
        )
    )
    return {**asked_out(asked), "entry": entry}
