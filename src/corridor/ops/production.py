"""``corridor serve --production``: gunicorn in front of Corridor's WSGI application.

Static files are served by WhiteNoise (already in the middleware), so no separate web server is
needed on a small deployment; put a TLS-terminating proxy in front and set ``CORRIDOR_HTTPS``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

PERSISTENT_CONNECTION_SECONDS = 300


class CorridorServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

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
