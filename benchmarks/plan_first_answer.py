"""The plan page's time to first answer: from "Propose a plan" to the first trip the page can show.

    python benchmarks/plan_first_answer.py [--runs 5]

In a temporary data directory on SQLite: loads the demo camp, starts `corridor worker` as the demo does,
then asks for a plan job the way the plan page does (the recorded budget, the next days of the demo in turn)
and watches the job's row as the page's progress poll would, every 20 ms. Prints, per run and as the
median and the worst, the seconds until the worker started the job, until the first answer (the
dispatch rule's trip, shown while the planner searches; goal: within 2 s of the click), and until the
planner's plan was recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time

from scratch import scratch_environment, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch_environment("corridor-first-answer-")
    start_django()
    from corridor import clock
    from corridor.accounts.services import create_user
    from corridor.jobs import services
    from corridor.jobs.models import Job
    from corridor.register.models import Site
    from corridor.scenarios import loader

    loader.load("demo-camp")
    site = Site.objects.order_by("pk").first()
    assert site is not None
    coordinator = create_user(
        username="bench-coordinator", role="coordinator", password="x", by=None, check_password=False, sites=[site.code]
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", "from corridor.cli import main; main()", "worker", "--no-schedule", "--interval", "0.2"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        time.sleep(3)  # the worker's start-up (migrate check, imports), not part of a click
        for run in range(args.runs):
            day = clock.today() + dt.timedelta(days=1 + run)
            clicked = time.perf_counter()
            job = services.submit("plan", {"site": site.code, "date": day.isoformat()}, by=coordinator)
            started = first = done = None
            while done is None and time.perf_counter() - clicked < 600:
                row = Job.objects.get(pk=job.pk)
                now = time.perf_counter() - clicked
                if started is None and row.state != Job.State.QUEUED:
                    started = now
                if first is None and row.state == Job.State.RUNNING and (row.data or {}).get("first"):
                    first = now
                if row.finished:
                    done = now
                    if row.state != Job.State.SUCCEEDED:
                        raise SystemExit(f"the plan job failed: {row.error}")
                time.sleep(0.02)
            rows.append((day, started, first, done))
            print(
                f"{day}: started {started or 0:.2f} s, first answer "
                + (f"{first:.2f} s" if first is not None else "none (no trip that day)")
                + f", plan recorded {done or 0:.2f} s"
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    firsts = [r[2] for r in rows if r[2] is not None]
    dones = [r[3] for r in rows if r[3] is not None]
    if firsts:
        worst = max(firsts)
        print(
            f"first answer: median {statistics.median(firsts):.2f} s, worst {worst:.2f} s "
            f"(goal within 2 s: {'met' if worst <= 2 else 'NOT met'}); "
            f"plan recorded: median {statistics.median(dones):.2f} s, worst {max(dones):.2f} s "
            "(bounded by the recorded planner's work budget, not seconds)"
        )


if __name__ == "__main__":
    main()
