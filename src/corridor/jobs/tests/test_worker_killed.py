"""A real worker process killed with ``kill -9`` mid-job: nothing half-written, the job retried visibly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from corridor.ops.testing import CORRIDOR, corridor, environment, own_database, python

STATE = (
    "import json\n"
    "from corridor.jobs.models import Job\n"
    "from corridor.ledger.models import Entry\n"
    "job = Job.objects.get()\n"
    "print(json.dumps({'state': job.state, 'attempts': job.attempts, 'text': job.progress_text,\n"
    "  'error': job.error, 'answer': job.answer, 'data': job.data,\n"
    "  'plans': Entry.objects.filter(type='plan.proposed').count()}))\n"
)
SUBMIT = (
    "from corridor.jobs import services\n"
    # Less planning work than a coordinator's plan: enough to be killed in the middle of, not minutes.
    "print(services.submit('plan', {'site': 'DEMO', 'budget': {'windows': 6}}, by=None).pk)\n"
)


def _state(variables: dict[str, str]) -> dict[str, object]:
    state: dict[str, object] = json.loads(python(STATE, variables))
    return state


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_a_worker_killed_mid_plan_leaves_no_plan_and_the_next_worker_runs_it_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with own_database(tmp_path) as url:
        variables = environment(url, data, CORRIDOR_LOG_LEVEL="ERROR")
        corridor(["load-scenario", "demo-camp"], variables)
        site = python(
            "from corridor.register.models import Site\nprint(Site.objects.order_by('pk').first().code)", variables
        )
        python(SUBMIT.replace("DEMO", site.strip()), variables)

        worker = subprocess.Popen(
            [*CORRIDOR, "worker", "--no-schedule"], env=variables, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        # Planning, or already showing its first answer while the planner searches.
        while not str(_state(variables)["text"]).startswith(("planning", "the planner is looking")):
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        time.sleep(1.0)  # in the middle of the search
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL

        killed = _state(variables)
        assert killed["state"] == "running" and killed["plans"] == 0, killed  # nothing half-written

        corridor(["worker", "--batch", "--no-schedule"], variables)  # a new worker finds it abandoned and runs it again
        after = _state(variables)
        assert after["state"] == "succeeded" and after["attempts"] == 2, after
        assert after["plans"] == 1
        listing = corridor(["jobs"], variables).stdout
        assert "plan" in listing and "succeeded" in listing
        assert corridor(["verify"], variables).stdout.startswith("ok: ")
