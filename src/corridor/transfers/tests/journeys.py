"""Trips made step by step for the tests that need a patient at the hospital (not a test module)."""

from __future__ import annotations

import datetime as dt

from corridor.register.models import Facility, Referral, Site
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip


def at_the_hospital(site: Site, referral: Referral, day: dt.date = dt.date(2014, 9, 8)) -> Trip:
    """The referral's patient taken to H-1 on ``day``: asked for and approved at 05:00 UTC, at the gate an hour
    later, let through after two, at the hospital after three; their outcome is the test's to record."""
    at = dt.datetime.combine(day, dt.time(5), tzinfo=dt.UTC)
    trip = transfers.request_trip(
        site=site, day=day, facility=Facility.objects.get(code="H-1"), referrals=[referral], by=None, at=at
    )
    transfers.approve_trip(trip, by=None, at=at)
    transfers.record_gate_arrival(trip, at=at + dt.timedelta(hours=1), by=None)
    transfers.record_gate_release(trip, at=at + dt.timedelta(hours=2), by=None)
    transfers.record_hospital_arrival(trip, at=at + dt.timedelta(hours=3), by=None)
    return trip
