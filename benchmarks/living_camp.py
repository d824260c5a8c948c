"""Living-camp benchmark: the demo camp driven N days forward through the services and the API, checked daily.

    python benchmarks/living_camp.py [--days 60] [--seed 13]

In a temporary data directory on SQLite: loads the demo camp, then each day moves the scenario's clock,
refers new patients, lets a seeded authority answer (approve, deny, cancel, no answer), records the gate
(holds, turned back), the hospital and the return, plans and requests the next day's trip (about half
of these acts through the JSON API with a token per role, the rest through the services), and runs the
checks (rules in force, trip states, dashboard = monthly report = ledger recount, every waiting referral
on the next day's plan or a trip, ledger verified, no made-up hours). Prints the days run, the checks
made, the violations, and the seconds taken.
"""

from __future__ import annotations

import argparse
import sys
import time

from scratch import scratch_environment, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    scratch_environment("corridor-living-", CORRIDOR_TODAY=None)
    start_django()
    from corridor.scenarios import living, loader

    started = time.perf_counter()
    loader.load("demo-camp")
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    report = living.advance(args.days, seed=args.seed)
    lived = time.perf_counter() - started
    print(report.describe())
    for violation in report.violations:
        print(f"violation: {violation}")
    print(
        f"demo loaded in {loaded:.1f} s; {report.days} days lived in {lived:.1f} s ({lived / report.days:.2f} s a day)"
    )
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    main()
