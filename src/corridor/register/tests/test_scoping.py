"""Sites as a boundary: who works where, how each record and ledger entry belongs to a site, and the refusals."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from corridor.accounts import services as accounts
from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.ledger.models import Entry, EntrySite
from corridor.register import services as register
from corridor.register.models import Patient, Referral, Site
from corridor.register.scoping import SITE_PATHS, for_sites, get_visible, site_ids, visible
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db


def test_every_model_with_a_site_is_in_the_one_table_of_site_paths() -> None:
    # A new model holding a site (directly or through a patient, trip or item) must say how it is scoped.
    holding = set()
    for model in django_apps.get_models():
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if (
                field.many_to_one
                and target is not None
                and target._meta.label
                in (
                    "register.Site",
                    "register.Patient",
                    "transfers.Trip",
                    "transfers.Companion",
                    "supplies.SupplyItem",
                    "supplies.Generator",
                )
            ):
                holding.add(model._meta.label)
    assert holding - set(SITE_PATHS) == set()


def test_a_model_without_a_site_path_cannot_be_read_through_the_scope() -> None:
    from corridor.register.models import Facility

    with pytest.raises(LookupError):
        for_sites(Facility.objects.all(), [1])


def test_each_account_sees_the_patients_referrals_trips_and_entries_of_its_sites_only(
    crossing: Any, users: dict[str, Any]
) -> None:
    camp_user, crossing_user = users["coordinator"], crossing.users["coordinator"]
    assert set(visible(Patient.objects.all(), crossing_user).values_list("code", flat=True)) == {"X-0001"}
    assert "X-0001" not in set(visible(Patient.objects.all(), camp_user).values_list("code", flat=True))
    assert list(visible(Referral.objects.all(), crossing_user)) == [crossing.referral]
    assert list(visible(Trip.objects.all(), crossing_user)) == [crossing.trip]
    about_crossing = set(EntrySite.objects.filter(site_id=crossing.site.pk).values_list("entry_id", flat=True))
    assert about_crossing  # its site, rules, patient, referral and trip were all indexed when appended
    seen_at_camp = set(visible(Entry.objects.all(), camp_user).values_list("seq", flat=True))
    assert seen_at_camp.isdisjoint(about_crossing)
    assert about_crossing <= set(visible(Entry.objects.all(), crossing_user).values_list("seq", flat=True))
    with pytest.raises(NotFound):
        get_visible(Patient.objects.all(), camp_user, "patient", code="X-0001")
    assert site_ids(None) is None  # scripts and loaders act for every site


def test_services_refuse_acts_on_another_sites_records_and_write_nothing(crossing: Any, users: dict[str, Any]) -> None:
    before = Entry.objects.count()
    with pytest.raises(NotFound):
        register.create_referral(
            patient=crossing.patient,
            specialty="oncology",
            priority="P3",
            referral_date=dt.date(2014, 1, 3),
            by=users["clinician"],
        )
    with pytest.raises(NotFound):
        register.view_identity(crossing.patient, by=users["coordinator"], purpose="escort")
    with pytest.raises(NotFound):
        register.register_patient(
            site=crossing.site, code="X-0099", registered_on=dt.date(2014, 1, 1), by=users["coordinator"]
        )
    assert Entry.objects.count() == before


def test_sites_are_given_at_creation_and_replaced_by_someone_else_with_a_ledger_entry(
    crossing: Any, users: dict[str, Any]
) -> None:
    admin = users["admin"]
    nurse = accounts.create_user(
        username="nurse", role="clinician", password="a long enough passphrase", sites=["XING-T"], by=admin
    )
    created = Entry.objects.filter(type="user.created").order_by("-seq").first()
    assert created is not None and created.payload["sites"] == ["XING-T"]
    accounts.change_sites(nurse, sites=["CAMP-T", "XING-T"], reason="covers both", by=admin)
    changed = Entry.objects.get(type="user.sites_changed")
    assert changed.payload == {
        "username": "nurse",
        "from": ["XING-T"],
        "to": ["CAMP-T", "XING-T"],
        "reason": "covers both",
    }
    assert accounts.sites_of(nurse) == ["CAMP-T", "XING-T"]
    with pytest.raises(NotAllowed):
        accounts.change_sites(admin, sites=["XING-T"], by=admin)
    with pytest.raises(InvalidInput):
        accounts.change_sites(nurse, sites=["NOWHERE"], by=admin)


def test_without_sites_named_a_one_site_install_gives_its_site_and_a_two_site_install_none(camp: Any) -> None:
    first = accounts.create_user(username="first", role="monitor", password="x", by=None, check_password=False)
    assert accounts.sites_of(first) == ["CAMP-T"]
    register.create_site(code="XING-2", name="Second", country="XX", by=None)
    second = accounts.create_user(username="second", role="monitor", password="x", by=None, check_password=False)
    assert accounts.sites_of(second) == []


def test_the_migration_indexes_existing_entries_as_appending_does(crossing: Any) -> None:
    indexed = set(EntrySite.objects.values_list("entry_id", "site_id"))
    EntrySite.objects.all().delete()  # an index, not evidence: rebuilt from the subject rows
    migration = importlib.import_module("corridor.register.migrations.0005_h14s_entry_sites")
    migration.backfill(django_apps, connection.schema_editor())
    assert set(EntrySite.objects.values_list("entry_id", "site_id")) == indexed


def test_a_deep_verification_holds_every_entrys_site_rows_to_its_subjects(crossing: Any) -> None:
    from corridor.ledger import services as ledger

    assert ledger.verify(deep=True).ok  # as appended: the camp's and the crossing's entries alike
    row = EntrySite.objects.filter(site_id=crossing.site.pk).order_by("entry_id").first()
    assert row is not None
    seq = row.entry_id
    # Removing the row would show the crossing's entry to the camp's users as if it were install-wide.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_entrysite WHERE id = %s", [row.pk])
    assert ledger.verify().ok  # the chain itself is intact …
    deep = ledger.verify(deep=True)
    assert (deep.ok, deep.bad_seq) == (False, seq)
    assert deep.problem == "the site index does not match the sites of the body's subjects"


def test_the_site_lookup_compiled_once_finds_a_site_and_patient_added_after_it(camp: Any) -> None:
    from corridor.ledger import services as ledger

    camp_patient = register.register_patient(
        site=Site.objects.get(code="CAMP-T"),
        code="C-0901",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Camp Person C-0901"},
        by=None,
    )
    first = ledger.append("patient.changed", by=None, subjects=[f"patient:{camp_patient.code}"])
    # The lookup of one patient's site is compiled now; a site and a patient created afterwards must
    # still be found by it, not answered from anything remembered about the first append.
    later_site = register.create_site(code="LATE-T", name="Late Site", country="XX", by=None)
    later = register.register_patient(
        site=later_site,
        code="L-0001",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Late Person L-0001"},
        by=None,
    )
    second = ledger.append("patient.changed", by=None, subjects=["patient:L-0001"])
    both = ledger.append("patient.changed", by=None, subjects=["patient:L-0001", "patient:C-0901"])
    def sites_of(entry: Entry) -> set[int]:
        return set(EntrySite.objects.filter(entry_id=entry.seq).values_list("site_id", flat=True))

    assert sites_of(first) == {camp_patient.site_id}
    assert sites_of(second) == {later.site_id} == {later_site.pk}
    assert sites_of(both) == {camp_patient.site_id, later_site.pk}
    assert ledger.verify(deep=True).ok  # the site rows agree with sites_of_subjects for every entry
