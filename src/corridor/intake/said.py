"""A field submission's problems in the reader's language: on the intake page, in the API, in the CLI.

A :class:`~corridor.intake.parse.Problem` carries a code, an English template with named values and where
it is (a phrase such as "row 12"); each is said here through the same catalogues as the services'
refusals (:mod:`corridor.refusals`). A refused submission kept before problems had codes holds English
lines: they are shown as they are, never dropped.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as _

from corridor import refusals
from corridor.errors import Phrase
from corridor.intake.parse import Problem

# How a problem's place, field and sentence are joined: Persian and Arabic join with their own comma. (A
# colon alone is the same in the three languages, so it needs no translation.)
WHERE_FIELD = _("%(where)s, %(field)s: %(message)s")
WHERE = _("%(where)s: %(message)s")


def problem(item: Any) -> Problem | None:
    """The problem ``item`` holds (a Problem, or one kept as JSON); None for an English line kept as it was."""
    return item if isinstance(item, Problem) else Problem.from_json(item)


def message(found: Problem) -> str:
    """The problem's sentence in the active language, without its place or field."""
    return refusals.said(found.template, found.values, found.message)


def place(where: Phrase | str) -> str:
    return refusals.phrase(where) if isinstance(where, Phrase) else str(where)


def text(item: Any) -> str:
    """A place, a problem or a kept problem, in the active language (an old English line as it is)."""
    if isinstance(item, Phrase):
        return refusals.phrase(item)
    found = problem(item)
    if found is None:
        return str(item)
    said = message(found)
    where = place(found.where)
    if where and found.field:
        return refusals.said(WHERE_FIELD, {"where": where, "field": found.field, "message": said}, str(found))
    if where:
        return f"{where}: {said}"
    if found.field:
        return f"{found.field}: {said}"
    return said


def as_phrase(found: Problem) -> Phrase:
    """The problem with its place and field as one phrase (a failed pull job keeps its problems so): said
    in the reader's language where it is read, its English the line :func:`text` gives in English."""
    sentence = Phrase.of(found.template, **found.values)
    if found.where and found.field:
        # Built as the dataclass: "message" is also the name of Phrase.of's template argument.
        return Phrase(WHERE_FIELD, (("where", found.where), ("field", found.field), ("message", sentence)))
    if found.where or found.field:
        return Phrase(WHERE, (("where", found.where or found.field), ("message", sentence)))
    return sentence


def html(item: Any, beside: Phrase | str | None = None) -> SafeString:
    """:func:`text` for a page: the field's name (a machine name, as the form's column is) set as code, each
    value isolated from the sentence's direction (a code such as P-305 never broken across lines), and the
    place left out when it is ``beside``'s, the submission the problem is listed under."""
    found = problem(item)
    if found is None:
        return format_html("{}", text(item))
    if beside is not None and found.where == beside:
        found = found.here()
    said = _filled(found.template, found.values) or conditional_escape(message(found))
    where = place_html(found.where)
    field = format_html("<code>{}</code>", found.field) if found.field else ""
    if where and field:
        return _filled(WHERE_FIELD, {"where": where, "field": field, "message": said}, worded=False) or format_html(
            "{}, {}: {}", where, field, said
        )
    if where or field:
        return format_html("{}: {}", where or field, said)
    return mark_safe(said)


def place_html(where: Phrase | str) -> SafeString:
    """Where a problem is, for a page: a sheet's, table's or repeat group's name (as the export named it) set
    as code."""
    if isinstance(where, Phrase):
        return _filled(where.template, where.values) or conditional_escape(place(where))
    return conditional_escape(where)


# Values that are names the export gave (a sheet, a CSV file, a repeat group): shown as written, as code.
_NAMES = {"sheet", "table", "group"}


def _filled(message: str, values: dict[str, Any], worded: bool = True) -> SafeString | None:
    """``message`` translated and escaped, each value set in (as the language writes it, isolated); None
    when the translation lost a value."""
    sentence = conditional_escape(gettext(message))
    if not values:
        return sentence
    words = refusals.worded(values) if worded else values
    try:
        return mark_safe(sentence % {k: _isolated(k, v) if worded else v for k, v in words.items()})
    except (KeyError, ValueError, TypeError):
        return None


def _isolated(key: str, value: str) -> SafeString:
    if key in _NAMES:
        return format_html("<code>{}</code>", value)
    # A code typed in the form (P-305, CAMP-1, 2014-10-12) stays whole on its line.
    if value and not any(c.isspace() for c in value) and len(value) <= 40:
        return format_html('<bdi class="code">{}</bdi>', value)
    return format_html("<bdi>{}</bdi>", value)


def as_json(item: Any) -> dict[str, Any]:
    """A problem for an API client: its code, its sentence in the request's language, its place and field."""
    found = problem(item)
    if found is None:  # kept before problems had codes
        return {"code": "intake.refused", "message": str(item), "where": "", "field": None, "values": {}}
    return {
        "code": found.code,
        "message": message(found),
        "where": place(found.where),
        "field": found.field,
        "values": found.as_json()["values"],
    }


# --- the import report on the page -----------------------------------------------------------------

# What became of each submission (corridor.intake.services.SubmissionReport.status), in words.
STATUS = {
    "imported": _("imported"),
    "ready": _("ready"),
    "duplicate": _("already imported"),
    "excluded": _("excluded"),
    "rejected": _("rejected"),
}
COUNTS = (
    ("imported", _("%(count)s imported")),
    ("ready", _("%(count)s would be imported")),
    ("held", _("%(count)s held back")),
    ("duplicate", _("%(count)s already imported")),
    ("excluded", _("%(count)s excluded")),
    ("rejected", _("%(count)s rejected")),
)
NOTHING_WRITTEN = _(
    "%(counts)s: nothing was written; correct or remove the rejected submissions and import the file again"
)
CHECKED_ONLY = _("%(counts)s: checked only, nothing was written")
HEADING = _("export from %(platform)s, %(file)s: %(count)s submissions")


def status(code: str) -> str:
    """A submission's result in the reader's language (its code when it has no word)."""
    return gettext(STATUS[code]) if code in STATUS else code


def heading(report: Any) -> str:
    """Which export the report is about, in the reader's language."""
    from corridor.intake.services import PLATFORMS

    values = {
        "platform": PLATFORMS.get(report.platform, report.platform),
        "file": report.filename,
        "count": len(report.submissions),
    }
    return refusals.said(HEADING, values, report.heading())


def summary(report: Any) -> str:
    """The report's totals in the reader's language, as :meth:`ImportReport.summary` says them in English."""
    from corridor.web import l10n

    counted = {status: report.count(status) for status in STATUS}
    counted["held"] = counted["ready"] if not report.dry_run else 0
    if not report.dry_run:
        counted["ready"] = 0
    shown = ("imported", "duplicate", "excluded", "rejected")  # said even when none; the others only when some
    parts = [
        refusals.said(message, {"count": counted[key]}, message)
        for key, message in COUNTS
        if key in shown or counted[key]
    ]
    comma = "، " if l10n.base(get_language()) in ("fa", "ar") else ", "
    counts = comma.join(parts)
    if report.rejected:
        return refusals.said(NOTHING_WRITTEN, {"counts": counts}, report.summary())
    if report.dry_run:
        return refusals.said(CHECKED_ONLY, {"counts": counts}, report.summary())
    return counts


# --- the import report in the CLI, when a language is asked for ----------------------------------------

NO_INSTANCE_ID = _("(no instance ID)")
NOT_IMPORTED = _("%(note)s; not imported")
REJECTED_OF = _("%(count)s of %(total)s submissions rejected; nothing was written")
NONE_WAITING = _("no refused submission waits for a correction")
NOTHING_FROM = _("nothing was written from %(sources)s")
WAYS = {"push": _("pushed by the server"), "pull": _("pulled from the server")}


def line(submission: Any, dry_run: bool = False) -> str:
    """One submission's line of the CLI's report in the reader's language, as
    :meth:`SubmissionReport.line` says it in English: its result, where it is, its ID, then what became of it."""
    from corridor.intake.services import _span
    from corridor.web import l10n

    ident = f"uuid:{submission.instance_id}" if submission.instance_id else gettext(NO_INSTANCE_ID)
    head = f"{status(submission.status):<9}  {text(submission.where)}  {ident}"
    if submission.status == "imported":
        return f"{head}  {gettext('ledger entries')} {l10n.digits(_span(submission.seqs), get_language())}"
    if submission.status == "ready":
        if dry_run:
            return f"{head}  {gettext('would be imported')}"
        return f"{head}  {gettext('not imported: another submission was rejected')}"
    if submission.status == "duplicate":
        return f"{head}  {text(submission.note)}"
    if submission.status == "excluded":
        note = text(submission.note)
        return f"{head}  {refusals.said(NOT_IMPORTED, {'note': note}, f'{note}; not imported')}"
    semicolon = "؛ " if l10n.base(get_language()) in ("fa", "ar") else "; "
    return f"{head}  " + semicolon.join(
        text(p) if p.where != submission.where else text(p.here()) for p in submission.problems
    )


def rejected_of(report: Any) -> str:
    """Why the CLI exits with an error after a rejected submission, in the reader's language."""
    count, total = len(report.rejected), len(report.submissions)
    english = f"{count} of {total} submission{'s' if total != 1 else ''} rejected; nothing was written"
    return refusals.said(REJECTED_OF, {"count": count, "total": total}, english)


def way(code: str) -> str:
    """How a refused submission came (pushed or pulled), in the reader's language."""
    return gettext(WAYS[code]) if code in WAYS else code
