"""DRS (the emulator, with `--state`) killed and restarted in the middle of a `pulumi up`: the deploy
resumes, or fails with a clear error; nothing is started twice; a rerun converges.

The engine reaches DRS through a `StableFront` the test holds, so the restarted emulator may listen on
any free port. Each test proves from the request logs of both emulator processes that the restart fell
in the middle of the operation: what the first process saw before it was killed, and what the second
one saw of the same `pulumi up`.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from drs_testing.e2e import batch_program, emulator_config
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorProcess
from pulumi_drs.provider import StartedJobBatchProvider
from reliability.support import (
    FAST_ENV,
    RUNNING,
    StableFront,
    assert_started_once,
    calls,
    emulator_args,
    fault_taken,
    hold_in_flight,
    operations,
    wait_until,
    waiting_after_start,
)

PATIENT_ENV = {**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "8", "PULUMI_DRS_RETRY_DEADLINE_SECONDS": "60",
               "PULUMI_DRS_READ_TIMEOUT": "120"}
"""Connection retries 50 ms apart, doubling up to 1 s: an outage of several seconds is ridden out. A request
the emulator holds is waited for until the emulator dies."""


OUTAGE = (r"POST /v3/[0-9a-f]{32}/jobs/batch-status: (could not connect \(.+\): check drs:endpoint/HW_DRS_ENDPOINT, "
          r"drs:region/HW_REGION_NAME, the network and any proxy, then retry|the connection closed before DRS "
          r"answered \(.+\): retry later)")
"""What a status read says when DRS is down: the front resets each connection, which the client sees while
connecting or right after (the kernel completes the handshake before the front can reset it)."""


class Deploy:
    """`pulumi up` of one batch in a thread of the test process."""

    def __init__(self, es: EngineStack, job_ids: list[str]) -> None:
        es.program_args["batches"] = {"orders": {"job_ids": job_ids, "timeout": 120, "wait": "incremental"}}
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
        self.thread.join(180)
        assert not self.thread.is_alive(), "the up did not end"
        return self.outcome


class Drs:
    """The emulator process now serving behind the front, on the state file that survives it."""

    def __init__(self, state_file: Path, front: StableFront) -> None:
        self.state_file, self.front = state_file, front
        self.process = EmulatorProcess(*emulator_args("--state", str(state_file))).start()
        front.serve(self.process)

    def kill(self) -> None:
        """SIGKILL: no goodbye to any connection; the front resets every new one until `restart`."""
        self.front.serve(None)
        self.process.stop(sig=signal.SIGKILL)

    def restart(self) -> None:
        self.process = EmulatorProcess(*emulator_args("--state", str(self.state_file))).start()
        self.front.serve(self.process)


@pytest.fixture
def drs(tmp_path: Path) -> Iterator[Drs]:
    with StableFront() as front:
        drs = Drs(tmp_path / "drs-state.sqlite", front)
        yield drs
        drs.process.stop()


@pytest.fixture
def stack(tmp_path: Path, drs: Drs) -> Callable[[dict[str, str]], EngineStack]:
    config = {**emulator_config(drs.process), "drs:endpoint": (drs.front.url, False)}
    return lambda env: make_stack(tmp_path / "stack", batch_program, config, env=env)


def kill_during_a_status_read(drs: Drs) -> list[dict[str, Any]]:
    """Once the up waits for the started jobs, hold its next status read in the emulator and kill the
    emulator then (so no answer is cut in the middle); the first process's request log."""
    admin = drs.process.admin
    wait_until(lambda: waiting_after_start(admin.requests_log()), 120, "the up to wait for the started jobs")
    hold_in_flight(admin, "batch-status")
    wait_until(lambda: fault_taken(admin), 30, "the next status read to reach the emulator")
    before = admin.requests_log()
    drs.kill()
    return before


def test_a_restart_while_the_up_waits_for_the_jobs_is_ridden_out(
        drs: Drs, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs.process.admin
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    admin.settings(hold_statuses=["STARTJOBING"])  # the up cannot end before the restart (not kept by it)
    deploy = Deploy(stack(PATIENT_ENV), job_ids)

    before = kill_during_a_status_read(drs)
    wait_until(lambda: drs.front.refused > 0, 30, "the up to meet the outage")
    assert deploy.thread.is_alive()
    drs.restart()

    outcome = deploy.result()
    assert "up" in outcome, outcome.get("error")
    assert outcome["up"].outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    after = drs.process.admin.requests_log()
    assert [r["job_ids"] for r in calls(before, "batch-starting")] == [job_ids]
    assert all(operations(after, j) and set(operations(after, j)) == {"batch-status"} for j in job_ids), \
        "the second emulator process saw no status read of the up, or saw more than status reads"
    assert_started_once(drs.process.admin, job_ids)


def test_a_restart_while_the_start_request_is_in_flight_starts_each_job_once(
        drs: Drs, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs.process.admin
    job_ids = [j["id"] for j in admin.create_jobs(3)]
    hold_in_flight(admin, "batch-starting")
    deploy = Deploy(stack(PATIENT_ENV), job_ids)
    wait_until(lambda: fault_taken(admin), 120, "the start request to reach the emulator")
    before = admin.requests_log()

    drs.kill()
    wait_until(lambda: drs.front.refused > 0, 30, "the up to meet the outage")
    drs.restart()

    outcome = deploy.result()
    assert "up" in outcome, outcome.get("error")
    assert outcome["up"].outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    assert calls(before, "batch-starting") == [], "the start request was answered before the kill"
    resent = calls(drs.process.admin.requests_log(), "batch-starting")
    assert [r["job_ids"] for r in resent] == [job_ids]  # the lost request was sent again, once
    assert_started_once(drs.process.admin, job_ids)


def test_an_outage_longer_than_the_retries_fails_clearly_and_a_rerun_adopts_the_started_jobs(
        drs: Drs, stack: Callable[[dict[str, str]], EngineStack]) -> None:
    admin = drs.process.admin
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    admin.settings(hold_statuses=["STARTJOBING"])
    es = stack({**PATIENT_ENV, "PULUMI_DRS_MAX_RETRIES": "2"})
    deploy = Deploy(es, job_ids)

    before = kill_during_a_status_read(drs)

    outcome = deploy.result()
    assert "error" in outcome, "the up converged with DRS down"
    assert re.search(OUTAGE, outcome["error"]), outcome["error"][-3000:]
    assert drs.front.refused == 2, outcome["error"][-3000:]  # the held read was tried twice more
    assert [r["job_ids"] for r in calls(before, "batch-starting")] == [job_ids]
    drs.restart()
    up = es.up()
    assert up.outputs["orders_statuses"].value == dict.fromkeys(job_ids, RUNNING)
    assert calls(drs.process.admin.requests_log(), "batch-starting") == []  # found started, adopted
    assert_started_once(drs.process.admin, job_ids)


def test_a_status_read_cut_off_in_the_middle_of_its_answer_is_asked_again(drs: Drs,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """DRS dies (or anything on the way drops the connection) after the headers of a status answer: the read is
    idempotent, so with retries left it must be asked again, as a connection dropped before the answer is."""
    for name, value in {**FAST_ENV, "PULUMI_DRS_MAX_RETRIES": "4"}.items():
        monkeypatch.setenv(name, value)
    admin = drs.process.admin
    job = admin.create_jobs(1, status=RUNNING)[0]["id"]
    provider = StartedJobBatchProvider()
    config = {key: value for key, (value, _secret) in emulator_config(drs.process).items()}
    provider.configure(ConfigureRequest(Config({**config, "drs:endpoint": drs.front.url}, "drs-e2e")))
    admin.clear_requests()
    drs.front.cut_next_answer()

    result = provider.read("drsbatch-x", {"job_ids": [job]})

    assert result.outs["job_statuses"] == {job: RUNNING}
    assert operations(admin.requests_log()) == ["batch-status", "batch-status"]
