"""Every indicator on a small October, against the figures worked out by hand in fixtures.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.reports.tests import fixtures


@pytest.fixture
def october(camp: Any) -> catalogue.IndicatorSet:
    fixtures.build(camp)
    return catalogue.compute_all(Period.month("2014-10", fixtures.AS_OF))


def _table(indicators: catalogue.IndicatorSet, code: str) -> dict[str, dict[str, Any]]:
    table = next(t for t in indicators.tables() if t.code == code)
    return {str(row[0]): dict(zip([c.code for c in table.columns[1:]], row[1:], strict=True)) for row in table.rows}


def _counts(indicators: catalogue.IndicatorSet, code: str) -> dict[str, tuple[int, int, int, int]]:
    return {k: (v["requests"], v["approved"], v["denied"], v["delayed"]) for k, v in _table(indicators, code).items()}


def test_requests_are_counted_as_the_who_counts_permit_applications(october: catalogue.IndicatorSet) -> None:
    value = october.value
    assert (
        value("requests.total"),
        value("requests.approved"),
        value("requests.denied"),
        value("requests.delayed"),
    ) == (
        9,
        5,
        1,
        3,
    )
    assert value("requests.approval_rate") == pytest.approx(500 / 9)
    assert value("requests.denial_rate") == pytest.approx(100 / 9)
    assert value("requests.delay_rate") == pytest.approx(300 / 9)
    assert value("requests.unsuccessful_rate") == pytest.approx(400 / 9)
    assert value("requests.not_due") == 1
    assert (value("escorts.approved"), value("escorts.denied"), value("escorts.pending")) == (1, 0, 1)


def test_requests_break_down_by_age_sex_specialty_facility_and_priority(october: catalogue.IndicatorSet) -> None:
    assert _counts(october, "requests.by_age_group") == {
        "<18": (1, 1, 0, 0),
        "18-40": (3, 2, 0, 1),
        "41-60": (2, 1, 1, 0),
        ">60": (2, 1, 0, 1),
        "unknown": (1, 0, 0, 1),
    }
    assert list(_counts(october, "requests.by_age_group")) == ["<18", "18-40", "41-60", ">60", "unknown"]
    assert _counts(october, "requests.by_sex") == {"f": (4, 3, 1, 0), "m": (4, 2, 0, 2), "u": (1, 0, 0, 1)}
    assert _counts(october, "requests.by_specialty") == {
        "cardiology": (2, 1, 1, 0),
        "oncology": (6, 4, 0, 2),
        "ophthalmology": (1, 0, 0, 1),
    }
    assert _counts(october, "requests.by_facility") == {"H-1": (6, 4, 0, 2), "H-2": (1, 0, 0, 1), "H-3": (2, 1, 1, 0)}
    assert _counts(october, "requests.by_priority") == {
        "P1": (2, 1, 1, 0),
        "P2": (2, 2, 0, 0),
        "P3": (3, 1, 0, 2),
        "P4": (2, 1, 0, 1),
    }
    assert _table(october, "requests.by_priority")["P3"]["unsuccessful_rate"] == pytest.approx(200 / 3)


def test_a_month_counted_to_its_end_turns_an_unanswered_later_trip_into_a_delay(camp: Any) -> None:
    fixtures.build(camp)
    whole = catalogue.compute_all(Period.month("2014-10", dt.date(2014, 11, 5)))
    assert (whole.value("requests.total"), whole.value("requests.delayed"), whole.value("requests.not_due")) == (
        10,
        4,
        0,
    )


def test_time_to_care_runs_from_referral_to_the_first_completed_visit(october: catalogue.IndicatorSet) -> None:
    assert october.value("care.seen") == 2
    assert october.value("care.days_median") == 19  # 4 and 34 days
    assert october.value("care.days_p90") == pytest.approx(31)
    assert october.value("care.within_deadline_rate") == 50
    by_priority = _table(october, "care.by_priority")
    assert by_priority["P2"]["seen"] == 2 and by_priority["P2"]["within_deadline"] == 1


def test_the_kaplan_meier_curve_counts_those_still_waiting_as_censored(october: catalogue.IndicatorSet) -> None:
    # Seen at 4 and 34 days; censored at 18 (E), 19 (C), 30 (B), 30 (F died) and 80 (D).
    assert october.value("care.km_median_days") == 34
    curve = _table(october, "care.km_curve")
    assert curve["7"]["cohort"] == 7
    assert curve["30"]["share_seen"] == pytest.approx(100 / 7)
    assert curve["60"]["share_seen"] == pytest.approx(400 / 7)


def test_the_backlog_is_the_waiting_list_at_the_as_of_date(october: catalogue.IndicatorSet) -> None:
    assert (october.value("backlog.waiting"), october.value("backlog.past_deadline")) == (4, 1)
    assert october.value("backlog.longest_wait_days") == 80
    by_priority = _table(october, "backlog.by_priority")
    assert {k: (v["waiting"], v["past_deadline"], v["longest_wait_days"]) for k, v in by_priority.items()} == {
        "P1": (1, 1, 19),
        "P3": (2, 0, 30),
        "P4": (1, 0, 80),
    }


def test_an_earlier_as_of_date_sees_the_waiting_list_as_it_was(camp: Any) -> None:
    fixtures.build(camp)
    september = catalogue.compute_all(Period.month("2014-09", fixtures.AS_OF))
    # On 30 September: A, B, D and F were waiting (C, E and G were not yet referred).
    assert september.value("backlog.waiting") == 4
    assert september.value("deaths.while_waiting") == 0


def test_trips_cancellations_gate_holds_and_late_arrivals(october: catalogue.IndicatorSet) -> None:
    value = october.value
    assert value("trips.total") == 6
    assert _table(october, "trips.by_status") == {
        "cancelled": {"trips": 2},
        "denied": {"trips": 1},
        "requested": {"trips": 1},
        "returned": {"trips": 2},
    }
    assert value("trips.cancelled") == 2
    assert _table(october, "trips.cancelled_by") == {
        "authority": {"trips": 1, "patient_places": 1},
        "hospital": {"trips": 1, "patient_places": 1},
    }
    assert value("trips.cancellations_per_patient") == 1.0
    assert value("trips.most_cancellations") == 2  # D: 28 September and 16 October
    assert value("trips.hours_held_mean") == pytest.approx(3.0)
    assert value("trips.hours_held_max") == pytest.approx(3.5)
    assert _table(october, "trips.gate_by_facility")["H-1"]["mean_hours"] == pytest.approx(2.5)
    assert value("trips.arrived_late") == 1
    assert _table(october, "trips.late_by_facility") == {
        "H-1": {"arrived": 1, "late": 0, "late_rate": 0.0},
        "H-3": {"arrived": 1, "late": 1, "late_rate": 100.0},
    }
    assert value("trips.not_seen") == 2
    assert _table(october, "trips.outcomes") == {
        "no_doctor": {"patients": 2},
        "pending": {"patients": 5},
        "procedure_done": {"patients": 1},
        "seen": {"patients": 1},
    }


def test_deaths_while_waiting_carry_diagnosis_group_days_waited_source_and_certainty(
    october: catalogue.IndicatorSet,
) -> None:
    assert october.value("deaths.while_waiting") == 1
    assert october.value("deaths.days_waited_median") == 30
    (death,) = october.details("deaths")["deaths"]
    assert death == {
        "date": dt.date(2014, 10, 10),
        "days_waited": 30,
        "diagnosis_group": "IX circulatory",
        "specialty": "cardiology",
        "priority": "P2",
        "source": "witness",
        "certainty": "probable",
    }


def test_obstruction_is_counted_in_full_in_ssa_terms_after_corrections_without_retracted_ones(
    october: catalogue.IndicatorSet,
) -> None:
    # T1 held 2.5 h and T5 3.5 h (over the 2-hour threshold), T5 arrived after closing, T2 denied, T3 approved
    # only after its date and T4 never answered, T7 cancelled by the authority, and the three recorded incidents.
    assert october.value("incidents.total") == 10
    table = next(t for t in october.tables() if t.code == "incidents.by_type")
    assert sorted(tuple(r) for r in table.rows) == [
        ("arrived_after_closing", "obstruction", "patients", "", "confirmed", 1),
        ("cancelled_by_authority", "obstruction", "transport", "", "confirmed", 1),
        ("delivery_blocked", "obstruction", "supplies", "medicine", "confirmed", 1),
        ("held_at_gate", "obstruction", "transport", "", "confirmed", 2),
        ("no_answer", "obstruction", "patients", "", "confirmed", 2),
        ("permit_denied", "obstruction", "patients", "", "confirmed", 1),
        ("recorded", "abduction", "patients", "", "confirmed", 1),
        ("recorded", "obstruction", "transport", "", "possible", 1),
    ]
    listed = october.details("incidents")["incidents"]
    assert [(i.date, i.kind, i.certainty) for i in listed] == [
        ("2014-10-03", "delivery_blocked", "confirmed"),
        ("2014-10-05", "held_at_gate", "confirmed"),
        ("2014-10-06", "permit_denied", "confirmed"),
        ("2014-10-07", "recorded", "possible"),
        ("2014-10-08", "no_answer", "confirmed"),
        ("2014-10-11", "recorded", "confirmed"),
        ("2014-10-12", "no_answer", "confirmed"),
        ("2014-10-14", "held_at_gate", "confirmed"),
        ("2014-10-14", "arrived_after_closing", "confirmed"),
        ("2014-10-16", "cancelled_by_authority", "confirmed"),
    ]
    corrected = next(i for i in listed if i.date == "2014-10-11")
    assert len(corrected.entries) == 2  # the incident and its correction, both cited


def test_every_indicator_is_computed_and_none_is_left_over(october: catalogue.IndicatorSet) -> None:
    assert set(october.values()) == {i.code for i in catalogue.indicators()}
    assert all(t.indicator in october.values() for t in october.tables())


def test_the_competing_risks_table_carries_the_deaths_behind_each_share_so_the_public_edition_blanks_a_few(
    october: catalogue.IndicatorSet,
) -> None:
    from corridor.reports import core

    # F died waiting at 30 days: the only death in the cohort of seven.
    risks = _table(october, "care.competing_risks")
    assert (risks["7"]["died"], risks["7"]["share_died"]) == (0, 0.0)
    assert risks["30"]["died"] == 1 and risks["30"]["share_died"] > 0
    public = core.suppress(next(t for t in october.tables() if t.code == "care.competing_risks"))
    rows = {str(r[0]): dict(zip([c.code for c in public.columns[1:]], r[1:], strict=True)) for r in public.rows}
    assert rows["30"]["died"] == core.SUPPRESSED and rows["30"]["share_died"] == core.SUPPRESSED
    assert rows["7"]["share_died"] == 0.0 and rows["30"]["share_seen"] == risks["30"]["share_seen"]


def test_the_time_to_care_chart_is_the_cumulative_incidence_beside_the_naive_curve_and_says_why(
    october: catalogue.IndicatorSet,
) -> None:
    import datetime as dt

    from corridor.reports import monthly

    def legend(public: bool) -> list[str]:
        found = monthly.context(
            october, monthly.ReportOptions(public=public), (1, "0" * 64), dt.datetime(2014, 11, 1, tzinfo=dt.UTC)
        )
        chart = next(c for c in found["charts"] if c["caption"].startswith("Referrals of the last twelve months"))
        assert "Aalen–Johansen" in chart["caption"] and "dashed line is the naive Kaplan–Meier" in chart["caption"]
        return [key for key, _name in chart["legend"]]

    assert legend(public=False) == ["seen", "death", "departure", "naive"]
    # Two seen and one death: their lines would show when each came; nobody left, and a flat line shows nobody.
    assert legend(public=True) == ["departure"]
