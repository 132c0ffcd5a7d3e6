"""The command line: the first stdout line is the base URL, jobs persist with --state, SIGTERM exits 0."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest
from emulator_helpers import SignedDrs

from pulumi_drs.emulator import EmulatorProcess


def test_state_file_keeps_jobs_across_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "drs.sqlite")
    with EmulatorProcess("--state", state, "--transition-seconds", "3600") as first:
        job = first.admin.create_jobs(1)[0]["id"]
        SignedDrs(first.url).start(job)

    with EmulatorProcess("--state", state, "--transition-seconds", "0") as second:
        restored = second.admin.get_job(job)
        assert (restored["status"], restored["start_count"]) == ("STARTJOBING", 1)
        assert SignedDrs(second.url).status_of(job) == "FULL_TRANSFER_STARTED"

    with EmulatorProcess("--state", state, "--transition-seconds", "0") as third:
        assert third.admin.get_job(job)["status"] == "FULL_TRANSFER_STARTED"


def test_first_line_is_the_url_then_seeded_job_ids(tmp_path: Path) -> None:
    with EmulatorProcess("--seed-jobs", "3") as emulator:
        listed = {job["id"] for job in emulator.admin.list_jobs()}
        url, *seeded = emulator.stdout_lines

    assert url == emulator_url_of(url)
    assert set(seeded) == listed
    assert all(job_id.endswith("jb101") and len(job_id) == 36 for job_id in seeded)


def emulator_url_of(line: str) -> str:
    assert line.startswith("http://127.0.0.1:")
    assert int(line.rsplit(":", 1)[1]) > 0
    return line


def test_explicit_port_is_used() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with EmulatorProcess("--port", str(port)) as emulator:
        assert emulator.url == f"http://127.0.0.1:{port}"
        assert emulator.admin.health()["status"] == "ok"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_shut_down_cleanly(sig: int) -> None:
    emulator = EmulatorProcess().start()
    emulator.admin.health()

    assert emulator.stop(sig=sig) == 0
