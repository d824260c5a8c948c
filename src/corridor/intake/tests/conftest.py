"""Fixtures for the intake tests: the register a form's submissions are about, and a monitor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from corridor.intake.tests.cases import CASES, Case
from corridor.register.models import Referral, Site


@pytest.fixture
def field_state(camp: Site, make_referral: Callable[..., Referral]) -> Callable[[str], Case]:
    def build(form: str) -> Case:
        return CASES[form](camp, make_referral)

    return build


@pytest.fixture
def monitor(users: dict[str, Any]) -> Any:
    return users["monitor"]
