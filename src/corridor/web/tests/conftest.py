"""The workspace's fixtures: a small camp with a plan, a trip, identities, and one client per role."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import DAY
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Patient, Referral, Site
from corridor.transfers import plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

ROLES = ("coordinator", "clinician", "monitor", "auditor", "admin")
IDENTITY_MARK = "Test Person"  # conftest's make_referral names everyone "Test Person <code>"


@dataclass
class Scene:
    site: Site
    patients: list[Patient]
    referrals: list[Referral]
    trip: Trip
    plan: Entry
    users: dict[str, Any]

    def kwargs(self, name: str) -> dict[str, Any]:
        """Arguments for the URL ``web:<name>``, pointing at this scene's objects."""
        if name == "user_token_revoke":
            return {"username": "clinician", "token_id": 1}
        if name.startswith("user") and name not in ("users", "user_create"):
            return {"username": "clinician"}
        if name == "break_glass_acknowledge":
            return {"pk": 1}
        if name in (
            "patient",
            "patient_edit",
            "patient_identity",
            "identity_edit",
            "referral_create",
            "patient_death",
            "patient_break_glass",
            "erasure_ask",
            "erasure_confirm",
            "erasure_cancel",
        ):
            return {"code": self.patients[0].code}
        if name == "referral_close":
            return {"pk": self.referrals[0].pk}
        if name == "trip" or name.startswith("trip_"):
            return {"pk": self.trip.pk}
        if name in ("ledger_entry", "ledger_text", "ledger_retract", "attachment_add", "plan_bound"):
            return {"seq": self.plan.seq}
        if name == "ledger_correct":
            return {"seq": self.closing().seq}
        if name in ("attachment_image", "attachment_original"):
            return {"seq": self.photo().seq}
        if name == "companion_identity":
            return {"code": self.companion().code}
        return {}

    def companion(self) -> Any:
        """An interpreter on the roster, named like the patients (made on first use)."""
        from corridor.transfers import companions
        from corridor.transfers.models import Companion

        existing = Companion.objects.filter(code="C-0001").first()
        if existing is not None:
            return existing
        return companions.register_companion(
            site=self.site,
            code="C-0001",
            kind="interpreter",
            registered_on=DAY,
            identity={"full_name": f"{IDENTITY_MARK} C-0001", "contact": "Block 7"},
            by=None,
        )

    def closing(self) -> Entry:
        """A referral's closing, whose date a page may correct (made on first use)."""
        from corridor.register import services as register

        existing = Entry.objects.filter(type="referral.closed").order_by("seq").first()
        if existing is not None:
            return existing
        # One whose patient is on no trip still to leave: the register refuses to close the others.
        referral = next(r for r in self.referrals if not r.patient.trip_places.exists())
        register.close_referral(referral, reason="withdrawn", on=referral.referral_date, by=None)
        return Entry.objects.get(type="referral.closed", subject_rows__key=f"referral:{referral.pk}")

    def photo(self) -> Entry:
        """A photo attached to the plan's entry (made on first use: only the attachment pages need it)."""
        from corridor.ledger.attachments import attach
        from corridor.ledger.tests.samples import photo_with_metadata

        existing = Entry.objects.filter(type="attachment.added").order_by("seq").first()
        if existing is not None:
            return existing
        return attach(
            io.BytesIO(photo_with_metadata()), entry=self.plan.seq, by=None, source="media", certainty="confirmed"
        )


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    # Login throttling counts in the cache, which outlives a test's database transaction.
    cache.clear()


@pytest.fixture
def today(settings: Any) -> dt.date:
    settings.TODAY = DAY
    return DAY


@pytest.fixture
def scene(today: dt.date, camp: Site, make_referral: Callable[..., Referral], users: dict[str, Any]) -> Scene:
    """Six waiting oncology patients (some past their deadline), a requested trip and today's plan."""
    referrals = [
        make_referral(f"P-{i:04d}", priority="P2", referral_date=today - dt.timedelta(days=30 - 3 * i))
        for i in range(6)
    ]
    trip = transfers.request_trip(
        site=camp,
        day=today + dt.timedelta(days=1),
        facility=Facility.objects.get(code="H-1"),
        referrals=[referrals[5]],
        by=None,
    )
    plan = plans.propose_plan(site=camp, day=today, by=None, horizon_days=14)
    return Scene(camp, [r.patient for r in referrals], referrals, trip, plan, users)


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    """A signed-in client for a role name, ``outsider`` (no role) or ``anonymous``."""

    def make(who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(users[who])
        return client

    return make
