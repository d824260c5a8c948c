"""The ledger's commands: ``verify``, ``checkpoint``, ``prove``, ``attach``, ``publish-log`` and ``export ledger``.

Thin commands over ``corridor.ledger.services``, ``corridor.ledger.evidence`` and ``corridor.ledger.exports``.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import click

from corridor.cli import READ_AS, UserError, reader, with_django
from corridor.files import atomic_open, write_atomically
from corridor.jobs.cli import job_options, submit_or_wait
from corridor.ledger.catalogue import Certainty, Source


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a half-written checkpoint or proof is worse than none."""
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def _emit(data: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        _write(out, text)
        click.echo(f"wrote {out}", err=True)


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the checkpoint here.")
@click.option("--print-key", is_flag=True, help="Print the verifier key to publish, and sign nothing.")
@click.option("--if-due", is_flag=True, help="Sign only if one is due (CORRIDOR_CHECKPOINT_EVERY_*): for cron.")
@job_options
@with_django
def checkpoint(out: Path | None, print_key: bool, if_due: bool, as_job: bool = False, wait: bool = False) -> None:
    """Sign a checkpoint of the whole ledger (tree size, Merkle root, time, head) and record it in the ledger.

    The checkpoint is written to checkpoints/checkpoint-N.txt in the data directory (and to --out):
    publish it or send it to partners. See docs/evidence.md.
    """
    from django.conf import settings

    from corridor.ledger import evidence

    if print_key:
        click.echo(evidence.verifier_key().encode())
        return
    if as_job or wait:
        job = submit_or_wait("checkpoint", {"if_due": if_due}, wait=wait)
        if wait and out is not None and job.content is not None:
            _write(out, bytes(job.content).decode("utf-8"))
        return
    if if_due:
        reason = evidence.checkpoint_due()
        if reason is None:
            click.echo("no checkpoint due")
            return
        click.echo(f"due: {reason}")
    entry, note = evidence.sign_checkpoint(by=None)
    payload = entry.payload
    folder = Path(settings.DATA_DIR) / "checkpoints"
    target = folder / f"checkpoint-{payload['tree_size']}.txt"
    _write(target, note)
    for number, stamp in enumerate(payload.get("timestamps", []), start=1):
        _write_bytes(folder / f"checkpoint-{payload['tree_size']}.{number}.tsr", base64.b64decode(stamp["response"]))
    if out is not None:
        _write(out, note)
    click.echo(f"signed: {payload['tree_size']} entries, root {payload['root_hash']}, at {payload['time']}")
    for outcome in payload.get("witnesses", []):
        click.echo(
            f"witness {outcome['name']}: {outcome['result']}" + (f" ({outcome['reason']})" if outcome["reason"] else "")
        )
    policy = payload.get("witness_policy")
    if policy and policy["of"]:
        verdict = "witnessed" if payload["witnessed"] else "NOT WITNESSED"
        click.echo(
            f"{verdict}: {policy['cosigned']} of {policy['of']} witnesses co-signed; "
            f"the policy needs {policy['quorum']}"
        )
    for stamp in payload.get("timestamps", []):
        click.echo(f"time-stamped by {stamp['tsa']} at {stamp['time']}")
    for failure in payload.get("timestamp_failures", []):
        click.echo(f"NOT time-stamped by {failure['tsa']}: {failure['reason']}")
    click.echo(f"recorded as ledger entry {entry.seq}; written to {target}" + (f" and {out}" if out else ""))
    click.echo(f"verifier key: {payload['verifier_key']}")


@click.command("publish-log")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="The folder to write.")
@with_django
def publish_log(out: Path) -> None:
    """Write the ledger's Merkle tree as static C2SP tlog-tiles under OUT: checkpoint, tiles, entry bundles.

    Serve OUT with any web server; outsiders mirror it and check entries with verifier/corridor_verify.py
    mirror. See docs/evidence.md. Operator only: every entry is published as stored, free text included
    (docs/privacy.md).
    """
    from corridor.ledger import evidence

    try:
        done = evidence.publish_log(out)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot publish to {out}: {exc}") from None
    state = "witnessed" if done["witnessed"] else "NOT WITNESSED"
    click.echo(f"published {done['tree_size']} entries ({state} checkpoint) to {out}; {done['files']} files written")


@click.group()
def prove() -> None:
    """Proofs for outsiders: an entry's inclusion in a checkpoint, or one checkpoint extending another."""


@prove.command("entry")
@click.argument("seq", type=click.IntRange(min=1))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The checkpoint to prove against (default: the latest signed).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option(
    "--attachments",
    "attachments_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the original files attached to the entry into this folder (DIR/ab/abcdef…), unsealed, "
    "for the verifier's --attachments check.",
)
@READ_AS
@with_django
def prove_entry(
    seq: int,
    checkpoint_file: Path | None,
    out: Path | None,
    attachments_dir: Path | None,
    username: str | None = None,
) -> None:
    """The inclusion proof of entry SEQ, with the entry and the checkpoint, as JSON (corridor-evidence/1).

    The files attached to SEQ as evidence (their attachment.added entries) are proved with it, when the
    checkpoint covers them. With --as USER: an entry of that account's sites, its text withheld as the
    API withholds it (the entry then says "redacted" and its proof checks only with the whole entry),
    and originals only for a role that may open them.
    """
    from corridor.accounts.roles import Can, require
    from corridor.ledger import attachments, evidence
    from corridor.ledger.exports import redact_evidence

    user = reader(username)
    if user is not None:
        require(user, Can.READ_LEDGER)
        _visible_entry(seq, user)
        if attachments_dir is not None:
            require(user, Can.VIEW_ORIGINALS)
    note = evidence.resolve_checkpoint(str(checkpoint_file)) if checkpoint_file is not None else None
    bundle = evidence.evidence_for([seq], checkpoint=note)
    if bundle["checkpoint"] is None:
        raise UserError("no checkpoint has been signed yet: run corridor checkpoint first")
    if bundle["entries"][0]["inclusion_proof"] is None:
        raise UserError(f"entry {seq} is newer than the checkpoint of {bundle['tree_size']} entries")
    files = [a.added_id for a in attachments.for_entries([seq]).get(seq, []) if a.added_id <= bundle["tree_size"]]
    if files:
        bundle = evidence.evidence_for([seq, *files], checkpoint=bundle["checkpoint"])
    if attachments_dir is not None:
        written = attachments.export_files([seq, *files], attachments_dir)
        click.echo(f"wrote {len(written)} attached files to {attachments_dir}", err=True)
    if user is not None:
        bundle = redact_evidence(bundle, user)
    _emit(bundle, out)


def _visible_entry(seq: int, user: Any) -> Any:
    """Entry ``seq`` if it is of ``user``'s sites; otherwise the same answer as for an entry that is not there."""
    from corridor.ledger.models import Entry
    from corridor.register.scoping import get_visible

    return get_visible(Entry.objects.all(), user, "ledger entry", seq=seq)


@prove.command("text")
@click.argument("seq", type=click.IntRange(min=1))
@click.argument("key")
@click.option("--purpose", required=True, help="Why the text is given out (recorded in the ledger first).")
@click.option(
    "--as", "username", required=True, help="The user giving it out: one who reads clinical text, or an auditor."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@with_django
def prove_text(seq: int, key: str, purpose: str, username: str, out: Path | None) -> None:
    """One committed text of entry SEQ (KEY: where it is in the payload, such as note) with its salt, as JSON.

    Whoever holds the file can show the text is what the entry recorded: corridor_verify.py text checks the
    commitment, the entry's hash and, when a checkpoint covers the entry, its inclusion proof. The reading is
    recorded first (text.proved). See docs/evidence.md.
    """
    from django.contrib.auth.models import User

    from corridor.ledger import withheld

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UserError(f"no active user named {username!r}")
    _emit(withheld.prove_text(seq, key, by=user, purpose=purpose), out)


@prove.command("consistency")
@click.argument("old")
@click.argument("new")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@with_django
def prove_consistency(old: str, new: str, out: Path | None) -> None:
    """Proof that checkpoint OLD's entries are the start of checkpoint NEW's, unchanged (corridor-consistency/1).

    OLD and NEW are checkpoint files, or tree sizes of checkpoints recorded in the ledger.
    """
    from corridor.ledger import evidence

    _emit(evidence.prove_consistency(evidence.resolve_checkpoint(old), evidence.resolve_checkpoint(new)), out)


@click.command()
@click.argument("seq", type=click.IntRange(min=1))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    required=True,
    type=click.Choice([str(s) for s in Source if s != Source.SYSTEM]),
    help="Where the files come from.",
)
@click.option(
    "--certainty",
    required=True,
    type=click.Choice(Certainty.values),
    help="How sure the record is.",
)
@with_django
def attach(seq: int, files: tuple[Path, ...], source: str, certainty: str) -> None:
    """Attach FILES to ledger entry SEQ as evidence, each as an attachment.added entry.

    Each file is read once as a stream, its type detected from its content, sealed into the attachment
    store under its SHA-256; its name is not recorded. A file already attached to SEQ is not added twice.
    A C2PA manifest in a file, and the hashes and OpenPGP signatures of a ProofMode proof bundle (a zip),
    are verified and the result recorded: valid, invalid or unchecked (with the reason), or none.
    """
    from corridor.ledger import attachments

    for path in files:
        entry = attachments.attach(path, entry=seq, by=None, source=source, certainty=certainty)
        payload = entry.payload
        click.echo(
            f"entry {entry.seq}: {payload['media_type']}, {payload['bytes']} bytes, sha256 {payload['sha256']}, "
            f"C2PA {payload['c2pa']}, ProofMode {payload['proofmode']}"
            + (
                f" ({payload['proofmode_detail']['reason']})"
                if payload["proofmode"] in ("invalid", "unchecked")
                else ""
            )
        )


@click.command()
@click.option(
    "--deep",
    is_flag=True,
    help="Also check each body's canonical form, the subject index, each checkpoint's Merkle root, "
    "every attached file against its hash and every sealed text against its commitment.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes hashing in parallel (default: one per core for large ledgers).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also hold the chain against this signed checkpoint file (repeatable).",
)
@with_django
def verify(deep: bool, workers: int | None, checkpoint_files: tuple[Path, ...] = ()) -> None:
    """Recompute the whole hash chain and hold it against every signed checkpoint (in the database, in the
    data directory's checkpoints folder, and any given). Exit 0 with the count and head hash, or 1 naming
    the first bad entry."""
    from corridor.ledger.guards import database_problems
    from corridor.ledger.services import verify as verify_ledger

    for path in checkpoint_files:
        if not path.is_file():
            raise UserError(f"cannot read {path}: no such file")
    problems = database_problems()
    if any(problem == "the table ledger_entry is missing" for problem in problems):
        raise UserError("this database holds no ledger yet: run corridor migrate")
    verdict = verify_ledger(deep=deep, workers=workers, checkpoint_files=checkpoint_files)
    if not verdict.ok:
        where = f"entry {verdict.bad_seq}: " if verdict.bad_seq is not None else ""
        click.echo(f"BROKEN: {where}{verdict.problem}", err=True)
    for problem in problems:
        click.echo(f"UNGUARDED: {problem}", err=True)
    texts = None
    if deep:
        from corridor.ledger.attachments import check_store
        from corridor.ledger.sealing import check_texts

        texts = check_texts()
        damaged = [*check_store(), *texts.problems]
        for problem in damaged:
            click.echo(f"BROKEN: {problem}", err=True)
        problems = [*problems, *damaged]
    if not verdict.ok or problems:
        sys.exit(1)
    click.echo(f"ok: {verdict.count} entries, head {verdict.head_hash}")
    if texts is not None:
        click.echo(
            f"sealed texts: {texts.matched} match their commitments; "
            f"{texts.erased} unreadable since their person was erased"
        )


@click.command("ledger")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option(
    "--with-checkpoint",
    is_flag=True,
    help="Also write OUT.evidence.json: the latest signed checkpoint and its key (see docs/evidence.md).",
)
@READ_AS
@with_django
def export_ledger(fmt: str, out: Path | None, with_checkpoint: bool = False, username: str | None = None) -> None:
    """Every ledger entry with its hashes, one JSON object a line, so anyone can re-verify the chain.

    Without --as, every entry whole, free text included (the operator's copy, for re-verifying the chain);
    with --as USER, that account's sites only and its role's withheld text replaced, as the API gives it.
    """
    from corridor.accounts.roles import Can, require
    from corridor.ledger.exports import checkpoint_for_export, write_evidence_sidecar, write_jsonl

    user = reader(username)
    if user is not None:
        require(user, Can.READ_LEDGER)
    if with_checkpoint and out is None:
        raise UserError("--with-checkpoint writes a second file beside the export: give --out")
    sidecar = checkpoint_for_export() if with_checkpoint else None
    if out is None:
        write_jsonl(sys.stdout, reader=user)
        return
    with atomic_open(out) as handle:  # never leave a truncated export under the real name
        count = write_jsonl(handle, reader=user)
    click.echo(f"wrote {count} entries to {out}", err=True)
    if sidecar is not None:
        click.echo(f"wrote the latest checkpoint to {write_evidence_sidecar(out, sidecar)}", err=True)
