"""Register services: each writes its state and its ledger entry together, or neither."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from corridor.errors import Conflict, CorridorError, InvalidInput, NotAllowed
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register import services as register
from corridor.register.models import AccessRuleSet, Facility, Patient, PatientIdentity, Referral, Site
from corridor.transfers import deaths

pytestmark = pytest.mark.django_db


def _types_since(seq: int) -> list[str]:
    return list(Entry.objects.filter(seq__gt=seq).order_by("seq").values_list("type", flat=True))


def test_registering_a_patient_keeps_the_identity_out_of_the_ledger(camp: Site) -> None:
    before = ledger.head()[0]
    patient = register.register_patient(
        site=camp,
        code="P-0042",
        registered_on=dt.date(2014, 4, 5),
        sex="m",
        birth_year=1961,
        identity={"full_name": "Test Name Alpha"},
        by=None,
    )
    assert PatientIdentity.objects.get(patient=patient).full_name == "Test Name Alpha"
    assert _types_since(before) == ["patient.registered"]
    entry = Entry.objects.get(seq=before + 1)
    assert entry.subjects == ["patient:P-0042", "site:CAMP-T"]
    assert "Test Name Alpha" not in entry.payload_json
    assert entry.occurred_at.startswith("2014-04-05")


def test_a_referral_gets_its_due_date_from_the_priority_class(make_referral: Callable[..., Referral]) -> None:
    referral = make_referral("P-1", priority="P2", referral_date=dt.date(2014, 9, 1))
    assert referral.due_date == dt.date(2014, 9, 15)
    urgent = make_referral("P-2", priority="P1", referral_date=dt.date(2014, 9, 1))
    assert urgent.due_date == dt.date(2014, 9, 2)
    assert Entry.objects.filter(type="referral.created").count() == 2


def test_without_named_hospitals_every_hospital_with_the_specialty_is_eligible(
    make_referral: Callable[..., Referral],
) -> None:
    referral = make_referral("P-1", specialty="oncology")
    assert sorted(f.code for f in referral.eligible_facilities.all()) == ["H-1", "H-3"]


def test_viewing_an_identity_is_recorded_with_who_and_whose(camp: Site, users: dict[str, Any]) -> None:
    patient = register.register_patient(
        site=camp, code="P-7", registered_on=dt.date(2014, 1, 1), identity={"full_name": "Test Name Beta"}, by=None
    )
    identity = register.view_identity(patient, by=users["coordinator"], purpose="call before the trip")
    assert identity is not None and identity.full_name == "Test Name Beta"
    entry = Entry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.type, entry.recorded_by, entry.subjects) == ("identity.viewed", "coordinator", ["patient:P-7"])


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin", "outsider"])
def test_roles_without_identity_access_are_refused_and_nothing_is_recorded(
    camp: Site, users: dict[str, Any], role: str
) -> None:
    patient = register.register_patient(
        site=camp, code="P-7", registered_on=dt.date(2014, 1, 1), identity={"full_name": "Test Name Beta"}, by=None
    )
    before = ledger.head()[0]
    with pytest.raises(NotAllowed):
        register.view_identity(patient, by=users[role])
    assert ledger.head()[0] == before


def test_a_death_closes_the_patients_waiting_referrals(make_referral: Callable[..., Referral]) -> None:
    referral = make_referral("P-4", referral_date=dt.date(2014, 7, 28))
    patient = referral.patient
    before = ledger.head()[0]
    deaths.record_death(
        patient, on=dt.date(2014, 9, 18), by=None, source="publication", certainty="unverified", after_denied_care=True
    )
    referral.refresh_from_db()
    patient.refresh_from_db()
    assert (patient.status, referral.status, referral.closed_on) == ("deceased", "died", dt.date(2014, 9, 18))
    assert _types_since(before) == ["patient.died", "referral.closed"]
    died = Entry.objects.get(seq=before + 1)
    assert died.payload["waiting_referrals"][0]["days_waited"] == 52
    with pytest.raises(Conflict):
        deaths.record_death(patient, on=dt.date(2014, 9, 19), by=None, source="witness", certainty="confirmed")


def test_a_death_before_a_day_the_patient_was_seen_at_a_hospital_is_refused(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    from corridor.transfers import services as transfers
    from corridor.transfers.tests.journeys import at_the_hospital

    referral = make_referral("P-4", referral_date=dt.date(2014, 9, 1))
    patient = referral.patient
    trip = at_the_hospital(camp, referral, dt.date(2014, 9, 8))
    transfers.record_outcome(trip, patient=patient, outcome="seen", by=None)
    before = ledger.head()[0]
    with pytest.raises(InvalidInput, match="was seen at a hospital on 2014-09-08") as refused:
        deaths.record_death(patient, on=dt.date(2014, 9, 5), by=None, source="witness", certainty="confirmed")
    assert (refused.value.code, refused.value.field) == ("patient.death_before_visit", "on")
    patient.refresh_from_db()
    assert patient.status != "deceased" and ledger.head()[0] == before
    deaths.record_death(patient, on=dt.date(2014, 9, 8), by=None, source="witness", certainty="confirmed")
    patient.refresh_from_db()
    assert patient.status == "deceased"


def test_the_rules_in_force_follow_each_change(camp: Site) -> None:
    register.set_access_rules(
        site=camp,
        effective_from=dt.date(2014, 6, 15),
        max_patients_per_day=4,
        max_facilities_per_day=1,
        by=None,
        source="publication",
        certainty="unverified",
    )
    register.set_access_rules(
        site=camp,
        effective_from=dt.date(2014, 8, 1),
        effective_until=dt.date(2014, 8, 10),
        max_patients_per_day=0,
        by=None,
        source="witness",
        certainty="confirmed",
        notes="gate closed",
    )
    register.set_access_rules(
        site=camp,
        effective_from=dt.date(2014, 9, 1),
        max_patients_per_day=10,
        max_facilities_per_day=2,
        allowed_weekdays=[6, 0, 1, 2, 3],
        by=None,
        source="official_statement",
        certainty="probable",
    )

    def cap(day: dt.date) -> int | None:
        rules = register.rules_in_force(camp, day)
        return rules.max_patients_per_day if rules else None

    assert cap(dt.date(2013, 12, 31)) is None
    assert cap(dt.date(2014, 6, 14)) == 4  # the fixture's rules from 2014-01-01
    assert cap(dt.date(2014, 6, 15)) == 4
    assert cap(dt.date(2014, 8, 1)) == 0
    assert cap(dt.date(2014, 8, 10)) == 0
    assert cap(dt.date(2014, 8, 11)) == 4  # the temporary closure ended; the June rules apply again
    assert cap(dt.date(2014, 9, 1)) == 10
    rules = register.rules_in_force(camp, dt.date(2014, 9, 5))
    assert rules is not None and not rules.allows(dt.date(2014, 9, 5))  # a Friday
    assert Entry.objects.filter(type="rules.changed").count() == 4


def test_a_failure_after_the_state_change_leaves_neither_state_nor_entry(
    camp: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_append(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "append", broken_append)
    before = (Patient.objects.count(), PatientIdentity.objects.count(), Entry.objects.count())
    with pytest.raises(RuntimeError):
        register.register_patient(
            site=camp, code="P-9", registered_on=dt.date(2014, 1, 1), identity={"full_name": "Test Name Gamma"}, by=None
        )
    assert (Patient.objects.count(), PatientIdentity.objects.count(), Entry.objects.count()) == before


def _calls(camp: Site) -> list[tuple[str, Callable[[], object], str | None]]:
    patient = register.register_patient(site=camp, code="P-50", registered_on=dt.date(2014, 1, 1), by=None)
    facility = Facility.objects.get(code="H-1")
    # Most bad calls are a good call with one thing wrong.
    ok_rules: dict[str, Any] = {
        "site": camp,
        "effective_from": dt.date(2014, 1, 1),
        "max_patients_per_day": 4,
        "by": None,
        "source": "witness",
        "certainty": "confirmed",
    }
    ok_patient: dict[str, Any] = {"site": camp, "code": "P-51", "registered_on": dt.date(2014, 1, 1), "by": None}
    ok_referral: dict[str, Any] = {
        "patient": patient,
        "specialty": "oncology",
        "priority": "P2",
        "referral_date": dt.date(2014, 1, 1),
        "by": None,
    }
    one_wrong: list[tuple[str, Callable[..., object], dict[str, Any], dict[str, Any], str]] = [
        ("patient sex", register.register_patient, ok_patient, {"sex": "z"}, "sex"),
        ("patient birth year", register.register_patient, ok_patient, {"birth_year": 2030}, "birth_year"),
        (
            "patient identity",
            register.register_patient,
            ok_patient,
            {"registered_on": "2014-01-01", "identity": {"full_name": " "}},
            "identity.full_name",
        ),
        ("patient date", register.register_patient, ok_patient, {"registered_on": "14/1/2014"}, "registered_on"),
        ("referral specialty", register.create_referral, ok_referral, {"specialty": "x"}, "specialty"),
        ("referral priority", register.create_referral, ok_referral, {"priority": "P9"}, "priority"),
        ("referral icd", register.create_referral, ok_referral, {"diagnosis_icd10": "cancer"}, "diagnosis_icd10"),
        (
            "referral facility",
            register.create_referral,
            ok_referral,
            {"specialty": "ophthalmology", "eligible_facilities": [facility]},
            "eligible_facilities",
        ),
        ("referral source", register.create_referral, ok_referral, {"source": "rumour"}, "source"),
        ("rules capacity", register.set_access_rules, ok_rules, {"max_patients_per_day": -1}, "max_patients_per_day"),
        ("rules weekday", register.set_access_rules, ok_rules, {"allowed_weekdays": [7]}, "allowed_weekdays"),
        (
            "rules period",
            register.set_access_rules,
            ok_rules,
            {"effective_until": dt.date(2013, 1, 1)},
            "effective_until",
        ),
        ("rules certainty", register.set_access_rules, ok_rules, {"certainty": "sure"}, "certainty"),
    ]
    return [
        ("site code", lambda: register.create_site(code="bad code!", name="X", country="XX", by=None), "code"),
        ("site country", lambda: register.create_site(code="S2", name="X", country="Iraqi", by=None), "country"),
        (
            "site zone",
            lambda: register.create_site(code="S2", name="X", country="XX", time_zone="Mars/Base", by=None),
            "time_zone",
        ),
        (
            "facility specialty",
            lambda: register.create_facility(code="H-9", name="X", specialties=["magic"], by=None),
            "specialties",
        ),
        (
            "facility hours",
            lambda: register.create_facility(
                code="H-9", name="X", specialties=["other"], opening_hours={"0": ["14:00", "08:00"]}, by=None
            ),
            "opening_hours",
        ),
        (
            "facility weekday",
            lambda: register.create_facility(
                code="H-9", name="X", specialties=["other"], opening_hours={"7": ["08:00", "14:00"]}, by=None
            ),
            "opening_hours",
        ),
        (
            "death source",
            lambda: deaths.record_death(patient, on=dt.date(2014, 1, 2), by=None, source="x", certainty="confirmed"),
            "source",
        ),
        (
            "priority weight",
            lambda: register.set_priority_class(code="P5", name="x", deadline_days=5, weight=0, rank=5, by=None),
            "weight",
        ),
        *(
            (label, functools.partial(service, **{**good, **wrong}), field)
            for label, service, good, wrong, field in one_wrong
        ),
    ]


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Entry, Site, Facility, Patient, Referral, AccessRuleSet))


def test_bad_input_to_every_register_service_names_the_field_and_writes_nothing(camp: Site) -> None:
    for label, call, field in _calls(camp):
        counts = _counts()
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == field, label
        assert _counts() == counts, label


def test_duplicate_codes_are_refused(camp: Site) -> None:
    with pytest.raises(Conflict, match="already exists"):
        register.create_site(code="CAMP-T", name="Again", country="XX", by=None)
    register.register_patient(site=camp, code="P-1", registered_on=dt.date(2014, 1, 1), by=None)
    with pytest.raises(Conflict, match="already exists"):
        register.register_patient(site=camp, code="P-1", registered_on=dt.date(2014, 1, 1), by=None)


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("coordinator", True),
        ("clinician", True),
        ("monitor", False),
        ("auditor", False),
        ("admin", False),
        ("outsider", False),
    ],
)
def test_only_coordinators_and_clinicians_may_refer(
    make_referral: Callable[..., Referral], users: dict[str, Any], role: str, allowed: bool
) -> None:
    patient = make_referral("P-1").patient

    def call() -> Referral:
        return register.create_referral(
            patient=patient, specialty="oncology", priority="P3", referral_date=dt.date(2014, 9, 2), by=users[role]
        )

    if allowed:
        assert call().priority.code == "P3"
    else:
        with pytest.raises(NotAllowed):
            call()
        assert Referral.objects.count() == 1


def test_every_refusal_is_a_corridor_error() -> None:
    for error in (InvalidInput, NotAllowed, Conflict):
        assert issubclass(error, CorridorError)


@pytest.mark.parametrize(
    ("language", "said"),
    [("fa", "باید سالی میان ۱۹۰۰ و ۲۰۱۴ باشد"), ("ar", "يجب أن تكون سنة بين ١٩٠٠ و٢٠١٤")],
)
def test_a_birth_year_out_of_range_is_refused_in_the_readers_language_with_local_digits(
    camp: Site, language: str, said: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        register.register_patient(site=camp, code="P-52", birth_year=2030, registered_on=dt.date(2014, 1, 1), by=None)
    assert caught.value.code == "patient.bad_birth_year"
    assert caught.value.values == {"first_year": 1900, "last_year": 2014}
    assert str(caught.value) == "birth_year: must be a year between 1900 and 2014"
    with translation.override(language):
        assert in_language(caught.value) == said  # a year is not grouped by thousands


def test_a_referral_for_a_patient_who_died_names_the_status_in_words(make_referral: Callable[..., Referral]) -> None:
    patient = make_referral("P-53").patient
    deaths.record_death(patient, on=dt.date(2014, 9, 2), by=None, source="document", certainty="confirmed")
    with pytest.raises(Conflict) as caught:
        make_referral("P-53", referral_date=dt.date(2014, 9, 3))
    assert caught.value.code == "referral.patient_gone"
    assert str(caught.value) == "patient P-53 is deceased; no new referral"
    with translation.override("ar"):
        assert in_language(caught.value) == "حالة المريض P-53: «متوفّى»؛ لا إحالة جديدة"
