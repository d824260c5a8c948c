"""Reference names in the interface's languages: the one name every row has, and its other renderings.

Pure: the register's models, the supplies' statuses and the reports all read a name through
:func:`name_in`, so a page in Persian falls back the same way everywhere when no Persian name was given.
"""

from __future__ import annotations

from collections.abc import Mapping

# The languages a reference name may be given in (those of the interface); ``name`` is the one always there.
LANGUAGES = ("en", "fa", "ar")


def language_code(language: str | None) -> str:
    """ "fa-ir" -> "fa": a name is kept per language, never per region."""
    return (language or "").split("-")[0].lower()


def name_in(name: str, names: Mapping[str, str] | None, language: str | None) -> str:
    """The name in ``language`` if one was given, otherwise ``name``."""
    return (names or {}).get(language_code(language)) or name
