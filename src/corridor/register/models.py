"""The register: sites, hospitals, patients (with identities kept apart), referrals and access rules.

Nothing here is written except through :mod:`corridor.register.services`, which records every change
in the ledger in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, Self

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from corridor.names import name_in
from corridor.register.crypto import EncryptedTextField, Erased, Sealed


class Specialty(models.TextChoices):
    ONCOLOGY = "oncology", _("oncology")
    OPHTHALMOLOGY = "ophthalmology", _("ophthalmology")
    CARDIOLOGY = "cardiology", _("cardiology")
    ORTHOPAEDICS = "orthopaedics", _("orthopaedics")
    NEPHROLOGY = "nephrology", _("nephrology / dialysis")
    NEUROLOGY = "neurology", _("neurology")
    GENERAL_SURGERY = "general_surgery", _("general surgery")
    OBSTETRICS = "obstetrics", _("obstetrics")
    PAEDIATRICS = "paediatrics", _("paediatrics")
    IMAGING = "imaging", _("imaging")
    OTHER = "other", _("other")


class Named(models.Model):
    """Reference data a reader sees by name: a name given once, and its renderings in Persian and Arabic.

    ``name`` is the one every row has (usually English); ``names`` holds the others, keyed by language
    code, each optional. A page in a language with no rendering shows ``name`` rather than nothing.
    """

    name = models.CharField(max_length=200)
    names = models.JSONField(default=dict, blank=True, help_text='{"fa": "…", "ar": "…"}: the name in other languages')

    class Meta:
        abstract = True

    def name_in(self, language: str | None) -> str:
        """The name in ``language`` ("fa", "fa-ir", "ar"…), or ``name`` when none was given in it."""
        return name_in(self.name, self.names, language)


class Site(Named):
    """A camp or a crossing whose residents need care outside."""

    code = models.CharField(max_length=32, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    population = models.PositiveIntegerField(default=0)
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return self.name


class Facility(Named):
    """A hospital or clinic outside the gate."""

    code = models.CharField(max_length=32, unique=True)
    specialties = models.JSONField(default=list, help_text="codes from the controlled list of specialties")
    # {"0": ["08:00", "14:00"], …}: weekday (0 = Monday) -> opening and closing time; a missing weekday is closed.
    opening_hours = models.JSONField(default=dict)
    travel_minutes = models.PositiveIntegerField(default=60, help_text="usual travel time from the site")
    closed_dates = models.JSONField(default=list, help_text="ISO dates on which the facility is closed")

    class Meta:
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """Opening and closing time on ``day``, or None when closed that day."""
        if day.isoformat() in self.closed_dates:
            return None
        hours = self.opening_hours.get(str(day.weekday()))
        if not hours:
            return None
        return dt.time.fromisoformat(hours[0]), dt.time.fromisoformat(hours[1])

    @property
    def closed_weekdays(self) -> list[int]:
        return [d for d in range(7) if not self.opening_hours.get(str(d))]


class PriorityClass(models.Model):
    """A clinical priority with its deadline (days from referral) and weight for planning."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=64)
    deadline_days = models.PositiveIntegerField()
    weight = models.PositiveIntegerField()
    rank = models.PositiveSmallIntegerField(help_text="1 is the most urgent")

    class Meta:
        ordering = ["rank"]
        verbose_name_plural = "priority classes"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "f", _("female")
        MALE = "m", _("male")
        UNKNOWN = "u", _("not recorded")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        IN_TREATMENT = "in_treatment", _("in care")
        TREATED = "treated", _("care complete")
        DECEASED = "deceased", _("deceased")
        LEFT = "left", _("left")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    code = models.CharField(max_length=32, unique=True, help_text="pseudonymous code, e.g. P-0042")
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    synthetic = models.BooleanField(default=False, help_text="made up for the demo or tests")
    depends_on_power = models.BooleanField(default=False)
    registered_on = models.DateField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SealedIdentity(models.Model):
    """A row of identity fields, each sealed for the person it belongs to (see corridor.register.crypto)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], *args: Any, **kwargs: Any
    ) -> Self:
        """Open the encrypted fields with this row's owner id: a value moved from another row fails here."""
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        for field in cls._meta.fields:
            value = instance.__dict__.get(field.attname)
            if isinstance(field, EncryptedTextField) and isinstance(value, Sealed):
                instance.__dict__[field.attname] = value.open(getattr(instance, f"{field.owner}_id"))
        return instance

    @property
    def erased(self) -> bool:
        """Whether this person's identity was erased: each field then reads "erased" (corridor.register.erasure)."""
        return any(isinstance(getattr(self, f.attname), Erased) for f in self._meta.fields)


class PatientIdentity(SealedIdentity):
    """Who a patient is. Kept apart so that it can be encrypted, and so that every read can be audited."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="identity")
    # Encrypted at rest with a key kept outside the database (see corridor.register.crypto).
    full_name = EncryptedTextField(max_length=200)
    contact = EncryptedTextField(max_length=200, blank=True)
    notes = EncryptedTextField(blank=True)

    class Meta:
        verbose_name_plural = "patient identities"

    def __str__(self) -> str:
        return f"identity of {self.patient_id}"


class Referral(SealedIdentity):
    """One need for care outside, and its episode of care until the care is complete.

    ``waiting``: a visit is due (the first one, or a follow-up by ``follow_up_due``); ``in_care``: seen,
    no trip due now; the closed statuses end the episode. The code ``treated`` is kept for "care
    complete" so that older ledger entries and reports read the same.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        IN_CARE = "in_care", _("in care")
        TREATED = "treated", _("care complete")
        DIED = "died", _("died while waiting")
        LEFT = "left", _("left the waiting list")
        WITHDRAWN = "withdrawn", _("withdrawn")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    specialty = models.CharField(max_length=32, choices=Specialty.choices)
    diagnosis_icd10 = models.CharField(max_length=8, blank=True)
    # Clinical text, sealed under the patient's data key like their identity: erasing them makes it unreadable.
    diagnosis = EncryptedTextField(max_length=200, blank=True)
    priority = models.ForeignKey(PriorityClass, on_delete=models.PROTECT, related_name="referrals")
    referral_date = models.DateField()
    due_date = models.DateField(help_text="referral date plus the priority class's deadline")
    fit_to_travel_from = models.DateField(null=True, blank=True)
    eligible_facilities = models.ManyToManyField(Facility, related_name="referrals")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    follow_up_due = models.DateField(
        null=True, blank=True, help_text="the deadline of the follow-up visit asked for at the last visit"
    )
    closed_on = models.DateField(null=True, blank=True)
    synthetic = models.BooleanField(default=False)

    OPEN = (Status.WAITING, Status.IN_CARE)

    class Meta:
        ordering = ["referral_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"R-{self.pk} {self.patient_id} {self.specialty}"

    @property
    def release_date(self) -> dt.date:
        return max(self.referral_date, self.fit_to_travel_from or self.referral_date)

    @property
    def deadline(self) -> dt.date:
        """The date the next visit is due by: the follow-up's own deadline, else the referral's."""
        return self.follow_up_due or self.due_date

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


def deadline_expression() -> Coalesce:
    """:attr:`Referral.deadline` as a database expression, for filtering and ordering in SQL."""
    return Coalesce("follow_up_due", "due_date")


class AccessRuleSet(models.Model):
    """The gate's rules from a date on. The newest set whose period covers a date is the one in force."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rule_sets")
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    max_patients_per_day = models.PositiveSmallIntegerField()
    max_escorts_per_day = models.PositiveSmallIntegerField(default=0)
    max_facilities_per_day = models.PositiveSmallIntegerField(default=1)
    allowed_weekdays = models.JSONField(default=list, help_text="0 = Monday … 6 = Sunday")
    camp_chooses_patients = models.BooleanField(default=False)
    camp_chooses_escorts = models.BooleanField(default=False)
    camp_chooses_doctor = models.BooleanField(default=False)
    camp_chooses_appointment_time = models.BooleanField(default=False)
    camp_chooses_interpreter = models.BooleanField(default=False)
    camp_chooses_nurse = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=32)
    certainty = models.CharField(max_length=32)
    recorded_seq = models.BigIntegerField(help_text="the rules.changed ledger entry that set these rules")

    class Meta:
        ordering = ["effective_from", "id"]

    def __str__(self) -> str:
        return f"{self.site_id} rules from {self.effective_from}"

    @classmethod
    def in_force(cls, site: Site, day: dt.date) -> AccessRuleSet | None:
        """The rules in force at ``site`` on ``day``: the latest-starting set whose period covers it."""
        return (
            cls.objects.filter(site=site, effective_from__lte=day)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
            .order_by("-effective_from", "-id")
            .first()
        )

    def allows(self, day: dt.date) -> bool:
        return day.weekday() in self.allowed_weekdays


class Scenario(models.Model):
    """A loaded scenario (the demo camp, a training set) and its own clock."""

    name = models.CharField(max_length=64, unique=True)
    checksum = models.CharField(max_length=64)
    today = models.DateField(null=True, blank=True)
    loaded_seq = models.BigIntegerField()

    def __str__(self) -> str:
        return self.name


class DataKey(models.Model):
    """One person's own key (a patient's, a companion's), under which their identity values are encrypted.

    Kept wrapped (encrypted) by the configured identity key, bound to the person; made the first time
    something is encrypted for them. Erasing the person overwrites and empties ``wrapped`` and sets
    ``erased_at``: the row stays as the mark that nothing may be encrypted for them again.
    """

    class Kind(models.TextChoices):
        PATIENT = "patient", _("patient")
        COMPANION = "companion", _("companion")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Not a foreign key: a companion lives in the transfers app, which depends on this one.
    person_id = models.PositiveBigIntegerField()
    key_id = models.CharField(max_length=16, help_text="random public name of the key, written in each value")
    wrapped = models.TextField(blank=True, help_text="the key sealed under the identity key; empty once erased")
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "person_id"], name="one_data_key_per_person")]

    def __str__(self) -> str:
        return f"data key of {self.kind} {self.person_id}"


class Erasure(models.Model):
    """A request to erase one person's identity, then its confirmation by a second admin, or its cancellation.

    Holds the person's pseudonymous code, never what was erased.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(max_length=16, choices=DataKey.Kind.choices)
    code = models.CharField(max_length=32, help_text="the person's pseudonymous code")
    person_id = models.PositiveBigIntegerField()
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    retention = models.BooleanField(default=False, help_text="asked for by the retention schedule")
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    requested_by = models.CharField(max_length=150)
    requested_seq = models.BigIntegerField(help_text="the erasure.requested ledger entry")
    decided_by = models.CharField(max_length=150, blank=True)
    decided_seq = models.BigIntegerField(null=True, blank=True, help_text="the erasure.confirmed or cancelled entry")

    class Meta:
        ordering = ["requested_seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "person_id"],
                condition=Q(state="requested"),
                name="one_open_erasure_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"erasure of {self.code} ({self.state})"


class NameToken(models.Model):
    """One word of a patient's or a companion's name, as a keyed digest: what a search by name looks up.

    The names themselves are encrypted and cannot be searched in SQL; this table holds, for each
    folded word of a name (:mod:`corridor.register.names`), its HMAC under a key derived from the
    identity key (:mod:`corridor.register.name_index`). Nothing in it reads back as a name without
    that key. ``key`` is the id of the identity key the digest was made under, so that a rotation can
    rebuild the index and a search still finds rows made under an older key meanwhile.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    companion = models.ForeignKey(
        "transfers.Companion", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The owner's site, kept here so a search reads only the tokens of the user's sites.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    key = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["digest", "site"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False, companion__isnull=True)
                | Q(patient__isnull=True, companion__isnull=False),
                name="name_token_has_one_owner",
            ),
            models.UniqueConstraint(fields=["patient", "digest"], name="name_token_patient_digest"),
            models.UniqueConstraint(fields=["companion", "digest"], name="name_token_companion_digest"),
        ]

    def __str__(self) -> str:
        return f"name token of {self.patient_id or self.companion_id}"
