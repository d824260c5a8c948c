"""The API as mounted at /api/: the core object with every resource's routes."""

from __future__ import annotations

from corridor.api import accounts, attachments, companions, erasures, jobs, records, register, reports, transfers
from corridor.api.core import api

api.add_router("", register.router)
api.add_router("", transfers.router)
api.add_router("", records.router)
api.add_router("", reports.router)
api.add_router("", jobs.router)
api.add_router("", accounts.router)
api.add_router("", companions.router)
api.add_router("", attachments.router)
api.add_router("", erasures.router)

__all__ = ["api"]
