"""A recorded plan's strong LP bound, computed in the background after the plan is recorded (issue #19).

The planner records its plan with the quick Lagrangian dual's bound: it does not wait for the strong LP
relaxation, which is slower but usually proves more. Once the plan's entry is written, a task solves
that LP for the plan's own recorded instance and records the outcome as a ``plan.lp_bound`` entry that
names the plan's entry, the instance hash and the solver, so an auditor can recompute it. The plan, its
entry and ``corridor plan replay`` are untouched: the bound is a fact about the plan, recorded after it.

One entry per plan, whatever the outcome (proved, timed out, failed, or refused because the LP claims
more than the plan's own value, which would be a bug): a second run of the task records nothing.

The task waits on a queue of its own behind every job people ask for, and the LP runs in a child
process at the lowest priority that gives way as soon as such a job is queued or the worker is asked
to stop (``corridor.planning.aside``): the task is then queued again and nothing is recorded yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _
from django_tasks import task

from corridor.errors import InvalidInput
from corridor.jobs import queues
from corridor.ledger import canonical
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

log = logging.getLogger(__name__)

EVENT = "plan.lp_bound"

# The LP of the 450-patient benchmark instance solves in seconds; this only stops a runaway.
LP_SECONDS = 600.0
# A bound neither recorded nor failed this long after its plan is not waited for on the page any more:
# the worker may be down. The page then says so instead of spinning.
WAIT_SECONDS = LP_SECONDS + 300.0

PROVED, TIMED_OUT, FAILED, REFUSED = "proved", "timed_out", "failed", "refused"
PENDING, WEAKER, NOT_WAITED, NONE = "pending", "weaker", "not_waited", "none"

# Where a plan's LP bound stands, as the plan page and the API say it (:func:`shown`).
STATES: dict[str, str] = {
    PENDING: "being computed; ask again",
    PROVED: "proved, and stronger than the quick dual",
    WEAKER: "proved, but no more than the quick dual",
    TIMED_OUT: "no optimal LP solution within the time limit",
    FAILED: "computing it failed",
    REFUSED: "the LP claimed more than the plan's own value, which would be a bug; never shown",
    NOT_WAITED: "no answer in time: the worker may be down",
    NONE: "not computed for this plan (searched against the clock, or the quick dual already meets its value)",
}
# Which bound is shown: the stronger one, never above the plan's value.
SOURCES: dict[str, str] = {
    "dual": "the planner's quick Lagrangian bound, recorded with the plan",
    "lp": "the strong LP relaxation's, recorded after the plan in its own entry",
}


def wanted(payload: dict[str, Any]) -> bool:
    """Whether the LP could tell anything about this plan: it is reproducible (its instance is in the
    entry) and the quick bound leaves a gap."""
    planner = payload.get("planner") or {}
    return planner.get("mode") == "reproducible" and float(payload.get("lower_bound") or 0) < float(
        payload.get("objective") or 0
    )


def enqueue(plan: Entry) -> None:
    """Queue the LP bound of ``plan``; called in the transaction that records the plan, so the task's
    row commits with the plan or not at all."""
    prove_plan_bound.enqueue(plan.seq)


def recorded(plan: Entry) -> Entry | None:
    """The ``plan.lp_bound`` entry about ``plan``, if there is one."""
    candidates = Entry.objects.filter(type=EVENT, seq__gt=plan.seq, body__contains=f'"plan":{plan.seq}')
    return next((e for e in candidates.order_by("seq") if e.payload.get("plan") == plan.seq), None)


def prove(plan: Entry, *, time_limit: float = LP_SECONDS) -> Entry | None:
    """Compute ``plan``'s strong LP bound and record it as a ``plan.lp_bound`` entry.

    Returns the new entry, or None when one is already recorded or the plan has nothing to prove (searched
    against the clock, so its instance is not in the entry, or its quick bound already equals its value).
    The LP is solved outside any transaction, in a child process (:func:`corridor.planning.aside.relax_aside`);
    only the append holds the write lock. Raises :class:`corridor.planning.aside.GaveWay`, recording
    nothing, when the child gave way to someone's job or to a stop signal.
    """
    from corridor.planning import aside
    from corridor.planning.bounds import solver_name

    if plan.type != "plan.proposed":
        raise InvalidInput(_("ledger entry %(seq)s is not a plan"), "plan", code="plan.not_a_plan", seq=plan.seq)
    payload = plan.payload
    if not wanted(payload) or recorded(plan) is not None:
        return None
    planner = payload["planner"]
    objective = float(payload["objective"])
    bound: int | None = None
    # The plan's entry is hash-chained (``corridor verify`` finds a changed instance); the bound names
    # the instance hash the plan recorded.
    try:
        relaxation = aside.relax_aside(
            planner["instance"], planner["inputs"], time_limit, give_way=queues.people_waiting
        )
    except aside.GaveWay:
        raise
    except aside.ChildFailed as exc:
        log.error("LP bound of plan %s failed: %s", plan.seq, exc)
        outcome, reason = FAILED, str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, and the page says so
        log.exception("LP bound of plan %s failed", plan.seq)
        outcome, reason = FAILED, f"{type(exc).__name__}"
    else:
        if not relaxation.optimal:
            outcome, reason = TIMED_OUT, f"no optimal LP solution within {time_limit:g} seconds"
        elif relaxation.bound > objective:
            # A bound above a plan that exists is no bound: the LP or the planner is wrong. Recorded
            # as refused, never shown.
            log.error("LP bound %s of plan %s is above its value %s", relaxation.bound, plan.seq, objective)
            outcome, reason = REFUSED, f"the LP bound {relaxation.bound:g} is above the plan's value {objective:g}"
        else:
            outcome, reason, bound = PROVED, "", int(relaxation.bound)
    body = {
        "plan": plan.seq,
        "site": payload["site"],
        "date": payload["date"],
        "instance_sha256": planner["instance_sha256"],
        "method": "strong LP relaxation (corridor.planning.bounds.recorded_plan_relaxation)",
        "solver": solver_name(),
        "time_limit": time_limit,
        "outcome": outcome,
        "reason": reason,
        "bound": bound,
        "objective": payload["objective"],
        "quick_bound": payload["lower_bound"],
    }
    with transaction.atomic():
        # Two deliveries of the task may race: the plan's row, locked, lets one of them write.
        Entry.objects.select_for_update().filter(pk=plan.pk).first()
        if recorded(plan) is not None:
            return None
        return ledger.append(EVENT, by=None, subjects=[f"site:{payload['site']}"], payload=body)


@task(queue_name=queues.ASIDE)
def prove_plan_bound(seq: int) -> str:
    """The background task: record plan entry ``seq``'s LP bound (see :func:`prove`). Returns the outcome,
    or ``gave way`` when it was queued again for later."""
    from corridor.planning import aside

    plan = Entry.objects.filter(seq=seq, type="plan.proposed").first()
    if plan is None:
        return "missing"
    try:
        entry = prove(plan)
    except aside.GaveWay as stopped:
        prove_plan_bound.enqueue(seq)
        if stopped.signum is not None:
            aside.act_on(stopped.signum)  # the worker stops as it was asked to; the bound waits in the queue
        return "gave way"
    return "recorded nothing" if entry is None else entry.payload["outcome"]


@dataclass(frozen=True)
class Shown:
    """The bound the plan page shows: the stronger of those recorded, never above the plan's value.

    ``source`` is one of :data:`SOURCES` (``lp``: the LP relaxation's, entry ``lp_entry``), ``state`` one
    of :data:`STATES` (``not_waited``: no answer within ``WAIT_SECONDS``)."""

    bound: int
    objective: int
    source: str
    state: str
    lp_entry: int | None = None
    lp_bound: int | None = None

    @property
    def gap(self) -> float:
        return (self.objective - self.bound) / self.objective if self.objective > 0 else 0.0

    @property
    def pending(self) -> bool:
        return self.state == PENDING


def shown(plan: Entry, now: dt.datetime | None = None) -> Shown:
    """What the plan page says about ``plan``'s bound now (see :class:`Shown`)."""
    payload = plan.payload
    objective = int(payload.get("objective") or 0)
    dual = min(int(float(payload.get("lower_bound") or 0)), objective)
    lp = recorded(plan)
    if lp is not None:
        outcome = lp.payload["outcome"]
        found = lp.payload.get("bound")
        if outcome == PROVED and found is not None and dual < found <= objective:
            return Shown(found, objective, "lp", PROVED, lp.seq, found)
        state = WEAKER if outcome == PROVED else outcome
        return Shown(dual, objective, "dual", state, lp.seq, found if outcome == PROVED else None)
    if not wanted(payload):
        return Shown(dual, objective, "dual", NONE)
    now = now or dt.datetime.now(dt.UTC)
    waited = (now - canonical.parse_time(plan.recorded_at)).total_seconds()
    if waited > WAIT_SECONDS or _task_ended(plan.seq):
        return Shown(dual, objective, "dual", NOT_WAITED)
    return Shown(dual, objective, "dual", PENDING)


def _task_ended(seq: int) -> bool:
    """Whether this plan's task ended without recording (a crash, a killed worker) and is not queued or
    running again (a task that gave way to someone's job is queued again)."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path=prove_plan_bound.module_path).order_by("-pk")[:50]
    states = {r.status for r in rows if r.args_kwargs.get("args") == [seq]}
    return bool(states) and not states & {"READY", "RUNNING"}
