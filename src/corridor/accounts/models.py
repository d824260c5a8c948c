"""API tokens. A token acts for one user with that user's role; only its SHA-256 is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    label = models.CharField(max_length=100, help_text="what the token is for, e.g. the system that holds it")
    digest = models.CharField(max_length=64, unique=True, help_text="hex SHA-256 of the secret")
    prefix = models.CharField(max_length=12, help_text="the secret's first characters, to recognise it")
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        # Rate limits key on this, so it must identify the token and never reveal it.
        return f"token {self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AccountState(models.Model):
    """What the sign-in needs to know about an account beyond Django's user: a pending forced change.

    Set by ``reset_password`` when someone else chose the password, cleared by ``change_password``.
    The ledger holds the acts themselves; this row only steers the next sign-in.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_state")
    must_change_password = models.BooleanField(default=False)
    reset_by = models.CharField(max_length=150, blank=True, help_text="who last reset the password")
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"account state of {self.user_id}"


class SignIn(models.Model):
    """One sign-in, failed sign-in or sign-out: a plain audit table, not the ledger (see docs/roles.md)."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", "signed in"
        FAILED = "failed", "failed sign-in"
        SIGNED_OUT = "signed_out", "signed out"

    at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    username = models.CharField(max_length=150, help_text="the name given, even when no such user exists")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(max_length=64, blank=True, help_text="the client's address as the server saw it")
    forced = models.BooleanField(
        default=False, help_text="signed in with a password someone else set (a change was required)"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.username} {self.at:%Y-%m-%d %H:%M}"


class BreakGlass(models.Model):
    """A time-limited grant to see one patient's identity to a role that otherwise may not.

    Opened with a reason (``access.break_glass``), it lasts ``CORRIDOR_BREAK_GLASS_SECONDS`` and stays
    on every coordinator's dashboard and the auditors' list until an auditor acknowledges it
    (``access.break_glass_acknowledged``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass")
    patient = models.ForeignKey("register.Patient", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    entry_seq = models.BigIntegerField(help_text="the access.break_glass ledger entry")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"break-glass {self.pk}"


class SiteMembership(models.Model):
    """One site a user works at. Every per-site read goes through ``corridor.register.scoping``, which
    asks this table; a user with no row sees no patient, trip, plan or stock. Written only by
    ``corridor.accounts.services`` (``user.created``, ``user.sites_changed``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships")
    site = models.ForeignKey("register.Site", on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        ordering = ["site__code"]
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="accounts_site_membership_once")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.site_id}"
