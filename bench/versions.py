"""Section 6: DRS API v3 against v5 for the same jobs, in one run: requests per lifecycle step and time
to converge.

Each version drives `N` fresh jobs through check, create (until every job runs), a refresh and a
no-change preview, in this process, on the same emulator with the same step time. Requests are
counted from the emulator's request log by operation (method and path, IDs removed); converge time is
from the last job entering a running status (the emulator's stamp) to create returning.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.converge import last_running
from bench.harness import InProcessBatch, new_job_ids, stack_config
from pulumi_drs.emulator import EmulatorProcess

VERSIONS = ("v3", "v5")
_IDS = re.compile(r"/[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}")


@dataclass(frozen=True)
class VersionRun:
    version: str
    n: int
    transition_seconds: float
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per step (check, create, refresh, preview): requests per operation."""
    create_seconds: float = 0.0
    converge_seconds: float = 0.0

    def total(self, step: str) -> int:
        return sum(self.requests.get(step, {}).values())

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "jobs": self.n, "transition_seconds": self.transition_seconds,
                "requests": self.requests, "create_seconds": round(self.create_seconds, 3),
                "converge_seconds": round(self.converge_seconds, 3)}


def operation(entry: dict[str, Any]) -> str:
    """`POST batch-status`, `GET v5 jobs`, ...: the method and the path with project and job IDs removed."""
    path = _IDS.sub("/{id}", entry["path"])
    version, _project, *rest = path.strip("/").split("/")
    return f"{entry['method']} {version} {'/'.join(rest)}"


def run(emulator: EmulatorProcess, n: int, transition_seconds: float) -> list[VersionRun]:
    return [_run(emulator, version, n, transition_seconds) for version in VERSIONS]


def _run(emulator: EmulatorProcess, version: str, n: int, transition_seconds: float) -> VersionRun:
    admin = emulator.admin
    admin.settings(transition_seconds=transition_seconds, latency_ms=0)
    batch = InProcessBatch({**stack_config(emulator), "drs:apiVersion": version})
    ids = new_job_ids(admin, n)
    requests: dict[str, dict[str, int]] = {}

    def counted(step: str) -> None:
        requests[step] = dict(Counter(operation(e) for e in admin.requests_log()))
        admin.clear_requests()

    admin.clear_requests()
    inputs = batch.check(ids)
    counted("check")
    called = time.time()
    id_, outs = batch.create(inputs)
    returned = time.time()
    counted("create")
    refreshed = batch.read(id_, outs)
    counted("refresh")
    if batch.preview(id_, inputs, refreshed) is not False:
        raise RuntimeError(f"{version}: a no-change preview of {n} running jobs reported changes")
    counted("preview")
    return VersionRun(version, n, transition_seconds, requests, returned - called,
                      returned - last_running(admin, ids))
