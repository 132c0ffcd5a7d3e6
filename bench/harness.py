"""What every section shares: the emulator, the provider driven in this process, and the request log.

Counts always come from the emulator's request log, never from the provider's own bookkeeping: a
`Calls` is built from the log entries a measured action left behind.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from drs_testing.e2e import emulator_config, emulator_for_tests
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_drs.provider import StartedJobBatchProvider
from pulumi_drs.settings import Settings

T = TypeVar("T")
PAGE = 100
"""Jobs per DRS batch request (batch-starting chunk, batch-status page)."""
POLL_CAP_SECONDS = Settings().poll_interval_max
"""The production poll cap (PULUMI_DRS_POLL_INTERVAL_MAX unset)."""
AMBIENT_PREFIXES = ("HW_", "HUAWEICLOUD_SDK_", "PULUMI_DRS_")


def scrub_environment() -> None:
    """No developer credential or tuning variable may reach the provider, here or in the engine."""
    for name in list(os.environ):
        if name.startswith(AMBIENT_PREFIXES):
            del os.environ[name]


def emulator(transition_seconds: float = 1.0) -> EmulatorProcess:
    """The emulator with the test credentials; not started (use it as a context manager)."""
    return emulator_for_tests(transition_seconds)


def stack_config(emulator: EmulatorProcess) -> dict[str, str]:
    """`drs:*` stack configuration pointing at the emulator, as plain strings."""
    return {key: value for key, (value, _secret) in emulator_config(emulator).items()}


def client_settings(emulator: EmulatorProcess) -> Settings:
    return Settings.resolve(config=stack_config(emulator), env={})


def pages(n: int) -> int:
    return math.ceil(n / PAGE)


def new_job_ids(admin: EmulatorAdmin, n: int) -> list[str]:
    """`n` fresh CONFIGURATION jobs, created in admin calls of at most 5,000."""
    ids: list[str] = []
    while len(ids) < n:
        ids += [job["id"] for job in admin.create_jobs(min(5000, n - len(ids)))]
    return ids


@dataclass(frozen=True)
class Calls:
    """DRS requests one action made, from the emulator's request log."""

    start: int
    status: int
    detail: int
    other: int
    rounds: int
    """The most batch-status requests that named any one job: how many times it was polled."""
    seconds: float
    """Wall time of the action, from this process's clock."""
    server_seconds: float = 0.0
    """The emulator's own time on these requests (its log's duration_ms, the set latency included)."""
    cpu_seconds: float = 0.0
    """CPU time of this process during the action (the provider's own work)."""

    @property
    def status_per_round(self) -> float:
        return self.status / self.rounds if self.rounds else 0.0

    @property
    def requests(self) -> int:
        return self.start + self.status + self.detail + self.other

    @classmethod
    def from_log(cls, entries: Sequence[Mapping[str, Any]], seconds: float, cpu_seconds: float = 0.0) -> Calls:
        kinds = Counter(_operation(e["path"]) for e in entries)
        polled = Counter(j for e in entries if _operation(e["path"]) == "batch-status" for j in e["job_ids"])
        other = sum(n for kind, n in kinds.items() if kind not in ("batch-starting", "batch-status", "batch-detail"))
        server = sum(float(e.get("duration_ms") or 0) for e in entries) / 1000
        return cls(start=kinds["batch-starting"], status=kinds["batch-status"], detail=kinds["batch-detail"],
                   other=other, rounds=max(polled.values(), default=0), seconds=seconds, server_seconds=server,
                   cpu_seconds=cpu_seconds)

    def as_dict(self) -> dict[str, Any]:
        return {"start_calls": self.start, "status_calls": self.status, "detail_calls": self.detail,
                "other_calls": self.other, "status_rounds": self.rounds,
                "status_calls_per_round": round(self.status_per_round, 2), "seconds": round(self.seconds, 3),
                "server_seconds": round(self.server_seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3)}


def keepalive_probe(url: str, repeats: int = 5) -> dict[str, float]:
    """Milliseconds of an admin GET on a new connection, then (median) on the same one, kept alive.

    A server socket without TCP_NODELAY answers headers and body in two segments, and the second waits
    for the client's delayed ACK (about 40 ms) on every request but the first of a connection. Every
    timing below includes that wait if the reused figure shows it.
    """
    with requests.Session() as session:
        times = []
        for _ in range(repeats + 1):
            started = time.perf_counter()
            session.get(url + "/_emulator/health", timeout=30).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return {"new_connection_ms": round(times[0], 1), "reused_connection_ms": round(statistics.median(times[1:]), 1)}


def _operation(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def measured(admin: EmulatorAdmin, action: Callable[[], T]) -> tuple[T, Calls]:
    """Run `action` on a cleared request log; its result and the calls it made."""
    admin.clear_requests()
    cpu, started = time.process_time(), time.perf_counter()
    value = action()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return value, Calls.from_log(admin.requests_log(), seconds, cpu)


class InProcessBatch:
    """StartedJobBatchProvider driven as the engine drives it, but in this process."""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.provider = StartedJobBatchProvider()
        self.provider.configure(ConfigureRequest(Config(dict(config), "drs-bench")))

    def check(self, job_ids: Sequence[str], olds: Mapping[str, Any] | None = None) -> dict[str, Any]:
        result = self.provider.check(dict(olds or {}), {"job_ids": list(job_ids)})
        if result.failures:
            raise RuntimeError(f"check failed: {[(f.property, f.reason) for f in result.failures]}")
        return dict(result.inputs or {})

    def create(self, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.provider.create(dict(inputs))
        return str(result.id), dict(result.outs or {})

    def read(self, id_: str, outs: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.provider.read(id_, dict(outs)).outs or {})

    def diff(self, id_: str, outs: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool | None:
        return self.provider.diff(id_, dict(outs), dict(inputs)).changes

    def preview(self, id_: str, inputs: Mapping[str, Any], outs: Mapping[str, Any]) -> bool | None:
        """A no-change preview: check (with its preflight) against the recorded inputs, then diff."""
        checked = self.check(inputs["job_ids"], olds=inputs)
        return self.diff(id_, outs, checked)
