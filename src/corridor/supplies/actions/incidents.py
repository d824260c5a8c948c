"""Obstructions of health care, in the WHO SSA's terms (whoever may record incidents)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register.models import Site
from corridor.register.scoping import require_site
from corridor.supplies.actions._common import _day


def record_incident(
    *,
    site: Site,
    kind: str,
    resource: str,
    description: str,
    on: dt.date,
    subjects: list[str] | None = None,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.UNVERIFIED,
) -> Entry:
    """An obstruction of health care, in the WHO SSA's terms: the kind of attack and the resource affected."""
    require(by, Can.RECORD_INCIDENTS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    if not description.strip():
        raise InvalidInput(_("describe what happened"), "description", code="incident.no_description")
    if not kind.strip() or not resource.strip():
        raise InvalidInput(_("give the kind of incident and the resource affected"), "kind", code="incident.no_kind")
    on = _day(on)  # an incident is recorded once it has happened, as every other dated event
    with transaction.atomic():
        return ledger.append(
            "incident.recorded",
            by=by,
            subjects=[f"site:{site.code}", *(subjects or [])],
            payload={
                "site": site.code,
                "kind": kind.strip(),
                "resource": resource.strip(),
                "description": description.strip(),
                "date": on.isoformat(),
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
