"""The supplies page, its forms and the dashboard card: roles checked again, refusals beside their field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from corridor.ledger.models import Entry
from corridor.notices import Notice
from corridor.register import services as register
from corridor.register.models import Site
from corridor.supplies import actions as supplies
from corridor.supplies import wording
from corridor.supplies.models import Delivery, Dependence, StockRecord, SupplyItem
from corridor.web.tests.test_i18n import _texts

pytestmark = pytest.mark.django_db

TODAY = dt.date(2014, 8, 31)


@pytest.fixture
def stocked(camp: Site, settings: Any) -> SupplyItem:
    settings.TODAY = TODAY
    diesel = supplies.define_item(
        site=camp, code="diesel", name="Diesel", category="diesel", unit="litres", critical_threshold=1500, by=None
    )
    for offset, quantity in ((0, 2000), (7, 1300), (14, 600)):
        supplies.record_count(
            item=diesel, on=dt.date(2014, 8, 10) + dt.timedelta(days=offset), quantity=quantity, unit="l", by=None
        )
    supplies.record_blocked_delivery(
        site=camp, item="diesel", on=dt.date(2014, 8, 13), by=None, source="publication", certainty="unverified"
    )
    patient = register.register_patient(site=camp, code="P-7", registered_on=dt.date(2014, 1, 1), by=None)
    supplies.record_dependence(patient=patient, item=diesel, need="dialysis", since=dt.date(2014, 6, 1), by=None)
    return diesel


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_role_sees_the_status_with_the_chart_and_who_is_at_risk(
    stocked: SupplyItem, users: dict[str, Any]
) -> None:
    response = _client(users["auditor"]).get("/supplies/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="item-diesel"' in html and "<svg" in html and "2014-08-13" in html
    assert "P-7" in html and "dialysis" in html
    # 600 counted on the 24th at 100 a day: gone by the 30th; the threshold alert shows.
    assert "below its critical threshold" in html
    assert "Record a count" not in html  # an auditor records nothing


def test_no_role_no_page_and_no_sign_in_no_page(stocked: SupplyItem, users: dict[str, Any]) -> None:
    assert _client(users["outsider"]).get("/supplies/").status_code == 403
    anonymous = Client().get("/supplies/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert _client(users["monitor"]).get("/supplies/count/").status_code == 403
    assert _client(users["clinician"]).get("/supplies/blocked/").status_code == 403


def test_a_coordinator_records_a_count_and_it_is_in_the_ledger(stocked: SupplyItem, users: dict[str, Any]) -> None:
    client = _client(users["coordinator"])
    assert client.get("/supplies/count/").status_code == 200
    response = client.post(
        "/supplies/count/",
        {
            "item": "diesel",
            "on": "2014-08-31",
            "quantity": "50",
            "unit": "",
            "source": "witness",
            "certainty": "confirmed",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/supplies/"
    record = StockRecord.objects.filter(kind="count").latest("on")
    assert (record.on, record.quantity) == (TODAY, 50)
    assert Entry.objects.get(seq=record.recorded_seq).recorded_by == "coordinator"


def test_a_count_in_the_wrong_unit_is_shown_beside_the_unit_and_writes_nothing(
    stocked: SupplyItem, users: dict[str, Any]
) -> None:
    before = Entry.objects.count()
    response = _client(users["coordinator"]).post(
        "/supplies/count/",
        {
            "item": "diesel",
            "on": "2014-08-31",
            "quantity": "3",
            "unit": "jerrycans",
            "source": "witness",
            "certainty": "confirmed",
        },
    )
    assert response.status_code == 422
    assert "diesel is kept in litres" in response.content.decode()
    assert response.context["form"].errors["unit"]
    assert Entry.objects.count() == before


def test_a_monitor_records_what_the_gate_did_with_a_requested_delivery(
    stocked: SupplyItem, users: dict[str, Any]
) -> None:
    coordinator, monitor = _client(users["coordinator"]), _client(users["monitor"])
    response = coordinator.post(
        "/supplies/request/",
        {
            "item": "diesel",
            "on": "2014-08-27",
            "quantity": "2000",
            "unit": "litres",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get(status="requested")
    assert "record the answer" in monitor.get("/supplies/").content.decode()
    response = monitor.post(
        f"/supplies/deliveries/{delivery.pk}/answer/",
        {
            "status": "partly_allowed",
            "on": "2014-08-28",
            "quantity_allowed": "500",
            "reason": "one truck",
            "source": "witness",
            "certainty": "probable",
        },
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.quantity_allowed, delivery.reason) == ("partly_allowed", 500, "one truck")
    again = monitor.post(
        f"/supplies/deliveries/{delivery.pk}/answer/",
        {"status": "blocked", "on": "2014-08-28", "source": "witness", "certainty": "probable"},
    )
    assert again.status_code == 422 and "already recorded" in again.content.decode()


def test_a_blocked_delivery_recorded_by_a_monitor_leads_to_its_entry_where_a_photo_of_the_refusal_is_attached(
    stocked: SupplyItem, users: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from corridor.ledger.models import Attachment
    from corridor.ledger.tests import samples

    settings.DATA_DIR = tmp_path
    monitor = _client(users["monitor"])
    response = monitor.post(
        "/supplies/blocked/",
        {"item": "diesel", "on": "2014-08-30", "reason": "no permit", "source": "witness", "certainty": "confirmed"},
    )
    blocked = Entry.objects.filter(type="supply.blocked").latest("seq")
    assert response.status_code == 302 and response["Location"] == f"/ledger/{blocked.seq}/#attach-{blocked.seq}"
    page = monitor.get(response["Location"]).content.decode()
    assert "The blocked delivery is recorded." in page and f'action="/ledger/{blocked.seq}/attach/"' in page
    attached = monitor.post(
        f"/ledger/{blocked.seq}/attach/",
        {"file": SimpleUploadedFile("refusal.jpg", samples.photo_with_metadata()), "source": "media"},
    )
    assert attached.status_code == 302
    assert Attachment.objects.get().documents == blocked.seq


def test_the_dashboard_card_shows_each_item_in_its_colour_with_a_chart(stocked: SupplyItem) -> None:
    html = Template("{% load supplies %}{% blockade_card %}").render(Context({"site": stocked.site, "today": TODAY}))
    assert 'id="blockade"' in html and "<svg" in html
    assert 'class="stop"' in html  # diesel is critical: red
    assert "1 patient whose care depends on these supplies" in html
    empty = Template("{% load supplies %}{% blockade_card %}").render(Context({"site": None, "today": TODAY}))
    assert "No supplies are recorded" in empty


def test_chart_labels_are_escaped(camp: Site, settings: Any) -> None:
    settings.TODAY = TODAY
    item = supplies.define_item(
        site=camp,
        code="x",
        name="<script>alert(1)</script>",
        category="other",
        unit="boxes",
        critical_threshold=10,  # below it: critical, so its chart is on the card
        by=None,
    )
    supplies.record_count(item=item, on=TODAY, quantity=5, unit="boxes", by=None)
    html = Template("{% load supplies %}{% blockade_card %}").render(Context({"site": camp, "today": TODAY}))
    assert "<svg" in html and "<script>" not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;: stock in boxes</title>" in html


# name -> who may open it (from docs/blockade.md's table); every other role gets 403.
ROUTES: dict[str, frozenset[str]] = {
    "status": frozenset({"coordinator", "clinician", "monitor", "auditor", "admin"}),
    "count": frozenset({"coordinator"}),
    "adjust": frozenset({"coordinator"}),
    "request": frozenset({"coordinator"}),
    "power": frozenset({"coordinator"}),
    "answer": frozenset({"coordinator", "monitor"}),
    "blocked": frozenset({"coordinator", "monitor"}),
    "dependence": frozenset({"coordinator", "clinician"}),
    "end_dependence": frozenset({"coordinator", "clinician"}),
}


def _args(name: str, delivery: Delivery) -> list[int]:
    """The record a page's address names: the delivery to answer, the stocked patient's dependence to end."""
    if name == "answer":
        return [delivery.pk]
    if name == "end_dependence":
        return [Dependence.objects.get(patient__code="P-7").pk]
    return []


def test_every_supplies_page_has_a_row_in_the_table() -> None:
    from corridor.supplies import urls

    assert {pattern.name for pattern in urls.urlpatterns} == set(ROUTES)


def test_each_page_opens_for_exactly_the_roles_that_may_use_it(stocked: SupplyItem, users: dict[str, Any]) -> None:
    from django.urls import reverse

    delivery = supplies.request_delivery(site=stocked.site, item=stocked, on=TODAY, by=None)
    for name, who in ROUTES.items():
        url = reverse(f"supplies:{name}", args=_args(name, delivery))
        for visitor, user in users.items():
            status = _client(user).get(url).status_code
            assert status == (200 if visitor in who else 403), (name, visitor, status)
        assert Client().get(url).status_code == 302, name


def test_no_supplies_page_shows_or_changes_the_stock_of_a_site_the_visitor_does_not_work_at(
    stocked: SupplyItem, crossing: Any
) -> None:
    # Route × role, for the crossing's accounts, pointed at the camp's delivery and naming the camp:
    # the camp's items, patients and deliveries never show, the delivery is not found, nothing is written.
    from django.urls import reverse

    from corridor.ledger.models import EntrySite

    delivery = supplies.request_delivery(site=stocked.site, item=stocked, on=TODAY, by=None)
    before = EntrySite.objects.filter(site_id=stocked.site.pk).count()
    wrong = {}
    for name, who in ROUTES.items():
        url = reverse(f"supplies:{name}", args=_args(name, delivery))
        for role, user in crossing.users.items():
            client = _client(user)
            shown = client.get(url, {"site": stocked.site.code})
            posted = client.post(url, {"site": stocked.site.code, "item": "diesel", "quantity": 5, "on": TODAY})
            for response in (shown, posted):
                if b"Diesel" in response.content or b"P-7" in response.content:
                    wrong[(name, role)] = "shows the camp's stock"
            if name in ("answer", "end_dependence") and role in who and shown.status_code != 404:
                wrong[(name, role)] = f"answered {shown.status_code}, not 404"
    assert wrong == {}
    assert EntrySite.objects.filter(site_id=stocked.site.pk).count() == before


@pytest.mark.parametrize(("language", "digit", "to"), [("fa", "۰", "تا"), ("ar", "٠", "إلى")])
def test_the_supplies_page_and_the_blockade_card_leave_no_english_in_persian_and_arabic(
    stocked: SupplyItem, users: dict[str, Any], language: str, digit: str, to: str
) -> None:
    client = _client(users["coordinator"])
    assert client.post("/language/", {"language": language}).status_code == 302
    page = client.get("/supplies/").content.decode()
    card = client.get("/").content.decode()
    start = card.index('<section class="card" id="blockade">')
    card = card[start : card.index("</section>", start)]
    # What was entered stays as entered: the names and codes of the item, the camp and the patient.
    data = re.compile(r"\b(Diesel|diesel|P-7|Test Camp|Corridor|English|coordinator)\b")
    for html in (page, card):
        english = [t for t in _texts(html) if re.search(r"[A-Za-z]{3}", data.sub("", t))]
        assert not english, english
    assert digit in page and f" {to} " in page  # local digits; a range in words, not a reversible dash
    assert "2014-08" not in re.sub(r'datetime="[^"]+"', "", page)  # no ISO date left for people to read
    assert 'class="chart"' in page and 'direction="rtl"' in page  # the chart's dates read right to left


def test_alerts_and_notes_are_codes_until_a_page_words_them() -> None:
    """The English sentence of the CLI and the API and the page's Persian one come from one notice."""
    notice = Notice.of("supply.few_days_left", days=7)
    assert wording.english(notice) == "less than 7 days of autonomy"
    with translation.override("ar"):
        assert str(wording.html(notice)) == "أقل من <bdi>٧</bdi> أيام من الاكتفاء"
    with translation.override("ar"):
        assert "<bdi>١١</bdi> يومًا" in str(wording.html(Notice.of("supply.few_days_left", days=11)))
    with translation.override("fa"):
        assert str(wording.between(6.8, None)) == "<bdi>۶٫۸</bdi> تا <bdi>∞</bdi>"


def test_a_clinician_records_a_dependence_from_the_supplies_page_and_another_sites_patient_is_not_found(
    stocked: SupplyItem, users: dict[str, Any], crossing: Any
) -> None:
    from django.urls import reverse

    from corridor.register import services as register
    from corridor.supplies.models import Dependence

    camp = stocked.site
    register.register_patient(site=camp, code="P-50", registered_on=TODAY, by=None)
    register.register_patient(site=crossing.site, code="P-51", registered_on=TODAY, by=None)
    client = _client(users["clinician"])
    url = reverse("supplies:dependence") + f"?site={camp.code}"
    assert "Record a patient" in _client(users["clinician"]).get(reverse("supplies:status")).content.decode()
    form = {"patient": "P-51", "item": stocked.code, "need": "dialysis", "since": TODAY, "source": "document"}
    refused = client.post(url, {**form, "certainty": "confirmed"})
    assert refused.status_code == 422 and "no patient with code &#x27;P-51&#x27;" in refused.content.decode()
    done = client.post(url, {**form, "patient": "P-50", "certainty": "probable", "daily_quantity": 2}, follow=True)
    assert done.status_code == 200 and "dependence on" in done.content.decode()
    made = Dependence.objects.get(patient__code="P-50")
    assert (made.patient.code, made.item, made.need, made.daily_quantity) == ("P-50", stocked, "dialysis", 2.0)
    assert not Dependence.objects.filter(patient__code="P-51").exists()


def _at_risk(html: str) -> str:
    start = html.index('id="at-risk"')
    return html[start : html.index("</section>", start)]


def _ending(**changed: Any) -> dict[str, Any]:
    return {"on": "2014-08-20", "reason": "transplant", "source": "witness", "certainty": "probable", **changed}


def test_a_clinician_ends_a_dependence_from_the_at_risk_list_with_one_entry_of_its_day_source_and_certainty(
    stocked: SupplyItem, users: dict[str, Any]
) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    url = f"/supplies/dependences/{dependence.pk}/end/"
    client = _client(users["clinician"])
    assert f'href="{url}"' in _at_risk(client.get("/supplies/").content.decode())
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"]["on"].value() == TODAY  # Corridor's today
    before = Entry.objects.count()
    response = client.post(url, _ending())
    assert response.status_code == 302 and response["Location"] == "/supplies/?site=CAMP-T"
    assert Entry.objects.count() == before + 1
    entry = Entry.objects.latest("seq")
    assert (entry.type, entry.source, entry.certainty, entry.recorded_by) == (
        "dependence.ended",
        "witness",
        "probable",
        "clinician",
    )
    assert entry.payload["date"] == "2014-08-20" and entry.payload["reason"] == "transplant"
    dependence.refresh_from_db()
    assert dependence.until == dt.date(2014, 8, 20)


def test_a_patient_whose_only_dependence_ended_is_no_longer_at_risk(stocked: SupplyItem, users: dict[str, Any]) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    client = _client(users["coordinator"])
    assert "P-7" in _at_risk(client.get("/supplies/").content.decode())
    done = client.post(f"/supplies/dependences/{dependence.pk}/end/", _ending(), follow=True)
    html = done.content.decode()
    assert done.status_code == 200 and "P-7&#x27;s dependence on Diesel is recorded as ended." in html
    assert "P-7" not in _at_risk(html) and "Nobody is recorded as depending on a supply." in _at_risk(html)


def test_an_ended_dependence_is_not_found_and_cannot_be_ended_twice(stocked: SupplyItem, users: dict[str, Any]) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    client = _client(users["coordinator"])
    assert client.post(f"/supplies/dependences/{dependence.pk}/end/", _ending()).status_code == 302
    before = Entry.objects.count()
    assert client.get(f"/supplies/dependences/{dependence.pk}/end/").status_code == 404
    assert client.post(f"/supplies/dependences/{dependence.pk}/end/", _ending(on="2014-08-30")).status_code == 404
    assert Entry.objects.count() == before


def test_a_monitor_or_an_auditor_may_neither_see_nor_use_the_end_of_a_dependence(
    stocked: SupplyItem, users: dict[str, Any]
) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    url = f"/supplies/dependences/{dependence.pk}/end/"
    before = Entry.objects.count()
    for role in ("monitor", "auditor"):
        client = _client(users[role])
        assert url not in client.get("/supplies/").content.decode()
        assert (client.get(url).status_code, client.post(url, _ending()).status_code) == (403, 403)
    assert Entry.objects.count() == before
    assert Dependence.objects.get(pk=dependence.pk).until is None


def test_another_sites_dependence_is_answered_as_one_that_does_not_exist(stocked: SupplyItem, crossing: Any) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    missing = max(Dependence.objects.values_list("pk", flat=True)) + 1
    client = _client(crossing.users["clinician"])
    before = Entry.objects.count()
    for pk in (dependence.pk, missing):
        url = f"/supplies/dependences/{pk}/end/"
        assert (client.get(url).status_code, client.post(url, _ending()).status_code) == (404, 404)
    assert Entry.objects.count() == before
    assert Dependence.objects.get(pk=dependence.pk).until is None


@pytest.mark.parametrize(
    ("day", "said"),
    [("2014-09-01", "1 Sep 2014 is after today (31 Aug 2014)"), ("2014-05-31", "recorded from 1 Jun 2014")],
    ids=["after-today", "before-it-began"],
)
def test_an_end_after_today_or_before_the_dependence_began_is_refused_beside_the_date_and_writes_nothing(
    stocked: SupplyItem, users: dict[str, Any], day: str, said: str
) -> None:
    dependence = Dependence.objects.get(patient__code="P-7")
    before = Entry.objects.count()
    response = _client(users["coordinator"]).post(f"/supplies/dependences/{dependence.pk}/end/", _ending(on=day))
    assert response.status_code == 422
    assert said in response.content.decode() and said in str(response.context["form"].errors["on"])
    assert Entry.objects.count() == before
    assert Dependence.objects.get(pk=dependence.pk).until is None
