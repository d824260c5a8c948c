"""Trips out of the camp, their manifests, and what happened at the gate and the hospital."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from corridor.register.crypto import EncryptedTextField
from corridor.register.models import Facility, Patient, Referral, SealedIdentity, Site

HELD_LABEL = _("held at the gate")


class Trip(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DENIED = "denied", _("denied")
        CANCELLED = "cancelled", _("cancelled")
        DEPARTED = "departed", _("departed")
        RETURNED = "returned", _("returned")

    class CancelledBy(models.TextChoices):
        AUTHORITY = "authority", _("the authority")
        CAMP = "camp", _("the camp")
        HOSPITAL = "hospital", _("the hospital")
        OTHER = "other", _("someone else")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="trips")
    date = models.DateField(db_index=True)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="trips")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    status_reason = models.TextField(blank=True)
    cancelled_by = models.CharField(max_length=32, blank=True, choices=CancelledBy.choices)
    appointment_time = models.TimeField(null=True, blank=True)
    # The gate timeline. Times are aware datetimes in UTC; the UI shows them in the site's time zone.
    gate_arrived_at = models.DateTimeField(null=True, blank=True)
    # When the hold began as the person recording it entered it (may be later than the arrival).
    held_since = models.DateTimeField(null=True, blank=True)
    gate_released_at = models.DateTimeField(null=True, blank=True)
    hospital_arrived_at = models.DateTimeField(null=True, blank=True)
    facility_closes_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    turned_back_at_gate = models.BooleanField(default=False)
    synthetic = models.BooleanField(default=False, help_text="made up for the demo or tests")

    class Meta:
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return f"T-{self.pk} {self.date} {self.facility_id}"

    @property
    def code(self) -> str:
        return f"T-{self.pk}"

    @property
    def hours_held(self) -> float | None:
        """Hours held at the gate: from when the hold began as entered (else the arrival) to the release."""
        start = self.held_since or self.gate_arrived_at
        if start and self.gate_released_at:
            return round((self.gate_released_at - start).total_seconds() / 3600, 2)
        return None

    @property
    def held_now(self) -> bool:
        """Held at the gate: a hold is recorded and the trip was neither let through nor sent back."""
        return self.held_since is not None and self.gate_released_at is None and not self.turned_back_at_gate

    @property
    def status_label(self) -> str:
        """The status as a person reads it: "held at the gate" while held, else the status's label."""
        return str(HELD_LABEL) if self.held_now else str(self.get_status_display())

    @property
    def arrived_late(self) -> bool | None:
        if self.hospital_arrived_at and self.facility_closes_at:
            return self.hospital_arrived_at > self.facility_closes_at
        return None


class TripPassenger(SealedIdentity):
    """One person on a trip's manifest: a patient (with the referral it serves) or an escort."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("patient")
        ESCORT = "escort", _("escort")

    class Outcome(models.TextChoices):
        # The first codes are those older ledger entries carry; they keep their meaning.
        PENDING = "pending", _("pending")
        SEEN = "seen", _("seen for diagnosis or review")
        PROCEDURE_DONE = "procedure_done", _("seen, procedure done")
        ADMITTED = "admitted", _("seen and admitted")
        TREATMENT_STARTED = "treatment_started", _("seen, treatment started")
        FOLLOW_UP = "follow_up", _("seen, follow-up needed")
        CARE_COMPLETE = "care_complete", _("seen, care complete")
        NO_DOCTOR = "no_doctor", _("not seen: no doctor")
        REFUSED = "refused", _("not seen: refused")
        TURNED_BACK = "turned_back", _("not seen: turned back")
        NOT_SEEN_OTHER = "not_seen_other", _("not seen: other reason")

    SEEN_OUTCOMES = (
        Outcome.SEEN,
        Outcome.PROCEDURE_DONE,
        Outcome.ADMITTED,
        Outcome.TREATMENT_STARTED,
        Outcome.FOLLOW_UP,
        Outcome.CARE_COMPLETE,
    )
    # A visit at which treatment was given or begun: the end of "time to treatment".
    TREATMENT_OUTCOMES = (Outcome.PROCEDURE_DONE, Outcome.ADMITTED, Outcome.TREATMENT_STARTED, Outcome.CARE_COMPLETE)
    NOT_SEEN_OUTCOMES = (Outcome.NO_DOCTOR, Outcome.REFUSED, Outcome.TURNED_BACK, Outcome.NOT_SEEN_OTHER)

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="passengers")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trip_places")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="trips")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.PATIENT)
    escort_for = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=24, choices=Outcome.choices, default=Outcome.PENDING)
    # Clinical text, sealed under the patient's data key like their identity: erasing them makes it unreadable.
    outcome_note = EncryptedTextField(blank=True)
    follow_up_due = models.DateField(null=True, blank=True, help_text="the follow-up deadline asked for at this visit")
    removed = models.BooleanField(default=False, help_text="taken off the manifest before departure")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trip", "patient"], name="trip_passenger_once"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} on {self.trip_id}"


# ------------------------------------------------------------------------------------------ companions


class Companion(models.Model):
    """A camp person who may go with patients: an escort, an interpreter or a nurse.

    Known by a pseudonymous code; who they are is kept apart in :class:`CompanionIdentity`, encrypted
    like a patient's identity.
    """

    class Kind(models.TextChoices):
        ESCORT = "escort", _("escort")
        INTERPRETER = "interpreter", _("interpreter")
        NURSE = "nurse", _("nurse")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="companions")
    code = models.CharField(max_length=32, unique=True, help_text="pseudonymous code, e.g. C-0007")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    registered_on = models.DateField()
    synthetic = models.BooleanField(default=False, help_text="made up for the demo or tests")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CompanionIdentity(SealedIdentity):
    """Who a companion is, encrypted at rest and bound to the companion; every read is recorded in the ledger."""

    companion = models.OneToOneField(Companion, on_delete=models.PROTECT, related_name="identity")
    full_name = EncryptedTextField(max_length=200, owner="companion")
    contact = EncryptedTextField(max_length=200, blank=True, owner="companion")
    notes = EncryptedTextField(blank=True, owner="companion")

    class Meta:
        verbose_name_plural = "companion identities"

    def __str__(self) -> str:
        return f"identity of {self.companion_id}"


class TripCompanion(models.Model):
    """A companion the camp asked for on a trip, for one patient, and the authority's answer about them."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("asked, no answer yet")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUBSTITUTED = "substituted", _("substituted by the authority")
        NO_ANSWER = "no_answer", _("no answer")

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="companions")
    companion = models.ForeignKey(Companion, on_delete=models.PROTECT, related_name="trips")
    for_patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=Companion.Kind.choices)
    camp_may_choose = models.BooleanField(help_text="whether the rules in force let the camp choose this role")
    answer = models.CharField(max_length=16, choices=Answer.choices, default=Answer.PENDING)
    answer_note = models.TextField(blank=True, help_text="what the authority said; who it sent instead")

    class Meta:
        ordering = ["trip_id", "for_patient_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trip", "companion"], name="trip_companion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.companion_id} for {self.for_patient_id} on {self.trip_id}"


# ------------------------------------------------------------------------------------ the phone's outbox


class GateTap(models.Model):
    """A gate step tapped on a phone and sent from its outbox, known by the key the phone gave it.

    The key is unique here, and the row is written in the transaction that appends the step's ledger
    entry (whose payload carries the key too): a key can be applied once, whichever process receives it
    and however often the phone sends it again. Only applied taps have a row; a tap the trip refused
    wrote nothing and has none. Written only by :mod:`corridor.transfers.outbox`.
    """

    key = models.UUIDField(unique=True, help_text="given by the phone when the step was tapped")
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="taps")
    step = models.CharField(max_length=32, help_text="the gate transition, e.g. gate_arrived")
    seqs = models.JSONField(help_text="the ledger entries the tap became (a gate arrival may record the departure)")
    tapped_at = models.DateTimeField(help_text="the phone's clock when the step was tapped")
    received_at = models.DateTimeField(help_text="the server's clock when the tap was applied")
    recorded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.step} on {self.trip_id} ({self.key})"
