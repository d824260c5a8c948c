"""A job as people see it: who asked, what, how far it is, and what came of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    FINISHED = (State.SUCCEEDED, State.FAILED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    progress = models.FloatField(default=0.0)  # 0..1
    progress_text = models.CharField(max_length=200, blank=True)  # in English, for the API, the CLI and logs
    # The same sentence as its template and values, so the workspace says it in the reader's language.
    progress_said = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)  # "host:pid" of the process running it
    task_id = models.CharField(max_length=64, blank=True)  # the queue's id of the task that runs it
    schedule = models.CharField(max_length=60, blank=True)  # the scheduled item that started it, if any
    answer = models.TextField(blank=True)  # in English, for the API, the CLI and logs
    answer_said = models.JSONField(default=dict, blank=True)  # its template and values, as progress_said
    link = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    content = models.BinaryField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)  # in English, for the API, the CLI and logs
    # A refusal's template, values and code (and its lines, such as a pull's refused submissions), so the
    # workspace says it in the reader's language; empty for a crash, which stays in English for the operator.
    error_said = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["schedule", "-id"])]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED
