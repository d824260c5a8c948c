"""Which field submissions have been imported, and the ledger entries each became.

An import looks every submission up here first, so that importing the same export again changes
nothing. Rows are written only by :mod:`corridor.intake.services`, in the transaction that writes the
entries they point to.
"""

from __future__ import annotations

from django.db import models


class ImportedSubmission(models.Model):
    instance_id = models.CharField(max_length=100, unique=True, help_text="without the uuid: prefix, lower case")
    form = models.CharField(max_length=32)
    answers = models.JSONField(help_text="the answers as they were applied, to tell a re-import from an edit")
    seqs = models.JSONField(help_text="the ledger entries the submission became")
    platform = models.CharField(max_length=8)
    file_format = models.CharField(max_length=8)
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return f"{self.form} {self.instance_id}"
