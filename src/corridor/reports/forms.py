"""The forms of the reports page: which month, language and edition; which dataset and format."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.reports import exports, strings

LANGUAGE_NAMES = {"en": "English", "fa": "فارسی", "ar": "العربية"}


def _offer_sites(form: forms.Form, sites: list[tuple[str, str]] | None) -> None:
    """Let a user who works at several sites choose one of them (or all); one who works at one has no choice."""
    if sites is not None and len(sites) > 1:
        choice: Any = form.fields["site"]
        choice.choices = [("", _("All my sites")), *sites]
    else:
        del form.fields["site"]


class ReportForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", label=_("Month"), help_text=_("YYYY-MM"))
    language = forms.ChoiceField(
        choices=[(code, LANGUAGE_NAMES[code]) for code in strings.LANGUAGES], label=_("Language")
    )
    format = forms.ChoiceField(choices=[("pdf", "PDF"), ("html", "HTML")], label=_("Format"))
    public = forms.BooleanField(required=False, label=_("Public edition (counts from 1 to 4 left blank)"))
    site = forms.ChoiceField(required=False, label=_("Site"))

    def __init__(
        self, *args: Any, may_see_small_counts: bool = True, sites: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The report counts the user's sites; one who works at several may ask for one of them alone.
        _offer_sites(self, sites)
        if not may_see_small_counts:
            # A role that may not export sees the public edition only, as in the API: the box is ticked
            # and fixed (a disabled field ignores what is posted and keeps its initial value).
            self.fields["public"].disabled = True
            self.fields["public"].initial = True


# The datasets as people choose them; the file keeps the code (its name and its machine column names).
DATASET_LABELS = {
    "referrals": _("Referrals"),
    "trips": _("Trips"),
    "incidents": _("Incidents"),
    "indicators": _("Indicators"),
}


class ExportForm(forms.Form):
    dataset = forms.ChoiceField(choices=[(d, DATASET_LABELS[d]) for d in exports.DATASETS], label=_("Data"))
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("hxl", _("CSV with HXL tags")), ("json", "JSON")], label=_("Format")
    )
    month = forms.RegexField(
        regex=r"^\d{4}-\d{2}$", required=False, label=_("Month"), help_text=_("YYYY-MM; empty for all")
    )
    audience = forms.ChoiceField(
        choices=[("public", _("public: small counts suppressed")), ("partners", _("partners: not suppressed"))],
        label=_("Indicators for"),
    )


class NarrativeForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", label=_("Month"), help_text=_("YYYY-MM"))
    language = forms.ChoiceField(
        choices=[(code, LANGUAGE_NAMES[code]) for code in strings.LANGUAGES], label=_("Language")
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=6000,
        label=_("Narrative"),
        help_text=_("What the month meant for patients, in your words. It is printed in the report with your name."),
    )
    site = forms.ChoiceField(required=False, label=_("Site"))

    def __init__(self, *args: Any, sites: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A narrative is printed in the reports of the sites it is about: one who works at several may
        # write about one of them (docs/roles.md, "Sites").
        _offer_sites(self, sites)


class DossierForm(forms.Form):
    language = forms.ChoiceField(
        choices=[(code, LANGUAGE_NAMES[code]) for code in strings.LANGUAGES], label=_("Language")
    )
    with_identity = forms.BooleanField(required=False, label=_("Name the person (recorded as an identity view)"))
    purpose = forms.CharField(required=False, max_length=500, label=_("Purpose"))
