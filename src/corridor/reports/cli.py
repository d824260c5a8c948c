"""``corridor report``, ``dossier``, ``publish`` and ``export``: the reports and the exports from the command line.

``export ledger`` is the ledger's (``corridor.ledger.cli``); the group gathers it with the pseudonymised datasets.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from corridor.cli import READ_AS, UserError, reader, with_django
from corridor.files import write_atomically
from corridor.jobs.cli import job_options, submit_or_wait
from corridor.ledger.cli import export_ledger


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
        try:
            write_atomically(out, content)
        except OSError as exc:
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
@click.option("--site", default="", help="Count one site's records only (its code; default: every site).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@job_options
@READ_AS
@with_django
def monthly(
    month: str,
    fmt: str,
    language: str,
    public: bool,
    out: Path | None,
    site: str = "",
    as_job: bool = False,
    wait: bool = False,
    username: str | None = None,
) -> None:
    """The month's indicators, charts, incidents and methods, recorded in the ledger with the file's SHA-256.

    With --as USER it is made as on the reports page: that account's sites, the public edition unless its
    role may export, and the entries attached as evidence as its role may read them.
    """
    from corridor.reports import services

    if (as_job or wait) and username is not None:
        raise UserError("--as makes the report here, as that account: leave out --job and --wait")
    if as_job or wait:
        params = {"month": month, "format": fmt, "language": language, "public": public, "site": site}
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
        by=reader(username),
        site=site,
        deliver=deliver_to(out, binary=fmt == "pdf"),
    )
    _said_written(f"{produced.filename} ({len(produced.content)} bytes)", out, produced)


def _said_written(what: str, out: Path | None, produced: Any) -> None:
    """Say on standard error what was written and where, the file's SHA-256 and the ledger entry recording it."""
    where = str(out) if out else "standard output"
    click.echo(f"wrote {what} to {where}", err=True)
    click.echo(f"sha256 {produced.sha256}, ledger entry {produced.entry.seq}", err=True)


@report.command("narrative")
@click.option("--month", required=True, help="The month, YYYY-MM (e.g. 2014-10).")
@click.option("--language", type=click.Choice(["en", "fa", "ar"]), default="en", show_default=True)
@click.option("--text", help="The narrative; without it, read from --file or standard input.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A text file.")
@click.option("--author", help="The username of the monitor who wrote it (printed in the report).")
@click.option("--site", default="", help="The site it is about (a code); default: the author's sites.")
@with_django
def narrative(month: str, language: str, text: str | None, path: Path | None, author: str | None, site: str) -> None:
    """Record a monitor's narrative for the month's report (a report.narrative ledger entry)."""
    from django.contrib.auth.models import User

    from corridor.reports import services

    writer = None
    if author:
        writer = User.objects.filter(username=author, is_active=True).first()
        if writer is None:
            raise UserError(f"--author: there is no active account {author!r}")
    if text is None:
        text = path.read_text(encoding="utf-8") if path else sys.stdin.read()
    entry = services.write_narrative(month=month, text=text, language=language, site=site, by=writer)
    click.echo(f"narrative for {month} ({language}) recorded as ledger entry {entry.seq}")


def run_export(dataset: str, fmt: str, month: str | None, audience: str, out: Path | None, *, by: Any = None) -> None:
    """One ``corridor export DATASET`` command: produce, record, write, say what was written."""
    from corridor.reports import services

    produced = services.export(
        dataset=dataset,
        fmt=fmt,
        month=month,
        audience=audience,
        by=by,
        deliver=deliver_to(out, binary=False),
    )
    _said_written(f"{produced.entry.payload.get('rows')} rows of {dataset}", out, produced)


@click.command()
@click.argument("code")
@click.option("--language", type=click.Choice(["en", "fa", "ar"]), default="en", show_default=True)
@click.option("--with-identity", is_flag=True, help="Name the person (recorded as an identity view).")
@click.option("--purpose", default="", help="Why the identity version is needed (required with --with-identity).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@READ_AS
@with_django
def dossier(
    code: str, language: str, with_identity: bool, purpose: str, out: Path | None, username: str | None = None
) -> None:
    """One patient's case as a PDF for a UN Special Procedures communication, with its evidence attached.

    With --as USER it is made as that account makes it on the patient's page (its sites, its role's rights,
    recorded under its name); without, by the operator's system account.
    """
    from corridor.reports import services

    if out is None and sys.stdout.isatty():
        raise UserError("a PDF is a binary file: name it with --out, or redirect standard output")
    produced = services.case_dossier(
        code=code,
        language=language,
        with_identity=with_identity,
        purpose=purpose,
        by=reader(username),
        deliver=deliver_to(out, binary=True),
    )
    _said_written(f"{produced.filename} ({len(produced.content)} bytes)", out, produced)


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write.")
@click.option("--months", default=12, show_default=True, help="How many months up to this one.")
@with_django
def publish(out: Path, months: int) -> None:
    """The public site: aggregate figures, charts, downloads and checkpoints as static HTML, CSS and SVG."""
    from corridor.reports import services

    entry = services.publish_site(out=out, months=months, by=None)
    click.echo(f"wrote {entry.payload['files']} files and manifest.json to {out}")
    click.echo(f"manifest sha256 {entry.payload['manifest_sha256']}, ledger entry {entry.seq}")


@click.group()
def export() -> None:
    """Export records for outsiders."""


# ``export ledger`` is the ledger's own command; the group gathers it with the datasets.
export.add_command(export_ledger)


def _dataset_export(dataset: str, help_text: str, *, month_required: bool = False) -> click.Command:
    """``corridor export DATASET``: pseudonymised CSV, JSON or HXL; see docs/exports.md."""

    @export.command(dataset, help=help_text)
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "hxl"]), default="csv", show_default=True)
    @click.option("--month", required=month_required, help="Only this month, YYYY-MM.")
    @click.option(
        "--audience",
        type=click.Choice(["public", "partners"]),
        default="public",
        show_default=True,
        help="Indicators only: public suppresses counts from 1 to 4; partners does not.",
    )
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
    @READ_AS
    @with_django
    def command(fmt: str, month: str | None, audience: str, out: Path | None, username: str | None = None) -> None:
        run_export(dataset, fmt, month, audience, out, by=reader(username))

    return command


export_referrals = _dataset_export("referrals", "Referrals, pseudonymised: codes, age groups, no identity field.")
export_trips = _dataset_export("trips", "Trips with the gate timeline and the WHO's request outcome.")
export_incidents = _dataset_export("incidents", "Obstruction incidents in the WHO SSA's public columns.")
export_indicators = _dataset_export("indicators", "Every indicator and breakdown of a month.", month_required=True)
