#!/usr/bin/env python3
"""Set up and run Corridor from a fresh clone with nothing but Python >= 3.11.

    python3 run.py demo     # create .venv from the lock, load the demo camp, serve it
    python3 run.py test     # create .venv from the dev lock, run lint, types and the whole test suite

Anything after the first word is passed on: ``python3 run.py demo --port 8080``,
``python3 run.py test -m "not browser"``. The virtual environment is rebuilt whenever
the lock file changes, so a stale install never hides a missing dependency.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CORRIDOR_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def ensure_venv(lock: str) -> None:
    """Create the venv and install exactly what ``lock`` pins (hash-checked), once per lock version."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit("Corridor needs Python 3.11 or newer; this is " + sys.version.split()[0])
    digest = hashlib.sha256((ROOT / lock).read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / f".installed-{lock}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    python = BIN / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r", lock)
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        ensure_venv("requirements.lock")
        return subprocess.call([str(BIN / "corridor"), "demo", *rest], cwd=ROOT)
    ensure_venv("requirements-dev.lock")
    return run_tests(rest)


def run_tests(pytest_args: list[str]) -> int:
    """Lint, type-check, then the suite on SQLite and, if configured, its database tests on PostgreSQL.

    The two passes run at the same time, each with its own data directory, the PostgreSQL pass's
    output kept in a file and printed after the SQLite pass's: each pass spends most of its time in one
    Python process, so on two cores together they take about as long as the longer one alone, where one
    after the other took the sum (about 65 minutes of CI's 90 on a slow machine).
    ``CORRIDOR_TEST_ONE_AT_A_TIME=1`` runs them one after the other, to time or debug one alone.
    """
    python = str(BIN / "python")
    # The slowest tests of each pass are printed at its end, so a pass that grows shows where it grew.
    pytest_args = ["--durations=25", *pytest_args]
    with tempfile.TemporaryDirectory(prefix="corridor-test-") as scratch:
        base = {**os.environ, "CORRIDOR_DATA_DIR": str(Path(scratch, "sqlite"))}
        base.pop("CORRIDOR_DATABASE_URL", None)
        linted = ["src", "tests", "benchmarks", "verifier", "run.py", "conftest.py"]
        checks: list[tuple[str, list[str]]] = [
            ("ruff", [python, "-m", "ruff", "check", *linted]),
            ("mypy", [python, "-m", "mypy"]),
        ]
        for label, command in checks:
            code = _step(label, command, base)
            if code:
                return code
        postgres = os.environ.get("CORRIDOR_TEST_DATABASE_URL")
        if not postgres and os.environ.get("CI"):
            print("CI is set but CORRIDOR_TEST_DATABASE_URL is not: refusing to skip the PostgreSQL suite")
            return 1
        sqlite_pass = ("tests on SQLite", [python, "-m", "pytest", *pytest_args], base)
        if not postgres:
            return _step(*sqlite_pass)
        postgres_pass = (
            "database tests on PostgreSQL",
            # The browser tests drive the same pages and jobs the PostgreSQL pass already renders and
            # runs without a browser: they run once, in the SQLite pass, to keep CI within its time.
            [python, "-m", "pytest", "-m", "database and not browser", *pytest_args],
            # CORRIDOR_TEST_REPLICA_URL, when set, passes through `base` to the replica tests.
            {**base, "CORRIDOR_DATA_DIR": str(Path(scratch, "postgres")), "CORRIDOR_DATABASE_URL": postgres},
        )
        if os.environ.get("CORRIDOR_TEST_ONE_AT_A_TIME"):
            return _step(*sqlite_pass) or _step(*postgres_pass)
        log_path = Path(scratch, "postgres.log")
        label, command, environment = postgres_pass
        print(f"== {label}: started beside the SQLite pass; its output follows that pass's", flush=True)
        with open(log_path, "wb") as log:
            beside = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
            try:
                first = _step(*sqlite_pass)
                second = beside.wait()
            finally:
                if beside.poll() is None:  # interrupted: the pass beside must not outlive this one
                    beside.terminate()
                    beside.wait()
        print(f"== {label}", flush=True)
        sys.stdout.buffer.write(log_path.read_bytes())
        sys.stdout.flush()
        if second:
            print(f"== {label} failed (exit code {second})", flush=True)
        return first or second


def _step(label: str, command: list[str], environment: dict[str, str]) -> int:
    print(f"== {label}", flush=True)
    code = subprocess.call(command, cwd=ROOT, env=environment)
    if code:
        print(f"== {label} failed (exit code {code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
