"""Helpers for tests that need a database of their own (committed data, several processes, kill -9)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from corridor import env

CORRIDOR = [sys.executable, "-c", "from corridor.cli import main; main()"]


@contextmanager
def own_database(folder: Path) -> Iterator[str]:
    """A database URL of its own: a file in ``folder`` on SQLite, a fresh database on PostgreSQL when the
    tests run against it (``CORRIDOR_DATABASE_URL``); dropped afterwards."""
    url = os.environ.get("CORRIDOR_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{folder / 'own.sqlite3'}"
        return
    import psycopg

    settings = env.database_from_url(url)
    name = f"corridor_own_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(
        dbname=str(settings["NAME"]),
        user=str(settings["USER"]) or None,
        password=str(settings["PASSWORD"]) or None,
        host=str(settings["HOST"]) or None,
        port=str(settings["PORT"]) or None,
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def environment(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CORRIDOR_DATABASE_URL": url, "CORRIDOR_DATA_DIR": str(data_dir), **extra}


def corridor(args: list[str], env_vars: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``corridor ARGS`` in a process of its own."""
    result = subprocess.run([*CORRIDOR, *args], env=env_vars, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"corridor {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def python(code: str, env_vars: dict[str, str]) -> str:
    """Run Python ``code`` with Django set up against that environment; returns what it printed."""
    prelude = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'corridor.settings'; django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code], env=env_vars, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return result.stdout


def database_text() -> str:
    """Everything the test database holds, as text: SQLite's iterdump, or every row of every PostgreSQL
    table. Tests search it for what must not be stored in the clear (a name, an erased identity)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    lines = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')
            # Each row named by its table, as SQLite's dump names it in its INSERT statements.
            lines += [f"{table}: {row[0]}" for row in cursor.fetchall()]
    return "\n".join(lines)


# The browser tests drive Debian's chromium, never a browser of playwright's own download.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip a browser test where chromium is not installed; fail it in CI, which must run the browser tests."""
    import pytest

    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser tests: install Debian's chromium (see .ci/run)")
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")


@contextmanager
def chromium() -> Iterator[Any]:
    """Chromium, launched by playwright, for a browser test (skipped or failed as :func:`require_chromium` says)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Install(NamedTuple):
    """An install of a test's own: its database's URL, its data folder and the environment that names both."""

    url: str
    data: Path
    variables: dict[str, str]


@contextmanager
def migrated_install(folder: Path) -> Iterator[Install]:
    """An install of the test's own in ``folder`` (its data folder ``data``, its own database), migrated."""
    data = folder / "data"
    data.mkdir()
    with own_database(folder) as url:
        variables = environment(url, data)
        corridor(["migrate"], variables)
        yield Install(url, data, variables)
