"""Every change to the register, each with its ledger entry in the same transaction.

Each function validates its input first and raises :class:`corridor.errors.InvalidInput` (naming the
field), :class:`NotAllowed` or :class:`Conflict` before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop as _

from corridor import clock, validate
from corridor.accounts.roles import Actor, Can, can, require
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register.crypto import is_erased
from corridor.register.models import (
    AccessRuleSet,
    Facility,
    Patient,
    PatientIdentity,
    PriorityClass,
    Referral,
    Site,
    Specialty,
)
from corridor.register.name_index import index_patient
from corridor.register.scoping import require_site
from corridor.validate import code as _code
from corridor.validate import date as _date
from corridor.validate import evidence as _evidence

_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

DEFAULT_PRIORITY_CLASSES = (
    # code, name, deadline in days, weight, rank
    ("P1", "emergency", 1, 10, 1),
    ("P2", "urgent", 14, 5, 2),
    ("P3", "soon", 30, 2, 3),
    ("P4", "routine", 90, 1, 4),
)


def _text(value: str | None, field: str, *, required: bool = True, max_length: int = 200) -> str:
    return validate.text(value, field, required=required, max_length=max_length)


def _specialties(values: Iterable[str], field: str = "specialties") -> list[str]:
    chosen = list(dict.fromkeys(values))
    unknown = [v for v in chosen if v not in Specialty.values]
    if unknown:
        raise InvalidInput(
            _("unknown specialty %(specialty)r; use one of %(choices)s"),
            field,
            code="specialty.unknown",
            specialty=unknown[0],
            choices=", ".join(Specialty.values),
        )
    if not chosen:
        raise InvalidInput(_("name at least one specialty"), field, code="facility.no_specialty")
    return chosen


def _opening_hours(hours: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    clean: dict[str, list[str]] = {}
    for key, span in (hours or {}).items():
        if str(key) not in {str(d) for d in range(7)}:
            raise InvalidInput(
                _("weekday %(weekday)r must be %(first)s (Monday) to %(last)s (Sunday)"),
                "opening_hours",
                code="hours.unknown_weekday",
                weekday=key,
                first=0,
                last=6,
            )
        if not span:
            continue
        if len(span) != 2 or not all(isinstance(t, str) and _HHMM.match(t) for t in span):
            raise InvalidInput(
                _("weekday %(weekday)s: give opening and closing time as HH:MM"),
                "opening_hours",
                code="hours.not_hh_mm",
                weekday=key,
            )
        if span[0] >= span[1]:
            raise InvalidInput(
                _("weekday %(weekday)s: closing time must be after opening time"),
                "opening_hours",
                code="hours.closing_before_opening",
                weekday=key,
            )
        clean[str(key)] = [span[0], span[1]]
    return clean


def _time_zone(name: str) -> str:
    """``name`` if it is a time zone this machine knows (the same refusal for a new site and a changed one)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            _("unknown time zone %(zone)r"), "time_zone", code="site.unknown_time_zone", zone=name
        ) from None
    return name


def _travel_minutes(minutes: int) -> int:
    """``minutes`` if it is a whole number of minutes within a day (a new hospital's or a changed one's)."""
    if not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60:
        raise InvalidInput(
            _("must be a whole number of minutes between %(least)s and %(most)s"),
            "travel_minutes",
            code="facility.bad_travel_minutes",
            least=0,
            most=1440,
        )
    return minutes


# ---------------------------------------------------------------------------------------------- sites


def create_site(
    *,
    code: str,
    name: str,
    country: str,
    population: int = 0,
    time_zone: str = "UTC",
    names: Mapping[str, str] | None = None,
    by: Actor,
) -> Site:
    """Add a camp or crossing to the register, with its name in Persian and Arabic if given."""
    require(by, Can.MANAGE_REFERENCE)
    code = _code(code, "code")
    name = _text(name, "name")
    other_names = validate.names(names)
    country = (country or "").strip().upper()
    if not re.match(r"^[A-Z]{2}$", country):
        raise InvalidInput(_("use the two-letter ISO 3166 code"), "country", code="site.unknown_country")
    if not isinstance(population, int) or population < 0:
        raise InvalidInput(_("must be a whole number, zero or more"), "population", code="site.bad_population")
    _time_zone(time_zone)
    with transaction.atomic():
        if Site.objects.filter(code=code).exists():
            raise Conflict(_("a site with code %(site)s already exists"), code="site.exists", site=code)
        site = Site.objects.create(
            code=code, name=name, names=other_names, country=country, population=population, time_zone=time_zone
        )
        ledger.append(
            "site.created",
            by=by,
            subjects=[f"site:{code}"],
            payload={
                "site": code,
                "name": name,
                "names": other_names,
                "country": country,
                "population": population,
                "time_zone": time_zone,
            },
        )
    return site


def change_site(
    site: Site,
    *,
    by: Actor,
    name: str | None = None,
    names: Mapping[str, str] | None = None,
    population: int | None = None,
    time_zone: str | None = None,
) -> Site:
    """Change a site's name (or its names in other languages, all given anew), population or time zone.

    The ledger entry lists the new values of what changed.
    """
    require(by, Can.MANAGE_REFERENCE)
    changes = validate.name_changes(name, names)
    if population is not None:
        if not isinstance(population, int) or isinstance(population, bool) or population < 0:
            raise InvalidInput(_("must be a whole number, zero or more"), "population", code="site.bad_population")
        changes["population"] = population
    if time_zone is not None:
        changes["time_zone"] = _time_zone(time_zone)
    _save_changes(site, "site", changes, by=by)
    return site


def _save_changes(record: Site | Facility | Patient, kind: str, changes: dict[str, Any], *, by: Actor) -> None:
    """Set the fields of ``changes`` that differ from ``record``'s and append ``KIND.changed`` naming them, in
    one transaction; refuse, writing nothing, when none differs (the entry holds only what changed)."""
    changes = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changes:
        raise InvalidInput(_("nothing to change"), code="change.nothing")
    with transaction.atomic():
        for key, value in changes.items():
            setattr(record, key, value)
        record.save(update_fields=list(changes))
        ledger.append(
            f"{kind}.changed", by=by, subjects=[f"{kind}:{record.code}"], payload={kind: record.code, **changes}
        )


# ----------------------------------------------------------------------------------------- facilities


def create_facility(
    *,
    code: str,
    name: str,
    specialties: Iterable[str],
    opening_hours: Mapping[str, Sequence[str]] | None = None,
    travel_minutes: int = 60,
    closed_dates: Iterable[str | dt.date] = (),
    names: Mapping[str, str] | None = None,
    by: Actor,
) -> Facility:
    """Add a hospital with its specialties, opening hours per weekday and travel time from the site.

    ``names`` gives its name in Persian and Arabic ({"fa": …, "ar": …}), each optional.
    """
    require(by, Can.MANAGE_REFERENCE)
    code = _code(code, "code")
    name = _text(name, "name")
    other_names = validate.names(names)
    chosen = _specialties(specialties)
    hours = _opening_hours(opening_hours)
    _travel_minutes(travel_minutes)
    closed = sorted({_date(d, "closed_dates").isoformat() for d in closed_dates})
    with transaction.atomic():
        if Facility.objects.filter(code=code).exists():
            raise Conflict(_("a facility with code %(facility)s already exists"), code="facility.exists", facility=code)
        facility = Facility.objects.create(
            code=code,
            name=name,
            names=other_names,
            specialties=chosen,
            opening_hours=hours,
            travel_minutes=travel_minutes,
            closed_dates=closed,
        )
        ledger.append(
            "facility.created",
            by=by,
            subjects=[f"facility:{code}"],
            payload={
                "facility": code,
                "name": name,
                "names": other_names,
                "specialties": chosen,
                "opening_hours": hours,
                "travel_minutes": travel_minutes,
                "closed_dates": closed,
            },
        )
    return facility


def change_facility(
    facility: Facility,
    *,
    by: Actor,
    name: str | None = None,
    names: Mapping[str, str] | None = None,
    specialties: Iterable[str] | None = None,
    opening_hours: Mapping[str, Sequence[str]] | None = None,
    travel_minutes: int | None = None,
    closed_dates: Iterable[str | dt.date] | None = None,
) -> Facility:
    """Change a hospital's details; ``names`` replaces all its other-language names at once.

    The ledger entry lists the new values of what changed.
    """
    require(by, Can.MANAGE_REFERENCE)
    changes = validate.name_changes(name, names)
    if specialties is not None:
        changes["specialties"] = _specialties(specialties)
    if opening_hours is not None:
        changes["opening_hours"] = _opening_hours(opening_hours)
    if travel_minutes is not None:
        changes["travel_minutes"] = _travel_minutes(travel_minutes)
    if closed_dates is not None:
        changes["closed_dates"] = sorted({_date(d, "closed_dates").isoformat() for d in closed_dates})
    _save_changes(facility, "facility", changes, by=by)
    return facility


# ------------------------------------------------------------------------------------ priority classes


def ensure_priority_classes(*, by: Actor) -> list[PriorityClass]:
    """Create the default table (P1 1 day … P4 90 days) where a class is missing; change nothing else."""
    created = []
    with transaction.atomic():
        for code, name, deadline, weight, rank in DEFAULT_PRIORITY_CLASSES:
            if not PriorityClass.objects.filter(code=code).exists():
                created.append(
                    set_priority_class(code=code, name=name, deadline_days=deadline, weight=weight, rank=rank, by=by)
                )
    return created


def set_priority_class(*, code: str, name: str, deadline_days: int, weight: int, rank: int, by: Actor) -> PriorityClass:
    """Create or change a priority class. Existing referrals keep the due date they were given."""
    require(by, Can.MANAGE_REFERENCE)
    code = _code(code, "code")
    name = _text(name, "name", max_length=64)
    for field, value, low in (("deadline_days", deadline_days, 0), ("weight", weight, 1), ("rank", rank, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidInput(
                _("must be a whole number, at least %(least)s"), field, code="priority.too_small", least=low
            )
    with transaction.atomic():
        priority, _created = PriorityClass.objects.update_or_create(
            code=code, defaults={"name": name, "deadline_days": deadline_days, "weight": weight, "rank": rank}
        )
        ledger.append(
            "priority.changed",
            by=by,
            subjects=[f"priority:{code}"],
            payload={
                "priority": code,
                "name": name,
                "deadline_days": deadline_days,
                "weight": weight,
                "rank": rank,
            },
        )
    return priority


# ------------------------------------------------------------------------------------------- patients

SEXES = {choice.value for choice in Patient.Sex}


def register_patient(
    *,
    site: Site,
    code: str,
    registered_on: dt.date,
    sex: str = Patient.Sex.UNKNOWN,
    birth_year: int | None = None,
    identity: dict[str, str] | None = None,
    depends_on_power: bool = False,
    synthetic: bool = False,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
) -> Patient:
    """Register a patient under a pseudonymous code; identity fields go to their own table, never the ledger."""
    require(by, Can.MANAGE_PATIENTS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    code = _code(code, "code")
    registered_on = clock.check_day("registered_on", _date(registered_on, "registered_on"))
    _sex(sex)
    if birth_year is not None:
        _birth_year(birth_year, registered_on)
    _evidence(source, certainty)
    identity_fields = _identity_fields(identity) if identity else None
    with transaction.atomic():
        if Patient.objects.filter(code=code).exists():
            raise Conflict(_("a patient with code %(patient)s already exists"), code="patient.exists", patient=code)
        patient = Patient.objects.create(
            site=site,
            code=code,
            sex=sex,
            birth_year=birth_year,
            registered_on=registered_on,
            depends_on_power=depends_on_power,
            synthetic=synthetic,
        )
        if identity_fields:
            PatientIdentity.objects.create(patient=patient, **identity_fields)
            index_patient(patient, identity_fields["full_name"])
        ledger.append(
            "patient.registered",
            by=by,
            subjects=[f"patient:{code}", f"site:{site.code}"],
            payload={
                "patient": code,
                "site": site.code,
                "sex": sex,
                "birth_year": birth_year,
                "depends_on_power": depends_on_power,
                "synthetic": synthetic,
                "has_identity": bool(identity_fields),
            },
            source=source,
            certainty=certainty,
            occurred_on=registered_on,
        )
    return patient


def _sex(sex: str) -> str:
    if sex not in SEXES:
        raise InvalidInput(
            _("must be one of %(choices)s"), "sex", code="patient.unknown_sex", choices=", ".join(sorted(SEXES))
        )
    return sex


def _birth_year(birth_year: int, registered_on: dt.date) -> int:
    """A birth year from 1900 to the year the patient was registered (nobody is registered before birth)."""
    if not isinstance(birth_year, int) or not 1900 <= birth_year <= registered_on.year:
        raise InvalidInput(
            _("must be a year between %(first_year)s and %(last_year)s"),
            "birth_year",
            code="patient.bad_birth_year",
            first_year=1900,
            last_year=registered_on.year,
        )
    return birth_year


def _identity_fields(identity: dict[str, str]) -> dict[str, str]:
    allowed = {"full_name", "contact", "notes"}
    unknown = set(identity) - allowed
    if unknown:
        raise InvalidInput(
            _("unknown identity field %(name)r"), "identity", code="identity.unknown_field", name=sorted(unknown)[0]
        )
    return {
        "full_name": _text(identity.get("full_name"), "identity.full_name"),
        "contact": _text(identity.get("contact"), "identity.contact", required=False),
        "notes": _text(identity.get("notes"), "identity.notes", required=False, max_length=5000),
    }


def change_identity(patient: Patient, *, identity: dict[str, str], by: Actor) -> PatientIdentity:
    """Replace a patient's identity fields. The ledger records that they changed and which, not the values."""
    require(by, Can.MANAGE_PATIENTS)
    require_site(by, patient.site_id, "patient")
    fields = _identity_fields(identity)
    if is_erased(patient):
        raise Conflict(
            _("%(patient)s's identity was erased: nothing can be kept for them again"),
            code="identity.erased",
            patient=patient.code,
        )
    with transaction.atomic():
        record, created = PatientIdentity.objects.get_or_create(patient=patient, defaults=fields)
        changed = sorted(fields) if created else sorted(k for k, v in fields.items() if getattr(record, k) != v)
        if not changed:
            raise InvalidInput(_("nothing to change"), "identity", code="change.nothing")
        for key, value in fields.items():
            setattr(record, key, value)
        record.save()
        if "full_name" in changed:
            index_patient(patient, fields["full_name"])  # the old name's words stop finding this patient
        ledger.append(
            "identity.changed",
            by=by,
            subjects=[f"patient:{patient.code}"],
            payload={"patient": patient.code, "fields": changed},
        )
    return record


def view_identity(
    patient: Patient, *, by: Actor, purpose: str | None = None, via_token: Any = None
) -> PatientIdentity | None:
    """Return a patient's identity for display, recording who saw it in the ledger first.

    Roles that see identities may; an admin or auditor may only under an open break-glass grant for
    this patient (``corridor.accounts.breakglass``), and the entry then names the grant's entry.
    Through the API the entry also names the token and who issued it: a token an admin issued for
    someone else reads as that person, and the trail must still lead to the admin.
    """
    from corridor.accounts.breakglass import active_grant

    payload: dict[str, Any] = {"patient": patient.code}
    if not can(by, Can.SEE_IDENTITIES):
        grant = active_grant(by, patient)
        if grant is None:
            if can(by, Can.BREAK_GLASS):
                raise NotAllowed(
                    _("your role sees an identity only by breaking the glass, with a reason"),
                    code="identity.break_glass_first",
                )
            raise NotAllowed(_("your role may not see identities"), code="identity.not_allowed")
        payload["break_glass_entry"] = grant.entry_seq
    require_site(by, patient.site_id, "patient")  # never another site's identity, whatever the role
    # Every reading says why: an empty purpose is refused before anything is shown or written.
    payload["purpose"] = _text(purpose, "purpose")
    if via_token is not None:
        payload["token"] = via_token.pk
        payload["token_issued_by"] = via_token.created_by
    with transaction.atomic():
        identity = PatientIdentity.objects.filter(patient=patient).first()
        ledger.append("identity.viewed", by=by, subjects=[f"patient:{patient.code}"], payload=payload)
    return identity


def change_patient(
    patient: Patient,
    *,
    by: Actor,
    sex: str | None = None,
    birth_year: int | None = None,
    depends_on_power: bool | None = None,
) -> Patient:
    require(by, Can.MANAGE_PATIENTS)
    require_site(by, patient.site_id, "patient")
    changes: dict[str, Any] = {}
    if sex is not None:
        changes["sex"] = _sex(sex)
    if birth_year is not None:
        changes["birth_year"] = _birth_year(birth_year, patient.registered_on)
    if depends_on_power is not None:
        changes["depends_on_power"] = bool(depends_on_power)
    _save_changes(patient, "patient", changes, by=by)
    return patient


def get_patient(code: str) -> Patient:
    try:
        return Patient.objects.get(code=code)
    except Patient.DoesNotExist:
        raise NotFound(_("no patient with code %(patient)r"), code="patient.not_found", patient=code) from None


# ------------------------------------------------------------------------------------------ referrals


def create_referral(
    *,
    patient: Patient,
    specialty: str,
    priority: str,
    referral_date: dt.date,
    eligible_facilities: Iterable[Facility | str] = (),
    diagnosis_icd10: str = "",
    diagnosis: str = "",
    fit_to_travel_from: dt.date | None = None,
    synthetic: bool = False,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
) -> Referral:
    """Refer a patient for outside care. The due date is the referral date plus the class's deadline.

    With no eligible facilities given, every facility offering the specialty is eligible.
    """
    require(by, Can.MANAGE_REFERRALS)
    require_site(by, patient.site_id, "patient")
    if specialty not in Specialty.values:
        raise InvalidInput(
            _("unknown specialty %(specialty)r; use one of %(choices)s"),
            "specialty",
            code="specialty.unknown",
            specialty=specialty,
            choices=", ".join(Specialty.values),
        )
    try:
        priority_class = PriorityClass.objects.get(code=priority)
    except PriorityClass.DoesNotExist:
        known = ", ".join(PriorityClass.objects.values_list("code", flat=True))
        if not known:
            raise InvalidInput(
                _("unknown priority class %(priority)r (known: none defined)"),
                "priority",
                code="referral.unknown_priority",
                priority=priority,
            ) from None
        raise InvalidInput(
            _("unknown priority class %(priority)r (known: %(known)s)"),
            "priority",
            code="referral.unknown_priority",
            priority=priority,
            known=known,
        ) from None
    referral_date = clock.check_day(
        "referral_date",
        _date(referral_date, "referral_date"),
        not_before=dt.date(patient.birth_year, 1, 1) if patient.birth_year else None,
        what=_("the patient's year of birth"),
    )
    fit = _date(fit_to_travel_from, "fit_to_travel_from") if fit_to_travel_from else None
    icd = (diagnosis_icd10 or "").strip().upper()
    if icd and not _ICD10.match(icd):
        raise InvalidInput(
            _("%(icd10)r is not an ICD-10 code such as C50.9"), "diagnosis_icd10", code="referral.not_icd10", icd10=icd
        )
    diagnosis = _text(diagnosis, "diagnosis", required=False)
    _evidence(source, certainty)
    if patient.status in (Patient.Status.DECEASED, Patient.Status.LEFT):
        raise Conflict(
            _("patient %(patient)s is %(patient_status)s; no new referral"),
            code="referral.patient_gone",
            patient=patient.code,
            patient_status=patient.status,
        )
    facilities = _facilities(eligible_facilities, specialty)
    due = referral_date + dt.timedelta(days=priority_class.deadline_days)
    with transaction.atomic():
        referral = Referral.objects.create(
            patient=patient,
            specialty=specialty,
            priority=priority_class,
            referral_date=referral_date,
            due_date=due,
            fit_to_travel_from=fit,
            diagnosis_icd10=icd,
            diagnosis=diagnosis,
            synthetic=synthetic,
        )
        referral.eligible_facilities.set(facilities)
        ledger.append(
            "referral.created",
            by=by,
            subjects=[f"patient:{patient.code}", f"referral:{referral.pk}"],
            payload={
                "referral": referral.pk,
                "patient": patient.code,
                "specialty": specialty,
                "priority": priority_class.code,
                "referral_date": referral_date.isoformat(),
                "due_date": due.isoformat(),
                "fit_to_travel_from": fit.isoformat() if fit else None,
                "diagnosis_icd10": icd,
                "facilities": sorted(f.code for f in facilities),
                "synthetic": synthetic,
            },
            source=source,
            certainty=certainty,
            occurred_on=referral_date,
        )
    return referral


def _facilities(values: Iterable[Facility | str], specialty: str) -> list[Facility]:
    chosen: list[Facility] = []
    for value in values:
        if isinstance(value, Facility):
            chosen.append(value)
            continue
        try:
            chosen.append(Facility.objects.get(code=value))
        except Facility.DoesNotExist:
            raise InvalidInput(
                _("no facility with code %(facility)r"),
                "eligible_facilities",
                code="referral.unknown_facility",
                facility=value,
            ) from None
    if not chosen:
        chosen = [f for f in Facility.objects.order_by("code") if specialty in f.specialties]
        if not chosen:
            raise InvalidInput(
                _("no facility offers %(specialty)s; add one or name the eligible facilities"),
                "eligible_facilities",
                code="referral.no_facility_offers",
                specialty=specialty,
            )
    for facility in chosen:
        if specialty not in facility.specialties:
            raise InvalidInput(
                _("%(facility)s does not offer %(specialty)s"),
                "eligible_facilities",
                code="referral.facility_lacks_specialty",
                facility=facility.code,
                specialty=specialty,
            )
    return chosen


def close_referral(
    referral: Referral,
    *,
    reason: str,
    on: dt.date,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    note: str = "",
) -> Referral:
    """End a referral's episode of care: care complete (code ``treated``), died, left or withdrawn.

    Refused while the patient is on a trip for it that has not left and is dated on or after the
    closing: once the trip left they would be counted as taken to hospital for care already ended.
    Taking them off the trip, or cancelling it, is the coordinator's act, recorded as such; a death
    does both itself (:mod:`corridor.transfers.deaths`).
    """
    require(by, Can.MANAGE_REFERRALS)
    require_site(by, referral.patient.site_id, "patient")
    _not_on_a_trip_to_come(referral, _date(on, "on"))
    return _close_referral(referral, reason=reason, on=on, by=by, source=source, certainty=certainty, note=note)


def _not_on_a_trip_to_come(referral: Referral, on: dt.date) -> None:
    from corridor.transfers.models import Trip, TripPassenger  # the transfers app depends on this one

    waiting = (
        TripPassenger.objects.filter(
            referral=referral,
            removed=False,
            trip__date__gte=on,
            trip__status__in=(Trip.Status.REQUESTED, Trip.Status.APPROVED),
        )
        .select_related("trip")
        .order_by("trip__date", "trip_id")
        .first()
    )
    if waiting is not None:
        raise Conflict(
            _(
                "%(patient)s is on trip %(trip)s on %(day)s for this referral, which has not left; "
                "take them off it, or cancel it, first"
            ),
            code="referral.on_trip_to_come",
            patient=referral.patient.code,
            trip=waiting.trip.code,
            day=waiting.trip.date,
        )


def _close_referral(
    referral: Referral,
    *,
    reason: str,
    on: dt.date,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    note: str = "",
) -> Referral:
    """close_referral without the permission check, for services that close referrals as a consequence."""
    reasons = {Referral.Status.TREATED, Referral.Status.DIED, Referral.Status.LEFT, Referral.Status.WITHDRAWN}
    if reason not in reasons:
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "reason",
            code="referral.unknown_reason",
            choices=", ".join(sorted(reasons)),
        )
    on = clock.check_day("on", _date(on, "on"))
    _evidence(source, certainty)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status not in Referral.OPEN:
            raise Conflict(
                _("referral %(referral)s is already closed (%(referral_status)s)"),
                code="referral.closed",
                referral=str(referral.pk),
                referral_status=referral.status,
            )
        check_closing_day(referral, "on", on)
        referral.status = reason
        referral.closed_on = on
        referral.save(update_fields=["status", "closed_on"])
        ledger.append(
            "referral.closed",
            by=by,
            subjects=[f"patient:{referral.patient.code}", f"referral:{referral.pk}"],
            payload={
                "referral": referral.pk,
                "patient": referral.patient.code,
                "reason": reason,
                "closed_on": on.isoformat(),
                "note": _text(note, "note", required=False, max_length=2000),
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        # A patient who was seen (in care or care complete) is in care while a referral is open, care
        # complete when none is: the rule a visit applies (episodes), and the ledger's when read again.
        Patient.objects.filter(
            pk=referral.patient_id, status__in=(Patient.Status.IN_TREATMENT, Patient.Status.TREATED)
        ).update(
            status=Patient.Status.IN_TREATMENT
            if Referral.objects.filter(patient_id=referral.patient_id, status__in=Referral.OPEN).exists()
            else Patient.Status.TREATED
        )
    return referral


def last_seen_on(*, patient: Patient | None = None, referral: Referral | None = None) -> dt.date | None:
    """The latest day ``patient`` (or the patient of ``referral``, for it) was seen at a hospital, as the
    visits' outcomes now stand; ``None`` when never."""
    from django.db.models import Max

    from corridor.transfers.models import TripPassenger  # the transfers app depends on this one

    visits = TripPassenger.objects.filter(
        role=TripPassenger.Role.PATIENT, removed=False, outcome__in=TripPassenger.SEEN_OUTCOMES
    )
    visits = visits.filter(patient=patient) if patient is not None else visits.filter(referral=referral)
    day: dt.date | None = visits.aggregate(day=Max("trip__date"))["day"]
    return day


def check_closing_day(referral: Referral, field: str, on: dt.date) -> None:
    """Refuse a referral's closing date before the referral, or before a day its patient was seen for it."""
    if on < referral.referral_date:
        raise InvalidInput(_("cannot be before the referral date"), field, code="referral.closed_before_referral")
    seen = last_seen_on(referral=referral)
    if seen is not None and on < seen:
        raise InvalidInput(
            _("%(patient)s was seen at a hospital for this referral on %(day)s; it cannot close before that day"),
            field,
            code="referral.closed_before_visit",
            patient=referral.patient.code,
            day=seen,
        )


def check_death_day(patient: Patient, field: str, value: object) -> dt.date:
    """The date of ``patient``'s death as evidence: a date, not in the future, not before their year of
    birth, and not before a day they were seen at a hospital (as their visits' outcomes now stand)."""
    on = clock.check_day(
        field,
        _date(value, field),
        not_before=dt.date(patient.birth_year, 1, 1) if patient.birth_year else None,
        what=_("the patient's year of birth"),
    )
    seen = last_seen_on(patient=patient)
    if seen is not None and on < seen:
        raise InvalidInput(
            _("%(patient)s was seen at a hospital on %(day)s; the death cannot be before that day"),
            field,
            code="patient.death_before_visit",
            patient=patient.code,
            day=seen,
        )
    return on


def record_death_in_register(
    patient: Patient,
    *,
    on: dt.date,
    by: Actor,
    source: str,
    certainty: str,
    circumstances: str = "",
    after_denied_care: bool = False,
    extra: dict[str, Any] | None = None,
) -> tuple[Patient, Entry]:
    """The register's part of a death while waiting: the patient's open referrals close as 'died'.

    Every edge calls :func:`corridor.transfers.deaths.record_death` instead, which also takes the patient
    off the trips still to leave (the transfers app depends on this one, not the other way round).
    ``extra`` adds keys to the ledger payload (an import's field submission) without overriding any.
    Returns the patient and the ``patient.died`` entry.
    """
    require(by, Can.RECORD_INCIDENTS)
    require_site(by, patient.site_id, "patient")
    on = check_death_day(patient, "on", on)
    _evidence(source, certainty)
    circumstances = _text(circumstances, "circumstances", required=False, max_length=5000)
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if patient.status == Patient.Status.DECEASED:
            raise Conflict(
                _("patient %(patient)s's death is already recorded; record a correction instead"),
                code="patient.death_recorded",
                patient=patient.code,
            )
        waiting = list(patient.referrals.filter(status__in=Referral.OPEN).select_related("priority"))
        patient.status = Patient.Status.DECEASED
        patient.save(update_fields=["status"])
        died = ledger.append(
            "patient.died",
            by=by,
            subjects=[f"patient:{patient.code}", *(f"referral:{r.pk}" for r in waiting)],
            payload={
                **(extra or {}),
                "patient": patient.code,
                "date": on.isoformat(),
                "circumstances": circumstances,
                "after_denied_care": after_denied_care,
                "waiting_referrals": [
                    {
                        "referral": r.pk,
                        "specialty": r.specialty,
                        "priority": r.priority.code,
                        "diagnosis_icd10": r.diagnosis_icd10,
                        "days_waited": (on - r.referral_date).days,
                    }
                    for r in waiting
                ],
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        for referral in waiting:
            _close_referral(
                referral,
                reason=Referral.Status.DIED,
                on=max(on, referral.referral_date),
                by=by,
                source=source,
                certainty=certainty,
            )
    return patient, died


# --------------------------------------------------------------------------------------- access rules


def set_access_rules(
    *,
    site: Site,
    effective_from: dt.date,
    max_patients_per_day: int,
    max_facilities_per_day: int = 1,
    max_escorts_per_day: int = 0,
    allowed_weekdays: Iterable[int] = range(7),
    effective_until: dt.date | None = None,
    camp_chooses_patients: bool = False,
    camp_chooses_escorts: bool = False,
    camp_chooses_doctor: bool = False,
    camp_chooses_appointment_time: bool = False,
    camp_chooses_interpreter: bool = False,
    camp_chooses_nurse: bool = False,
    notes: str = "",
    by: Actor,
    source: str,
    certainty: str,
) -> AccessRuleSet:
    """Record the gate's rules from a date on. Earlier rule sets stay; the newest covering a date wins."""
    require(by, Can.CHANGE_RULES)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    effective_from = _date(effective_from, "effective_from")
    until = _date(effective_until, "effective_until") if effective_until else None
    if until and until < effective_from:
        raise InvalidInput(_("must not be before effective_from"), "effective_until", code="rules.until_before_from")
    for field, value in (
        ("max_patients_per_day", max_patients_per_day),
        ("max_facilities_per_day", max_facilities_per_day),
        ("max_escorts_per_day", max_escorts_per_day),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
            raise InvalidInput(
                _("must be a whole number from %(least)s to %(most)s"),
                field,
                code="rules.bad_limit",
                least=0,
                most=1000,
            )
    weekdays = sorted(set(allowed_weekdays))
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        raise InvalidInput(
            _("weekdays are %(first)s (Monday) to %(last)s (Sunday)"),
            "allowed_weekdays",
            code="rules.unknown_weekday",
            first=0,
            last=6,
        )
    _evidence(source, certainty)
    notes = _text(notes, "notes", required=False, max_length=5000)
    choices = {
        "camp_chooses_patients": camp_chooses_patients,
        "camp_chooses_escorts": camp_chooses_escorts,
        "camp_chooses_doctor": camp_chooses_doctor,
        "camp_chooses_appointment_time": camp_chooses_appointment_time,
        "camp_chooses_interpreter": camp_chooses_interpreter,
        "camp_chooses_nurse": camp_chooses_nurse,
    }
    with transaction.atomic():
        entry = ledger.append(
            "rules.changed",
            by=by,
            subjects=[f"site:{site.code}"],
            payload={
                "site": site.code,
                "effective_from": effective_from.isoformat(),
                "effective_until": until.isoformat() if until else None,
                "max_patients_per_day": max_patients_per_day,
                "max_escorts_per_day": max_escorts_per_day,
                "max_facilities_per_day": max_facilities_per_day,
                "allowed_weekdays": weekdays,
                **choices,
                "notes": notes,
            },
            source=source,
            certainty=certainty,
            occurred_on=effective_from,
        )
        try:
            with transaction.atomic():
                rules = AccessRuleSet.objects.create(
                    site=site,
                    effective_from=effective_from,
                    effective_until=until,
                    max_patients_per_day=max_patients_per_day,
                    max_escorts_per_day=max_escorts_per_day,
                    max_facilities_per_day=max_facilities_per_day,
                    allowed_weekdays=weekdays,
                    notes=notes,
                    source=source,
                    certainty=certainty,
                    recorded_seq=entry.seq,
                    **choices,
                )
        except IntegrityError as exc:  # pragma: no cover - guarded by validation above
            raise Conflict(
                _("the rules could not be stored: %(reason)s"), code="rules.not_stored", reason=str(exc)
            ) from None
    return rules


def rules_in_force(site: Site, day: dt.date) -> AccessRuleSet | None:
    """The access rules in force at ``site`` on ``day`` (None before any rules were recorded)."""
    return AccessRuleSet.in_force(site, day)
