"""The pure core: use measured from counts, days of autonomy and their range, units, blockade periods."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.notices import Notice
from corridor.supplies import autonomy
from corridor.supplies.autonomy import Count, Decision, Movement

D0 = dt.date(2014, 8, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def test_with_no_consumption_recorded_there_is_no_estimate_rather_than_zero_or_infinity() -> None:
    figures = autonomy.figures([Count(day(0), 500)], [], today=day(3))
    assert figures.use.basis == "none" and figures.use.daily is None
    assert figures.stock == 500  # one count and no use known: the count stands
    assert figures.autonomy is not None
    assert figures.autonomy.days is None and figures.autonomy.run_out is None
    assert figures.autonomy.note == Notice.of("supply.no_use_recorded")


def test_with_nothing_counted_there_is_no_stock_and_no_autonomy() -> None:
    figures = autonomy.figures([], [Movement(day(1), 100)], today=day(3))
    assert figures.stock is None and figures.autonomy is None and figures.last_count is None


def test_a_stock_that_does_not_go_down_has_no_run_out_date() -> None:
    figures = autonomy.figures([Count(day(0), 50), Count(day(7), 50)], [], today=day(7))
    assert figures.use.daily == 0
    assert figures.autonomy is not None and figures.autonomy.days is None
    assert figures.autonomy.note == Notice.of("supply.not_going_down")


def test_use_between_counts_adds_what_came_in_and_gives_stock_over_use() -> None:
    counts = [Count(day(0), 1000), Count(day(10), 600)]
    received = [Movement(day(5), 400)]
    figures = autonomy.figures(counts, received, today=day(10))
    assert figures.use.daily == pytest.approx(80.0)  # (1000 + 400 - 600) / 10
    assert figures.autonomy is not None
    assert figures.autonomy.days == pytest.approx(7.5)
    assert figures.autonomy.run_out == day(18)  # 600 at the close of day 10: gone during the 8th day after


def test_a_negative_correction_is_a_loss_not_consumption_and_lowers_the_stock() -> None:
    counts = [Count(day(0), 1000), Count(day(10), 500)]
    spilt = [Movement(day(4), -200, "adjusted")]
    figures = autonomy.figures(counts, spilt, today=day(10))
    assert figures.use.daily == pytest.approx(30.0)  # 1000 - 200 - 500 over 10 days, not 50
    after = autonomy.figures(counts, [*spilt, Movement(day(11), -100, "adjusted")], today=day(12))
    assert after.stock == pytest.approx(500 - 100 - 2 * 30)


def test_a_correction_below_zero_leaves_no_negative_stock() -> None:
    stock = autonomy.stock_on(day(5), [Count(day(0), 100)], [Movement(day(2), -150, "adjusted")], 10)
    assert stock == 0


def test_a_rise_without_a_delivery_is_named_and_left_out_never_turned_into_negative_use() -> None:
    counts = [Count(day(0), 100), Count(day(5), 50), Count(day(10), 300), Count(day(15), 200)]
    intervals, warnings = autonomy.measured_intervals(counts, [])
    assert [(i.start, i.end) for i in intervals] == [(day(0), day(5)), (day(10), day(15))]
    assert warnings == [Notice.of("supply.unexplained_rise", rise=250.0, start=day(5), end=day(10))]
    figures = autonomy.figures(counts, [], today=day(15))
    assert figures.warnings == tuple(warnings)


def test_the_range_comes_from_the_variability_of_recorded_use() -> None:
    steady = [Count(day(7 * k), 1000 - 70 * k) for k in range(4)]
    varying = [Count(day(0), 1000), Count(day(7), 930), Count(day(14), 790), Count(day(21), 790)]
    calm = autonomy.figures(steady, [], today=day(21))
    rough = autonomy.figures(varying, [], today=day(21))
    assert calm.use.low == calm.use.high == pytest.approx(10.0)
    assert rough.use.daily == pytest.approx(10.0)
    assert rough.use.low is not None and rough.use.high is not None
    assert rough.use.low < 10 < rough.use.high
    assert rough.autonomy is not None
    assert rough.autonomy.days_low is not None and rough.autonomy.days_high is not None
    assert rough.autonomy.days_low < rough.autonomy.days < rough.autonomy.days_high  # type: ignore[operator]
    assert rough.autonomy.run_out_earliest <= rough.autonomy.run_out <= rough.autonomy.run_out_latest  # type: ignore[operator]


def test_recent_use_counts_not_the_use_before_rationing() -> None:
    before = [Count(day(k * 7), 10_000 - 700 * k) for k in range(6)]  # 100 a day for five weeks
    after = [Count(day(35 + 7 * k), 10_000 - 3500 - 140 * k) for k in range(1, 6)]  # then 20 a day
    figures = autonomy.figures([*before, *after], [], today=day(70), window_days=28)
    assert figures.use.daily == pytest.approx(20.0)


def test_a_set_daily_use_takes_precedence_and_keeps_the_measured_spread() -> None:
    varying = [Count(day(0), 1000), Count(day(7), 930), Count(day(14), 790), Count(day(21), 790)]
    measured = autonomy.figures(varying, [], today=day(21))
    chosen = autonomy.figures(varying, [], today=day(21), set_daily=20)
    assert chosen.use.basis == "set" and chosen.use.daily == 20
    spread = (measured.use.high - measured.use.daily) / measured.use.daily  # type: ignore[operator]
    assert chosen.use.high == pytest.approx(20 * (1 + spread))
    alone = autonomy.figures([Count(day(0), 100)], [], today=day(1), set_daily=10)
    assert alone.autonomy is not None and alone.autonomy.days == pytest.approx(9.0)


def test_a_unit_mismatch_is_refused_with_a_clear_error() -> None:
    with pytest.raises(autonomy.UnitMismatch) as refused:
        autonomy.convert(5, "rations", "litres", item="diesel")
    message = str(refused.value)
    assert "diesel is kept in litres" in message and "5 rations cannot be converted" in message
    with pytest.raises(autonomy.UnitMismatch, match="kept in kilograms"):
        autonomy.convert(3, "litres", "kg", item="flour")
    with pytest.raises(autonomy.UnitMismatch, match="needs a unit"):
        autonomy.convert(3, "", "litres")


def test_units_convert_within_their_kind_and_aliases_agree() -> None:
    assert autonomy.convert(2, "m3", "litres") == 2000
    assert autonomy.convert(250, "ml", "L") == pytest.approx(0.25)
    assert autonomy.convert(1.5, "tonnes", "kg") == 1500
    assert autonomy.convert(7, "Vials", "vials") == 7
    assert autonomy.normalise_unit("  Cubic  Meter ") == "cubic metres"


def test_a_blockade_opens_with_the_first_blocked_delivery_and_only_a_full_delivery_ends_it() -> None:
    decisions = [
        Decision(day(0), "allowed"),
        Decision(day(7), "blocked"),
        Decision(day(14), "blocked"),
        Decision(day(21), "partly_allowed", 100, 40),
        Decision(day(28), "allowed"),
        Decision(day(35), "blocked"),
    ]
    periods = autonomy.blockade_periods(decisions)
    assert periods == [autonomy.Period(day(7), day(27)), autonomy.Period(day(35), None)]
    assert autonomy.blocked_since(periods, day(20)) == day(7)
    assert autonomy.blocked_since(periods, day(30)) is None
    assert autonomy.blocked_since(periods, day(40)) == day(35)
    # August 2014 from the 1st (day 0) to the 31st (day 30): days 7–27 blocked.
    assert autonomy.blockade_days(periods, day(0), day(30)) == 21
    assert autonomy.blockade_days(periods, day(0), day(40)) == 21 + 6


def test_the_share_allowed_counts_a_partial_delivery_by_its_fraction_and_skips_the_undecided() -> None:
    share, decided = autonomy.share_allowed(
        [
            Decision(day(0), "allowed"),
            Decision(day(1), "blocked"),
            Decision(day(2), "partly_allowed", 200, 50),
            Decision(day(3), "requested"),
        ]
    )
    assert decided == 3 and share == pytest.approx((1 + 0 + 0.25) / 3)
    assert autonomy.share_allowed([]) == (None, 0)


def test_generator_hours_follow_from_fuel_and_never_pass_a_day() -> None:
    assert autonomy.generator_hours(80, 16) == (5.0, 19.0)
    assert autonomy.generator_hours(1000, 16) == (24.0, 0.0)
    assert autonomy.generator_hours(None, 16) == (None, None)
    with pytest.raises(ValueError):
        autonomy.generator_hours(10, 0)


def test_the_chart_series_has_the_counts_then_a_projection_to_zero() -> None:
    points = autonomy.series([Count(day(0), 100), Count(day(5), 50)], [], start=day(0), end=day(20), daily_use=10)
    assert [p for p in points if p[2]] == [(day(0), 100, True), (day(5), 50, True)]
    projected = [p for p in points if not p[2]]
    assert projected[0] == (day(6), 40, False) and projected[-1] == (day(10), 0, False)


# ------------------------------------------------------------------------------------ properties

quantities = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Count], list[Movement]]:
    """Counts on increasing days with consistent movements in between (use never negative)."""
    stock = draw(quantities)
    counts = [Count(D0, stock)]
    movements: list[Movement] = []
    on = D0
    for _ in range(draw(st.integers(0, 8))):
        on += dt.timedelta(days=draw(st.integers(1, 10)))
        inflow = draw(st.floats(min_value=0, max_value=1e5))
        if inflow:
            movements.append(Movement(on, inflow))
        used = draw(st.floats(min_value=0, max_value=1.0)) * (stock + inflow)
        stock = stock + inflow - used
        counts.append(Count(on, stock))
    return counts, movements


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(0, 30))
def test_autonomy_is_stock_over_use_and_its_range_brackets_it(
    history: tuple[list[Count], list[Movement]], extra_days: int
) -> None:
    counts, movements = history
    today = counts[-1].on + dt.timedelta(days=extra_days)
    figures = autonomy.figures(counts, movements, today=today)
    assert figures.stock is not None and figures.stock >= 0
    result = figures.autonomy
    assert result is not None
    if figures.use.daily:
        assert result.days == pytest.approx(figures.stock / figures.use.daily)
        assert result.days is not None
        if result.days <= autonomy.HORIZON_DAYS:
            assert result.run_out is not None and result.run_out >= today
            assert (result.run_out - today).days == math.ceil(result.days - 1e-9)
        else:
            assert result.run_out is None and result.note == Notice.of("supply.beyond_horizon", days=3650)
        assert result.days_low is not None and result.days_low <= result.days + 1e-9
        if result.days_high is not None:
            assert result.days_high + 1e-9 >= result.days
    else:
        assert result.days is None and result.run_out is None


@settings(max_examples=60, deadline=None)
@given(histories())
def test_measured_use_is_never_negative_and_totals_what_left_the_stock(
    history: tuple[list[Count], list[Movement]],
) -> None:
    counts, movements = history
    intervals, warnings = autonomy.measured_intervals(counts, movements)
    assert not warnings
    assert all(i.used >= 0 for i in intervals)
    total_in = sum(m.quantity for m in movements)
    assert sum(i.used for i in intervals) == pytest.approx(
        counts[0].quantity + total_in - counts[-1].quantity, rel=1e-6, abs=1e-3
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["allowed", "blocked", "partly_allowed"]), max_size=20))
def test_blockade_periods_never_overlap_and_each_starts_on_a_blocked_delivery(statuses: list[str]) -> None:
    decisions = [Decision(day(7 * k), s, 10, 5) for k, s in enumerate(statuses)]
    periods = autonomy.blockade_periods(decisions)
    blocked_days = {d.on for d in decisions if d.status == "blocked"}
    for period in periods:
        assert period.start in blocked_days
    for first, second in zip(periods, periods[1:], strict=False):
        assert first.end is not None and first.end < second.start
    span = autonomy.blockade_days(periods, day(0), day(7 * len(statuses)))
    assert 0 <= span <= 7 * len(statuses) + 1
    assert (span == 0) == (not blocked_days)
