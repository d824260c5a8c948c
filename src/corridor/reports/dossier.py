"""One patient's case as a document: what UN Special Procedures ask of a communication, with its evidence.

The dossier is laid out as a communication to a Special Procedures mandate asks it: who (the person,
pseudonymised unless an identity version is asked for), what happened and when and where (every
request, answer, cancellation, hold and outcome in order, and the days waited against the clinical
deadline), by whom (the authority, as the ledger records it, with source and certainty), and what was
done to seek a remedy (the requests made and what became of them). Every fact cites its ledger entry;
the entries' inclusion proofs are attached as ``evidence.json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string

from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral
from corridor.reports import core, monthly, obstruction, queries, strings

# The events a timeline shows, and the order of a day's events when they share a time.
TIMELINE_TYPES = (
    "patient.registered",
    "referral.created",
    "referral.changed",
    "trip.requested",
    "trip.approved",
    "trip.denied",
    "trip.cancelled",
    "trip.manifest_changed",
    "gate.arrived",
    "gate.held",
    "gate.released",
    "gate.turned_back",
    "trip.departed",
    "trip.arrived",
    "trip.companion_answered",
    "patient.seen",
    "patient.not_seen",
    "appointment.missed",
    "trip.returned",
    "referral.closed",
    "patient.died",
    "patient.left",
    "incident.recorded",
)


def patient_records(code: str) -> list[obstruction.Record]:
    """Every entry about the patient (its trips' entries name it too), with their corrections."""
    rows = Entry.objects.filter(subject_rows__key=f"patient:{code}", type__in=TIMELINE_TYPES).order_by("seq")
    return queries.with_corrections([obstruction.Record.of(e.fields) for e in rows])


def _event(record: obstruction.Record, language: str, places: dict[str, str]) -> str:
    """The entry in words: its event's name, and what it says that a reader needs (place, reason, outcome)."""
    text = strings.label("event", record.type, language)
    payload = record.payload
    place = payload.get("facility")
    details = []
    if place:
        # A hospital's name is written as the register holds it, often in Latin letters: isolated (FSI … PDI)
        # so that in a Persian or Arabic line the figures beside it stay on their own side.
        details.append(f"\u2068{places.get(str(place), str(place))}\u2069")
    if record.type == "gate.released" and isinstance(payload.get("hours_held"), int | float):
        details.append(
            strings.tr("dossier.hours_held", language, hours=strings.number(payload["hours_held"], language, 1))
        )
    if record.type == "trip.cancelled":
        details.append(strings.label("cancelled_by", payload.get("cancelled_by"), language))
    if record.type in ("patient.seen", "patient.not_seen"):
        details.append(strings.label("outcome", payload.get("outcome"), language))
    if record.type == "referral.created":
        details.append(strings.label("specialty", payload.get("specialty"), language))
    if record.type == "referral.closed":
        details.append(strings.label("referral_status", payload.get("reason") or payload.get("status"), language))
    reason = str(payload.get("reason") or "").strip()
    if record.type in ("trip.denied", "trip.cancelled", "gate.turned_back"):
        details.append(
            strings.tr("what.reason", language, reason=reason) if reason else strings.tr("what.no_reason", language)
        )
    return f"{text}: {' · '.join(d for d in details if d)}" if details else text


def context(
    patient: Patient,
    language: str,
    today: dt.date,
    head: tuple[int, str],
    now: dt.datetime,
    identity: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[int]]:
    """What the dossier shows, in ``language``, and the ledger entries it cites."""
    places = monthly.place_names(language)
    records = patient_records(patient.code)
    standing = [r for r in obstruction.effective(records) if r.type in TIMELINE_TYPES]
    first = min((dt.date.fromisoformat(r.occurred_at[:10]) for r in standing), default=today)
    incidents = obstruction.derive(
        records, start=min(first, today), as_of=today, hold_threshold_hours=queries.hold_threshold()
    )
    referrals = []
    for referral in Referral.objects.filter(patient=patient).select_related("priority").order_by("referral_date"):
        seen = (
            referral.trips.filter(outcome__in=queries.SEEN, removed=False, role=queries.PATIENT)
            .order_by("trip__date")
            .values_list("trip__date", flat=True)
            .first()
        )
        end = seen or (referral.closed_on if referral.closed_on else today)
        waited = (end - referral.referral_date).days
        late = (end - referral.due_date).days
        referrals.append(
            {
                "date": strings.date(referral.referral_date, language),
                "specialty": strings.label("specialty", referral.specialty, language),
                "priority": monthly.priority_name(referral.priority, language),
                "due": strings.date(referral.due_date, language),
                "status": strings.label("referral_status", referral.status, language),
                "waited": strings.tr(
                    "dossier.waited_seen" if seen else "dossier.waited",
                    language,
                    n=waited,
                    days=strings.number(waited, language),
                ),
                "deadline": strings.tr(
                    "dossier.past_deadline" if late > 0 else "dossier.within_deadline",
                    language,
                    n=abs(late),
                    days=strings.number(abs(late), language),
                ),
                "late": late > 0,
            }
        )
    timeline = [
        {
            "date": strings.date(dt.date.fromisoformat(r.occurred_at[:10]), language),
            "what": _event(r, language, places),
            "source": strings.label("source", r.source, language),
            "certainty": strings.label("certainty", r.certainty, language),
            "entries": ", ".join(f"#{n}" for n in (r.seq, *r.corrected_by)),
        }
        for r in sorted(standing, key=lambda r: (r.occurred_at, r.seq))
    ]
    requests = [r for r in standing if r.type == "trip.requested"]
    answered = {r.trip: r.type for r in standing if r.type in ("trip.approved", "trip.denied")}
    remedies = strings.tr(
        "dossier.remedies",
        language,
        requests=strings.number(len(requests), language),
        approved=strings.number(sum(1 for r in requests if answered.get(r.trip) == "trip.approved"), language),
        denied=strings.number(sum(1 for r in requests if answered.get(r.trip) == "trip.denied"), language),
        unanswered=strings.number(sum(1 for r in requests if r.trip not in answered), language),
        cancelled=strings.number(
            len(
                {
                    r.trip
                    for r in standing
                    if r.type == "trip.cancelled" and r.payload.get("cancelled_by") == "authority"
                }
            ),
            language,
        ),
    )
    by_authority = [i for i in incidents if i.kind != "recorded" and not i.kind.startswith("delivery")]
    files = _attached_files(patient.code, language)
    cited = sorted(
        {n for r in standing for n in (r.seq, *r.corrected_by)}
        | {n for i in incidents for n in i.entries}
        | {f["seq"] for f in files}
    )
    age = core.age_group(patient.birth_year, today.year)
    found = {
        "lang": language,
        "dir": "rtl" if language in strings.RTL else "ltr",
        "css": monthly._css(language),
        "t": strings.words("dossier", language),
        "t_col": strings.words("col", language),
        **monthly.issuer(),
        "code": patient.code,
        "sex": strings.label("sex", patient.sex, language),
        "age_group": strings.label("age_group", age, language),
        "identity": identity,
        "site": patient.site.name_in(language),
        "referrals": referrals,
        "timeline": timeline,
        "incidents": monthly.incident_rows(incidents, language),
        "by_whom": strings.tr(
            "dossier.by_whom",
            language,
            count=strings.number(len(by_authority), language),
            sources=", ".join(sorted({strings.label("source", i.source, language) for i in by_authority})) or "—",
        ),
        "remedies": remedies,
        "files": files,
        "generated": strings.digits(now.strftime("%Y-%m-%d %H:%M UTC"), language),
        "data_as_of": strings.date(today, language),
        "head_seq": strings.number(head[0], language),
        "head_hash": head[1],
        "evidence_how": strings.tr("report.evidence_how", language),
        "cited": strings.number(len(cited), language),
    }
    return found, cited


def _attached_files(code: str, language: str) -> list[dict[str, Any]]:
    """The files attached as evidence to entries about the patient: named by hash, never shown in the dossier
    (the originals are sealed; ``corridor prove entry N --attachments DIR`` hands them over for checking)."""
    rows = []
    for entry in Entry.objects.filter(type="attachment.added", subject_rows__key=f"patient:{code}").order_by("seq"):
        p = entry.payload
        what = strings.tr(
            "dossier.file",
            language,
            kind=strings.tr(f"dossier.kind_{p.get('kind', 'document')}", language),
            documents=f"#{p.get('entry')}" if p.get("entry") else "—",
            c2pa=strings.tr(f"dossier.c2pa_{p.get('c2pa', 'none')}", language),
        )
        if p.get("proofmode", "none") != "none":  # entries recorded before ProofMode bundles were read have none
            status = strings.tr(f"dossier.c2pa_{p['proofmode']}", language)
            what = strings.tr("dossier.proofmode", language, what=what, status=status)
        rows.append(
            {
                "seq": entry.seq,
                "date": strings.date(dt.date.fromisoformat(entry.recorded_at[:10]), language),
                "what": what,
                "sha256": p.get("sha256", ""),
                "entries": f"#{entry.seq}",
            }
        )
    return rows


def render_html(values: dict[str, Any]) -> str:
    return render_to_string("reports/dossier.html", values)
