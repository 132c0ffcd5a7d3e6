"""DRS (the emulator, with `--state`) killed and restarted in the middle of a `pulumi up`: the deploy
resumes, or fails with a clear error; nothing is started twice; a rerun converges."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorProcess
from reliability.support import FAST_ENV, assert_started_once, calls, emulator_args, restart, wait_until

PATIENT_ENV = {**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "8", "PULUMI_DRS_RETRY_DEADLINE_SECONDS": "30"}
"""Connection retries 50 ms apart, doubling up to 1 s: about 5 s of outage is ridden out."""


class Deploy:
    """`pulumi up` of one batch in a thread of the test process."""

    def __init__(self, es: EngineStack, job_ids: list[str]) -> None:
        es.program_args["batches"] = {"orders": {"job_ids": job_ids, "timeout": 60}}
        self.es = es
        self.outcome: dict[str, Any] = {}
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.outcome["up"] = self.es.up()
        except auto.CommandError as error:
            self.outcome["error"] = str(error)

    def result(self) -> dict[str, Any]:
        self.thread.join(120)
        assert not self.thread.is_alive(), "the up did not end"
        return self.outcome


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "drs-state.sqlite"


@pytest.fixture
def drs(state_file: Path) -> Iterator[list[EmulatorProcess]]:
    """The emulator in a one-item list: a restart replaces the item."""
    holder = [EmulatorProcess(*emulator_args("--state", str(state_file))).start()]
    yield holder
    holder[0].stop()


@pytest.fixture
def stack(tmp_path: Path, drs: list[EmulatorProcess]) -> Callable[[dict[str, str]], EngineStack]:
    return lambda env: make_stack(tmp_path / "stack", batch_program, emulator_config(drs[0]), env=env)


def test_a_restart_while_the_up_waits_for_the_jobs_is_ridden_out(
        drs: list[EmulatorProcess], state_file: Path, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs[0].admin
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.settings(transition_seconds=1)
    deploy = Deploy(stack(PATIENT_ENV), job_ids)
    wait_until(lambda: calls(admin.requests_log(), "batch-starting"), 60, "the start request")

    drs[0] = restart(drs[0], *emulator_args("--state", str(state_file)), down_seconds=0.5)

    outcome = deploy.result()
    assert "up" in outcome, outcome.get("error")
    assert outcome["up"].outputs["orders_statuses"].value.keys() == set(job_ids)
    assert_started_once(drs[0].admin, job_ids)
    assert calls(drs[0].admin.requests_log(), "batch-starting") == []  # the restart did not cause a re-send


def test_a_restart_while_the_start_request_is_in_flight_starts_each_job_once(
        drs: list[EmulatorProcess], state_file: Path, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs[0].admin
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.add_fault("batch-starting", mode="delay", delay_seconds=10, times=1)
    deploy = Deploy(stack(PATIENT_ENV), job_ids)
    wait_until(lambda: not admin.session.get(f"{admin.url}/faults", timeout=5).json()["faults"], 60,
               "the start request to be held by the emulator")

    drs[0] = restart(drs[0], *emulator_args("--state", str(state_file)), down_seconds=0.5)

    outcome = deploy.result()
    assert "up" in outcome, outcome.get("error")
    assert_started_once(drs[0].admin, job_ids)
    resent = calls(drs[0].admin.requests_log(), "batch-starting")
    assert [r["job_ids"] for r in resent] == [job_ids]  # the lost request was sent again, once


def test_an_outage_longer_than_the_retries_fails_clearly_and_a_rerun_converges(
        drs: list[EmulatorProcess], state_file: Path, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs[0].admin
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.settings(transition_seconds=1)
    es = stack({**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "2"})
    deploy = Deploy(es, job_ids)
    wait_until(lambda: calls(admin.requests_log(), "batch-starting"), 60, "the start request")
    port = drs[0].url.rsplit(":", 1)[1]
    drs[0].stop()

    outcome = deploy.result()
    assert "error" in outcome, "the up converged with DRS down"
    assert "could not connect" in outcome["error"] and "check drs:endpoint/HW_DRS_ENDPOINT" in outcome["error"]
    drs[0] = EmulatorProcess(*emulator_args("--state", str(state_file)), "--port", port).start()
    drs[0].admin.settings(transition_seconds=0.1)
    es.program_args["batches"] = {"orders": {"job_ids": job_ids}}
    up = es.up()
    assert up.outputs["orders_statuses"].value.keys() == set(job_ids)
    assert calls(drs[0].admin.requests_log(), "batch-starting") == []  # found started, adopted
    assert_started_once(drs[0].admin, job_ids)
