"""The read-replica router against a real PostgreSQL streaming standby (``CORRIDOR_TEST_REPLICA_URL``).

The test database is made on the primary by the test run; the standby receives it by streaming, so each
test waits until the standby has replayed the primary's WAL before it reads. In CI a missing standby fails
these tests instead of skipping them (``.ci/replica`` makes one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from corridor import env, replica

pytestmark = [pytest.mark.database, pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")]


def _standby_url() -> str:
    url = os.environ.get("CORRIDOR_TEST_REPLICA_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but CORRIDOR_TEST_REPLICA_URL is not: the replica tests must not be skipped")
        pytest.skip("CORRIDOR_TEST_REPLICA_URL is not set (.ci/replica makes a standby on port 5433)")
    return url


def _on(settings_dict: dict[str, Any], dbname: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None, dbname=dbname, autocommit=True,
    )


def _wait_for_standby(primary: dict[str, Any], standby: dict[str, Any], timeout: float = 60) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with _on(primary, "postgres") as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout
    with _on(standby, "postgres") as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    pytest.fail(f"the standby did not replay the primary's WAL up to {target} within {timeout:g} s")


@pytest.fixture
def standby(transactional_db: Any, settings: Any) -> Iterator[dict[str, Any]]:
    """The router switched on, its replica alias pointing at the real standby's copy of the test database."""
    primary = connections["default"].settings_dict
    if primary["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the replica tests run in the PostgreSQL pass (the primary here is SQLite)")
    url = _standby_url()
    where = env.database_from_url(url, name="CORRIDOR_TEST_REPLICA_URL")
    standby = {**primary, **{key: where[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}}
    with _on(standby, "postgres") as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,), "the replica URL is no standby"
    # In a deployment this alias comes from CORRIDOR_DATABASE_REPLICA_URL; here the test database's name is
    # only known once the run has made it.
    connections.settings[replica.REPLICA] = standby
    settings.DATABASES = {**settings.DATABASES, replica.REPLICA: standby}
    settings.DATABASE_ROUTERS = ["corridor.replica.ReplicaRouter"]
    settings.REPLICA_MAX_LAG_SECONDS = 5
    replica.forget_lag()
    _wait_for_standby(primary, standby)
    # The test case refuses to open aliases it was not told of when it began, and this one is made
    # afterwards: open it here, by the method the test case leaves alone.
    connections[replica.REPLICA].connect()
    try:
        yield standby
    finally:
        connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        del connections.settings[replica.REPLICA]
        replica.forget_lag()
        # This test committed, so the run empties the tables after it; the ledger's triggers refuse that.
        # For this session only (the run closes it right after emptying), triggers are not fired.
        with connections["default"].cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


def _make_site(code: str) -> Any:
    from corridor.register import services

    return services.create_site(code=code, name=f"Synthetic {code}", country="XX", by=None)


def test_a_lag_tolerant_read_is_served_by_the_standby_and_sees_what_the_primary_committed(
    standby: dict[str, Any],
) -> None:
    from corridor.register.models import Site

    _make_site("REPL-1")
    _wait_for_standby(connections["default"].settings_dict, standby)
    with replica.lag_tolerant(), CaptureQueriesContext(connections[replica.REPLICA]) as on_replica:
        assert Site.objects.all().db == replica.REPLICA
        assert Site.objects.filter(code="REPL-1").exists()
        with connections[replica.read_database()].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)
    assert any("register_site" in query["sql"] for query in on_replica.captured_queries)


def test_reads_outside_a_lag_tolerant_page_stay_on_the_primary(standby: dict[str, Any]) -> None:
    from corridor.register.models import Site

    assert Site.objects.all().db == replica.PRIMARY
    with connections[replica.read_database()].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_a_request_that_wrote_reads_its_own_write_from_the_primary(standby: dict[str, Any]) -> None:
    from corridor.register.models import Site

    with replica.read_your_writes(False), replica.lag_tolerant():
        assert Site.objects.all().db == replica.REPLICA
        _make_site("REPL-2")
        # Not replayed yet, perhaps, but this request must see it: from here on it reads the primary.
        assert Site.objects.all().db == replica.PRIMARY
        assert Site.objects.filter(code="REPL-2").exists()


def test_a_browser_that_just_wrote_reads_from_the_primary_until_its_cookie_expires(standby: dict[str, Any]) -> None:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(replica.read_database())
        if request.method == "POST":
            _make_site(f"REPL-{len(seen)}X")
        return HttpResponse("ok")

    middleware = replica.ReplicaMiddleware(view)
    factory = RequestFactory()
    response = middleware(factory.get("/api/dashboard"))
    assert replica.WROTE_COOKIE not in response.cookies
    wrote = middleware(factory.post("/patients/new/"))
    cookie = wrote.cookies[replica.WROTE_COOKIE]
    assert cookie["max-age"] == 10  # twice the lag allowed
    again = factory.get("/api/dashboard")
    again.COOKIES[replica.WROTE_COOKIE] = cookie.value
    middleware(again)
    middleware(factory.get("/patients/"))  # not a lag-tolerant page
    assert seen == [replica.REPLICA, replica.PRIMARY, replica.PRIMARY, replica.PRIMARY]


def test_a_standby_further_behind_than_allowed_is_not_read(standby: dict[str, Any], settings: Any) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 0
    with _on(standby, "postgres") as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            _make_site("REPL-LAG")  # received by the standby but not replayed: it is behind
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                row = conn.execute("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()").fetchone()
                if row and row[0]:
                    break
                time.sleep(0.05)
            time.sleep(0.05)
            replica.forget_lag()
            lag = replica.replica_lag()
            assert lag is not None and lag > 0
            with replica.lag_tolerant():
                assert replica.read_database() == replica.PRIMARY
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")
    _wait_for_standby(connections["default"].settings_dict, standby)
    settings.REPLICA_MAX_LAG_SECONDS = 5
    replica.forget_lag()
    with replica.lag_tolerant():
        assert replica.read_database() == replica.REPLICA


@pytest.mark.parametrize("failure", ["raised", "answered 500"])
def test_a_read_the_standby_drops_is_answered_again_from_the_primary(standby: dict[str, Any], failure: str) -> None:
    from django.db import DatabaseError

    from corridor.register.models import Site

    _make_site("REPL-R")
    _wait_for_standby(connections["default"].settings_dict, standby)
    asked: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        asked.append(replica.read_database())
        if len(asked) == 1:
            # The standby ends this session mid-request, as it does when a query conflicts with recovery.
            server = connections[replica.REPLICA]
            server.ensure_connection()
            with _on(standby, "postgres") as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", [server.connection.info.backend_pid])
        try:
            codes = sorted(Site.objects.values_list("code", flat=True))
        except DatabaseError:
            if failure == "raised":
                raise
            return HttpResponse("the API's error object", status=500)  # what the API makes of it
        return HttpResponse(",".join(codes))

    retry = replica.RetryOnPrimaryMiddleware(view)
    with replica.lag_tolerant():
        response = retry.process_view(RequestFactory().get("/api/dashboard"), view, (), {})
        assert response is not None and response.status_code == 200
        assert "REPL-R" in response.content.decode()
        assert asked == [replica.REPLICA, replica.PRIMARY]
        assert replica.read_database() == replica.PRIMARY  # the replica is left alone for a moment
    # Outside a lag-tolerant request the middleware leaves the view to Django.
    assert retry.process_view(RequestFactory().get("/patients/"), view, (), {}) is None


def test_only_aggregate_pages_are_lag_tolerant() -> None:
    assert replica.is_lag_tolerant("GET", "/")
    assert replica.is_lag_tolerant("GET", "/api/dashboard")
    assert replica.is_lag_tolerant("POST", "/reports/export/")
    assert not replica.is_lag_tolerant("POST", "/")
    assert not replica.is_lag_tolerant("GET", "/patients/")
    assert not replica.is_lag_tolerant("GET", "/api/ledger/proof")
    assert not replica.is_lag_tolerant("POST", "/reports/narrative/")


def test_migrations_and_writes_go_to_the_primary_only() -> None:
    router = replica.ReplicaRouter()
    assert router.allow_migrate("default", "ledger")
    assert not router.allow_migrate("replica", "ledger")
    from corridor.ledger.models import Entry

    with replica.read_your_writes(False):
        assert router.db_for_write(Entry) == replica.PRIMARY


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CORRIDOR_DATABASE_REPLICA_URL": "postgres://h/db"}, "needs CORRIDOR_DATABASE_URL"),
        (
            {"CORRIDOR_DATABASE_URL": "postgres://h/db", "CORRIDOR_DATABASE_REPLICA_URL": "sqlite:///x.db"},
            "must be a postgres:// URL",
        ),
        ({"CORRIDOR_REPLICA_MAX_LAG_SECONDS": "soon"}, "CORRIDOR_REPLICA_MAX_LAG_SECONDS must be a whole number"),
    ],
)
def test_a_bad_replica_setting_stops_start_up_with_its_name(
    variables: dict[str, str], message: str, tmp_path: Any
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CORRIDOR_DATABASE")}
    environment |= {"CORRIDOR_DATA_DIR": str(tmp_path), **variables}
    result = subprocess.run(
        [sys.executable, "-c", "import corridor.settings"], env=environment, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_a_replica_url_configures_a_mirrored_alias_and_the_router(tmp_path: Any) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CORRIDOR_DATABASE")}
    environment |= {
        "CORRIDOR_DATA_DIR": str(tmp_path),
        "CORRIDOR_DATABASE_URL": "postgres://u@primary:5432/corridor",
        "CORRIDOR_DATABASE_REPLICA_URL": "postgres://u@standby:5433/corridor",
    }
    code = (
        "import corridor.settings as s; r = s.DATABASES['replica']; "
        "print(r['HOST'], r['PORT'], r['TEST'], s.DATABASE_ROUTERS)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 2)[:2] == ["standby", "5433"]
    assert "'MIRROR': 'default'" in result.stdout and "corridor.replica.ReplicaRouter" in result.stdout
