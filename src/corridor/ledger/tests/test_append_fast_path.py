"""An append outside any transaction takes SQLite's fast path and writes exactly what the general one writes;
the routine check split across processes says what one process says.

Neither runs inside a test's transaction, so these run in a process and a database of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.ops.testing import migrated_install, python

CHECKS = """
import datetime as dt
from django.db import DatabaseError, connection, transaction
from corridor.errors import NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry, EntrySite, Subject
from corridor.register import scoping, services as register

fast = []
original = ledger._append_raw_sqlite
def counted(*args, **kwargs):
    written = original(*args, **kwargs)
    fast.append(written[0])
    return written
ledger._append_raw_sqlite = counted
expected_fast = connection.vendor == "sqlite"

def rows(seq):
    return (
        sorted(Subject.objects.filter(entry_id=seq).values_list("key", flat=True)),
        sorted(EntrySite.objects.filter(entry_id=seq).values_list("site_id", flat=True)),
    )

# The same rows as an append inside a transaction (the general path), and the chain goes on through both.
site = register.create_site(code="FAST-T", name="Fast", country="XX", by=None)
subjects = ["site:FAST-T", "user:someone"]
moment = dt.datetime(2014, 10, 11, 8, 30, tzinfo=dt.UTC)
one = ledger.append("gate.released", by="clerk", subjects=subjects, payload={"n": 1}, now=moment)
with transaction.atomic():
    two = ledger.append("gate.released", by="clerk", subjects=subjects, payload={"n": 1}, now=moment)
assert fast == ([one.seq] if expected_fast else []), fast
stored = Entry.objects.get(seq=one.seq)
assert (stored.body, stored.hash) == (one.body, one.hash)
assert stored.fields == one.fields and one.type == "gate.released" and one.payload == {"n": 1}
assert Entry.objects.get(seq=two.seq).prev_hash == one.hash
assert rows(one.seq) == rows(two.seq) == (sorted(subjects), [site.pk])
assert two.body.replace(f'"seq":{two.seq}', f'"seq":{one.seq}').replace(one.hash, stored.prev_hash) == one.body

# A failure at the last statement leaves nothing behind, raised as Django's error.
before = ledger.head()
real = scoping.sites_query
scoping.sites_query = lambda subjects: ("SELECT no_such_column AS site_ref", [])
try:
    ledger.append("gate.released", by=None, subjects=["site:FAST-T"])
    raise AssertionError("the append did not fail")
except DatabaseError:
    pass
scoping.sites_query = real
assert not connection.in_atomic_block and ledger.head() == before
assert not Subject.objects.filter(entry_id=before[0] + 1).exists()

# A correction of no entry is refused and writes nothing; of an entry, it is written.
try:
    ledger.append("entry.corrected", by=None, payload={"reason": "typo"}, corrects=before[0] + 5)
    raise AssertionError("the correction was not refused")
except NotFound:
    pass
assert ledger.head() == before
correction = ledger.append("entry.corrected", by=None, payload={"reason": "typo"}, corrects=one.seq)
assert correction.seq == before[0] + 1 and correction.fields["corrects"] == one.seq
assert ledger.verify(deep=True).ok

# The routine check split across forked children says what one process says; a child that fails answers
# nothing, and the chain is then walked in this process, to the same verdict.
alone = ledger._fast_verify(1)
assert alone is not None and alone.ok
assert ledger._fast_verify(2) == ledger._fast_verify(3) == alone
checked = ledger._check_range
def failing_in_children(first, last, *args):
    if first > 1:
        raise RuntimeError("a child fails")
    return checked(first, last, *args)
ledger._check_range = failing_in_children
assert ledger._fast_verify(2) is None
assert ledger.verify(workers=2) == alone
print("ok", len(fast))
"""


@pytest.mark.slow
@pytest.mark.database  # the PostgreSQL pass runs it too: there every append goes the general way
def test_the_fast_paths_write_and_verify_as_the_general_ones(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as install:
        assert python(CHECKS, install.variables).startswith("ok")
