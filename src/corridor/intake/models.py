"""Which field submissions have been imported, and the ledger entries each became.

An import looks every submission up here first, so that importing the same export again changes
nothing. Rows are written only by :mod:`corridor.intake.services`, in the transaction that writes the
entries they point to.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class ImportedSubmission(models.Model):
    """A submission recorded in the ledger, by each ID it goes by.

    Its answers are kept sealed (:mod:`corridor.intake.sealing`) under the data key of the patient it is
    about, so erasing them makes the answers unreadable; a re-import is told from an edit by ``digests``.
    """

    instance_id = models.CharField(max_length=100, unique=True, help_text="without the uuid: prefix, lower case")
    form = models.CharField(max_length=32)
    answers = models.TextField(blank=True, help_text="the answers as they were applied, sealed")
    digests = models.JSONField(default=dict, help_text="each answer's HMAC, to tell a re-import from an edit")
    owner = models.CharField(max_length=40, blank=True, help_text="whose data key seals the answers; empty: none")
    seqs = models.JSONField(help_text="the ledger entries the submission became")
    platform = models.CharField(max_length=8)
    file_format = models.CharField(max_length=8)
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return f"{self.form} {self.instance_id}"

    def opened_answers(self) -> Any:
        """The answers in the clear, or :data:`corridor.intake.sealing.ERASED` once their patient was erased.

        For the services only: an edge showing them asks :func:`corridor.intake.servers.show_received`."""
        from corridor.intake import sealing

        return sealing.open_value(self.answers, sealing.ANSWERS, self.instance_id, self.owner)


class Refusal(models.Model):
    """A submission a server sent (pulled or pushed) that could not be recorded, waiting for a correction.

    Coordinators see the open ones on the intake page. A refused submission is never lost: it stays here
    (with what was received) until the same submission is recorded, found recorded already, or marked
    rejected on the server and so left out (``settled_at``). Rows are written only by
    :mod:`corridor.intake.servers` and :mod:`corridor.intake.services`. Nothing of the ledger is in it.
    """

    source = models.CharField(max_length=40, help_text="the configured source it came from")
    way = models.CharField(max_length=8, help_text="pull or push")
    instance_id = models.CharField(max_length=100, blank=True, help_text="empty when the body named none")
    form = models.CharField(max_length=32, blank=True)
    problems = models.JSONField(help_text="each reason it was refused, one line each")
    data = models.TextField(blank=True, help_text="the submission as received, sealed; empty when none was")
    owner = models.CharField(max_length=40, blank=True, help_text="whose data key seals it; empty: the install's")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1, help_text="how many pulls or pushes brought it")
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["instance_id"]), models.Index(fields=["settled_at", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"refused {self.source} {self.instance_id or '(no ID)'}"

    def received(self) -> Any:
        """The submission as received (None if none was), or :data:`corridor.intake.sealing.ERASED`.

        For the services only: an edge showing it asks :func:`corridor.intake.servers.show_received`."""
        from corridor.intake import sealing

        if not self.data and not self.owner:
            return None
        return sealing.open_value(self.data, sealing.RECEIVED, self.pk, self.owner)
