"""Keeping identities out of everything that leaves: the identity values, and a redactor for free text.

Exports and reports carry no identity field by construction. Free text written by people (an
incident's description, the reason an authority gave) could still quote a name or a contact by
mistake, so every such text passes through :func:`redactor` first: any identity value found in it
is replaced. Nobody is shown an identity here, so no ``identity.viewed`` entry is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from corridor.register.crypto import Erased, preloaded_data_keys
from corridor.register.models import PatientIdentity

WITHHELD = "[withheld]"
_WORD = re.compile(r"\w+")
_SHORTEST = 3  # shorter values ("Al", "7") would blank ordinary words
_NGRAM = 12


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def identity_values() -> list[str]:
    """Every non-empty identity value (full name, contact, notes), longest first."""
    found: set[str] = set()
    # Through the model, which opens each value with its patient id (values_list would see sealed values).
    # Every data key in one query, not one per patient.
    with preloaded_data_keys():
        rows = list(PatientIdentity.objects.only("patient_id", "full_name", "contact", "notes"))
    for row in rows:
        for value in (row.full_name, row.contact, row.notes):
            if isinstance(value, Erased):  # nothing left to withhold: "erased" is not a name
                continue
            value = (value or "").strip()
            if len(value) >= _SHORTEST:
                found.add(value)
    return sorted(found, key=len, reverse=True)


def withheld_in(language: str) -> str:
    """The mark of a withheld value in ``language``: a report's language, which need not be the request's."""
    from django.utils import translation

    from corridor.sensitivity import WITHHELD as MARK

    with translation.override(language):
        return str(MARK)


def redactor(mark: str = WITHHELD) -> Callable[[str], str]:
    """A function that replaces every identity value in a text by ``mark`` (``[withheld]``: exports keep it).

    Identity values are matched as whole runs of words, ignoring case and the punctuation between
    them ("Test Person Bravo's" holds "Test Person Bravo"); values longer than twelve words (notes)
    are matched as plain substrings. The values are read once, on first use, so a report without
    free text never reads them.
    """
    state: dict[str, object] = {}

    def load() -> tuple[set[str], list[str]]:
        if "short" not in state:
            short: set[str] = set()
            long: list[str] = []
            for value in identity_values():
                normal = _normal(value)
                if not normal:
                    continue
                if len(normal.split()) <= _NGRAM:
                    short.add(normal)
                else:
                    long.append(value)
            state["short"], state["long"] = short, long
        return state["short"], state["long"]  # type: ignore[return-value]

    def redact(text: str) -> str:
        if not text or not text.strip():
            return text
        short, long = load()
        for value in long:
            text = re.sub(re.escape(value), mark, text, flags=re.IGNORECASE)
        tokens = list(_WORD.finditer(text))
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            for n in range(min(_NGRAM, len(tokens) - i), 0, -1):
                if " ".join(t.group().lower() for t in tokens[i : i + n]) in short:
                    spans.append((tokens[i].start(), tokens[i + n - 1].end()))
                    i += n
                    break
            else:
                i += 1
        for start, end in reversed(spans):
            text = text[:start] + mark + text[end:]
        return text

    return redact
