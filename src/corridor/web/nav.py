"""The navigation bar, in one place. Another app adds its page with one line in ``NAV``.

Each item names a URL, a label (translated lazily) and the capability needed to see the link
(None: any role). The page itself must check the same capability again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from corridor.accounts.roles import Can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    capability: Can | None = None


NAV: list[NavItem] = [
    NavItem("web:dashboard", _("Dashboard")),
    NavItem("web:plan", _("Daily plan")),
    NavItem("web:trips", _("Trips")),
    NavItem("web:patients", _("Patients")),
    NavItem("web:companions", _("Companions")),
    NavItem("supplies:status", _("Supplies")),
    NavItem("intake:upload", _("Field intake"), Can.RECORD_GATE),
    NavItem("reports:index", _("Reports"), Can.READ_LEDGER),
    NavItem("web:ledger", _("Ledger"), Can.READ_LEDGER),
    NavItem("web:users", _("Users"), Can.MANAGE_USERS),
    NavItem("web:erasures", _("Erasures"), Can.ERASE_IDENTITIES),
    NavItem("web:sign_ins", _("Access review"), Can.REVIEW_ACCESS),
    NavItem("admin:index", _("Administration"), Can.MANAGE_USERS),
]


def links(user: object, current_path: str) -> list[dict[str, Any]]:
    """The items ``user`` may open, with their address and whether the current page is under it."""
    from corridor.web.access import allowed

    out = []
    for item in NAV:
        if not allowed(user, item.capability):
            continue
        try:
            href = reverse(item.url_name)
        except NoReverseMatch:  # an app listed here but not installed
            continue
        current = current_path == href if href == "/" else current_path.startswith(href)
        out.append({"href": href, "label": item.label, "current": current})
    return out
