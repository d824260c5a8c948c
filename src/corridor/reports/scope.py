"""The sites an indicator computation covers, for the length of one computation.

A report, an export of indicators or the public site counts only the records of the sites its
reader works at (docs/roles.md, "Sites"). Every indicator's queries read the sites from here rather
than taking them as an argument, so a new indicator cannot forget them: its base query goes through
``corridor.reports.queries.scoped``. Pure: no Django here, so the catalogue stays pure too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# None: every site (a script, a loader, an admin of the whole install)
_sites: ContextVar[frozenset[int] | None] = ContextVar("corridor_report_sites", default=None)


@contextmanager
def covering(sites: Iterable[int] | None) -> Iterator[None]:
    """Within the block, indicators count the records of ``sites`` only (ids; ``None`` for every site)."""
    token = _sites.set(frozen(sites))
    try:
        yield
    finally:
        _sites.reset(token)


def frozen(sites: Iterable[int] | None) -> frozenset[int] | None:
    return None if sites is None else frozenset(sites)


def current() -> frozenset[int] | None:
    """The sites the computation in progress covers (``None``: every site)."""
    return _sites.get()
