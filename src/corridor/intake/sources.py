"""The servers field submissions come from: which ones, where, and with which secrets.

A camp names each server once in ``CORRIDOR_INTAKE_SOURCES``, one a line (or ``;``-separated)::

    gate-kobo  kobo  https://kf.kobotoolbox.org  aBcD1234eFgH5678iJkL
    hospital   odk   https://central.example.org  7/corridor_trip_outcome

and gives its secrets in variables of their own, so that the list itself can sit in a shared file:
``CORRIDOR_INTAKE_TOKEN_<NAME>`` (KoBoToolbox's API token, or ODK Central's ``email:password``) makes
the source pulled on the schedule; ``CORRIDOR_INTAKE_PUSH_SECRET_<NAME>`` makes it accept KoBoToolbox's
REST Service pushes. Both also read ``..._FILE``. Everything is checked when the process starts, and a
mistake stops it naming the variable. No Django here; the secrets are never in a ``repr``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from corridor.env import ConfigError, config_lines, envsecret

KINDS = {"kobo": "KoBoToolbox", "odk": "ODK Central"}
SOURCES_VARIABLE = "CORRIDOR_INTAKE_SOURCES"
TOKEN_PREFIX = "CORRIDOR_INTAKE_TOKEN_"
PUSH_SECRET_PREFIX = "CORRIDOR_INTAKE_PUSH_SECRET_"
MIN_PUSH_SECRET = 16  # a guessable secret would let anyone write to the ledger through the push endpoint

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KOBO_ASSET = re.compile(r"^[A-Za-z0-9]{1,64}$")
_ODK_FORM = re.compile(r"^([0-9]{1,9})/([A-Za-z0-9_.\-]{1,100})$")


@dataclass(frozen=True)
class Source:
    """One server a form's submissions are pulled from (with a token) or pushed from (with a push secret)."""

    name: str
    kind: str  # kobo or odk
    url: str  # the server, without a trailing slash
    form: str  # KoBoToolbox: the asset's uid; ODK Central: PROJECT/xmlFormId
    token: str | None = field(default=None, repr=False)
    push_secret: str | None = field(default=None, repr=False)

    @property
    def pulled(self) -> bool:
        return self.token is not None

    @property
    def pushed(self) -> bool:
        return self.push_secret is not None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.platform} {self.form})"

    @property
    def platform(self) -> str:
        """The server's product, by its own name (KoBoToolbox, ODK Central)."""
        return KINDS[self.kind]

    def describe(self) -> str:
        """What the source does, without its secrets: for ``corridor intake sources`` and the intake page."""
        ways = [w for w, on in (("pulled", self.pulled), ("accepts pushes", self.pushed)) if on]
        return f"{self.name}  {self.kind}  {self.url}  {self.form}  ({', '.join(ways)})"


def variable_suffix(name: str) -> str:
    return name.upper().replace("-", "_")


def parse_sources(text: str, secrets: dict[str, tuple[str | None, str | None]] | None = None) -> list[Source]:
    """The sources written in ``text``, with ``secrets[name] = (token, push_secret)``. Raises ConfigError."""
    secrets = secrets or {}
    sources: list[Source] = []
    for line in config_lines(text):
        parts = line.split()
        if len(parts) != 4:
            raise ConfigError(f"{SOURCES_VARIABLE}: each source is 'NAME KIND URL FORM'; got {line!r}")
        name, kind, url, form = parts
        if not _NAME.match(name):
            raise ConfigError(
                f"{SOURCES_VARIABLE}: {name!r} is not a source name (lower-case letters, digits and '-', at most 40)"
            )
        if any(s.name == name for s in sources):
            raise ConfigError(f"{SOURCES_VARIABLE}: the source {name} is named twice")
        if kind not in KINDS:
            raise ConfigError(f"{SOURCES_VARIABLE}: {name}: the kind must be kobo or odk; got {kind!r}")
        parts_of = urlsplit(url)
        if parts_of.scheme not in ("http", "https") or not parts_of.netloc or parts_of.query or parts_of.fragment:
            raise ConfigError(
                f"{SOURCES_VARIABLE}: {name}: the server must be an http(s) address such as "
                f"https://kf.kobotoolbox.org; got {url!r}"
            )
        if kind == "kobo" and not _KOBO_ASSET.match(form):
            raise ConfigError(
                f"{SOURCES_VARIABLE}: {name}: a KoBoToolbox form is named by its asset uid (letters and digits, "
                f"as in /#/forms/UID/); got {form!r}"
            )
        if kind == "odk" and not _ODK_FORM.match(form):
            raise ConfigError(
                f"{SOURCES_VARIABLE}: {name}: an ODK Central form is PROJECT/xmlFormId, such as "
                f"7/corridor_gate_incident; got {form!r}"
            )
        token, push_secret = secrets.get(name, (None, None))
        suffix = variable_suffix(name)
        if token is None and push_secret is None:
            raise ConfigError(
                f"{SOURCES_VARIABLE}: {name} has neither {TOKEN_PREFIX}{suffix} (to pull it) nor "
                f"{PUSH_SECRET_PREFIX}{suffix} (to accept its pushes)"
            )
        if push_secret is not None and kind != "kobo":
            raise ConfigError(
                f"{PUSH_SECRET_PREFIX}{suffix}: only KoBoToolbox pushes (REST Services); "
                f"ODK Central's submissions are pulled"
            )
        if push_secret is not None and len(push_secret) < MIN_PUSH_SECRET:
            raise ConfigError(f"{PUSH_SECRET_PREFIX}{suffix} must be at least {MIN_PUSH_SECRET} characters long")
        if token is not None and kind == "odk" and ":" not in token:
            raise ConfigError(f"{TOKEN_PREFIX}{suffix}: ODK Central's token is the account's email:password")
        sources.append(Source(name, kind, url.rstrip("/"), form, token, push_secret))
    return sources


def from_environment() -> list[Source]:
    """The sources configured in the environment (none when ``CORRIDOR_INTAKE_SOURCES`` is unset)."""
    text = os.environ.get(SOURCES_VARIABLE, "")
    names = [line.split()[0] for line in text.replace(";", "\n").splitlines() if line.split("#", 1)[0].split()]
    secrets = {
        name: (
            envsecret(TOKEN_PREFIX + variable_suffix(name)),
            envsecret(PUSH_SECRET_PREFIX + variable_suffix(name)),
        )
        for name in names
    }
    return parse_sources(text, secrets)
