"""The ledger: filter entries, read one with its hash and corrections, verify the whole chain."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import sensitivity
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.ledger import consequences, withheld
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import corrections, episodes
from corridor.register.scoping import visible
from corridor.transfers import deaths
from corridor.web import forms, l10n, labels
from corridor.web.access import requires
from corridor.web.views.common import evidence, form_page, page

_KIND = re.compile(r"^[a-z_]+:")
_PATIENT = re.compile(r"^P-", re.IGNORECASE)
_TRIP = re.compile(r"^T-(\d+)$", re.IGNORECASE)


def subject_key(text: str) -> str:
    """What people type (P-0042, T-12, trip:12) as the ledger's subject key."""
    text = text.strip()
    if _KIND.match(text):
        return text
    trip = _TRIP.match(text)
    if trip:
        return f"trip:{trip.group(1)}"
    if _PATIENT.match(text):
        return f"patient:{text.upper()}"
    return text


@requires(Can.READ_LEDGER)
def ledger_list(request: HttpRequest) -> HttpResponse:
    form = forms.LedgerFilterForm(request.GET or None)
    entries = visible(Entry.objects.order_by("-seq"), request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["type"]:
            entries = entries.filter(type=data["type"])
        if data["certainty"]:
            entries = entries.filter(certainty=data["certainty"])
        if data["subject"]:
            entries = entries.filter(subject_rows__key=subject_key(data["subject"]))
        # occurred_at is the ledger's sortable UTC text, so whole days compare as text prefixes.
        if data["since"]:
            entries = entries.filter(occurred_at__gte=data["since"].isoformat())
        if data["until"]:
            entries = entries.filter(occurred_at__lt=(data["until"] + dt.timedelta(days=1)).isoformat())
    pages = Paginator(entries, 50)
    current = pages.get_page(request.GET.get("page"))
    current.object_list = sensitivity.redact_entries(current.object_list, request.user)
    seqs = [e.seq for e in current.object_list]
    corrected = set(Entry.objects.filter(corrects__in=seqs).values_list("corrects", flat=True))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "corridor/ledger/list.html",
        {"form": form, "page_obj": current, "corrected": corrected, "query": query.urlencode()},
    )


@requires(Can.READ_LEDGER)
def ledger_entry(request: HttpRequest, seq: int) -> HttpResponse:
    entry = get_object_or_404(visible(Entry.objects.all(), request.user), seq=seq)
    sensitivity.redact_entry(entry, request.user)
    fixes = visible(Entry.objects.filter(corrects=entry.seq), request.user).order_by("seq")
    return page(
        request,
        "corridor/ledger/entry.html",
        {
            "entry": entry,
            "withheld": entry.__dict__.get("_redacted", False),
            "payload": json.dumps(entry.payload, ensure_ascii=False, indent=2, sort_keys=True),
            "corrections": fixes,
            # What the corrections that stand now say, beside what the entry said when it was recorded.
            "corrected": _corrected_values(
                entry, [fix for fix in fixes if fix.type == consequences.CORRECTED], request
            ),
            # Offered to retract only while it stands (the ledger refuses a second retraction).
            "retracted": consequences.retraction_of(entry.seq) is not None,
            # The dates its handler follows, so a page may correct them (a death's, a closing's).
            "dates_correctable": bool(consequences.correctable_dates(entry.type)),
            "original": visible(Entry.objects.filter(seq=entry.corrects), request.user).first()
            if entry.corrects
            else None,
            # The files that document this entry (an incident's photos, a blocked delivery's refusal).
            "attached": sensitivity.redact_entries(
                visible(Entry.objects.filter(attachment__documents=entry.seq), request.user).order_by("seq"),
                request.user,
            ),
        },
    )


def _corrected_values(entry: Entry, fixes: list[Entry], request: HttpRequest) -> list[tuple[str, str, int]]:
    """(key, value as JSON, the correction's number) for each value the standing corrections of ``entry`` give,
    the latest for each key, withheld from the reader as the entry's own values of that key are."""
    standing = [fix for fix in fixes if consequences.retraction_of(fix.seq) is None]
    Entry.reveal_all(standing)
    latest: dict[str, tuple[Any, int]] = {}
    for fix in standing:
        for key, value in (fix.payload.get("changes") or {}).items():
            latest[key] = (value, fix.seq)
    shown = sensitivity.redact({key: value for key, (value, _seq) in latest.items()}, request.user, entry.type)
    return [(key, json.dumps(shown[key], ensure_ascii=False), seq) for key, (_value, seq) in sorted(latest.items())]


@requires(Can.CORRECT_LEDGER)
def ledger_retract(request: HttpRequest, seq: int) -> HttpResponse:
    """Withdraw an entry by a new one (``entry.retracted``): the original stays, the rows follow the ledger."""
    entry = get_object_or_404(visible(Entry.objects.all(), request.user), seq=seq)
    language = get_language()
    number = {"seq": l10n.digits(str(seq), language)}
    # A death retracted leaves the trips it changed as they are: say which, before and after, so the
    # coordinator can put the patient back on one or ask for another (transfers.deaths.trips_changed_by).
    changed = deaths.trips_changed_by(entry) if entry.type == "patient.died" else []
    notice = _trips_left_as_they_are(changed) if changed else None

    def call(data: dict[str, Any]) -> str:
        retraction = ledger.correct(
            seq, by=request.user, reason=data["reason"], changes={}, retract=True, **evidence(data)
        )
        said = _("Entry %(seq)s is retracted by entry %(by)s.") % {
            **number,
            "by": l10n.digits(str(retraction.seq), language),
        }
        return f"{said} {notice}" if notice else said

    return form_page(
        request,
        forms.RetractForm(request.POST or None),
        title=_("Retract entry %(seq)s (%(what)s)") % {**number, "what": labels.event_label(entry.type)},
        submit=_("Retract it"),
        call=call,
        then=reverse("web:ledger_entry", args=[seq]),
        notice=notice,
    )


@requires(Can.CORRECT_LEDGER)
def ledger_correct(request: HttpRequest, seq: int) -> HttpResponse:
    """Correct the dates of an entry by a new one (``entry.corrected``): those its handler checks and follows,
    so the rows move with the ledger (a death's date moves its referrals' closing dates)."""
    entry = get_object_or_404(visible(Entry.objects.all(), request.user), seq=seq)
    keys = consequences.correctable_dates(entry.type)
    stands = corrections.standing(entry) if keys else None
    if stands is None:  # no date a page may correct, or the entry no longer stands: nothing to correct here
        raise Http404
    dates = {key: episodes.day_of(stands.payload.get(key)) for key in keys}
    language = get_language()
    number = {"seq": l10n.digits(str(seq), language)}

    def call(data: dict[str, Any]) -> str:
        # Only the dates that change are sent: the same date again is not a correction (ledger.no_changes).
        changes = {key: data[key].isoformat() for key in keys if data[key] != dates[key]}
        fix = ledger.correct(seq, by=request.user, reason=data["reason"], changes=changes, **evidence(data))
        return _("Entry %(seq)s is corrected by entry %(by)s.") % {**number, "by": l10n.digits(str(fix.seq), language)}

    return form_page(
        request,
        forms.CorrectDatesForm(request.POST or None, dates=dates),
        title=_("Correct entry %(seq)s (%(what)s)") % {**number, "what": labels.event_label(entry.type)},
        submit=_("Record the correction"),
        call=call,
        then=reverse("web:ledger_entry", args=[seq]),
    )


def _trips_left_as_they_are(changed: list[deaths.TripChange]) -> str:
    words = [
        (_("%(trip)s (cancelled)") if change.cancelled else _("%(trip)s (taken off)"))
        % {"trip": labels.iso(change.trip.code)}
        for change in changed
    ]
    return _("The trips the death changed stay as they are: %(trips)s.") % {"trips": _(", ").join(words)}


@requires(Can.REVIEW_ACCESS)
def ledger_text(request: HttpRequest, seq: int) -> HttpResponse:
    """GET asks why; POST records the reading (``text.viewed``) and shows the entry's withheld text."""
    entry = get_object_or_404(visible(Entry.objects.all(), request.user), seq=seq)
    form = forms.PurposeForm(request.POST or None)
    payload = None
    if request.method == "POST" and form.is_valid():
        try:
            payload, _ = withheld.read_text(seq, by=request.user, purpose=form.cleaned_data["purpose"])
        except CorridorError as exc:
            forms.show_error(form, exc)
    return page(
        request,
        "corridor/ledger/text.html",
        {
            "entry": entry,
            "form": form,
            "payload": json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) if payload else None,
        },
    )


@require_POST
@requires(Can.READ_LEDGER)
def ledger_verify(request: HttpRequest) -> HttpResponse:
    verdict = ledger.verify()
    return page(request, "corridor/ledger/verify.html", {"verdict": verdict})
