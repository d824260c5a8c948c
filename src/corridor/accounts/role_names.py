"""The five roles' codes, with nothing else imported: the command line lists them before Django starts."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CLINICIAN = "clinician"
    MONITOR = "monitor"
    AUDITOR = "auditor"
    ADMIN = "admin"
