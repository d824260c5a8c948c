"""Reads that tolerate lag go to a PostgreSQL read replica (``CORRIDOR_DATABASE_REPLICA_URL``).

Only the pages and endpoints listed in ``LAG_TOLERANT`` (the dashboard, reports, exports, indicators)
read from the replica, and only while it is less than ``CORRIDOR_REPLICA_MAX_LAG_SECONDS`` behind.
Everything else, every write, every read inside a transaction, and the ledger's appends and proofs
stay on the primary: a proof against the head must be made against the head itself.

Read-your-writes: a request that changed something sets the ``corridor_wrote`` cookie, and for as long as
it lasts that browser (or API client keeping cookies) reads from the primary, so it never sees a page
older than what it just did. A write inside a request also sends that request's later reads to the
primary.

A standby may cancel a query that conflicts with what it is replaying, or drop its connections when it
restarts. A lag-tolerant request whose replica read failed that way is answered again from the primary
(:class:`RetryOnPrimaryMiddleware`), so the person sees the page, not an error; the replica is left
alone for a moment.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
WROTE_COOKIE = "corridor_wrote"

# (method, path): exact paths, or prefixes when they end with "/". These read aggregates a few seconds
# old without harm; a page that edits or shows one record just edited is never among them.
LAG_TOLERANT: tuple[tuple[str, str], ...] = (
    ("GET", "/"),
    ("GET", "/api/dashboard"),
    ("GET", "/api/indicators"),
    ("POST", "/api/exports"),
    ("GET", "/reports/"),
    ("POST", "/reports/monthly/"),
    ("POST", "/reports/export/"),
)

_tolerant: contextvars.ContextVar[bool] = contextvars.ContextVar("corridor_lag_tolerant", default=False)
# None: nobody is tracking writes here (a command, a worker), so a write must not change later reads.
_wrote: contextvars.ContextVar[bool | None] = contextvars.ContextVar("corridor_wrote", default=None)

# Set when a query on the replica failed during this request (see RetryOnPrimaryMiddleware).
_replica_failed: contextvars.ContextVar[bool] = contextvars.ContextVar("corridor_replica_failed", default=False)

# Per process: (checked at, monotonic) -> lag in seconds, or None when the replica could not be asked.
_lag_cache: dict[str, tuple[float, float | None]] = {}
LAG_CHECK_EVERY = 1.0  # seconds between two questions to the replica about its lag, per process

LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def lag_tolerant() -> Iterator[None]:
    """Reads inside may come from the replica (when one is configured and close enough to the primary),
    until something inside writes."""
    token = _tolerant.set(True)
    tracking = _wrote.set(False) if _wrote.get() is None else None
    try:
        yield
    finally:
        if tracking is not None:
            _wrote.reset(tracking)
        _tolerant.reset(token)


@contextmanager
def read_your_writes(wrote: bool) -> Iterator[None]:
    """While inside, and ``wrote`` is true, every read goes to the primary."""
    token = _wrote.set(wrote)
    try:
        yield
    finally:
        _wrote.reset(token)


def replica_lag() -> float | None:
    """How many seconds the replica is behind (0 when it has replayed all it received), or None when it
    cannot be asked. Asked at most once a second per process: the answer is a guide, not a guarantee."""
    now = time.monotonic()
    cached = _lag_cache.get(REPLICA)
    if cached is not None and now - cached[0] < LAG_CHECK_EVERY:
        return cached[1]
    lag: float | None
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
        lag = float(row[0]) if row and row[0] is not None else 0.0
    except DatabaseError:
        lag = None
    _lag_cache[REPLICA] = (now, lag)
    return lag


def forget_lag() -> None:
    _lag_cache.clear()


def read_database() -> str:
    """The alias the next read should use, by the rules in this module's docstring."""
    if not (_tolerant.get() and configured()) or _wrote.get():
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY  # a read inside a transaction belongs to it (select_for_update, a check before a write)
    lag = replica_lag()
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        return PRIMARY
    wrappers = connections[REPLICA].execute_wrappers
    if _note_failure not in wrappers:
        wrappers.append(_note_failure)
    return REPLICA


def _note_failure(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
    """Installed on the replica's connection: remembers that one of this request's reads failed there."""
    try:
        return execute(sql, params, many, context)
    except DatabaseError:
        _replica_failed.set(True)
        raise


class ReplicaRouter:
    """Django database router: reads by :func:`read_database`, writes and migrations on the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_database()

    def db_for_write(self, model: type, **hints: Any) -> str:
        if _wrote.get() is not None and model._meta.app_label != "sessions":  # type: ignore[attr-defined]
            _wrote.set(True)  # this request's later reads must see this write (a session's don't count)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same database

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


def is_lag_tolerant(method: str, path: str) -> bool:
    for allowed_method, pattern in LAG_TOLERANT:
        if method != allowed_method:
            continue
        if path == pattern or (pattern.endswith("/") and pattern != "/" and path.startswith(pattern)):
            return True
    return False


class ReplicaMiddleware:
    """Marks lag-tolerant requests, keeps a browser that just wrote on the primary for a while."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            return self.get_response(request)
        wrote_recently = WROTE_COOKIE in request.COOKIES
        tolerant = is_lag_tolerant(request.method or "GET", request.path)
        with read_your_writes(wrote_recently):
            if tolerant:
                with lag_tolerant():
                    response = self.get_response(request)
            else:
                response = self.get_response(request)
            wrote = bool(_wrote.get()) and not wrote_recently
        if (wrote or request.method not in ("GET", "HEAD", "OPTIONS")) and response.status_code < 400:
            # Twice the lag allowed: by then a replica within bounds holds this write.
            response.set_cookie(
                WROTE_COOKIE,
                "1",
                max_age=max(1, 2 * settings.REPLICA_MAX_LAG_SECONDS),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class RetryOnPrimaryMiddleware:
    """Last in ``MIDDLEWARE``, so every other middleware's checks (sign-in, CSRF) have run: calls the
    view of a lag-tolerant request itself, and when a read on the replica failed (a query the standby
    cancelled, a connection it dropped), calls it once more with every read on the primary.

    Safe to repeat: a request's reads go to the primary from its first write on, so a failed replica
    read means nothing was written yet. A failure shows either as the exception (a page) or as the
    API's 5xx answer (the API turns exceptions into its error object before they get here).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not (configured() and _tolerant.get()):
            return None
        token = _replica_failed.set(False)
        try:
            response: HttpResponse | None
            try:
                response = view(request, *args, **kwargs)
            except DatabaseError:
                if not _replica_failed.get():
                    raise
                response = None
            if not _replica_failed.get() or (response is not None and response.status_code < 500):
                return response
            logger.warning(
                "a read on the replica failed during %s %s: answered from the primary", request.method, request.path
            )
            _lag_cache[REPLICA] = (time.monotonic(), None)  # the primary alone, until the next lag check
            connections[REPLICA].close()
            with read_your_writes(True):
                return view(request, *args, **kwargs)
        finally:
            _replica_failed.reset(token)
