"""An append writes its entry, its subject rows and its site rows in the transaction of the state it records."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry, EntrySite, Subject
from corridor.register import services as register
from corridor.register.models import Site

pytestmark = pytest.mark.django_db


def test_a_state_change_and_its_entry_are_rolled_back_together() -> None:
    before = ledger.head()
    with pytest.raises(RuntimeError), transaction.atomic():
        register.create_site(code="GONE-T", name="Gone", country="XX", by=None)
        assert ledger.head()[0] == before[0] + 1  # written, inside the transaction
        raise RuntimeError("the caller fails after the service returned")
    assert not Site.objects.filter(code="GONE-T").exists()
    assert ledger.head() == before
    assert ledger.verify().ok


def test_an_append_failing_at_its_site_rows_leaves_no_entry_and_no_subject_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from corridor.register import scoping

    site = register.create_site(code="KEEP-T", name="Kept", country="XX", by=None)
    before = ledger.head()
    # The site rows are the last statement of an append, after the entry and its subjects: a failure
    # there must take the whole append with it, or the next append would build on a half-written one.
    monkeypatch.setattr(scoping, "sites_query", lambda subjects: ("SELECT no_such_column AS site_ref", []))
    with pytest.raises(DatabaseError):
        ledger.append("gate.released", by=None, subjects=[f"site:{site.code}"])
    monkeypatch.undo()
    assert ledger.head() == before
    assert not Subject.objects.filter(entry_id=before[0] + 1).exists()
    after = ledger.append("gate.released", by=None, subjects=[f"site:{site.code}"])
    assert after.seq == before[0] + 1
    assert list(EntrySite.objects.filter(entry_id=after.seq).values_list("site_id", flat=True)) == [site.pk]
    assert ledger.verify(deep=True).ok


def test_a_trip_id_too_large_for_any_key_has_no_site_and_is_appended() -> None:
    entry = ledger.append("gate.released", by=None, subjects=["trip:" + "9" * 30, "trip:12"])
    assert not EntrySite.objects.filter(entry_id=entry.seq).exists()


def test_an_append_takes_one_statement_for_its_site_rows_whatever_its_subjects() -> None:
    site = register.create_site(code="ONE-T", name="One", country="XX", by=None)
    with CaptureQueriesContext(connection) as queries:
        entry = ledger.append("gate.released", by=None, subjects=[f"site:{site.code}", "user:someone"])
    inserts = [q["sql"] for q in queries.captured_queries if "ledger_entrysite" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert Entry.objects.filter(seq=entry.seq).exists()
    assert list(EntrySite.objects.filter(entry_id=entry.seq).values_list("site_id", flat=True)) == [site.pk]
