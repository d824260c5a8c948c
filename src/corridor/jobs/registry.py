"""The job kinds, defined once: name -> the function that runs it, its label and who may start it.

Pure: dotted paths only, imported when a job runs, so no app imports the jobs app to be runnable and
the jobs app imports no other app's models at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Result:
    """What a finished job leaves: one sentence, and optionally a link, data and a file.

    ``answer`` is an English template marked for translation with its named ``values`` (as a refusal's),
    so the workspace says it in the reader's language; the API, the CLI and the logs keep it filled in."""

    answer: str
    link: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None
    filename: str = ""
    media_type: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        return self.answer % self.values if self.values else self.answer


class Progress(Protocol):
    """How far a job is: a fraction and a sentence (an English template marked for translation, its
    ``values`` named), and optionally ``data`` shown while it runs (a plan job's first answer), replaced
    by the result's data when it finishes."""

    def __call__(self, fraction: float, text: str, data: dict[str, Any] | None = None, **values: Any) -> None: ...


# A kind computes what it can outside any transaction (reporting progress), then returns ``finish``: the
# writes, run in one transaction together with the job's own completion, so a job killed mid-way has
# written nothing.
Finish = Callable[[], Result]


@dataclass(frozen=True)
class WritesItself:
    """Work whose service opens its own write transaction (computing first, outside it) and calls
    ``complete`` with the result inside that transaction, so the job's completion commits with the
    work's ledger entry without holding the write lock while it computes."""

    run: Callable[[Callable[[Result], None]], None]


Run = Callable[[dict[str, Any], Any, Progress], Finish | WritesItself]


@dataclass(frozen=True)
class Kind:
    name: str
    target: str  # "module:function"
    label: str
    permission: str | None  # a corridor.accounts.roles.Can value, checked when the job is asked for


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("plan", "corridor.jobs.kinds:plan_proposal", "plan proposal", "manage_trips"),
        Kind("report", "corridor.jobs.kinds:monthly_report", "monthly report", "read_ledger"),
        Kind("export", "corridor.jobs.kinds:export", "export", "export"),
        Kind("simulation", "corridor.jobs.kinds:simulation", "simulation", "read_ledger"),
        Kind("checkpoint", "corridor.jobs.kinds:checkpoint", "checkpoint", "manage_users"),
        Kind("verify", "corridor.jobs.kinds:verify", "ledger verification", "read_ledger"),
        Kind("verify-attachments", "corridor.jobs.kinds:verify_attachments", "attached files check", "read_ledger"),
        Kind("supply-alerts", "corridor.jobs.kinds:supply_alerts", "supply alerts", "read_ledger"),
        Kind("retention-due", "corridor.jobs.kinds:retention_due", "retention review", "erase_identities"),
        Kind("intake-pull", "corridor.jobs.kinds:intake_pull", "field intake pull", "record_gate"),
    )
}


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no job kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def resolve(name: str) -> Run:
    module_name, attribute = kind(name).target.split(":")
    run: Run = getattr(importlib.import_module(module_name), attribute)
    return run
