"""The planner's work budget: what makes a plan reproducible. No solver is imported here, so the
register can name a budget without loading HiGHS or OR-Tools."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Budget:
    """How much *work* the planner may do, instead of how many seconds.

    A plan searched until a deadline depends on how fast the machine ran that day: the same instance
    gives another plan under load. With a budget every step stops after a count (dual iterations,
    local-search rounds, window models, branch-and-bound nodes per window) and every random choice
    comes from ``seed``, so the same instance gives the same plan on any machine and under any load
    (with the same versions of HiGHS, OR-Tools and NumPy, which the lock file pins).
    This is what recorded plans use; ``corridor plan replay`` re-derives one from its ledger entry.
    The defaults take about 15 CPU seconds on the benchmark's 450-patient instance, and far less on a
    site's usual waiting list (the search also stops when sweeps stop paying).
    """

    seed: int = 0
    dual_iterations: int = 150  # Lagrangian dual at the start (its day choices are tried as plans)
    search_rounds: int = 200  # local-search rounds (each scores up to 12 screened moves)
    windows: int = 40  # window models solved exactly by HiGHS
    window_nodes: int = 50  # branch-and-bound nodes per window model
    polish_iterations: int = 300  # dual iterations aimed at the final plan when no LP bound is asked
    stall_sweeps: int = 2  # sweeps of the widest windows without an improvement before stopping early

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Budget:
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})
