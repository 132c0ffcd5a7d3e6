"""The crash-point sweep (tests/reliability/sweep.py): a fast part here, the whole of it with
`make sweep` (figures in docs/reliability.md).

Here, per front door and operation: one uninterrupted run counts the operation's DRS requests, then the
operation is killed while its first request that changes jobs is held in the emulator, and once more
right after half of its requests were answered; each time recovered as the README says, and checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.sweep import DOORS, OPERATIONS, count_requests, crash_at, first_write


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("door", list(DOORS))
def test_killed_at_its_first_write_and_half_way_the_operation_recovers_with_every_promise_kept(
        tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, door: str, operation: str) -> None:
    op = OPERATIONS[operation]
    paths = count_requests(DOORS[door](tmp_path / "count", emulator), admin, op)
    write = first_write(paths)
    assert crash_at(DOORS[door](tmp_path / "held", emulator), admin, op, write, "held")  # always reached
    crash_at(DOORS[door](tmp_path / "after", emulator), admin, op, max(1, len(paths) // 2), "after")
