"""Helpers for tests that call the provider's steps in this process as the engine calls them, with DRS the
emulator subprocess (tests/provider/conftest.py has the fixtures): stack configuration, configured
providers, recorded outputs, the provider's stderr lines, and fake time for converge."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from drs_testing.e2e import emulator_config
from pulumi_drs import converge
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.provider import StartedJobBatchProvider


def stack_config(emulator: EmulatorProcess, **changes: str | None) -> dict[str, str]:
    """The `drs:*` stack configuration for the emulator, with `changes` (None leaves a key out)."""
    config = {key: value for key, (value, _secret) in emulator_config(emulator).items()}
    merged: dict[str, str | None] = {**config, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def configure(prov: StartedJobBatchProvider, config: dict[str, str]) -> StartedJobBatchProvider:
    """`prov` configured as the engine configures it (`drs:*` stack configuration)."""
    prov.configure(ConfigureRequest(Config(config, "drs-e2e")))
    return prov


def configured(config: dict[str, str]) -> StartedJobBatchProvider:
    return configure(StartedJobBatchProvider(), config)


def new_jobs(admin: EmulatorAdmin, n: int = 1, **spec: Any) -> list[str]:
    return [job["id"] for job in admin.create_jobs(n, **spec)]


def recorded(statuses: dict[str, str], **inputs: Any) -> dict[str, Any]:
    """A batch's outputs as create records them: the inputs the program set, results, count, statuses."""
    ids = list(statuses)
    return {"job_ids": ids, **inputs, "results": [{"id": j, "status": "success"} for j in ids], "count": len(ids),
            "job_statuses": dict(statuses)}


def lines(err: str) -> list[str]:
    """The lines the provider printed (to stderr, which the CLI shows under the stack)."""
    return [line for line in err.splitlines() if line.startswith("pulumi-drs: ")]


@dataclass
class ScriptedClock:
    """Fake time for converge: `sleep` advances it at once, then runs each action scheduled by then."""

    t: float = 0.0
    wall_offset: float = 0.0
    """Seconds added to the real epoch time the provider compares a start time with."""
    wall_seconds: float | None = None
    """A fixed epoch time for start-time decisions instead (None: the real one, plus `wall_offset`)."""
    actions: list[tuple[float, Callable[[], object]]] = field(default_factory=list)
    ran: list[float] = field(default_factory=list)
    """The fake time at which each scheduled action ran."""

    def at(self, seconds: float, action: Callable[[], object]) -> None:
        self.actions.append((seconds, action))

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        due = [(when, action) for when, action in self.actions if when <= self.t]
        for item in due:
            self.actions.remove(item)
            self.ran.append(self.t)
            item[1]()

    def wall(self) -> float:
        return time.time() + self.wall_offset if self.wall_seconds is None else self.wall_seconds

    def install(self, monkeypatch: pytest.MonkeyPatch, poll_cap: float = 1.0) -> ScriptedClock:
        """Every converge `Clock` the provider builds from now on runs on this fake time, polling at least
        every `poll_cap` fake seconds (whatever the settings say: fake seconds cost nothing)."""
        real = converge.Clock
        monkeypatch.setattr(converge, "Clock", lambda *_args, **_kwargs: real(poll_cap, self.now, self.sleep,
                                                                             self.wall))
        return self
