"""``corridor serve --production``: gunicorn in front of Corridor's WSGI application.

Static files are served by WhiteNoise (already in the middleware), so no separate web server is
needed on a small deployment; put a TLS-terminating proxy in front and set ``CORRIDOR_HTTPS``.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar, cast

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

PERSISTENT_CONNECTION_SECONDS = 300
T = TypeVar("T")


GUNICORN_MESSAGES = {
    400: "the request is malformed (its request line, headers or body framing)",
    403: "the request was refused by the server",
    414: "the request line (method and path with its query) is longer than the server accepts",
    417: "the server cannot meet the request's Expect header",
    431: "the request's headers are more or larger than the server accepts",
    500: "the server could not complete the request; it has been logged",
    501: "the request uses a transfer coding the server does not implement",
}


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (a request it cannot parse, before Corridor sees it) as the API's error object.

    gunicorn writes these as HTML from ``gunicorn.util.write_error``; Corridor's server replaces that
    function, so that a client of the API gets the same JSON shape for a 414 or 431 as for any other
    error. gunicorn's detail (which may quote the request) goes to its log, not to the client.
    """
    from corridor.api.middleware import CODES

    body = json.dumps(
        {
            "error": {
                "status": status_int,
                "code": CODES.get(status_int, "bad_request" if status_int < 500 else "server_error"),
                "message": GUNICORN_MESSAGES.get(status_int, reason),
                "field": None,
                "details": None,
                "reason": None,
                "values": None,
            }
        }
    ).encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


class CorridorServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        # gunicorn's workers call util.write_error for the requests they refuse themselves.
        gunicorn_util.write_error = write_json_error

    def load(self) -> Any:
        from django.urls import get_resolver

        from corridor.wsgi import application

        # Import every view (the API's routers, the workspace, the reports) in the master before it
        # forks, so that no worker's first request waits for the imports.
        get_resolver().url_patterns  # noqa: B018
        return application


def options(host: str, port: int, *, workers: int, threads: int, access_log: bool, timeout: int) -> dict[str, Any]:
    """gunicorn's settings for Corridor. Threads let a worker overlap requests that wait on the database."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        # Access lines carry paths and query strings only (codes, never names); off unless asked for.
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "proc_name": "corridor",
        # Workers start from a forked, fully imported application: faster start, shared memory.
        "preload_app": True,
        "forwarded_allow_ips": "127.0.0.1,::1",
    }


def prepared_apart(prepare: Callable[[], T]) -> T:
    """``prepare()`` run in a forked child, its answer (or its exception) handed back through a pipe.

    The master's memory is every worker's from the start (they are forked from it): what Django's
    migration loader and the start-up checks leave behind (about 5 MB) then counts in each worker's
    resident memory, and so in an upload's peak. Run apart, it goes with the child.
    """
    from django.db import connections

    connections.close_all()  # the child opens its own; none is shared across the fork
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)

    def child() -> None:
        try:
            answer: tuple[bool, Any] = (True, prepare())
        except BaseException as exc:  # handed to the parent, which raises it as if it had run there
            answer = (False, exc)
        finally:
            connections.close_all()
        try:
            sending.send(answer)
        except Exception as exc:  # an exception that cannot be pickled: its words at least
            sending.send((False, RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}; {exc}")))

    process = context.Process(target=child, name="corridor-prepare")
    process.start()
    sending.close()
    try:
        ok, value = receiving.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"preparing the database stopped without an answer (exit code {process.exitcode})") from None
    process.join()
    if not ok:
        raise value
    return cast(T, value)


def run(host: str, port: int, *, workers: int, threads: int, access_log: bool = False, timeout: int = 60) -> None:
    from django.conf import settings
    from django.db import connections

    # Each worker thread keeps its database connection between requests (checked before reuse) instead
    # of opening one per request, which costs PostgreSQL a new backend process every time.
    database = settings.DATABASES["default"]
    database["CONN_MAX_AGE"] = PERSISTENT_CONNECTION_SECONDS
    database["CONN_HEALTH_CHECKS"] = True
    # The workers are forked from this process: none of them may inherit its database connection.
    connections.close_all()
    CorridorServer(options(host, port, workers=workers, threads=threads, access_log=access_log, timeout=timeout)).run()
