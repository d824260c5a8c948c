"""Forms of the supplies pages. They check what a form can (required, numbers, dates, choices); the
services check the rules, and a refusal is shown beside the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from corridor.ledger.catalogue import Certainty
from corridor.register.models import Site
from corridor.supplies import wording
from corridor.supplies.models import Category, Delivery, Dependence, Generator, SupplyItem
from corridor.web.forms import DateInput, EvidenceForm, show_error

__all__ = ["show_error"]  # the workspace's one way of showing a refusal, used by the supplies views too


def _items(site: Site, *, categories: bool = False) -> list[tuple[str, str]]:
    language = get_language()
    choices = [
        (i.code, f"{i.name_in(language)} ({wording.unit(i.unit)})") for i in SupplyItem.objects.filter(site=site)
    ]
    if categories:
        choices += [(value, _("all %(category)s") % {"category": label}) for value, label in Category.choices]
    return choices


class _SiteForm(EvidenceForm):
    def __init__(self, *args: Any, site: Site, categories: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        if "item" in self.fields:
            self.fields["item"].choices = _items(site, categories=categories)  # type: ignore[attr-defined]


class CountForm(_SiteForm):
    item = forms.ChoiceField(label=_("Item"))
    on = forms.DateField(label=_("Counted at the close of"), widget=DateInput())
    quantity = forms.FloatField(label=_("Stock counted"), min_value=0)
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False, help_text=_("Blank: the item's unit."))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class AdjustmentForm(_SiteForm):
    item = forms.ChoiceField(label=_("Item"))
    on = forms.DateField(label=_("Date"), widget=DateInput())
    quantity = forms.FloatField(label=_("Change"), help_text=_("Negative for a loss, spoilage or theft."))
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False, help_text=_("Blank: the item's unit."))
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class RequestForm(_SiteForm):
    item = forms.ChoiceField(label=_("Item or category"))
    on = forms.DateField(label=_("Requested on"), widget=DateInput())
    quantity = forms.FloatField(label=_("Quantity requested"), min_value=0, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False, help_text=_("Blank: the item's unit."))


class BlockedForm(_SiteForm):
    item = forms.ChoiceField(label=_("Item or category"))
    on = forms.DateField(label=_("Blocked on"), widget=DateInput())
    quantity = forms.FloatField(label=_("Quantity"), min_value=0, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False)
    reason = forms.CharField(label=_("Reason given"), max_length=2000, required=False)


class DependenceForm(_SiteForm):
    patient = forms.CharField(label=_("Patient"), max_length=32, help_text=_("The patient's code, as in the register."))
    item = forms.ChoiceField(label=_("Item"))
    need = forms.ChoiceField(label=_("For"), choices=Dependence.Need.choices)
    since = forms.DateField(label=_("Since"), widget=DateInput())
    daily_quantity = forms.FloatField(
        label=_("Quantity a day"), min_value=0, required=False, help_text=_("In the item's unit; blank if not known.")
    )


class EndDependenceForm(EvidenceForm):
    """The end of one dependence: the service refuses a day after today or before the dependence began."""

    on = forms.DateField(label=_("Ended on"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        help_text=_("Why the patient no longer needs it: treated, another supply instead, moved away…"),
    )


class AnswerForm(EvidenceForm):
    status = forms.ChoiceField(
        label=_("What the gate did"),
        choices=[(s.value, s.label) for s in Delivery.Status if s != Delivery.Status.REQUESTED],
    )
    on = forms.DateField(label=_("On"), widget=DateInput())
    quantity_allowed = forms.FloatField(
        label=_("Quantity let through"), min_value=0, required=False, help_text=_("For a partly allowed delivery.")
    )
    reason = forms.CharField(label=_("Reason given"), max_length=2000, required=False)


class PowerForm(EvidenceForm):
    generator = forms.ChoiceField(label=_("Generator"))
    on = forms.DateField(label=_("Day"), widget=DateInput())
    hours_run = forms.FloatField(label=_("Hours run"), min_value=0, max_value=24, required=False)
    fuel_used = forms.FloatField(
        label=_("Fuel used (litres)"), min_value=0, required=False, help_text=_("Blank if not measured.")
    )
    outage_hours = forms.FloatField(
        label=_("Hours without power"),
        min_value=0,
        max_value=24,
        required=False,
        help_text=_("Blank if not known: nothing is assumed."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["generator"].choices = [  # type: ignore[attr-defined]
            (g.code, g.code) for g in Generator.objects.filter(site=site)
        ]


def _ssa_choices(table: dict[str, str], kind: str) -> list[tuple[str, str]]:
    """The SSA's codes with their words in the reader's language, as the reports write them."""
    from django.utils.translation import get_language

    from corridor.reports import strings

    language = (get_language() or "en").split("-")[0]
    return [("", "—")] + [(code, strings.label(kind, code, language)) for code in table]


class IncidentForm(EvidenceForm):
    """An attack on or obstruction of health care, in the WHO SSA's terms. The service takes a day, not a
    time: none is asked, so none is ever invented. The view gives ``site`` the user's own sites."""

    site = forms.ChoiceField(label=_("Site"))
    on = forms.DateField(label=_("Date of the incident"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Type of attack (SSA)"))
    resource = forms.ChoiceField(label=_("Health-care resource affected (SSA)"))
    description = forms.CharField(
        label=_("What happened"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),  # English typed on a Persian page reads right
        help_text=_("Where it happened, who was there, what was seen or heard."),
    )

    concerns = forms.CharField(
        label=_("Patients or trips concerned"),
        max_length=1000,
        required=False,
        help_text=_("Their codes, separated by spaces or commas: P-0042, T-12. Blank: none in particular."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from corridor.reports import ssa

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _ssa_choices(ssa.ATTACK_TYPES, "attack_type")  # type: ignore[attr-defined]
        self.fields["resource"].choices = _ssa_choices(ssa.RESOURCES, "resource")  # type: ignore[attr-defined]
        # Until it is checked, an incident is unverified (the API's default too), never confirmed by default.
        self.fields["certainty"].initial = Certainty.UNVERIFIED
        self.order_fields(["site", "on", "kind", "resource", "description", "concerns", "source", "certainty"])
