"""A real RFC 3161 time-stamping authority for tests: OpenSSL's ``ts -reply`` behind a loopback HTTP handler.

``make_tsa(folder)`` creates a CA and a TSA certificate (critical extended key usage timeStamping) with
the ``openssl`` command; ``LocalTSA`` answers ``POST /`` (``application/timestamp-query``) by running
``openssl ts -reply`` on the request. Nothing is mocked: the tokens are what any TSA would return.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_CONFIG = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = {cn}
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_section
[ tsa_section ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
other_policies = 1.3.6.1.4.1.4146.2.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass(frozen=True)
class TSAFiles:
    folder: Path
    config: Path
    ca: Path  # the CA's certificate (PEM)
    cert: Path  # the TSA's certificate (PEM)

    def chain(self) -> Path:
        """The TSA certificate followed by its CA's, in one PEM file (what a verifier is given)."""
        path = self.folder / "tsa-chain.pem"
        path.write_text(self.cert.read_text() + self.ca.read_text())
        return path


def make_tsa(folder: Path, name: str = "Test TSA") -> TSAFiles:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "openssl.cnf"
    config.write_text(_CONFIG.format(cn=name, folder=folder))
    (folder / "serial").write_text("01\n")
    _openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-config", str(config),
             "-extensions", "ca_ext", "-subj", f"/CN={name} Root", cwd=folder)  # fmt: skip
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "tsa.key", "-out", "tsa.csr", "-config", str(config), cwd=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.pem", "-days", "3650", "-extfile", str(config), "-extensions", "tsa_ext",
             cwd=folder)  # fmt: skip
    return TSAFiles(folder, config, folder / "ca.pem", folder / "tsa.pem")


class LocalTSA:
    """``openssl ts -reply`` served on 127.0.0.1 at a free port, until :meth:`stop`."""

    def __init__(self, files: TSAFiles) -> None:
        self.files = files
        self._lock = threading.Lock()
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reply = tsa.reply(query)
                self.send_response(200 if reply else 500)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def reply(self, query: bytes) -> bytes:
        with self._lock, tempfile.TemporaryDirectory() as scratch:
            request, response = Path(scratch) / "q.tsq", Path(scratch) / "r.tsr"
            request.write_bytes(query)
            command = ["openssl", "ts", "-reply", "-config", str(self.files.config)]
            command += ["-queryfile", str(request), "-out", str(response)]
            done = subprocess.run(command, capture_output=True, check=False)
            return response.read_bytes() if done.returncode == 0 and response.exists() else b""

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def openssl_available() -> bool:
    return shutil.which("openssl") is not None
