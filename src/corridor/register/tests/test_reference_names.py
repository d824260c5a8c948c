"""Reference data in three languages: hospitals, sites and supply items named in en, fa and ar."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.names import name_in
from corridor.refusals import in_language
from corridor.register import services as register
from corridor.register.models import Facility, Site
from corridor.supplies import actions as supplies
from corridor.transfers import services as transfers

pytestmark = pytest.mark.django_db

EYES_FA = "بیمارستان چشم"
EYES_AR = "مستشفى العيون"


def _last(kind: str) -> dict[str, Any]:
    return Entry.objects.filter(type=kind).order_by("-seq").first().payload  # type: ignore[union-attr]


def test_a_name_falls_back_to_the_one_given_when_the_language_has_none() -> None:
    names = {"fa": EYES_FA}
    assert name_in("Eyes", names, "fa") == EYES_FA
    assert name_in("Eyes", names, "fa-ir") == EYES_FA  # a region asks for its language's name
    assert name_in("Eyes", names, "ar") == "Eyes"
    assert name_in("Eyes", names, "en") == "Eyes"
    assert name_in("Eyes", {}, None) == "Eyes"


def test_a_hospital_gives_its_name_in_the_language_asked_for(camp: Site) -> None:
    facility = register.change_facility(Facility.objects.get(code="H-2"), names={"fa": EYES_FA, "ar": EYES_AR}, by=None)
    facility.refresh_from_db()
    assert (facility.name_in("fa"), facility.name_in("ar"), facility.name_in("en")) == (EYES_FA, EYES_AR, "Eyes")


@pytest.mark.parametrize(
    ("names", "field"),
    [
        ({"de": "Augenklinik"}, "names"),
        ({"fa": ""}, "names.fa"),
        ({"fa": "   "}, "names.fa"),
        ({"ar": 7}, "names.ar"),
        ({"fa": "x" * 201}, "names.fa"),
        ({"fa": "two\nlines"}, "names.fa"),
        (["fa", EYES_FA], "names"),
    ],
)
def test_names_in_unknown_languages_empty_overlong_or_not_text_are_refused(camp: Site, names: Any, field: str) -> None:
    before = Entry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        register.create_facility(code="H-9", name="Eyes Two", specialties=["ophthalmology"], names=names, by=None)
    assert refused.value.field == field
    assert not Facility.objects.filter(code="H-9").exists()
    assert Entry.objects.count() == before


def test_creating_a_hospital_writes_its_names_with_its_ledger_entry(camp: Site) -> None:
    facility = register.create_facility(
        code="H-9", name="Eye Clinic", specialties=["ophthalmology"], names={"ar": EYES_AR, "fa": EYES_FA}, by=None
    )
    assert Facility.objects.get(pk=facility.pk).names == {"ar": EYES_AR, "fa": EYES_FA}
    payload = _last("facility.created")
    assert payload["facility"] == "H-9" and payload["names"] == {"ar": EYES_AR, "fa": EYES_FA}


def test_changing_a_sites_names_records_the_new_names_and_only_what_changed(camp: Site) -> None:
    register.change_site(camp, names={"fa": "اردوگاه آزمایشی"}, by=None)
    assert _last("site.changed") == {"site": "CAMP-T", "names": {"fa": "اردوگاه آزمایشی"}}
    assert Site.objects.get(code="CAMP-T").name_in("fa") == "اردوگاه آزمایشی"
    with pytest.raises(InvalidInput, match="nothing to change"):
        register.change_site(camp, names={"fa": "اردوگاه آزمایشی"}, by=None)


def test_a_supply_items_names_are_written_with_its_definition_and_its_change(camp: Site) -> None:
    item = supplies.define_item(
        site=camp, code="water", name="Drinking water", category="water", unit="litres", names={"fa": "آب"}, by=None
    )
    assert _last("supply.item_defined")["names"] == {"fa": "آب"}
    supplies.change_item(item, names={"fa": "آب آشامیدنی", "ar": "مياه الشرب"}, by=None)
    assert _last("supply.item_changed")["names"] == {"ar": "مياه الشرب", "fa": "آب آشامیدنی"}
    item.refresh_from_db()
    assert item.name_in("ar") == "مياه الشرب"


def _dashboard(client: Client, language: str) -> str:
    client.post(reverse("web:set_language"), {"language": language})
    return client.get("/").content.decode()


def test_the_persian_dashboard_names_the_hospital_in_persian_and_the_english_one_in_english(
    camp: Site, users: dict[str, Any], make_referral: Callable[..., Any], settings: Any
) -> None:
    day = dt.date(2014, 10, 13)  # a Monday: the eye hospital is open
    settings.TODAY = day
    register.change_facility(Facility.objects.get(code="H-2"), names={"fa": EYES_FA, "ar": EYES_AR}, by=None)
    register.change_site(camp, names={"fa": "اردوگاه آزمایشی"}, by=None)
    referral = make_referral("P-0001", specialty="ophthalmology")
    transfers.request_trip(site=camp, day=day, facility=Facility.objects.get(code="H-2"), referrals=[referral], by=None)
    client = Client()
    client.force_login(users["coordinator"])
    persian = _dashboard(client, "fa")
    assert EYES_FA in persian and "اردوگاه آزمایشی" in persian
    assert ">Eyes<" not in persian and "Test Camp" not in persian
    english = _dashboard(client, "en")
    assert "Eyes" in english and "Test Camp" in english
    assert EYES_FA not in english
    arabic = _dashboard(client, "ar")
    assert EYES_AR in arabic and "Test Camp" in arabic  # no Arabic name for the camp: the one given


def test_the_api_takes_names_in_and_gives_them_back(camp: Site, users: dict[str, Any]) -> None:
    from corridor.accounts.tokens import issue_token

    token = issue_token(users["admin"], by=None, label="test")[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    made = client.post(
        "/api/facilities",
        json.dumps({"code": "H-9", "name": "Eye Clinic", "specialties": ["ophthalmology"], "names": {"fa": EYES_FA}}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["names"] == {"fa": EYES_FA}
    changed = client.patch(
        "/api/facilities/H-9", json.dumps({"names": {"fa": EYES_FA, "ar": EYES_AR}}), content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert client.get("/api/facilities/H-9").json()["names"] == {"ar": EYES_AR, "fa": EYES_FA}
    assert Entry.objects.get(seq=changed.json()["entry"]["seq"]).payload["names"] == {"ar": EYES_AR, "fa": EYES_FA}
    refused = client.post(
        "/api/sites",
        json.dumps({"code": "S-9", "name": "Other", "country": "XX", "names": {"de": "Anderes"}}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert not Site.objects.filter(code="S-9").exists()
    site = client.post(
        "/api/sites",
        json.dumps({"code": "S-9", "name": "Other", "country": "XX", "names": {"ar": "موقع آخر"}}),
        content_type="application/json",
    )
    assert site.status_code == 201, site.content
    assert client.get("/api/sites/S-9").json()["names"] == {"ar": "موقع آخر"}


@pytest.mark.parametrize(
    ("language", "said"),
    [("fa", "بیش از ۲۰۰ نویسه است"), ("ar", "أطول من ٢٠٠ حرفًا")],
)
def test_an_overlong_name_is_refused_in_the_readers_language_with_local_digits(
    camp: Site, language: str, said: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        register.create_facility(
            code="H-9", name="Eyes Two", specialties=["ophthalmology"], names={"fa": "چ" * 201}, by=None
        )
    assert refused.value.code == "text.too_long" and refused.value.values == {"limit": 200}
    assert str(refused.value) == "names.fa: is longer than 200 characters"
    with translation.override(language):
        assert in_language(refused.value) == said


def test_a_name_in_an_unknown_language_lists_the_languages_with_the_readers_comma(camp: Site) -> None:
    with pytest.raises(InvalidInput) as refused:
        register.create_facility(code="H-9", name="Eyes Two", specialties=["ophthalmology"], names={"pe": "x"}, by=None)
    assert refused.value.code == "names.unknown_language"
    assert str(refused.value) == "names: unknown language 'pe'; use en, fa, ar"
    with translation.override("fa"):
        assert in_language(refused.value) == "زبان ناشناخته 'pe'؛ یکی از en، fa، ar را به کار ببرید"
