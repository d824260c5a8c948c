"""Every value of a payload is checked before anything is written, and each refusal says which value and why.

An append passes a payload of plain values (numbers, ASCII text, null) in one quick loop; everything else goes
through the full walk. Both must refuse the same values with the same code and path.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest

from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

pytestmark = pytest.mark.django_db


class Colour(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize(
    "payload, code, field",
    [
        ({"n": 1, "note": "gate\x00closed"}, "ledger.nul_character", "payload.note"),
        ({"n": 1, "gate\x00": "closed"}, "ledger.nul_character", "payload"),
        ({"n": 1, "note": "\ud800"}, "ledger.lone_surrogate", "payload.note"),
        ({"n": 1, "\ud800": "x"}, "ledger.lone_surrogate", "payload"),
        ({"n": 1, 7: "seven"}, "ledger.key_not_text", "payload"),
        ({"n": 1, "x": float("inf")}, "ledger.not_finite", "payload.x"),
        ({"n": 1, "x": float("nan")}, "ledger.not_finite", "payload.x"),
        ({"n": 1, "x": {1, 2}}, "ledger.not_storable", "payload.x"),
        ({"n": 1, "x": (1, 2)}, "ledger.not_storable", "payload.x"),
        ({"n": 1, "x": b"bytes"}, "ledger.not_storable", "payload.x"),
        ({"n": 1, "inner": {"note": "a\x00b"}}, "ledger.nul_character", "payload.inner.note"),
        ({"n": 1, "list": [1, float("-inf")]}, "ledger.not_finite", "payload.list[1]"),
    ],
)
def test_a_bad_value_in_a_payload_is_refused_with_its_code_and_path_and_nothing_is_written(
    payload: dict[Any, Any], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        ledger.append("incident.recorded", by="tester", subjects=["site:S"], payload=payload)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"n": 1, "text": "غزة", "flag": True, "none": None, "hours": 3.5},
        {"n": Colour.RED, "negative": -2.25, "big": 2**70},
        {"inner": {"a": [1, "b", None]}, "empty": {}, "list": []},
    ],
)
def test_a_payload_of_good_values_is_written_as_given(payload: dict[str, Any]) -> None:
    entry = ledger.append("incident.recorded", by="tester", subjects=["site:S"], payload=payload)
    assert Entry.objects.get(seq=entry.seq).fields["payload"] == payload


@pytest.mark.parametrize("highest, count", [(300_000, 2), (200_001, 4), (10, 3), (3, 3), (5, 2)])
def test_a_split_check_covers_every_entry_once_and_gives_this_process_no_more_than_a_child(
    highest: int, count: int
) -> None:
    bounds = ledger._split(highest, count)
    assert len(bounds) == count
    assert [n for first, last in bounds for n in range(first, last + 1)] == list(range(1, highest + 1))
    mine, *children = (last - first + 1 for first, last in bounds)
    assert all(mine <= child for child in children)
    assert mine < highest // count or highest // count < 20


def test_an_appended_entry_is_the_same_unsaved_instance_the_models_constructor_makes() -> None:
    entry = ledger.append("incident.recorded", by="tester", subjects=["site:S"], payload={"n": 1})
    made = Entry(entry.seq, entry.body, entry.hash)
    assert {k: v for k, v in vars(entry).items() if k not in ("_state", "_fields")} == {
        k: v for k, v in vars(made).items() if k != "_state"
    }
    assert (entry._state.adding, entry._state.db) == (made._state.adding, made._state.db) == (True, None)
    assert entry == Entry.objects.get(seq=entry.seq) and entry.type == "incident.recorded"
