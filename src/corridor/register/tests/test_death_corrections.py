"""A corrected or retracted death changes the patient's and their referrals' rows as the ledger now says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from corridor import clock
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import corrected
from corridor.refusals import in_language
from corridor.register import corrections
from corridor.register.models import Patient, Referral
from corridor.transfers import deaths

pytestmark = pytest.mark.django_db
DIED_ON = dt.date(2014, 9, 18)


def _died(make_referral: Callable[..., Referral]) -> tuple[Patient, list[Referral], Entry]:
    """P-7 with two referrals (1 and 10 September), dead on 18 September."""
    first = make_referral("P-7", referral_date=dt.date(2014, 9, 1))
    second = make_referral("P-7", specialty="cardiology", referral_date=dt.date(2014, 9, 10))
    deaths.record_death(first.patient, on=DIED_ON, by=None, source="witness", certainty="probable")
    death = Entry.objects.get(type="patient.died")
    return Patient.objects.get(pk=first.patient.pk), [first, second], death


def _admitted_then_died(camp: Any, make_referral: Callable[..., Referral]) -> Referral:
    """P-8, referred on 1 September, admitted at the hospital on 8 September, dead on 18 September."""
    from corridor.transfers import services as transfers
    from corridor.transfers.tests.journeys import at_the_hospital

    referral = make_referral("P-8", referral_date=dt.date(2014, 9, 1))
    transfers.record_outcome(at_the_hospital(camp, referral), patient=referral.patient, outcome="admitted", by=None)
    deaths.record_death(referral.patient, on=DIED_ON, by=None, source="witness", certainty="confirmed")
    return referral


def _fix(entry: Entry, *, retract: bool = False, **changes: Any) -> Entry:
    return corrected(entry, changes, by="monitor", reason="the hospital's register says otherwise", retract=retract)


def _rows(patient: Patient) -> list[tuple[Any, ...]]:
    fresh = Patient.objects.get(pk=patient.pk)
    return [(fresh.status,), *patient.referrals.order_by("pk").values_list("status", "closed_on")]


def _retracted(seq: int) -> bool:
    return Entry.objects.filter(type="entry.retracted", corrects=seq).exists()


def test_a_retracted_death_brings_the_patient_and_their_referrals_back_and_retracts_their_closings(
    make_referral: Callable[..., Referral],
) -> None:
    patient, referrals, death = _died(make_referral)
    closings = list(Entry.objects.filter(type="referral.closed").order_by("seq"))
    assert _rows(patient) == [("deceased",), ("died", DIED_ON), ("died", DIED_ON)]
    _fix(death, retract=True)
    assert _rows(patient) == [("waiting",), ("waiting", None), ("waiting", None)]
    assert len(closings) == 2 and all(_retracted(c.seq) for c in closings)
    # The retractions say why and on whose word, as the death's retraction did.
    withdrawn = Entry.objects.filter(type="entry.retracted", corrects__in=[c.seq for c in closings])
    assert {(e.recorded_by, e.source, e.payload["reason"]) for e in withdrawn} == {
        ("monitor", "document", corrections.RETRACTED_DEATH.format(seq=death.seq))
    }
    assert ledger.verify().ok
    # Alive again: a new death can be recorded (and a referral made) as for anyone waiting.
    make_referral("P-7", specialty="ophthalmology", referral_date=dt.date(2014, 9, 20))
    deaths.record_death(patient, on=dt.date(2014, 9, 25), by=None, source="witness", certainty="confirmed")
    assert Patient.objects.get(pk=patient.pk).status == "deceased"


def test_a_death_recorded_again_after_a_retraction_stands_whatever_is_said_later_of_the_first(
    make_referral: Callable[..., Referral],
) -> None:
    patient, _referrals, first = _died(make_referral)
    _fix(first, retract=True)
    deaths.record_death(patient, on=dt.date(2014, 9, 25), by=None, source="witness", certainty="confirmed")
    second = Entry.objects.filter(type="patient.died").latest("seq")
    closings = list(Entry.objects.filter(type="referral.closed", seq__gt=second.seq))
    died = [("deceased",), ("died", dt.date(2014, 9, 25)), ("died", dt.date(2014, 9, 25))]
    assert _rows(patient) == died
    # Nothing of the first death stands: correcting or retracting it again is refused, and changes nothing.
    for fix in ({"date": "2014-09-10"}, {"retract": True}):
        with pytest.raises(Conflict) as refused:
            _fix(first, **fix)
        assert refused.value.code == "ledger.already_retracted"
    assert _rows(patient) == died
    assert len(closings) == 2 and not any(_retracted(c.seq) for c in closings)


def test_a_retracted_death_after_a_visit_puts_the_referral_back_in_care(
    camp: Any, make_referral: Callable[..., Referral]
) -> None:
    referral = _admitted_then_died(camp, make_referral)
    _fix(Entry.objects.get(type="patient.died"), retract=True)
    assert _rows(referral.patient) == [("in_treatment",), ("in_care", None)]


def test_a_death_date_corrected_to_before_a_visit_at_which_the_patient_was_seen_is_refused(
    camp: Any, make_referral: Callable[..., Referral]
) -> None:
    referral = _admitted_then_died(camp, make_referral)
    before, head = _rows(referral.patient), ledger.head()
    with pytest.raises(InvalidInput) as refused:
        _fix(Entry.objects.get(type="patient.died"), date="2014-09-03")  # seen on 8 September
    assert (refused.value.code, refused.value.field) == ("patient.death_before_visit", "changes.date")
    assert _rows(referral.patient) == before and ledger.head() == head


def test_a_corrected_death_date_moves_the_closing_dates_and_says_so_in_the_ledger(
    make_referral: Callable[..., Referral],
) -> None:
    patient, _referrals, death = _died(make_referral)
    _fix(death, date="2014-09-05")
    # The second referral was made after the corrected date: it closes on its own date, as the service does.
    assert _rows(patient) == [("deceased",), ("died", dt.date(2014, 9, 5)), ("died", dt.date(2014, 9, 10))]
    fixes = [e for e in Entry.objects.filter(type="entry.corrected").order_by("seq") if e.corrects != death.seq]
    assert [f.payload["changes"] for f in fixes] == [{"closed_on": "2014-09-05"}, {"closed_on": "2014-09-10"}]
    assert ledger.verify().ok


def test_a_retracted_date_correction_moves_the_closing_dates_back(make_referral: Callable[..., Referral]) -> None:
    patient, _referrals, death = _died(make_referral)
    fix = _fix(death, date="2014-09-12")
    assert _rows(patient) == [("deceased",), ("died", dt.date(2014, 9, 12)), ("died", dt.date(2014, 9, 12))]
    _fix(fix, retract=True)
    assert _rows(patient) == [("deceased",), ("died", DIED_ON), ("died", DIED_ON)]


def test_a_death_corrected_in_its_certainty_alone_changes_no_row(make_referral: Callable[..., Referral]) -> None:
    patient, _referrals, death = _died(make_referral)
    before, head = _rows(patient), ledger.head()[0]
    _fix(death, certainty="confirmed")
    assert _rows(patient) == before and ledger.head()[0] == head + 1


@pytest.mark.parametrize(
    ("date", "code"),
    [
        ("tomorrow", "date.in_future"),
        (None, "patient.death_date_removed"),
        ("", "patient.death_date_removed"),
        ("some day", "date.not_iso"),
        ("1960-01-01", "date.too_early"),  # before the year of birth (1970)
    ],
)
def test_a_death_date_in_the_future_removed_or_unreadable_is_refused_and_nothing_is_written(
    make_referral: Callable[..., Referral], date: str | None, code: str
) -> None:
    patient, _referrals, death = _died(make_referral)
    before, head = _rows(patient), ledger.head()
    value = (clock.today() + dt.timedelta(days=1)).isoformat() if date == "tomorrow" else date
    with pytest.raises(InvalidInput) as refused:
        _fix(death, date=value)
    assert (refused.value.code, refused.value.field) == (code, "changes.date")
    assert _rows(patient) == before and ledger.head() == head


def test_a_death_correction_and_its_consequences_are_one_transaction(
    make_referral: Callable[..., Referral], monkeypatch: pytest.MonkeyPatch
) -> None:
    patient, _referrals, death = _died(make_referral)
    before, head = _rows(patient), ledger.head()

    def fail(*args: Any) -> str:
        raise RuntimeError("the disk is full")

    # Fails after the referrals were reopened and their closings retracted: all of it is undone.
    monkeypatch.setattr(corrections, "_patient_status", fail)
    with pytest.raises(RuntimeError):
        _fix(death, retract=True)
    assert _rows(patient) == before and ledger.head() == head
    assert not Entry.objects.filter(type="entry.retracted").exists()


def test_a_removed_death_date_is_refused_in_persian_and_arabic(make_referral: Callable[..., Referral]) -> None:
    _patient, _referrals, death = _died(make_referral)
    with pytest.raises(InvalidInput) as refused:
        _fix(death, date=None)
    with translation.override("fa"):
        assert in_language(refused.value) == "تاریخ مرگ را نمی‌توان حذف کرد؛ اگر مرگ رخ نداده است، آن را پس بگیرید"
    with translation.override("ar"):
        assert in_language(refused.value) == "لا يمكن حذف تاريخ الوفاة؛ اسحب الوفاة إن لم تقع"
