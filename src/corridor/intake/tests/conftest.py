"""Fixtures for the intake tests: the register a form's submissions are about, and a monitor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from corridor.intake.sources import Source
from corridor.intake.tests.cases import CASES, Case
from corridor.intake.tests.recorded import RecordedServer
from corridor.register.models import Referral, Site


@pytest.fixture
def field_state(camp: Site, make_referral: Callable[..., Referral]) -> Callable[[str], Case]:
    def build(form: str) -> Case:
        return CASES[form](camp, make_referral)

    return build


@pytest.fixture
def deaths_one_unknown(field_state: Callable[[str], Case], tmp_path: Path) -> Path:
    """A Kobo export of two death reports, the second naming a patient the register does not hold: an
    import of it must reject the second and, holding the first back, write nothing."""
    from corridor.intake.forms import FORMS
    from corridor.intake.tests.exports import kobo_json

    case = field_state("death")
    case.submissions[1].answers["patient_code"] = "P-0000"
    path = tmp_path / "deaths.json"
    path.write_bytes(kobo_json(FORMS["death"], case.submissions))
    return path


@pytest.fixture
def monitor(users: dict[str, Any]) -> Any:
    return users["monitor"]


KOBO_TOKEN = "synthetic-kobo-token-0123456789abcdef"
ODK_TOKEN = "monitor@example.org:synthetic-password"
PUSH_SECRET = "synthetic-push-secret-0123456789"


@pytest.fixture
def recorded_server() -> Iterator[RecordedServer]:
    server = RecordedServer().start()
    yield server
    server.stop()


@pytest.fixture
def intake_sources(settings: Any, recorded_server: RecordedServer) -> dict[str, Source]:
    """Three configured sources on the recorded server: KoBoToolbox pulled, ODK Central pulled, KoBo pushing."""
    sources = {
        "kobo": Source("gate-kobo", "kobo", recorded_server.url, "aSynthDeath01", token=KOBO_TOKEN),
        "odk": Source("hospital-odk", "odk", recorded_server.url, "7/corridor_trip_outcome", token=ODK_TOKEN),
        "push": Source("deaths-push", "kobo", recorded_server.url, "aSynthDeath01", push_secret=PUSH_SECRET),
    }
    settings.INTAKE_SOURCES = list(sources.values())
    return sources
