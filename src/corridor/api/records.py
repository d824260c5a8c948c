"""The ledger (read, verify, correct), the identity-view audit, incidents, the dashboard, and the caller."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from corridor import clock, sensitivity
from corridor.accounts.roles import ROLE_CAPABILITIES, Can, roles_of
from corridor.errors import NotFound
from corridor.ledger import services as ledger
from corridor.ledger import withheld
from corridor.ledger.catalogue import SUBJECT_PATTERN
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Patient, Referral
from corridor.register.scoping import for_sites, require_entry, site_ids, sites_of_subjects, visible
from corridor.supplies import actions as supplies
from corridor.transfers.models import Trip
from corridor.validate import CODE_PATTERN

from .core import acting, page_of, reader, recorded, requires, responses, user_of
from .register import _my_site
from .schemas import (
    CorrectionIn,
    DashboardOut,
    EntryOut,
    EntryRef,
    IdentityViewOut,
    IncidentIn,
    MeOut,
    PageMeta,
    Purpose,
    Seq,
    VerdictOut,
)

router = Router()

_TYPE = r"^[a-z_]+\.[a-z_]+$"


def entry_out(entry: Entry, user: Any) -> dict[str, Any]:
    """The entry as exported; for a role without read_clinical its free text is withheld (``redacted``)."""
    return sensitivity.entry_record(entry, user)


class LedgerPage(Schema):
    items: list[EntryOut]
    count: int | None = Field(description="entries matching, when asked for with count=true")
    next_after: int | None = Field(description="pass as `after` for the next page; null on the last page")


class LedgerQuery(Schema):
    after: int = Field(0, ge=0, le=2**53, description="only entries after this seq (keyset pagination)")
    limit: int = Field(100, ge=1, le=500)
    type: str | None = Field(None, pattern=_TYPE, max_length=64)
    subject: str | None = Field(None, pattern=SUBJECT_PATTERN, max_length=100)
    recorded_by: str | None = Field(None, pattern=r"^[\w.@+\-]+$", max_length=150)
    count: bool = False


@router.get("/ledger", response=responses(LedgerPage), tags=["ledger"])
def list_entries(request: HttpRequest, query: Query[LedgerQuery]) -> dict[str, Any]:
    """Ledger entries in order, as exported (every hashed field plus its hash), filtered by type, subject
    or recorder. Page with ``after``: the ledger only grows, so pages never shift."""
    acting(request, Can.READ_LEDGER)
    entries = visible(Entry.objects.order_by("seq"), user_of(request))
    if query.type:
        entries = entries.filter(type=query.type)
    if query.subject:
        entries = entries.filter(subject_rows__key=query.subject)
    if query.recorded_by:
        entries = entries.filter(recorded_by=query.recorded_by)
    total = entries.count() if query.count else None
    rows = list(entries.filter(seq__gt=query.after)[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {
        "items": [entry_out(e, user_of(request)) for e in rows],
        "count": total,
        "next_after": rows[-1].seq if more and rows else None,
    }


@router.get("/ledger/verify", response=responses(VerdictOut), tags=["ledger"])
def verify(request: HttpRequest) -> dict[str, Any]:
    """Recompute the whole hash chain now: its length and head hash, or the first bad entry."""
    acting(request, Can.READ_LEDGER)
    verdict = ledger.verify()
    return {
        "ok": verdict.ok,
        "count": verdict.count,
        "head_hash": verdict.head_hash,
        "bad_seq": verdict.bad_seq,
        "problem": verdict.problem,
    }


@router.get("/ledger/{seq}", response=responses(EntryOut), tags=["ledger"])
def get_entry(request: HttpRequest, seq: Seq) -> dict[str, Any]:
    acting(request, Can.READ_LEDGER)
    entry = visible(Entry.objects.filter(seq=seq), user_of(request)).first()
    if entry is None:
        raise NotFound(_("there is no ledger entry %(seq)s"), code="entry.not_found", seq=seq)
    return entry_out(entry, user_of(request))


@router.post(
    "/ledger/{seq}/corrections", response=responses(EntryOut, 201), tags=["ledger"], auth=requires(Can.CORRECT_LEDGER)
)
def correct_entry(request: HttpRequest, seq: Seq, data: CorrectionIn) -> Status[dict[str, Any]]:
    """Correct (or with ``retract``, withdraw) an entry by appending a new one; the original stays."""
    user = acting(request, Can.CORRECT_LEDGER)
    require_entry(user, seq)
    entry, _result = recorded(
        lambda: ledger.correct(
            seq,
            by=user,
            reason=data.reason,
            changes=data.changes,
            source=data.source,
            certainty=data.certainty,
            retract=data.retract,
        )
    )
    return Status(201, entry_out(entry, user))


class IdentityViewPage(PageMeta):
    items: list[IdentityViewOut]


class AuditQuery(Schema):
    patient: str | None = Field(None, pattern=CODE_PATTERN)
    viewed_by: str | None = Field(None, pattern=r"^[\w.@+\-]+$", max_length=150)
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/audit/identity-views", response=responses(IdentityViewPage), tags=["ledger"])
def identity_views(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    """Who was shown whose identity, when and why (``identity.viewed`` entries), newest first."""
    acting(request, Can.READ_LEDGER)
    entries = visible(Entry.objects.filter(type="identity.viewed"), user_of(request)).order_by("-seq")
    if query.patient:
        entries = entries.filter(subject_rows__key=f"patient:{query.patient}")
    if query.viewed_by:
        entries = entries.filter(recorded_by=query.viewed_by)

    def out(e: Entry) -> dict[str, Any]:
        return {
            "seq": e.seq,
            "viewed_at": e.recorded_at,
            "viewed_by": e.recorded_by,
            "patient": e.payload.get("patient", ""),
            "patients": e.payload.get("patients") or [p for p in [e.payload.get("patient")] if p],
            "purpose": sensitivity.redact(e.payload, user_of(request), e.type).get("purpose", ""),
        }

    return page_of(entries, query, out)


class WithheldTextOut(Schema):
    entry: EntryOut = Field(description="the entry, its payload whole")
    viewed: EntryRef = Field(description="the text.viewed entry that records this reading")


@router.get(
    "/ledger/{seq}/text", response=responses(WithheldTextOut), tags=["ledger"], auth=requires(Can.REVIEW_ACCESS)
)
def get_withheld_text(request: HttpRequest, seq: Seq, purpose: Purpose = "") -> dict[str, Any]:
    """An entry's withheld clinical or identifying text, for an auditor: the reading is recorded first, as a
    ``text.viewed`` entry with ``purpose``; other roles see that text as ``[withheld]``."""
    user = acting(request, Can.REVIEW_ACCESS)
    (payload, _result), viewed = recorded(lambda: withheld.read_text(seq, by=user, purpose=purpose))
    entry = Entry.objects.get(seq=seq)
    return {"entry": {**entry.as_record(), "payload": payload}, "viewed": viewed}


# ------------------------------------------------------------------------------------------ incidents


@router.post(
    "/incidents",
    response=responses(EntryRef, 201),
    tags=["incidents and supplies"],
    auth=requires(Can.RECORD_INCIDENTS),
)
def record_incident(request: HttpRequest, data: IncidentIn) -> Status[EntryRef]:
    """An obstruction of health care: the kind of attack and the resource affected."""
    user = acting(request, Can.RECORD_INCIDENTS)
    site = _my_site(request, data.site)
    if not sites_of_subjects(s for s in data.subjects or () if not s.startswith("site:")) <= {site.pk}:
        raise NotFound(_("a subject named is not of this site"), code="incident.subject_elsewhere")
    _result, entry = recorded(
        lambda: supplies.record_incident(
            site=site,
            kind=data.kind,
            resource=data.resource,
            description=data.description,
            on=data.on,
            subjects=data.subjects,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, entry)


# ------------------------------------------------------------------------------------------ dashboard


@router.get("/dashboard", response=responses(DashboardOut), tags=["dashboard"])
def dashboard(request: HttpRequest) -> dict[str, Any]:
    """The waiting list and the gate in numbers: what a coordinator looks at first."""
    user = reader(request)
    today = clock.today()
    seq, head = ledger.head()
    sites = site_ids(user) or frozenset()
    # Every change to the register appends to the ledger in the same transaction, so the head names
    # the state these figures describe: while it stands still they cannot change. The head is read
    # first, so figures stored under it are never older than it.
    key = (seq, head, today, sites)
    cached = _dashboard_cache.get(key)
    if cached is not None:
        return cached
    waiting = Q(status=Referral.Status.WAITING)
    referrals = for_sites(Referral.objects.all(), sites).aggregate(
        waiting=Count("id", filter=waiting),
        past_deadline=Count("id", filter=waiting & Q(due_date__lt=today)),
        died=Count("id", filter=Q(status=Referral.Status.DIED)),
    )
    by_priority = (
        for_sites(Referral.objects.filter(waiting), sites)
        .values("priority__code")
        .annotate(n=Count("id"))
        .order_by("priority__rank")
    )
    trips = for_sites(Trip.objects.all(), sites).values("status").annotate(n=Count("id")).order_by("status")
    figures = {
        "today": today,
        "patients": for_sites(Patient.objects.all(), sites).count(),
        "facilities": Facility.objects.count(),
        "waiting": referrals["waiting"],
        "past_deadline": referrals["past_deadline"],
        "waiting_by_priority": [{"key": row["priority__code"], "count": row["n"]} for row in by_priority],
        "trips_by_status": [{"key": row["status"], "count": row["n"]} for row in trips],
        "deaths_while_waiting": referrals["died"],
        "ledger_entries": seq,
        "ledger_head": head,
    }
    if len(_dashboard_cache) > 32:  # a few site sets at most; the ledger's head moves on anyway
        _dashboard_cache.clear()
    _dashboard_cache[key] = figures
    return figures


# (ledger seq, head, today, the caller's sites) -> figures: each set of sites has its own.
_dashboard_cache: dict[tuple[int, str, Any, frozenset[int]], dict[str, Any]] = {}


# --------------------------------------------------------------------------------------------- caller


@router.get("/me", response=responses(MeOut), tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    """Who this token acts for, with which roles and capabilities."""
    user = user_of(request)
    roles = sorted(roles_of(user))
    token = request.auth  # type: ignore[attr-defined]
    return {
        "username": user.get_username(),
        "roles": [r.value for r in roles],
        "capabilities": sorted({c.value for r in roles for c in ROLE_CAPABILITIES[r]}),
        "token": {
            "id": token.pk,
            "label": token.label,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "created_by": token.created_by,
            "revoked_at": token.revoked_at,
        },
    }
