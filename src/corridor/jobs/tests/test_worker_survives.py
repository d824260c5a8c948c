"""The worker lives through a round the database does not answer, says so, and runs the work next round.

Seen in the demo: a plan asked for through the API held SQLite's write lock for the minutes the planner
searched; the worker's next look at the schedule waited its thirty seconds, got "database is locked",
and the worker died. Nothing said so, and no job, plan bound or scheduled check ran again.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError

from corridor.jobs import worker


@pytest.mark.django_db
def test_a_round_the_database_refuses_is_said_and_tried_again_and_the_work_then_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refusals = [OperationalError("database is locked")]
    served: list[str] = []
    pauses: list[float] = []

    def due() -> list[str]:
        if refusals:
            raise refusals.pop()
        return ["scheduled verify: job 7"]

    closed: list[int] = []

    def close_old_connections() -> None:
        # What the loop asks of Django is recorded, not done: closing the test's own connection inside its
        # transaction would leave PostgreSQL's unusable for the rest of the test.
        closed.append(len(said))

    monkeypatch.setattr(worker, "_due", due)
    monkeypatch.setattr(worker, "serve_once", lambda name, *, aside: served.append(name))
    monkeypatch.setattr(worker, "close_old_connections", close_old_connections)
    monkeypatch.setattr(worker.time, "sleep", pauses.append)
    said: list[str] = []
    worker.loop(batch=True, interval=0.1, say=said.append)

    assert "the database did not answer (database is locked); trying again" in said[1]
    assert said[2] == "scheduled verify: job 7"
    assert len(served) == 1  # the round that failed ran nothing; the next ran everything
    assert pauses == [worker.RETRY_SECONDS]
    # Before each round, and once more after the refusal so that a connection it broke is opened afresh.
    assert closed == [1, 2, 2]


@pytest.mark.django_db
def test_an_error_that_is_not_the_databases_still_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[str]:
        raise KeyError("a bug")

    monkeypatch.setattr(worker, "_due", broken)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.time, "sleep", lambda seconds: None)
    with pytest.raises(KeyError):
        worker.loop(batch=True, say=lambda line: None)
