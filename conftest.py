"""Shared fixtures: one user per role plus an outsider, and a small camp with rules and hospitals."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DAY = dt.date(2014, 10, 12)  # a Sunday


def importing_conftest(script: str) -> str:
    """``script``, for a test to run in a process of its own, able to import this file (its day, its camp)
    as the tests do: pytest puts this folder on the tests' path, nothing puts it on that process's."""
    return f"import sys\nsys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n{script}"


def start_together(processes: list[subprocess.Popen[str]]) -> None:
    """Let processes go at the same moment: each prints "ready" once set up, then waits for a line. Starting
    them together is what makes their work overlap, which is what a test of their races needs."""
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests that touch the database carry the "database" marker, so the PostgreSQL pass can select them.
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.get_closest_marker("django_db") or {"db", "transactional_db", "django_db_setup"} & set(fixtures):
            item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def _english_between_tests() -> Any:
    """Each test starts in English: a request in Persian leaves its language active in the thread (Django
    does not deactivate it), and the next test's English sentences would otherwise depend on the order."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    """alice-style users: one per role, and ``outsider`` with an account but no role."""
    from django.contrib.auth.models import User

    from corridor.accounts.roles import Role
    from corridor.accounts.services import create_user
    from corridor.register.models import Site

    # Everyone works at every site that exists yet; ``camp`` adds its site to those made before it.
    sites = list(Site.objects.values_list("code", flat=True))
    made = {
        role.value: create_user(
            username=role.value, role=role.value, password="x", by=None, check_password=False, sites=sites
        )
        for role in Role
    }
    made["outsider"] = User.objects.create_user(username="outsider", password="x")
    return made


@pytest.fixture
def admins(users: dict[str, Any], camp: Any) -> tuple[Any, Any]:
    """Two admins at the camp, ``admin`` and ``admin-two``: an erasure one of them asks for, the other confirms."""
    from corridor.accounts.services import create_user

    second = create_user(
        username="admin-two", role="admin", password="x", by=None, check_password=False, sites=[camp.code]
    )
    return users["admin"], second


@pytest.fixture
def camp(db: Any) -> Any:
    """A site with default priority classes, three hospitals and rules of 4 patients, 1 hospital a day."""
    return open_camp()


def open_camp() -> Any:
    """The ``camp`` fixture's site, as a plain function: a test that sets up a database in a process of its
    own (pytest's fixtures do not reach there) opens the same camp with it."""
    from django.contrib.auth.models import User

    from corridor.accounts.services import change_sites, sites_of
    from corridor.register import services as register

    register.ensure_priority_classes(by=None)
    site = register.create_site(
        code="CAMP-T", name="Test Camp", country="XX", population=3000, time_zone="Etc/GMT-3", by=None
    )
    for user in User.objects.filter(groups__isnull=False).distinct():  # the role accounts made before the camp
        change_sites(user, sites=[*sites_of(user), site.code], by=None)
    every_day = {str(d): ["08:00", "14:00"] for d in range(7)}
    register.create_facility(code="H-1", name="Oncology", specialties=["oncology"], opening_hours=every_day, by=None)
    register.create_facility(
        code="H-2",
        name="Eyes",
        specialties=["ophthalmology"],
        opening_hours={str(d): ["08:00", "13:00"] for d in range(5)},
        by=None,
    )
    register.create_facility(
        code="H-3",
        name="Heart",
        specialties=["cardiology", "oncology"],
        opening_hours={str(d): ["08:00", "12:30"] for d in range(7)},
        travel_minutes=75,
        by=None,
    )
    register.set_access_rules(
        site=site,
        effective_from=dt.date(2014, 1, 1),
        max_patients_per_day=4,
        max_escorts_per_day=2,
        max_facilities_per_day=1,
        by=None,
        source="publication",
        certainty="unverified",
    )
    return site


@pytest.fixture
def make_referral(camp: Any) -> Callable[..., Any]:
    """Register a patient (if new) and refer them; returns the referral."""
    from corridor.register import services as register
    from corridor.register.models import Patient

    def make(
        code: str,
        specialty: str = "oncology",
        priority: str = "P2",
        referral_date: dt.date = dt.date(2014, 9, 1),
        **extra: Any,
    ) -> Any:
        patient = Patient.objects.filter(code=code).first() or register.register_patient(
            site=camp,
            code=code,
            registered_on=referral_date,
            sex="f",
            birth_year=1970,
            identity={"full_name": f"Test Person {code}", "contact": "Block 7"},
            by=None,
        )
        return register.create_referral(
            patient=patient, specialty=specialty, priority=priority, referral_date=referral_date, by=None, **extra
        )

    return make


@pytest.fixture
def long_wait(make_referral: Callable[..., Any]) -> Callable[[dt.date], list[Any]]:
    """Refer 24 patients (two specialties, three priorities) over the 40 days before a day: enough waiting
    for a short plan's quick dual to leave a gap, so that windows are searched and an LP bound is wanted."""

    def make(day: dt.date) -> list[Any]:
        return [
            make_referral(
                f"P-{i}",
                specialty=("oncology", "cardiology")[i % 2],
                priority=("P1", "P2", "P3")[i % 3],
                referral_date=day - dt.timedelta(days=40 - i),
            )
            for i in range(24)
        ]

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests create many users and do not test the hasher's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def crossing(camp: Any, users: dict[str, Any]) -> Any:
    """A second, small site (a crossing) with a patient, a referral and a requested trip of its own, and
    one account per role that works there only: ``crossing.users["coordinator"]`` and so on."""
    from types import SimpleNamespace

    from corridor.accounts.roles import Role
    from corridor.accounts.services import create_user
    from corridor.register import services as register
    from corridor.register.models import Facility
    from corridor.transfers import services as transfers

    site = register.create_site(code="XING-T", name="Test Crossing", country="XX", population=400, by=None)
    register.set_access_rules(
        site=site,
        effective_from=dt.date(2014, 1, 1),
        max_patients_per_day=2,
        by=None,
        source="publication",
        certainty="unverified",
    )
    patient = register.register_patient(
        site=site,
        code="X-0001",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Crossing Person X-0001"},
        by=None,
    )
    referral = register.create_referral(
        patient=patient, specialty="oncology", priority="P2", referral_date=dt.date(2014, 1, 2), by=None
    )
    trip = transfers.request_trip(
        site=site,
        day=DAY + dt.timedelta(days=1),
        facility=Facility.objects.get(code="H-1"),
        referrals=[referral],
        by=None,
    )
    made = {
        role.value: create_user(
            username=f"{role.value}-x", role=role.value, password="x", by=None, check_password=False, sites=[site.code]
        )
        for role in Role
    }
    return SimpleNamespace(site=site, patient=patient, referral=referral, trip=trip, users=made, codes=("X-0001",))
