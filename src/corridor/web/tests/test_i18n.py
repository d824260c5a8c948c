"""English, Persian and Arabic: every string translated, right-to-left pages, local digits and calendars."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.ledger.catalogue import EVENT_TYPES
from corridor.web import l10n, labels
from corridor.web.models import Preference
from corridor.web.tests.conftest import Scene

PACKAGE = Path(__file__).resolve().parents[2]
LOCALE = PACKAGE / "locale"
LANGUAGES = ("fa", "ar")
# Files whose strings people read: every app's code and templates (not its tests or migrations).
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if not {"tests", "migrations"} & set(p.relative_to(PACKAGE).parts))
TEMPLATES = sorted(PACKAGE.rglob("templates/**/*.html"))


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def read_po(path: Path) -> dict[str, list[str]]:
    """msgid -> its msgstr forms (one, or one per plural form), skipping the header; fuzzy ones flagged.

    A message with a context is keyed as gettext stores it, ``context\x04msgid``.
    """
    entries: dict[str, list[str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#, ") and "fuzzy" in line:
                fields["fuzzy"] = "yes"
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = _unescape(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += _unescape(line[1:-1])
        if fields.get("msgid"):
            assert "fuzzy" not in fields, f"{path}: fuzzy entry {fields['msgid']!r}"
            forms = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            key = f"{fields['msgctxt']}\x04{fields['msgid']}" if "msgctxt" in fields else fields["msgid"]
            entries[key] = forms
    return entries


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        # A word that means different things in different places carries a context, keyed as gettext keys it.
        for msgid, context in re.findall(r'{%\s*translate\s+"([^"]+)"(?:\s+context\s+"([^"]+)")?', text):
            found.add(f"{context}\x04{msgid}" if context else msgid)
        found |= set(re.findall(r"{{\s*_\('([^']+)'\)\s*}}", text))
        for tag, body in re.findall(r"{%\s*blocktranslate([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", text, re.DOTALL):
            singular = body.split("{% plural %}")[0]
            if "trimmed" in tag.split():  # as Django does: each line stripped, joined by one space
                singular = " ".join(line.strip() for line in singular.splitlines() if line.strip())
            found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", singular))
    return found


def _python_msgids() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            # The literal arguments it starts with: (msgid) or (singular, plural) or (context, msgid).
            strings: list[str] = []
            for argument in node.args:
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    break
                strings.append(argument.value)
            if node.func.id in ("_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"):
                found.update(strings[:1])
            elif node.func.id in ("pgettext", "pgettext_lazy") and len(strings) >= 2:
                found.add(f"{strings[0]}\x04{strings[1]}")
    return found


def _words(message: str) -> str:
    """A message without its placeholders (``%(where)s``), whose names are not words to translate."""
    return re.sub(r"%\(\w+\)[sdf]", "", message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_people_read_is_translated(language: str) -> None:
    catalogue = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    wanted = _template_msgids() | _python_msgids()
    assert len(wanted) > 250  # the extraction itself works
    missing = sorted(wanted - set(catalogue))
    assert not missing, missing
    empty = sorted(msgid for msgid, forms in catalogue.items() if not all(f.strip() for f in forms))
    assert not empty, empty
    # "Translated" into itself, though it has words (a message of placeholders and punctuation has none).
    same = sorted(m for m, forms in catalogue.items() if forms == [m] and re.search(r"[a-z]{3}", _words(m)))
    assert not same, same


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    # Nobody needs GNU gettext to run Corridor: the .mo is committed, so it must not go stale.
    folder = LOCALE / language / "LC_MESSAGES"
    catalogue = read_po(folder / "django.po")
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, forms in catalogue.items():
        if len(forms) == 1:
            assert compiled.gettext(msgid) == forms[0], msgid
    placeholders = re.compile(r"%\(\w+\)s")
    for msgid, forms in catalogue.items():
        if len(forms) == 1:
            assert sorted(placeholders.findall(forms[0])) == sorted(placeholders.findall(msgid)), msgid


def test_every_event_type_and_explanation_has_words_in_each_language() -> None:
    assert not set(EVENT_TYPES) - set(labels.EVENT_LABELS)
    codes: dict[str, dict[str, Any]] = {
        "no-trip": {"day": 1},
        "why-facility": {"facility": "H-1", "alternatives": [{"facility": "H-2", "extra_cost": 12}]},
        "patient-fixed": {"patient": "P-1"},
        "patient-overdue": {"patient": "P-1", "slack_days": -3, "weight": 5},
        "patient-due": {"patient": "P-1", "slack_days": 2, "weight": 5},
        "projected-late": {"patient": "P-1", "days_late": 4, "planned_day": 3},
        "more-late": {"count": 7},
        "bound": {"bound": 100, "objective": 110, "gap": 0.0909},
    }
    for language in LANGUAGES:
        with translation.override(language):
            for code, fields in codes.items():
                sentence = labels.explanation({"code": code, "sentence": "ENGLISH", **fields}, dt.date(2014, 10, 14))
                assert sentence != "ENGLISH" and not re.search(r"[A-Za-z]{4}", sentence.replace("ENGLISH", "")), (
                    language,
                    code,
                    sentence,
                )


def test_a_checkpoint_says_in_each_language_whether_its_witnesses_policy_held() -> None:
    from types import SimpleNamespace

    def entry(payload: dict[str, Any]) -> Any:
        return SimpleNamespace(type="checkpoint.signed", payload=payload, corrects=None)

    held = {"tree_size": 1042, "witnessed": True, "witness_policy": {"quorum": 2, "of": 3, "cosigned": 3},
            "timestamps": [{"tsa": "t"}]}  # fmt: skip
    short = {"tree_size": 7, "witnessed": False, "witness_policy": {"quorum": 2, "of": 3, "cosigned": 1}}
    with translation.override("en"):
        assert labels.summary(entry(held)) == "1,042 entries · co-signed by 3 of 3 witnesses · time-stamped"
        assert labels.summary(entry(short)) == "7 entries · not witnessed: 1 of 3 witnesses co-signed, 2 needed"
        assert labels.summary(entry({"tree_size": 5})) == "5 entries"
    for language in ("fa", "ar"):
        with translation.override(language):
            text = labels.summary(entry(short))
            assert "witness" not in text and "entries" not in text and text


def test_a_list_of_codes_is_separated_by_the_languages_own_comma() -> None:
    from types import SimpleNamespace

    requested: Any = SimpleNamespace(
        type="trip.requested",
        payload={"trip": 269, "facility": "H-01", "date": "2014-10-15", "patients": ["P-0454", "P-0538"]},
        corrects=None,
    )
    with translation.override("en"):
        assert labels.summary(requested).endswith("P-0454, P-0538")
    for language in ("fa", "ar"):
        with translation.override(language):
            text = labels.summary(requested)
            assert "\u2068P-0454\u2069، \u2068P-0538\u2069" in text and ", " not in text


def test_numbers_and_dates_are_written_the_local_way() -> None:
    day = dt.date(2014, 10, 14)
    assert l10n.number(12345, "fa") == "۱۲٬۳۴۵" and l10n.number(3.5, "ar") == "٣٫٥"
    assert l10n.number(12345, "en") == "12,345"
    assert l10n.solar_hijri(day) == "۲۲ مهر ۱۳۹۳"
    assert l10n.solar_hijri(dt.date(2015, 3, 21)) == "۱ فروردین ۱۳۹۴"  # Nowruz
    assert l10n.gregorian(day, "en") == "14 Oct 2014"
    assert l10n.gregorian(day, "ar") == "١٤ أكتوبر ٢٠١٤"


class _Text(HTMLParser):
    """The visible text of a page, one string per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "pre"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "pre") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.nodes.append(data.strip())


def _texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


# Words that are data or names, the same in every language: hospitals, the camp, accounts, codes.
DATA = re.compile(
    r"\b(Oncology|Eyes|Heart|Test Camp|Corridor|English|system|coordinator|clinician|monitor|auditor|admin|"
    r"outsider|ICD-10|trip:12|T-\d+|H-\d+|P-\d+|CAMP-T|[a-z_]+\.[a-z_]+|[a-z_]+:[\w.-]+|[0-9a-f]{12,})\b"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_the_pages_of_the_workspace(
    language: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
    urls = [
        "/",
        "/plan/",
        "/trips/",
        reverse("web:trip", args=[scene.trip.pk]),
        "/patients/",
        reverse("web:patient", args=[scene.patients[5].code]),
        reverse("web:patient_identity", args=[scene.patients[5].code]),
        reverse("web:referral_create", args=[scene.patients[5].code]),
        "/patients/new/",
        "/ledger/",
        reverse("web:ledger_entry", args=[scene.plan.seq]),
    ]
    leftovers = {}
    for url in urls:
        html = client.get(url).content.decode()
        assert f'<html lang="{language}" dir="rtl">' in html, url
        english = [t for t in _texts(html) if re.search(r"[a-z]{3}", DATA.sub("", t))]
        if english:
            leftovers[url] = english
    assert not leftovers, "\n".join(f"{u}: {t}" for u, t in leftovers.items())


def test_the_chosen_language_follows_the_user_to_a_new_session(
    scene: Scene, client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    client_for("monitor").post(reverse("web:set_language"), {"language": "ar"})
    assert Preference.objects.get(user=users["monitor"]).language == "ar"
    elsewhere = Client()  # another browser: no cookie, an English-speaking one
    elsewhere.post("/accounts/login/", {"username": "monitor", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    html = elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ar" dir="rtl">' in html and "لوحة المتابعة" in html
    other = client_for("auditor").get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en" dir="ltr">' in other  # one user's choice is theirs alone


def test_a_persian_dashboard_gives_solar_hijri_dates_and_persian_digits(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("monitor")
    client.post(reverse("web:set_language"), {"language": "fa"})
    html = client.get("/").content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", html, re.DOTALL)
    assert heading is not None
    assert '<time datetime="2014-10-12">۲۰ مهر ۱۳۹۳</time>' in heading.group(1)  # 12 October 2014
    assert "۱۲ اکتبر ۲۰۱۴" in heading.group(1)  # and the Gregorian date beside it
    waiting = re.search(r'id="backlog".*?<b>(.*?)</b>', html, re.DOTALL)
    assert waiting is not None and waiting.group(1) == "۶"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_the_account_and_access_review_pages(
    language: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    from corridor.accounts import breakglass
    from corridor.accounts.tokens import issue_token

    issue_token(scene.users["clinician"], by=None, label="gate phone")
    breakglass.open_break_glass(scene.patients[0], reason="hospital query", by=scene.users["auditor"])
    Client().post("/accounts/login/", {"username": "monitor", "password": "wrong"})
    pages = {
        "admin": ["/users/", "/users/new/", "/users/clinician/", "/account/password/"],
        "auditor": [
            "/audit/sign-ins/",
            "/audit/break-glass/",
            "/",
            reverse("web:patient_break_glass", args=[scene.patients[1].code]),
        ],
    }
    leftovers = {}
    for role, urls in pages.items():
        client = client_for(role)
        assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
        for url in urls:
            html = client.get(url).content.decode()
            assert f'<html lang="{language}" dir="rtl">' in html, url
            allowed_data = re.compile(r"\b(UTC|gate phone|hospital query|wrong|cor_[\w-]+|\d+\.\d+\.\d+\.\d+)\b")
            english = [t for t in _texts(html) if re.search(r"[a-z]{3}", allowed_data.sub("", DATA.sub("", t)))]
            if english:
                leftovers[url] = english
    assert not leftovers, "\n".join(f"{u}: {t}" for u, t in leftovers.items())


def test_a_plans_gap_to_its_bound_is_never_said_to_be_zero_when_there_is_one() -> None:
    def said(bound: int, objective: int, language: str = "en") -> str:
        item = {"code": "bound", "bound": bound, "objective": objective, "gap": (objective - bound) / objective}
        with translation.override(language):
            return labels.explanation(item, dt.date(2014, 10, 14))

    assert "(0.2% above that bound)" in said(21_481, 21_526).replace("\xa0", "")
    assert "(0.1% above that bound)" in said(99_990, 100_000).replace("\xa0", "")  # 0.01 %, not 0
    assert "(0% above that bound)" in said(110, 110).replace("\xa0", "")
    assert "(13% above that bound)" in said(120, 138).replace("\xa0", "")
    assert "۰٫۲" in said(21_481, 21_526, "fa") and "٠٫٢" in said(21_481, 21_526, "ar")
