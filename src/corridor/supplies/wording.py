"""The words of the supplies pages: each alert and note of the cores, units and ranges, in the reader's language.

The cores (``autonomy``, ``queries``) say what is the case as :class:`~corridor.notices.Notice` codes with
values; this module is the one place those codes become sentences. :func:`html` words them in the active
language with local digits and dates (for pages and PDFs); :func:`english` gives the plain English with ISO
dates that the CLI, the API and the logs carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_bidi, gettext, ngettext, override
from django.utils.translation import gettext_lazy as _

from corridor.notices import Notice
from corridor.supplies import chart
from corridor.web import l10n
from corridor.web.templatetags.corridor import day as localised_day

if TYPE_CHECKING:
    from corridor.supplies.queries import Alert

SENTENCES = {
    "supply.below_threshold": _("below its critical threshold of %(threshold)s"),
    "supply.never_counted": _("never counted"),
    "supply.no_use_recorded": _("no consumption recorded: count it twice, or set it"),
    "supply.not_going_down": _("no use measured: the stock is not going down"),
    "supply.steady_at_lowest_use": _("at the lowest measured use the stock does not go down"),
    "supply.fuel_runs_out_first": _("needs power: the fuel (%(fuel)s) runs out about %(on)s, before it"),
    "supply.unexplained_rise": _(
        "the stock rose by %(rise)s between the counts of %(start)s and %(end)s with no delivery or adjustment "
        "to explain it; that interval is left out of the use estimate"
    ),
}

# Units people write every day, in each language; any other unit is shown as it was entered.
UNITS = {
    "litres": _("litres"),
    "millilitres": _("millilitres"),
    "cubic metres": _("cubic metres"),
    "kilograms": _("kilograms"),
    "grams": _("grams"),
    "tonnes": _("tonnes"),
    "rations": _("rations"),
    "courses": _("courses"),
    "vials": _("vials"),
    "cylinders": _("cylinders"),
    "boxes": _("boxes"),
    "packs": _("packs"),
    "doses": _("doses"),
}


def _template(notice: Notice) -> str:
    if notice.code == "supply.few_days_left":
        days = int(notice.value("days"))
        return ngettext("less than %(days)s day of autonomy", "less than %(days)s days of autonomy", days)
    if notice.code == "supply.beyond_horizon":
        days = int(notice.value("days"))
        return ngettext(
            "lasts more than %(days)s day at the expected use",
            "lasts more than %(days)s days at the expected use",
            days,
        )
    return str(SENTENCES[notice.code])


def _plain(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _local(value: Any, names: dict[str, str]) -> SafeString:
    language = get_language()
    if isinstance(value, dt.date):
        return day(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return conditional_escape(names.get(str(value), str(value)))
    return format_html("<bdi>{}</bdi>", l10n.number(value, language, 0 if float(value).is_integer() else 1))


def english(notice: Notice) -> str:
    """The notice in English with ISO dates: for the CLI, the API and the logs."""
    with override("en"):
        return _template(notice) % {k: _plain(v) for k, v in notice.values}


def html(notice: Notice, names: dict[str, str] | None = None) -> SafeString:
    """The notice in the active language, its numbers and dates written the local way (``names`` turns the
    codes it names into what people call them)."""
    values = {k: _local(v, names or {}) for k, v in notice.values}
    return mark_safe(conditional_escape(_template(notice)) % values)  # noqa: S308 - template escaped, values escaped


def _alert(reasons: list[str], on: str | None, since: str | None, name: str, words: Callable[[str], str]) -> str:
    """The alert's sentence; ``words`` passes each translated template through (escaping it for HTML)."""
    text = f"{name}: {and_list(reasons, words)}"  # the same in all three languages
    if on is not None:
        text += words(gettext("; runs out about %(on)s")) % {"on": on}
    if since is not None:
        text += words(gettext("; deliveries blocked since %(since)s")) % {"since": since}
    return text


def and_list(parts: list[str], words: Callable[[str], str] = str) -> str:
    """ "a, b and c" in the active language."""
    if len(parts) < 2:
        return "".join(parts)
    joined = words(gettext(", ")).join(parts[:-1])
    return words(gettext("%(first)s and %(last)s")) % {"first": joined, "last": parts[-1]}


def english_alert(alert: Alert) -> str:
    with override("en"):
        return _alert(
            [english(r) for r in alert.reasons],
            alert.run_out_date.isoformat() if alert.run_out_date else None,
            alert.blocked_since.isoformat() if alert.blocked_since else None,
            alert.name,
            str,
        )


def html_alert(alert: Alert, names: dict[str, str] | None = None) -> SafeString:
    """The alert in the active language (the item's name, why, when it runs out, since when it is blocked)."""
    names = names or {}
    return mark_safe(  # noqa: S308 - every part below is escaped before it is joined
        _alert(
            [html(r, names) for r in alert.reasons],
            day(alert.run_out_date) if alert.run_out_date else None,
            day(alert.blocked_since) if alert.blocked_since else None,
            format_html("<bdi>{}</bdi>", names.get(alert.item, alert.name)),  # a name in another script stays whole
            conditional_escape,
        )
    )


def unit(name: str) -> str:
    """A unit in the active language, or as it was entered when it is not one we have words for."""
    return str(UNITS.get(" ".join(name.split()).lower(), name))


def day(value: dt.date) -> SafeString:
    """A date in the active language that never breaks across lines (Solar Hijri first in Persian)."""
    return format_html('<span class="date">{}</span>', localised_day(value))


def between(low: float | None, high: float | None, decimals: int = 1) -> SafeString:
    """A range "6.8 to 7.3" with each number isolated, so that right-to-left text never reverses it."""
    language = get_language()
    if low is None:
        return mark_safe("")  # noqa: S308 - empty
    first = format_html("<bdi>{}</bdi>", l10n.number(low, language, decimals))
    last = format_html("<bdi>{}</bdi>", "∞" if high is None else l10n.number(high, language, decimals))
    return mark_safe(conditional_escape(gettext("%(low)s to %(high)s")) % {"low": first, "high": last})  # noqa: S308


def month(value: dt.date) -> str:
    """ "October 2014" in the active language and its digits."""
    language = get_language()
    with override(l10n.base(language)):
        return l10n.digits(formats.date_format(value, "F Y"), language)


def percent(share: float) -> str:
    return gettext("%(n)s%%") % {"n": l10n.number(round(share * 100), get_language())}


def chart_words() -> chart.Words:
    """The stock chart's words, numbers and dates in the active language."""
    language = get_language()
    return chart.Words(
        title=gettext("%(item)s: stock in %(unit)s").replace("%(item)s", "{item}").replace("%(unit)s", "{unit}"),
        nothing_counted=gettext("nothing counted yet"),
        blocked=gettext("blocked"),
        threshold=gettext("critical threshold"),
        today=gettext("today"),
        projected=gettext("projected at the expected use"),
        number=lambda value: l10n.number(round(value), language),
        date=lambda value: l10n.short_day(value, language),
        rtl=get_language_bidi(),
    )


def units_in(language: str) -> dict[str, str]:
    """Every unit we have words for, in ``language`` (for code that words a report outside a request)."""
    with override(language):
        return {code: str(label) for code, label in UNITS.items()}
