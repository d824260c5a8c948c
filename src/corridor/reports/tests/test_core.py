"""The pure indicator maths, against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.reports import core, ssa
from corridor.reports.core import Column, Period, Table


def test_a_month_is_counted_to_today_while_it_runs_and_to_its_last_day_after() -> None:
    running = Period.month("2014-10", dt.date(2014, 10, 14))
    assert (running.start, running.end, running.as_of, running.complete) == (
        dt.date(2014, 10, 1),
        dt.date(2014, 10, 31),
        dt.date(2014, 10, 14),
        False,
    )
    past = Period.month("2014-02", dt.date(2014, 10, 14))
    assert past.as_of == dt.date(2014, 2, 28) and past.complete
    assert Period.month("2014-03", dt.date(2014, 10, 14)).previous(3).label == "2013-12"


@pytest.mark.parametrize("text", ["2014-13", "2014-1", "October", "", "2015-01", "1899-12"])
def test_a_month_that_is_malformed_or_not_yet_begun_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"YYYY-MM|not begun|before 1900"):
        Period.month(text, dt.date(2014, 10, 14))


@pytest.mark.parametrize(
    ("birth_year", "group"),
    [
        (1997, "<18"),
        (1996, "18-40"),
        (1974, "18-40"),
        (1973, "41-60"),
        (1954, "41-60"),
        (1953, ">60"),
        (None, "unknown"),
    ],
)
def test_age_groups_follow_the_who_bands(birth_year: int | None, group: str) -> None:
    assert core.age_group(birth_year, 2014) == group


@given(st.integers(1900, 2014))
def test_the_birth_year_bounds_used_in_sql_give_the_same_age_group(birth_year: int) -> None:
    matches = [
        label
        for label, earliest, latest in core.age_bounds(2014)
        if (earliest is None or birth_year >= earliest) and (latest is None or birth_year <= latest)
    ]
    assert matches == [core.age_group(birth_year, 2014)]


def test_a_request_is_approved_or_denied_only_when_the_answer_came_by_the_trip_date() -> None:
    trip, as_of = dt.date(2014, 10, 5), dt.date(2014, 10, 20)
    assert core.classify_request("approved", dt.date(2014, 10, 5), trip, as_of) == "approved"
    assert core.classify_request("denied", dt.date(2014, 10, 1), trip, as_of) == "denied"
    assert core.classify_request("approved", dt.date(2014, 10, 6), trip, as_of) == "delayed"
    assert core.classify_request(None, None, trip, as_of) == "delayed"
    assert core.classify_request(None, None, dt.date(2014, 10, 21), as_of) == "not_due"


def test_percentiles_interpolate_between_ranks() -> None:
    assert core.percentile([4, 34], 50) == 19
    assert core.percentile([4, 34], 90) == pytest.approx(31)
    assert core.percentile([1, 2, 3, 4, 100], 50) == 3
    assert core.percentile([], 50) is None
    assert core.rate(1, 8) == 12.5 and core.rate(3, 0) is None


def test_kaplan_meier_matches_the_product_limit_worked_by_hand() -> None:
    # Seen on days 4 and 34; still waiting (censored) at 18, 19, 30, 30 and 80.
    curve = core.kaplan_meier([4, 18, 19, 30, 30, 34, 80], [True, False, False, False, False, True, False])
    # At day 4: 1 of 7 seen -> S = 6/7. At day 34: 2 still followed, 1 seen -> S = 6/7 * 1/2 = 3/7.
    assert curve.share_by(3) == 0
    assert curve.share_by(4) == pytest.approx(1 / 7)
    assert curve.share_by(33) == pytest.approx(1 / 7)
    assert curve.share_by(34) == pytest.approx(4 / 7)
    assert curve.median == 34
    assert (curve.at_risk, curve.events, curve.censored) == (7, 2, 5)


def test_kaplan_meier_without_anyone_seen_never_reaches_half() -> None:
    curve = core.kaplan_meier([3, 10], [False, False])
    assert curve.median is None and curve.share_by(100) == 0
    assert core.kaplan_meier([], []).share_by(5) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=25))
def test_kaplan_meier_agrees_with_the_textbook_product_limit(data: list[tuple[int, bool]]) -> None:
    durations = [d for d, _ in data]
    seen = [s for _, s in data]
    curve = core.kaplan_meier(durations, seen)
    for day in range(0, 62, 3):
        survival = 1.0
        for t in sorted({d for d, s in data if s and d <= day}):
            at_risk = sum(1 for d in durations if d >= t)
            events = sum(1 for d, s in data if s and d == t)
            survival *= 1 - events / at_risk
        assert curve.share_by(day) == pytest.approx(1 - survival, abs=1e-9)


def _table() -> Table:
    return Table(
        "t",
        [
            Column("category", "label"),
            Column("requests"),
            Column("denied"),
            Column("denial_rate", "rate", numerators=("denied",), basis="requests"),
        ],
        [["a", 40, 3, 7.5], ["b", 12, 0, 0.0], ["c", 4, 2, 50.0], ["d", 9, 9, 100.0]],
    )


def test_public_tables_blank_small_counts_and_whatever_would_reveal_them() -> None:
    shown = core.suppress(_table())
    rows = {row[0]: row[1:] for row in shown.rows}
    # c's 4 requests are blanked, and so is the next smallest (d's 9) so c cannot be found by subtraction.
    assert rows["c"][0] is None and rows["d"][0] is None
    assert rows["a"][0] == 40 and rows["b"][0] == 12
    # Denied: a's 3 and c's 2 are primary; zero is shown.
    assert rows["a"][1] is None and rows["c"][1] is None and rows["b"][1] == 0 and rows["d"][1] == 9
    # A rate is blank when its numerator or its basis is blank.
    assert rows["a"][2] is None and rows["c"][2] is None and rows["d"][2] is None and rows["b"][2] == 0.0
    assert _table().rows[0][1] == 40  # the original is untouched


def test_a_lone_blank_part_of_a_total_takes_a_sibling_with_it() -> None:
    table = Table(
        "t",
        [
            Column("category", "label"),
            Column("requests"),
            Column("approved", part_of="requests"),
            Column("denied", part_of="requests"),
            Column("delayed", part_of="requests"),
        ],
        [["a", 30, 20, 2, 8], ["b", 30, 25, 5, 0], ["c", 30, 10, 10, 10]],
    )
    rows = {row[0]: row[1:] for row in core.suppress(table).rows}
    # a: denied 2 is blank; delayed 8, the smallest other, goes too — or 30 − 20 − 8 would give it away.
    assert rows["a"] == [30, 20, None, None]
    # The denied column now has one blank (a); its smallest other non-zero cell (b's 5) goes too,
    # and then b's approved, the only other non-zero part, so that b's 5 cannot be recovered either.
    assert rows["b"][2] is None and rows["b"][1] is None and rows["b"][3] == 0
    assert rows["c"][0] == 30


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_no_public_count_from_one_to_four_survives_and_a_lone_blank_cannot_be_recovered(counts: list[int]) -> None:
    table = Table("t", [Column("category", "label"), Column("n")], [[str(i), n] for i, n in enumerate(counts)])
    shown = [row[1] for row in core.suppress(table).rows]
    assert not any(isinstance(v, int) and 0 < v < 5 for v in shown)
    blanked = [i for i, v in enumerate(shown) if v is None]
    if blanked:
        nonzero_shown = [v for v in shown if v]
        assert len(blanked) >= 2 or not nonzero_shown


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=6))
def test_no_blank_part_of_a_total_can_be_recovered_from_its_row(parts: list[tuple[int, int, int]]) -> None:
    columns = [Column("category", "label"), Column("total")] + [
        Column(name, part_of="total") for name in ("x", "y", "z")
    ]
    table = Table("t", columns, [[str(i), sum(p), *p] for i, p in enumerate(parts)])
    for row in core.suppress(table).rows:
        blank = [v for v in row[2:] if v is None]
        if row[1] is not None and blank:
            # With the total shown, at least two parts must be unknown (or the rest are all zero).
            assert len(blank) >= 2 or all(v == 0 for v in row[2:] if v is not None)


def test_headline_values_for_the_public_hide_small_counts_their_rates_and_their_complements() -> None:
    from corridor.reports.catalogue import Value, public_values

    values = {
        "requests.total": Value.of_count(30),
        "requests.approved": Value.of_count(20, part_of="requests.total"),
        "requests.denied": Value.of_count(2, part_of="requests.total"),
        "requests.delayed": Value.of_count(8, part_of="requests.total"),
        "requests.denial_rate": Value(100 * 2 / 30, 30, numerators=("requests.denied",)),
        "requests.approval_rate": Value(100 * 20 / 30, 30, numerators=("requests.approved",)),
        "care.within_deadline_rate": Value(25.0, 12, numerators=(3,)),
        "care.days_median": Value(4.0, 3),
        "deaths.while_waiting": Value.of_count(0),
    }
    shown = public_values(values)
    assert shown["requests.denied"] is None and shown["requests.delayed"] is None
    assert shown["requests.denial_rate"] is None and shown["requests.approval_rate"] == pytest.approx(200 / 3)
    assert shown["care.within_deadline_rate"] is None  # 3 of 12
    assert shown["care.days_median"] is None  # a median of three people
    assert shown["requests.total"] == 30 and shown["deaths.while_waiting"] == 0


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("C16.9", "II neoplasms"),
        ("I20.0", "IX circulatory"),
        ("H26.9", "VII eye"),
        ("", "not coded"),
        ("D50", "III blood and immune"),
    ],
)
def test_diagnosis_groups_are_icd10_chapters(code: str, group: str) -> None:
    assert core.diagnosis_group(code) == group


def test_incidents_take_the_ssa_vocabulary_and_keep_unknown_kinds_as_recorded() -> None:
    assert ssa.attack_type("Obstruction to delivery of care") == "obstruction"
    assert ssa.attack_type("obstruction") == "obstruction"
    assert ssa.attack_type("checkpoint closed for the day") == "checkpoint closed for the day"
    assert ssa.resource("Health care transport") == "transport"
    blocked = ssa.from_entry(9, "supply.blocked", {"item": "oxygen", "date": "2014-10-03"}, "document", "confirmed")
    assert (blocked.attack_type, blocked.resource, blocked.item) == ("obstruction", "supplies", "oxygen")
    assert blocked.deaths is None  # not recorded is not zero


def test_corrections_apply_in_order_to_an_incident() -> None:
    incident = ssa.from_entry(
        3,
        "incident.recorded",
        {"kind": "abduction", "resource": "patients", "date": "2014-10-11", "description": "x"},
        "witness",
        "unverified",
        [{"certainty": "probable"}, {"certainty": "confirmed", "resource": "personnel"}],
    )
    assert (incident.certainty, incident.resource, incident.source) == ("confirmed", "personnel", "witness")


# ------------------------------------------------------------------------------------ competing risks


def test_the_aalen_johansen_estimate_matches_a_hand_worked_cohort() -> None:
    # Six referrals: seen on day 1; died on day 2 and seen on day 2; still waiting at day 3; seen on
    # day 4; left on day 5. By hand: CIF_care = 1/6 at day 1, 1/6 + (5/6)(1/5) = 1/3 at day 2, and
    # 1/3 + (1/2)(1/2) = 7/12 at day 4; CIF_died = 1/6 from day 2; CIF_left = (1/4)(1/1) = 1/4 at day 5.
    durations = [1, 2, 2, 3, 4, 5]
    causes = [core.CARE, core.DIED, core.CARE, core.CENSORED, core.CARE, core.LEFT]
    found = core.aalen_johansen(durations, causes)
    assert found.days == (1.0, 2.0, 4.0, 5.0)
    assert found.by_cause[core.CARE] == pytest.approx((1 / 6, 1 / 3, 7 / 12, 7 / 12))
    assert found.by_cause[core.DIED] == pytest.approx((0, 1 / 6, 1 / 6, 1 / 6))
    assert found.by_cause[core.LEFT] == pytest.approx((0, 0, 0, 1 / 4))
    assert found.share_by(core.CARE, 3.5) == pytest.approx(1 / 3) and found.share_by(core.CARE, 0.5) == 0
    # Everyone ends somewhere: the three shares add up to one once nobody is left at risk.
    assert sum(found.by_cause[k][-1] for k in core.CAUSES) == pytest.approx(1)
    # The naive curve, deaths and leaving censored, says two thirds are seen by day 4: more than 7/12.
    naive = core.kaplan_meier(durations, [c == core.CARE for c in causes])
    assert naive.share_by(4) == pytest.approx(2 / 3)
    assert found.share_by(core.CARE, 4) == pytest.approx(7 / 12)


def test_the_aalen_johansen_estimate_refuses_what_it_cannot_mean() -> None:
    with pytest.raises(ValueError):
        core.aalen_johansen([1, 2], [core.CARE])
    with pytest.raises(ValueError):
        core.aalen_johansen([1], [7])
    assert core.aalen_johansen([], []).share_by(core.CARE, 10) is None
    assert core.aalen_johansen([3, 4], [core.CENSORED, core.CENSORED]).share_by(core.CARE, 10) == 0.0


@given(
    st.lists(
        st.tuples(st.floats(0.01, 400, allow_nan=False), st.sampled_from((0, 1, 1, 1, 2, 3))),
        min_size=2,
        max_size=60,
        unique_by=lambda pair: pair[0],
    )
)
@settings(max_examples=40, deadline=None)
def test_the_aalen_johansen_estimate_equals_lifelines_on_random_data(pairs: list[tuple[float, int]]) -> None:
    import warnings

    from lifelines import AalenJohansenFitter

    durations = [d for d, _ in pairs]
    causes = [c for _, c in pairs]
    found = core.aalen_johansen(durations, causes)
    for cause in core.CAUSES:
        if cause not in causes:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = AalenJohansenFitter(calculate_variance=False).fit(durations, causes, event_of_interest=cause)
        table = reference.cumulative_density_
        for when, value in zip(table.index, table.iloc[:, 0], strict=True):
            assert found.share_by(cause, float(when)) == pytest.approx(float(value), abs=1e-9), (cause, when)
