"""Fixtures for the emulator tests: one emulator subprocess per session, reset before every test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emulator_helpers import SignedDrs

from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

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
def manual(admin: EmulatorAdmin) -> EmulatorAdmin:
    """Statuses move only when a test says so: a very long transition."""
    admin.settings(transition_seconds=3600)
    return admin
