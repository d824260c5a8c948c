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
