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
def place(where: Any) -> str:
    """``{{ submission.where|place }}``: "row 12" in the reader's language."""
    from corridor.intake import said

    return said.text(where)
