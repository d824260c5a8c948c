"""``corridor verify --deep`` holds every sealed text to its entry's commitment, naming a missing, altered or
swapped one by entry and path, never by its text, and counting an erased person's apart."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from corridor.accounts.services import create_user
from corridor.cli import cli
from corridor.ledger import sealing
from corridor.ledger.models import Entry, SealedText
from corridor.ledger.tests.ledgers import held_at_the_gate
from corridor.register import erasure
from corridor.register import services as register

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_data_dir")]
NOTE = "held two hours, mkDeepNote4417"
OTHER = "let through at once, mkDeepOther4418"


def _held(note: str = NOTE, subjects: tuple[str, ...] = ("trip:7",)) -> Entry:
    return held_at_the_gate(note, subjects)


def _deep() -> Result:
    return CliRunner().invoke(cli, ["verify", "--deep"])


def _said(result: Result) -> str:
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_deep_verify_holds_every_sealed_text_to_its_commitment_and_says_how_many_matched() -> None:
    _held(), _held(OTHER)

    result = _deep()

    assert result.exit_code == 0, _said(result)
    assert "sealed texts: 2 match their commitments; 0 unreadable since their person was erased" in result.output
    assert sealing.check_texts().problems == []


def test_a_flipped_byte_in_a_sealed_text_is_named_by_entry_and_path_never_by_its_text() -> None:
    entry = _held()
    row = SealedText.objects.get(seq=entry.seq)
    middle = len(row.sealed) // 2
    row.sealed = row.sealed[:middle] + ("A" if row.sealed[middle] != "A" else "B") + row.sealed[middle + 1 :]
    row.save()

    result = _deep()

    assert result.exit_code == 1
    assert f"BROKEN: entry {entry.seq}: the sealed text of note does not open (altered, or moved)" in _said(result)
    assert "mkDeep" not in _said(result)


def test_two_entries_texts_swapped_are_both_named() -> None:
    first, second = _held(), _held(OTHER)
    one, two = SealedText.objects.get(seq=first.seq), SealedText.objects.get(seq=second.seq)
    one.sealed, two.sealed = two.sealed, one.sealed
    one.save()
    two.save()

    problems = sealing.check_texts().problems

    assert problems == [
        f"entry {first.seq}: the sealed text of note does not open (altered, or moved)",
        f"entry {second.seq}: the sealed text of note does not open (altered, or moved)",
    ]


def test_a_text_sealed_again_with_other_words_opens_but_does_not_match_its_commitment() -> None:
    entry = _held()
    row = SealedText.objects.get(seq=entry.seq)
    # Only someone holding the keys could do this: the other words, sealed properly for this entry and path.
    forged = json.dumps({"salt": "00" * 32, "text": OTHER})
    resealed = sealing.keeper().seal(["trip:7"], sealing.context(entry.seq, "note"), entry.seq, forged)
    assert resealed is not None
    row.sealed = resealed[1]
    row.save()

    result = _deep()

    assert result.exit_code == 1
    assert f"BROKEN: entry {entry.seq}: the sealed text of note does not match its commitment" in _said(result)
    assert "mkDeep" not in _said(result)


def test_a_missing_text_is_named_and_one_kept_for_a_path_no_body_commits_to_is_named_too() -> None:
    kept, lost = _held(), _held(OTHER)
    row = SealedText.objects.get(seq=lost.seq)
    SealedText.objects.filter(seq=lost.seq).delete()
    SealedText.objects.create(seq=kept.seq, path="reason", owner=row.owner, sealed=row.sealed)

    assert sealing.check_texts().problems == [
        f"entry {lost.seq}: the sealed text of note is missing",
        f"entry {kept.seq}: a sealed text is kept for reason, which its body does not commit to",
    ]


def test_an_erased_persons_texts_are_counted_apart_not_as_missing_or_altered(camp: Any, users: dict[str, Any]) -> None:
    patient = register.register_patient(
        site=camp, code="P-DEEP", registered_on=dt.date(2014, 10, 1), identity={"full_name": "Synthetic"}, by=None
    )
    _held(subjects=("patient:P-DEEP",))
    second = create_user(
        username="admin-two", role="admin", password="x", by=None, check_password=False, sites=[camp.code]
    )
    erasure.request_erasure(patient, reason="the family asked", by=users["admin"])
    erasure.confirm_erasure(patient, by=second)
    _held(OTHER, subjects=("patient:P-DEEP",))  # after the erasure: nothing is kept for them

    found = sealing.check_texts()

    assert found.problems == []
    assert found.erased == 2
    assert _deep().exit_code == 0


def test_the_nightly_verification_job_fails_naming_a_damaged_sealed_text() -> None:
    from corridor.errors import InvalidInput
    from corridor.jobs import kinds

    def told(fraction: float, text: str, data: dict[str, Any] | None = None, **values: Any) -> None:
        pass

    entry = _held()
    finish = kinds.verify({}, None, told)
    assert finish().data["texts"] == 1
    SealedText.objects.filter(seq=entry.seq).delete()

    with pytest.raises(InvalidInput) as failed:
        kinds.verify({}, None, told)

    assert failed.value.code == "job.sealed_texts_damaged"
    assert f"entry {entry.seq}: the sealed text of note is missing" in str(failed.value)
