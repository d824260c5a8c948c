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


def start_of(day: dt.date) -> dt.datetime:
    """Midday UTC on ``day``: the instant recorded for events known only by their date."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)
