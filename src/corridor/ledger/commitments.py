"""Commitments, not text, in the hashed ledger: the scheme, with no Django and no database.

A ledger entry's hashed body holds, in place of each clinical or identifying value, an object
``{"commitment": "hmac-sha256:HEX"}`` where HEX is HMAC-SHA-256 keyed with a salt of 32 random bytes
(drawn for that one value) over the value's UTF-8 text. A value that is not a string (a field
submission's answers) is committed as its canonical JSON and says so: ``hmac-sha256+json:HEX``. The
text and its salt are kept apart, encrypted (:mod:`corridor.ledger.sealing`); whoever holds both can
show that they are what was recorded, and without them the commitment reveals nothing (the salt is
secret, so a short text cannot be guessed and tested against it).

The standalone verifier (``verifier/corridor_verify.py text``) re-implements :func:`proves` in a few
lines; docs/ledger.md states the scheme for anyone else to do the same.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SCHEME = "hmac-sha256"
JSON_SCHEME = "hmac-sha256+json"
SALT_BYTES = 32
KEY = "commitment"
# What a body holding at least one commitment contains (canonical JSON: no spaces), so a reader can tell
# from the stored text alone whether there is anything to open, without parsing it.
MARK = '{"commitment":"hmac-sha256'


def commitment_of(text: str, salt: bytes, *, scheme: str = SCHEME) -> str:
    """The commitment to ``text`` under ``salt``: ``SCHEME:`` and the HMAC-SHA-256's hex digits."""
    return f"{scheme}:" + hmac.new(salt, text.encode("utf-8"), hashlib.sha256).hexdigest()


def proves(text: str, salt_hex: str, commitment: str) -> bool:
    """Whether ``text`` with the salt ``salt_hex`` is what ``commitment`` committed to."""
    scheme, _, digest = commitment.partition(":")
    if scheme not in (SCHEME, JSON_SCHEME) or not digest:
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(commitment_of(text, salt, scheme=scheme), commitment)


def is_commitment(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get(KEY), str)


@dataclass(frozen=True)
class Held:
    """One value taken out of a payload: where it was (``changes.note``), its text, and the salt drawn for it."""

    path: str
    text: str
    salt: bytes
    scheme: str

    @property
    def commitment(self) -> str:
        return commitment_of(self.text, self.salt, scheme=self.scheme)

    @property
    def value(self) -> Any:
        """The value as the payload held it (a JSON value is parsed back)."""
        return json.loads(self.text) if self.scheme == JSON_SCHEME else self.text


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def commit(
    payload: dict[str, Any], restricted: Callable[[str], bool], opaque: frozenset[str]
) -> tuple[dict[str, Any], list[Held]]:
    """``payload`` with each value of a ``restricted`` key replaced by its commitment, and the values taken out.

    ``restricted(key)`` says whether a key's value is clinical or identifying text; ``opaque`` keys that are
    not restricted are kept whole, never walked. Empty values are kept as they are: that nothing was written
    is not sensitive, and a reader must still see it. A payload with nothing to commit is returned itself.
    """
    if not _holds_text(payload, restricted, opaque):  # most entries: nothing is copied
        return payload, []
    held: list[Held] = []
    committed = _walk(payload, "", restricted, opaque, held)
    return committed, held


def _holds_text(value: Any, restricted: Callable[[str], bool], opaque: frozenset[str]) -> bool:
    if isinstance(value, dict):
        if not any(map(restricted, value)):
            # A loop rather than any() over a generator: every append asks, and most payloads are flat.
            for inner in value.values():
                if isinstance(inner, dict | list):
                    break
            else:
                return False
        for key, inner in value.items():
            if inner in ("", None, {}, []):
                continue
            if restricted(key):
                return True
            if key not in opaque and isinstance(inner, dict | list) and _holds_text(inner, restricted, opaque):
                return True
        return False
    if isinstance(value, list):
        return any(_holds_text(item, restricted, opaque) for item in value)
    return False


def _walk(value: Any, path: str, restricted: Callable[[str], bool], opaque: frozenset[str], held: list[Held]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            if inner in ("", None, {}, []) or not restricted(key):
                out[key] = inner if key in opaque else _walk(inner, where, restricted, opaque, held)
                continue
            if isinstance(inner, str):
                taken = Held(where, inner, os.urandom(SALT_BYTES), SCHEME)
            else:
                taken = Held(where, _canonical(inner), os.urandom(SALT_BYTES), JSON_SCHEME)
            held.append(taken)
            out[key] = {KEY: taken.commitment}
        return out
    if isinstance(value, list):
        return [_walk(item, f"{path}.{index}", restricted, opaque, held) for index, item in enumerate(value)]
    return value


def paths(payload: Any, path: str = "") -> dict[str, str]:
    """Every commitment in ``payload``: its path (``changes.note``) and the commitment."""
    found: dict[str, str] = {}
    if is_commitment(payload):
        found[path] = payload[KEY]
    elif isinstance(payload, Mapping):
        for key, inner in payload.items():
            found.update(paths(inner, f"{path}.{key}" if path else str(key)))
    elif isinstance(payload, list):
        for index, item in enumerate(payload):
            found.update(paths(item, f"{path}.{index}"))
    return found


def substitute(payload: Any, values: Mapping[str, Any], missing: Any, path: str = "") -> Any:
    """``payload`` with each commitment replaced by the value at its path in ``values`` (else ``missing``)."""
    if is_commitment(payload):
        return values.get(path, missing)
    if isinstance(payload, dict):
        return {
            key: substitute(inner, values, missing, f"{path}.{key}" if path else key) for key, inner in payload.items()
        }
    if isinstance(payload, list):
        return [substitute(item, values, missing, f"{path}.{index}") for index, item in enumerate(payload)]
    return payload
