"""Search by name: names folded to one spelling, a keyed index that holds no name, and a search that is
allowed, scoped and recorded like every other showing of an identity."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register import name_index
from corridor.register import services as register
from corridor.register.models import NameToken, Patient, Site
from corridor.register.names import normalise, tokens


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("علي", "علی"),  # Arabic yeh against Persian yeh
        ("كريم", "کریم"),  # Arabic kaf against Persian kaf
        ("مُحَمَّد", "محمد"),  # with and without diacritics
        ("فاطمة", "فاطمه"),  # teh marbuta against heh
        ("أحمد", "احمد"),
        ("إسماعيل", "اسماعیل"),
        ("مصطفى", "مصطفی"),  # alef maksura
        ("محـــمد", "محمد"),  # tatweel
        ("عبد\u200cالله", "عبد الله"),  # zero-width non-joiner against a space
        ("ﻋﻠﻲ", "علی"),  # presentation forms, as some old systems export them
        ("رضا ۱۴", "رضا ١٤"),  # Persian and Arabic digits
        ("ZAHRA  Karimi", "zahra karimi"),
    ],
)
def test_spellings_of_one_name_fold_to_the_same_tokens(typed: str, registered: str) -> None:
    assert tokens(typed) == tokens(registered)
    assert tokens(typed)  # and not by both being empty


def test_different_names_stay_different() -> None:
    assert tokens("علی") != tokens("على رضا")
    assert tokens("حسن") != tokens("حسین")
    assert tokens("Zahra Karimi") == ["zahra", "karimi"]
    assert tokens("رضا 14") == ["رضا", "14"]


def test_a_name_gives_each_word_once_and_punctuation_none() -> None:
    assert tokens("Ali, ali - ALI.") == ["ali"]
    assert tokens(" ،؛ - ") == []


@given(st.text(max_size=40))
def test_folding_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert tokens(" ".join(tokens(text))) == tokens(text)


# ------------------------------------------------------------------------------------------- the index


def _register(site: Site, code: str, name: str) -> Patient:
    return register.register_patient(
        site=site, code=code, registered_on=dt.date(2014, 1, 1), identity={"full_name": name}, by=None
    )


def test_the_index_holds_one_keyed_digest_per_word_and_no_name(camp: Site) -> None:
    patient = _register(camp, "P-0100", "Zahra Karimi")
    rows = list(NameToken.objects.filter(patient=patient))
    assert len(rows) == 2 and {r.site_id for r in rows} == {camp.pk}
    stored = " ".join(f"{r.digest} {r.key}" for r in rows)
    for word in ("zahra", "karimi"):
        assert word not in stored.lower()
        # Keyed: not the plain hash of the word, which anyone could compute from a list of names.
        assert hashlib.sha256(word.encode()).hexdigest() not in stored


def test_renaming_a_patient_replaces_the_old_words(users: dict[str, Any], camp: Site) -> None:
    patient = _register(camp, "P-0101", "Maryam Rahimi")
    before = set(NameToken.objects.filter(patient=patient).values_list("digest", flat=True))
    register.change_identity(patient, identity={"full_name": "Maryam Sadeghi"}, by=users["coordinator"])
    after = set(NameToken.objects.filter(patient=patient).values_list("digest", flat=True))
    assert len(after) == 2 and len(before & after) == 1  # "maryam" stays, "rahimi" goes
    assert name_index.search_by_name(query="Rahimi", purpose="test", by=users["coordinator"]) == []
    found = name_index.search_by_name(query="sadeghi", purpose="test", by=users["coordinator"])
    assert [m.code for m in found] == ["P-0101"]


def test_removing_a_name_removes_its_words(camp: Site) -> None:
    patient = _register(camp, "P-0102", "Leila Ahmadi")
    name_index.index_patient(patient, None)
    assert not NameToken.objects.filter(patient=patient).exists()


def test_the_upgrade_indexes_people_registered_before_the_index(users: dict[str, Any], camp: Site) -> None:
    from corridor.transfers import companions

    _register(camp, "P-0103", "Hossein Moradi")
    companions.register_companion(
        site=camp,
        code="C-0103",
        kind="nurse",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Nasrin Moradi"},
        by=None,
    )
    NameToken.objects.all().delete()  # as a database from before the index was
    migration = importlib.import_module("corridor.register.migrations.0008_h17s_name_tokens")
    migration.backfill(django_apps, SimpleNamespace(connection=connection))
    found = name_index.search_by_name(query="moradi", purpose="test", by=users["coordinator"])
    assert [(m.kind, m.code, m.full_name) for m in found] == [
        ("patient", "P-0103", "Hossein Moradi"),
        ("companion", "C-0103", "Nasrin Moradi"),
    ]


def test_a_key_rotation_rebuilds_the_index_under_the_new_key(
    users: dict[str, Any], camp: Site, tmp_path: Any, settings: Any
) -> None:
    from corridor import env
    from corridor.ops import keys
    from corridor.register.crypto import key_id

    old = env.new_identity_key()
    (tmp_path / env.IDENTITY_KEY_FILE_NAME).write_text(old + "\n")
    settings.DATA_DIR, settings.IDENTITY_KEYS, settings.IDENTITY_KEY_ORIGIN = tmp_path, [old], "data-dir"
    _register(camp, "P-0104", "Reza Hosseini")
    keys.rotate()
    assert old not in settings.IDENTITY_KEYS
    assert set(NameToken.objects.values_list("key", flat=True)) == {key_id(settings.IDENTITY_KEYS[0])}
    found = name_index.search_by_name(query="hosseini reza", purpose="test", by=users["coordinator"])
    assert [m.code for m in found] == ["P-0104"]


# ------------------------------------------------------------------------------------------ the search


def test_a_name_registered_in_persian_is_found_typed_on_an_arabic_keyboard(users: dict[str, Any], camp: Site) -> None:
    _register(camp, "P-0200", "علی کریمی")
    _register(camp, "P-0201", "علی رضایی")
    found = name_index.search_by_name(query="علي كريمي", purpose="call about a transfer", by=users["clinician"])
    assert [(m.code, m.full_name, m.site) for m in found] == [("P-0200", "علی کریمی", "CAMP-T")]
    both = name_index.search_by_name(query="عَلِي", purpose="call about a transfer", by=users["clinician"])
    assert [m.code for m in both] == ["P-0200", "P-0201"]


def test_every_word_of_the_query_must_match(users: dict[str, Any], camp: Site) -> None:
    _register(camp, "P-0202", "Zahra Karimi")
    assert name_index.search_by_name(query="Zahra Rahimi", purpose="test", by=users["coordinator"]) == []
    assert not Entry.objects.filter(type="identity.viewed").exists()  # nobody shown, nothing to record


def test_a_search_that_shows_names_is_an_identity_viewing_with_its_purpose(users: dict[str, Any], camp: Site) -> None:
    _register(camp, "P-0203", "Samira Jafari")
    _register(camp, "P-0204", "Samira Jafari")
    name_index.search_by_name(query="samira jafari", purpose="family asked at the gate", by=users["coordinator"])
    entry = Entry.objects.get(type="identity.viewed")
    assert entry.recorded_by == "coordinator"
    assert entry.payload["purpose"] == "family asked at the gate"
    assert entry.payload["patients"] == ["P-0203", "P-0204"] and entry.payload["companions"] == []
    assert set(entry.subject_rows.values_list("key", flat=True)) == {"patient:P-0203", "patient:P-0204"}
    assert "samira" not in str(entry.payload).lower() and "jafari" not in str(entry.payload).lower()


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin", "outsider"])
def test_roles_that_may_not_see_identities_cannot_search_by_name(users: dict[str, Any], camp: Site, role: str) -> None:
    _register(camp, "P-0205", "Omid Karimi")
    with pytest.raises(NotAllowed):
        name_index.search_by_name(query="Omid", purpose="test", by=users[role])
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_another_sites_patient_is_not_found(crossing: Any, users: dict[str, Any]) -> None:
    # "Crossing Person X-0001" lives at the crossing; the camp's coordinator does not work there.
    assert name_index.search_by_name(query="crossing person", purpose="test", by=users["coordinator"]) == []
    here = name_index.search_by_name(query="crossing person", purpose="test", by=crossing.users["coordinator"])
    assert [m.code for m in here] == ["X-0001"]


@pytest.mark.parametrize(
    ("query", "purpose", "field"), [("", "test", "query"), ("--", "test", "query"), ("Ali", " ", "purpose")]
)
def test_an_empty_query_or_purpose_is_refused_before_anything_is_read(
    users: dict[str, Any], camp: Site, query: str, purpose: str, field: str
) -> None:
    _register(camp, "P-0206", "Ali Ahmadi")
    with pytest.raises(InvalidInput) as refused:
        name_index.search_by_name(query=query, purpose=purpose, by=users["coordinator"])
    assert refused.value.field == field
    assert not Entry.objects.filter(type="identity.viewed").exists()


@pytest.fixture
def three_of_a_name(camp: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three people named Mohammad, where a search may show two at the most."""
    monkeypatch.setattr(name_index, "MAX_RESULTS", 2)
    for number in range(3):
        _register(camp, f"P-03{number:02d}", f"Mohammad Person{number}")


@pytest.mark.usefixtures("three_of_a_name")
def test_a_search_matching_too_many_people_shows_nobody(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        name_index.search_by_name(query="Mohammad", purpose="test", by=users["coordinator"])
    assert refused.value.field == "query"
    assert len(name_index.search_by_name(query="mohammad person1", purpose="test", by=users["coordinator"])) == 1


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fa", "بیش از ۲ نفر با این نام جور درمی‌آیند؛ واژهٔ دیگری از نام را بیفزایید"),
        ("ar", "يطابق الاسمَ أكثر من ٢ شخصًا؛ أضف كلمة أخرى من الاسم"),
    ],
)
@pytest.mark.usefixtures("three_of_a_name")
def test_too_many_matches_are_refused_in_the_readers_language_with_local_digits(
    users: dict[str, Any], language: str, said: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        name_index.search_by_name(query="Mohammad", purpose="test", by=users["coordinator"])
    assert refused.value.code == "search.too_many" and refused.value.values == {"limit": 2}
    assert str(refused.value) == "query: more than 2 people match; add another word of the name"
    with translation.override(language):
        assert in_language(refused.value) == said
