"""Translated names for the ledger's event types, and one short sentence per entry for timelines.

The ledger's codes (``trip.denied``) stay as they are in exports and filters; people read these.
Payloads hold pseudonymous codes only, never identity fields, so summaries may quote them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, get_language_bidi, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from corridor import vocabulary
from corridor.accounts.roles import Role
from corridor.ledger import consequences
from corridor.ledger.models import Entry
from corridor.register.models import Referral, Specialty
from corridor.transfers.models import Companion, TripCompanion, TripPassenger
from corridor.web import l10n

EVENT_LABELS: dict[str, str | Promise] = {
    "site.created": _("site added"),
    "site.changed": _("site changed"),
    "facility.created": _("hospital added"),
    "facility.changed": _("hospital changed"),
    "priority.changed": _("priority class set"),
    "rules.changed": _("access rules changed"),
    "patient.registered": _("patient registered"),
    "patient.changed": _("patient changed"),
    "identity.changed": _("identity changed"),
    "identity.viewed": _("identity viewed"),
    "referral.created": _("referred"),
    "referral.changed": _("referral changed"),
    "referral.closed": _("referral closed"),
    "plan.proposed": _("plan proposed"),
    "plan.lp_bound": _("plan's LP bound"),
    "trip.requested": _("trip requested"),
    "trip.approved": _("trip approved"),
    "trip.denied": _("trip denied"),
    "trip.cancelled": _("trip cancelled"),
    "trip.manifest_changed": _("manifest changed"),
    "companion.registered": _("companion added to the roster"),
    "trip.companion_asked": _("companion asked for"),
    "trip.companion_answered": _("answer about a companion"),
    "gate.arrived": _("at the gate"),
    "gate.released": _("released at the gate"),
    "gate.held": _("held at the gate"),
    "gate.turned_back": _("turned back at the gate"),
    "trip.departed": _("trip left the camp"),
    "trip.arrived": _("arrived at the hospital"),
    "trip.returned": _("trip returned"),
    "patient.seen": _("seen at the hospital"),
    "patient.not_seen": _("not seen at the hospital"),
    "appointment.missed": _("appointment missed"),
    "patient.died": _("died while waiting"),
    "patient.left": _("left the camp or the list"),
    "incident.recorded": _("incident recorded"),
    "supply.blocked": _("delivery blocked"),
    "entry.corrected": _("entry corrected"),
    "entry.retracted": _("entry retracted"),
    "scenario.loaded": _("scenario loaded"),
    "scenario.clock_moved": _("scenario clock moved"),
    "user.created": _("user created"),
    "user.roles_changed": _("user's roles changed"),
    "user.sites_changed": _("user's sites changed"),
    "user.password_reset": _("password reset"),
    "user.password_changed": _("password changed"),
    "user.deactivated": _("user deactivated"),
    "user.reactivated": _("user reactivated"),
    "access.break_glass": _("break-glass access to an identity"),
    "access.break_glass_acknowledged": _("break-glass access acknowledged"),
    "export.created": _("export created"),
    "report.narrative": _("report narrative written"),
    "site.published": _("public site published"),
    "identity.rekeyed": _("identities re-encrypted"),
    "erasure.requested": _("erasure asked for"),
    "erasure.confirmed": _("identity erased"),
    "erasure.cancelled": _("erasure cancelled"),
    "supply.item_defined": _("supply item added"),
    "supply.item_changed": _("supply item changed"),
    "supply.counted": _("stock counted"),
    "supply.adjusted": _("stock adjusted"),
    "supply.requested": _("delivery requested"),
    "supply.allowed": _("delivery let through"),
    "supply.partly_allowed": _("delivery partly let through"),
    "power.generator_added": _("generator added"),
    "power.recorded": _("power recorded"),
    "dependence.recorded": _("dependence on a supply recorded"),
    "dependence.ended": _("dependence on a supply ended"),
    "token.issued": _("API token issued"),
    "token.revoked": _("API token revoked"),
    "checkpoint.signed": _("checkpoint signed"),
    "attachment.added": _("attachment added"),
    "attachment.viewed": _("attachment original viewed"),
    "text.viewed": _("withheld text read"),
    "text.proved": _("committed text proved"),
    "ledger.commitments_began": _("texts committed from here on"),
}


def event_label(type_code: str) -> str:
    label = EVENT_LABELS.get(type_code)
    return str(label) if label is not None else type_code


def iso(code: Any) -> str:
    """A code (P-0042, T-12, H-01) kept in one piece inside right-to-left text.

    Without the isolates a Persian number next to a code joins its left-to-right run, so
    "P-0412 ۱۰۸ روز" would read as if the number came first.
    """
    text = str(code)
    return f"\u2068{text}\u2069" if get_language_bidi() else text


def _codes(values: Any) -> str:
    # Translators: the separator between codes in a list (Persian and Arabic use their own comma).
    return gettext(", ").join(iso(v) for v in values)


def _trip(p: dict[str, Any]) -> str:
    return iso(f"T-{p['trip']}") if p.get("trip") is not None else ""


def _day(value: Any) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    language = get_language()
    return l10n.solar_hijri(day) if l10n.base(language) == "fa" else l10n.gregorian(day, language)


def _choice(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _checkpoint(p: dict[str, Any]) -> str:
    """How many entries a checkpoint covers, whether its witnesses' policy held, whether it was time-stamped."""
    language = get_language()
    parts = [gettext("%(size)s entries") % {"size": l10n.number(p.get("tree_size"), language)}]
    policy = p.get("witness_policy") or {}
    if policy.get("of"):
        numbers = {key: l10n.number(policy.get(key), language) for key in ("cosigned", "of", "quorum")}
        if p.get("witnessed"):
            parts.append(gettext("co-signed by %(cosigned)s of %(of)s witnesses") % numbers)
        else:
            text = gettext("not witnessed: %(cosigned)s of %(of)s witnesses co-signed, %(quorum)s needed")
            parts.append(text % numbers)
    if p.get("timestamps"):
        parts.append(gettext("time-stamped"))
    return " · ".join(parts)


def _death(p: dict[str, Any]) -> str:
    """The death a trip's change followed from (``because_of``, ``died``), in the active language.

    A death since retracted is said to be: the change stays in the record, but the trip's timeline must
    not go on saying the patient died once nobody holds that any more.
    """
    words = {
        "patient": iso(str(p.get("died") or "")),
        "seq": l10n.digits(str(p.get("because_of")), get_language()),
    }
    if consequences.retraction_of(p.get("because_of")) is not None:
        return gettext("%(patient)s was recorded dead, since retracted (entry %(seq)s)") % words
    return gettext("%(patient)s died (entry %(seq)s)") % words


def summary(entry: Entry) -> str:
    """One plain sentence about what ``entry`` records, in the active language ('' when the label says it all)."""
    p = entry.payload
    kind = entry.type
    reason = (p.get("reason") or "").strip() if isinstance(p.get("reason"), str) else ""
    if kind == "checkpoint.signed":
        return _checkpoint(p)
    if kind == "referral.created":
        return gettext("%(specialty)s, priority %(priority)s, due %(due)s") % {
            "specialty": _choice(Specialty, p.get("specialty")),
            "priority": p.get("priority", ""),
            "due": _day(p.get("due_date")),
        }
    if kind == "referral.closed":
        return gettext("referral %(referral)s: %(reason)s") % {
            "referral": l10n.digits(str(p.get("referral")), get_language()),
            "reason": _choice(Referral.Status, p.get("reason")),
        }
    if kind == "trip.requested":
        return gettext("%(trip)s to %(facility)s on %(date)s: %(patients)s") % {
            "trip": _trip(p),
            "facility": iso(p.get("facility", "")),
            "date": _day(p.get("date")),
            "patients": _codes(p.get("patients", [])),
        }
    if kind in ("trip.denied", "trip.cancelled", "gate.turned_back"):
        who = vocabulary.label("cancelled_by", p.get("cancelled_by", ""))
        parts = [_trip(p)]
        if who:
            parts.append(gettext("by %(who)s") % {"who": who})
        if p.get("because_of"):
            parts.append(gettext("nobody was left on it: %(death)s") % {"death": _death(p)})
        elif reason:
            parts.append(gettext("reason given: %(reason)s") % {"reason": reason})
        else:
            parts.append(gettext("no reason given"))
        return " · ".join(parts)
    if kind == "gate.held":
        since = str(p.get("since") or "")
        text = gettext("%(trip)s held since %(time)s") % {
            "trip": _trip(p),
            "time": l10n.digits(since[11:16], get_language()),
        }
        note = (p.get("note") or "").strip() if isinstance(p.get("note"), str) else ""
        return f"{text} · {note}" if note else text
    if kind == "gate.released":
        return gettext("%(trip)s held %(hours)s hours") % {
            "trip": _trip(p),
            "hours": l10n.number(p.get("hours_held"), get_language()),
        }
    if kind == "trip.arrived":
        late = gettext("after the hospital closed") if p.get("late") else gettext("in time")
        return f"{_trip(p)} · {late}"
    if kind in ("patient.seen", "patient.not_seen"):
        note = (p.get("note") or "").strip() if isinstance(p.get("note"), str) else ""
        parts = [_trip(p), iso(str(p.get("patient") or "")), str(_choice(TripPassenger.Outcome, p.get("outcome")))]
        return " · ".join(x for x in (*parts, note) if x)
    if kind == "trip.manifest_changed":
        return gettext("added: %(added)s; removed: %(removed)s; reason: %(reason)s") % {
            "added": _codes(p.get("added", [])) or "–",
            "removed": _codes(p.get("removed", [])) or "–",
            "reason": _death(p) if p.get("because_of") else reason or "–",
        }
    if kind == "patient.died":
        return gettext("on %(date)s") % {"date": _day(p.get("date"))}
    if kind == "plan.proposed":
        trip = p.get("trip") or {}
        patients = _codes(x.get("patient", "") for x in trip.get("patients", []))
        return f"{_day(p.get('date'))} · {iso(trip.get('facility', '–'))} · {patients}"
    if kind == "plan.lp_bound":
        if p.get("bound") is None:
            return gettext("of plan %(seq)s: no bound (%(outcome)s)") % {
                "seq": l10n.digits(str(p.get("plan")), get_language()),
                "outcome": BOUND_OUTCOMES.get(str(p.get("outcome")), str(p.get("outcome"))),
            }
        return gettext("of plan %(seq)s: %(bound)s") % {
            "seq": l10n.digits(str(p.get("plan")), get_language()),
            "bound": l10n.number(p.get("bound"), get_language()),
        }
    if kind == "supply.blocked":
        # A whole category (no item tracked) is a word of the vocabulary; an item's code stays a code.
        item = str(p.get("item", ""))
        whole = item == p.get("category", item)
        what = vocabulary.label("supply_category", item) if whole else iso(item)
        return f"{what} · {_day(p.get('date'))}"
    if kind in ("entry.corrected", "entry.retracted"):
        return gettext("of entry %(seq)s: %(reason)s") % {
            "seq": l10n.digits(str(entry.corrects), get_language()),
            "reason": reason,
        }
    if kind in ("trip.companion_asked", "trip.companion_answered"):
        return companion_summary(p)
    if kind.startswith(("trip.", "gate.")):
        return _trip(p)
    return ""


def companion_summary(p: dict[str, Any]) -> str:
    """ "C-0003, interpreter for P-0005 · rejected · what was said": a companion asked for, or the answer."""
    parts = [
        _trip(p),
        gettext("%(companion)s, %(role)s for %(patient)s")
        % {
            "companion": iso(p.get("companion", "")),
            "role": _choice(Companion.Kind, p.get("role")),
            "patient": iso(p.get("for", "")),
        },
    ]
    if p.get("answer"):
        parts.append(_choice(TripCompanion.Answer, p.get("answer")))
    elif p.get("camp_may_choose") is False:
        parts.append(gettext("the rules do not let the camp choose"))
    note = p.get("note")
    if isinstance(note, str) and note.strip():
        parts.append(note.strip())
    return " · ".join(part for part in parts if part)


def _days(n: int) -> str:
    language = get_language()
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": l10n.number(n, language)}


def explanation(item: dict[str, Any], plan_date: dt.date) -> str:
    """The planner's explanation in the active language, from its code and fields (English as a fallback)."""
    language = get_language()
    code = item.get("code")

    def on(day: Any) -> str:
        if day is None:
            return ""
        return _day((plan_date + dt.timedelta(days=int(day))).isoformat())

    def n(value: Any) -> str:
        return l10n.number(value, language)

    if code == "no-trip":
        return gettext("No trip is planned on %(date)s.") % {"date": on(item.get("day"))}
    if code == "why-facility":
        if item.get("fixed_appointment"):
            sentence = gettext("%(facility)s, because a fixed appointment is kept there.")
            return sentence % {"facility": iso(item["facility"])}
        alternatives = item.get("alternatives") or []
        if alternatives:
            best = alternatives[0]
            return gettext(
                "%(facility)s: the best alternative, %(other)s, would make the plan %(cost)s weighted days "
                "later in total."
            ) % {"facility": iso(item["facility"]), "other": iso(best["facility"]), "cost": n(best["extra_cost"])}
        return gettext("%(facility)s is the only hospital open that day.") % {"facility": iso(item["facility"])}
    if code == "patient-fixed":
        return gettext("%(patient)s has a fixed appointment.") % {"patient": iso(item["patient"])}
    if code == "patient-overdue":
        return gettext("%(patient)s is already %(days)s past the deadline (weight %(weight)s).") % {
            "patient": iso(item["patient"]),
            "days": _days(-int(item["slack_days"])),
            "weight": n(item["weight"]),
        }
    if code == "patient-due":
        return gettext("%(patient)s must travel within %(days)s (weight %(weight)s).") % {
            "patient": iso(item["patient"]),
            "days": _days(int(item["slack_days"])),
            "weight": n(item["weight"]),
        }
    if code == "projected-late":
        if item.get("planned_day") is None:
            return gettext("%(patient)s will be at least %(days)s late: no trip within the plan's horizon.") % {
                "patient": iso(item["patient"]),
                "days": _days(int(item["days_late"])),
            }
        return gettext("%(patient)s will be %(days)s late (planned for %(date)s).") % {
            "patient": iso(item["patient"]),
            "days": _days(int(item["days_late"])),
            "date": on(item["planned_day"]),
        }
    if code == "more-late":
        return gettext("Late patients not listed here: %(count)s.") % {"count": n(item["count"])}
    if code == "bound":
        return gettext(
            "No plan can do better than %(bound)s weighted days late; this plan has %(objective)s "
            "(%(gap)s%% above that bound)."
        ) % {
            "bound": n(item["bound"]),
            "objective": n(item["objective"]),
            "gap": l10n.number(gap_percent(float(item.get("gap") or 0)), language),
        }
    return str(item.get("sentence", ""))


def gap_percent(gap: float) -> float | int:
    """A plan's gap to its bound in percent, as the plan page says it: whole percent from 10 %, one decimal
    below, and never 0 when there is a gap (a plan 0.2 % above its bound is not proved optimal)."""
    percent = 100 * gap
    if percent <= 0:
        return 0
    if percent >= 10:
        return round(percent)
    return max(round(percent, 1), 0.1)


# Why a plan's LP bound entry holds no bound (corridor.transfers.bounds).
BOUND_OUTCOMES: dict[str, str | Promise] = {
    "timed_out": _("timed out"),
    "failed": _("failed"),
    "refused": _("refused: above the plan's value"),
}


# Keyed by the roles themselves: accounts.roles is read without translations (services check roles), so
# the words live here, once.
ROLE_LABELS: dict[str, str | Promise] = {
    Role.COORDINATOR: _("coordinator"),
    Role.CLINICIAN: _("clinician"),
    Role.MONITOR: _("monitor"),
    Role.AUDITOR: _("auditor"),
    Role.ADMIN: _("administrator"),
}

# The default priority classes' names (see register.services.DEFAULT_PRIORITY_CLASSES); others show as entered.
PRIORITY_NAMES: dict[str, str | Promise] = {
    "emergency": _("emergency"),
    "urgent": _("urgent"),
    "soon": _("soon"),
    "routine": _("routine"),
}
