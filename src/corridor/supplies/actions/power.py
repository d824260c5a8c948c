"""Power: generators (reference data) and the hours each ran and the fuel it burned on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.register.models import Site
from corridor.register.scoping import require_site
from corridor.supplies import autonomy
from corridor.supplies.actions._common import _code, _day, _g, _number, _require_any, _text
from corridor.supplies.models import Generator, PowerDay, SupplyItem
from corridor.validate import evidence as _evidence


def add_generator(
    *, site: Site, code: str, fuel: SupplyItem, litres_per_hour: float, synthetic: bool = False, by: Actor
) -> Generator:
    """A generator burning ``fuel`` (an item kept in litres) at ``litres_per_hour`` at the camp's usual load."""
    _require_any(by, Can.MANAGE_REFERENCE, Can.MANAGE_TRIPS)
    code = _code(code)
    if fuel.site_id != site.pk:
        raise InvalidInput(_("%(item)s is an item of another site"), "fuel", code="supply.other_site", item=fuel.code)
    try:
        autonomy.convert(1, "litres", fuel.unit, item=fuel.code)
    except autonomy.UnitMismatch:
        raise InvalidInput(
            _("a generator's fuel is kept in litres; %(item)s is kept in %(unit)s"),
            "fuel",
            code="generator.fuel_not_litres",
            item=fuel.code,
            unit=fuel.unit,
        ) from None
    rate = _number(litres_per_hour, "litres_per_hour")
    if not rate:
        raise InvalidInput(_("must be more than zero"), "litres_per_hour", code="generator.no_burn_rate")
    with transaction.atomic():
        if Generator.objects.filter(site=site, code=code).exists():
            raise Conflict(
                _("%(site)s already has a generator %(generator)s"),
                code="generator.exists",
                site=site.code,
                generator=code,
            )
        generator = Generator.objects.create(
            site=site, code=code, fuel=fuel, litres_per_hour=rate, synthetic=bool(synthetic)
        )
        ledger.append(
            "power.generator_added",
            by=by,
            subjects=[f"site:{site.code}", f"generator:{code}", f"supply:{fuel.code}"],
            payload={
                "site": site.code,
                "generator": code,
                "fuel": fuel.code,
                "litres_per_hour": rate,
                "synthetic": bool(synthetic),
            },
        )
    return generator


def record_power_day(
    *,
    generator: Generator,
    on: dt.date,
    hours_run: float | None = None,
    fuel_used: float | None = None,
    outage_hours: float | None = None,
    note: str = "",
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> PowerDay:
    """A generator's hours on one day and the hours the camp was without power, as far as they are known.

    Only the figures given are stored: hours not given stay unknown (pages show an estimate from the fuel
    used, marked as one), and so do outage hours (a generator that ran 5 hours does not tell how long the
    camp was without power: another source may have supplied it). At least one figure must be given.
    """
    require(by, Can.MANAGE_TRIPS)
    require_site(by, generator.site)  # only at a site the user works at; another site's is not found
    on = _day(on)
    hours = _number(hours_run, "hours_run", allow_none=True)
    fuel = _number(fuel_used, "fuel_used", allow_none=True)
    outage = _number(outage_hours, "outage_hours", allow_none=True)
    if hours is None and fuel is None and outage is None:
        raise InvalidInput(
            _("give the hours the generator ran, the fuel it used or the hours without power"),
            "hours_run",
            code="power.no_hours",
        )
    # Fuel is not held to the day: the burn rate is the usual load's, and a heavier load burns more.
    for field, value in (("hours_run", hours), ("outage_hours", outage)):
        if value is not None and value > 24 + 1e-9:
            raise InvalidInput(_("a day has %(hours)s hours"), field, code="power.more_than_a_day", hours=24)
    if hours is not None and outage is not None and hours + outage > 24 + 1e-9:
        raise InvalidInput(
            _("%(hours)s hours run and %(outage)s without power make more than a day"),
            "outage_hours",
            code="power.more_than_a_day",
            hours=_g(hours),
            outage=_g(outage),
        )
    _evidence(source, certainty)
    note = _text(note, "note")
    with transaction.atomic():
        if PowerDay.objects.filter(generator=generator, on=on).exists():
            raise Conflict(
                _("%(generator)s's hours on %(on)s are already recorded; correct that entry instead"),
                code="power.already_recorded",
                generator=generator.code,
                on=on,
            )
        entry = ledger.append(
            "power.recorded",
            by=by,
            subjects=[f"site:{generator.site.code}", f"generator:{generator.code}"],
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                "site": generator.site.code,
                "generator": generator.code,
                "date": on.isoformat(),
                "hours_run": _rounded(hours),
                "outage_hours": _rounded(outage),
                "fuel_used": fuel,
                "note": note or None,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        return PowerDay.objects.create(
            generator=generator,
            on=on,
            hours_run=_rounded(hours),
            outage_hours=_rounded(outage),
            fuel_used=fuel,
            note=note,
            source=source,
            certainty=certainty,
            recorded_seq=entry.seq,
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
