"""Scheduled work, defined in one place: what runs, when, as which job.

``corridor worker`` calls :func:`run_due` between tasks (``corridor jobs --run-due`` does it once, for
cron). An item is due when it never ran or its rule's latest occurrence is after its last run; each run
is an ordinary job, so its outcome, progress and result are the job's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.functional import Promise, lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

UTC = dt.UTC


def _local(text: str) -> str:
    """Digits in the reader's language (the schedule page); the CLI keeps ``describe``'s English."""
    from django.utils.translation import get_language

    from corridor.web.l10n import digits

    return digits(text, get_language())


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` minutes after the last run."""

    minutes: int

    def latest(self, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        return now if last is None else last + dt.timedelta(minutes=self.minutes)

    def describe(self) -> str:
        return f"every {self.minutes} min"

    def said(self) -> str:
        n = self.minutes
        return ngettext("every %(minutes)s min", "every %(minutes)s min", n) % {"minutes": _local(str(n))}


@dataclass(frozen=True)
class Daily:
    """Every day at ``hour``:``minute`` UTC."""

    hour: int
    minute: int = 0

    def latest(self, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        today = now.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return today if today <= now else today - dt.timedelta(days=1)

    def describe(self) -> str:
        return f"daily at {self.hour:02d}:{self.minute:02d} UTC"

    def said(self) -> str:
        return gettext("daily at %(time)s UTC") % {"time": _local(f"{self.hour:02d}:{self.minute:02d}")}


@dataclass(frozen=True)
class Monthly:
    """On day ``day`` of every month at ``hour``:00 UTC."""

    day: int
    hour: int = 0

    def latest(self, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        this = now.replace(day=self.day, hour=self.hour, minute=0, second=0, microsecond=0)
        if this <= now:
            return this
        previous = (this.replace(day=1) - dt.timedelta(days=1)).replace(day=self.day)
        return previous

    def describe(self) -> str:
        return f"monthly on day {self.day} at {self.hour:02d}:00 UTC"

    def said(self) -> str:
        return gettext("monthly on day %(day)s at %(time)s UTC") % {
            "day": _local(str(self.day)),
            "time": _local(f"{self.hour:02d}:00"),
        }


Rule = Every | Daily | Monthly


@dataclass(frozen=True)
class Item:
    name: str
    rule: Rule
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str | Promise = ""  # lazy: translated when the schedule page shows it


ITEMS: tuple[Item, ...] = (
    Item("checkpoint", Every(15), "checkpoint", {"if_due": True}, _("sign a checkpoint when one is due")),
    Item("verify", Daily(2), "verify", {}, _("verify the whole ledger")),
    Item(
        "verify-attachments",
        Daily(2, 30),
        "verify-attachments",
        {},
        _("check every attached file against its hash (as verify --deep)"),
    ),
    Item("monthly-report", Monthly(1, 3), "report", {"month": "previous"}, _("last month's report (PDF)")),
    Item("supply-alerts", Daily(6), "supply-alerts", {}, _("supply items below threshold or short of days")),
)


def _said_pull(label: str) -> SafeString:
    # The source's name and form are machine names, set as code inside the translated sentence.
    return format_html(gettext("pull {source}"), source=format_html("<code>{}</code>", label))


# Lazy, so the schedule page says it in its reader's language; safe, so the code stays code.
_pull_description = lazy(_said_pull, SafeString)


def items() -> tuple[Item, ...]:
    """Every scheduled item: the fixed ones, the retention review once a retention period is set, and a
    pull of each field intake source that has a token."""
    from django.conf import settings

    retention = (
        (Item("retention-due", Daily(4), "retention-due", {}, _("identities past the retention period")),)
        if int(getattr(settings, "RETENTION_YEARS", 0)) > 0
        else ()
    )

    every = Every(int(getattr(settings, "INTAKE_PULL_MINUTES", 15)))
    pulls = tuple(
        Item(
            f"intake-pull-{source.name}",
            every,
            "intake-pull",
            {"source": source.name},
            _pull_description(source.label),
        )
        for source in getattr(settings, "INTAKE_SOURCES", [])
        if source.pulled
    )
    return ITEMS + retention + pulls


def is_due(item: Item, last: dt.datetime | None, now: dt.datetime) -> bool:
    """Pure: whether ``item``, last run at ``last``, is due at ``now``."""
    if last is None:
        return True
    return last < item.rule.latest(last, now) <= now


def next_run(item: Item, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """Pure: when ``item`` is next due (``now`` if it is due already)."""
    if is_due(item, last, now):
        return now
    if isinstance(item.rule, Every):
        return item.rule.latest(last, now)
    probe = now
    step = dt.timedelta(hours=1)
    while not (last is not None and last < item.rule.latest(last, probe)):  # at most ~31 days of hours
        probe += step
    return item.rule.latest(last, probe)


def _params(item: Item, now: dt.datetime) -> dict[str, Any]:
    params = dict(item.params)
    if params.get("month") == "previous":
        from corridor import clock

        first = clock.today().replace(day=1)
        params["month"] = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    return params


@dataclass(frozen=True)
class Queued:
    item: Item
    job: Any


def run_due(now: dt.datetime | None = None) -> list[Queued]:
    """Queue a job for every item that is due at ``now`` (the real time by default)."""
    from corridor.jobs import services
    from corridor.jobs.models import Job

    now = now or dt.datetime.now(UTC)
    queued = []
    for item in items():
        with transaction.atomic():
            last = Job.objects.filter(schedule=item.name).order_by("-id").values_list("created_at", flat=True).first()
            if not is_due(item, last, now):
                continue
            job = services.submit(item.kind, _params(item, now), by=None, schedule=item.name, now=now)
        queued.append(Queued(item, job))
    return queued


@dataclass(frozen=True)
class Status:
    item: Item
    last: Any  # the latest Job of the item, or None
    next_run: dt.datetime


def status(now: dt.datetime | None = None) -> list[Status]:
    """Each scheduled item with its last run (a job, with its outcome) and its next run."""
    from corridor.jobs.models import Job

    now = now or dt.datetime.now(UTC)
    out = []
    for item in items():
        last = Job.objects.filter(schedule=item.name).order_by("-id").first()
        out.append(Status(item, last, next_run(item, last.created_at if last else None, now)))
    return out
