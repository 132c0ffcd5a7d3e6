"""Fixtures of the reliability tests: one emulator for the session, a clean admin API, fast stacks,
and a recorder of the figures that docs/reliability.md reports."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.support import FAST_ENV, emulator_args, fresh

REPORT_ENV = "RELIABILITY_REPORT"
"""Path of a JSON-lines file that receives each test's figures (unset: figures are only printed)."""


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(*emulator_args()) as emu:
        yield emu


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    return fresh(emulator.admin)


@pytest.fixture
def new_stack(tmp_path: Path, emulator: EmulatorProcess) -> Callable[..., EngineStack]:
    """A stack on the session emulator with the fast client tuning; `env` adds to FAST_ENV."""

    def make(config: dict[str, tuple[str, bool]] | None = None, env: dict[str, str] | None = None,
             name: str = "stack") -> EngineStack:
        return make_stack(tmp_path / name, batch_program,
                          emulator_config(emulator) if config is None else config, env={**FAST_ENV, **(env or {})})

    return make


@pytest.fixture(scope="session")
def _report_path() -> Path | None:
    value = os.environ.get(REPORT_ENV)
    return Path(value) if value else None


@pytest.fixture
def record(request: pytest.FixtureRequest, _report_path: Path | None) -> Callable[..., None]:
    """`record(**figures)`: print the figures and append them to $RELIABILITY_REPORT if set."""

    def write(**figures: Any) -> None:
        entry = {"test": request.node.name, **figures}
        print(json.dumps(entry))
        if _report_path is not None:
            with _report_path.open("a") as out:
                out.write(json.dumps(entry) + "\n")

    return write
