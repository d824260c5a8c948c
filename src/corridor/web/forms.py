"""Forms of the workspace. They check what a form can check (required, dates, choices) with translated
messages; the services then check the rules, and their refusals are shown beside the field they name.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from corridor import refusals
from corridor.errors import CorridorError, InvalidInput
from corridor.ledger.catalogue import EVENT_TYPES, Certainty, Source
from corridor.register.models import Facility, Patient, PriorityClass, Referral, Specialty
from corridor.transfers.models import Trip, TripPassenger
from corridor.web.labels import PRIORITY_NAMES, event_label


def show_error(form: forms.Form, error: CorridorError) -> None:
    """Put a service's refusal on the field it names (or on the whole form)."""
    field = error.field if isinstance(error, InvalidInput) else None
    if field and "." in field:
        field = field.split(".")[-1]
    if field in ("at", "on", "since") and "date" in form.fields:
        field = "date"  # the services' moment is the form's date (and time)
    form.add_error(field if field in form.fields else None, refusals.in_language(error))


def _choose(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    """Set a choice field's choices when the form is made (they come from the database)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class EvidenceForm(forms.Form):
    """Where the information comes from and how sure it is: every record carries both."""

    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.WITNESS)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices, initial=Certainty.CONFIRMED)


class PatientForm(EvidenceForm):
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Pseudonymous, e.g. P-0042. Never a name."))
    registered_on = forms.DateField(label=_("Registered on"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices, initial=Patient.Sex.UNKNOWN)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900, max_value=2100)
    depends_on_power = forms.BooleanField(label=_("Depends on electricity (dialysis, oxygen…)"), required=False)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["code", "registered_on", "sex", "birth_year", "depends_on_power", "full_name", "contact", "notes"]


class PatientEditForm(forms.Form):
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900, max_value=2100)
    depends_on_power = forms.BooleanField(label=_("Depends on electricity (dialysis, oxygen…)"), required=False)


class IdentityForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _why(label: Any, help_text: Any) -> forms.CharField:
    """Why an entry is retracted or corrected: the reason its fix carries in the ledger."""
    return forms.CharField(label=label, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), help_text=help_text)


class RetractForm(EvidenceForm):
    reason = _why(
        _("Why it no longer stands"),
        _("The entry stays in the ledger as it was written; a new entry says it no longer stands, and why."),
    )


# What each date a page may correct (``consequences.correctable_dates``) is called on the form.
DATE_LABELS = {"date": _("Date of death"), "closed_on": _("Closing date")}


class CorrectDatesForm(EvidenceForm):
    """The dates of an entry as it stands, to be corrected, and why: only the dates that change are sent."""

    reason = _why(
        _("Why it is corrected"),
        _("The entry stays in the ledger as it was written; a new entry gives the corrected date, and why."),
    )

    def __init__(self, *args: Any, dates: dict[str, dt.date | None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, day in dates.items():
            self.fields[key] = forms.DateField(label=DATE_LABELS.get(key, key), initial=day, widget=DateInput())
        self.order_fields([*dates, "reason", "source", "certainty"])


class PurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why do you need to see it?"),
        max_length=200,
        help_text=_("Recorded in the ledger with your name."),
    )


class NameSearchForm(PurposeForm):
    query = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Every word must match. Persian and Arabic spellings of a letter count as one."),
    )
    field_order = ["query", "purpose"]


class ReferralForm(EvidenceForm):
    specialty = forms.ChoiceField(label=_("Specialty"), choices=Specialty.choices)
    priority = forms.ChoiceField(label=_("Priority"))
    referral_date = forms.DateField(label=_("Referral date"), widget=DateInput())
    eligible_facilities = forms.MultipleChoiceField(
        label=_("Hospitals"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every hospital offering the specialty."),
    )
    diagnosis_icd10 = forms.CharField(label=_("ICD-10 code"), max_length=8, required=False)
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=200, required=False)
    fit_to_travel_from = forms.DateField(label=_("Fit to travel from"), required=False, widget=DateInput())

    field_order = ["specialty", "priority", "referral_date", "eligible_facilities", "diagnosis_icd10", "diagnosis"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        priorities = PriorityClass.objects.order_by("rank")
        _choose(self, "priority", [(p.code, f"{p.code} · {PRIORITY_NAMES.get(p.name, p.name)}") for p in priorities])
        _choose(
            self,
            "eligible_facilities",
            [(f.code, f"{f.code} · {f.name_in(get_language())}") for f in Facility.objects.order_by("code")],
        )
        self.fields["source"].initial = Source.DOCUMENT


class CloseReferralForm(EvidenceForm):
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=[
            (s.value, s.label) for s in (Referral.Status.TREATED, Referral.Status.LEFT, Referral.Status.WITHDRAWN)
        ],
    )
    on = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class DeathForm(EvidenceForm):
    on = forms.DateField(label=_("Date of death"), widget=DateInput())
    circumstances = forms.CharField(
        label=_("Circumstances"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    after_denied_care = forms.BooleanField(label=_("After care was denied or delayed"), required=False)


class PlanChangeForm(forms.Form):
    facility = forms.ChoiceField(label=_("Hospital"))
    referrals = forms.MultipleChoiceField(label=_("Patients"), widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Why the change"), max_length=2000, required=False)

    def __init__(self, *args: Any, facilities: list[Facility], candidates: list[dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choose(self, "facility", [(f.code, f"{f.code} · {f.name_in(get_language())}") for f in facilities])
        _choose(self, "referrals", [(str(c["referral"]), c["label"]) for c in candidates])


# ------------------------------------------------------------------------------------------- trips


class MomentForm(EvidenceForm):
    """When something happened: a time of day on the trip's date (or another date), in the site's time zone."""

    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    date = forms.DateField(label=_("Date"), widget=DateInput())

    def moment(self, zone: str) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"], tzinfo=zoneinfo.ZoneInfo(zone))


class AnswerForm(MomentForm):
    """When the authority answered (or the trip was cancelled): the time of day may be unknown."""

    time = forms.TimeField(
        label=_("Time"), widget=TimeInput(), required=False, help_text=_("Leave empty if the time is not known.")
    )

    def moment(self, zone: str) -> dt.datetime | dt.date:  # type: ignore[override]
        """The date and time, or the date alone when no time was entered (stored as "time not recorded")."""
        if self.cleaned_data.get("time") is None:
            return self.cleaned_data["date"]
        return super().moment(zone)


class ReasonForm(MomentForm):
    reason = forms.CharField(
        label=_("Reason given"), max_length=2000, required=False, help_text=_("Leave empty if none was given.")
    )


class AnswerReasonForm(AnswerForm):
    reason = forms.CharField(
        label=_("Reason given"), max_length=2000, required=False, help_text=_("Leave empty if none was given.")
    )


class CancelForm(AnswerReasonForm):
    cancelled_by = forms.ChoiceField(
        label=_("Cancelled by"), choices=Trip.CancelledBy.choices, initial=Trip.CancelledBy.AUTHORITY
    )


class HoldForm(MomentForm):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class OutcomeForm(EvidenceForm):
    patient = forms.ChoiceField(label=_("Patient"))
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in TripPassenger.Outcome.choices if c[0] != TripPassenger.Outcome.PENDING]
    )
    follow_up_due = forms.DateField(
        label=_("Follow-up due by"),
        required=False,
        widget=DateInput(),
        help_text=_("When the hospital asked to see the patient again; the referral waits for that visit."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    time = forms.TimeField(
        label=_("Time"), widget=TimeInput(), required=False, help_text=_("Leave empty if the time is not known.")
    )

    def __init__(self, *args: Any, patients: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "patient", [(code, code) for code in patients])


# ------------------------------------------------------------------------------------------ ledger


class LedgerFilterForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), required=False)
    subject = forms.CharField(label=_("About"), required=False, max_length=100, help_text=_("e.g. P-0042 or trip:12"))
    certainty = forms.ChoiceField(label=_("Certainty"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = sorted(((code, event_label(code)) for code in EVENT_TYPES), key=lambda c: str(c[1]))
        _choose(self, "type", [("", _("any")), *types])
        _choose(self, "certainty", [("", _("any")), *Certainty.choices])


def _role_choices() -> list[tuple[str, Any]]:
    from corridor.web.labels import ROLE_LABELS

    return [(code, ROLE_LABELS[code]) for code in ROLE_LABELS]


def _site_choices() -> list[tuple[str, str]]:
    from corridor.register.models import Site

    return [(site.code, f"{site.code} · {site.name_in(get_language())}") for site in Site.objects.order_by("code")]


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=90)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=_role_choices, widget=forms.CheckboxSelectMultiple)
    sites = forms.MultipleChoiceField(
        label=_("Sites"),
        choices=_site_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The user sees and changes the records of these sites only."),
    )
    password = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The user must change it at the first sign-in."),
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=_role_choices, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class SitesForm(forms.Form):
    sites = forms.MultipleChoiceField(
        label=_("Sites"), choices=_site_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ResetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The user must change it at the next sign-in and is told that you reset it."),
    )


class AccountReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class TokenForm(forms.Form):
    label = forms.CharField(label=_("What the token is for"), max_length=100)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(render_value=False))
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(render_value=False))
    new_password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput(render_value=False))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must you see this identity?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the ledger, shown to the auditors and on every coordinator's dashboard."),
    )


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must this identity be erased?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the admin who confirms; the ledger keeps it withheld from every other role."),
    )
    understood = forms.BooleanField(
        label=_("I understand: once a second admin confirms, this identity can never be read again."),
        required=True,
    )


class ErasureCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why cancel?"), max_length=2000, required=False)
