"""Sites, facilities, patients (pseudonymous; identities audited), referrals and access rules."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from corridor import sensitivity
from corridor.accounts.roles import Can
from corridor.errors import NotAllowed, NotFound
from corridor.ledger.models import Entry
from corridor.register import name_index
from corridor.register import services as register
from corridor.register.models import AccessRuleSet, Facility, Patient, PatientIdentity, Referral, Site
from corridor.register.scoping import visible
from corridor.transfers import deaths
from corridor.transfers.models import CompanionIdentity

from .core import Page, acting, allowed, page_of, reader, recorded, ref, requires, responses, user_of
from .schemas import (
    Code,
    Date,
    DeathIn,
    EntryRef,
    FacilityChange,
    FacilityIn,
    FacilityOut,
    Id,
    IdentityIn,
    IdentityOut,
    PageMeta,
    PatientChange,
    PatientIn,
    PatientOut,
    PatientStatusCode,
    Purpose,
    ReferralClose,
    ReferralIn,
    ReferralOut,
    ReferralStatusCode,
    RulesIn,
    RulesOut,
    SiteIn,
    SiteOut,
)

router = Router()


def _site(code: str, sites: QuerySet[Site] | None = None) -> Site:
    site = (Site.objects.all() if sites is None else sites).filter(code=code).first()
    if site is None:
        raise NotFound(_("no site with code %(site)r"), code="site.not_found", site=code)
    return site


def _facility(code: str) -> Facility:
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        raise NotFound(_("no facility with code %(facility)r"), code="facility.not_found", facility=code)
    return facility


def _my_site(request: HttpRequest, code: str) -> Site:
    """A site the caller works at: per-site records (patients, rules, trips) are read and written only there."""
    return _site(code, visible(Site.objects.all(), user_of(request)))


def _referral(request: HttpRequest, referral_id: Id) -> Referral:
    referral = (
        visible(Referral.objects.select_related("patient", "priority"), user_of(request)).filter(pk=referral_id).first()
    )
    if referral is None:
        raise NotFound(_("no referral %(referral)s"), code="referral.not_found", referral=referral_id)
    return referral


# --------------------------------------------------------------------------------------------- sites


class SitePage(PageMeta):
    items: list[SiteOut]


class SiteWritten(SiteOut):
    entry: EntryRef


def site_out(site: Site) -> dict[str, Any]:
    return {
        "code": site.code,
        "name": site.name,
        "names": site.names,
        "country": site.country,
        "population": site.population,
        "time_zone": site.time_zone,
    }


@router.get("/sites", response=responses(SitePage), tags=["register"])
def list_sites(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Camps and crossings."""
    reader(request)
    return page_of(Site.objects.order_by("code"), page, site_out)


@router.get("/sites/{code}", response=responses(SiteOut), tags=["register"])
def get_site(request: HttpRequest, code: Code) -> dict[str, Any]:
    reader(request)
    return site_out(_site(code))


@router.post("/sites", response=responses(SiteWritten, 201), tags=["register"], auth=requires(Can.MANAGE_REFERENCE))
def create_site(request: HttpRequest, data: SiteIn) -> Status[dict[str, Any]]:
    """Add a camp or crossing (admin)."""
    user = acting(request, Can.MANAGE_REFERENCE)
    site, entry = recorded(lambda: register.create_site(**data.dict(), by=user))
    return Status(201, {**site_out(site), "entry": entry})


# ---------------------------------------------------------------------------------------- facilities


class FacilityPage(PageMeta):
    items: list[FacilityOut]


class FacilityWritten(FacilityOut):
    entry: EntryRef


def facility_out(facility: Facility) -> dict[str, Any]:
    return {
        "code": facility.code,
        "name": facility.name,
        "names": facility.names,
        "specialties": facility.specialties,
        "opening_hours": facility.opening_hours,
        "travel_minutes": facility.travel_minutes,
        "closed_dates": facility.closed_dates,
    }


@router.get("/facilities", response=responses(FacilityPage), tags=["register"])
def list_facilities(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Hospitals outside the gate, with specialties, hours and travel time."""
    reader(request)
    return page_of(Facility.objects.order_by("code"), page, facility_out)


@router.get("/facilities/{code}", response=responses(FacilityOut), tags=["register"])
def get_facility(request: HttpRequest, code: Code) -> dict[str, Any]:
    reader(request)
    return facility_out(_facility(code))


@router.post(
    "/facilities", response=responses(FacilityWritten, 201), tags=["register"], auth=requires(Can.MANAGE_REFERENCE)
)
def create_facility(request: HttpRequest, data: FacilityIn) -> Status[dict[str, Any]]:
    """Add a hospital (admin)."""
    user = acting(request, Can.MANAGE_REFERENCE)
    fields = data.dict()
    facility, entry = recorded(lambda: register.create_facility(**fields, by=user))
    return Status(201, {**facility_out(facility), "entry": entry})


@router.patch(
    "/facilities/{code}", response=responses(FacilityWritten), tags=["register"], auth=requires(Can.MANAGE_REFERENCE)
)
def change_facility(request: HttpRequest, code: Code, data: FacilityChange) -> dict[str, Any]:
    """Change a hospital's details (admin); only the fields sent change."""
    user = acting(request, Can.MANAGE_REFERENCE)
    facility = _facility(code)
    changes = data.dict(exclude_none=True)
    facility, entry = recorded(lambda: register.change_facility(facility, by=user, **changes))
    return {**facility_out(facility), "entry": entry}


# ------------------------------------------------------------------------------------------ patients


class PatientPage(PageMeta):
    items: list[PatientOut]


class PatientWritten(PatientOut):
    entry: EntryRef


class PatientFilter(Schema):
    site: Code | None = None
    status: PatientStatusCode | None = None


def patient_out(patient: Patient) -> dict[str, Any]:
    return {
        "code": patient.code,
        "site": patient.site.code,
        "sex": patient.sex,
        "birth_year": patient.birth_year,
        "status": patient.status,
        "registered_on": patient.registered_on,
        "depends_on_power": patient.depends_on_power,
        "synthetic": patient.synthetic,
        "identity": None,
    }


def _patient(request: HttpRequest, code: str) -> Patient:
    patient = visible(Patient.objects.select_related("site"), user_of(request)).filter(code=code).first()
    if patient is None:
        raise NotFound(_("no patient with code %(patient)r"), code="patient.not_found", patient=code)
    return patient


def identity_out(request: HttpRequest, patient: Patient, purpose: str) -> dict[str, Any]:
    """Read a patient's identity through the audited service: the ledger records the reading first."""
    user = reader(request)
    # Admins and auditors only under a break-glass grant for this patient, which the service checks.
    if not allowed(request, Can.SEE_IDENTITIES) and not allowed(request, Can.BREAK_GLASS):
        raise NotAllowed(_("your role may not see identities"), code="identity.not_allowed")
    token = request.auth  # type: ignore[attr-defined]
    identity, entry = recorded(lambda: register.view_identity(patient, by=user, purpose=purpose, via_token=token))
    return {"patient": patient.code, **identity_fields(identity, entry)}


def identity_fields(identity: PatientIdentity | CompanionIdentity | None, viewed: EntryRef) -> dict[str, Any]:
    """A patient's or a companion's identity as read through the audited service, with the ``identity.viewed``
    entry that recorded the reading; none at all (no identity kept) reads as empty fields."""
    return {
        "full_name": identity.full_name if identity else None,
        "contact": identity.contact if identity else None,
        "notes": identity.notes if identity else None,
        "erased": bool(identity and identity.erased),
        "viewed_entry": viewed.seq,
    }


class NameSearchIn(Schema):
    query: str = Field(min_length=1, max_length=200, description="one or more words of the name, in any spelling")
    purpose: Purpose = Field(description="why the names are needed; recorded in the ledger")


class NameMatchOut(Schema):
    kind: Literal["patient", "companion"]
    code: str
    full_name: str
    site: str
    detail: str = Field(description="the patient's status or the companion's role")


class NameSearchOut(Schema):
    items: list[NameMatchOut]
    viewed_entry: int | None = Field(description="the identity.viewed entry recording this showing; none if nobody")


# Before the routes under /patients/{code}, which would otherwise take "search-by-name" for a code.
@router.post(
    "/patients/search-by-name",
    response=responses(NameSearchOut),
    tags=["patients"],
    auth=requires(Can.SEE_IDENTITIES),
)
def search_by_name(request: HttpRequest, data: NameSearchIn) -> dict[str, Any]:
    """Patients and companions of your sites whose name holds every word of ``query`` (Persian and Arabic
    spellings of a letter count as one), for roles that may see identities; recorded as ``identity.viewed``
    with ``purpose`` when it shows names. A POST, so the name searched for stays out of URLs and logs."""
    user = acting(request, Can.SEE_IDENTITIES)
    with transaction.atomic():
        found = name_index.search_by_name(
            query=data.query,
            purpose=data.purpose,
            by=user,
            via_token=request.auth,  # type: ignore[attr-defined]
        )
        entry = Entry.objects.filter(type="identity.viewed").order_by("-seq").first() if found else None
    return {"items": [vars(m) for m in found], "viewed_entry": entry.seq if entry else None}


@router.get("/patients", response=responses(PatientPage), tags=["patients"])
def list_patients(request: HttpRequest, page: Query[Page], filters: Query[PatientFilter]) -> dict[str, Any]:
    """Patients under their pseudonymous codes; never identity fields."""
    reader(request)
    patients = visible(Patient.objects.select_related("site"), user_of(request)).order_by("code")
    if filters.site:
        patients = patients.filter(site__code=filters.site)
    if filters.status:
        patients = patients.filter(status=filters.status)
    return page_of(patients, page, patient_out)


@router.get("/patients/{code}", response=responses(PatientOut), tags=["patients"])
def get_patient(request: HttpRequest, code: Code, with_identity: bool = False, purpose: Purpose = "") -> dict[str, Any]:
    """One patient. ``with_identity=true`` adds the identity fields for roles that may see them (an
    ``identity.viewed`` entry records the reading, with ``purpose``); other roles are refused."""
    reader(request)
    patient = _patient(request, code)
    out = patient_out(patient)
    if with_identity:
        out["identity"] = identity_out(request, patient, purpose)
    return out


@router.get("/patients/{code}/identity", response=responses(IdentityOut), tags=["patients"])
def get_identity(request: HttpRequest, code: Code, purpose: Purpose = "") -> dict[str, Any]:
    """A patient's identity fields, for roles that may see them; recorded as ``identity.viewed``."""
    reader(request)
    return identity_out(request, _patient(request, code), purpose)


@router.put(
    "/patients/{code}/identity", response=responses(EntryRef), tags=["patients"], auth=requires(Can.MANAGE_PATIENTS)
)
def put_identity(request: HttpRequest, code: Code, data: IdentityIn) -> EntryRef:
    """Replace a patient's identity fields (the ledger records which changed, never the values)."""
    user = acting(request, Can.MANAGE_PATIENTS)
    patient = _patient(request, code)
    _result, entry = recorded(lambda: register.change_identity(patient, identity=data.dict(), by=user))
    return entry


@router.post(
    "/patients", response=responses(PatientWritten, 201), tags=["patients"], auth=requires(Can.MANAGE_PATIENTS)
)
def register_patient(request: HttpRequest, data: PatientIn) -> Status[dict[str, Any]]:
    """Register a patient under a pseudonymous code, with identity fields if given (kept encrypted)."""
    user = acting(request, Can.MANAGE_PATIENTS)
    fields = data.dict()
    site = _my_site(request, fields.pop("site"))
    patient, entry = recorded(lambda: register.register_patient(site=site, **fields, by=user))
    return Status(201, {**patient_out(patient), "entry": entry})


@router.patch(
    "/patients/{code}", response=responses(PatientWritten), tags=["patients"], auth=requires(Can.MANAGE_PATIENTS)
)
def change_patient(request: HttpRequest, code: Code, data: PatientChange) -> dict[str, Any]:
    user = acting(request, Can.MANAGE_PATIENTS)
    patient = _patient(request, code)
    patient, entry = recorded(lambda: register.change_patient(patient, by=user, **data.dict(exclude_none=True)))
    return {**patient_out(patient), "entry": entry}


@router.post(
    "/patients/{code}/death",
    response=responses(PatientWritten, 201),
    tags=["patients"],
    auth=requires(Can.RECORD_INCIDENTS),
)
def record_death(request: HttpRequest, code: Code, data: DeathIn) -> Status[dict[str, Any]]:
    """A death while waiting; the patient's open referrals close as died, and they leave every trip still to
    leave after the day of death (a trip nobody is left on is cancelled). ``entry`` is the death's."""
    user = acting(request, Can.RECORD_INCIDENTS)
    death = deaths.record_death(_patient(request, code), by=user, **data.dict())
    return Status(201, {**patient_out(_patient(request, code)), "entry": ref(death.entry)})


# ----------------------------------------------------------------------------------------- referrals


class ReferralPage(PageMeta):
    items: list[ReferralOut]


class ReferralWritten(ReferralOut):
    entry: EntryRef


class ReferralFilter(Schema):
    status: ReferralStatusCode | None = None
    patient: Code | None = None
    priority: Code | None = None
    specialty: Code | None = None
    due_before: Date | None = None


def referral_out(referral: Referral, user: Any) -> dict[str, Any]:
    return {
        "id": referral.pk,
        "patient": referral.patient.code,
        "specialty": referral.specialty,
        "diagnosis_icd10": referral.diagnosis_icd10,
        "diagnosis": sensitivity.field_text(referral, "diagnosis", user),
        "priority": referral.priority.code,
        "referral_date": referral.referral_date,
        "due_date": referral.due_date,
        "fit_to_travel_from": referral.fit_to_travel_from,
        "eligible_facilities": sorted(f.code for f in referral.eligible_facilities.all()),
        "status": referral.status,
        "follow_up_due": referral.follow_up_due,
        "closed_on": referral.closed_on,
        "synthetic": referral.synthetic,
    }


@router.get("/referrals", response=responses(ReferralPage), tags=["referrals"])
def list_referrals(request: HttpRequest, page: Query[Page], filters: Query[ReferralFilter]) -> dict[str, Any]:
    """Referrals, oldest first; filter by status (``waiting``), patient, priority, specialty, due date."""
    reader(request)
    referrals = (
        visible(Referral.objects.select_related("patient", "priority"), user_of(request))
        .prefetch_related("eligible_facilities")
        .order_by("referral_date", "pk")
    )
    if filters.status:
        referrals = referrals.filter(status=filters.status)
    if filters.patient:
        referrals = referrals.filter(patient__code=filters.patient)
    if filters.priority:
        referrals = referrals.filter(priority__code=filters.priority)
    if filters.specialty:
        referrals = referrals.filter(specialty=filters.specialty)
    if filters.due_before:
        referrals = referrals.filter(due_date__lt=filters.due_before)
    return page_of(referrals, page, lambda r: referral_out(r, user_of(request)))


@router.get("/referrals/{referral_id}", response=responses(ReferralOut), tags=["referrals"])
def get_referral(request: HttpRequest, referral_id: Id) -> dict[str, Any]:
    reader(request)
    return referral_out(_referral(request, referral_id), user_of(request))


@router.post(
    "/referrals", response=responses(ReferralWritten, 201), tags=["referrals"], auth=requires(Can.MANAGE_REFERRALS)
)
def create_referral(request: HttpRequest, data: ReferralIn) -> Status[dict[str, Any]]:
    """Refer a patient; the due date is the referral date plus the priority class's deadline."""
    user = acting(request, Can.MANAGE_REFERRALS)
    fields = data.dict()
    patient = _patient(request, fields.pop("patient"))
    referral, entry = recorded(lambda: register.create_referral(patient=patient, **fields, by=user))
    return Status(201, {**referral_out(_referral(request, referral.pk), user_of(request)), "entry": entry})


@router.post(
    "/referrals/{referral_id}/close",
    response=responses(ReferralWritten),
    tags=["referrals"],
    auth=requires(Can.MANAGE_REFERRALS),
)
def close_referral(request: HttpRequest, referral_id: Id, data: ReferralClose) -> dict[str, Any]:
    """Take a referral off the waiting list: treated, died, left or withdrawn."""
    user = acting(request, Can.MANAGE_REFERRALS)
    referral = _referral(request, referral_id)
    _result, entry = recorded(lambda: register.close_referral(referral, by=user, **data.dict()))
    return {**referral_out(_referral(request, referral.pk), user_of(request)), "entry": entry}


# ------------------------------------------------------------------------------------ access rules


class RulesPage(PageMeta):
    items: list[RulesOut]


class RulesWritten(RulesOut):
    entry: EntryRef


def rules_out(rules: AccessRuleSet) -> dict[str, Any]:
    return {
        "id": rules.pk,
        "site": rules.site.code,
        "effective_from": rules.effective_from,
        "effective_until": rules.effective_until,
        "max_patients_per_day": rules.max_patients_per_day,
        "max_escorts_per_day": rules.max_escorts_per_day,
        "max_facilities_per_day": rules.max_facilities_per_day,
        "allowed_weekdays": rules.allowed_weekdays,
        "camp_chooses_patients": rules.camp_chooses_patients,
        "camp_chooses_escorts": rules.camp_chooses_escorts,
        "camp_chooses_doctor": rules.camp_chooses_doctor,
        "camp_chooses_appointment_time": rules.camp_chooses_appointment_time,
        "camp_chooses_interpreter": rules.camp_chooses_interpreter,
        "camp_chooses_nurse": rules.camp_chooses_nurse,
        "notes": rules.notes,
        "source": rules.source,
        "certainty": rules.certainty,
        "recorded_seq": rules.recorded_seq,
    }


@router.get("/sites/{code}/rules", response=responses(RulesPage), tags=["access rules"])
def list_rules(request: HttpRequest, code: Code, page: Query[Page]) -> dict[str, Any]:
    """Every set of access rules recorded for a site, oldest first."""
    reader(request)
    site = _my_site(request, code)
    return page_of(AccessRuleSet.objects.filter(site=site).select_related("site"), page, rules_out)


@router.get("/sites/{code}/rules/in-force", response=responses(RulesOut), tags=["access rules"])
def rules_in_force(request: HttpRequest, code: Code, on: Date | None = None) -> dict[str, Any]:
    """The rules in force on a date (default today by Corridor's clock)."""
    from corridor import clock

    reader(request)
    site = _my_site(request, code)
    day = on or clock.today()
    rules = register.rules_in_force(site, day)
    if rules is None:
        raise NotFound(
            _("no access rules are recorded for %(site)s on %(day)s"),
            code="rules.none_recorded",
            site=site.code,
            day=day,
        )
    return rules_out(rules)


@router.post(
    "/sites/{code}/rules", response=responses(RulesWritten, 201), tags=["access rules"], auth=requires(Can.CHANGE_RULES)
)
def set_rules(request: HttpRequest, code: Code, data: RulesIn) -> Status[dict[str, Any]]:
    """Record the gate's rules from a date on (earlier sets stay; the newest covering a date wins)."""
    user = acting(request, Can.CHANGE_RULES)
    site = _my_site(request, code)
    rules, entry = recorded(lambda: register.set_access_rules(site=site, by=user, **data.dict()))
    return Status(201, {**rules_out(rules), "entry": entry})
