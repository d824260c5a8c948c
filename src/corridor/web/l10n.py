"""Numbers, dates and times written the way each language writes them.

Persian and Arabic get their own digits and separators; Persian dates are given in the Solar Hijri
calendar as well as the Gregorian one. Pure functions of a value and a language code.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation

DIGITS = {"fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"), "ar": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")}
# Arabic-script decimal and thousands separators, so "1,234.5" never reads as two numbers.
SEPARATORS = str.maketrans({",": "٬", ".": "٫"})
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


def number(value: float | int | None, language: str | None, decimals: int | None = None) -> str:
    """A number grouped by thousands, in the language's digits; '' for None."""
    if value is None:
        return ""
    if decimals is None:
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}".removesuffix(".0")
    else:
        text = f"{value:,.{decimals}f}"
    if base(language) in DIGITS:
        text = text.translate(SEPARATORS)
    return digits(text, language)


def gregorian(day: dt.date, language: str | None) -> str:
    """ "14 Oct 2014" in the language's month names and digits."""
    with translation.override(base(language)):
        text = formats.date_format(day, "j M Y" if base(language) == "en" else "j F Y")
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
