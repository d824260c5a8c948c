"""Commitments, not text, in the hashed ledger: the scheme, the append, proving a text, and the starting entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.errors import NotAllowed, NotFound
from corridor.ledger import began, commitments, sealing, withheld
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry, SealedText
from corridor.ledger.tests.ledgers import ROOT, held_at_the_gate
from corridor.register.crypto import IdentityKeyError
from corridor.sensitivity import RESTRICTED, key_class

pytestmark = pytest.mark.usefixtures("own_data_dir")
NOTE = "held two hours, mkSealedNote9931"
VERIFIER = ROOT / "verifier" / "corridor_verify.py"


def _held(note: str = NOTE, subjects: tuple[str, ...] = ("trip:7",)) -> Entry:
    return held_at_the_gate(note, subjects)


def _restricted(key: str) -> bool:
    return key_class("gate.held", key) in RESTRICTED


def test_a_commitment_proves_its_text_and_rejects_a_changed_text_or_a_changed_salt() -> None:
    committed, [held] = commitments.commit({"note": "غزة, 08:15", "date": "2014-10-11"}, _restricted, frozenset())
    assert committed == {"note": {"commitment": held.commitment}, "date": "2014-10-11"}
    assert held.commitment.startswith("hmac-sha256:") and len(held.salt) == 32
    assert commitments.proves("غزة, 08:15", held.salt.hex(), held.commitment)
    assert not commitments.proves("غزة, 08:16", held.salt.hex(), held.commitment)
    changed_salt = bytes([held.salt[0] ^ 1]) + held.salt[1:]
    assert not commitments.proves("غزة, 08:15", changed_salt.hex(), held.commitment)
    assert not commitments.proves("غزة, 08:15", "not hex", held.commitment)


def test_the_same_text_twice_gives_two_unrelated_commitments_and_empty_or_public_values_stay() -> None:
    payload = {"note": "same", "changes": {"note": "same", "reason": "typo"}, "outcome_note": "", "date": "x"}
    committed, held = commitments.commit(payload, _restricted, frozenset())
    assert [h.path for h in held] == ["note", "changes.note"]
    assert held[0].commitment != held[1].commitment
    assert committed["outcome_note"] == "" and committed["date"] == "x" and committed["changes"]["reason"] == "typo"
    untouched = {"date": "2014-10-11", "hours_held": 3}
    assert commitments.commit(untouched, _restricted, frozenset()) == (untouched, [])


@pytest.mark.django_db
def test_a_new_entrys_body_holds_the_commitment_not_the_text_and_its_payload_reads_the_text() -> None:
    entry = _held()
    assert "mkSealedNote9931" not in entry.body
    stored = Entry.objects.get(seq=entry.seq)
    assert "mkSealedNote9931" not in stored.body
    commitment = stored.fields["payload"]["note"]["commitment"]
    assert stored.payload == {"note": NOTE, "date": "2014-10-11"} == entry.payload
    [row] = SealedText.objects.filter(seq=entry.seq)
    assert (row.path, row.owner) == ("note", "") and "mkSealedNote9931" not in row.sealed
    salt = sealing.opened([entry.seq])[entry.seq]["note"]
    assert salt is not None and commitments.proves(NOTE, salt[1], commitment)
    assert ledger.verify(deep=True).ok


@pytest.mark.django_db
def test_an_entry_without_sensitive_text_keeps_nothing_apart() -> None:
    entry = ledger.append("gate.arrived", by="tester", subjects=["trip:7"], payload={"date": "2014-10-11"})
    assert not entry.committed and entry.payload == {"date": "2014-10-11"}
    assert not SealedText.objects.exists()


@pytest.mark.django_db
def test_a_sealed_text_copied_to_another_entry_does_not_open_there() -> None:
    first, second = _held("first words"), _held("second words")
    row = SealedText.objects.get(seq=first.seq)
    # The table is not append-only: someone with the database moves a ciphertext onto the other entry.
    SealedText.objects.filter(seq=second.seq).delete()
    SealedText.objects.create(seq=second.seq, path="note", owner=row.owner, sealed=row.sealed)
    with pytest.raises(IdentityKeyError, match="does not decrypt"):
        Entry.objects.get(seq=second.seq).payload  # noqa: B018


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFIER), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.django_db
def test_prove_text_gives_a_file_the_standalone_verifier_accepts_and_a_changed_text_or_salt_fails(
    users: dict[str, Any], tmp_path: Path
) -> None:
    entry = _held()
    assert _run("checkpoint").exit_code == 0
    key = tmp_path / "key.txt"
    key.write_text(_run("checkpoint", "--print-key").output)
    out = tmp_path / "text.json"
    made = _run(
        "prove", "text", str(entry.seq), "note", "--purpose", "court filing", "--as", "coordinator", "--out", str(out)
    )
    assert made.exit_code == 0, made.output
    document = json.loads(out.read_text())
    assert (document["text"], document["key"], document["seq"]) == (NOTE, "note", entry.seq)
    assert document["entry"]["payload"]["note"] == {"commitment": document["commitment"]}

    accepted = _verify("text", str(out), "--key", str(key))
    assert accepted.returncode == 0 and accepted.stdout.endswith("OK\n"), accepted.stdout + accepted.stderr
    assert "included in it" in accepted.stdout
    assert _verify("text", str(out)).returncode == 0  # without a key: the commitment and the hash only

    for field, value in (("text", NOTE.replace("two", "three")), ("salt", "00" + document["salt"][2:])):
        changed = tmp_path / f"changed-{field}.json"
        changed.write_text(json.dumps({**document, field: value}))
        refused = _verify("text", str(changed), "--key", str(key))
        assert refused.returncode == 1 and "not what entry" in refused.stdout, refused.stdout
    forged = tmp_path / "forged-entry.json"
    record = {**document["entry"], "payload": {**document["entry"]["payload"], "date": "2014-10-12"}}
    forged.write_text(json.dumps({**document, "entry": record}))
    assert "altered" in _verify("text", str(forged)).stdout

    [proved] = Entry.objects.filter(type="text.proved")
    assert proved.payload == {"entry": entry.seq, "key": "note", "purpose": "court filing"}
    assert proved.recorded_by == "coordinator"


@pytest.mark.django_db
def test_giving_a_text_out_is_refused_to_a_monitor_and_to_a_key_that_holds_no_commitment(
    users: dict[str, Any],
) -> None:
    entry = _held()
    with pytest.raises(NotAllowed):
        withheld.prove_text(entry.seq, "note", by=users["monitor"], purpose="curious")
    with pytest.raises(NotFound, match="it has: note"):
        withheld.prove_text(entry.seq, "date", by=users["coordinator"], purpose="court filing")
    assert not Entry.objects.filter(type="text.proved").exists()
    refused = CliRunner().invoke(cli, ["prove", "text", str(entry.seq), "note", "--purpose", "x", "--as", "nobody"])
    assert refused.exit_code == 2 and "no active user" in refused.output


@pytest.mark.django_db
def test_the_entry_saying_where_commitments_began_is_written_once_and_only_over_older_entries() -> None:
    assert began.record_commitments_began() is None  # an empty ledger: every entry to come is committed
    _held()
    _held()
    first = began.record_commitments_began()
    assert first is not None and first.type == began.TYPE and first.payload == {"first_entry": first.seq}
    assert began.record_commitments_began() is None
    assert Entry.objects.filter(type=began.TYPE).count() == 1
    assert ledger.verify().ok


def test_migrating_an_install_with_entries_records_where_commitments_began_once(tmp_path: Path) -> None:
    from corridor.ops.testing import corridor, environment, own_database, python

    with own_database(tmp_path) as url:
        variables = environment(url, tmp_path)
        # An install as it was before: its ledger without the table of sealed texts, and an entry in it.
        python(
            "from django.core.management import call_command\n"
            "call_command('migrate', verbosity=0)\n"
            "call_command('migrate', 'ledger', '0006', verbosity=0)\n"
            "from corridor.ledger import services as ledger\n"
            "ledger.append('gate.arrived', by='tester', subjects=['trip:7'], payload={'date': '2014-10-11'})\n",
            variables,
        )
        corridor(["migrate"], variables)
        corridor(["migrate"], variables)
        found = python(
            "import json\n"
            "from corridor.ledger.models import Entry\n"
            "from corridor.ledger import services as ledger\n"
            "began = Entry.objects.filter(type='ledger.commitments_began')\n"
            "print(json.dumps([[e.seq, e.payload] for e in began] + [ledger.verify().ok]))\n",
            variables,
        )
        # Entry 1 was written before, so the marker is entry 2, and the only one after two migrations.
        assert json.loads(found) == [[2, {"first_entry": 2}], True]


@pytest.mark.django_db
def test_a_text_about_no_person_is_sealed_again_when_the_identity_key_rotates_and_reads_without_the_old_key(
    settings: Any,
) -> None:
    from corridor import env
    from corridor.ops import keys
    from corridor.register import crypto

    entry = _held()
    old = crypto.key_id(settings.IDENTITY_KEYS[0])
    assert crypto.key_ids_in_use().get(old, 0) >= 1  # the text counts as a row under the old key
    new = env.new_identity_key()
    settings.IDENTITY_KEYS = [new, *settings.IDENTITY_KEYS]
    keys.reencrypt_identities(by=None)
    assert old not in crypto.key_ids_in_use()
    settings.IDENTITY_KEYS = [new]
    assert Entry.objects.get(seq=entry.seq).payload["note"] == NOTE


@pytest.mark.django_db
def test_a_list_of_entries_shown_to_a_reader_reads_their_texts_in_one_query_and_a_monitor_reads_none(
    users: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from corridor.sensitivity import may_read_clinical, redact_entries

    for i in range(6):
        _held(f"note {i}")
    coordinator, monitor = users["coordinator"], users["monitor"]
    may_read_clinical(coordinator), may_read_clinical(monitor)  # the roles are read once per user object
    entries = list(Entry.objects.filter(type="gate.held").order_by("seq"))
    with django_assert_max_num_queries(1):
        notes = [e.payload["note"] for e in redact_entries(entries, coordinator)]
    assert notes == [f"note {i}" for i in range(6)]
    again = list(Entry.objects.filter(type="gate.held").order_by("seq"))
    with django_assert_max_num_queries(0):
        hidden = redact_entries(again, monitor)
    assert {e.payload["note"] for e in hidden} == {"[withheld]"}
