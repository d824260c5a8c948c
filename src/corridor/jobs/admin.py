"""The task queue's own admin page (registered by django-tasks-db) made read-only like every other model:
a queued task is changed only by the jobs services, so the job record and its ledger entry never part."""

from __future__ import annotations

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

from corridor.admin_base import ReadOnlyAdmin

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, ReadOnlyAdmin)
