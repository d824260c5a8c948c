"""Load a scenario file through the services, so that every record it creates is in the ledger.

A scenario is loaded in one transaction: all of it or nothing. Loading one that is already loaded
(same name, same checksum) does nothing; a different file under a loaded name is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import DataError, transaction
from django.utils.translation import gettext_noop as _

from corridor import jsonlimits
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.register import services as register
from corridor.register.models import Facility, Patient, Referral, Scenario, Site
from corridor.supplies import actions as supplies
from corridor.supplies.models import Generator as SupplyGenerator
from corridor.transfers import companions, deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

BUILT_IN = {"demo-camp": Path(__file__).with_name("demo-camp.json")}


@dataclass(frozen=True)
class LoadResult:
    name: str
    loaded: bool
    entries: tuple[int, int]
    counts: dict[str, int]

    def describe(self) -> str:
        first, last = self.entries
        if not self.loaded:
            return f"scenario {self.name} is already loaded (ledger entries {first}–{last}); nothing to do"
        parts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        return f"loaded scenario {self.name}: {parts}; ledger entries {first}–{last}"


def resolve(name_or_path: str) -> Path:
    if name_or_path in BUILT_IN:
        return BUILT_IN[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise InvalidInput(
            _("no built-in scenario %(scenario)r (known: %(known)s) and no such file"),
            code="scenario.unknown",
            scenario=name_or_path,
            known=", ".join(BUILT_IN),
        )
    return path


def load(name_or_path: str) -> LoadResult:
    path = resolve(name_or_path)
    raw = path.read_bytes()
    try:
        data = jsonlimits.loads(raw)
    except jsonlimits.TooDeep as exc:
        raise InvalidInput(
            _("%(file)s cannot be read: %(detail)s"), code="scenario.too_deep", file=path.name, detail=str(exc)
        ) from None
    except ValueError as exc:  # not JSON, or not UTF-8
        raise InvalidInput(
            _("%(file)s is not valid JSON: %(detail)s"), code="scenario.not_json", file=path.name, detail=str(exc)
        ) from None
    if not isinstance(data, dict) or data.get("format") != "corridor-scenario/1":
        raise InvalidInput(
            _("%(file)s: format must be %(format)s"),
            "format",
            code="scenario.unknown_format",
            file=path.name,
            format="corridor-scenario/1",
        )
    try:
        return _load_checked(path, raw, data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, DataError, ObjectDoesNotExist) as exc:
        # A malformed file: one line saying what is wrong. The transaction has rolled back: nothing is written.
        problem = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
        raise InvalidInput(
            _("%(file)s: %(problem)s"), code="scenario.malformed", file=path.name, problem=problem
        ) from None


def _load_checked(path: Path, raw: bytes, data: dict[str, Any]) -> LoadResult:
    name = str(data.get("name") or "")
    checksum = hashlib.sha256(raw).hexdigest()
    existing = Scenario.objects.filter(name=name).first()
    if existing:
        if existing.checksum != checksum:
            raise Conflict(
                _("another version of scenario %(scenario)s is already loaded; use a fresh data directory"),
                code="scenario.other_version",
                scenario=name,
            )
        first = int(existing.loaded_seq)
        return LoadResult(name, False, (_first_seq_of(existing), first), {})
    with transaction.atomic():
        first_seq = ledger.head()[0] + 1
        counts = _apply(data)
        entry = ledger.append(
            "scenario.loaded",
            by=None,
            subjects=[f"scenario:{name}"],
            payload={
                "scenario": name,
                "sha256": checksum,
                "first_entry": first_seq,
                "counts": counts,
                "description": data.get("description", ""),
            },
        )
        today = dt.date.fromisoformat(data["today"]) if data.get("today") else None
        Scenario.objects.create(name=name, checksum=checksum, today=today, loaded_seq=entry.seq)
    return LoadResult(name, True, (first_seq, entry.seq), counts)


def _first_seq_of(scenario: Scenario) -> int:
    entry = ledger.Entry.objects.get(seq=scenario.loaded_seq)
    return int(entry.payload.get("first_entry", scenario.loaded_seq))


def _evidence(item: dict[str, Any]) -> dict[str, Any]:
    return {"source": item.get("source", "system"), "certainty": item.get("certainty", "confirmed")}


def _at(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise InvalidInput(_("time %(value)r lacks a UTC offset"), "at", code="scenario.no_utc_offset", value=text)
    return moment


def _create_site(s: dict[str, Any]) -> Site:
    """A site of the scenario: the camp, or a further one beside it."""
    return register.create_site(
        code=s["code"],
        name=s["name"],
        country=s["country"],
        population=s.get("population", 0),
        time_zone=s.get("time_zone", "UTC"),
        names=s.get("names"),
        by=None,
    )


def _set_rules(site: Site, rules: list[dict[str, Any]]) -> None:
    """A site's access rules, each with the source and certainty it gives."""
    for r in rules:
        fields = {k: v for k, v in r.items() if k not in ("source", "certainty")}
        register.set_access_rules(site=site, by=None, **fields, **_evidence(r))


def _apply(data: dict[str, Any]) -> dict[str, int]:
    register.ensure_priority_classes(by=None)
    site = _create_site(data["site"])
    for f in data.get("facilities", []):
        register.create_facility(
            code=f["code"],
            name=f["name"],
            specialties=f["specialties"],
            opening_hours=f.get("opening_hours"),
            travel_minutes=f.get("travel_minutes", 60),
            closed_dates=f.get("closed_dates", []),
            names=f.get("names"),
            by=None,
        )
    _set_rules(site, data.get("rules", []))
    # Further sites (a crossing beside the camp), each with its own rules; a patient or an action names
    # its site with "site", and without it belongs to the first.
    sites = {site.code: site}
    for extra in data.get("other_sites", []):
        other = _create_site(extra)
        sites[other.code] = other
        _set_rules(other, extra.get("rules", []))
    for p in data.get("patients", []):
        register.register_patient(
            site=sites[p.get("site", site.code)],
            code=p["code"],
            registered_on=dt.date.fromisoformat(p["registered_on"]),
            sex=p.get("sex", "u"),
            birth_year=p.get("birth_year"),
            identity=p.get("identity"),
            depends_on_power=p.get("depends_on_power", False),
            synthetic=p.get("synthetic", False),
            by=None,
            **_evidence(p),
        )
    referrals: dict[str, Referral] = {}
    trips: dict[str, Trip] = {}
    facilities = {f.code: f for f in Facility.objects.all()}
    counts = {
        "patients": len(data.get("patients", [])),
        "referrals": 0,
        "trips": 0,
        "deaths": 0,
        "blocked deliveries": 0,
    }
    for index, action in enumerate(data.get("actions", [])):
        try:
            _apply_action(action, sites[action.get("site", site.code)], facilities, referrals, trips, counts)
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(
                _("actions[%(index)s] (%(action)s): %(detail)s"),
                code="scenario.bad_action",
                index=index,
                action=action.get("action"),
                detail=str(exc),
            ) from None
    return counts


def _apply_action(
    action: dict[str, Any],
    site: Any,
    facilities: dict[str, Facility],
    referrals: dict[str, Referral],
    trips: dict[str, Trip],
    counts: dict[str, int],
) -> None:
    kind = action["action"]
    evidence = _evidence(action)
    synthetic = bool(action.get("synthetic", False))
    if kind == "referral":
        referrals[action["ref"]] = register.create_referral(
            patient=Patient.objects.get(code=action["patient"]),
            specialty=action["specialty"],
            priority=action["priority"],
            referral_date=dt.date.fromisoformat(action["referral_date"]),
            eligible_facilities=[facilities[c] for c in action.get("facilities", [])],
            diagnosis=action.get("diagnosis", ""),
            diagnosis_icd10=action.get("diagnosis_icd10", ""),
            synthetic=synthetic,
            by=None,
            **evidence,
        )
        counts["referrals"] += 1
    elif kind == "trip.request":
        day = dt.date.fromisoformat(action["date"])
        chosen = [Referral.objects.get(pk=referrals[ref].pk) for ref in action["referrals"]]
        trips[action["ref"]] = transfers.request_trip(
            site=site,
            day=day,
            facility=facilities[action["facility"]],
            referrals=chosen,
            synthetic=synthetic,
            by=None,
            at=dt.datetime.combine(day, dt.time(5, 0), tzinfo=dt.UTC),
            **evidence,
        )
        counts["trips"] += 1
    elif kind in ("trip.approve", "trip.deny", "trip.cancel"):
        trip = trips[action["trip"]]
        when = dt.datetime.combine(dt.date.fromisoformat(action["date"]), dt.time(6, 0), tzinfo=dt.UTC)
        if kind == "trip.approve":
            trips[action["trip"]] = transfers.approve_trip(trip, by=None, at=when, **evidence)
        elif kind == "trip.deny":
            trips[action["trip"]] = transfers.deny_trip(
                trip, reason=action.get("reason", ""), by=None, at=when, **evidence
            )
        else:
            trips[action["trip"]] = transfers.cancel_trip(
                trip,
                reason=action.get("reason", ""),
                cancelled_by=action.get("cancelled_by", "authority"),
                by=None,
                at=when,
                **evidence,
            )
    elif kind in ("gate.arrive", "gate.release", "trip.arrive", "trip.return"):
        service = {
            "gate.arrive": transfers.record_gate_arrival,
            "gate.release": transfers.record_gate_release,
            "trip.arrive": transfers.record_hospital_arrival,
            "trip.return": transfers.record_return,
        }[kind]
        trips[action["trip"]] = service(trips[action["trip"]], at=_at(action["at"]), by=None, **evidence)
    elif kind == "outcome":
        trip = trips[action["trip"]]
        transfers.record_outcome(
            trip,
            patient=Patient.objects.get(code=action["patient"]),
            outcome=action["outcome"],
            note=action.get("note", ""),
            follow_up_due=dt.date.fromisoformat(action["follow_up_due"]) if action.get("follow_up_due") else None,
            by=None,
            at=None,  # the scenario gives no time of day: the outcome is known by the trip's date only
            **evidence,
        )
    elif kind == "companion":
        companions.register_companion(
            site=site,
            code=action["code"],
            kind=action["kind"],
            registered_on=dt.date.fromisoformat(action["date"]),
            synthetic=synthetic,
            by=None,
            **evidence,
        )
    elif kind in ("companion.ask", "companion.answer"):
        trip = trips[action["trip"]]
        companion = companions.get_companion(action["companion"])
        # Asked with the request (05:00 UTC on the trip's date), answered with the authority's answer (06:00).
        hour = 5 if kind == "companion.ask" else 6
        when = dt.datetime.combine(dt.date.fromisoformat(action["date"]), dt.time(hour, 0), tzinfo=dt.UTC)
        if kind == "companion.ask":
            companions.ask_companion(
                trip,
                companion=companion,
                for_patient=Patient.objects.get(code=action["for"]),
                note=action.get("note", ""),
                by=None,
                at=when,
                **evidence,
            )
        else:
            companions.record_companion_answer(
                trip,
                companion=companion,
                answer=action["answer"],
                note=action.get("note", ""),
                by=None,
                at=when,
                **evidence,
            )
    elif kind == "death":
        deaths.record_death(
            Patient.objects.get(code=action["patient"]),
            on=dt.date.fromisoformat(action["date"]),
            circumstances=action.get("circumstances", ""),
            after_denied_care=action.get("after_denied_care", False),
            by=None,
            **evidence,
        )
        counts["deaths"] += 1
    elif kind == "supply.blocked":
        supplies.record_blocked_delivery(
            site=site,
            item=action["item"],
            on=dt.date.fromisoformat(action["date"]),
            quantity=action.get("quantity"),
            unit=action.get("unit", ""),
            reason=action.get("reason", ""),
            synthetic=synthetic,
            by=None,
            **evidence,
        )
        counts["blocked deliveries"] += 1
    elif kind.startswith(("supply.", "generator", "power.", "dependence")):
        _apply_supply_action(kind, action, site, evidence, synthetic, counts)
    else:
        raise ValueError(f"unknown action {kind!r}")


def _apply_supply_action(
    kind: str, action: dict[str, Any], site: Any, evidence: dict[str, Any], synthetic: bool, counts: dict[str, int]
) -> None:
    """Supply items, stock counts and adjustments, deliveries, generators, power days and dependences."""
    on = dt.date.fromisoformat(action["date"])
    if kind == "supply.item":
        supplies.define_item(
            site=site,
            code=action["code"],
            name=action["name"],
            category=action["category"],
            unit=action["unit"],
            critical_threshold=action.get("critical_threshold"),
            daily_use_set=action.get("daily_use_set"),
            needs_power=action.get("needs_power", False),
            synthetic=synthetic,
            names=action.get("names"),
            by=None,
        )
        counts["supply items"] = counts.get("supply items", 0) + 1
        return
    if kind == "generator":
        supplies.add_generator(
            site=site,
            code=action["code"],
            fuel=supplies.get_item(site, action["fuel"]),
            litres_per_hour=action["litres_per_hour"],
            synthetic=synthetic,
            by=None,
        )
        return
    if kind == "power.day":
        supplies.record_power_day(
            generator=SupplyGenerator.objects.get(site=site, code=action["generator"]),
            on=on,
            hours_run=action.get("hours_run"),
            fuel_used=action.get("fuel_used"),
            outage_hours=action.get("outage_hours"),
            note=action.get("note", ""),
            by=None,
            **evidence,
        )
        return
    if kind == "dependence":
        supplies.record_dependence(
            patient=Patient.objects.get(code=action["patient"]),
            item=supplies.get_item(site, action["item"]),
            need=action["need"],
            since=on,
            daily_quantity=action.get("daily_quantity"),
            by=None,
            **evidence,
        )
        counts["dependences"] = counts.get("dependences", 0) + 1
        return
    item = supplies.get_item(site, action["item"])
    if kind == "supply.count":
        supplies.record_count(
            item=item, on=on, quantity=action["quantity"], unit=action["unit"], synthetic=synthetic, by=None, **evidence
        )
        counts["stock counts"] = counts.get("stock counts", 0) + 1
    elif kind == "supply.adjust":
        supplies.record_adjustment(
            item=item,
            on=on,
            quantity=action["quantity"],
            unit=action["unit"],
            reason=action["reason"],
            synthetic=synthetic,
            by=None,
            **evidence,
        )
    elif kind == "supply.delivery":
        delivery = supplies.request_delivery(
            site=site,
            item=item,
            on=on,
            quantity=action.get("quantity"),
            unit=action.get("unit", ""),
            synthetic=synthetic,
            by=None,
            **evidence,
        )
        supplies.decide_delivery(
            delivery,
            status=action["status"],
            on=on,
            quantity_allowed=action.get("quantity_allowed"),
            reason=action.get("reason", ""),
            by=None,
            **evidence,
        )
        counts["deliveries allowed"] = counts.get("deliveries allowed", 0) + 1
    else:
        raise ValueError(f"unknown action {kind!r}")
