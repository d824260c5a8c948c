"""Each entry's own part of a field submission: the answers about no one, and its own patient's (issue #18)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from corridor.intake.portions import portion

KOBO: dict[str, Any] = {
    "trip_number": "T-4",
    "hospital_arrival": "2014-10-16T12:00:00.000+03:00",
    "note": "the road was open",
    "patients": [
        {"patients/patient_code": "P-201", "patients/outcome_note": "mine"},
        {"patients/patient_code": " P-202 ", "patients/outcome_note": "theirs"},
    ],
    "_id": 9001,
}


def test_a_passengers_part_keeps_the_trips_answers_and_their_own_item_only() -> None:
    assert portion(KOBO, ["P-201"]) == {**KOBO, "patients": [KOBO["patients"][0]]}
    assert portion(KOBO, ["P-202"]) == {**KOBO, "patients": [KOBO["patients"][1]]}  # a code read as stripped


def test_the_trips_part_keeps_no_passengers_item_and_a_form_about_one_patient_is_kept_whole() -> None:
    assert portion(KOBO, []) == {**KOBO, "patients": []}
    death = {"patient_code": "P-301", "circumstances": "at the gate", "group": {"note": "x"}}
    assert portion(death, ["P-301"]) == death


def test_a_group_naming_another_patient_is_left_out_at_any_depth() -> None:
    odk = {"trip": {"date": "2014-10-16", "patients": [{"patient_code": "P-201"}, {"patient_code": "P-202"}]}}
    assert portion(odk, ["P-202"]) == {"trip": {"date": "2014-10-16", "patients": [{"patient_code": "P-202"}]}}
    assert portion({"who": {"patient_code": "P-202", "note": "theirs"}, "at": 1}, ["P-201"]) == {"at": 1}


codes = st.sampled_from(["P-1", "P-2", "P-3"])
items = st.fixed_dictionaries({"patient_code": codes, "note": st.text(max_size=5)})


@given(st.lists(items, max_size=4), st.lists(codes, max_size=2))
def test_a_part_names_no_patient_but_its_own_and_the_whole_is_every_patients_part(
    listed: list[dict[str, str]], kept: list[str]
) -> None:
    raw = {"note": "trip", "patients": listed}
    mine = portion(raw, kept)
    assert mine["patients"] == [item for item in listed if item["patient_code"] in kept]
    assert portion(raw, ["P-1", "P-2", "P-3"]) == raw
    assert json.dumps(portion(raw, [])) == json.dumps({"note": "trip", "patients": []})
