"""Every code list Corridor shows a person, named once: the model choices that define it.

A code (``authority``, ``probable``, ``turned_back``) is defined with its label exactly once, as a
``TextChoices`` beside the field that stores it; the label is a gettext message, so it has one
translation in each language. The web, the API's enums, the reports, the field forms and
``docs/vocabulary.md`` read the lists through this registry instead of keeping their own copies, which
is how the same code came to read "someone else", "other" and "Someone else" on three screens.
``tests/test_vocabulary.py`` fails when a list is written out again anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum, StrEnum

from django.db import models
from django.utils import translation

from corridor.accounts.roles import Can, Role
from corridor.ledger.catalogue import Certainty, Source
from corridor.register.models import Patient, Referral, Specialty
from corridor.reports.codes import AgeGroup, AttackType, DiagnosisGroup, ObstructionKind
from corridor.supplies.models import Category, Delivery, Dependence, StockRecord
from corridor.transfers.models import Companion, Trip, TripCompanion, TripPassenger

# The languages every label is translated into, in the order the field forms write their columns.
LANGUAGES = ("en", "fa", "ar")

# name -> the choices that define the list. The name is how docs, tests and reports refer to it.
CODE_LISTS: dict[str, type[models.Choices]] = {
    "trip_status": Trip.Status,
    "cancelled_by": Trip.CancelledBy,
    "passenger_role": TripPassenger.Role,
    "outcome": TripPassenger.Outcome,
    "companion_kind": Companion.Kind,
    "companion_answer": TripCompanion.Answer,
    "referral_status": Referral.Status,
    "patient_status": Patient.Status,
    "sex": Patient.Sex,
    "specialty": Specialty,
    "source": Source,
    "certainty": Certainty,
    "supply_category": Category,
    "stock_record_kind": StockRecord.Kind,
    "delivery_status": Delivery.Status,
    "dependence_need": Dependence.Need,
    "obstruction_kind": ObstructionKind,
    "attack_type": AttackType,
    "age_group": AgeGroup,
    "diagnosis_group": DiagnosisGroup,
}

# The WHO SSA's health-care resources (corridor.reports.codes.Resource) are a code list with words too,
# but not registered here: their codes ("patients", "facility", "transport") are everyday keys of
# payloads and tables, so every such literal would read as a copy of the list.

# Lists that are codes without words for a reader (permissions are named by their codes on every
# screen): registered so that a copy of them is caught too.
CODE_ONLY: dict[str, type[Enum]] = {
    "role": Role,
    "capability": Can,
}


def codes(name: str) -> tuple[str, ...]:
    """The codes of list ``name``, in the order it defines them."""
    if name in CODE_LISTS:
        return tuple(str(value) for value in CODE_LISTS[name].values)
    return tuple(str(member.value) for member in CODE_ONLY[name])


def label(name: str, code: object, language: str | None = None) -> str:
    """The words for ``code`` of list ``name`` in ``language`` (the active one if None), or the code itself."""
    choices = CODE_LISTS[name]
    text = "" if code is None else str(code)
    try:
        member = choices(text)
    except ValueError:
        return text
    if language is None:
        return str(member.label)
    with translation.override(language):
        return str(member.label)


def labels(name: str, code: str) -> tuple[str, str, str]:
    """The label of ``code`` in English, Persian and Arabic, starting with a capital where there is one."""
    en, fa, ar = (label(name, code, language) for language in LANGUAGES)
    return (en[:1].upper() + en[1:], fa, ar)


def choices(name: str) -> list[tuple[str, str]]:
    """(code, label) pairs for a form's select, labels in the active language when rendered."""
    return [(str(value), str(text)) for value, text in CODE_LISTS[name].choices]


def enum(name: str, title: str | None = None, only: Iterable[str] | None = None) -> type[StrEnum]:
    """The codes of list ``name`` as an enum for the API's schemas (``only`` narrows it to some of them).

    The enum is named (``CancelledByCode``) so that the OpenAPI document shows one named list per code
    list rather than the same strings inline in every operation.
    """
    allowed = codes(name) if only is None else tuple(str(code) for code in only)
    unknown = set(allowed) - set(codes(name))
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not codes of {name}")
    title = title or "".join(part.title() for part in name.split("_")) + "Code"
    return StrEnum(title, [(code.upper(), code) for code in allowed])  # type: ignore[return-value]
