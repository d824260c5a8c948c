"""Making a report or an export: check the role, produce the file, record it in the ledger.

Every file that leaves appends an ``export.created`` entry with its SHA-256, in the same transaction
as its delivery: if the file cannot be written, the entry is not committed, and no file is handed
over without its entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can, can, require
from corridor.errors import CoreRefusal, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Site
from corridor.register.scoping import site_ids, visible
from corridor.reports import catalogue, core, exports, monthly, queries, strings

REPORT_FORMATS = ("html", "pdf")
Deliver = Callable[[bytes], None]


@dataclass(frozen=True)
class Produced:
    """A generated file and the ledger entry that records it."""

    content: bytes
    filename: str
    media_type: str
    sha256: str
    entry: Entry


def parse_month(month: str, today: dt.date | None = None) -> core.Period:
    """``YYYY-MM`` as a period up to today; a clear InvalidInput on anything else."""
    try:
        return core.Period.month(month or "", today or clock.today())
    except CoreRefusal as exc:
        raise InvalidInput(exc.template, "month", code=exc.code, **exc.values) from None


def _choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise InvalidInput(
            _("must be one of %(choices)s; got %(value)r"),
            field,
            code=f"report.unknown_{field}",
            choices=", ".join(choices),
            value=value,
        )
    return value


def _record(
    content: bytes,
    *,
    by: Actor,
    filename: str,
    media_type: str,
    payload: dict[str, Any],
    head: tuple[int, str],
    deliver: Deliver | None,
) -> Produced:
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        entry = ledger.append(
            "export.created",
            by=by,
            subjects=[f"export:{payload['dataset']}"],
            payload={
                **payload,
                "filename": filename,
                "sha256": digest,
                "bytes": len(content),
                "ledger_head": {"seq": head[0], "hash": head[1]},
            },
        )
        if deliver is not None:
            deliver(content)  # raising here rolls the entry back: no entry without its file
    return Produced(content, filename, media_type, digest, entry)


def _site_codes(by: Actor) -> list[str] | None:
    """The sites a row-level export was limited to (the exporter's), or None for every site."""
    return _codes(site_ids(by))


def report_sites(by: Actor, site: str = "") -> frozenset[int] | None:
    """The sites a report for ``by`` counts: theirs (``None``, every site, for a script), or the one
    named by ``site`` if it is one of theirs. A site they do not work at is "not there", as everywhere."""
    mine = site_ids(by)
    code = (site or "").strip()
    if not code:
        return mine
    found = visible(Site.objects.filter(code=code), by).values_list("id", flat=True).first()
    if found is None:
        raise NotFound(_("there is no site %(site)s"), code="report.unknown_site", site=code)
    return frozenset({found})


def _codes(sites: frozenset[int] | None) -> list[str] | None:
    """Site codes for a ledger payload (``None``: every site)."""
    if sites is None:
        return None
    return sorted(Site.objects.filter(id__in=sorted(sites)).values_list("code", flat=True))


def monthly_report(
    *,
    month: str,
    language: str = "en",
    fmt: str = "pdf",
    public: bool = False,
    by: Actor,
    deliver: Deliver | None = None,
    css_href: str = "",
    now: dt.datetime | None = None,
    site: str = "",
) -> Produced:
    """The monthly report for ``month`` (YYYY-MM) as HTML or PDF, recorded in the ledger.

    It counts the records of the sites ``by`` works at, or of the one named by ``site`` (a code) among them.

    ``public`` blanks small counts (see docs/indicators.md); ``css_href`` links the stylesheet
    instead of embedding it (for the page shown in the workspace, whose content policy forbids
    inline styles).
    """
    require(by, Can.READ_LEDGER)
    if not public and not can(by, Can.EXPORT):
        # The same audience rule as the API's indicators: unsuppressed small counts need a role that may export.
        raise NotAllowed(
            _("your role may see the public edition only (small counts left blank)"), code="report.public_only"
        )
    period = parse_month(month)
    _choice(language, strings.LANGUAGES, "language")
    _choice(fmt, REPORT_FORMATS, "format")
    head = ledger.head()
    when = now or dt.datetime.now(dt.UTC)
    sites = report_sites(by, site)
    indicators = catalogue.compute_all(period, sites=sites)
    options = monthly.ReportOptions(language, public, inline_css=not css_href, css_href=css_href)
    from corridor.ledger.evidence import evidence_for
    from corridor.ledger.exports import redact_evidence

    # The latest signed checkpoint and the inclusion proof of every entry the report cites (docs/evidence.md).
    narrative = queries.narrative(period, language, sites)
    cited = monthly.cited_entries(indicators) + ([narrative.seq] if narrative else [])
    # The cited entries as the maker may read them: a monitor's edition attaches no gate or outcome note.
    evidence = redact_evidence(evidence_for(sorted(set(cited))), by)
    html = monthly.render_html(indicators, options, head, when, evidence, narrative)
    content = monthly.render_pdf(html, evidence) if fmt == "pdf" else html.encode("utf-8")
    suffix = (f"-{site.strip()}" if site.strip() else "") + ("-public" if public else "")
    return _record(
        content,
        by=by,
        filename=f"corridor-report-{period.label}-{language}{suffix}.{fmt}",
        media_type="application/pdf" if fmt == "pdf" else "text/html; charset=utf-8",
        payload={
            "dataset": "monthly-report",
            "format": fmt,
            "month": period.label,
            "as_of": period.as_of.isoformat(),
            "language": language,
            "audience": "public" if public else "partners",
            "sites": _codes(sites),
            "cited_entries": len(evidence["entries"]),
            "checkpoint_size": _checkpoint_size(evidence),
        },
        head=head,
        deliver=deliver,
    )


NARRATIVE_MAX_CHARS = 6000


def write_narrative(*, month: str, text: str, language: str = "en", site: str = "", by: Actor) -> Entry:
    """A monitor's narrative for ``month``'s report, appended to the ledger so that its text is evidence too.

    It is about the sites ``by`` works at, or the one named by ``site`` among them (its ``site:``
    subjects), and is printed only in reports of those sites.

    The latest narrative of a month (in the report's language, else in any) is the one printed, with
    who wrote it; an earlier one stays in the ledger and can be corrected or retracted like any entry.
    """
    require(by, Can.RECORD_INCIDENTS)
    period = parse_month(month)
    _choice(language, strings.LANGUAGES, "language")
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput(_("write the narrative"), "text", code="narrative.empty")
    if len(body) > NARRATIVE_MAX_CHARS:
        raise InvalidInput(
            _("at most %(limit)s characters; got %(length)s"),
            "text",
            code="narrative.too_long",
            limit=NARRATIVE_MAX_CHARS,
            length=len(body),
        )
    codes = _codes(report_sites(by, site))
    return ledger.append(
        "report.narrative",
        by=by,
        subjects=[f"report:{period.label}", *(f"site:{code}" for code in codes or ())],
        payload={"month": period.label, "language": language, "text": body},
        source="witness",
        certainty="confirmed",
    )


def case_dossier(
    *,
    code: str,
    language: str = "en",
    with_identity: bool = False,
    purpose: str = "",
    by: Actor,
    deliver: Deliver | None = None,
    now: dt.datetime | None = None,
) -> Produced:
    """One patient's case as a PDF, with the inclusion proofs of every entry it cites, recorded in the ledger.

    Pseudonymised unless ``with_identity``: then the role must be allowed to see identities, a
    ``purpose`` is required, and the view is recorded as an ``identity.viewed`` entry with it.
    """
    from corridor.ledger.evidence import evidence_for, sign_checkpoint_covering
    from corridor.ledger.exports import redact_evidence
    from corridor.register import services as register
    from corridor.register.models import Patient
    from corridor.reports import dossier

    require(by, Can.READ_LEDGER)
    _choice(language, strings.LANGUAGES, "language")
    # A patient of a site the user does not work at is "not there", as on every page.
    patient = visible(Patient.objects.select_related("site"), by).filter(code=(code or "").strip()).first()
    if patient is None:
        raise InvalidInput(
            _("there is no patient %(patient)r"), "patient", code="dossier.unknown_patient", patient=code
        )
    identity = None
    if with_identity:
        require(by, Can.SEE_IDENTITIES)
        if not (purpose or "").strip():
            raise InvalidInput(_("say why the identity version is needed"), "purpose", code="dossier.no_purpose")
    head = ledger.head()
    when = now or dt.datetime.now(dt.UTC)
    values, cited = dossier.context(patient, language, clock.today(), head, when)
    # Signed first, outside the transaction below: the witnesses are asked with no lock held.
    sign_checkpoint_covering(cited, by=by)
    with transaction.atomic():
        if with_identity:
            found = register.view_identity(patient, by=by, purpose=f"case dossier: {purpose.strip()}")
            identity = {"full_name": found.full_name, "contact": found.contact} if found else None
            if found is not None and found.erased:  # said in the dossier's language, with nothing else
                identity = {"full_name": strings.tr("dossier.erased", language), "contact": ""}
            values["identity"] = identity
        # The entries attached as evidence are as the maker may read them: a monitor's dossier holds no
        # clinical text, as the monitor's pages hold none.
        evidence = redact_evidence(evidence_for(cited, sign_if_needed=True, by=by), by)
        content = monthly.render_pdf(dossier.render_html(values), evidence)
        return _record(
            content,
            by=by,
            filename=f"corridor-dossier-{patient.code}-{language}{'-identity' if with_identity else ''}.pdf",
            media_type="application/pdf",
            payload={
                "dataset": "dossier",
                "format": "pdf",
                "patient": patient.code,
                "language": language,
                "audience": "identity" if with_identity else "pseudonymised",
                "cited_entries": len(cited),
                "checkpoint_size": _checkpoint_size(evidence),
            },
            head=head,
            deliver=deliver,
        )


def publish_site(*, out: Any, months: int = 12, by: Actor) -> Entry:
    """Write the public site into ``out`` and record its SHA-256 manifest as a ``site.published`` entry.

    The files are written inside the transaction that appends the entry: if writing fails, nothing is
    recorded. Only aggregates leave: suppressed counts, rates and days (see docs/exports.md).
    """
    from pathlib import Path

    from corridor.ledger import evidence
    from corridor.reports import publish

    require(by, Can.EXPORT)
    if not 1 <= months <= 60:
        raise InvalidInput(
            _("from %(least)s to %(most)s months; got %(months)s"),
            "months",
            code="public_site.bad_months",
            least=1,
            most=60,
            months=months,
        )
    head = ledger.head()
    files = publish.build(
        clock.today(),
        months,
        head,
        evidence.latest_checkpoint(),
        evidence.verifier_key().encode(),
        site_ids(by),
        evidence.checkpoint_notes(),
    )
    listing = publish.manifest(files)
    files["manifest.json"] = listing
    with transaction.atomic():
        entry = ledger.append(
            "site.published",
            by=by,
            subjects=["export:public-site"],
            payload={
                "files": len(files) - 1,
                "manifest_sha256": hashlib.sha256(listing).hexdigest(),
                "months": months,
                "sites": _site_codes(by),
                "ledger_head": {"seq": head[0], "hash": head[1]},
            },
        )
        try:
            publish.write(Path(out), files)
        except OSError as exc:
            raise InvalidInput(
                _("cannot write the site: %(detail)s"), "out", code="public_site.not_written", detail=exc.strerror
            ) from None
    return entry


def _checkpoint_size(evidence: dict[str, Any]) -> int | None:
    note = evidence.get("checkpoint")
    if not note:
        return None
    from corridor.ledger import checkpoints

    return checkpoints.parse(note)[0].size


def export(
    *,
    dataset: str,
    fmt: str = "csv",
    month: str | None = None,
    audience: str = "public",
    by: Actor,
    deliver: Deliver | None = None,
) -> Produced:
    """A pseudonymised export of ``dataset`` (referrals, trips, incidents, indicators), recorded in the ledger.

    ``month`` limits referrals, trips and incidents to one month and is required for indicators.
    ``audience`` matters for indicators only: ``public`` (the default) suppresses small cells,
    ``partners`` does not. No export ever contains an identity field.
    """
    require(by, Can.EXPORT)
    _choice(dataset, exports.DATASETS, "dataset")
    _choice(fmt, exports.FORMATS, "format")
    _choice(audience, exports.AUDIENCES, "audience")
    today = clock.today()
    period = parse_month(month, today) if month else None
    head = ledger.head()
    if dataset == "indicators":
        if period is None:
            raise InvalidInput(_("name the month of the indicators, YYYY-MM"), "month", code="export.no_month")
        table = exports.indicators(period, audience, catalogue.compute_all(period, sites=site_ids(by)))
    else:
        table = exports.BUILDERS[dataset](period, today, sites=site_ids(by))
    content = exports.write(table, fmt, head)
    span = f"-{period.label}" if period else ""
    extension = {"csv": "csv", "hxl": "hxl.csv", "json": "json"}[fmt]
    tag = f"-{audience}" if dataset == "indicators" else ""
    return _record(
        content,
        by=by,
        filename=f"corridor-{dataset}{span}{tag}.{extension}",
        media_type=exports.MEDIA_TYPES[fmt],
        payload={
            "dataset": dataset,
            "format": fmt,
            "month": period.label if period else None,
            "as_of": table.meta.get("as_of"),
            "audience": audience if dataset == "indicators" else "partners",
            "rows": len(table.rows),
            "sites": _site_codes(by) if dataset in ("referrals", "trips") else None,
        },
        head=head,
        deliver=deliver,
    )
