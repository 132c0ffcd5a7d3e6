"""Everything one emulator holds while it runs, built once from its configuration and shared by the HTTP
layer, the admin API and in-process callers: backend (jobs), IAM, faults, request log, run-time settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pulumi_drs.emulator.backend import DrsBackend
from pulumi_drs.emulator.config import Clock, EmulatorConfig, RuntimeSettings
from pulumi_drs.emulator.faults import FaultRegistry
from pulumi_drs.emulator.gateway import RequestLog
from pulumi_drs.emulator.iam import Iam
from pulumi_drs.emulator.store import open_store


@dataclass
class EmulatorState:
    config: EmulatorConfig
    settings: RuntimeSettings
    backend: DrsBackend
    iam: Iam
    faults: FaultRegistry
    log: RequestLog

    def reset(self) -> None:
        """Jobs, faults, the request log and run-time settings; issued IAM tokens stay valid."""
        self.backend.reset()
        self.faults.clear()
        self.log.clear()
        self.settings.restore(self.config.initial_settings())


def build_state(config: EmulatorConfig, clock: Clock = time.time) -> EmulatorState:
    """`clock` drives job progression and IAM token times (tests move it instead of sleeping)."""
    settings = config.initial_settings()
    backend = DrsBackend(config.project_id, settings, open_store(config.state_path), clock)
    iam = Iam(config, settings, clock)
    return EmulatorState(config, settings, backend, iam, FaultRegistry(), RequestLog())
