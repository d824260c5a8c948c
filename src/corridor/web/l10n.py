"""Numbers, dates and times written the way each language writes them.

Persian and Arabic get their own digits and separators; Persian dates are given in the Solar Hijri
calendar as well as the Gregorian one. Pure functions of a value and a language code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import formats, translation

DIGITS = {"fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"), "ar": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")}
# Arabic-script decimal and thousands separators, so "1,234.5" never reads as two numbers.
SEPARATORS = str.maketrans({",": "٬", ".": "٫"})
# Between the items of a list: Persian and Arabic write the reversed comma.
LIST_SEPARATORS = {"fa": "، ", "ar": "، "}
NO_BREAK = "\u00a0"
RTL = frozenset({"fa", "ar"})
# First-strong isolate and its end (FSI, PDI): the text between them is laid out on its own, so a range
# such as "6.8–7.3" or "12 h" keeps its order inside a right-to-left sentence.
FSI, PDI = "\u2068", "\u2069"
PERSIAN_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def base(language: str | None) -> str:
    return (language or "en").split("-")[0]


def digits(text: str, language: str | None) -> str:
    """``text`` with Western digits replaced by the language's own (unchanged for English)."""
    table = DIGITS.get(base(language))
    return text.translate(table) if table else text


def number(value: float | int | None, language: str | None, decimals: int | None = None, percent: bool = False) -> str:
    """A number grouped by thousands, in the language's digits; '' for None. ``percent`` adds the sign."""
    if value is None:
        return ""
    if decimals is None:
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}".removesuffix(".0")
    else:
        text = f"{value:,.{decimals}f}"
    if base(language) in DIGITS:
        text = digits(text.translate(SEPARATORS), language)
        # The Arabic percent sign, joined to the number, as Persian and Arabic write it.
        return text + "٪" if percent else text
    return text + NO_BREAK + "%" if percent else text


def gregorian(day: dt.date, language: str | None, long: bool = False) -> str:
    """ "14 Oct 2014" in the language's month names and digits ("14 October 2014" if ``long``)."""
    with translation.override(base(language)):
        text = formats.date_format(day, "j M Y" if base(language) == "en" and not long else "j F Y")
    return digits(text, language)


def month(day: dt.date, language: str | None) -> str:
    """ "October 2014" in the language's month names and digits."""
    with translation.override(base(language)):
        text = formats.date_format(day, "F Y")
    return digits(text, language)


def solar_hijri(day: dt.date) -> str:
    """The Solar Hijri date in Persian: "۲۲ مهر ۱۳۹۳"."""
    import jdatetime  # with greenlet, loaded by the first Persian date rather than by every process

    j = jdatetime.date.fromgregorian(date=day)
    return digits(f"{j.day} {PERSIAN_MONTHS[j.month - 1]} {j.year}", "fa")


def clock(moment: dt.datetime | dt.time, language: str | None) -> str:
    """Hours and minutes, 24-hour, in the language's digits."""
    return digits(f"{moment.hour:02d}:{moment.minute:02d}", language)


def short_day(day: dt.date, language: str | None) -> str:
    """A day and month without the year, for chart axes: "18 Jun", "۲۸ خرداد" (Solar Hijri), "١٨ يونيو"."""
    if base(language) == "fa":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=day)
        return digits(f"{j.day} {PERSIAN_MONTHS[j.month - 1]}", "fa")
    with translation.override(base(language)):
        text = formats.date_format(day, "j M" if base(language) == "en" else "j F")
    return digits(text, language)


def nowrap(text: str) -> str:
    """``text`` with its spaces made no-break spaces, so that a date is never split across two lines."""
    return text.replace(" ", NO_BREAK)


def isolate(text: str) -> str:
    """``text`` between Unicode isolates (FSI … PDI), so that its order holds inside text of either direction."""
    return f"{FSI}{text}{PDI}"


def span(low: str, high: str, language: str | None) -> str:
    """A range "low–high" (spaced when its ends are words: "1 October – 31 October"), isolated as a whole
    in Persian and Arabic so that "6.8–7.3" never reads "7.3–6.8" inside right-to-left text."""
    dash = " – " if any(not c.isdigit() and c not in ".,٫٬" for c in low + high) else "–"
    text = f"{low}{dash}{high}"
    return isolate(text) if base(language) in RTL else text


def quantity(amount: str, unit: str, language: str | None) -> str:
    """An amount and its unit ("40 boxes"), isolated in Persian and Arabic so that a unit written in Latin
    letters stays after its number; the two never part at a line's end there."""
    if not unit:
        return amount
    return isolate(f"{amount}{NO_BREAK}{unit}") if base(language) in RTL else f"{amount} {unit}"


def join(items: Iterable[str], language: str | None) -> str:
    """Items of a list joined by the comma of ``language``."""
    return LIST_SEPARATORS.get(base(language), ", ").join(items)
