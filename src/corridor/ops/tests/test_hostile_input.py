"""Hostile and broken input to every importer and parser entry point: a clean refusal, nothing written.

"Clean" means one of Corridor's own errors (or the parser's documented error type) with a message, never
a KeyError or a traceback; "nothing written" means every table and the ledger are as they were.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corridor import env
from corridor.errors import CorridorError
from corridor.intake import services as intake
from corridor.ledger import services as ledger

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

# A small valid scenario: every kind of record the loader creates, so that mutations reach every branch.
SCENARIO: dict[str, Any] = {
    "format": "corridor-scenario/1",
    "name": "fuzz",
    "today": "2014-10-14",
    "site": {"code": "CAMP-F", "name": "Fuzz Camp", "country": "XX", "population": 100, "time_zone": "UTC"},
    "facilities": [
        {
            "code": "H-F",
            "name": "Fuzz Hospital",
            "specialties": ["oncology"],
            "opening_hours": {"0": ["08:00", "14:00"]},
        }
    ],
    "rules": [
        {"effective_from": "2014-01-01", "max_patients_per_day": 4, "source": "publication", "certainty": "probable"}
    ],
    "patients": [
        {"code": "P-F1", "registered_on": "2014-09-01", "sex": "f", "identity": {"full_name": "Synthetic Fuzz"}},
        {"code": "P-F2", "registered_on": "2014-09-01"},
    ],
    "actions": [
        {
            "action": "referral",
            "ref": "r1",
            "patient": "P-F1",
            "specialty": "oncology",
            "priority": "P2",
            "referral_date": "2014-09-01",
            "facilities": ["H-F"],
        },
        {"action": "trip.request", "ref": "t1", "date": "2014-10-13", "facility": "H-F", "referrals": ["r1"]},
        {"action": "trip.approve", "trip": "t1", "date": "2014-10-12"},
        {"action": "gate.arrive", "trip": "t1", "at": "2014-10-13T05:00:00+00:00"},
        {"action": "gate.release", "trip": "t1", "at": "2014-10-13T07:00:00+00:00"},
        {"action": "death", "patient": "P-F2", "date": "2014-10-01"},
        {
            "action": "supply.blocked",
            "item": "diesel",
            "date": "2014-10-02",
            "quantity": 100,
            "unit": "litres",
            "source": "witness",
            "certainty": "confirmed",
        },
    ],
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


PATHS = [p for p in _paths(SCENARIO) if p and p != ("format",)]


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """The valid scenario with a few fields replaced by random JSON, deleted, or made the wrong type."""
    document = copy.deepcopy(SCENARIO)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(JSON | st.sampled_from(["", "\x00", "9999-99-99", -1, 10**30, [], {}]))
        except (KeyError, IndexError, TypeError):
            continue
    return document


def _state() -> tuple[Any, ...]:
    """Everything a failed load must leave untouched: every register table's size and the ledger head."""
    from corridor.register.models import AccessRuleSet, Facility, Patient, PatientIdentity, Referral, Scenario, Site
    from corridor.supplies.models import SupplyItem
    from corridor.transfers.models import Trip, TripPassenger

    models = (
        Site,
        Facility,
        AccessRuleSet,
        Patient,
        PatientIdentity,
        Referral,
        Scenario,
        Trip,
        TripPassenger,
        SupplyItem,
    )
    return (ledger.head(), *(m.objects.count() for m in models))


def _load_and_check(document: bytes, folder: Path) -> bool:
    """Load ``document``; True if it loaded (and the ledger verifies), False if refused with nothing written.

    Each load runs in a savepoint that is rolled back afterwards, so every example starts from the same
    empty register and a scenario that loads cannot make the next one conflict with it.
    """
    from django.db import transaction

    from corridor.scenarios.loader import load

    path = folder / "scenario.json"
    path.write_bytes(document)
    with transaction.atomic():
        before = _state()
        try:
            load(str(path))
        except CorridorError as exc:
            assert str(exc)
            assert _state() == before, f"refused ({exc}) but something was written"
            loaded = False
        else:
            assert ledger.verify().ok and _state() != before
            loaded = True
        transaction.set_rollback(True)
    return loaded


def test_the_fuzzed_scenario_itself_loads(db: Any, tmp_path: Path) -> None:
    assert _load_and_check(json.dumps(SCENARIO).encode(), tmp_path)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=mutated_scenarios())
def test_the_scenario_loader_refuses_broken_scenarios_cleanly_and_writes_nothing(
    document: dict[str, Any], db: Any, tmp_path: Path
) -> None:
    _load_and_check(json.dumps(document).encode(), tmp_path)


@FUZZ
@given(raw=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_the_scenario_loader_refuses_files_that_are_not_scenarios(raw: bytes, db: Any, tmp_path: Path) -> None:
    _load_and_check(raw, tmp_path)


@FUZZ
@given(data=JSON)
def test_the_planner_s_instance_and_plan_readers_only_raise_their_own_error(data: Any) -> None:
    from corridor.planning.model import InstanceError, load_instance, load_plan

    for document in (data, {"format": "corridor-planning-instance/1", **(data if isinstance(data, dict) else {})}):
        try:
            load_instance(document)
        except InstanceError as exc:
            assert str(exc)
    for document in (data, {"format": "corridor-plan/1", **(data if isinstance(data, dict) else {})}):
        try:
            load_plan(document)
        except InstanceError as exc:
            assert str(exc)


URL_PARTS = st.text(alphabet=string.printable, max_size=30)


@FUZZ
@given(
    url=st.one_of(
        URL_PARTS,
        st.builds(
            lambda s, rest: f"{s}://{rest}",
            st.sampled_from(["sqlite", "postgres", "postgresql", "mysql", ""]),
            URL_PARTS,
        ),
    )
)
def test_database_urls_either_parse_or_name_the_variable(url: str) -> None:
    try:
        parsed = env.database_from_url(url)
    except env.ConfigError as exc:
        assert "CORRIDOR_DATABASE_URL" in str(exc)
        return
    assert parsed["ENGINE"] in ("django.db.backends.sqlite3", "django.db.backends.postgresql") and parsed["NAME"]


@FUZZ
@given(text=st.text(max_size=120))
def test_identity_keys_rates_and_numbers_from_the_environment_parse_or_name_the_variable(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assume("\x00" not in text)  # an environment variable cannot hold a NUL
    try:
        keys = env.parse_identity_keys(text)
    except env.ConfigError as exc:
        # The message names the variable and never repeats what was in it (it could be a real key).
        assert "CORRIDOR_IDENTITY_KEY" in str(exc)
        assert len(text.strip()) < 8 or text.strip() not in str(exc)
    else:
        assert all(len(k) >= 43 for k in keys)
    monkeypatch.setenv("CORRIDOR_API_RATE_LIMIT", text)
    monkeypatch.setenv("CORRIDOR_WORKERS", text)
    for read in (lambda: env.envrate("CORRIDOR_API_RATE_LIMIT", "1/m"), lambda: env.envint("CORRIDOR_WORKERS", 2)):
        try:
            read()
        except env.ConfigError as exc:
            assert "CORRIDOR_" in str(exc)


@FUZZ
@given(header=st.text(max_size=80))
def test_any_authorization_header_is_answered_401_or_429_never_an_error(header: str, db: Any) -> None:
    from django.core.cache import caches
    from django.test import Client

    caches["api-throttle"].clear()
    assume(all(32 <= ord(c) < 127 for c in header))  # what an HTTP header can carry
    response = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=header).get("/api/dashboard")
    assert response.status_code == 401
    assert json.loads(response.content)["error"]["code"] == "not_authenticated"


@FUZZ
@given(raw=st.binary(max_size=200), prefix=st.sampled_from([b"", b"SQLite format 3\x00", b"PGDMP"]))
def test_a_restore_refuses_any_file_that_is_not_a_sound_backup_before_touching_anything(
    raw: bytes, prefix: bytes, db: Any, tmp_path: Path
) -> None:
    from corridor.ops import backup

    path = tmp_path / "backup"
    path.write_bytes(prefix + raw)
    before = ledger.head()
    try:
        kind = backup.kind_of(path)
        if kind == "sqlite":
            backup.inspect_sqlite(path)
    except CorridorError as exc:
        assert str(exc)
    assert ledger.head() == before


@pytest.mark.slow
@FUZZ
@given(
    raw=st.binary(max_size=400) | JSON.map(lambda v: json.dumps(v).encode()), platform=st.sampled_from(["odk", "kobo"])
)
def test_the_odk_and_kobo_importer_refuses_random_files_cleanly_and_writes_nothing(
    raw: bytes, platform: str, db: Any
) -> None:
    before = _state()
    try:
        report = intake.import_export(raw, platform=platform, filename="upload", by=None)
    except CorridorError as exc:
        assert str(exc)
    else:
        assert not [s for s in report.submissions if s.status == "imported"]
    assert _state() == before
