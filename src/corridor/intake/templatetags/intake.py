"""``{% load intake %}``: a field submission's problems and places, said in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

# corridor.intake.said is imported by each filter, not here: Django imports every tag library when its
# template engine starts, and the readers and shipped forms load with the first intake page only
# (tests/test_footprint.py).

register = template.Library()


@register.filter
def problem(item: Any, beside: Any = None) -> SafeString:
    """``{{ problem|problem:submission.where }}``: the problem, its field as code, its place unless ``beside``."""
    from corridor.intake import said

    return said.html(item, beside)


@register.filter
def place(where: Any) -> SafeString:
    """``{{ submission.where|place }}``: "row 12" (or a duplicate's note) in the reader's language."""
    from corridor.intake import said

    return said.place_html(where)


@register.filter
def result(code: str) -> str:
    """``{{ submission.status|result }}``: imported, already imported, rejected… in the reader's language."""
    from corridor.intake import said

    return said.status(code)


@register.filter
def report_heading(report: Any) -> str:
    from corridor.intake import said

    return said.heading(report)


@register.filter
def report_summary(report: Any) -> str:
    from corridor.intake import said

    return said.summary(report)
