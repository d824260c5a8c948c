"""What "today" is. A scenario carries its own clock so that the demo's waits and deadlines make sense.

Order: ``CORRIDOR_TODAY`` if set; else the clock of the most recently loaded scenario; else the real date.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_noop as _


def today() -> dt.date:
    override: dt.date | None = getattr(settings, "TODAY", None)
    if override:
        return override
    from corridor.register.models import Scenario

    clock = Scenario.objects.exclude(today=None).order_by("-loaded_seq").values_list("today", flat=True).first()
    return clock or dt.date.today()


# The scenario clock as one SQL sub-query, for the ledger's append: it reads the clock in the same
# statement as the chain's head, under the append lock, instead of two ORM queries per entry (which
# cost more than the insert itself).
SCENARIO_TODAY_SQL = (
    "SELECT today FROM register_scenario WHERE today IS NOT NULL ORDER BY loaded_seq DESC LIMIT 1"
)


def today_from(scenario_today: object) -> dt.date:
    """:func:`today`, given the value :data:`SCENARIO_TODAY_SQL` selected (a date, its ISO text, or NULL)."""
    override: dt.date | None = getattr(settings, "TODAY", None)
    if override:
        return override
    if isinstance(scenario_today, str):
        return dt.date.fromisoformat(scenario_today)
    if isinstance(scenario_today, dt.date):
        return scenario_today
    return dt.date.today()


def now_on(day: dt.date, real: dt.datetime) -> dt.datetime:
    """:func:`now` when :func:`today` is already known to be ``day``."""
    if day == real.date():
        return real
    return dt.datetime.combine(day, real.timetz())


def now(real: dt.datetime | None = None) -> dt.datetime:
    """The current instant on Corridor's clock: the real time of day, on :func:`today`'s date.

    Without a scenario clock or ``CORRIDOR_TODAY`` this is simply the real time. In the demo, an event
    recorded without a time of its own is placed on the scenario's date, not in the real year; the
    ledger's ``recorded_at`` always stays the real time.
    """
    real = real or dt.datetime.now(dt.UTC)
    return now_on(today(), real)


def start_of(day: dt.date) -> dt.datetime:
    """Midday UTC on ``day``: the instant recorded for events known only by their date."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)


# ----------------------------------------------------------------------------------- truthful times
#
# One validator for every stored moment and date. A moment after "now" on Corridor's clock (plus a small
# tolerance, CORRIDOR_CLOCK_TOLERANCE_MINUTES) is refused, and so is one before what it depends on. With
# a scenario clock (or CORRIDOR_TODAY) on another date than the real one, the real time of day means
# nothing there: the whole of the scenario's date counts as past, in any time zone.

# A trip event may be recorded up to this long before the moment its request was recorded: a request
# written down after the fact carries the time it was written, not always the time it was made.
REQUEST_MARGIN = dt.timedelta(days=1)
# The latest instant that is still the given date somewhere (UTC−12).
_LAST_ZONE = dt.timezone(dt.timedelta(hours=-12))


def latest_moment(real: dt.datetime | None = None, zone: str | None = None) -> dt.datetime:
    """The latest instant that may be recorded as having happened: now, plus the tolerance.

    On a scenario clock, the end of the scenario's date in time zone ``zone`` (the site's; when it is
    not known, the last time zone on Earth).
    """
    real = real or dt.datetime.now(dt.UTC)
    tolerance = dt.timedelta(minutes=getattr(settings, "CLOCK_TOLERANCE_MINUTES", 10))
    day = today()
    if day == real.date():
        return real + tolerance
    where: dt.tzinfo = _LAST_ZONE
    if zone:
        import zoneinfo

        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            where = zoneinfo.ZoneInfo(zone)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=where) + tolerance


def check_moment(
    field: str,
    value: object,
    *,
    not_before: dt.datetime | None = None,
    what: str = "",
    now: dt.datetime | None = None,
    zone: str | None = None,
) -> dt.datetime:
    """``value`` if it is an aware date and time that has happened and is not before ``not_before``.

    ``what`` names what it depends on (``_("the trip was requested")``: a message id, said in the reader's
    language). Raises InvalidInput naming ``field``.
    """
    from corridor.errors import InvalidInput

    if not isinstance(value, dt.datetime):
        raise InvalidInput(_("must be a date and time"), field, code="moment.not_a_time")
    if value.tzinfo is None:
        raise InvalidInput(_("must include a time zone"), field, code="moment.no_time_zone")
    limit = latest_moment(now, zone)
    if value > limit:
        raise InvalidInput(
            _("%(moment)s is in the future (Corridor's clock: %(today)s)"),
            field,
            code="moment.in_future",
            moment=value.astimezone(dt.UTC),
            today=today(),
        )
    if not_before is not None and value < not_before:
        raise InvalidInput(
            _("%(moment)s is before %(what)s (%(not_before)s)"),
            field,
            code="moment.too_early",
            moment=value.astimezone(dt.UTC),
            what=what or _("what it depends on"),
            not_before=not_before.astimezone(dt.UTC),
        )
    return value


def check_day(field: str, value: object, *, not_before: dt.date | None = None, what: str = "") -> dt.date:
    """``value`` if it is a date not after today (Corridor's clock) and not before ``not_before``."""
    from corridor.errors import InvalidInput

    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidInput(_("must be a date"), field, code="date.not_a_date")
    day = today()
    if value > day:
        raise InvalidInput(_("%(day)s is after today (%(today)s)"), field, code="date.in_future", day=value, today=day)
    if not_before is not None and value < not_before:
        raise InvalidInput(
            _("%(day)s is before %(what)s (%(not_before)s)"),
            field,
            code="date.too_early",
            day=value,
            what=what or _("what it depends on"),
            not_before=not_before,
        )
    return value


def date_only(moment: object) -> bool:
    """Whether a ledger payload says its moment is known only by its date (``"precision": "date"``)."""
    return isinstance(moment, dict) and moment.get("precision") == "date"
