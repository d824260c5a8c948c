"""A report carries the signed checkpoint and the inclusion proofs of the ledger entries it cites."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from corridor.ledger import evidence
from corridor.ledger.tests.ledgers import load_verifier
from corridor.register.models import Site
from corridor.reports import services
from corridor.supplies import actions as supplies

pytestmark = pytest.mark.django_db
verifier = load_verifier()


def _incident(camp: Site, day: int) -> int:
    entry = supplies.record_incident(
        site=camp,
        kind="obstruction",
        resource="transport",
        on=dt.date(2014, 10, day),
        description="ambulance stopped at the gate",
        by=None,
        source="witness",
        certainty="confirmed",
    )
    return entry.seq


def test_the_report_cites_each_incident_by_entry_and_proves_it_against_the_checkpoint(camp: Site) -> None:
    seqs = [_incident(camp, 3), _incident(camp, 11)]
    evidence.sign_checkpoint(by=None)
    produced = services.monthly_report(month="2014-10", fmt="html", by=None)
    html = produced.content.decode()
    for seq in seqs:
        assert f"#{seq}</small>" in html
    note = evidence.latest_checkpoint()
    assert note is not None and note.splitlines()[0] in html  # the checkpoint's origin line, shown as signed
    assert produced.entry.payload["cited_entries"] == 2
    bundle = evidence.evidence_for(seqs)
    key = verifier.Key(bundle["verifier_key"])
    assert verifier.verify_evidence(bundle, key)  # what the report attaches, an outsider can check


@pytest.mark.skipif(
    shutil.which("pdfdetach") is None and not os.environ.get("CI"),
    reason="pdfdetach (Debian's poppler-utils) is not installed",
)
def test_the_pdf_has_the_proofs_attached_as_evidence_json(camp: Site, tmp_path: Path) -> None:
    seq = _incident(camp, 5)
    evidence.sign_checkpoint(by=None)
    produced = services.monthly_report(month="2014-10", fmt="pdf", by=None)
    assert produced.entry.payload["checkpoint_size"] is not None
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(produced.content)
    listing = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "evidence.json" in listing
    out = tmp_path / "evidence.json"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(out), str(pdf)], check=True)
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert [item["entry"]["seq"] for item in bundle["entries"]] == [seq]
    assert verifier.verify_evidence(bundle, verifier.Key(bundle["verifier_key"]))


def test_without_a_checkpoint_the_report_says_what_to_ask_for_in_words_never_a_command(camp: Site) -> None:
    _incident(camp, 7)
    html = services.monthly_report(month="2014-10", fmt="html", by=None).content.decode()
    assert "Ask the issuing organisation for an edition made after its next signed checkpoint" in html
    assert "corridor checkpoint" not in html and "corridor verify" not in html
    entry: Any = json.loads(json.dumps(services.monthly_report(month="2014-10", fmt="html", by=None).entry.payload))
    assert entry["checkpoint_size"] is None
