"""Erasures: an admin asks for one person's identity to be erased, a second admin confirms (docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import StringConstraints

from corridor.accounts.roles import Can
from corridor.register import erasure
from corridor.register.models import Erasure
from corridor.register.scoping import visible

from .core import acting, recorded, requires, responses
from .schemas import LINE, Code, EntryRef

router = Router()


class ErasureIn(Schema):
    action: Literal["request", "confirm", "cancel"]
    reason: Annotated[str, StringConstraints(pattern=LINE, max_length=2000)] = ""


class ErasureOut(Schema):
    person: str
    kind: Literal["patient", "companion"]
    state: Erasure.State  # the model's own list, not a copy of it
    reason: str
    retention: bool
    requested_by: str
    requested_entry: int
    decided_by: str
    decided_entry: int | None


class ErasureWritten(ErasureOut):
    entry: EntryRef


def erasure_out(found: Erasure) -> dict[str, Any]:
    return {
        "person": found.code,
        "kind": found.kind,
        "state": found.state,
        "reason": found.reason,
        "retention": found.retention,
        "requested_by": found.requested_by,
        "requested_entry": found.requested_seq,
        "decided_by": found.decided_by,
        "decided_entry": found.decided_seq,
    }


@router.get("/erasures", response=responses(list[ErasureOut]), tags=["erasures"], auth=requires(Can.ERASE_IDENTITIES))
def list_erasures(request: HttpRequest) -> list[dict[str, Any]]:
    """Erasures asked for at the caller's sites, waiting ones first (admin)."""
    user = acting(request, Can.ERASE_IDENTITIES)
    found = visible(Erasure.objects.all(), user).order_by("-requested_seq")
    return [erasure_out(e) for e in sorted(found, key=lambda e: e.state != "requested")]


@router.post(
    "/erasures/{code}", response=responses(ErasureWritten), tags=["erasures"], auth=requires(Can.ERASE_IDENTITIES)
)
def act_on_erasure(request: HttpRequest, code: Code, data: ErasureIn) -> dict[str, Any]:
    """Ask for a person's identity to be erased (with a reason), confirm another admin's request (the person's
    data key is destroyed: their identity reads "erased" everywhere), or cancel a request (admin)."""
    user = acting(request, Can.ERASE_IDENTITIES)
    person = erasure.find_person(code, user)
    if data.action == "request":
        found, entry = recorded(lambda: erasure.request_erasure(person, reason=data.reason, by=user))
    elif data.action == "confirm":
        found, entry = recorded(lambda: erasure.confirm_erasure(person, by=user))
    else:
        found, entry = recorded(lambda: erasure.cancel_erasure(person, by=user, reason=data.reason))
    return {**erasure_out(found), "entry": entry}
