"""Progress lines during long waits, printed to stderr (the CLI shows them under the stack).

A line when the wait begins, whenever the set of statuses changes, and at least every 30 s; each
names the batch, how many jobs are where the batch wants them out of how many, the others grouped by
status, the time spent and the time left. A wait shorter than 5 s prints one line at most: changes in
its first 5 s are not printed, and no closing line.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

HEARTBEAT_SECONDS = 30.0
QUIET_SECONDS = 5.0


class ProgressLines:
    def __init__(self, batch: str, goal: str, *, out: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.batch, self.goal = batch, goal
        self._out = out
        self._clock = clock
        self._last_line_at: float | None = None
        self._last_shape: tuple[tuple[str, int], ...] | None = None

    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None:
        counted = shape(statuses, pending)
        now = self._clock()
        first = self._last_line_at is None
        changed = counted != self._last_shape and elapsed >= QUIET_SECONDS
        due = self._last_line_at is not None and now - self._last_line_at >= HEARTBEAT_SECONDS
        done = not pending and elapsed >= QUIET_SECONDS
        if first or changed or due or done:
            self._print(line(self.batch, self.goal, len(statuses), counted, elapsed, left))
            self._last_line_at = now
        self._last_shape = counted

    def _print(self, text: str) -> None:
        print(text, file=self._out or sys.stderr, flush=True)


def line(batch: str, goal: str, total: int, pending: Sequence[tuple[str, int]], elapsed: float, left: float) -> str:
    return f"pulumi-drs: {batch}: {summary(goal, total, pending, elapsed, left)}"


def summary(goal: str, total: int, pending: Sequence[tuple[str, int]], elapsed: float, left: float) -> str:
    """`2/3 job(s) running; waiting for 1 STARTJOBING (1 min 30 s elapsed, 58 min 30 s left)`."""
    done = total - sum(n for _, n in pending)
    others = ", ".join(f"{n} {status}" for status, n in pending)
    rest = f"; waiting for {others}" if others else ""
    return f"{done}/{total} job(s) {goal}{rest} ({duration(elapsed)} elapsed, {duration(left)} left)"


def shape(statuses: Mapping[str, str], pending: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """The jobs not yet there, counted by status."""
    return tuple(sorted(Counter(statuses[j] for j in pending).items()))


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
