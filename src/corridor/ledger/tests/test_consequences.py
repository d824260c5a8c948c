"""A correction changes the state rows through the handler of the corrected entry's type, in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from corridor.ledger import consequences
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

pytestmark = pytest.mark.django_db


def _fix(seq: int, *, retract: bool = False, **changes: Any) -> Entry:
    return ledger.correct(
        seq, by=None, reason="typed wrong", changes=changes, source="witness", certainty="confirmed", retract=retract
    )


def _rows() -> list[Any]:
    """Every column of every row the handlers may write (but the sealed texts, which no handler writes)."""
    from corridor.register.crypto import EncryptedTextField
    from corridor.register.models import Patient, Referral
    from corridor.transfers.models import Trip, TripPassenger

    out = []
    for model in (Patient, Referral, Trip, TripPassenger):
        columns = [f.attname for f in model._meta.concrete_fields if not isinstance(f, EncryptedTextField)]
        out.append(list(model.objects.order_by("pk").values_list(*columns)))
    return out


def test_the_register_and_the_transfers_handle_deaths_closings_outcomes_and_trip_statuses_from_start_up() -> None:
    # No test module imported the handlers: the apps registered them when Django started.
    assert consequences.handled() == {
        "patient.died",
        "referral.closed",
        "patient.seen",
        "patient.not_seen",
        "trip.approved",
        "trip.denied",
        "trip.departed",
        "gate.arrived",
        "gate.turned_back",
        "trip.returned",
        "trip.cancelled",
    }


def test_a_correction_of_an_entry_type_with_no_handler_changes_no_row(
    camp: Any, make_referral: Callable[..., Any]
) -> None:
    from corridor.register import services as register
    from corridor.transfers import services as transfers

    referral = make_referral("P-1")
    register.change_patient(referral.patient, sex="m", by=None)
    transfers.request_trip(
        site=camp,
        day=dt.date(2014, 10, 12),
        facility=referral.eligible_facilities.first(),
        referrals=[referral],
        by=None,
        at=dt.datetime(2014, 10, 10, 9, tzinfo=dt.UTC),
    )
    before, head = _rows(), ledger.head()[0]
    changed: tuple[tuple[str, dict[str, Any]], ...] = (
        ("patient.changed", {"sex": "f"}),
        ("trip.requested", {"certainty": "probable"}),
    )
    for kind, changes in changed:
        assert kind not in consequences.handled()
        _fix(Entry.objects.get(type=kind).seq, **changes)
    _fix(Entry.objects.get(type="referral.created").seq, retract=True)
    assert _rows() == before and ledger.head()[0] == head + 3


def test_a_correction_is_not_written_when_its_consequences_fail(camp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(original: Entry, correction: Entry) -> None:
        assert Entry.objects.filter(seq=correction.seq).exists()  # called after the correction is written
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(consequences._handlers, "site.created", fail)
    head = ledger.head()
    with pytest.raises(RuntimeError, match="the disk is full"):
        _fix(Entry.objects.get(type="site.created").seq, name="Camp T")
    assert ledger.head() == head


def test_a_retracted_correction_reaches_the_handler_of_the_entry_it_corrected(
    camp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[tuple[str, str]] = []
    monkeypatch.setitem(
        consequences._handlers, "site.created", lambda entry, fix: called.append((entry.type, fix.fields["type"]))
    )
    site = Entry.objects.get(type="site.created")
    correction = _fix(site.seq, name="Camp T")
    _fix(correction.seq, retract=True)
    assert called == [("site.created", "entry.corrected"), ("site.created", "entry.retracted")]


def test_a_type_has_one_handler() -> None:
    with pytest.raises(RuntimeError, match="already have a handler"):
        consequences.register("patient.died")(lambda entry, fix: None)
