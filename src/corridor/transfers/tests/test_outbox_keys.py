"""One outbox sent twice at once, by two server processes: each key becomes one entry, never two.

A phone whose first sending timed out sends again while the first is still being applied; behind a
server with several workers the two land in different processes. Each process applies the same five
taps in order; the trip's row lock and the unique key make the second application of every key find
the first and answer with it. Processes need committed rows and a database of their own, SQLite or
PostgreSQL as ``CORRIDOR_DATABASE_URL`` says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import importing_conftest, start_together
from corridor.ops.testing import corridor, migrated_install, python

pytestmark = pytest.mark.database

SET_UP = importing_conftest("""
import datetime as dt, json, uuid
from conftest import DAY as day, open_camp
from corridor.register import services as register
from corridor.register.models import Facility
from corridor.transfers import services as transfers
camp = dt.timezone(dt.timedelta(hours=3))
site = open_camp()
patient = register.register_patient(site=site, code="P-1", registered_on=dt.date(2014, 9, 1), sex="f",
                                    birth_year=1970, identity={"full_name": "Test Person"}, by=None)
referral = register.create_referral(patient=patient, specialty="oncology", priority="P2",
                                    referral_date=dt.date(2014, 9, 1), by=None)
trip = transfers.request_trip(site=site, day=day, facility=Facility.objects.get(code="H-1"), referrals=[referral],
                              by=None, at=dt.datetime(2014, 10, 10, 9, tzinfo=dt.UTC))
transfers.approve_trip(trip, by=None, at=dt.datetime(2014, 10, 12, 6, tzinfo=camp))
steps = [("gate_arrived", 8), ("gate_held", 9), ("gate_released", 10), ("hospital_arrived", 11), ("returned", 13)]
taps = [{"key": str(uuid.uuid4()), "step": s, "tapped_at": dt.datetime(2014, 10, 12, h, tzinfo=camp).isoformat()}
        for s, h in steps]
print(json.dumps({"trip": trip.pk, "taps": taps}))
""")

SENDER = """
import datetime as dt, json, os, sys, uuid
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.transfers import outbox
from corridor.transfers.models import Trip
plan = json.loads(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
results = []
for tap in plan["taps"]:
    trip = Trip.objects.select_related("site").get(pk=plan["trip"])
    result = outbox.apply_tap(trip, step=tap["step"], key=uuid.UUID(tap["key"]),
                              tapped_at=dt.datetime.fromisoformat(tap["tapped_at"]), source="witness",
                              certainty="confirmed", by="monitor")
    results.append([result.key, result.status, result.replayed, list(result.seqs)])
print(json.dumps(results))
"""

COUNT = """
import json
from corridor.ledger.models import Entry
print(json.dumps([[e.seq, e.type, (e.payload.get("tap") or {}).get("key")] for e in Entry.objects.order_by("seq")]))
"""


def test_one_outbox_sent_twice_at_once_by_two_processes_records_each_tap_once(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as install:
        environment = install.variables
        plan = python(SET_UP, environment).strip().splitlines()[-1]
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, plan],
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        start_together(senders)
        answers = []
        for sender in senders:
            out, err = sender.communicate(timeout=300)
            assert sender.returncode == 0, err[-3000:]
            answers.append(json.loads(out.strip().splitlines()[-1]))

        keys = [tap["key"] for tap in json.loads(plan)["taps"]]
        for index, key in enumerate(keys):
            first, second = answers[0][index], answers[1][index]
            assert first[0] == second[0] == key
            assert first[1] == second[1] == "recorded"
            assert sorted([first[2], second[2]]) == [False, True]  # one applied it, the other found it applied
            assert first[3] == second[3]  # both answer with the same entries
        entries = json.loads(python(COUNT, environment))
        tapped = [key for _, _, key in entries if key]
        assert tapped == keys  # each key once, in the order tapped
        corridor(["verify"], environment)
