"""Template filters and tags of the workspace: localised numbers and dates, labels, navigation, bars."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zoneinfo
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from corridor import vocabulary
from corridor.errors import Phrase
from corridor.ledger.canonical import parse_time
from corridor.web import l10n, labels, nav

register = template.Library()


@register.filter
def num(value: Any, decimals: int | None = None) -> str:
    """A number in the active language's digits, grouped by thousands."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            return l10n.digits(value, get_language())
    return l10n.number(value, get_language(), decimals)


@register.filter
def named(value: Any) -> str:
    """A hospital's, site's or supply item's name in the active language; its one name when none was given in it."""
    if value is None:
        return ""
    name_in = getattr(value, "name_in", None)
    return name_in(get_language()) if callable(name_in) else str(value)


@register.filter
def hospital(code: Any) -> str:
    """A hospital known only by its code (a plan's payload keeps codes): "H-01 · its name in the active language".

    A code no longer in the register is shown as it is rather than hidden.
    """
    from corridor.register.models import Facility

    facility = Facility.objects.filter(code=str(code)).first() if code else None
    if facility is None:
        return str(code or "")
    return f"{facility.code} · {facility.name_in(get_language())}"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _said(said: dict[str, Any] | None, sentence: str) -> str:
    """A job's sentence in the active language: its template translated and its values written the local
    way; the English sentence when it has no template (or one older than the sentence)."""
    from corridor.errors import CorridorError
    from corridor.refusals import in_language

    template, values = (said or {}).get("template"), (said or {}).get("values") or {}
    if not template or (template % values if values else template) != sentence:
        return str(sentence)
    # A date was stored as its ISO form (JSON has no dates): read it back as one, to be written the local way.
    dates = {k: dt.date.fromisoformat(v) for k, v in values.items() if isinstance(v, str) and _ISO_DAY.fullmatch(v)}
    return in_language(CorridorError(template, **(values | dates)))


@register.filter
def progress_said(job: Any) -> str:
    """A running job's progress in the active language."""
    return _said(job.progress_said, job.progress_text)


@register.filter
def answer_said(job: Any) -> str:
    """A finished job's answer in the active language."""
    return _said(job.answer_said, job.answer)


@register.filter
def error_said(job: Any) -> SafeString:
    """A failed job's error in the active language when the job was refused with a code (a pull's refused
    submissions each on a line of their own); a crash's English line, for the operator, as it was kept."""
    from corridor.refusals import kept

    error = str(job.error or "")
    found = kept(job.error_said, error)
    if found is None:
        return format_html("{}", mark_safe("<br>".join(conditional_escape(line) for line in error.splitlines())))
    sentence = _phrase_html(found[0])
    lines = [_phrase_html(line) for line in found[1]]
    if not lines:
        return sentence
    return format_html(
        '{}<ul class="errorlist">{}</ul>', sentence, format_html_join("", "<li>{}</li>", ((li,) for li in lines))
    )


# Values that are machine names (a form's field, an intake source, a sheet): set as code, as typed.
_MACHINE_NAMES = {"field", "source", "sheet", "table", "group"}


def _phrase_html(part: Phrase) -> SafeString:
    """A phrase in the active language for a page: its template translated and escaped, a machine name set
    as code, a short code (P-305) kept whole on its line, each value isolated from the sentence's
    direction; its words without markup when the translation lost a value."""
    from corridor.refusals import phrase, worded

    sentence = conditional_escape(gettext(part.template))
    if not part.items:
        return sentence
    plain = {k: v for k, v in part.items if not isinstance(v, Phrase)}
    words = worded(plain)
    filled: dict[str, Any] = {}
    for key, value in part.items:
        if isinstance(value, Phrase):
            filled[key] = _phrase_html(value)
        elif key in _MACHINE_NAMES:
            # Kept whole on its line: a narrow screen breaks "gate-kobo" after its hyphen.
            filled[key] = format_html('<bdi class="code"><code>{}</code></bdi>', value)
        elif words[key] and not any(c.isspace() for c in words[key]) and len(words[key]) <= 40:
            filled[key] = format_html('<bdi class="code">{}</bdi>', words[key])
        else:
            filled[key] = format_html("<bdi>{}</bdi>", words[key])
    try:
        return mark_safe(sentence % filled)  # noqa: S308 - the template and every value escaped
    except (KeyError, ValueError, TypeError):
        return conditional_escape(phrase(part))


@register.filter
def bdi(value: Any) -> SafeString:
    """``value`` isolated from the text around it (a Latin code or name inside a right-to-left sentence)."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def codes(values: Any) -> SafeString:
    """Codes (patients, trips, hospitals) as a list: each isolated, so a right-to-left line keeps "P-0583"
    whole and in its order, joined by the language's comma (Persian and Arabic write "،")."""
    comma = "، " if l10n.base(get_language()) in ("fa", "ar") else ", "
    # "code": kept on one line, or a narrow screen breaks "P-0583" after its hyphen.
    return mark_safe(comma.join(str(format_html('<bdi class="code">{}</bdi>', value)) for value in values or ()))


@register.filter
def digits(value: Any) -> str:
    """Any text (a code, a time) with its digits in the active language's; '' for an unknown (None)."""
    return "" if value is None else l10n.digits(str(value), get_language())


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@register.filter
def day(value: Any) -> SafeString | str:
    """A date for people: Gregorian, and in Persian the Solar Hijri date first with the Gregorian beside it."""
    date = _as_date(value)
    if date is None:
        return ""
    language = get_language()
    iso = date.isoformat()
    if l10n.base(language) == "fa":
        return format_html(
            '<time datetime="{}">{}</time><span class="greg"> {}</span>',
            iso,
            l10n.solar_hijri(date),
            l10n.gregorian(date, language),
        )
    return format_html('<time datetime="{}">{}</time>', iso, l10n.gregorian(date, language))


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return parse_time(value)
        except ValueError:
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                return None
    return None


@register.filter
def moment(value: Any, zone: str = "UTC") -> SafeString | str:
    """A date and a time of day, in time zone ``zone`` (the site's)."""
    when = _aware(value)
    if when is None:
        return ""
    try:
        local = when.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = when
    return format_html("{} {}", day(local.date()), l10n.clock(local, get_language()))


@register.filter
def day_state(code: str) -> str:
    """One word for a day on the plan's strip: a trip's status, or open / closed."""
    from corridor.transfers.models import Trip

    if code == "open":
        return gettext("open")
    if code == "closed":
        return gettext("no trips allowed")
    try:
        return str(Trip.Status(code).label)
    except ValueError:
        return code


@register.filter
def when(entry: Any, zone: str = "UTC") -> SafeString | str:
    """When a ledger entry's event happened: its date and time, or its date alone when only the date is
    known (``"precision": "date"``), said so ("14 Oct 2014, time not recorded"), never a made-up hour."""
    payload = getattr(entry, "payload", None)
    if isinstance(payload, dict) and payload.get("precision") == "date":
        text = conditional_escape(gettext("%(date)s, time not recorded"))
        return mark_safe(text % {"date": day(str(entry.occurred_at)[:10])})  # noqa: S308 - both parts escaped
    return moment(entry.occurred_at, zone)


# A tap sent this long after it was made was held on the phone, and its entry says so.
SENT_LATE = dt.timedelta(minutes=5)


@register.filter
def sent_late(entry: Any) -> str:
    """When an entry tapped on a phone reached the server, if that was well after the tap (its outbox
    waited for a connection); empty otherwise. The entry's ``occurred_at`` is the tap's time."""
    payload = getattr(entry, "payload", None)
    if not isinstance(payload, dict) or not isinstance(payload.get("tap"), dict):
        return ""
    occurred, recorded = _aware(entry.occurred_at), _aware(entry.recorded_at)
    if occurred is None or recorded is None or recorded - occurred < SENT_LATE:
        return ""
    return str(entry.recorded_at)


@register.filter
def recorded_after(entry: Any) -> str:
    """How many days after it happened an entry was recorded ("3 days"), when it was a day or more: a late
    report is kept, and read as late. Empty when it was recorded the same day or earlier. An event known
    only by its date is counted from that date."""
    occurred, recorded = _aware(entry.occurred_at), _aware(entry.recorded_at)
    if occurred is None or recorded is None:
        return ""
    days = (recorded.date() - occurred.date()).days
    if days < 1:
        return ""
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": digits(days)}


@register.filter
def clock(value: Any, zone: str = "UTC") -> str:
    """The time of day only, in time zone ``zone``."""
    when = _aware(value)
    if when is None:
        return ""
    with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
        when = when.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    return l10n.clock(when, get_language())


@register.filter
def event_label(type_code: str) -> str:
    return labels.event_label(type_code)


# A code in a sentence (P-0583, T-269, CAMP-1, and its isolates in right-to-left text): a narrow phone broke
# "P-0599" after its hyphen, leaving "P-" at the end of one line and "0599" on the next.
_CODE_IN_TEXT = re.compile(r"\u2068?(?<![\w-])([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)(?![\w-])\u2069?")


@register.filter
def summary(entry: Any) -> SafeString:
    """The entry's sentence, escaped, each code in it kept whole (``bdi.code``, which isolates it as well)."""
    text = str(conditional_escape(labels.summary(entry)))
    return mark_safe(_CODE_IN_TEXT.sub(r'<bdi class="code">\1</bdi>', text))  # noqa: S308 - escaped just above


@register.filter
def percent(value: Any, total: Any) -> int:
    """``value`` as a whole percentage of ``total`` (for bar widths), 0 when total is 0."""
    try:
        return round(100 * float(value) / float(total)) if float(total) else 0
    except (TypeError, ValueError):
        return 0


@register.inclusion_tag("corridor/_nav.html", takes_context=True)
def navigation(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {"links": nav.links(request.user, request.path), "request": request}


@register.simple_tag(takes_context=True)
def role_names(context: template.Context) -> str:
    """The signed-in user's roles, translated, for the header."""
    from corridor.web.access import _roles

    user = context["request"].user
    if not user.is_authenticated:
        return ""
    return ", ".join(str(labels.ROLE_LABELS.get(r.value, r.value)) for r in sorted(_roles(user)))


@register.filter
def patient_code(subject: str) -> str:
    """``patient:P-0042`` -> ``P-0042`` ('' for other kinds of subject)."""
    return subject.split(":", 1)[1] if subject.startswith("patient:") else ""


@register.filter
def source_label(code: str) -> str:
    from corridor.ledger.catalogue import Source

    try:
        return str(Source(code).label)
    except ValueError:
        return code


@register.filter
def recorder(name: str) -> str:
    """Who recorded an entry: a username as it is; the ledger's ``system`` (scripts, loaders) in words."""
    return gettext("system") if name == "system" else name


@register.filter
def certainty_label(code: str) -> str:
    from corridor.ledger.catalogue import Certainty

    try:
        return str(Certainty(code).label)
    except ValueError:
        return code


@register.filter
def cancelled_by(code: str) -> str:
    return vocabulary.label("cancelled_by", code)


@register.filter
def priority_name(name: str) -> str:
    return str(labels.PRIORITY_NAMES.get(name, name))


@register.filter
def role_label(code: str) -> str:
    """A role's code (``admin``) as people read it, translated."""
    return str(labels.ROLE_LABELS.get(code, code))


@register.simple_tag(takes_context=True)
def sensitive(context: template.Context, obj: Any, field: str) -> str:
    """``obj.field`` as the signed-in user may see it: clinical text shows as "[withheld]" to other roles."""
    from corridor import sensitivity

    return sensitivity.field_text(obj, field, context["request"].user)
