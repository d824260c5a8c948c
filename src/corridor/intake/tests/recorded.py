"""Serve the recorded answers of KoBoToolbox and ODK Central (``recorded/``) from a real HTTP server.

The pull tests talk to it over a socket on 127.0.0.1, as Corridor talks to a real server: no client is
mocked. Each route answers a recorded file (its ``{server}`` replaced by this server's address), a status
with a body, or a dropped connection; every request is kept so a test can check what was sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORDED = Path(__file__).resolve().parent / "recorded"


@dataclass
class Answer:
    status: int = 200
    file: str = ""
    body: bytes = b""
    drop: bool = False  # close the connection without answering


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class RecordedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                server.requests.append(Request(self.path, dict(self.headers.items())))
                answer = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
                if answer is None:
                    answer = Answer(404, body=b'{"detail": "Not found."}')
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = answer.body
                if answer.file:
                    body = (RECORDED / answer.file).read_text(encoding="utf-8").replace("{server}", server.url).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the tests read self.requests instead

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str, file: str = "", *, status: int = 200, body: bytes = b"", drop: bool = False) -> None:
        """Answer ``path`` (with its query, or without to answer any query) with a recorded file or a body."""
        self.routes[path] = Answer(status, file, body, drop)

    def start(self) -> RecordedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# Where the recorded pages sit on the two servers (see recorded/README.md).
KOBO_DATA = "/api/v2/assets/aSynthDeath01/data/"
KOBO_PAGE_2 = f"{KOBO_DATA}?format=json&limit=2&start=2"
ODK_SUBMISSIONS = "/v1/projects/7/forms/corridor_trip_outcome.svc/Submissions"
ODK_PAGE_2 = (
    f"{ODK_SUBMISSIONS}?%24top=2&%24count=true&%24expand=*"
    "&%24skiptoken=eyJyZXBlYXRJZCI6InV1aWQ6YjJjM2Q0ZTUtMDAwMi00ZjZhLThiOWMtMDAwMDAwMDAwMjAyIn0%3D"
)


def serve_kobo(server: RecordedServer, later: bool = False) -> None:
    suffix = "-later" if later else ""
    server.answer(KOBO_DATA, f"kobo/data-1{suffix}.json")
    server.answer(KOBO_PAGE_2, f"kobo/data-2{suffix}.json")


def serve_odk(server: RecordedServer, edited: bool = False) -> None:
    server.answer(ODK_SUBMISSIONS, "odk/submissions-1.json")
    server.answer(ODK_PAGE_2, "odk/submissions-2-edited.json" if edited else "odk/submissions-2.json")
