"""`corridor serve --production`: gunicorn answers the API and static files, with the security headers."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from corridor.ops.production import options
from corridor.ops.testing import CORRIDOR, migrated_install


def test_gunicorn_runs_threaded_workers_without_logging_requests_unless_asked() -> None:
    chosen = options("127.0.0.1", 8000, workers=3, threads=4, access_log=False, timeout=60)
    assert chosen["bind"] == "127.0.0.1:8000" and chosen["workers"] == 3 and chosen["worker_class"] == "gthread"
    assert chosen["accesslog"] is None
    assert options("::1", 8000, workers=1, threads=1, access_log=True, timeout=60)["bind"] == "[::1]:8000"
    single = options("127.0.0.1", 8000, workers=1, threads=1, access_log=True, timeout=60)
    assert single["worker_class"] == "sync" and single["accesslog"] == "-"


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    return response


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_serve_production_answers_the_api_and_static_files_with_security_headers(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with migrated_install(tmp_path) as (url, data, variables):
        server = subprocess.Popen(
            [*CORRIDOR, "serve", "--production", "--port", str(port), "--workers", "2", "--threads", "2"],
            env=variables,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                try:
                    spec = _get(port, "/api/openapi.json")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not come up"
                    time.sleep(0.2)
            assert spec.status == 200
            refused = _get(port, "/api/dashboard")
            assert refused.status == 401 and refused.getheader("Content-Type", "").startswith("application/json")
            docs = _get(port, "/api/docs")
            assert docs.status == 200
            assert docs.getheader("X-Frame-Options") == "DENY"
            assert docs.getheader("X-Content-Type-Options") == "nosniff"
            assert "default-src 'self'" in (docs.getheader("Content-Security-Policy") or "")
            assert _get(port, "/static/ninja/swagger-ui-bundle.js").status == 200
            too_long = _get(port, "/api/patients?q=" + "x" * 9000)  # refused by gunicorn itself
            assert too_long.status == 414 and too_long.getheader("Content-Type") == "application/json"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        assert server.returncode == 0


def test_gunicorns_own_refusals_are_the_apis_json_error_object() -> None:
    import json

    from gunicorn import util

    from corridor.ops.production import CorridorServer, write_json_error

    CorridorServer(options("127.0.0.1", 8000, workers=1, threads=1, access_log=False, timeout=60))
    assert util.write_error is write_json_error  # what gunicorn's workers call for a request they refuse
    ours, theirs = socket.socketpair()
    with ours, theirs:
        util.write_error(ours, 414, "URI Too Long", "GET /api/" + "x" * 9000)
        ours.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := theirs.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long") and b"Content-Type: application/json" in head
    error = json.loads(body)["error"]
    assert error["status"] == 414 and error["code"] == "uri_too_long" and "x" * 100 not in error["message"]


def test_the_preparation_before_serving_runs_in_a_process_of_its_own_and_hands_back_its_answer() -> None:
    import os

    from corridor.ops.production import prepared_apart

    def where() -> int:
        return os.getpid()

    assert prepared_apart(where) != os.getpid()  # so the workers forked later do not inherit its memory

    def refuse() -> None:
        raise ValueError("the ledger is not guarded")

    with pytest.raises(ValueError, match="not guarded"):
        prepared_apart(refuse)
