"""A sentence for a person, kept as a code and its values until an edge words it in the reader's language.

Pure: no Django. The cores say *what* is the case (``Notice.of("supply.below_threshold", threshold=3000)``);
each edge (a page, a PDF, the API, the CLI) turns it into words in its reader's language, with numbers
and dates written the local way. So no English sentence is frozen into data that a Persian page shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notice:
    code: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **values: Any) -> Notice:
        return cls(code, tuple(sorted(values.items())))

    def value(self, key: str) -> Any:
        return dict(self.values)[key]

    def as_json(self) -> dict[str, Any]:
        """The code and its values as plain JSON (dates as ISO text)."""
        return {
            "code": self.code,
            **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.values},
        }
