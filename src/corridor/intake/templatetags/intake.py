"""``{% load intake %}``: a field submission's problems and places, said in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from corridor.intake import said

register = template.Library()


@register.filter
def problem(item: Any, beside: Any = None) -> SafeString:
    """``{{ problem|problem:submission.where }}``: the problem, its field as code, its place unless ``beside``."""
    return said.html(item, beside)


@register.filter
def place(where: Any) -> str:
    """``{{ submission.where|place }}``: "row 12" in the reader's language."""
    return said.text(where)
