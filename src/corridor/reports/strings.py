"""The reports' words and the way they write numbers and dates, in the language each report is made in.

Every word is a gettext message (its English text is the msgid), translated in the project's catalogues
like the rest of the interface; the tables below only name each message by the key a report's layout
uses (``report.title``, ``col.requests``), because templates and tables ask for their words by key. A
code (a sex, an outcome, a certainty) reads the same as on every screen: its words come from
``corridor.vocabulary``. Numbers and dates are written by ``corridor.web.l10n``, the one formatting
layer; a date here never breaks across lines, and a range or a number with its unit is isolated so
that it reads in order inside right-to-left text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from corridor import vocabulary
from corridor.reports import catalogue, codes
from corridor.web import l10n

LANGUAGES = ("en", "fa", "ar")
RTL = frozenset({"fa", "ar"})

MESSAGES: dict[str, Promise] = {
    "report.title": _("Access to hospital care: monthly report"),
    "report.period": _("Period"),
    "report.to": _("counted to %(date)s"),
    "report.site": _("Site"),
    "report.generated": _("Generated"),
    "report.ledger_head": _("Ledger head at generation"),
    "report.entry": _("entry %(seq)s"),
    "report.evidence": _("Evidence"),
    "report.evidence_checkpoint": _(
        "The entries cited in this report (their numbers are given beside each incident) are included "
        "in the signed checkpoint below. Their inclusion proofs are attached to this file as "
        "evidence.json; anyone can check them with the standalone verifier and the published key."
    ),
    "report.evidence_none": _(
        "No signed checkpoint covers the entries cited here yet: run corridor checkpoint and generate "
        "the report again to attach their proofs."
    ),
    "report.verify": _("Anyone holding a copy of the ledger can check this hash with the command corridor verify."),
    "report.pseudonymised": _(
        "No name, contact or personal note appears in this report. Ages are shown only as age groups."
    ),
    "report.public": _("Public edition: counts from 1 to 4, and anything that would reveal them, are left blank (—)."),
    "report.summary": _("Summary"),
    "report.key_figures": _("Key figures"),
    "report.charts": _("Charts"),
    "report.indicators": _("Indicators"),
    "report.indicator": _("Indicator"),
    "report.value": _("Value"),
    "report.unit": _("Unit"),
    "report.definition": _("Definition"),
    "report.breakdown": _("By %(what)s"),
    "report.incidents": _("Notable incidents"),
    "report.deaths_list": _("Each death while waiting"),
    "report.none": _("None recorded in this period."),
    "report.methods": _("Methods"),
    "report.page": _("Page"),
    "report.of": _("of"),
    "report.not_reached": _("not reached"),
    "summary.requests": _(
        "%(requests)s patients' trip requests fell due in the period: %(approved)s approved, %(denied)s "
        "denied and %(delayed)s without an answer by the trip date."
    ),
    "summary.backlog": _(
        "%(waiting)s referrals were waiting at the end of the period, %(past)s of them past their "
        "clinical deadline; the longest had waited %(longest)s days."
    ),
    "summary.trips": _(
        "Of %(trips)s trips, %(cancelled)s were cancelled; trips were held at the gate %(mean)s hours "
        "on average and %(max)s hours at most."
    ),
    "summary.deaths": _("Died while waiting for care: %(deaths)s."),
    "chart.requests": _("Requests by outcome, month by month (the last bar is this period)."),
    "chart.km": _(
        "Referrals of the last twelve months by days since referral (horizontal): the share seen, the "
        "share who died waiting and the share who left (vertical, %), with death and leaving as "
        "competing events (Aalen–Johansen). The dashed line is the naive Kaplan–Meier share seen, which "
        "counts those who died or left as if they might still be seen; where it lies above the solid "
        "line, the gap is care that people who died or left never received."
    ),
    "chart.seen": _("seen"),
    "chart.death": _("died waiting"),
    "chart.departure": _("left"),
    "chart.naive": _("seen, Kaplan–Meier (naive)"),
    "chart.backlog": _(
        "Referrals waiting at the end of the period by priority class: within the deadline and past it."
    ),
    "chart.holds": _("Hours each trip was held at the gate (vertical) by day of the month (horizontal)."),
    "chart.all": _("all"),
    "chart.within": _("within the deadline"),
    "chart.past": _("past the deadline"),
    "col.date": _("Date"),
    "col.days_waited": _("Days waited"),
    "col.diagnosis_group": _("Diagnosis group"),
    "col.specialty": _("Specialty"),
    "col.priority": _("Priority class"),
    "col.source": _("Source"),
    "col.certainty": _("Certainty"),
    "col.attack_type": _("Type (SSA)"),
    "col.resource": _("Resource affected"),
    "col.item": _("Supply"),
    "col.description": _("What happened"),
    "col.category": _("Category"),
    "col.requests": _("Requests"),
    "col.approved": _("Approved"),
    "col.denied": _("Denied"),
    "col.delayed": _("Delayed"),
    "col.approval_rate": _("Approved %"),
    "col.denial_rate": _("Denied %"),
    "col.delay_rate": _("Delayed %"),
    "col.unsuccessful_rate": _("Unsuccessful %"),
    "col.seen": pgettext_lazy("count of patients", "Seen"),
    "col.median_days": _("Median days"),
    "col.p90_days": _("90th percentile, days"),
    "col.within_deadline": _("Within deadline"),
    "col.within_deadline_rate": _("Within deadline %"),
    "col.day": _("Days since referral"),
    "col.cohort": _("Referrals followed"),
    "col.share_seen": _("Seen by then %"),
    "col.waiting": _("Waiting"),
    "col.past_deadline": _("Past deadline"),
    "col.past_deadline_rate": _("Past deadline %"),
    "col.longest_wait_days": _("Longest wait, days"),
    "col.trips": _("Trips"),
    "col.patient_places": _("Patient places"),
    "col.mean_hours": _("Mean hours"),
    "col.max_hours": _("Most hours"),
    "col.arrived": _("Reached hospital"),
    "col.late": _("After closing"),
    "col.late_rate": _("After closing %"),
    "col.patients": _("Patients"),
    "col.deaths": _("Deaths"),
    "col.incidents": _("Incidents"),
    "by.age_group": _("age group"),
    "by.sex": _("sex"),
    "by.specialty": _("specialty"),
    "by.facility": _("destination hospital"),
    "by.priority": _("priority class"),
    "by.status": _("status"),
    "by.cancelled_by": _("who cancelled"),
    "by.outcomes": _("outcome at the hospital"),
    "by.diagnosis_group": _("diagnosis group"),
    "by.type": _("type, resource and certainty"),
    "by.km_curve": _("days since referral (Kaplan–Meier)"),
    "by.gate_by_facility": _("hospital"),
    "by.late_by_facility": _("hospital"),
    "by.km_by_priority": _("priority class (Kaplan–Meier)"),
    "report.issued_by": _("Issued by"),
    "report.contact": _("Contact"),
    "report.period_covered": _("Period covered"),
    "report.data_as_of": _("Data as of"),
    "report.generated_on": pgettext_lazy("of this edition", "Generated"),
    "report.narrative": _("The month in the monitors' words"),
    "report.narrative_by": _("Written by %(by)s on %(date)s; ledger entry %(seq)s."),
    "report.narrative_none": _("No monitor has written a narrative for this month."),
    "report.refusals": _("Permits denied and trips cancelled, with the reasons given"),
    "report.no_reason": _("no reason given"),
    "report.figures_cover": _("At a glance"),
    "report.evidence_how": _(
        "How to check this report: every incident and denial above gives the numbers of the ledger "
        "entries it rests on. The ledger is append-only and each entry is chained to the one before by "
        "its SHA-256 hash, so an entry cannot be changed or removed without breaking every later hash. "
        "At intervals the ledger is signed: the signed checkpoint below states how many entries it held "
        "and the root hash of all of them. The file evidence.json attached to this PDF holds each cited "
        "entry and the proof that it is part of that checkpoint. Anyone who has the issuing "
        "organisation's public key can check, with a freely available verifier and without access to "
        "the rest of the ledger, that the entries are exactly as cited and were signed at that time. "
        "Ask the issuing organisation for its public key and the verifier."
    ),
    "report.evidence_pending": _(
        "The ledger had not yet been signed since the entries cited here were recorded, so no proofs "
        "are attached to this edition. Ask the issuing organisation for an edition made after its next "
        "signed checkpoint: it will carry the proofs."
    ),
    "report.head_note": _(
        "The ledger's latest entry when this file was made, and its hash: any later copy of the ledger "
        "that holds this entry with this hash contains everything this report was made from, unchanged."
    ),
    "col.share_died": _("Died waiting %"),
    "col.share_left": _("Left %"),
    "col.died": _("Died waiting"),
    "col.left": _("Left"),
    "col.km_share_seen": _("Seen %, Kaplan–Meier (deaths hidden)"),
    "by.competing_risks": _("days since referral, with death and leaving as competing events (Aalen–Johansen)"),
    "col.hospital": _("Hospital"),
    "col.action": _("What"),
    "col.by": _("By"),
    "col.reason": _("Reason given"),
    "dossier.title": _("Case dossier: access to hospital care"),
    "dossier.pseudonymised": _(
        "Pseudonymised: the person appears under a code. The issuing organisation can identify them to "
        "a mandate holder on request, with the person's consent."
    ),
    "dossier.identity_note": _(
        "Identity version: this copy names the person. Its making was recorded in the ledger with its purpose."
    ),
    "dossier.erased": _("erased: this person's identity can no longer be read"),
    "dossier.who": _("1. Who"),
    "dossier.what": _("2. What happened: the referrals and the time waited"),
    "dossier.when": _("3. When and where: every step in order"),
    "dossier.incidents": _("4. By whom: obstruction of the person's care"),
    "dossier.remedy": _("5. What was done to seek a remedy"),
    "dossier.evidence": _("6. Evidence"),
    "dossier.code": _("Code"),
    "dossier.name": _("Name"),
    "dossier.contact": _("Contact"),
    "dossier.sex": _("Sex"),
    "dossier.age_group": _("Age group"),
    "dossier.site": _("Place of residence"),
    "dossier.data_as_of": _("Data as of"),
    "dossier.generated": _("Generated"),
    "dossier.issued_by": _("Issued by"),
    "dossier.referred": _("Referred"),
    "dossier.deadline": _("Clinical deadline"),
    "dossier.status": _("Now"),
    "dossier.hours_held": _("held %(hours)s hours"),
    "dossier.by_whom": _(
        "%(count)s of the acts below were done by the authority that controls the crossing (permits, "
        "the gate, cancellations), as recorded from these sources: %(sources)s."
    ),
    "dossier.remedies": _(
        "The camp asked the authority %(requests)s times for permission for this person to travel to "
        "hospital: %(approved)s approved, %(denied)s denied and %(unanswered)s never answered. Trips "
        "then cancelled by the authority: %(cancelled)s."
    ),
    "dossier.ledger_head": _("Ledger's latest entry when this file was made"),
    "dossier.cited": _("Ledger entries cited, with their proofs in evidence.json"),
    "dossier.none": _("None recorded."),
    "dossier.files": _("Files attached as evidence (kept sealed and exactly as received; each named by its SHA-256)"),
    "dossier.file": _("%(kind)s, documenting entry %(documents)s; C2PA provenance: %(c2pa)s"),
    "dossier.kind_image": _("photo"),
    "dossier.kind_video": _("video"),
    "dossier.kind_audio": _("audio recording"),
    "dossier.kind_document": _("document"),
    "dossier.kind_bundle": _("ProofMode proof bundle"),
    "dossier.proofmode": _("%(what)s; ProofMode hashes and signatures: %(status)s"),
    "dossier.c2pa_valid": _("verifies"),
    "dossier.c2pa_invalid": _("does not verify"),
    "dossier.c2pa_none": _("none"),
    "dossier.c2pa_unchecked": _("not checked"),
    "what.companion_rejected": _("The authority refused the %(role)s of a patient travelling to %(place)s."),
    "what.delivery_blocked": _("A delivery of %(item)s (%(amount)s) was blocked at the gate."),
    "what.delivery_cut": _("Only %(allowed)s of a delivery of %(item)s (%(amount)s) was let through."),
    "what.recorded": _("%(type)s, affecting %(resource)s."),
    "what.unknown_amount": _("quantity not recorded"),
    "what.reason": _("Reason given: “%(reason)s”."),
    "what.no_reason": _("No reason was given."),
    "col.kind": _("What"),
    "col.what_happened": _("What happened"),
    "col.place": _("Place"),
    "col.entries": _("Ledger entries"),
}

# Words for codes of no code list: a supply named by its own code rather than its category, and the
# words a table uses for a missing or a total row.
LABELS: dict[str, dict[str, Promise]] = {
    "common": {
        "unknown": _("unknown"),
        "all": _("all"),
    },
    "item": {
        "insulin": _("insulin"),
        "antibiotics": _("antibiotics"),
        "septic": _("septic tanks"),
    },
}

METHODS: tuple[Promise, ...] = (
    _(
        "Every figure is computed from Corridor's register and its append-only, hash-chained ledger, by "
        "the definitions printed beside it and listed in full in the project's docs/indicators.md."
    ),
    _(
        "Requests follow the WHO's monthly reports on patients' permit applications: one request per "
        "patient and trip; a request is approved or denied when that answer came on or before the trip "
        "date, and delayed when no definitive answer came by then, so that approved, denied and delayed "
        "add up to all requests."
    ),
    _(
        "Time to care runs from the referral to the first completed hospital visit. Its curve is a "
        "cumulative incidence (Aalen–Johansen) with death and leaving as competing events: people still "
        "waiting count up to today without being assumed seen or lost, and those who died or left "
        "before being seen end their wait there, so the shares seen, died and left add up, with those "
        "still waiting, to everyone referred. The dashed Kaplan–Meier curve beside it treats the dead "
        "and those who left as if they might still be seen, so it shows how soon people who stay are "
        "seen, not how many ever are. Where many die waiting, the Kaplan–Meier share seen is higher "
        "than the competing-risks one; the gap is the care that the dead were never given."
    ),
    _(
        "Incidents use the terms of the WHO Surveillance System for Attacks on Health Care: type of "
        "attack, resource affected and level of certainty. Each incident keeps the source and certainty "
        "it was recorded with; corrected entries count as corrected and retracted ones not at all."
    ),
    _("Patients appear under no name. Ages are grouped; identity fields never leave the register."),
)

# Messages with a count, in the plural form the language needs for it (Arabic has six, Persian two):
# ``tr(key, language, n=count, ...)``: ``n`` picks the form; the values fill the placeholders.
PLURALS: dict[str, Promise] = {
    "what.permit_denied": ngettext_lazy(
        "The authority denied the permit for a trip to %(place)s carrying %(patients)s patient.",
        "The authority denied the permit for a trip to %(place)s carrying %(patients)s patients.",
        "n",
    ),
    "what.no_answer": ngettext_lazy(
        "A trip to %(place)s for %(patients)s patient, requested on %(requested)s, had no answer by the "
        "appointment date.",
        "A trip to %(place)s for %(patients)s patients, requested on %(requested)s, had no answer by the "
        "appointment date.",
        "n",
    ),
    "what.cancelled_by_authority": ngettext_lazy(
        "The authority cancelled a trip to %(place)s carrying %(patients)s patient.",
        "The authority cancelled a trip to %(place)s carrying %(patients)s patients.",
        "n",
    ),
    "what.held_at_gate": ngettext_lazy(
        "A trip to %(place)s carrying %(patients)s patient was held at the gate for %(hours)s hours.",
        "A trip to %(place)s carrying %(patients)s patients was held at the gate for %(hours)s hours.",
        "n",
    ),
    "what.turned_back": ngettext_lazy(
        "The gate turned back a trip to %(place)s carrying %(patients)s patient.",
        "The gate turned back a trip to %(place)s carrying %(patients)s patients.",
        "n",
    ),
    "what.arrived_after_closing": ngettext_lazy(
        "A trip carrying %(patients)s patient reached %(place)s after it had closed for the day.",
        "A trip carrying %(patients)s patients reached %(place)s after it had closed for the day.",
        "n",
    ),
    "dossier.waited": ngettext_lazy("%(days)s day so far", "%(days)s days so far", "n"),
    "dossier.waited_seen": ngettext_lazy("seen after %(days)s day", "seen after %(days)s days", "n"),
    "dossier.past_deadline": ngettext_lazy(
        "%(days)s day past the clinical deadline", "%(days)s days past the clinical deadline", "n"
    ),
    "dossier.within_deadline": ngettext_lazy(
        "within the clinical deadline (%(days)s day to spare)",
        "within the clinical deadline (%(days)s days to spare)",
        "n",
    ),
    "summary.incidents": ngettext_lazy(
        "%(total)s obstruction incident was recorded: %(kinds)s.",
        "%(total)s obstruction incidents were recorded: %(kinds)s.",
        "n",
    ),
}

# Kinds of code whose words are a code list's own labels (corridor.vocabulary), as on every screen.
VOCABULARY = {
    "cancelled_by": "cancelled_by",
    "status": "trip_status",
    "referral_status": "referral_status",
    "companion": "companion_kind",
    "role": "companion_kind",
    "sex": "sex",
    "specialty": "specialty",
    "outcome": "outcome",
    "certainty": "certainty",
    "source": "source",
    "item": "supply_category",
    "kind": "obstruction_kind",
    "attack_type": "attack_type",
    "age_group": "age_group",
    "diagnosis_group": "diagnosis_group",
}


def add_words(words: Mapping[str, Promise]) -> None:
    """Words (gettext messages) for the tables of a section another app adds, by key ("col.stock").

    A word the report already has keeps its own text: one key has one wording, whichever app uses it.
    """
    for key, text in words.items():
        MESSAGES.setdefault(key, text)


def tr(key: str, language: str, n: int | None = None, **values: object) -> str:
    """The message ``key`` in ``language``, with ``values`` filled in; the count ``n`` chooses a plural form.

    An unknown key gives its last part in plain words, so that a table added by another module
    without words of its own still reads.
    """
    if n is not None:
        with translation.override(language):
            return str(PLURALS[key] % {"n": n, **values})
    found = MESSAGES.get(key)
    if found is None:  # a word another module's table did not provide: its code, readable
        return key.split(".", 1)[-1].replace("_", " ")
    text = translate(found, language)
    return text % values if values else text


def words(prefix: str, language: str) -> dict[str, str]:
    """Every message under ``prefix`` ("report", "col") in ``language``, by the rest of its key: a template's words.

    Translated under one switch of language rather than one per word (a report asks for over a hundred).
    """
    with translation.override(language):
        return {key.split(".", 1)[1]: str(text) for key, text in MESSAGES.items() if key.startswith(prefix + ".")}


def translate(message: str | Promise, language: str) -> str:
    """A gettext message in ``language``."""
    with translation.override(language):
        return str(message)


def title(item: catalogue.Indicator | catalogue.Section, language: str) -> str:
    """An indicator's or a section's title in ``language`` (the catalogue holds it in English, a msgid)."""
    with translation.override(language):
        return translation.gettext(item.title)


def definition(indicator: catalogue.Indicator, language: str) -> str:
    """An indicator's definition in ``language``."""
    with translation.override(language):
        return translation.gettext(indicator.definition)


def methods(language: str) -> list[str]:
    """The paragraphs of the report's methods section in ``language``."""
    return [translate(paragraph, language) for paragraph in METHODS]


def label(kind: str, code: object, language: str) -> str:
    """Words for a code shown in a table (a sex, an outcome, a certainty…), or the code itself."""
    if code is None:
        return "—"
    text = str(code)
    if kind in VOCABULARY and text in vocabulary.codes(VOCABULARY[kind]):
        return vocabulary.label(VOCABULARY[kind], text, language)
    if kind == "resource" and text in codes.Resource.values:  # not registered: see corridor.vocabulary
        return translate(codes.Resource(text).label, language)
    if kind == "event" or kind == "action":  # a ledger event, named as on the ledger's pages
        from corridor.web.labels import event_label

        event = text if kind == "event" else f"trip.{text}"  # an action is a trip denied or cancelled
        with translation.override(language):
            words = event_label(event)
        if words == event:
            return text
        # A timeline's line starts with a capital; an action is a table's word, like the reasons beside it.
        return words[:1].upper() + words[1:] if kind == "event" else words
    found = LABELS.get(kind, {}).get(text) or LABELS["common"].get(text)
    if found:
        return translate(found, language)
    return text


def span(low: str, high: str, language: str) -> str:
    """A range of two dates or numbers, isolated in right-to-left text so that it never reads reversed."""
    return l10n.span(low, high, language)


def unit(amount: str, unit_words: str, language: str) -> str:
    """An amount and its unit ("12 L"), isolated in right-to-left text so that it keeps its order."""
    return l10n.quantity(amount, unit_words, language)


def join(items: Iterable[str], language: str) -> str:
    """Items of a list joined by the comma of ``language``."""
    return l10n.join(items, language)


def digits(text: str, language: str) -> str:
    """Write Western digits as the language's own (Persian or Arabic-Indic)."""
    return l10n.digits(text, language)


def number(value: float | int | None, language: str, decimals: int = 0, percent: bool = False) -> str:
    """A number as readers of ``language`` write it; an empty (suppressed or undefined) value is a dash."""
    if value is None:
        return "—"
    return l10n.number(value, language, decimals, percent=percent)


def date(day: dt.date, language: str) -> str:
    """``14 October 2014`` in the language's words and digits (Gregorian calendar), never broken across lines."""
    return l10n.nowrap(l10n.gregorian(day, language, long=True))


def month(day: dt.date, language: str) -> str:
    """``October 2014`` in the language's words and digits, never broken across lines."""
    return l10n.nowrap(l10n.month(day, language))


def jalali(day: dt.date) -> str:
    """The Solar Hijri date that Persian readers use, e.g. ``۲۲ مهر ۱۳۹۳``, never broken across lines."""
    return l10n.nowrap(l10n.solar_hijri(day))
