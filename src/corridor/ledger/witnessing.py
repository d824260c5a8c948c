"""Asking witnesses to co-sign a checkpoint, and time-stamping authorities to date it: no Django.

``gather`` sends ``POST <url>/add-checkpoint`` (C2SP tlog-witness) to every configured witness at once,
with the consistency proof from the size each one last co-signed. A witness that answers 409 with
another size gets a second request with the proof from that size. Network failures and 5xx answers are
retried; a witness that stays down is recorded as unreachable and never blocks the checkpoint.
``timestamp`` asks each RFC 3161 authority for a token over the exact bytes given (the checkpoint with
its cosignatures), through ``rfc3161-client``: no hand-written ASN.1.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import rfc3161_client

from corridor.ledger import cosignatures

COSIGNED, REFUSED, UNREACHABLE = "cosigned", "refused", "unreachable"
USER_AGENT = "corridor-checkpoint"
MAX_ANSWER = 1 << 20  # bytes read from a witness or an authority: more is not an answer


@dataclass(frozen=True)
class Witness:
    url: str
    key: cosignatures.WitnessKey


@dataclass
class Outcome:
    """What one witness answered: co-signed (with its line), refused (why), or unreachable (why)."""

    witness: Witness
    result: str
    reason: str = ""
    line: str | None = None
    holds: int | None = None  # the size it holds, when it answered 409
    attempts: int = 0

    def record(self) -> dict[str, Any]:
        return {"name": self.witness.key.name, "key": self.witness.key.encode(), "url": self.witness.url,
                "result": self.result, "reason": self.reason}  # fmt: skip


@dataclass
class Gathered:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [outcome.line for outcome in self.outcomes if outcome.line]


def parse_witnesses(pairs: Sequence[tuple[str, str]]) -> list[Witness]:
    """The configured witnesses; a URL is a prefix, so ``https://w.example/`` asks ``https://w.example/add-checkpoint``."""
    return [Witness(url.rstrip("/"), cosignatures.parse_witness_key(key)) for url, key in pairs]


def _post(url: str, body: bytes, content_type: str, timeout: float) -> tuple[int, bytes, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, "User-Agent": USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured http(s) URLs
            return response.status, response.read(MAX_ANSWER), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER), exc.headers.get("Content-Type", "") if exc.headers else ""


def _ask(witness: Witness, note: str, old: int, proof: list[bytes], timeout: float, retries: int) -> Outcome:
    body = cosignatures.add_checkpoint_body(old, proof, note)
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
        try:
            status, answer, content_type = _post(witness.url + "/add-checkpoint", body, "text/plain", timeout)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            last = f"no answer: {reason}"
            continue
        text = answer.decode("utf-8", "replace").strip()
        if status >= 500:
            last = f"HTTP {status}: {text[:200]}"
            continue
        # A 409 carries the size the witness holds (text/x.tlog.size), or, for a split view, its reason.
        if status == 409 and content_type.split(";")[0].strip() == "text/x.tlog.size" and text.isdigit():
            return Outcome(witness, REFUSED, f"HTTP 409: it last co-signed {text} entries", holds=int(text),
                           attempts=attempt + 1)  # fmt: skip
        if status != 200:
            return Outcome(witness, REFUSED, f"HTTP {status}: {text[:300]}", attempts=attempt + 1)
        lines = [line + "\n" for line in answer.decode("utf-8", "replace").split("\n") if line]
        try:
            cosigned = cosignatures.parse_note(note + "".join(lines))
        except cosignatures.NoteError as exc:
            return Outcome(witness, REFUSED, f"its answer is not signature lines: {exc}", attempts=attempt + 1)
        if cosignatures.cosignature_time(cosigned, witness.key) is None:
            return Outcome(witness, REFUSED, "its answer carries no valid cosignature by its key", attempts=attempt + 1)
        mine = cosignatures.cosignature_lines(note + "".join(lines), witness.key)
        return Outcome(witness, COSIGNED, "", line=mine[0], attempts=attempt + 1)
    return Outcome(witness, UNREACHABLE, last, attempts=retries + 1)


def gather(
    note: str,
    size: int,
    previous: int,
    proof_for: Callable[[int], list[bytes]],
    witnesses: Sequence[Witness],
    *,
    timeout: float,
    retries: int,
) -> Gathered:
    """Ask every witness to co-sign ``note`` (a tree of ``size``), assuming each last saw ``previous`` entries.

    ``proof_for(old)`` gives the consistency proof from ``old`` entries to ``size``; it is called in this
    thread only (it reads the database), never in the threads that talk to witnesses.
    """
    if not witnesses:
        return Gathered()
    first = proof_for(previous) if 0 < previous <= size else []
    with ThreadPoolExecutor(max_workers=len(witnesses)) as pool:
        outcomes = list(pool.map(lambda w: _ask(w, note, previous, first, timeout, retries), witnesses))
        again = {}
        for index, outcome in enumerate(outcomes):
            if outcome.holds is None or outcome.holds == previous:
                continue
            if outcome.holds > size:
                outcome.reason = f"it has co-signed a larger tree ({outcome.holds} entries) than this one ({size})"
                continue
            again[index] = pool.submit(
                _ask, outcome.witness, note, outcome.holds, proof_for(outcome.holds) if outcome.holds else [],
                timeout, retries,
            )  # fmt: skip
        for index, future in again.items():
            outcomes[index] = future.result()
    return Gathered(outcomes)


# --- RFC 3161 time stamps ----------------------------------------------------------------------------------


def timestamp(
    data: bytes, urls: Sequence[str], *, timeout: float, retries: int
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Tokens over ``data`` from each authority: ``({"tsa", "response", "time"}…, {"tsa", "reason"}…)``.

    Each response is checked here against the request (granted, same digest, same nonce); its signature
    and certificate are for the verifier to check against the authority's certificate it trusts.
    """
    if not urls:
        return [], []

    def one(url: str) -> dict[str, str]:
        builder = (
            rfc3161_client.TimestampRequestBuilder().data(data).hash_algorithm(rfc3161_client.HashAlgorithm.SHA256)
        )
        request = builder.nonce(nonce=True).cert_request(cert_request=True).build()
        last = ""
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
            try:
                status, answer, _ = _post(url, request.as_bytes(), "application/timestamp-query", timeout)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                last = f"no answer: {getattr(exc, 'reason', None) or exc}"
                continue
            if status != 200:
                last = f"HTTP {status}"
                if status >= 500:
                    continue
                return {"tsa": url, "reason": last}
            try:
                response = rfc3161_client.decode_timestamp_response(answer)
            except ValueError as exc:
                return {"tsa": url, "reason": f"not a time-stamp response: {exc}"}
            if response.status != rfc3161_client.PKIStatus.GRANTED:
                return {"tsa": url, "reason": f"refused (status {response.status})"}
            info = response.tst_info
            if info.message_imprint.message != hashlib.sha256(data).digest() or info.nonce != request.nonce:
                return {"tsa": url, "reason": "the token is for other data or another request"}
            moment = info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
            return {"tsa": url, "response": base64.b64encode(answer).decode(), "time": moment}
        return {"tsa": url, "reason": last}

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        results = list(pool.map(one, urls))
    return [r for r in results if "response" in r], [r for r in results if "reason" in r]
