"""A death's or a closing's date is corrected from the entry's page, and what follows from it moves with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral
from corridor.transfers import deaths
from corridor.web.tests.conftest import Scene

pytestmark = pytest.mark.django_db

EVIDENCE: dict[str, Any] = {"source": "document", "certainty": "confirmed"}


def _died(scene: Scene) -> tuple[Patient, dt.date, deaths.Death]:
    """A patient recorded dead the day before the trip: the patient, the day said and the death."""
    dying = scene.patients[5]
    said_day = scene.trip.date - dt.timedelta(days=1)
    return dying, said_day, deaths.record_death(dying, on=said_day, by=None, source="witness", certainty="probable")


def test_a_coordinator_corrects_a_deaths_date_from_its_entry_and_the_referrals_close_on_it(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    dying, said_day, death = _died(scene)
    client = client_for("coordinator")
    entry_page = reverse("web:ledger_entry", args=[death.entry.seq])
    correct = reverse("web:ledger_correct", args=[death.entry.seq])
    assert f'href="{correct}"' in client.get(entry_page).content.decode()
    assert f'href="{correct}"' not in client_for("clinician").get(entry_page).content.decode()  # not theirs to do
    form = client.get(correct).content.decode()
    assert f'value="{said_day.isoformat()}"' in form  # the date as it stands, to be changed

    right_day = said_day - dt.timedelta(days=3)
    answer = client.post(correct, {"date": right_day.isoformat(), "reason": "the family's letter", **EVIDENCE})
    assert answer.status_code == 302 and answer["Location"] == entry_page
    fix = Entry.objects.get(type="entry.corrected", corrects=death.entry.seq)
    assert fix.payload["changes"] == {"date": right_day.isoformat()} and fix.source == "document"
    closed = Referral.objects.filter(patient=dying, status=Referral.Status.DIED)
    assert closed.exists() and {r.closed_on for r in closed} == {max(right_day, r.referral_date) for r in closed}
    assert f"Entry {death.entry.seq} is corrected by entry {fix.seq}." in client.get(entry_page).content.decode()


def test_a_date_the_death_cannot_have_or_the_same_date_again_is_refused_on_the_form_and_nothing_is_written(
    scene: Scene, client_for: Callable[[str], Client], today: dt.date
) -> None:
    _dying, said_day, death = _died(scene)
    client = client_for("monitor")
    correct = reverse("web:ledger_correct", args=[death.entry.seq])
    head = ledger.head()
    for day, said in (
        (today + dt.timedelta(days=2), "is after today"),
        (said_day, "name at least one corrected value"),
    ):
        answer = client.post(correct, {"date": day.isoformat(), "reason": "typed wrong", **EVIDENCE})
        assert answer.status_code == 422 and said in answer.content.decode()
    assert ledger.head() == head


def test_an_entry_with_no_date_a_page_may_correct_or_one_retracted_has_no_correction_page(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    plan = reverse("web:ledger_correct", args=[scene.plan.seq])
    assert client.get(plan).status_code == 404
    assert (
        f'href="/ledger/{scene.plan.seq}/correct/"'
        not in client.get(reverse("web:ledger_entry", args=[scene.plan.seq])).content.decode()
    )
    closing = scene.closing()
    ledger.correct(closing.seq, by=None, reason="never closed", changes={}, retract=True, **EVIDENCE)
    assert client.get(reverse("web:ledger_correct", args=[closing.seq])).status_code == 404


def test_an_entrys_page_shows_what_its_corrections_say_now_and_withholds_a_corrected_text_as_the_entrys_own(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    _dying, said_day, death = _died(scene)
    right_day = (said_day - dt.timedelta(days=2)).isoformat()
    first = ledger.correct(
        death.entry.seq, by=None, reason="letter", changes={"date": said_day.isoformat()}, **EVIDENCE
    )
    second = ledger.correct(
        death.entry.seq,
        by=None,
        reason="letter",
        changes={"date": right_day, "circumstances": "fever, no doctor"},
        **EVIDENCE,
    )
    entry_page = reverse("web:ledger_entry", args=[death.entry.seq])
    seen = client_for("clinician").get(entry_page).content.decode()
    # The latest value of each key, with the correction that gave it; the first correction's date is superseded.
    assert f'<code class="mono">date</code>: <span class="mono">&quot;{right_day}&quot;</span></bdi>' in seen
    assert f'href="/ledger/{second.seq}/"' in seen and "fever, no doctor" in seen
    monitor = client_for("monitor").get(entry_page).content.decode()
    assert f"&quot;{right_day}&quot;" in monitor and "fever, no doctor" not in monitor
    ledger.correct(second.seq, by=None, reason="wrong letter", changes={}, retract=True, **EVIDENCE)
    now = client_for("clinician").get(entry_page).content.decode()
    assert f'&quot;{said_day.isoformat()}&quot;</span></bdi> (<a href="/ledger/{first.seq}/">' in now
    assert "fever, no doctor" not in now
