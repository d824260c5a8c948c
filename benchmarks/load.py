"""Load benchmark: concurrent API clients against `corridor serve --production` on 127.0.0.1.

    python benchmarks/load.py [--seconds 120] [--clients 50] [--workers 3] [--threads 4] [--think 0.5]
                              [--write-share 0.2] [--indicator-share 0] [--identity-share 0]
                              [--database-url postgres://…]
    python benchmarks/load.py --compare --database-url postgres://…/db --replica-url postgres://…:5433/db \
                              --clients 300 --seconds 120

Sets up a data directory of its own (the demo camp, plus a site with enough approved trips for the
run), starts `corridor serve --production`, and runs ``--clients`` clients for ``--seconds``. Each
client has its own user and token and loops: with probability ``--write-share`` it records the next
step of a trip's gate timeline through the API (gate arrival, release, hospital arrival, return — each a
ledger entry), otherwise it reads the dashboard (`GET /api/dashboard`); then it waits ``--think``
seconds, exponentially distributed. Half a second is already far busier than people at phones (50 of
them would make some 6,000 requests a minute); ``--think 0`` is a closed loop that measures capacity.

Prints requests, errors (any status other than the expected success, or a failed connection),
throughput, the server's CPU time per request, and p50/p95/p99 latency for dashboard reads and for
writes (goal: dashboard p95 at most 150 ms, zero errors). Afterwards it stops the server, runs
`corridor verify`, and checks that every write the server acknowledged is in the ledger with the hash,
type and trip it answered with.

``--indicator-share`` of the reads ask for a month's indicators (`GET /api/indicators`) instead of the
dashboard. ``--identity-share`` of the reads of the clients whose role may see identities (the
coordinators, half the clients; the monitors never do) open a random bench patient's identity through
the audited path (`GET /api/patients/{code}/identity` with a purpose, which appends an
`identity.viewed` entry) and then read that patient's referral with its diagnosis text, sealed under
the patient's data key (`GET /api/referrals/{id}`). Both are reported apart from the dashboard, and
an answer with another name or text than the patient's, or a withheld one, counts as an error; after
the run every identity reading the server answered must have its `identity.viewed` entry in the
ledger, naming the patient and the client's user. The default share 0 reads no identity.

``--compare`` runs the same load twice on the same data, one after the other: first against one server
on the primary alone, then against three `corridor serve --production` processes (each with
``--workers``), a `corridor worker`, and the replica (``CORRIDOR_DATABASE_REPLICA_URL``), the clients
spread over the three servers as a load balancer would; each phase gets its own trips to move.

The clients are separate processes (threads within each), so their own work does not queue behind one
interpreter lock; on a small machine they share the cores with the server, which the figures include.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORRIDOR = [sys.executable, "-c", "from corridor.cli import main; main()"]
PURPOSE = urllib.parse.quote("load benchmark: a synthetic patient's identity under load")
STEPS = ("gate-arrived", "gate-released", "hospital-arrived", "returned")
EXPECTED_TYPE = {
    "gate-arrived": "gate.arrived",
    "gate-released": "gate.released",
    "hospital-arrived": "trip.arrived",
    "returned": "trip.returned",
}

SETUP = """
import datetime as dt, json, sys
from django.db import transaction
from corridor.accounts.roles import Can, can
from corridor.accounts.services import create_user
from corridor.accounts.tokens import issue_token
from corridor.register import services as register
from corridor.transfers import services as transfers

trips_wanted, clients = int(sys.argv[1]), int(sys.argv[2])
every_day = {str(d): ["00:00", "23:59"] for d in range(7)}
with transaction.atomic():
    site = register.create_site(code="BENCH", name="Benchmark Camp", country="XX", time_zone="UTC", by=None)
    hospital = register.create_facility(code="H-BENCH", name="Benchmark Hospital", specialties=["oncology"],
                                        opening_hours=every_day, by=None)
    register.set_access_rules(site=site, effective_from=dt.date(2014, 1, 1), max_patients_per_day=1000,
                              max_facilities_per_day=1, by=None, source="system", certainty="confirmed")
    trips, patients = [], []
    for i in range(trips_wanted):
        day = dt.date(2014, 10, 20) + dt.timedelta(days=i // 900)  # the gate's rules allow 1,000 a day
        # Every bench patient has an identity and a diagnosis text, both sealed under their data key.
        patient = register.register_patient(site=site, code=f"P-B{i:05d}", registered_on=dt.date(2014, 9, 1),
                                            identity={"full_name": f"Synthetic Bench {i:05d}"}, by=None)
        referral = register.create_referral(patient=patient, specialty="oncology", priority="P3",
                                            referral_date=dt.date(2014, 9, 1), eligible_facilities=[hospital],
                                            diagnosis=f"Synthetic bench diagnosis {i:05d}", by=None)
        trip = transfers.request_trip(site=site, day=day, facility=hospital, referrals=[referral], by=None)
        trips.append([transfers.approve_trip(trip, by=None).pk, day.isoformat()])
        patients.append([patient.code, referral.pk, f"Synthetic Bench {i:05d}", f"Synthetic bench diagnosis {i:05d}"])
    clients_out = []
    for c in range(clients):
        role = "coordinator" if c % 2 == 0 else "monitor"
        # Each client works at the benchmark site and the demo camp, so every read is scoped to two sites.
        user = create_user(username=f"bench-{c:02d}", role=role, password="x", by=None, check_password=False,
                           sites=["BENCH", "CAMP-1"])
        token = issue_token(user, by=None, label="load benchmark")[1]
        clients_out.append({"token": token, "username": user.username, "identities": can(user, Can.SEE_IDENTITIES)})
print(json.dumps({"trips": trips, "patients": patients, "clients": clients_out}))
"""

CHECK = """
import json, sys
from corridor.ledger.models import Entry
acknowledged = json.load(open(sys.argv[1]))
rows = {seq: (h, t, s) for seq, h, t, s in (
    (e.seq, e.hash, e.type, e.subjects) for e in Entry.objects.filter(seq__in=[a["seq"] for a in acknowledged]))}
missing = [a for a in acknowledged
           if a["seq"] not in rows or rows[a["seq"]][0] != a["hash"] or rows[a["seq"]][1] != a["type"]
           or f"trip:{a['trip']}" not in rows[a["seq"]][2]]
print(json.dumps({"acknowledged": len(acknowledged), "missing": len(missing), "examples": missing[:3]}))
"""

# Every identity reading the server answered names an entry: it must be an identity.viewed entry about
# that patient, recorded by that client's user (the service appends it before the identity is read).
CHECK_VIEWED = """
import json, sys
from corridor.ledger.models import Entry
answered = json.load(open(sys.argv[1]))
rows = {e.seq: e for e in Entry.objects.filter(seq__in=[a["seq"] for a in answered])}
missing = [a for a in answered
           if a["seq"] not in rows or rows[a["seq"]].type != "identity.viewed"
           or f"patient:{a['patient']}" not in rows[a["seq"]].subjects or rows[a["seq"]].recorded_by != a["user"]]
print(json.dumps({"answered": len(answered), "missing": len(missing), "examples": missing[:3]}))
"""


def _django(code: str, env: dict[str, str], *args: str) -> str:
    prelude = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'corridor.settings'; django.setup()\n"
    result = subprocess.run([sys.executable, "-c", prelude + code, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"setup failed: {result.stderr[-2000:]}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/openapi.json", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("the server did not come up")


# ---------------------------------------------------------------------------------------------- clients


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes, float]:
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            connection = self.connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection = connection
            start = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=self.headers)
                response = connection.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - start
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    self.connection = None
                return response.status, data, elapsed
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server had closed: reconnect once (nothing was processed).
                connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _get(client: Client, kind: str, path: str, out: list[dict[str, Any]]) -> dict[str, Any] | None:
    """GET ``path``, append its record to ``out``; the record, or None if the connection failed."""
    try:
        status, body, elapsed = client.call("GET", path)
    except OSError as exc:
        out.append({"kind": kind, "ok": False, "status": 0, "error": str(exc), "ms": 0.0})
        return None
    record: dict[str, Any] = {"kind": kind, "ok": status == 200, "status": status, "ms": elapsed * 1000}
    if status == 200:
        record["body"] = body
    else:
        record["error"] = body[:200].decode("utf-8", "replace")
    out.append(record)
    return record


def _read_identity(client: Client, user: str, patient: list[Any], out: list[dict[str, Any]]) -> None:
    """Open ``patient``'s identity through the audited path, then read their referral's diagnosis text.

    An answer that is not the patient's own name or text (another's, or "[withheld]") is an error: a
    fast wrong answer must not pass for a fast one.
    """
    code, referral, name, diagnosis = patient
    record = _get(client, "identity", f"/api/patients/{code}/identity?purpose={PURPOSE}", out)
    if record is not None and record["ok"]:
        answer = json.loads(record.pop("body"))
        record["viewed"] = {"seq": answer["viewed_entry"], "patient": code, "user": user}
        if answer["patient"] != code or answer["full_name"] != name:
            record.update(ok=False, error=f"identity of {code} answered as {answer['full_name']!r}")
    record = _get(client, "diagnosis", f"/api/referrals/{referral}", out)
    if record is not None and record["ok"]:
        answer = json.loads(record.pop("body"))
        if answer["patient"] != code or answer["diagnosis"] != diagnosis:
            record.update(ok=False, error=f"diagnosis of referral {referral} answered as {answer['diagnosis']!r}")


def _client_thread(
    port: int | list[int],
    who: dict[str, Any],
    trips: list[list[Any]],
    lock: Any,
    deadline: float,
    think: float,
    share: float,
    seed: int,
    out: list[dict[str, Any]],
    indicators: float = 0.0,
    identities: float = 0.0,
    patients: list[list[Any]] | None = None,
) -> None:
    rng = random.Random(seed)
    client = Client(port if isinstance(port, int) else port[seed % len(port)], who["token"])
    # Only a role that may see identities opens them; a monitor's reads stay dashboard and indicators.
    identities = identities if who["identities"] and patients else 0.0
    trip: int | None = None
    day = ""
    step = 0
    moment = 0
    while time.time() < deadline:
        if rng.random() < share:
            if trip is None or step == len(STEPS):
                with lock:
                    try:
                        trip, day = trips.pop()
                    except IndexError:  # every trip has been through the gate: only read from now on
                        trip = None
                step = 0
            if trip is None:
                continue
            name = STEPS[step]
            moment += 1
            at = f"{day}T{5 + step * 3:02d}:{moment % 60:02d}:00+00:00"
            try:
                path = f"/api/trips/{trip}/{name}"
                status, body, elapsed = client.call("POST", path, {"at": at, "source": "witness"})
            except OSError as exc:
                out.append({"kind": "write", "ok": False, "status": 0, "error": str(exc), "ms": 0.0})
                continue
            ok = status == 200
            record: dict[str, Any] = {"kind": "write", "ok": ok, "status": status, "ms": elapsed * 1000}
            if ok:
                entry = json.loads(body)["entry"]
                record["ack"] = {"seq": entry["seq"], "hash": entry["hash"], "type": entry["type"], "trip": trip}
                if entry["type"] != EXPECTED_TYPE[name]:
                    record["ok"] = False
            else:
                record["error"] = body[:200].decode("utf-8", "replace")
            out.append(record)
            step += 1
        elif identities and rng.random() < identities:
            _read_identity(client, who["username"], rng.choice(patients or []), out)
        else:
            kind, path = (
                ("indicators", "/api/indicators?month=2014-10")
                if rng.random() < indicators
                else ("dashboard", "/api/dashboard")
            )
            read = _get(client, kind, path, out)
            if read is not None:
                read.pop("body", None)  # the figures keep no answers
        time.sleep(rng.expovariate(1 / think) if think > 0 else 0)


def _client_process(
    port: int | list[int],
    clients: list[dict[str, Any]],
    trips: Any,
    deadline: float,
    think: float,
    share: float,
    seed: int,
    results: Any,
    indicators: float = 0.0,
    identities: float = 0.0,
    patients: list[list[Any]] | None = None,
) -> None:
    lock = threading.Lock()
    out: list[dict[str, Any]] = []
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(
                port,
                who,
                trips,
                lock,
                deadline,
                think,
                share,
                seed * 1000 + i,
                out,
                indicators,
                identities,
                patients,
            ),
        )
        for i, who in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(out)


def _cpu_seconds(root: int) -> float:
    """User + system CPU time of process ``root`` and its children (the gunicorn master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# ------------------------------------------------------------------------------------------------- main


def _transactions(url: str | None) -> int | None:
    """Transactions the database at ``url`` has seen (on a standby: the reads it served), or None."""
    if not url:
        return None
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(row.fetchone()[0])  # type: ignore[index]


def _start_server(env: dict[str, str], workers: int, threads: int) -> tuple[int, subprocess.Popen[bytes]]:
    port = _free_port()
    server = subprocess.Popen(
        [*CORRIDOR, "serve", "--production", "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return port, server


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _phase(
    label: str,
    env: dict[str, str],
    servers: int,
    with_worker: bool,
    clients_list: list[dict[str, Any]],
    trips_list: list[Any],
    patients: list[list[Any]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Start ``servers`` servers (and a worker), run the clients against them, stop them, return the figures."""
    started = [_start_server(env, args.workers, args.threads) for _ in range(servers)]
    processes = [server for _, server in started]
    if with_worker:
        processes.append(
            subprocess.Popen([*CORRIDOR, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    ports = [port for port, _ in started]
    try:
        for port, server in started:
            _wait_until_up(port, server)
        print(
            f"\n== {label}: {args.clients} clients for {args.seconds:g} s against {servers} x corridor serve "
            f"--production ({args.workers} workers x {args.threads} threads each)"
            f"{' and a worker' if with_worker else ''}"
            f"; {os.cpu_count()} cores shared with the clients and the database …",
            flush=True,
        )
        manager = multiprocessing.Manager()
        trips = manager.list(trips_list)
        results = manager.Queue()
        deadline = time.time() + args.seconds
        groups = [clients_list[i :: args.processes] for i in range(args.processes)]
        clients = [
            multiprocessing.Process(
                target=_client_process,
                args=(
                    ports,
                    group,
                    trips,
                    deadline,
                    args.think,
                    args.write_share,
                    i,
                    results,
                    args.indicator_share,
                    args.identity_share,
                    patients,
                ),
            )
            for i, group in enumerate(groups)
            if group
        ]
        cpu_before = sum(_cpu_seconds(process.pid) for process in processes)
        replica_before = _transactions(env.get("CORRIDOR_DATABASE_REPLICA_URL"))
        run_start = time.perf_counter()
        for process in clients:
            process.start()
        records: list[dict[str, Any]] = []
        for _ in clients:
            records += results.get()
        for process in clients:
            process.join()
        wall = time.perf_counter() - run_start
        server_cpu = sum(_cpu_seconds(process.pid) for process in processes) - cpu_before
        load = os.getloadavg()
        replica_after = _transactions(env.get("CORRIDOR_DATABASE_REPLICA_URL"))
    finally:
        _stop(processes)
    errors = [r for r in records if not r["ok"]]
    print(f"requests: {len(records)} in {wall:.1f} s ({len(records) / wall:.1f}/s); errors: {len(errors)}")
    print(
        f"server CPU: {server_cpu:.1f} s, {server_cpu / max(1, len(records)) * 1000:.1f} ms per request; "
        f"load average at the end {load[0]:.1f} on {os.cpu_count()} cores"
    )
    routes = (
        ("GET /api/dashboard", "dashboard"),
        ("GET /api/indicators", "indicators"),
        ("GET /api/patients/{code}/identity", "identity"),
        ("GET /api/referrals/{id} (diagnosis)", "diagnosis"),
        ("POST /api/trips/{id}/{step}", "write"),
    )
    for name, kind in routes:
        group = [r for r in records if r["kind"] == kind]
        if not group:
            continue
        ms = [r["ms"] for r in group if r["ok"]]
        failed = sum(not r["ok"] for r in group)
        print(
            f"  {name:<37} {len(group):>6} ({failed} errors)  p50 {_percentile(ms, 50):7.1f} ms"
            f"  p95 {_percentile(ms, 95):7.1f} ms  p99 {_percentile(ms, 99):7.1f} ms"
            f"  max {max(ms, default=float('nan')):7.1f} ms"
        )
    if replica_before is not None and replica_after is not None:
        print(f"  transactions served by the replica during the run: {replica_after - replica_before}")
    p95 = _percentile([r["ms"] for r in records if r["kind"] == "dashboard" and r["ok"]], 95)
    print(f"  goal: dashboard p95 <= 150 ms: {'met' if p95 <= 150 else 'NOT met'} ({p95:.1f} ms)")
    for error in errors[:5]:
        print(f"  error: {error['kind']} {error['status']} {error.get('error', '')}")
    return {"records": records, "errors": errors, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a client's requests (s)")
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--indicator-share", type=float, default=0.0, help="share of reads that ask for indicators")
    parser.add_argument(
        "--identity-share",
        type=float,
        default=0.0,
        help="share of the reads of clients that may see identities that open one (and read a diagnosis)",
    )
    parser.add_argument("--processes", type=int, default=5, help="client processes (the clients are split)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a database of its own); default SQLite")
    parser.add_argument("--replica-url", default=None, help="a streaming replica of --database-url (for --compare)")
    parser.add_argument(
        "--compare", action="store_true", help="one server on the primary, then three servers, a worker and the replica"
    )
    parser.add_argument(
        "--trips",
        type=int,
        default=None,
        help="approved trips per phase (default: enough for the offered load at --think)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    if args.compare and not (args.database_url and args.replica_url):
        parser.error("--compare needs --database-url (the primary) and --replica-url (its streaming replica)")
    for name in ("write_share", "indicator_share", "identity_share"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} is a share: between 0 and 1")

    folder = Path(tempfile.mkdtemp(prefix="corridor-load-"))
    env = {**os.environ, "CORRIDOR_DATA_DIR": str(folder), "CORRIDOR_API_RATE_LIMIT": "6000/minute"}
    env.pop("CORRIDOR_DATABASE_URL", None)
    env.pop("CORRIDOR_DATABASE_REPLICA_URL", None)
    if args.database_url:
        env["CORRIDOR_DATABASE_URL"] = args.database_url
    phases = 2 if args.compare else 1
    per_phase = int(args.clients * args.seconds / max(args.think, 0.05) * args.write_share / len(STEPS) * 1.5) + 50
    per_phase = args.trips or per_phase
    trips_wanted = per_phase * phases
    print(f"setting up in {folder}: the demo camp and {trips_wanted} approved trips …", flush=True)
    started = time.perf_counter()
    subprocess.run([*CORRIDOR, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*CORRIDOR, "load-scenario", "demo-camp"], env=env, check=True, capture_output=True)
    setup = json.loads(_django(SETUP, env, str(trips_wanted), str(args.clients)))
    print(f"  set up in {time.perf_counter() - started:.0f} s", flush=True)
    # The demo camp's clock stands before the trips' days; the servers' clock is put after the last of
    # them, so no gate time recorded during the run is refused as in the future.
    env["CORRIDOR_TODAY"] = max(day for _, day in setup["trips"])

    outcomes = []
    if args.compare:
        outcomes.append(
            _phase(
                "one server, the primary alone",
                env,
                1,
                False,
                setup["clients"],
                setup["trips"][:per_phase],
                setup["patients"],
                args,
            )
        )
        replicated = {**env, "CORRIDOR_DATABASE_REPLICA_URL": args.replica_url}
        outcomes.append(
            _phase(
                "three servers, a worker, the primary and its replica",
                replicated,
                3,
                True,
                setup["clients"],
                setup["trips"][per_phase:],
                setup["patients"],
                args,
            )
        )
    else:
        outcomes.append(_phase("one server", env, 1, False, setup["clients"], setup["trips"], setup["patients"], args))

    acknowledged = [r["ack"] for o in outcomes for r in o["records"] if r.get("ack")]
    ack_file = folder / "acknowledged.json"
    ack_file.write_text(json.dumps(acknowledged))
    verify = subprocess.run([*CORRIDOR, "verify"], env=env, capture_output=True, text=True)
    print(f"\nafter the run: corridor verify: {(verify.stdout or verify.stderr).strip()}")
    check = json.loads(_django(CHECK, env, str(ack_file)))
    print(
        f"acknowledged writes: {check['acknowledged']}; found in the ledger with the same hash, type and trip: "
        f"{check['acknowledged'] - check['missing']}; missing: {check['missing']}"
    )
    if check["examples"]:
        print(f"  e.g. {check['examples']}")
    viewed = [r["viewed"] for o in outcomes for r in o["records"] if r.get("viewed")]
    unrecorded = 0
    if viewed or args.identity_share:
        viewed_file = folder / "viewed.json"
        viewed_file.write_text(json.dumps(viewed))
        readings = json.loads(_django(CHECK_VIEWED, env, str(viewed_file)))
        unrecorded = readings["missing"]
        print(
            f"identity readings answered: {readings['answered']}; with their identity.viewed entry naming the "
            f"patient and the reader: {readings['answered'] - unrecorded}; missing: {unrecorded}"
        )
        if readings["examples"]:
            print(f"  e.g. {readings['examples']}")
    ok = not any(o["errors"] for o in outcomes) and verify.returncode == 0 and check["missing"] == 0 and unrecorded == 0
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
