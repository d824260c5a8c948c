"""Replaying a referral's standing visits and closings gives the row the episodes of care gave as they happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from corridor.register import episodes

VISIT_ON = dt.date(2014, 9, 8)
OUTCOMES = st.sampled_from(episodes.SEEN + episodes.NOT_SEEN)
VISITS = st.lists(st.tuples(OUTCOMES, st.booleans()), max_size=8)


def _recorded(visits: list[tuple[str, bool]]) -> tuple[list[tuple[str, dict[str, Any]]], episodes.Standing]:
    """The entries the services write for ``visits`` (outcome, follow-up asked?) and the row they leave."""
    entries: list[tuple[str, dict[str, Any]]] = []
    status, due, closed_on = episodes.WAITING, None, None
    for n, (outcome, asked) in enumerate(visits):
        day = VISIT_ON + dt.timedelta(days=7 * n)
        care_goes_on = outcome in episodes.SEEN and outcome != "care_complete"
        follow_up = day + dt.timedelta(days=5) if (asked and care_goes_on) or outcome == "follow_up" else None
        entries.append(("patient.seen", {"outcome": outcome, "follow_up_due": follow_up and follow_up.isoformat()}))
        step = episodes.next_state(status, outcome, follow_up)
        if step is None:
            continue
        if step.closes:
            entries.append(("referral.closed", {"reason": step.status, "closed_on": day.isoformat()}))
            status, closed_on = step.status, day
        else:
            status, due = step.status, step.follow_up_due
    return entries, episodes.Standing(status, due, closed_on)


@given(VISITS)
def test_replaying_the_entries_of_the_visits_gives_the_row_the_services_left(visits: list[tuple[str, bool]]) -> None:
    entries, row = _recorded(visits)
    assert episodes.replay(entries) == row


def test_a_care_complete_visit_whose_closing_is_retracted_leaves_the_referral_where_the_visits_before_it_did() -> None:
    admitted = ("patient.seen", {"outcome": "admitted", "follow_up_due": None})
    complete = ("patient.seen", {"outcome": "care_complete", "follow_up_due": None})
    assert episodes.replay([admitted, complete]) == episodes.Standing("in_care", None, None)
    assert episodes.replay([complete]) == episodes.Standing("waiting", None, None)
