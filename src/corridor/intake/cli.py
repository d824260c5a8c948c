"""``corridor import``: field submissions from ODK Central and KoBoToolbox exports, and the forms themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from corridor.cli import UserError, with_django

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_LANGUAGE = click.option(
    "--language",
    type=click.Choice(["en", "fa", "ar"]),
    default="en",
    show_default=True,
    help="The language the report is said in: its heading, results, places, problems and totals.",
)


def _report(report: Any, language: str) -> None:
    """The import report: its heading, one line per submission and its totals, in English (as the logs
    keep them) or in ``language``; then, if a submission was rejected, the error the command exits with."""
    from django.utils import translation

    from corridor.intake import said

    if language == "en":
        click.echo(report.heading())
        for line in report.lines():
            click.echo(f"  {line}")
        click.echo(report.summary())
        return
    with translation.override(language):
        click.echo(said.heading(report))
        for submission in report.submissions:
            click.echo(f"  {said.line(submission, report.dry_run)}")
        click.echo(said.summary(report))


def _rejected(report: Any, language: str) -> UserError:
    from django.utils import translation

    from corridor.intake import said

    with translation.override(language):
        return UserError(said.rejected_of(report))


@contextmanager
def _saying(language: str) -> Iterator[Callable[[Any], str]]:
    """How places and problems are said: English (as the logs keep them), or in ``language``."""
    from django.utils import translation

    from corridor.intake import said

    if language == "en":
        yield str
        return
    with translation.override(language):
        yield said.text


@click.group("import")
def import_() -> None:
    """Import field submissions from ODK Central or KoBoToolbox exports (see docs/intake.md).

    Operator only, recorded by the system account; the summary says what was imported, never what a
    submission said.
    """


def _import(platform: str, file: Path, dry_run: bool, language: str = "en") -> None:
    from corridor.cli import migrate_database
    from corridor.intake.readers import MAX_BYTES
    from corridor.intake.services import import_export

    try:
        if file.stat().st_size > MAX_BYTES:
            raise UserError(f"{file} is larger than {MAX_BYTES // (1024 * 1024)} MB; export fewer submissions at once")
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {file}: {exc.strerror}") from None
    migrate_database()
    report = import_export(data, platform=platform, filename=file.name, by=None, dry_run=dry_run)
    _report(report, language)
    if report.rejected:
        raise _rejected(report, language)


_DRY_RUN = click.option("--dry-run", is_flag=True, help="Check every submission and write nothing.")


@import_.command("odk")
@click.argument("file", type=_FILE)
@_DRY_RUN
@_LANGUAGE
@with_django
def odk(file: Path, dry_run: bool, language: str) -> None:
    """Import FILE exported from ODK Central: its ZIP of CSV files, or one CSV table."""
    _import("odk", file, dry_run, language)


@import_.command("kobo")
@click.argument("file", type=_FILE)
@_DRY_RUN
@_LANGUAGE
@with_django
def kobo(file: Path, dry_run: bool, language: str) -> None:
    """Import FILE exported from KoBoToolbox: XLSX, JSON from the API, or CSV."""
    _import("kobo", file, dry_run, language)


@import_.command("forms")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the XLSForms to (created if missing).",
)
def forms(out: Path) -> None:
    """Write Corridor's XLSForms, ready to upload to KoBoToolbox or ODK Central."""
    from corridor.intake.forms import FORMS
    from corridor.intake.xlsform import filename, shipped

    try:
        out.mkdir(parents=True, exist_ok=True)
        for form in FORMS.values():
            path = out / filename(form)
            path.write_bytes(shipped(form))
            click.echo(f"wrote {path}  ({form.title[0]})")
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from None


@click.group("intake")
def intake() -> None:
    """Pull field submissions from the configured KoBoToolbox and ODK Central servers (see docs/intake.md).

    Operator only, like import: recorded by the system account, the summary says no submission's text.
    """


@intake.command("sources")
@with_django
def sources() -> None:
    """List the configured intake sources: name, kind, server, form, and whether pulled or pushing."""
    from corridor.intake import servers

    configured = servers.configured()
    if not configured:
        click.echo("no intake sources configured (CORRIDOR_INTAKE_SOURCES, see docs/intake.md)")
    for source in configured:
        click.echo(source.describe())


@intake.command("refused")
@_LANGUAGE
@with_django
def refused(language: str) -> None:
    """List the submissions servers sent that could not be recorded and still wait for a correction.

    One line per problem, with its code: source, submission, where, field and why.
    """
    from corridor.cli import migrate_database
    from corridor.errors import Phrase
    from corridor.intake import said, servers

    migrate_database()
    waiting = servers.open_refusals(limit=500)
    with _saying(language) as say:
        if not waiting:
            click.echo(say(Phrase.of(said.NONE_WAITING)))
        for refusal in waiting:
            way = refusal.way if language == "en" else said.way(refusal.way)
            click.echo(f"{refusal.source} ({way})  uuid:{refusal.instance_id or '-'}  {refusal.form or '-'}")
            for item in refusal.problems:
                found = said.problem(item)
                click.echo(f"  {found.code if found else 'intake.refused'}  {say(found or item)}")


@intake.command("pull")
@click.argument("source", required=False)
@_LANGUAGE
@with_django
def pull(source: str | None, language: str) -> None:
    """Pull every submission of SOURCE (or of every source with a token) and record what is new.

    Each source is one import: if any submission is refused, nothing of that source is written and the
    refusals are listed (and kept for the intake page); the command then exits with code 2.
    """
    from django.utils import translation

    from corridor import refusals
    from corridor.cli import migrate_database
    from corridor.errors import CorridorError, Phrase
    from corridor.intake import said, servers

    migrate_database()
    try:
        chosen = [servers.source(source)] if source else [s for s in servers.configured() if s.pulled]
    except CorridorError as exc:
        raise UserError(str(exc)) from None
    if not chosen:
        raise UserError("no intake source has a token to pull with (CORRIDOR_INTAKE_SOURCES, see docs/intake.md)")
    failed = []
    for item in chosen:
        try:
            report = servers.pull(item, by=None)
        except CorridorError as exc:
            if language == "en":
                click.echo(str(exc), err=True)
            else:
                with translation.override(language):
                    click.echo(refusals.in_language(exc), err=True)
            failed.append(item.name)
            continue
        _report(report, language)
        if report.rejected:
            failed.append(item.name)
    if failed:
        with _saying(language) as say:
            raise UserError(say(Phrase.of(said.NOTHING_FROM, sources=", ".join(failed))))
