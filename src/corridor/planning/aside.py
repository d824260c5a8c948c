"""The strong LP bound of a recorded plan, solved in a child process at the lowest priority.

The bound is wanted but never urgent: a coordinator's plan, report or export must not wait behind it,
on a lone worker or a phone-sized server. So the LP runs in a process of its own at ``nice`` 19, and the
worker that started it looks every ``poll`` seconds whether to give way (someone's job is waiting, or
the worker is asked to stop); then the child is killed at once and :class:`GaveWay` says why, so the
caller can queue the bound again for later. The child dies with its parent (Linux's parent-death
signal), so a worker killed outright leaves no LP running.

A fresh interpreter rather than a fork: the worker may have solved plans with HiGHS, whose thread pool
does not survive a fork. Pure: no Django here; the caller says when to give way.

Run as ``python -m corridor.planning.aside PARENT_PID``: the request (``instance``, ``inputs``,
``time_limit``) as JSON on standard input, the answer as JSON on standard output.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class Relaxed:
    """What the child found: the LP's bound, and whether HiGHS proved it optimal in time."""

    bound: float
    optimal: bool
    seconds: float


class GaveWay(Exception):  # noqa: N818 - not an error: the bound gave way and is to be queued again
    """The LP was stopped before it finished: ``signum`` is the stop signal received, or None when
    someone's job was waiting."""

    def __init__(self, signum: int | None) -> None:
        super().__init__("stopped by a signal" if signum is not None else "someone's job was waiting")
        self.signum = signum


class ChildFailed(Exception):
    """The child could not solve the LP; ``args[0]`` names the exception it met, or how it ended."""


def relax_aside(
    instance: Mapping[str, Any],
    inputs: Mapping[str, Any],
    time_limit: float,
    *,
    give_way: Callable[[], bool],
    poll: float = 0.5,
) -> Relaxed:
    """The LP relaxation of a recorded plan's problem (``corridor.planning.bounds.recorded_plan_relaxation``),
    solved in a child process at the lowest priority; raises :class:`GaveWay` as soon as ``give_way()``
    says so or a stop signal arrives, and :class:`ChildFailed` when the child fails."""
    request = json.dumps({"instance": instance, "inputs": inputs, "time_limit": time_limit}).encode()
    command = [sys.executable, "-m", "corridor.planning.aside", str(os.getpid())]
    with _stop_signals_noted() as noted:
        # Asked before the child starts as well as while it works: a job already waiting never waits
        # behind an LP, and whether the bound gives way does not hang on how soon the child finishes.
        if give_way():
            raise GaveWay(None)
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # noqa: S603
        try:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(request)
            child.stdin.close()
            while True:
                try:
                    child.wait(timeout=poll)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if noted or give_way():
                    raise GaveWay(noted[0] if noted else None)
            answer = child.stdout.read()
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()
        if noted:  # the signal came as the child finished: the stop is honoured, the answer dropped and asked for again
            raise GaveWay(noted[0])
    try:
        found = json.loads(answer)
    except json.JSONDecodeError:
        raise ChildFailed(f"the LP process ended with exit code {child.returncode}") from None
    if "error" in found:
        raise ChildFailed(str(found["error"]))
    return Relaxed(float(found["bound"]), bool(found["optimal"]), float(found["seconds"]))


@contextlib.contextmanager
def _stop_signals_noted() -> Iterator[list[int]]:
    """While the child works, a stop signal is noted rather than acted on at once: the caller stops the
    child, queues the bound again, then acts on the signal (see ``corridor.transfers.bounds``). Only the
    main thread can set handlers; elsewhere (a test's thread) signals keep their handlers."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)

    before = {s: signal.signal(s, note) for s in STOP_SIGNALS}
    try:
        yield noted
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def act_on(signum: int) -> None:
    """Deliver ``signum`` again now that the handlers it would have met are back in place."""
    signal.raise_signal(signum)


def _lowest_priority(parent: int) -> None:
    """Nice 19, and killed with the parent (Linux); gone at once if the parent already is."""
    os.nice(19 - os.nice(0))
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def main(argv: list[str]) -> int:
    """The child: solve the request on standard input, write the answer to standard output."""
    _lowest_priority(int(argv[0]))
    # Anything a library prints goes to standard error: standard output carries the answer alone.
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    request = json.loads(sys.stdin.buffer.read())
    from corridor.planning.bounds import recorded_plan_relaxation

    try:
        found = recorded_plan_relaxation(request["instance"], request["inputs"], float(request["time_limit"]))
        answer: dict[str, Any] = {"bound": found.bound, "optimal": found.optimal, "seconds": found.seconds}
    except Exception as exc:  # noqa: BLE001 - named to the parent, which records it
        answer = {"error": type(exc).__name__}
    with os.fdopen(answer_fd, "w") as out:
        json.dump(answer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
