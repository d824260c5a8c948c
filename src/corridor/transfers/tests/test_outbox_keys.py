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

from corridor.ledger.tests.test_concurrent_appends import _environment, fresh_database  # noqa: F401

pytestmark = pytest.mark.database

SET_UP = """
import datetime as dt, json, os, uuid
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.register import services as register
from corridor.register.models import Facility
from corridor.transfers import services as transfers
camp = dt.timezone(dt.timedelta(hours=3))
day = dt.date(2014, 10, 12)
site = register.create_site(code="CAMP-T", name="Test Camp", country="XX", population=3000, time_zone="Etc/GMT-3",
                            by=None)
every_day = {str(d): ["08:00", "14:00"] for d in range(7)}
register.create_facility(code="H-1", name="Oncology", specialties=["oncology"], opening_hours=every_day, by=None)
register.set_access_rules(site=site, effective_from=dt.date(2014, 1, 1), max_patients_per_day=4,
                          max_escorts_per_day=2, max_facilities_per_day=1, by=None, source="publication",
                          certainty="unverified")
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
"""

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
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.ledger.models import Entry
print(json.dumps([[e.seq, e.type, (e.payload.get("tap") or {}).get("key")] for e in Entry.objects.order_by("seq")]))
"""


def test_one_outbox_sent_twice_at_once_by_two_processes_records_each_tap_once(
    fresh_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    environment = _environment(fresh_database, tmp_path)
    corridor = [sys.executable, "-c", "from corridor.cli import main; main()"]
    subprocess.run([*corridor, "migrate"], env=environment, check=True, capture_output=True)
    made = subprocess.run([sys.executable, "-c", SET_UP], env=environment, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    plan = made.stdout.strip().splitlines()[-1]
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
    for sender in senders:
        assert sender.stdout is not None and sender.stdout.readline().strip() == "ready"
    for sender in senders:
        assert sender.stdin is not None
        sender.stdin.write("go\n")
        sender.stdin.flush()
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
    entries = json.loads(
        subprocess.run(
            [sys.executable, "-c", COUNT], env=environment, capture_output=True, text=True, check=True
        ).stdout
    )
    tapped = [key for _, _, key in entries if key]
    assert tapped == keys  # each key once, in the order tapped
    verified = subprocess.run([*corridor, "verify"], env=environment, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
