"""Automatic intake: pull each configured server's submissions, and take KoBoToolbox's pushes.

Both go through :func:`corridor.intake.services.apply_export`, exactly as a file does: every submission
checked, then all recorded in one transaction or none; a submission recorded before (by a file, a pull or
a push) is a duplicate and writes nothing; an edited one is refused with the entries to correct.

- :func:`pull` reads every page first (:mod:`corridor.intake.remote`), outside any transaction; a
  network error, a refused token, a server error or a malformed page raises PullFailed before anything
  is applied. A refused submission is kept as a :class:`~corridor.intake.models.Refusal` and the pull
  writes nothing else, so the job fails saying why and the next run tries again.
- :func:`receive_push` applies the one submission a REST Service posts. It returns once the submission
  is recorded, or kept as refused; the endpoint answers 2xx only then, and an error on the way (the
  database unreachable) is a 5xx that KoBoToolbox retries.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from corridor import jsonlimits
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import InvalidInput, NotAllowed, NotFound, Phrase
from corridor.intake import remote, sealing
from corridor.intake.models import Refusal
from corridor.intake.parse import Problem, canonical_id
from corridor.intake.readers import Export, jsonable, kobo_submissions
from corridor.intake.services import ImportReport, apply_export
from corridor.intake.sources import Source

MAX_PUSH_BYTES = 2 * 1024 * 1024  # one submission of Corridor's forms is a few kilobytes
MAX_KEPT_BODY = 4000  # of a push that is not a submission at all, enough to recognise it


def configured() -> list[Source]:
    return list(getattr(settings, "INTAKE_SOURCES", []))


def source(name: str) -> Source:
    """The configured source called ``name``; NotFound lists the ones there are."""
    for candidate in configured():
        if candidate.name == name:
            return candidate
    known = ", ".join(s.name for s in configured())
    if not known:
        raise NotFound(
            _("no intake source %(source)r; configured: none (see CORRIDOR_INTAKE_SOURCES in docs/intake.md)"),
            code="intake.unknown_source",
            source=name,
        )
    raise NotFound(
        _("no intake source %(source)r; configured: %(known)s"), code="intake.unknown_source", source=name, known=known
    )


# ------------------------------------------------------------------------------------------------ pull


def pull(
    chosen: Source,
    *,
    by: Actor = None,
    progress: Callable[..., None] | None = None,
    then: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Fetch every submission of ``chosen``'s form and apply them as one import.

    Raises PullFailed (nothing applied) when the server cannot be read in full, InvalidInput when what
    it holds is not Corridor's form at all. Otherwise returns the report: when it lists a rejected
    submission, nothing was written and each refusal is kept for coordinators to see.
    """
    require(by, Can.RECORD_GATE)  # before the server is asked anything
    if progress:
        progress(0.1, _("reading %(source)s"), source=chosen.label)
    pulled = remote.fetch(chosen)
    export = pulled.export()
    name = chosen.name
    if progress:
        progress(0.5, _("checking %(count)s submissions"), count=len(export.submissions))
    if not export.submissions:
        report = ImportReport(chosen.kind, name, export.description, dry_run=False)
        if then is not None:
            with transaction.atomic():
                then(report)
        return report
    report = apply_export(export, platform=chosen.kind, name=name, by=by, source=chosen.name, then=then)
    if report.rejected:
        _keep_refusals(chosen, "pull", report, export)
    return report


PULL_REFUSED = _(
    "%(source)s: %(count)s rejected; nothing was written. Correct or reject them on the server, "
    "and the next pull records them"
)
PULLED = _("%(source)s: %(imported)s imported, %(duplicate)s already imported, %(excluded)s excluded, 0 rejected")


class PullRefused(InvalidInput):
    """A pull that wrote nothing because a submission was refused: a refusal with a code and values, and
    each problem of each refused submission as a phrase (``lines``), so the job's error is said in the
    reader's language; ``str()`` is the English, one problem a line, for the API, the CLI and the logs."""

    def __init__(self, chosen: Source, report: ImportReport) -> None:
        from corridor.intake import said

        super().__init__(PULL_REFUSED, code="intake.pull_refused", source=chosen.name, count=len(report.rejected))
        self.lines = [said.as_phrase(problem) for rejected in report.rejected for problem in rejected.problems]

    def __str__(self) -> str:
        return "\n".join([self.sentence, *(str(line) for line in self.lines)])


# ------------------------------------------------------------------------------------------------ push


# Where a push's problem is when the body was not a submission at all.
THE_BODY = Phrase.of(_("the body of the push"))


@dataclass
class PushOutcome:
    """What became of a pushed submission: ``imported``, ``duplicate``, ``excluded`` or ``refused``."""

    status: str
    instance_id: str = ""
    seqs: tuple[int, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The answer to the push: each problem with its code, in the request's language (the view's)."""
        from corridor.intake import said

        return {
            "status": self.status,
            "id": self.instance_id,
            "ledger": list(self.seqs),
            "problems": [said.as_json(p) for p in self.problems],
        }


def pushing_source(name: str, secret: str | None) -> Source:
    """The source a push names, if the secret it carries is that source's. NotFound, or NotAllowed."""
    try:
        chosen = source(name)
    except NotFound:
        # A caller without the secret learns no names.
        raise NotFound(_("no such intake source"), code="intake.no_such_source") from None
    if not chosen.pushed:
        raise NotFound(_("no such intake source"), code="intake.no_such_source")
    assert chosen.push_secret is not None
    if not secret or not hmac.compare_digest(secret.encode("utf-8"), chosen.push_secret.encode("utf-8")):
        raise NotAllowed(_("the push secret is missing or wrong"), code="intake.wrong_secret")
    return chosen


def receive_push(chosen: Source, body: bytes) -> PushOutcome:
    """Apply one submission KoBoToolbox's REST Service posted for ``chosen`` (JSON), or keep it as refused."""
    if len(body) > MAX_PUSH_BYTES:
        return _refuse_body(
            chosen,
            body,
            _("the body is larger than %(mb)s MB"),
            "intake.push_too_large",
            {"mb": MAX_PUSH_BYTES // (1024 * 1024)},
        )
    try:
        document = jsonlimits.loads(body)
    except ValueError as exc:  # not UTF-8, not JSON, or nested past the limit
        return _refuse_body(
            chosen,
            body,
            _("the body is not JSON (%(detail)s): choose JSON in the REST Service"),
            "intake.push_not_json",
            {"detail": str(exc)[:100]},  # the parser's own words, as they came
        )
    if not isinstance(document, dict):
        return _refuse_body(
            chosen,
            body,
            _("the body is not one submission (a JSON object)"),
            "intake.push_not_one",
        )
    try:
        export = Export("push", "KoBoToolbox REST Service", kobo_submissions([document]), "kobo")
        report = apply_export(export, platform="kobo", name=f"{chosen.name} (push)", by=None, source=chosen.name)
    except InvalidInput as exc:
        return _refuse_document(chosen, document, [Problem.refused(THE_BODY, exc.field, exc)])
    [entry] = report.submissions
    if entry.status == "rejected":
        _keep_refusals(chosen, "push", report, export)
        return PushOutcome("refused", entry.instance_id, problems=list(entry.problems))
    return PushOutcome(entry.status, entry.instance_id, entry.seqs)


# -------------------------------------------------------------------------------------------- refusals


def _keep_refusals(chosen: Source, way: str, report: ImportReport, export: Export) -> None:
    """Keep each rejected submission of ``report`` (one row per submission, counted each time it comes)."""
    raw = {sub.where: sub.raw() for sub in export.submissions}
    with transaction.atomic():
        for entry in report.rejected:
            _remember(chosen, way, entry.instance_id, entry.form, entry.problems, raw.get(entry.where))


def _refuse_document(chosen: Source, document: dict[str, Any], problems: list[Problem]) -> PushOutcome:
    ident = ""
    for key in ("meta/instanceID", "_uuid"):
        if isinstance(document.get(key), str):
            ident = canonical_id(document[key])[:100]
            break
    data = {str(k): jsonable(v) for k, v in document.items()}
    with transaction.atomic():
        _remember(chosen, "push", ident, "", problems, data)
    return PushOutcome("refused", ident, problems=problems)


def _refuse_body(
    chosen: Source, body: bytes, template: str, code: str, values: dict[str, Any] | None = None
) -> PushOutcome:
    """Keep a push whose body is not one submission as refused (its start kept to show), the problem about the body."""
    problem = Problem(THE_BODY, None, template, code, values or {})
    text = body[:MAX_KEPT_BODY].decode("utf-8", "replace").replace("\x00", "\ufffd")
    with transaction.atomic():
        _remember(chosen, "push", "", "", [problem], {"body": text})
    return PushOutcome("refused", problems=[problem])


def _remember(
    chosen: Source, way: str, instance_id: str, form: str, found: list[Problem], data: dict[str, Any] | None
) -> None:
    # Each problem with its code, template and values, said in the reader's language where it is shown
    # (corridor.intake.said); rows kept before problems had codes hold English lines, shown as they are.
    problems = [problem.as_json() for problem in found]
    now = timezone.now()
    row = (
        Refusal.objects.select_for_update()
        .filter(source=chosen.name, instance_id=instance_id, settled_at__isnull=True)
        .first()
        if instance_id
        else None
    )
    if row is None:
        row = Refusal.objects.create(
            source=chosen.name,
            way=way,
            instance_id=instance_id,
            form=form,
            problems=problems,
            first_seen_at=now,
            last_seen_at=now,
            times=0,
        )
    row.way, row.form, row.problems = way, form or row.form, problems
    # Sealed, bound to this row: under the data key of a patient its answers name, else the install's key.
    row.owner, row.data = (
        ("", "") if data is None else sealing.seal(data, sealing.RECEIVED, row.pk, sealing.patient_named(data))
    )
    row.last_seen_at, row.times = now, row.times + 1
    row.save()


def last_pulls() -> dict[str, Any]:
    """Each pulled source's latest pull job (scheduled or asked for), by source name: how it went, and when."""
    from corridor.jobs.models import Job

    latest: dict[str, Any] = {}
    for chosen in configured():
        if chosen.pulled:
            latest[chosen.name] = (
                Job.objects.filter(kind="intake-pull", params__source=chosen.name).order_by("-id").first()
            )
    return latest


def open_refusals(limit: int = 50) -> list[Refusal]:
    """The refused submissions still waiting for a correction, latest first."""
    return list(Refusal.objects.filter(settled_at__isnull=True)[:limit])


def show_received(refusal_id: int, *, by: Actor, purpose: str) -> Any:
    """A refused submission as it was received, for a role that may see identities, recorded first.

    What a server sent holds what was typed at the gate (names, notes), so it is shown only as an identity
    is: to a role with ``see_identities``, with a purpose, each showing an ``identity.viewed`` entry naming
    the refusal (and the patient it names, if any). Answers None when nothing was received, or the erased
    marker once the patient it named was erased. Everyone else sees the problems and codes only.
    """
    from corridor.ledger import services as ledger
    from corridor.register.models import Patient
    from corridor.register.scoping import require_site

    require(by, Can.SEE_IDENTITIES)
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInput(_("say why you must see this identity"), "purpose", code="intake.purpose_missing")
    row = Refusal.objects.filter(pk=refusal_id).first()
    if row is None:
        raise NotFound(_("no refused submission %(id)s"), code="intake.no_refusal", id=refusal_id)
    subjects: list[str] = []
    kind, _sep, pk = row.owner.partition(":")
    if kind == "patient":
        patient = Patient.objects.filter(pk=int(pk)).first()
        if patient is not None:
            require_site(by, patient.site_id, "patient")  # never another site's patient's answers
            subjects = [f"patient:{patient.code}"]
    payload = {"refusal": row.pk, "instance_id": row.instance_id, "purpose": purpose.strip()}
    with transaction.atomic():
        ledger.append("identity.viewed", by=by, subjects=subjects, payload=payload)
    return row.received()
