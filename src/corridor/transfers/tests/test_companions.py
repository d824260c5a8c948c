"""Companions: per-person answers in the ledger and the indicators, the rules on choosing, and identities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from conftest import DAY
from corridor import env
from corridor.errors import Conflict, InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register import services as register
from corridor.register.models import Facility, Referral, Site
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.transfers import companions
from corridor.transfers import services as transfers
from corridor.transfers.models import Companion, CompanionIdentity, Trip

pytestmark = pytest.mark.django_db
CAMP_TIME = dt.timezone(dt.timedelta(hours=3))
OCTOBER = Period(dt.date(2014, 10, 1), dt.date(2014, 10, 31), DAY)


def _trip(camp: Site, referrals: list[Referral], day: dt.date = DAY) -> Trip:
    asked = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(9, 0), tzinfo=CAMP_TIME)  # days ahead
    return transfers.request_trip(
        site=camp, day=day, facility=Facility.objects.get(code="H-1"), referrals=referrals, by=None, at=asked
    )


def _went(trip: Trip) -> Trip:
    trip = transfers.approve_trip(trip, by=None)
    return transfers.record_departure(trip, at=dt.datetime.combine(trip.date, dt.time(7, 0), tzinfo=CAMP_TIME), by=None)


@pytest.fixture
def roster(camp: Site) -> dict[str, Companion]:
    made = {}
    for code, kind in (("C-1", "interpreter"), ("C-2", "nurse"), ("C-3", "escort"), ("C-4", "interpreter")):
        made[code] = companions.register_companion(
            site=camp,
            code=code,
            kind=kind,
            registered_on=dt.date(2014, 1, 1),
            identity={"full_name": f"Test Companion {code}", "contact": "Block 2"},
            by=None,
        )
    return made


def test_each_persons_answer_is_its_own_ledger_entry_with_source_and_certainty(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion]
) -> None:
    heart = make_referral("P-1", specialty="oncology")
    trip = _trip(camp, [heart])
    for code in ("C-1", "C-2", "C-3"):
        companions.ask_companion(trip, companion=roster[code], for_patient=heart.patient, by=None)
    companions.record_companion_answer(
        trip, companion=roster["C-1"], answer="rejected", by=None, source="official_statement", certainty="confirmed"
    )
    companions.record_companion_answer(
        trip,
        companion=roster["C-2"],
        answer="substituted",
        note="a nurse of the authority's choosing",
        by=None,
        source="witness",
        certainty="probable",
    )
    companions.record_companion_answer(trip, companion=roster["C-3"], answer="approved", by=None)
    answers = {
        e.payload["companion"]: (e.payload["answer"], e.payload["role"], e.payload["for"], e.source, e.certainty)
        for e in Entry.objects.filter(type="trip.companion_answered")
    }
    assert answers == {
        "C-1": ("rejected", "interpreter", "P-1", "official_statement", "confirmed"),
        "C-2": ("substituted", "nurse", "P-1", "witness", "probable"),
        "C-3": ("approved", "escort", "P-1", "official_statement", "confirmed"),
    }
    asked = Entry.objects.filter(type="trip.companion_asked").order_by("seq")
    assert [e.payload["companion"] for e in asked] == ["C-1", "C-2", "C-3"]
    assert all(f"trip:{trip.pk}" in e.subjects and "patient:P-1" in e.subjects for e in asked)
    assert {row.companion.code: row.answer for row in trip.companions.select_related("companion")} == {
        "C-1": "rejected",
        "C-2": "substituted",
        "C-3": "approved",
    }
    with pytest.raises(Conflict, match="already recorded"):
        companions.record_companion_answer(trip, companion=roster["C-1"], answer="approved", by=None)


def test_the_rules_in_force_say_whether_the_camp_may_choose_each_role(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion]
) -> None:
    register.set_access_rules(
        site=camp,
        effective_from=DAY,
        max_patients_per_day=4,
        max_escorts_per_day=2,
        camp_chooses_escorts=True,
        camp_chooses_interpreter=False,
        camp_chooses_nurse=False,
        by=None,
        source="official_statement",
        certainty="confirmed",
    )
    referral = make_referral("P-1")
    trip = _trip(camp, [referral])
    chosen = {
        code: companions.ask_companion(trip, companion=roster[code], for_patient=referral.patient, by=None)
        for code in ("C-1", "C-2", "C-3")
    }
    assert {code: row.camp_may_choose for code, row in chosen.items()} == {"C-1": False, "C-2": False, "C-3": True}
    entry = Entry.objects.filter(type="trip.companion_asked", body__contains='"C-1"').get()
    assert entry.payload["camp_may_choose"] is False


def test_impossible_asks_are_refused_naming_the_field_and_nothing_is_written(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion]
) -> None:
    on_trip, elsewhere = make_referral("P-1"), make_referral("P-2")
    trip = _trip(camp, [on_trip])
    before = Entry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        companions.ask_companion(trip, companion=roster["C-1"], for_patient=elsewhere.patient, by=None)
    assert refused.value.field == "for_patient"
    with pytest.raises(InvalidInput) as refused:
        companions.record_companion_answer(trip, companion=roster["C-2"], answer="approved", by=None)
    assert refused.value.field == "companion"
    with pytest.raises(InvalidInput) as refused:
        companions.ask_companion(trip, companion=roster["C-1"], for_patient=on_trip.patient, role="driver", by=None)
    assert refused.value.field == "role"
    assert Entry.objects.count() == before and not trip.companions.exists()
    companions.ask_companion(trip, companion=roster["C-1"], for_patient=on_trip.patient, by=None)
    with pytest.raises(Conflict, match="already asked"):
        companions.ask_companion(trip, companion=roster["C-1"], for_patient=on_trip.patient, by=None)


def test_the_companion_indicators_count_each_persons_answer(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion]
) -> None:
    # Three trips of a cardiac patient: interpreter and nurse asked each time.
    heart = make_referral("P-1", specialty="oncology")
    other = make_referral("P-2")
    first = _trip(camp, [heart, other], dt.date(2014, 10, 5))
    second = _trip(camp, [heart], dt.date(2014, 10, 6))
    third = _trip(camp, [heart], dt.date(2014, 10, 7))
    answers = {
        first: {"C-1": "rejected", "C-2": "rejected"},
        second: {"C-1": "rejected", "C-2": "substituted"},
        third: {"C-4": "approved", "C-2": "no_answer"},
    }
    for trip, by_code in answers.items():
        for code, answer in by_code.items():
            companions.ask_companion(trip, companion=roster[code], for_patient=heart.patient, by=None)
            companions.record_companion_answer(trip, companion=roster[code], answer=answer, by=None)
    companions.ask_companion(first, companion=roster["C-3"], for_patient=other.patient, by=None)
    companions.record_companion_answer(first, companion=roster["C-3"], answer="approved", by=None)
    _went(first)
    _went(second)
    _went(third)
    values = catalogue.compute_all(OCTOBER, only=["companions"]).values()
    # 7 asked; approved: C-4 on the third trip and the escort C-3: 2 of 7.
    assert values["companions.asked"].value == 7
    assert values["companions.approved_rate"].value == pytest.approx(100 * 2 / 7)
    # Interpreters and nurses rejected or substituted: 2 + 2 = 4 (no answer is not a refusal).
    assert values["companions.interpreter_nurse_refused"].value == 4
    # The first two trips went without the interpreter asked for; the third had one approved.
    assert values["companions.trips_without_interpreter"].value == 2
    table = next(
        t for t in catalogue.compute_all(OCTOBER, only=["companions"]).tables() if t.code == "companions.by_role"
    )
    by_role = {row[0]: row[1:6] for row in table.rows}
    assert by_role == {"escort": [1, 1, 0, 0, 0], "interpreter": [3, 1, 2, 0, 0], "nurse": [3, 0, 1, 1, 1]}


def test_a_role_that_may_not_see_identities_never_sees_a_companions_identity(
    camp: Site, roster: dict[str, Companion], users: dict[str, Any], client: Any
) -> None:
    stored = CompanionIdentity.objects.get(companion=roster["C-1"])
    assert stored.full_name == "Test Companion C-1"
    for role in ("monitor", "auditor", "admin"):
        with pytest.raises(NotAllowed):
            companions.view_companion_identity(roster["C-1"], by=users[role])
    assert not Entry.objects.filter(type="identity.viewed").exists()
    # Nothing in the ledger names them; the roster page lists codes only.
    assert not Entry.objects.filter(body__contains="Test Companion").exists()
    client.force_login(users["monitor"])
    html = client.get("/companions/").content.decode()
    assert "C-1" in html and "Test Companion" not in html
    # A clinician may, and the reading is recorded.
    seen = companions.view_companion_identity(roster["C-1"], by=users["clinician"], purpose="arranging the trip")
    assert seen is not None and seen.full_name == "Test Companion C-1"
    viewed = Entry.objects.get(type="identity.viewed")
    assert viewed.payload == {"companion": "C-1", "purpose": "arranging the trip"}


def test_an_answer_dated_in_the_future_or_before_the_request_is_refused_and_nothing_is_written(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion], settings: Any
) -> None:
    settings.TODAY = DAY
    referral = make_referral("P-1")
    trip = _trip(camp, [referral], DAY)
    companions.ask_companion(trip, companion=roster["C-1"], for_patient=referral.patient, by=None)
    before = Entry.objects.count()
    for moment in (dt.datetime(2099, 1, 1, 9, 0, tzinfo=CAMP_TIME), dt.datetime(2014, 1, 1, 9, 0, tzinfo=CAMP_TIME)):
        with pytest.raises(InvalidInput) as refused:
            companions.record_companion_answer(trip, companion=roster["C-1"], answer="rejected", at=moment, by=None)
        assert refused.value.field == "at"
    assert Entry.objects.count() == before and trip.companions.get().answer == "pending"
    # A day alone (the time not recorded) is kept as a day, never given a made-up hour.
    companions.record_companion_answer(trip, companion=roster["C-1"], answer="rejected", at=DAY, by=None)
    answered = Entry.objects.get(type="trip.companion_answered")
    assert answered.payload.get("precision") == "date"


def test_a_companions_identity_is_resealed_with_the_patients_when_the_key_changes(
    roster: dict[str, Companion], settings: Any
) -> None:
    from corridor.register import crypto
    from corridor.register.models import PatientIdentity

    current = list(settings.IDENTITY_KEYS)
    new = env.new_identity_key()
    settings.IDENTITY_KEYS = [new, *current]
    from corridor.ops.keys import reencrypt_identities

    rows, key = reencrypt_identities(by=None)
    assert rows == len(roster) + PatientIdentity.objects.count() and key == crypto.key_id(new)
    settings.IDENTITY_KEYS = [new]  # the old key dropped: the companions still read
    assert CompanionIdentity.objects.get(companion=roster["C-4"]).full_name == "Test Companion C-4"
    # A value moved to another companion's row does not open there.
    one, other = (CompanionIdentity.objects.get(companion=roster[c]) for c in ("C-1", "C-2"))
    stored: Any = CompanionIdentity.objects.filter(pk=one.pk).values_list("full_name", flat=True).get()  # Sealed
    from django.db import connection

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(CompanionIdentity._meta.db_table)
        cursor.execute(f"UPDATE {table} SET full_name = %s WHERE id = %s", [stored.stored, other.pk])
    with pytest.raises(crypto.IdentityKeyError):
        CompanionIdentity.objects.get(pk=other.pk)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fa", "پاسخ دربارهٔ C-1 در سفر {trip} پیش‌تر ثبت شده است («ردشده»)؛ به جای آن اصلاحش کنید"),
        ("ar", "الرد بشأن C-1 في الرحلة {trip} مسجّل من قبل («مرفوض»)؛ صحّحه بدلًا من ذلك"),
    ],
)
def test_a_second_answer_is_refused_in_the_readers_language_with_the_first_answer_in_words(
    camp: Site, make_referral: Callable[..., Referral], roster: dict[str, Companion], language: str, said: str
) -> None:
    heart = make_referral("P-1", specialty="oncology")
    trip = _trip(camp, [heart])
    companions.ask_companion(trip, companion=roster["C-1"], for_patient=heart.patient, by=None)
    companions.record_companion_answer(trip, companion=roster["C-1"], answer="rejected", by=None)
    with pytest.raises(Conflict) as refused:
        companions.record_companion_answer(trip, companion=roster["C-1"], answer="approved", by=None)
    assert refused.value.code == "companion.answered"
    assert str(refused.value) == (
        f"the answer about C-1 on trip {trip.code} is already recorded (rejected); correct it instead"
    )
    with translation.override(language):
        assert in_language(refused.value) == said.format(trip=trip.code)
