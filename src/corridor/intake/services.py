"""Import an export of field submissions: check every one, then record them all through the services, or none.

1. **Read** the file (:mod:`corridor.intake.readers`) and map each submission onto its form
   (:mod:`corridor.intake.parse`).
2. **Check** each one against the register: the trip (by number, or by camp, date and hospital), each
   patient's pseudonymous code, the camp, the delivery. An unknown code is a rejection, never a new
   record. Each submission becomes a plan: its answers as they will be applied, and the service calls.
3. **Apply** every plan in ONE transaction, holding the ledger's append lock: a submission already
   imported with the same answers is skipped as a duplicate; each other one runs through the services
   (:mod:`corridor.transfers.services`, :func:`corridor.register.services.record_death`,
   :mod:`corridor.supplies.actions`), its raw submission kept in the payload of the entries it writes.
   If any submission is refused, by these checks or by a service, the transaction is rolled back and
   the report names every refusal with its row and field: nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import CorridorError, InvalidInput, Phrase
from corridor.intake import portions, sealing
from corridor.intake.forms import DELIVERY_NUMBER_PATTERN, TRIP_NUMBER_PATTERN
from corridor.intake.models import ImportedSubmission, Refusal
from corridor.intake.parse import Item, Parsed, Problem, parse_export
from corridor.intake.readers import Export, read_export
from corridor.ledger import canonical
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Source
from corridor.ledger.models import Subject
from corridor.register.models import Facility, Patient, Site
from corridor.register.scoping import for_sites, site_ids
from corridor.transfers import deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

PLATFORMS = {"odk": "ODK", "kobo": "KoBoToolbox"}
ALREADY_IMPORTED = _("already imported: %(when)s")
LEDGER_ENTRIES = _("ledger entries %(entries)s")
DEFAULT_SOURCE = Source.WITNESS


# --------------------------------------------------------------------------------------------- report


@dataclass
class SubmissionReport:
    """What became of one submission.

    ``imported`` (with its ledger entries), ``ready`` (would be imported: a dry run, or held back because
    another submission was rejected), ``duplicate`` (imported before), ``excluded`` (marked rejected on the
    server) or ``rejected`` (with every problem: row, field, message).
    """

    where: Phrase
    instance_id: str
    form: str
    status: str
    seqs: tuple[int, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    note: Phrase | str = ""

    def line(self, dry_run: bool = False, say: Callable[[Any], str] = str) -> str:
        """One line for the CLI and the logs: in English, or with its places and problems said by ``say``
        (``corridor.intake.said.text`` in the active language)."""
        ident = f"uuid:{self.instance_id}" if self.instance_id else "(no instance ID)"
        head = f"{self.status:<9}  {say(self.where)}  {ident}"
        if self.status == "imported":
            return f"{head}  ledger entries {_span(self.seqs)}"
        if self.status == "ready":
            return f"{head}  " + ("would be imported" if dry_run else "not imported: another submission was rejected")
        if self.status == "duplicate":
            return f"{head}  {say(self.note)}"
        if self.status == "excluded":
            return f"{head}  {say(self.note)}; not imported"
        details = "; ".join(say(p) if p.where != self.where else say(p.here()) for p in self.problems)
        return f"{head}  {details}"


def _span(seqs: tuple[int, ...]) -> str:
    if not seqs:
        return "none"
    if list(seqs) == list(range(seqs[0], seqs[-1] + 1)) and len(seqs) > 1:
        return f"{seqs[0]}–{seqs[-1]}"
    return ", ".join(str(s) for s in seqs)


@dataclass
class ImportReport:
    platform: str
    filename: str
    file_format: str
    dry_run: bool
    submissions: list[SubmissionReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.submissions if s.status == status)

    @property
    def rejected(self) -> list[SubmissionReport]:
        return [s for s in self.submissions if s.status == "rejected"]

    @property
    def written(self) -> bool:
        """Whether anything went into the database (never when a submission was rejected)."""
        return self.count("imported") > 0

    @property
    def forms(self) -> list[str]:
        return sorted({s.form for s in self.submissions if s.form})

    def heading(self) -> str:
        forms = ", ".join(self.forms) or "no Corridor form"
        return (
            f"{PLATFORMS.get(self.platform, self.platform)} export {self.filename} ({self.file_format}): "
            f"{forms}; {len(self.submissions)} submission{'s' if len(self.submissions) != 1 else ''}"
        )

    def summary(self) -> str:
        parts = [
            f"{self.count('imported')} imported",
            *(
                [f"{self.count('ready')} {'would be imported' if self.dry_run else 'held back'}"]
                if self.count("ready")
                else []
            ),
            f"{self.count('duplicate')} already imported",
            f"{self.count('excluded')} excluded",
            f"{len(self.rejected)} rejected",
        ]
        text = ", ".join(parts)
        if self.rejected:
            return f"{text}: nothing was written; correct or remove the rejected submissions and import the file again"
        if self.dry_run:
            return f"{text}: checked only, nothing was written"
        return text

    def lines(self, say: Callable[[Any], str] = str) -> list[str]:
        return [s.line(self.dry_run, say) for s in self.submissions]


# ---------------------------------------------------------------------------------------------- plans


@dataclass
class Step:
    """One service call a submission makes, and how the service's field names map onto the form's."""

    run: Callable[[Actor, dict[str, Any]], None]
    where: Phrase
    fields: dict[str, str] = field(default_factory=dict)
    # The patients whose own answers (their repeat item) the entries of this step keep: the one patient an
    # entry is about, never several (corridor.intake.portions); none for an entry about a trip as a whole.
    about: tuple[str, ...] = ()


@dataclass
class Plan:
    parsed: Parsed
    answers: dict[str, Any]
    steps: list[Step]


class _Rejected(Exception):
    """Raised inside the import's transaction to roll everything back."""


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _evidence(p: Parsed) -> tuple[str, str]:
    source = p.values.get("source") or DEFAULT_SOURCE
    certainty = p.values.get("certainty") or ""
    if not certainty:
        p.problem(
            "certainty",
            _("is required: say how sure it is (confirmed, probable, possible or unverified)"),
            code="intake.no_certainty",
        )
    return str(source), str(certainty)


IS_REQUIRED = _("is required")


def _required(p: Parsed, name: str, message: str = IS_REQUIRED, code: str = "intake.required") -> Any:
    value = p.values.get(name)
    if value is None:
        p.problem(name, message, code=code)
    return value


def _zone(site: Site) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(site.time_zone)


def _aware(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """A moment with its offset; one written without (a typed spreadsheet cell) is the camp's local time."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


# The sites of the user an import is checked for: a camp, trip, patient or delivery of another site is
# "not in the register" to them, in the preview as in the import (docs/roles.md, "Sites").
_importer_sites: ContextVar[frozenset[int] | None] = ContextVar("corridor_importer_sites", default=None)


def _mine(queryset: Any) -> Any:
    return for_sites(queryset, _importer_sites.get())


def _site(p: Parsed, name: str = "site") -> Site | None:
    code = p.values.get(name)
    if code is None:
        return None
    site = _mine(Site.objects.filter(code=code)).first()
    if site is None:
        p.problem(name, _("no camp with code '%(given)s' in the register"), code="intake.no_camp", given=code)
    return site


def _trip(p: Parsed) -> Trip | None:
    """The trip a submission is about: by its number, or by camp, date and hospital (exactly one trip)."""
    values = p.values
    number = values.get("trip_number")
    if number:
        if not re.match(TRIP_NUMBER_PATTERN, number.upper()):
            p.problem(
                "trip_number",
                _("'%(given)s' is not a trip number such as T-17"),
                code="intake.bad_trip_number",
                given=number,
            )
            return None
        pk = int(number.upper().removeprefix("T-"))
        trip = _mine(Trip.objects.select_related("site", "facility").filter(pk=pk)).first()
        if trip is None:
            p.problem("trip_number", _("no trip T-%(trip)s in the register"), code="intake.no_trip", trip=pk)
            return None
        for name, actual, message, refusal_code in (
            ("trip_date", trip.date, _("trip T-%(trip)s is on %(actual)s, not %(given)s"), "intake.trip_other_day"),
            (
                "site",
                trip.site.code,
                _("trip T-%(trip)s leaves from %(actual)s, not %(given)s"),
                "intake.trip_other_camp",
            ),
            (
                "facility",
                trip.facility.code,
                _("trip T-%(trip)s goes to %(actual)s, not %(given)s"),
                "intake.trip_other_hospital",
            ),
        ):
            given = values.get(name)
            if given is not None and given != actual:
                p.problem(name, message, code=refusal_code, trip=pk, actual=actual, given=given)
        return trip
    missing = [name for name in ("site", "trip_date", "facility") if values.get(name) is None]
    for name in missing:
        p.problem(name, _("is required when the trip number is not given"), code="intake.required_without_trip")
    site = _site(p)
    code = values.get("facility")
    facility = Facility.objects.filter(code=code).first() if code else None
    if code and facility is None:
        p.problem(
            "facility", _("no hospital with code '%(given)s' in the register"), code="intake.no_hospital", given=code
        )
    if missing or site is None or facility is None:
        return None
    day = values["trip_date"]
    trips = list(Trip.objects.select_related("site", "facility").filter(site=site, date=day, facility=facility)[:3])
    if not trips:
        p.problem(
            "trip_date",
            _("no trip from %(site)s to %(facility)s on %(day)s in the register"),
            code="intake.no_trip_that_day",
            site=site.code,
            facility=facility.code,
            day=day,
        )
        return None
    if len(trips) > 1:
        p.problem(
            "trip_number",
            _("there are several trips from %(site)s to %(facility)s on %(day)s: give the number"),
            code="intake.several_trips",
            site=site.code,
            facility=facility.code,
            day=day,
        )
        return None
    return trips[0]


def _within_trip_day(p: Parsed, name: str, moment: dt.datetime | None, trip: Trip) -> None:
    """Times far from the trip's date are typing mistakes more often than facts: refuse them."""
    if moment is None:
        return
    local = moment.astimezone(_zone(trip.site)).date()
    if not trip.date <= local <= trip.date + dt.timedelta(days=1):
        p.problem(
            name,
            _("%(day)s is not the day of trip %(trip_code)s (%(trip_date)s) or the day after"),
            code="intake.not_trip_day",
            day=local,
            trip_code=trip.code,
            trip_date=trip.date,
        )


def _patient(p: Parsed, code: str | None, where: Phrase, name: str = "patient_code") -> Patient | None:
    if code is None:
        p.problem(name, IS_REQUIRED, code="intake.required", where=where)
        return None
    patient = _mine(Patient.objects.filter(code=code)).first()
    if patient is None:
        p.problem(
            name,
            _("no patient with code '%(given)s' in the register; check the code (an import never creates patients)"),
            code="intake.no_patient",
            where=where,
            given=code,
        )
    return patient


def _fresh(pk: int) -> Trip:
    return Trip.objects.select_related("site", "facility").get(pk=pk)


# ------------------------------------------------------------------------------------- gate incident


_NEEDS_RELEASE_TIME = {
    "released": (_("is required when the trip was released"), "intake.no_release_time"),
    "turned_back": (_("is required when the trip was turned back"), "intake.no_turned_back_time"),
}


def _plan_gate_incident(p: Parsed) -> Plan | None:
    source, certainty = _evidence(p)
    trip = _trip(p)
    outcome = _required(
        p, "outcome", _("is required: released, held, turned_back or cancelled"), "intake.no_gate_outcome"
    )
    at_gate_given = _required(p, "time_at_gate")
    released_given = p.values.get("time_released")
    if outcome in ("released", "turned_back") and released_given is None:
        message, code = _NEEDS_RELEASE_TIME[outcome]
        p.problem("time_released", message, code=code)
    reason = p.values.get("reason_given") or ""
    cancelled_by = p.values.get("cancelled_by") or "authority"
    if trip is None or p.problems:
        return None
    zone = _zone(trip.site)
    at_gate = _aware(at_gate_given, zone)
    released = _aware(released_given, zone) if outcome in ("released", "turned_back") else None
    assert at_gate is not None
    if released is not None and released < at_gate:
        p.problem(
            "time_released", _("is before the time the trip reached the gate"), code="intake.released_before_gate"
        )
    if outcome != "cancelled":
        _within_trip_day(p, "time_at_gate", at_gate, trip)
        _within_trip_day(p, "time_released", released, trip)
    if p.problems:
        return None
    pk = trip.pk
    steps: list[Step] = []
    gate = {"at": "time_at_gate", "since": "time_at_gate", "note": "reason_given"}
    if outcome == "cancelled":

        def cancel(by: Actor, extra: dict[str, Any]) -> None:
            transfers.cancel_trip(
                _fresh(pk),
                reason=reason,
                cancelled_by=cancelled_by,
                at=at_gate,
                by=by,
                extra=extra,
                source=source,
                certainty=certainty,
            )

        steps.append(Step(cancel, p.where, {"reason": "reason_given"}))
    else:

        def arrive(by: Actor, extra: dict[str, Any]) -> None:
            trip = _fresh(pk)
            if trip.gate_arrived_at is not None and trip.gate_arrived_at == at_gate:
                return  # an earlier report of this trip recorded the same arrival
            transfers.record_gate_arrival(trip, at=at_gate, by=by, extra=extra, source=source, certainty=certainty)

        steps.append(Step(arrive, p.where, gate))
        if outcome == "held" or (outcome == "released" and reason):

            def hold(by: Actor, extra: dict[str, Any]) -> None:
                trip = _fresh(pk)
                if trip.held_since is not None and trip.held_since == at_gate:
                    return  # an earlier report of this trip recorded the same hold
                transfers.record_gate_hold(
                    trip,
                    since=at_gate,
                    note=reason,
                    at=at_gate,
                    by=by,
                    extra=extra,
                    source=source,
                    certainty=certainty,
                )

            steps.append(Step(hold, p.where, gate))
        if outcome == "released":
            assert released is not None

            def release(by: Actor, extra: dict[str, Any]) -> None:
                transfers.record_gate_release(
                    _fresh(pk), at=released, by=by, extra=extra, source=source, certainty=certainty
                )

            steps.append(Step(release, p.where, {"at": "time_released"}))
        if outcome == "turned_back":
            assert released is not None

            def turn_back(by: Actor, extra: dict[str, Any]) -> None:
                transfers.record_turned_back(
                    _fresh(pk), at=released, reason=reason, by=by, extra=extra, source=source, certainty=certainty
                )

            steps.append(Step(turn_back, p.where, {"at": "time_released", "reason": "reason_given"}))
    answers = {
        "trip": pk,
        "outcome": outcome,
        "time_at_gate": _iso(at_gate),
        "time_released": _iso(released),
        "cancelled_by": cancelled_by if outcome == "cancelled" else None,
        "reason_given": reason or None,
        "witnesses": p.values.get("witnesses"),
        "note": p.values.get("note"),
        "source": source,
        "certainty": certainty,
    }
    return Plan(p, answers, steps)


# -------------------------------------------------------------------------------------- trip outcome


def _plan_trip_outcome(p: Parsed) -> Plan | None:
    source, certainty = _evidence(p)
    trip = _trip(p)
    items = p.repeats.get("patients", [])
    if not items:
        p.problem(
            "patients",
            _(
                "no patients listed. CSV from KoBoToolbox, and ODK Central's table of submissions alone, leave "
                "repeat groups out: import KoBoToolbox's XLSX or JSON export, or ODK Central's full ZIP download"
            ),
            code="intake.no_patients",
        )
    patients: list[tuple[Item, Patient | None, str | None]] = []
    seen: set[str] = set()
    for item in items:
        code = item.values.get("patient_code")
        patient = _patient(p, code, item.where)
        outcome = item.values.get("outcome")
        if outcome is None:
            p.problem("outcome", IS_REQUIRED, code="intake.required", where=item.where)
        if code in seen:
            p.problem(
                "patient_code",
                _("%(given)s is listed twice"),
                code="intake.patient_twice",
                where=item.where,
                given=code,
            )
        seen.add(code or "")
        patients.append((item, patient, outcome))
    if trip is None or p.problems:
        return None
    zone = _zone(trip.site)
    arrival = _aware(p.values.get("hospital_arrival"), zone)
    returned = _aware(p.values.get("time_returned"), zone)
    _within_trip_day(p, "hospital_arrival", arrival, trip)
    _within_trip_day(p, "time_returned", returned, trip)
    if arrival and returned and returned < arrival:
        p.problem(
            "time_returned",
            _("is before the time the trip reached the hospital"),
            code="intake.returned_before_arrival",
        )
    if p.problems:
        return None
    pk = trip.pk
    steps: list[Step] = []
    if arrival is not None:

        def arrive(by: Actor, extra: dict[str, Any]) -> None:
            trip = _fresh(pk)
            if trip.hospital_arrived_at is not None and trip.hospital_arrived_at == arrival:
                return
            transfers.record_hospital_arrival(trip, at=arrival, by=by, extra=extra, source=source, certainty=certainty)

        steps.append(Step(arrive, p.where, {"at": "hospital_arrival"}))
    for item, patient, outcome in patients:
        assert patient is not None and outcome is not None
        note = item.values.get("outcome_note") or ""
        follow_up_due = item.values.get("follow_up_due")

        def record(
            by: Actor,
            extra: dict[str, Any],
            patient: Patient = patient,
            outcome: str = outcome,
            note: str = note,
            follow_up_due: dt.date | None = follow_up_due,
        ) -> None:
            transfers.record_outcome(
                _fresh(pk),
                patient=patient,
                outcome=outcome,
                note=note,
                follow_up_due=follow_up_due,
                at=arrival,
                by=by,
                extra=extra,
                source=source,
                certainty=certainty,
            )

        steps.append(
            Step(
                record,
                item.where,
                {
                    "patient": "patient_code",
                    "note": "outcome_note",
                    "follow_up_due": "follow_up_due",
                    "at": "hospital_arrival",
                },
                about=(patient.code,),
            )
        )
    if returned is not None:

        def come_back(by: Actor, extra: dict[str, Any]) -> None:
            trip = _fresh(pk)
            if trip.returned_at is not None and trip.returned_at == returned:
                return
            transfers.record_return(trip, at=returned, by=by, extra=extra, source=source, certainty=certainty)

        steps.append(Step(come_back, p.where, {"at": "time_returned"}))
    answers = {
        "trip": pk,
        "hospital_arrival": _iso(arrival),
        "patients": [
            {
                "patient_code": patient.code,
                "outcome": outcome,
                "outcome_note": item.values.get("outcome_note"),
                "follow_up_due": _iso(item.values.get("follow_up_due")),
            }
            for item, patient, outcome in patients
            if patient is not None
        ],
        "time_returned": _iso(returned),
        "note": p.values.get("note"),
        "source": source,
        "certainty": certainty,
    }
    return Plan(p, answers, steps)


# --------------------------------------------------------------------------------------------- death


def _plan_death(p: Parsed) -> Plan | None:
    source, certainty = _evidence(p)
    patient = _patient(p, p.values.get("patient_code"), p.where)
    day = _required(p, "date_of_death")
    answer = _required(p, "after_denied_care", _("is required: yes or no"), "intake.no_yes_or_no")
    circumstances = p.values.get("circumstances") or ""
    if patient is None or p.problems:
        return None
    after_denied_care = answer == "yes"

    def die(by: Actor, extra: dict[str, Any]) -> None:
        deaths.record_death(
            patient,
            on=day,
            circumstances=circumstances,
            after_denied_care=after_denied_care,
            by=by,
            extra=extra,
            source=source,
            certainty=certainty,
        )

    answers = {
        "patient_code": patient.code,
        "date_of_death": _iso(day),
        "after_denied_care": after_denied_care,
        "circumstances": circumstances or None,
        "source": source,
        "certainty": certainty,
    }
    fields = {"on": "date_of_death", "circumstances": "circumstances"}
    return Plan(p, answers, [Step(die, p.where, fields, about=(patient.code,))])


# ------------------------------------------------------------------------------------ supply delivery


def _delivery(p: Parsed, number: str, where: Phrase, site: Site | None) -> Any:
    from corridor.supplies.models import Delivery

    if not re.match(DELIVERY_NUMBER_PATTERN, number.upper()):
        p.problem(
            "delivery_number",
            _("'%(given)s' is not a delivery number such as D-12"),
            code="intake.bad_delivery_number",
            where=where,
            given=number,
        )
        return None
    pk = int(number.upper().removeprefix("D-"))
    delivery = _mine(Delivery.objects.select_related("site", "item").filter(pk=pk)).first()
    if delivery is None:
        p.problem(
            "delivery_number",
            _("no delivery D-%(delivery)s in the register"),
            code="intake.no_delivery",
            where=where,
            delivery=pk,
        )
    elif site is not None and delivery.site_id != site.pk:
        p.problem(
            "delivery_number",
            _("delivery D-%(delivery)s is for %(actual)s, not %(given)s"),
            code="intake.delivery_other_camp",
            where=where,
            delivery=pk,
            actual=delivery.site.code,
            given=site.code,
        )
    return delivery


def _plan_supply_delivery(p: Parsed) -> Plan | None:
    """Each supply on the form is decided through its request when there is one, else recorded as blocked."""
    from corridor.supplies import actions as supplies
    from corridor.supplies import autonomy
    from corridor.supplies.models import Delivery, SupplyItem

    source, certainty = _evidence(p)
    _required(p, "site")
    site = _site(p)
    day = _required(p, "delivery_date")
    reason = p.values.get("reason_given") or ""
    items = p.repeats.get("items", [])
    if not items:
        p.problem(
            "items",
            _(
                "no supplies listed. CSV from KoBoToolbox, and ODK Central's table of submissions alone, leave "
                "repeat groups out: import KoBoToolbox's XLSX or JSON export, or ODK Central's full ZIP download"
            ),
            code="intake.no_supplies",
        )
    rows: list[tuple[Item, dict[str, Any], Any, Any]] = []
    for item in items:
        v = item.values
        category, status = v.get("category"), v.get("status")
        quantity, allowed, unit = v.get("quantity"), v.get("quantity_allowed"), v.get("unit") or ""
        for name in ("category", "status"):
            if v.get(name) is None:
                p.problem(name, IS_REQUIRED, code="intake.required", where=item.where)
        if quantity is not None and not unit:
            p.problem(
                "unit",
                _("is required with a quantity (litres, kilograms, rations…)"),
                code="intake.no_unit",
                where=item.where,
            )
        if status == "partly_allowed" and allowed is None:
            p.problem(
                "quantity_allowed",
                _("is required when the delivery was partly let through"),
                code="intake.no_quantity_allowed",
                where=item.where,
            )
        if status == "blocked" and allowed:
            p.problem(
                "quantity_allowed",
                _("a blocked delivery lets nothing through: choose partly let through"),
                code="intake.blocked_lets_nothing",
                where=item.where,
            )
        if quantity is not None and allowed is not None and allowed > quantity:
            p.problem(
                "quantity_allowed",
                _("is more than the %(quantity)s brought"),
                code="intake.more_than_brought",
                where=item.where,
                quantity=quantity,
            )
        stock_item = None
        code = v.get("item_code")
        if code and site is not None:
            stock_item = SupplyItem.objects.filter(site=site, code=code).first()
            if stock_item is None:
                p.problem(
                    "item_code",
                    _("%(site)s has no item '%(given)s' on its stock list"),
                    code="intake.no_item",
                    where=item.where,
                    site=site.code,
                    given=code,
                )
            elif category and stock_item.category != category:
                p.problem(
                    "category",
                    _("%(item)s is %(actual)s, not %(given)s"),
                    code="intake.item_other_category",
                    where=item.where,
                    item=code,
                    actual=stock_item.category,
                    given=category,
                )
        delivery = _delivery(p, v["delivery_number"], item.where, site) if v.get("delivery_number") else None
        if delivery is not None and stock_item is not None and delivery.item_id not in (None, stock_item.pk):
            p.problem(
                "delivery_number",
                _("delivery D-%(delivery)s is not of %(item)s"),
                code="intake.delivery_other_item",
                where=item.where,
                delivery=delivery.pk,
                item=code,
            )
        elif delivery is not None and category and delivery.category != category:
            p.problem(
                "delivery_number",
                _("delivery D-%(delivery)s is %(actual)s, not %(given)s"),
                code="intake.delivery_other_category",
                where=item.where,
                delivery=delivery.pk,
                actual=delivery.category,
                given=category,
            )
        rows.append((item, v, stock_item, delivery))
    if site is None or p.problems:
        return None
    service_fields = {
        "item": "item_code",
        "on": "delivery_date",
        "quantity": "quantity",
        "quantity_allowed": "quantity_allowed",
        "unit": "unit",
        "status": "status",
        "reason": "reason_given",
    }
    steps: list[Step] = []
    for item, v, stock_item, delivery in rows:

        def decide(
            by: Actor,
            extra: dict[str, Any],
            v: dict[str, Any] = v,
            stock_item: Any = stock_item,
            delivery: Any = delivery,
        ) -> None:
            what = stock_item.code if stock_item is not None else v["category"]
            target = delivery
            if target is None:
                requests = Delivery.objects.filter(site=site, status=Delivery.Status.REQUESTED, requested_on__lte=day)
                requests = (
                    requests.filter(item=stock_item)
                    if stock_item is not None
                    else requests.filter(item__isnull=True, category=v["category"])
                )
                found = list(requests.order_by("requested_on", "pk")[:2])
                if len(found) > 1:
                    raise InvalidInput(
                        _("%(site)s has several open requests for %(item)s: give the number"),
                        "delivery_number",
                        code="intake.several_requests",
                        site=site.code,
                        item=what,
                    )
                target = found[0] if found else None
            if target is None and v["status"] != "blocked":
                raise InvalidInput(
                    _(
                        "no open request for %(item)s at %(site)s: a delivery let through is recorded against its "
                        "request; a coordinator records the request first (or give its delivery number)"
                    ),
                    "delivery_number",
                    code="intake.no_request",
                    item=what,
                    site=site.code,
                )
            if target is None:
                supplies.record_blocked_delivery(
                    site=site,
                    item=what,
                    on=day,
                    quantity=v.get("quantity"),
                    unit=v.get("unit") or "",
                    reason=reason,
                    by=by,
                    extra=extra,
                    source=source,
                    certainty=certainty,
                )
                return
            amount = v.get("quantity_allowed") if v["status"] == "partly_allowed" else v.get("quantity")
            if v["status"] == "blocked":
                amount = None
            if amount is not None and target.unit:
                try:
                    amount = autonomy.convert(amount, v.get("unit") or target.unit, target.unit, item=what)
                except autonomy.UnitMismatch as exc:
                    raise InvalidInput(exc.template, "unit", code=exc.code, **exc.values) from None
            supplies.decide_delivery(
                target,
                status=v["status"],
                on=day,
                quantity_allowed=amount,
                reason=reason,
                by=by,
                extra=extra,
                source=source,
                certainty=certainty,
            )

        steps.append(Step(decide, item.where, service_fields))
    answers = {
        "site": site.code,
        "delivery_date": _iso(day),
        "items": [
            {
                "category": v.get("category"),
                "item_code": v.get("item_code"),
                "delivery": delivery.pk if delivery is not None else None,
                "status": v.get("status"),
                "quantity": v.get("quantity"),
                "quantity_allowed": v.get("quantity_allowed"),
                "unit": v.get("unit"),
            }
            for _, v, _, delivery in rows
        ],
        "reason_given": reason or None,
        "note": p.values.get("note"),
        "source": source,
        "certainty": certainty,
    }
    return Plan(p, answers, steps)


PLANNERS: dict[str, Callable[[Parsed], Plan | None]] = {
    "gate_incident": _plan_gate_incident,
    "trip_outcome": _plan_trip_outcome,
    "death": _plan_death,
    "supply_delivery": _plan_supply_delivery,
}


# ---------------------------------------------------------------------------------------------- import


def import_export(
    data: bytes,
    *,
    platform: str,
    filename: str = "",
    by: Actor,
    dry_run: bool = False,
) -> ImportReport:
    """Import an ODK Central or KoBoToolbox export: every submission, or none.

    Raises InvalidInput when the file itself cannot be read (naming the row or sheet), NotAllowed for a
    role that may not record at the gate. Otherwise returns the report; when it lists a rejected
    submission, nothing was written. With ``dry_run`` everything is checked and nothing is written.
    """
    require(by, Can.RECORD_GATE)
    if platform not in PLATFORMS:
        raise InvalidInput(
            _("must be one of %(choices)s"), "platform", code="intake.unknown_platform", choices=", ".join(PLATFORMS)
        )
    export = read_export(data, filename)
    if export.platform is not None and export.platform != platform:
        made_by = PLATFORMS[export.platform]
        raise InvalidInput(
            _(
                "this is an export from %(made_by)s, not %(chosen)s: import it as one from %(made_by)s "
                "(corridor import %(platform)s)"
            ),
            "platform",
            code="intake.other_platform",
            made_by=made_by,
            chosen=PLATFORMS[platform],
            platform=export.platform,
        )
    return apply_export(export, platform=platform, name=filename or "(upload)", by=by, dry_run=dry_run)


def apply_export(
    export: Export,
    *,
    platform: str,
    name: str,
    by: Actor,
    dry_run: bool = False,
    source: str = "",
    then: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Check every submission of ``export``, then record them all in one transaction, or none.

    The one path of every way in: a file, a pull from a server, a push. ``source`` names the configured
    server they came from (kept with each submission in the ledger). ``then`` is called inside the
    transaction once everything is recorded, so that what the caller writes about it (a job's result)
    commits with it or not at all.
    """
    require(by, Can.RECORD_GATE)
    report = ImportReport(platform, name, export.description, dry_run)
    parsed = parse_export(export)
    plans: list[tuple[SubmissionReport, Plan | None]] = []
    checking = _importer_sites.set(site_ids(by))
    try:
        _plan_all(parsed, report, plans)
    finally:
        _importer_sites.reset(checking)
    try:
        with transaction.atomic():
            ledger.lock()  # imports queue here, so two imports of one file cannot both apply it
            _apply(plans, platform=platform, file_format=export.format, by=by, source=source)
            if report.rejected or dry_run:
                raise _Rejected
            _settle_refusals(report)
            if then is not None:
                then(report)
    except _Rejected:
        for entry in report.submissions:  # rolled back: nothing was written
            if entry.status == "imported":
                entry.status, entry.seqs = "ready", ()
    return report


def _plan_all(parsed: list[Parsed], report: ImportReport, plans: list[tuple[SubmissionReport, Plan | None]]) -> None:
    """Check each parsed submission and plan what recording it will do, into ``report`` and ``plans``."""
    for p in parsed:
        entry = SubmissionReport(p.where, p.instance_id, p.form.key if p.form else "", "rejected")
        report.submissions.append(entry)
        plan = None
        if not p.problems and p.form is not None:
            if p.excluded:
                entry.status, entry.note = "excluded", p.excluded
                continue
            plan = PLANNERS[p.form.key](p)
        entry.problems = p.problems
        if plan is None and _recorded_unchanged(entry, p):
            continue
        plans.append((entry, plan))


def _answers_only(raw: Any) -> Any:
    """A submission's answers, without the server's bookkeeping (``_id``, ``__system``, review states…)."""
    if isinstance(raw, dict):
        return {k: _answers_only(v) for k, v in raw.items() if not str(k).startswith("_")}
    if isinstance(raw, list):
        return [_answers_only(v) for v in raw]
    return raw


def _recorded_unchanged(entry: SubmissionReport, p: Parsed) -> bool:
    """Whether a submission that fails today's checks was recorded before with exactly these answers.

    A pull reads a form's whole history each time. A submission recorded months ago is checked against
    today's register, which may have moved on (a second trip the same day now makes "camp, date and
    hospital" ambiguous); refusing it would block every later pull of that server. It was recorded: it is
    a duplicate. A submission whose answers differ from what was recorded stays refused.
    """
    from corridor.ledger.models import Entry

    known = ImportedSubmission.objects.filter(instance_id__in=p.ids).first() if p.ids else None
    if known is None or not known.seqs:
        return False
    entries = list(Entry.objects.filter(seq__in=known.seqs).order_by("seq"))
    # Entries that follow from others (a departure with an arrival at the gate) do not carry the submission,
    # and an erased patient's entry reads as erased.
    copies = [e.payload["submission"] for e in entries if isinstance(e.payload.get("submission"), dict)]
    if not _same_answers(copies, entries, _answers_only(p.raw)):
        return False
    entry.status, entry.problems, entry.seqs = "duplicate", [], tuple(known.seqs)
    entry.note = Phrase.of(ALREADY_IMPORTED, when=Phrase.of(LEDGER_ENTRIES, entries=_span(tuple(known.seqs))))
    return True


def _same_answers(copies: list[dict[str, Any]], entries: list[Any], answers: dict[str, Any]) -> bool:
    """Whether the copies a submission's entries kept are of ``answers``.

    A copy written before entries kept their own part holds the whole submission. Since, each holds its
    part (:mod:`corridor.intake.portions`): each is compared with that part of ``answers``, and every patient
    ``answers`` names must be one the entries are about, so that a passenger added later is not taken for a
    copy. An erased patient's part cannot be read, so it is not compared.
    """

    def normal(value: Any) -> str:
        return canonical.canonical_json({"v": value})

    whole = next((c.get("data") for c in copies if portions.PART not in c), None)
    if whole is not None:
        return normal(_answers_only(whole)) == normal(answers)
    parts = [(c[portions.PART], _answers_only(c.get("data"))) for c in copies]
    about = {s.split(":", 1)[1] for e in entries for s in e.subjects if s.startswith("patient:")}
    return (
        bool(parts)
        and set(sealing.patient_codes(answers)).issubset(about)
        and all(normal(data) == normal(portions.portion(answers, part)) for part, data in parts)
    )


def _settle_refusals(report: ImportReport) -> None:
    """A submission refused before (pulled or pushed) and now recorded, or left out, no longer waits."""
    settled = [s.instance_id for s in report.submissions if s.instance_id and s.status != "rejected"]
    if settled:
        Refusal.objects.filter(instance_id__in=settled, settled_at__isnull=True).update(settled_at=timezone.now())


def _apply(
    plans: list[tuple[SubmissionReport, Plan | None]], *, platform: str, file_format: str, by: Actor, source: str = ""
) -> None:
    """Skip duplicates, run every other plan through the services; refusals go into the report."""
    ids = {i for _, plan in plans if plan for i in (*plan.parsed.ids, *plan.parsed.replaces)}
    known = {row.instance_id: row for row in ImportedSubmission.objects.filter(instance_id__in=ids)}
    in_file: dict[str, tuple[SubmissionReport, Plan]] = {}
    recorded_by = ledger.actor_name(by)
    for entry, plan in plans:
        if plan is None:
            if not entry.problems:
                entry.problems.append(Problem(entry.where, None, _("cannot be imported"), "intake.cannot_import"))
            continue
        p = plan.parsed
        if _is_duplicate(entry, plan, known, in_file):
            continue
        for ident in p.ids:
            in_file[ident] = (entry, plan)
        before = ledger.head()[0]
        copy: dict[str, Any] = {
            "id": f"uuid:{p.instance_id}",
            "form": p.form.key if p.form else "",
            "via": f"{platform} {file_format}",
        }
        if source:
            copy["source"] = source
        try:
            with transaction.atomic():
                for step in plan.steps:
                    _run(step, by, {"submission": _part(copy, p.raw, step.about)}, p)
                seqs = tuple(range(before + 1, ledger.head()[0] + 1))
                # The answers sealed under the data key of the patient the entries are about, so erasing
                # them shreds these too; compared with a later copy by their HMACs, never in the clear.
                person = sealing.person_of(Subject.objects.filter(entry_id__in=seqs).values_list("key", flat=True))
                digests = sealing.digests(plan.answers)
                rows = []
                # One row per ID the submission goes by (instanceID, and _uuid when it differs), so that
                # an export naming it by either is known again.
                for ident in p.ids:
                    owner, sealed = sealing.seal(plan.answers, sealing.ANSWERS, ident, person)
                    rows.append(
                        ImportedSubmission(
                            instance_id=ident,
                            form=entry.form,
                            answers=sealed,
                            digests=digests,
                            owner=owner,
                            seqs=list(seqs),
                            platform=platform,
                            file_format=file_format,
                            imported_at=timezone.now(),
                            imported_by=recorded_by,
                        )
                    )
                ImportedSubmission.objects.bulk_create(rows)
        except _StepFailed:
            entry.problems = p.problems
            continue
        entry.status, entry.seqs = "imported", seqs


def _part(copy: dict[str, Any], raw: dict[str, Any], about: tuple[str, ...]) -> dict[str, Any]:
    """What one step's entries keep of a submission: its own part of the answers, never another patient's
    (their texts are sealed under the key of the patient they are about: corridor.intake.portions)."""
    return {**copy, "data": portions.portion(raw, about), portions.PART: list(about)}


class _StepFailed(Exception):
    pass


def _run(step: Step, by: Actor, extra: dict[str, Any], p: Parsed) -> None:
    try:
        step.run(by, extra)
    except InvalidInput as exc:
        # The service's own code and values: said in the reader's language as its refusal is elsewhere.
        name = step.fields.get(exc.field or "", exc.field) if exc.field else None
        p.problems.append(Problem.refused(step.where, name, exc))
        raise _StepFailed from None
    except CorridorError as exc:
        p.problems.append(Problem.refused(step.where, None, exc))
        raise _StepFailed from None


def _is_duplicate(
    entry: SubmissionReport,
    plan: Plan,
    known: dict[str, ImportedSubmission],
    in_file: dict[str, tuple[SubmissionReport, Plan]],
) -> bool:
    """A submission imported before is skipped when its answers are the same; an edited one is refused."""
    p = plan.parsed
    for replaced in p.replaces:
        if replaced in known:
            seqs = tuple(known[replaced].seqs)
            p.problem(
                None,
                _(
                    "this is an edited version of submission uuid:%(replaced)s, imported as ledger entries "
                    "%(entries)s: record a correction of those entries instead"
                ),
                code="intake.edited",
                replaced=replaced,
                entries=_span(seqs),
            )
            entry.problems = p.problems
            return True
    for ident in p.ids:
        earlier = known.get(ident)
        when: Phrase
        if earlier is not None:
            seqs = tuple(earlier.seqs)
            when = Phrase.of(LEDGER_ENTRIES, entries=_span(seqs))
            changed = _changed_since(earlier, plan.answers)
        elif ident in in_file:
            first, first_plan = in_file[ident]
            seqs = first.seqs
            when = Phrase.of(_("%(where)s of this file"), where=first.where)
            changed = _changed(first_plan.answers, plan.answers)
        else:
            continue
        if changed:
            p.problem(
                None,
                _(
                    "submission uuid:%(ident)s was imported before (%(when)s) with other answers (%(changed)s): "
                    "record a correction of those entries instead"
                ),
                code="intake.imported_with_other_answers",
                ident=ident,
                when=when,
                changed=", ".join(changed),
            )
            entry.problems = p.problems
        else:
            entry.status, entry.seqs, entry.note = "duplicate", seqs, Phrase.of(ALREADY_IMPORTED, when=when)
        return True
    return False


def _changed_since(earlier: ImportedSubmission, answers: dict[str, Any]) -> list[str]:
    """Which answers differ from those recorded, by their HMACs; by the sealed answers once the key the HMACs
    were made with is gone; all of them ("everything") once those cannot be opened either (an erased patient)."""
    found = sealing.changed(earlier.digests, answers)
    if found is not None:
        return found
    return _changed(earlier.opened_answers(), answers)


def _changed(before: Any, after: dict[str, Any]) -> list[str]:
    if not isinstance(before, dict):
        return ["everything"]
    normal = canonical.canonical_json
    return sorted(k for k in {*before, *after} if normal({"v": before.get(k)}) != normal({"v": after.get(k)}))
