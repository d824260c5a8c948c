"""A corrected or retracted closing changes the referral's row (and its patient's) as the ledger now says."""

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
from corridor.register import services as register
from corridor.register.models import Patient, Referral, Site
from corridor.transfers import deaths

pytestmark = pytest.mark.django_db
REFERRED_ON, CLOSED_ON = dt.date(2014, 9, 1), dt.date(2014, 9, 20)


def _closed(make_referral: Callable[..., Referral], reason: str = "withdrawn") -> tuple[Referral, Entry]:
    """P-3's referral of 1 September, closed on 20 September."""
    referral = make_referral("P-3", referral_date=REFERRED_ON)
    register.close_referral(referral, reason=reason, on=CLOSED_ON, by=None, source="document", certainty="confirmed")
    return referral, Entry.objects.filter(type="referral.closed").latest("seq")


def _fix(entry: Entry, *, retract: bool = False, **changes: Any) -> Entry:
    return corrected(entry, changes, by="coordinator", reason="the hospital's register says otherwise", retract=retract)


def _row(referral: Referral) -> tuple[Any, ...]:
    fresh = Referral.objects.select_related("patient").get(pk=referral.pk)
    return fresh.patient.status, fresh.status, fresh.closed_on


def _seen(camp: Site, referral: Referral, outcome: str) -> None:
    """The referral's patient taken to the hospital on 8 September and seen there with ``outcome``."""
    from corridor.transfers import services as transfers
    from corridor.transfers.tests.journeys import at_the_hospital

    transfers.record_outcome(at_the_hospital(camp, referral), patient=referral.patient, outcome=outcome, by=None)


def test_a_retracted_closing_reopens_the_referral_waiting_with_no_closing_date(
    make_referral: Callable[..., Referral],
) -> None:
    referral, closing = _closed(make_referral)
    assert _row(referral) == ("waiting", "withdrawn", CLOSED_ON)
    _fix(closing, retract=True)
    assert _row(referral) == ("waiting", "waiting", None)
    assert ledger.verify().ok
    # Open again: it can be closed again, as any open referral.
    register.close_referral(referral, reason="left", on=CLOSED_ON, by=None)
    assert _row(referral) == ("waiting", "left", CLOSED_ON)


def test_a_retracted_closing_after_a_visit_puts_the_referral_back_in_care(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral = make_referral("P-4", referral_date=REFERRED_ON)
    _seen(camp, referral, "admitted")
    register.close_referral(referral, reason="treated", on=CLOSED_ON, by=None)
    _fix(Entry.objects.get(type="referral.closed"), retract=True)
    assert _row(referral) == ("in_treatment", "in_care", None)


def test_a_retracted_care_complete_gives_the_patient_back_their_care_and_the_referral_waits_again(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral = make_referral("P-5", referral_date=REFERRED_ON)
    _seen(camp, referral, "care_complete")
    assert _row(referral) == ("treated", "treated", dt.date(2014, 9, 8))
    _fix(Entry.objects.get(type="referral.closed"), retract=True)
    # No visit before the closing left the referral open: it waits for a trip, and the planner offers it.
    assert _row(referral) == ("in_treatment", "waiting", None)


def test_a_closing_before_a_day_the_patient_was_seen_for_the_referral_is_refused_and_so_is_a_correction_to_it(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral = make_referral("P-6", referral_date=REFERRED_ON)
    _seen(camp, referral, "admitted")  # seen on 8 September
    before = ledger.head()
    with pytest.raises(InvalidInput, match="was seen at a hospital for this referral on 2014-09-08") as refused:
        register.close_referral(referral, reason="withdrawn", on=dt.date(2014, 9, 3), by=None)
    assert (refused.value.code, refused.value.field) == ("referral.closed_before_visit", "on")
    assert _row(referral) == ("in_treatment", "in_care", None) and ledger.head() == before
    register.close_referral(referral, reason="treated", on=CLOSED_ON, by=None)
    before, closed = ledger.head(), _row(referral)
    with pytest.raises(InvalidInput) as corrected_early:
        _fix(Entry.objects.get(type="referral.closed"), closed_on="2014-09-05")
    assert (corrected_early.value.code, corrected_early.value.field) == (
        "referral.closed_before_visit",
        "changes.closed_on",
    )
    assert _row(referral) == closed and closed[1:] == ("treated", CLOSED_ON) and ledger.head() == before


def test_a_corrected_closing_date_or_reason_moves_the_referral_and_a_retracted_correction_moves_it_back(
    make_referral: Callable[..., Referral],
) -> None:
    referral, closing = _closed(make_referral)
    moved = _fix(closing, closed_on="2014-09-12")
    assert _row(referral) == ("waiting", "withdrawn", dt.date(2014, 9, 12))
    _fix(closing, reason="left", note="moved to another camp")
    assert _row(referral) == ("waiting", "left", dt.date(2014, 9, 12))
    _fix(moved, retract=True)
    assert _row(referral) == ("waiting", "left", CLOSED_ON)


def test_a_closing_corrected_after_the_referral_was_closed_again_leaves_the_standing_closing_in_charge(
    make_referral: Callable[..., Referral],
) -> None:
    referral, first = _closed(make_referral)
    _fix(first, retract=True)
    register.close_referral(referral, reason="treated", on=dt.date(2014, 9, 25), by=None)
    for fix in ({"closed_on": "2014-09-05"}, {"retract": True}):  # the first closing no longer stands
        with pytest.raises(Conflict) as refused:
            _fix(first, **fix)
        assert refused.value.code == "ledger.already_retracted"
    assert _row(referral) == ("waiting", "treated", dt.date(2014, 9, 25))


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"closed_on": "tomorrow"}, "changes.closed_on", "date.in_future"),
        ({"closed_on": None}, "changes.closed_on", "referral.closing_date_removed"),
        ({"closed_on": " "}, "changes.closed_on", "referral.closing_date_removed"),
        ({"closed_on": "some day"}, "changes.closed_on", "date.not_iso"),
        ({"closed_on": "2014-08-31"}, "changes.closed_on", "referral.closed_before_referral"),
        ({"reason": "waiting"}, "changes.reason", "referral.unknown_reason"),
        ({"reason": None}, "changes.reason", "referral.unknown_reason"),
    ],
)
def test_a_closing_date_in_the_future_removed_or_unreadable_or_a_reason_that_closes_nothing_is_refused(
    make_referral: Callable[..., Referral], changes: dict[str, Any], field: str, code: str
) -> None:
    referral, closing = _closed(make_referral)
    before, head = _row(referral), ledger.head()
    if changes.get("closed_on") == "tomorrow":
        changes = {"closed_on": (clock.today() + dt.timedelta(days=1)).isoformat()}
    with pytest.raises(InvalidInput) as refused:
        _fix(closing, **changes)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert _row(referral) == before and ledger.head() == head


def test_a_death_retracted_after_one_of_its_closings_was_retracted_alone_retracts_the_others_once(
    make_referral: Callable[..., Referral],
) -> None:
    first = make_referral("P-6", referral_date=REFERRED_ON)
    second = make_referral("P-6", specialty="cardiology", referral_date=dt.date(2014, 9, 10))
    deaths.record_death(first.patient, on=CLOSED_ON, by=None, source="witness", certainty="probable")
    death = Entry.objects.get(type="patient.died")
    alone, other = Entry.objects.filter(type="referral.closed").order_by("seq")
    _fix(alone, retract=True)
    # The death stands: the patient stays dead, the referral whose closing was withdrawn is open.
    assert [_row(first), _row(second)] == [("deceased", "waiting", None), ("deceased", "died", CLOSED_ON)]
    _fix(death, retract=True)
    assert [_row(first), _row(second)] == [("waiting", "waiting", None), ("waiting", "waiting", None)]
    retractions = Entry.objects.filter(type="entry.retracted")
    assert sorted(e.corrects for e in retractions) == [death.seq, alone.seq, other.seq]
    assert ledger.verify().ok


def test_a_death_date_corrected_moves_its_closings_through_their_own_corrections(
    make_referral: Callable[..., Referral],
) -> None:
    referral = make_referral("P-6", referral_date=REFERRED_ON)
    deaths.record_death(referral.patient, on=CLOSED_ON, by=None, source="witness", certainty="probable")
    closing = Entry.objects.get(type="referral.closed")
    _fix(closing, closed_on="2014-09-15")  # said alone first; the death's date, corrected later, has the last word
    _fix(Entry.objects.get(type="patient.died"), date="2014-09-11")
    assert _row(referral) == ("deceased", "died", dt.date(2014, 9, 11))
    assert Patient.objects.get(pk=referral.patient_id).status == "deceased"


def test_a_removed_closing_date_is_refused_in_persian_and_arabic(make_referral: Callable[..., Referral]) -> None:
    _referral, closing = _closed(make_referral)
    with pytest.raises(InvalidInput) as refused:
        _fix(closing, closed_on=None)
    with translation.override("fa"):
        assert in_language(refused.value) == FA_REMOVED
    with translation.override("ar"):
        assert in_language(refused.value) == AR_REMOVED


FA_REMOVED = "تاریخ بسته شدن ارجاع را نمی‌توان حذف کرد؛ اگر ارجاع هنوز باز است، بسته شدن آن را پس بگیرید"
AR_REMOVED = "لا يمكن حذف تاريخ إغلاق الإحالة؛ اسحب الإغلاق إن كانت الإحالة لا تزال مفتوحة"
