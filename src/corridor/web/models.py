"""Per-user settings of the workspace. Not evidence, so not in the ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Preference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="web_preference")
    language = models.CharField(max_length=8, blank=True, help_text="en, fa or ar; empty: the browser's")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
