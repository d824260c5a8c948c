"""Every reader entry point on random and nearly valid files: a clean refusal, never a traceback, nothing written."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.errors import InvalidInput
from corridor.intake.forms import FORMS
from corridor.intake.models import ImportedSubmission
from corridor.intake.parse import parse_export
from corridor.intake.readers import read_csv_text, read_export, read_json, read_xlsx
from corridor.intake.services import import_export
from corridor.intake.tests.cases import Case
from corridor.intake.tests.exports import WRITERS, Submission
from corridor.ledger import services as ledger

UUID = "0b7c2c8e-3f4e-4a1d-8c55-2f1e9d7a6b40"
SAMPLES = {
    "gate_incident": [
        Submission(
            UUID,
            {
                "corridor_form": "gate_incident",
                "trip_number": "T-3",
                "outcome": "released",
                "time_at_gate": "2014-10-12T09:00:00.000+03:00",
                "time_released": "2014-10-12T13:30:00.000+03:00",
                "witnesses": "2",
                "certainty": "confirmed",
            },
        )
    ],
    "trip_outcome": [
        Submission(
            UUID,
            {"corridor_form": "trip_outcome", "trip_number": "T-4", "certainty": "probable"},
            {
                "patients": [
                    {"patient_code": "P-201", "outcome": "seen"},
                    {"patient_code": "P-202", "outcome": "refused"},
                ]
            },
        )
    ],
}
VALID = {
    (form, fmt): WRITERS[fmt](FORMS[form], subs)
    for form, subs in SAMPLES.items()
    for fmt in ("kobo json", "kobo xlsx", "kobo csv", "odk zip")
}

INTERESTING = [
    "",
    " ",
    "T-",
    "T-0",
    "T-999999999999",
    "P-",
    "uuid:",
    "2014-10-12",
    "2014-02-30",
    "2014-10-12T25:00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00",
    "NaN",
    "1e999",
    "-0",
    "=cmd|' /C calc'!A0",
    "\u202e",
    "‮P-1",
    "#",
    "#activity +code",
    "released;held",
    '"',
    "\r\n",
    "a" * 3000,
]
CELL_TEXT = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=60))
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELL_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def _clean(data: bytes) -> None:
    """Read and map ``data``; the only failure allowed is a clean InvalidInput."""
    try:
        parse_export(read_export(data, "upload"))
    except InvalidInput as exc:
        assert str(exc).strip()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"", b"PK\x03\x04", b"{", b'{"results": [', b"[", b"\xef\xbb\xbf", b"\xd0\xcf\x11\xe0"]),
    st.binary(max_size=2048),
)
def test_random_bytes_are_refused_cleanly(prefix: bytes, body: bytes) -> None:
    _clean(prefix + body)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=1500), st.binary(max_size=1500))
def test_each_reader_called_directly_refuses_cleanly(text: str, data: bytes) -> None:
    for read in (lambda: read_csv_text(text), lambda: read_json(text), lambda: read_xlsx(b"PK\x03\x04" + data)):
        try:
            parse_export(read())
        except InvalidInput as exc:
            assert str(exc).strip()


def _mutate_bytes(data: bytes, draw: Callable[..., Any]) -> bytes:
    """Flip, delete, insert or truncate a few bytes."""
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not buffer:
            break
        at = draw(st.integers(0, len(buffer) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            buffer[at] ^= draw(st.integers(1, 255))
        elif action == "delete":
            del buffer[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del buffer[at:]
    return bytes(buffer)


def _repack(data: bytes, draw: Callable[..., Any]) -> bytes:
    """A valid archive whose inner files (CSV tables, workbook XML) are damaged."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    victim = draw(st.sampled_from(names))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            body = source.read(name)
            target.writestr(name, _mutate_bytes(body, draw) if name == victim else body)
    return out.getvalue()


def _recell(data: bytes, fmt: str, draw: Callable[..., Any]) -> bytes:
    """The same export with one answer replaced by something odd."""
    if fmt == "kobo json":
        document = json.loads(data)
        result = document["results"][0]
        key = draw(st.sampled_from(sorted(result)))
        result[key] = draw(JSON_VALUE)
        patients = result.get("patients")
        # The first draw may already have replaced "patients" with something that is not a list of answers.
        if (
            draw(st.booleans())
            and isinstance(patients, list)
            and patients
            and isinstance(patients[0], dict)
            and patients[0]
        ):
            item = patients[0]
            item[draw(st.sampled_from(sorted(item)))] = draw(JSON_VALUE)
        return json.dumps(document, allow_nan=True).encode()
    if fmt == "kobo csv":
        rows = list(csv.reader(io.StringIO(data.decode()), delimiter=";"))
        row = draw(st.integers(0, len(rows) - 1))
        rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(CELL_TEXT)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";").writerows(rows)
        return buffer.getvalue().encode("utf-8", "surrogatepass")
    return _repack(data, draw)


NEAR = st.sampled_from(sorted(VALID))


@settings(max_examples=250, deadline=None)
@given(NEAR, st.data())
def test_nearly_valid_exports_are_read_or_refused_cleanly(key: tuple[str, str], data: st.DataObject) -> None:
    form, fmt = key
    original = VALID[key]
    how = data.draw(st.sampled_from(["bytes", "cell"]))
    mutated = _mutate_bytes(original, data.draw) if how == "bytes" else _recell(original, fmt, data.draw)
    _clean(mutated)


def _snapshot() -> tuple[int, int]:
    # Submissions, not rows: a submission known by two IDs (its instanceID and a _uuid that differs, as
    # a mangled cell can make them) has a row for each, and both point at the same entries.
    submissions = {tuple(seqs) for seqs in ImportedSubmission.objects.values_list("seqs", flat=True)}
    return ledger.head()[0], len(submissions)


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["gate_incident", "trip_outcome"])
def test_an_import_of_a_nearly_valid_export_writes_all_of_it_or_nothing(
    form: str, field_state: Callable[[str], Case], users: dict[str, Any]
) -> None:
    case = field_state(form)
    exports = {fmt: WRITERS[fmt](FORMS[form], case.submissions) for fmt in ("kobo json", "kobo csv", "odk zip")}

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(exports)), st.data())
    def attempt(fmt: str, data: st.DataObject) -> None:
        how = data.draw(st.sampled_from(["bytes", "cell"]))
        original = exports[fmt]
        mutated = _mutate_bytes(original, data.draw) if how == "bytes" else _recell(original, fmt, data.draw)
        before = _snapshot()
        try:
            report = import_export(mutated, platform=fmt.split()[0], filename="fuzz", by=users["monitor"])
        except InvalidInput as exc:
            assert str(exc).strip()
            assert _snapshot() == before
            return
        if report.rejected:
            assert _snapshot() == before
            assert all(s.problems for s in report.rejected)
        else:
            head, imported = _snapshot()
            assert imported == before[1] + report.count("imported")

    attempt()
    assert ledger.verify().ok
