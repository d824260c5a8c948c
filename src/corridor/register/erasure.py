"""Erasing one person's identity (crypto-shredding), and the retention schedule that proposes erasures.

An admin asks (``erasure.requested``, with a reason); a second admin confirms (``erasure.confirmed``)
or either cancels (``erasure.cancelled``). Confirming destroys the person's data key
(:mod:`corridor.register.crypto`): their identity fields, and any text encrypted for them with
``encrypt_for``, stay in the database as ciphertext nothing can open, and every read answers "erased".
Apps that keep texts about the person under another's key shred them in the same transaction
(:func:`on_confirmed`: a field submission naming several patients). Nothing else changes: the ledger
keeps every entry (it never held identities), so the chain, the checkpoints, the proofs and every
indicator read the same before and after. The ledger records that and when a person was erased, by
whom and why, never what was erased.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from corridor import clock, validate
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.register.crypto import is_erased
from corridor.register.models import DataKey, Erasure, NameToken, Patient
from corridor.register.scoping import for_sites, require_site, site_ids

if TYPE_CHECKING:
    from corridor.ledger.models import Entry

log = logging.getLogger(__name__)

# (kind, person row id, person code) -> None: what another app does, in the erasure's transaction, to the
# texts it keeps about the person outside their data key's reach (a field submission that names several
# patients, sealed under the first one's key). The register imports none of those apps; they register here.
Shredder = Callable[[str, int, str], None]
_shredders: list[Shredder] = []


def on_confirmed(shredder: Shredder) -> Shredder:
    """Have ``shredder`` called whenever an erasure is confirmed, after the person's data key is destroyed."""
    if shredder not in _shredders:
        _shredders.append(shredder)
    return shredder


RETENTION_REASON = "retention: left or died {years} or more years ago (CORRIDOR_RETENTION_YEARS)"


def find_person(code: str, by: Actor = None) -> Any:
    """The patient or companion with this code, at one of ``by``'s sites; NotFound otherwise."""
    from corridor.transfers.models import Companion

    for model in (Patient, Companion):
        person = for_sites(model.objects.all(), site_ids(by)).filter(code=code).first()
        if person is not None:
            return person
    raise NotFound(_("no patient or companion with code %(person)s"), code="erasure.no_person", person=code)


def _kind(person: Any) -> str:
    return str(person._meta.model_name)


def _named_admin(by: Actor) -> str:
    """The username of the admin acting: an erasure is never asked for or confirmed by a script."""
    if by is None or isinstance(by, str) or not getattr(by, "is_authenticated", False):
        raise NotAllowed(
            _("an erasure is asked for and confirmed by two named admins, not by a script"), code="erasure.unnamed"
        )
    require(by, Can.ERASE_IDENTITIES)
    return str(by.get_username())


def request_erasure(person: Any, *, reason: str, by: Actor, retention: bool = False) -> Erasure:
    """Ask for ``person``'s identity to be erased. Nothing is erased until a second admin confirms."""
    username = _named_admin(by)
    require_site(by, person.site_id, _kind(person))
    reason = validate.text(reason, "reason", required=True, max_length=2000)
    kind = _kind(person)
    with transaction.atomic():
        if is_erased(person):
            raise Conflict(
                _("%(person)s's identity is already erased"), code="erasure.already_erased", person=person.code
            )
        if Erasure.objects.select_for_update().filter(kind=kind, person_id=person.pk, state="requested").exists():
            raise Conflict(
                _("an erasure of %(person)s is already waiting for a second admin's confirmation"),
                code="erasure.already_requested",
                person=person.code,
            )
        entry = ledger.append(
            "erasure.requested",
            by=by,
            subjects=[f"{kind}:{person.code}"],
            payload={"person": person.code, "kind": kind, "reason": reason, "retention": retention},
        )
        return Erasure.objects.create(
            kind=kind,
            code=person.code,
            person_id=person.pk,
            site_id=person.site_id,
            reason=reason,
            retention=retention,
            requested_by=username,
            requested_seq=entry.seq,
        )


def _open_request(person: Any) -> Erasure:
    found = (
        Erasure.objects.select_for_update()
        .filter(kind=_kind(person), person_id=person.pk, state=Erasure.State.REQUESTED)
        .first()
    )
    if found is None:
        raise Conflict(
            _("no erasure of %(person)s is waiting for confirmation; one admin asks first"),
            code="erasure.not_requested",
            person=person.code,
        )
    return found


def confirm_erasure(person: Any, *, by: Actor) -> Erasure:
    """Confirm another admin's request: destroy ``person``'s data key, so their identity reads "erased"."""
    username = _named_admin(by)
    require_site(by, person.site_id, _kind(person))
    with transaction.atomic():
        request = _open_request(person)
        if request.requested_by == username:
            raise NotAllowed(
                _("the admin who asked for an erasure cannot confirm it: a second admin must"),
                code="erasure.same_admin",
            )
        _destroy_data_key(_kind(person), person.pk)
        # The name's keyed digests would still let someone who guesses the name confirm it: gone too.
        NameToken.objects.filter(**{_kind(person): person}).delete()
        for shred in _shredders:
            shred(_kind(person), person.pk, person.code)
        entry = ledger.append(
            "erasure.confirmed",
            by=by,
            subjects=[f"{request.kind}:{request.code}"],
            payload={"person": request.code, "kind": request.kind, "request": request.requested_seq},
        )
        request.state = Erasure.State.CONFIRMED
        request.decided_by = username
        request.decided_seq = entry.seq
        request.save(update_fields=["state", "decided_by", "decided_seq"])
        transaction.on_commit(_reclaim_space)
    return request


def cancel_erasure(person: Any, *, by: Actor, reason: str = "") -> Erasure:
    """Withdraw a request not yet confirmed (the admin who asked, or another)."""
    username = _named_admin(by)
    require_site(by, person.site_id, _kind(person))
    reason = validate.text(reason, "reason", required=False, max_length=2000)
    with transaction.atomic():
        request = _open_request(person)
        entry = ledger.append(
            "erasure.cancelled",
            by=by,
            subjects=[f"{request.kind}:{request.code}"],
            payload={"person": request.code, "kind": request.kind, "request": request.requested_seq, "reason": reason},
        )
        request.state = Erasure.State.CANCELLED
        request.decided_by = username
        request.decided_seq = entry.seq
        request.save(update_fields=["state", "decided_by", "decided_seq"])
    return request


@dataclass(frozen=True)
class Standing:
    """Where one person stands: erased (when, and the request confirmed), or an erasure waiting, or neither.

    Usernames and ledger entries only: what was erased is never anywhere to be shown.
    """

    erased_at: dt.datetime | None
    confirmed: Erasure | None
    waiting: Erasure | None


def standing(person: Any) -> Standing:
    """``person``'s erasure standing, for the pages that show a patient or a companion."""
    kind = _kind(person)
    requests = Erasure.objects.filter(kind=kind, person_id=person.pk)
    erased_at = (
        DataKey.objects.filter(kind=kind, person_id=person.pk, erased_at__isnull=False)
        .values_list("erased_at", flat=True)
        .first()
    )
    return Standing(
        erased_at=erased_at,
        confirmed=requests.filter(state=Erasure.State.CONFIRMED).order_by("-decided_seq").first(),
        waiting=requests.filter(state=Erasure.State.REQUESTED).first(),
    )


def _destroy_data_key(kind: str, person_id: int) -> None:
    """Overwrite the wrapped key with random bytes, then empty it; keep the row as the mark of the erasure.

    A person with no data key yet gets an empty one, so nothing can be encrypted for them afterwards.
    """
    if connection.vendor == "sqlite":
        # Pages SQLite frees are zeroed rather than left with the old bytes in the file.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    now = timezone.now()
    row = DataKey.objects.select_for_update().filter(kind=kind, person_id=person_id).first()
    if row is None:
        DataKey.objects.create(kind=kind, person_id=person_id, key_id=secrets.token_hex(4), wrapped="", erased_at=now)
        return
    noise = base64.urlsafe_b64encode(os.urandom(len(row.wrapped))).decode("ascii")[: len(row.wrapped)]
    DataKey.objects.filter(pk=row.pk).update(wrapped=noise)
    DataKey.objects.filter(pk=row.pk).update(wrapped="", erased_at=now)


def _reclaim_space() -> None:
    """After the erasure commits, have the database drop the old versions of the key's row from its files.

    SQLite (in WAL mode) keeps the page as it was until a checkpoint writes the new one over it; PostgreSQL
    keeps the old row version until a vacuum. Best effort: a failure leaves the key to the next checkpoint
    or autovacuum, and is logged.
    """
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif connection.vendor == "postgresql" and connection.get_autocommit():
                cursor.execute(f"VACUUM {connection.ops.quote_name(DataKey._meta.db_table)}")
    except DatabaseError as exc:  # pragma: no cover - depends on other connections holding the database
        log.warning("the erased data key's old row could not be reclaimed yet: %s", exc)


# ------------------------------------------------------------------------------------------ retention


@dataclass(frozen=True)
class Due:
    """A patient whose identity the retention schedule says may be erased."""

    code: str
    site: str
    status: str
    since: dt.date  # the date of death recorded, else the last day their care closed
    requested: bool  # an erasure is already waiting for confirmation


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retention_years(years: int | None = None) -> int:
    chosen = settings.RETENTION_YEARS if years is None else years
    if not isinstance(chosen, int) or chosen < 1:
        raise InvalidInput(
            _("no retention period is set: set CORRIDOR_RETENTION_YEARS or give --years"),
            "years",
            code="retention.no_period",
        )
    return chosen


def death_day(died: Entry) -> dt.date:
    """The day of the death ``died`` records, as a correction may since have moved it."""
    from corridor.register.corrections import standing

    stands = standing(died)
    try:
        return validate.date((stands or died).payload.get("date"), "date")
    except InvalidInput:  # a date an older correction made unreadable: the recorded one
        return dt.date.fromisoformat(died.occurred_at[:10])


def due(*, by: Actor, years: int | None = None, today: dt.date | None = None) -> list[Due]:
    """Patients at ``by``'s sites who left the camp or died ``years`` or more years ago and still have a
    readable identity. The date is that of the recorded death, else the last day any referral closed (else
    the day they were registered)."""
    from corridor.ledger.models import Entry

    years = retention_years(years)
    cutoff = _years_before(today or clock.today(), years)
    patients = (
        for_sites(Patient.objects.all(), site_ids(by))
        .filter(status__in=(Patient.Status.DECEASED, Patient.Status.LEFT))
        .select_related("site")
        .annotate(last_closed=Max("referrals__closed_on"))
        .order_by("code")
    )
    live = set(
        DataKey.objects.filter(kind="patient", erased_at__isnull=True, person_id__in=patients.values("pk"))
        .exclude(wrapped="")
        .values_list("person_id", flat=True)
    )
    waiting = set(
        Erasure.objects.filter(kind="patient", state=Erasure.State.REQUESTED).values_list("person_id", flat=True)
    )
    found = []
    for patient in patients:
        if patient.pk not in live:
            continue
        since = patient.last_closed or patient.registered_on
        if patient.status == Patient.Status.DECEASED:
            died = (
                Entry.objects.filter(type="patient.died", subject_rows__key=f"patient:{patient.code}")
                .order_by("-seq")
                .first()
            )
            if died:
                since = death_day(died)
        if since <= cutoff:
            found.append(Due(patient.code, patient.site.code, patient.status, since, patient.pk in waiting))
    return found


def request_due(*, by: Actor, years: int | None = None, today: dt.date | None = None) -> list[Erasure]:
    """Ask for the erasure of every patient the schedule lists that no request is waiting for."""
    years = retention_years(years)
    asked = []
    with transaction.atomic():
        for item in due(by=by, years=years, today=today):
            if not item.requested:
                person = Patient.objects.get(code=item.code)
                asked.append(
                    request_erasure(person, reason=RETENTION_REASON.format(years=years), by=by, retention=True)
                )
    return asked


def confirm_due(*, by: Actor) -> list[Erasure]:
    """Confirm every retention request at ``by``'s sites that another admin made."""
    username = _named_admin(by)
    waiting = for_sites(
        Erasure.objects.filter(state=Erasure.State.REQUESTED, retention=True, kind="patient"), site_ids(by)
    ).exclude(requested_by=username)
    done = []
    with transaction.atomic():
        for request in list(waiting):
            done.append(confirm_erasure(Patient.objects.get(pk=request.person_id), by=by))
    return done
