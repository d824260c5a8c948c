"""The planner's work budget: what makes a plan reproducible. No solver is imported here, so the
register can name a budget without loading HiGHS or OR-Tools."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The search a budget runs. 1: windows of the caller's width, each a MILP, widened only after a
# sweep without a gain; the LP bound waited for. 2: windows screened by their LP first, solved in
# pairs (on two cores when there are two), widened every sweep; the LP bound taken only if known by
# the end, else the dual's. 3: version 2 without HiGHS's restart in each window's MILP. A recorded
# budget keeps its version, so an old plan replays with the old search.
ALGORITHM = 3


@dataclass(frozen=True)
class Budget:
    """How much *work* the planner may do, instead of how many seconds.

    A plan searched until a deadline depends on how fast the machine ran that day: the same instance
    gives another plan under load. With a budget every step stops after a count (dual iterations,
    local-search rounds, window models, branch-and-bound nodes per window) and every random choice
    comes from ``seed``, so the same instance gives the same plan on any machine and under any load
    (with the same versions of HiGHS, OR-Tools and NumPy, which the lock file pins).
    This is what recorded plans use; ``corridor plan replay`` re-derives one from its ledger entry.
    The defaults take about 10 CPU seconds of the main process on the benchmark's 450- and
    1000-patient instances, and far less on a site's usual waiting list (the search also stops when
    sweeps stop paying).
    """

    seed: int = 0
    dual_iterations: int = 150  # Lagrangian dual at the start (its day choices are tried as plans)
    search_rounds: int = 200  # local-search rounds (each scores up to 12 screened moves)
    windows: int = 34  # window models solved (screened by their LP from version 2)
    window_nodes: int = 50  # branch-and-bound nodes per window model
    polish_iterations: int = 1000  # dual iterations aimed at the final plan when no LP bound is known
    stall_sweeps: int = 2  # sweeps of the widest windows without an improvement before stopping early
    window_width: int = 8  # days in the first windows (version 2; version 1 took the caller's width)
    version: int = ALGORITHM  # which search runs; a budget recorded before versions existed is 1

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Budget:
        known = {k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        # A budget recorded before the version field ran the first search: keep it that search.
        known.setdefault("version", 1)
        return cls(**known)
