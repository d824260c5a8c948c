"""``corridor import``: field submissions from ODK Central and KoBoToolbox exports, and the forms themselves."""

from __future__ import annotations

from pathlib import Path

import click

from corridor.cli import UserError, with_django

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("import")
def import_() -> None:
    """Import field submissions from ODK Central or KoBoToolbox exports (see docs/intake.md)."""


def _import(platform: str, file: Path, dry_run: bool) -> None:
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
    click.echo(report.heading())
    for line in report.lines():
        click.echo(f"  {line}")
    click.echo(report.summary())
    if report.rejected:
        count = len(report.rejected)
        raise UserError(
            f"{count} of {len(report.submissions)} submission{'s' if len(report.submissions) != 1 else ''} "
            f"rejected; nothing was written"
        )


_DRY_RUN = click.option("--dry-run", is_flag=True, help="Check every submission and write nothing.")


@import_.command("odk")
@click.argument("file", type=_FILE)
@_DRY_RUN
@with_django
def odk(file: Path, dry_run: bool) -> None:
    """Import FILE exported from ODK Central: its ZIP of CSV files, or one CSV table."""
    _import("odk", file, dry_run)


@import_.command("kobo")
@click.argument("file", type=_FILE)
@_DRY_RUN
@with_django
def kobo(file: Path, dry_run: bool) -> None:
    """Import FILE exported from KoBoToolbox: XLSX, JSON from the API, or CSV."""
    _import("kobo", file, dry_run)


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
