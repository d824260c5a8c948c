"""What "today" is. A scenario carries its own clock so that the demo's waits and deadlines make sense.

Order: ``CORRIDOR_TODAY`` if set; else the clock of the most recently loaded scenario; else the real date.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def today() -> dt.date:
    override: dt.date | None = getattr(settings, "TODAY", None)
    if override:
        return override
    from corridor.register.models import Scenario

    clock = Scenario.objects.exclude(today=None).order_by("-loaded_seq").values_list("today", flat=True).first()
    return clock or dt.date.today()


def now(real: dt.datetime | None = None) -> dt.datetime:
    """The current instant on Corridor's clock: the real time of day, on :func:`today`'s date.

    Without a scenario clock or ``CORRIDOR_TODAY`` this is simply the real time. In the demo, an event
    recorded without a time of its own is placed on the scenario's date, not in the real year; the
    ledger's ``recorded_at`` always stays the real time.
    """
    real = real or dt.datetime.now(dt.UTC)
    day = today()
    if day == real.date():
        return real
    return dt.datetime.combine(day, real.timetz())


def start_of(day: dt.date) -> dt.datetime:
    """Midday UTC on ``day``: the instant recorded for events known only by their date."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)
