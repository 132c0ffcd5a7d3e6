"""Fixtures for the emulator tests: one emulator subprocess per session, reset before every test, and
an in-process emulator with a clock the test moves.

No test sleeps to wait for a status change: `manual` freezes time-based progression, `stepped` takes
one step per status read, and `inproc` runs on a `FakeClock`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emulator_helpers import FakeClock, SignedDrs, SignedDrsV5

from pulumi_drs.emulator import EmulatorAdmin, EmulatorConfig, EmulatorProcess, InProcessEmulator

TEST_TRANSITION_SECONDS = 0.2


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess("--transition-seconds", str(TEST_TRANSITION_SECONDS)) as process:
        yield process


@pytest.fixture()
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    emulator.admin.reset()
    return emulator.admin


@pytest.fixture()
def drs(emulator: EmulatorProcess, admin: EmulatorAdmin) -> SignedDrs:
    return SignedDrs(emulator.url)


@pytest.fixture()
def drs5(drs: SignedDrs) -> SignedDrsV5:
    return SignedDrsV5(drs)


@pytest.fixture()
def manual(admin: EmulatorAdmin) -> EmulatorAdmin:
    """Statuses move only when a test says so: a very long transition."""
    admin.settings(transition_seconds=3600)
    return admin


@pytest.fixture()
def stepped(admin: EmulatorAdmin) -> EmulatorAdmin:
    """Every status read of a job takes one queued step."""
    admin.settings(transition_seconds=0, reads_per_step=1)
    return admin


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def inproc(clock: FakeClock) -> Iterator[InProcessEmulator]:
    """The emulator in this process, on `clock`, with 10 s steps."""
    with InProcessEmulator(EmulatorConfig(transition_seconds=10), clock=clock) as emu:
        yield emu


@pytest.fixture()
def inproc_drs(inproc: InProcessEmulator) -> SignedDrs:
    return SignedDrs(inproc.url, session=inproc.session())


@pytest.fixture()
def inproc_drs5(inproc_drs: SignedDrs) -> SignedDrsV5:
    return SignedDrsV5(inproc_drs)
