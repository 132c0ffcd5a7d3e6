"""A provider whose engine died stops acting on DRS, and exits: both front doors.

The CLI's process group is SIGKILLed, as a CI runner's timeout does; the provider processes it started
sit in process groups of their own and are not killed with it. The test then changes a job so that a
live converge loop would act on it, and shows from the emulator's request log that nothing more
arrives from the old run after one poll interval (and the detection margin), and that no process of
the killed run is left a few seconds later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drs_testing.e2e import emulator_config
from drs_testing.engine import engine_bin
from drs_testing.programs import Batch, Program, project_stack, write
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess
from reliability.support import (
    FAST_ENV as FAST,
)
from reliability.support import (
    assert_started_once,
    fault_taken,
    kill_session,
    providers_of,
    session_processes,
    start_child,
    wait_until,
    waiting_after_start,
)

FAST_ENV = {**FAST, "PULUMI_DRS_READ_TIMEOUT": "30"}
"""A held start must still be waited on when the CLI is killed, not re-sent after a read timeout."""
POLL_SECONDS = float(FAST_ENV["PULUMI_DRS_POLL_INTERVAL_MAX"])
NOTICE_SECONDS = 1.0
"""How long a provider may take to notice its engine is gone: the watch wakes on the closed connection
at once; this leaves a loaded 2-core machine room to schedule it."""
HELD_SECONDS = 3.0


def _started_and_waiting(admin: EmulatorAdmin) -> bool:
    return waiting_after_start(admin.requests_log())


def _start_held(admin: EmulatorAdmin) -> bool:
    return fault_taken(admin)


KillPoint = Callable[[EmulatorAdmin], bool]
POINTS: dict[str, tuple[Callable[[EmulatorAdmin], None], KillPoint]] = {
    "while the up waits": (lambda admin: admin.settings(hold_statuses=["STARTJOBING"]), _started_and_waiting),
    "while the start request is held": (lambda admin: hold_in_flight_for(admin, HELD_SECONDS), _start_held),
}


def hold_in_flight_for(admin: EmulatorAdmin, seconds: float) -> None:
    """The next start request waits `seconds` in the emulator, then does its work (after the kill)."""
    admin.add_fault("batch-starting", mode="delay", delay_seconds=seconds, times=1)


def in_a_group_of_its_own(pid: int, session: int) -> bool:
    """Whether process `pid` of `session` sits outside the session leader's process group (False once gone)."""
    try:
        return os.getpgid(pid) != session
    except ProcessLookupError:
        return False


def _killed_run_is_quiet(admin: EmulatorAdmin, job_ids: list[str], session: int) -> None:
    time.sleep(POLL_SECONDS + NOTICE_SECONDS)
    quiet_from = time.time()
    wait_until(lambda: any(r["path"].endswith("batch-starting") for r in admin.requests_log()), HELD_SECONDS + 10,
               "a held start to land")  # (the work of a request held at the kill lands after it)
    admin.settings(hold_statuses=[])
    admin.set_status(job_ids[0], "PAUSING")  # a live converge loop would resume it
    time.sleep(max(HELD_SECONDS, 10 * POLL_SECONDS))
    late = [r for r in admin.requests_log() if r["received_at"] >= quiet_from]  # a held request is logged late
    assert late == [], f"the killed run's provider still sent {[(r['method'], r['path']) for r in late]}"
    try:
        wait_until(lambda: providers_of(session) == [], 5, "every process of the killed run to exit")
    except AssertionError:
        providers = providers_of(session)
        left = [cmd.replace("\0", " ") for pid, cmd in session_processes(session).items() if pid in providers]
        raise AssertionError(f"processes of the killed run are left: {left}") from None


@pytest.mark.parametrize("point", list(POINTS))
def test_the_dynamic_provider_of_a_killed_up_sends_nothing_more_and_exits(
        tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, point: str) -> None:
    prepare, reached = POINTS[point]
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    prepare(admin)
    child = start_child(tmp_path, "up", emulator_config(emulator),
                        {"orders": {"job_ids": job_ids, "wait": "incremental"}}, FAST_ENV)
    try:
        wait_until(lambda: reached(admin), 90, f"the up to reach the kill point ({point})")
        assert [p for p in providers_of(child.process.pid) if in_a_group_of_its_own(p, child.process.pid)], \
            "the provider should sit in a process group of its own"
        os.killpg(child.process.pid, signal.SIGKILL)  # the CLI's group: the deploy, the CLI, not its plugins

        _killed_run_is_quiet(admin, job_ids, child.process.pid)
        assert_started_once(admin, job_ids)
    finally:
        child.kill()


@pytest.mark.parametrize("point", list(POINTS))
def test_the_native_plugin_of_a_killed_up_sends_nothing_more_and_exits(
        tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, point: str) -> None:
    prepare, reached = POINTS[point]
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    project = write("yaml", Program([Batch("orders", {"jobIds": job_ids, "wait": "incremental"})]),
                    tmp_path / "project")
    es = project_stack(project, tmp_path / "state", emulator_config(emulator), env=FAST_ENV)
    prepare(admin)
    cli = subprocess.Popen([str(engine_bin() / "pulumi"), "up", "--yes", "--skip-preview", "--stack", "dev",
                            "--non-interactive"], cwd=project, env=es.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: reached(admin), 90, f"the up to reach the kill point ({point})")
        os.killpg(cli.pid, signal.SIGKILL)
        cli.wait(10)

        _killed_run_is_quiet(admin, job_ids, cli.pid)
        assert_started_once(admin, job_ids)
    finally:
        kill_session(cli.pid)
