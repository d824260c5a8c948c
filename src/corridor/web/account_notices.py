"""What others did to a user's account since the user last signed in, told at the next sign-in.

An admin who resets someone's password and signs in as them cannot hide it: the real user is told,
on their next sign-in, who reset it and when (and every other act on their account by someone else).
"Since the last sign-in" counts only sign-ins with a password the user chose: a sign-in with a password
someone else set (as the impostor's would be) does not close the window.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from corridor.accounts.models import SignIn
from corridor.ledger import canonical
from corridor.ledger.models import Entry
from corridor.web.labels import event_label

NOTICED = (
    "user.created",
    "user.roles_changed",
    "user.password_reset",
    "user.deactivated",
    "user.reactivated",
    "token.issued",
    "token.revoked",
    "user.password_changed",  # by the account itself, but after a reset it may not have been its owner
)


def notices_since_last_sign_in(user: Any, request: Any = None) -> list[str]:
    """One sentence per act by someone else on ``user``'s account since the sign-in before this one."""
    previous = SignIn.objects.filter(user=user, outcome=SignIn.Outcome.SIGNED_IN, forced=False).order_by("-at", "-pk")
    rows = list(previous[:2])
    # The current sign-in may already be recorded (the receivers' order is not fixed): skip it if so.
    if rows and getattr(request, "_corridor_signed_in", None) == rows[0].pk:
        rows = rows[1:]
    entries = Entry.objects.filter(subject_rows__key=f"user:{user.get_username()}", type__in=NOTICED).exclude(
        Q(recorded_by=user.get_username()) & ~Q(type="user.password_changed")
    )
    if rows:
        entries = entries.filter(recorded_at__gt=canonical.format_time(rows[0].at))
    out = []
    for entry in entries.order_by("seq")[:20]:
        out.append(
            _("On %(when)s, %(who)s: %(what)s (ledger entry %(seq)s).")
            % {
                "what": event_label(entry.type),
                "who": entry.recorded_by,
                "when": entry.recorded_at[:16].replace("T", " ") + " UTC",
                "seq": entry.seq,
            }
        )
    return out
