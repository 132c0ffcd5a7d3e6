"""Fixtures for end-to-end tests: one DRS emulator for the session, a fresh stack per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drs_testing.e2e import batch_program, emulator_config, emulator_for_tests, fresh
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_for_tests(0.2) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    return fresh(emulator.admin, 0.2)


@pytest.fixture
def api_version(request: pytest.FixtureRequest) -> str:
    """The DRS API version the stacks use: v3 unless a test module parametrizes it (indirect)."""
    return str(getattr(request, "param", "v3"))


@pytest.fixture
def new_stack(tmp_path: Path, emulator: EmulatorProcess, api_version: str) -> Callable[..., EngineStack]:
    def make(config: dict[str, tuple[str, bool]] | None = None, program: Callable[[dict[str, Any]], None]
             = batch_program, env: dict[str, str] | None = None) -> EngineStack:
        config = emulator_config(emulator) if config is None else dict(config)
        config.setdefault("drs:apiVersion", (api_version, False))
        return make_stack(tmp_path, program, config, env=env)

    return make


