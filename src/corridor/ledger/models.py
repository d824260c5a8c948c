"""The append-only ledger table.

Each row is evidence exactly as it was hashed: times are stored as the canonical UTC strings and the
payload and subjects as canonical JSON text, so that verification re-hashes stored bytes without
re-interpreting them. The database itself refuses UPDATE and DELETE (see migration 0002).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from corridor.ledger import canonical
from corridor.ledger.catalogue import Certainty, Source


class Entry(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    type = models.CharField(max_length=64, db_index=True)
    occurred_at = models.CharField(max_length=27, db_index=True, help_text="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ")
    recorded_at = models.CharField(max_length=27)
    recorded_by = models.CharField(max_length=150)
    subjects_json = models.TextField()
    payload_json = models.TextField()
    source = models.CharField(max_length=32, choices=Source.choices)
    certainty = models.CharField(max_length=32, choices=Certainty.choices)
    corrects = models.BigIntegerField(null=True, blank=True, db_index=True)
    # unique: two appends that read the same head cannot both commit, so the chain can never fork.
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.payload_json)
        return value

    @property
    def subjects(self) -> list[str]:
        value: list[str] = json.loads(self.subjects_json)
        return value

    def as_row(self) -> canonical.Row:
        return canonical.Row(
            seq=self.seq,
            type=self.type,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            recorded_by=self.recorded_by,
            subjects_json=self.subjects_json,
            payload_json=self.payload_json,
            source=self.source,
            certainty=self.certainty,
            corrects=self.corrects,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )

    def as_record(self) -> dict[str, Any]:
        """The entry as exported: every hashed field plus its hash, for an outsider to re-verify."""
        return {
            "certainty": self.certainty,
            "corrects": self.corrects,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
            "seq": self.seq,
            "source": self.source,
            "subjects": self.subjects,
            "type": self.type,
            "v": canonical.FORMAT_VERSION,
            "hash": self.hash,
        }


class Subject(models.Model):
    """Which entries concern which subject (``patient:P-0042``): an index for timelines, not evidence.

    It is written in the same transaction as its entry and can be rebuilt from the entries' subjects.
    """

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="subject_rows")
    key = models.CharField(max_length=100, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "key"], name="ledger_subject_unique")]

    def __str__(self) -> str:
        return f"{self.key} in #{self.entry_id}"
