"""``corridor report``: the monthly report from the command line (exports live under ``corridor export``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from corridor.cli import UserError
from corridor.commands import with_django
from corridor.jobs.cli import job_options, submit_or_wait


def deliver_to(out: Path | None, *, binary: bool) -> Callable[[bytes], None]:
    """Write to ``out`` through a ``.partial`` file renamed at the end, or to standard output.

    Called inside the transaction that records the file in the ledger: if writing fails, the
    ledger entry is rolled back too.
    """

    def deliver(content: bytes) -> None:
        if out is None:
            if binary and sys.stdout.isatty():
                raise UserError("this is a binary file: name it with --out, or redirect standard output")
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return
        partial = out.with_name(out.name + ".partial")
        try:
            partial.write_bytes(content)
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise UserError(f"cannot write {out}: {exc.strerror}") from None

    return deliver


@click.group()
def report() -> None:
    """Reports for agencies and the public. See docs/indicators.md."""


@report.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (e.g. 2014-10).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True)
@click.option("--language", type=click.Choice(["en", "fa", "ar"]), default="en", show_default=True)
@click.option("--public", is_flag=True, help="Blank counts from 1 to 4 and whatever would reveal them.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@job_options
@with_django
def monthly(
    month: str, fmt: str, language: str, public: bool, out: Path | None, as_job: bool = False, wait: bool = False
) -> None:
    """The month's indicators, charts, incidents and methods, recorded in the ledger with the file's SHA-256."""
    from corridor.reports import services

    if as_job or wait:
        params = {"month": month, "format": fmt, "language": language, "public": public}
        job = submit_or_wait("report", params, wait=wait)
        if wait and job.content is not None:
            deliver_to(out, binary=fmt == "pdf")(bytes(job.content))
        return

    if out is None and fmt == "pdf" and sys.stdout.isatty():
        raise UserError("a PDF is a binary file: name it with --out, or redirect standard output")
    produced = services.monthly_report(
        month=month,
        language=language,
        fmt=fmt,
        public=public,
        by=None,
        deliver=deliver_to(out, binary=fmt == "pdf"),
    )
    where = str(out) if out else "standard output"
    click.echo(f"wrote {produced.filename} ({len(produced.content)} bytes) to {where}", err=True)
    click.echo(f"sha256 {produced.sha256}, ledger entry {produced.entry.seq}", err=True)


def run_export(dataset: str, fmt: str, month: str | None, audience: str, out: Path | None) -> None:
    """One ``corridor export DATASET`` command: produce, record, write, say what was written."""
    from corridor.reports import services

    produced = services.export(
        dataset=dataset,
        fmt=fmt,
        month=month,
        audience=audience,
        by=None,
        deliver=deliver_to(out, binary=False),
    )
    rows = produced.entry.payload.get("rows")
    where = str(out) if out else "standard output"
    click.echo(f"wrote {rows} rows of {dataset} to {where}", err=True)
    click.echo(f"sha256 {produced.sha256}, ledger entry {produced.entry.seq}", err=True)
