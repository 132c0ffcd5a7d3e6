"""Shared pieces of the reliability tests: fast client tuning, start counts, log queries, child deploys,
a fixed address in front of a restartable emulator, and an emulator served from a thread of this process.

A deploy can run in a child Python process (`deploy_child.py`) in its own process group, so a test can
SIGKILL the whole engine (CLI, language host, provider) or run several stacks truly in parallel.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from drs_testing import e2e
from drs_testing.e2e import AK, PROJECT_ID, SK, start_counts
from pulumi_drs.emulator import EmulatorAdmin, EmulatorConfig, EmulatorProcess, build_state, create_app
from pulumi_drs.emulator import exceptions as emulator_errors
from pulumi_drs.emulator.items import StartItem

RUNNING = "INCRE_TRANSFER_STARTED"
HERE = Path(__file__).resolve().parent
TRANSITION_SECONDS = "0.1"

FAST_ENV = {
    "PULUMI_DRS_POLL_INTERVAL_MAX": "0.2",
    "PULUMI_DRS_BACKOFF_FACTOR": "0.05",
    "PULUMI_DRS_BACKOFF_MAX": "1",
    "PULUMI_DRS_MAX_RETRIES": "4",
    "PULUMI_DRS_READ_TIMEOUT": "1",
    "PULUMI_DRS_CONNECT_TIMEOUT": "1",
    "PULUMI_DRS_RETRY_DEADLINE_SECONDS": "15",
}
"""Client tuning for tests: 4 tries 50 ms apart and growing, a 1 s read timeout, polls every 0.2 s."""


def emulator_args(*extra: str) -> list[str]:
    return ["--transition-seconds", TRANSITION_SECONDS, "--access-key", AK, "--secret-key", SK,
            "--project-id", PROJECT_ID, *extra]


def fresh(admin: EmulatorAdmin) -> EmulatorAdmin:
    """The admin API of an emulator with no fault, an empty request log and the tests' settings (no status
    held, a step every `TRANSITION_SECONDS`), whatever an earlier test changed."""
    admin.settings(hold_statuses=[], reads_per_step=1)
    return e2e.fresh(admin, float(TRANSITION_SECONDS))


def assert_started_once(admin: EmulatorAdmin, job_ids: Sequence[str]) -> None:
    counts = start_counts(admin, job_ids)
    twice = {j: n for j, n in counts.items() if n != 1}
    assert not twice, f"start_count is not 1 for {len(twice)} of {len(job_ids)} jobs: {twice}"


def calls(log: Sequence[Mapping[str, Any]], operation: str) -> list[Mapping[str, Any]]:
    return [r for r in log if r["path"].endswith(operation)]


def accepted_starts(log: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Per job, how many batch-starting requests naming it DRS processed with a 2xx answer."""
    counts: dict[str, int] = {}
    for entry in calls(log, "batch-starting"):
        if entry["status_code"] is not None and 200 <= entry["status_code"] < 300:
            for job_id in entry["job_ids"]:
                counts[job_id] = counts.get(job_id, 0) + 1
    return counts


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def operations(log: Sequence[Mapping[str, Any]], job_id: str | None = None) -> list[str]:
    """The last path segment of each logged request (naming `job_id`, if given), in order."""
    return [r["path"].rsplit("/", 1)[1] for r in log if job_id is None or job_id in r["job_ids"]]


def waiting_after_start(log: Sequence[Mapping[str, Any]]) -> bool:
    """The log shows a start request and a status read after it: an up in its wait for the jobs."""
    ops = operations(log)
    return "batch-starting" in ops and "batch-status" in ops[ops.index("batch-starting"):]


def hold_in_flight(admin: EmulatorAdmin, operation: str) -> None:
    """The next `operation` request waits in the emulator's gateway (a one-time 1 h delay, before any
    work), until the emulator is stopped."""
    admin.add_fault(operation, mode="delay", delay_seconds=3600, times=1)


def fault_taken(admin: EmulatorAdmin) -> bool:
    """Every fault rule was used up: the request it holds has reached the emulator."""
    return not admin.session.get(f"{admin.url}/faults", timeout=5).json()["faults"]


class StableFront:
    """A fixed address for DRS in front of whichever emulator process serves now, so a test can kill and
    restart the emulator (on any free port) while the engine keeps its configured endpoint.

    The listening socket is the test's for the whole test: no other process can take the port between
    two emulator processes (a killed emulator's port, reused, could be). Bytes are relayed both ways; a
    connection the emulator drops is dropped on the client too. With no emulator behind it (`serve(None)`),
    each connection is accepted and reset at once, as a DRS that is down; `refused` counts them."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._upstream: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self.refused = 0
        self._cut = False
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def serve(self, emulator: EmulatorProcess | None) -> None:
        """Relay new connections to `emulator` (None: reset them)."""
        if emulator is None:
            self._upstream = None
            return
        host, port = emulator.url.removeprefix("http://").rsplit(":", 1)
        self._upstream = (host, int(port))

    def cut_next_answer(self) -> None:
        """The next answer from the emulator reaches the client only up to the first byte of its body: then
        the connection is reset, as when DRS (or anything on the way) dies while answering."""
        self._cut = True

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                _reset(sock)

    def __enter__(self) -> StableFront:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = self._upstream
            try:
                server = socket.create_connection(upstream, timeout=5) if upstream else None
            except OSError:
                server = None
            if server is None:
                with self._lock:
                    self.refused += 1
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client, True), daemon=True).start()

    def _relay(self, source: socket.socket, target: socket.socket, answers: bool = False) -> None:
        head = b""
        try:
            while data := source.recv(65536):
                if answers and self._cut:
                    head += data
                    if b"\r\n\r\n" in head:
                        self._cut = False
                        target.sendall(head[:head.index(b"\r\n\r\n") + 5])
                        break
                    continue
                target.sendall(data)
        except OSError:
            pass
        with self._lock:  # one side ended: end both at once, as a dropped connection
            for sock in (source, target):
                if sock in self._open:
                    self._open.discard(sock)
                    _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, not an orderly goodbye; a `recv` blocked on it in another thread returns."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    sock.close()


# --- deploys in a child process ------------------------------------------------------------------


@dataclass
class ChildDeploy:
    """`deploy_child.py` running one Automation API operation on a stack, in its own process group."""

    process: subprocess.Popen[str]
    result_path: Path
    log_path: Path

    def wait(self, timeout: float) -> dict[str, Any]:
        """The child's result (`ok`, `outputs` or `error`); fails if it ran past `timeout`."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the deploy ran over {timeout:g} s:\n{self.output()[-3000:]}") from None
        if not self.result_path.exists():
            raise AssertionError(f"the deploy wrote no result (exit {self.process.returncode}):\n"
                                 f"{self.output()[-3000:]}")
        result: dict[str, Any] = json.loads(self.result_path.read_text())
        return result

    def kill(self) -> None:
        """SIGKILL the child and every process of its session: the CLI and its plugins (which the CLI
        starts in process groups of their own)."""
        kill_session(self.process.pid)
        self.process.wait(10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_child(state_dir: Path, action: str, config: Mapping[str, tuple[str, bool]],
                batches: Mapping[str, Any], env: Mapping[str, str]) -> ChildDeploy:
    """Run `action` (up, preview, refresh, destroy) on the stack in `state_dir`, in a child process."""
    state_dir.mkdir(parents=True, exist_ok=True)
    spec_path = state_dir / f"{action}-spec.json"
    result_path = state_dir / f"{action}-result.json"
    log_path = state_dir / f"{action}-child.log"
    result_path.unlink(missing_ok=True)
    spec = {"state_dir": str(state_dir), "action": action, "config": {k: list(v) for k, v in config.items()},
            "batches": batches, "env": dict(env), "result": str(result_path)}
    spec_path.write_text(json.dumps(spec))
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(HERE / "deploy_child.py"), str(spec_path)],
                                   stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return ChildDeploy(process, result_path, log_path)


def session_pids(sid: int) -> list[int]:
    """The live (not zombie) processes of session `sid`, from /proc."""
    return list(session_processes(sid))


def session_processes(sid: int) -> dict[int, str]:
    """The live (not zombie) processes of session `sid`, each with its command line, from /proc. A process
    that exits while it is read is left out: a killed run's processes go away at any moment."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_text(errors="replace")
        except OSError:  # gone between the listing and the read
            continue
    return found


def providers_of(sid: int) -> list[int]:
    """The live processes of session `sid` but Pulumi's language host, which holds no DRS connection and
    may outlive a SIGKILLed CLI (pulumi-language-yaml v1.25.0 does; docs/reliability.md)."""
    return [pid for pid, cmdline in session_processes(sid).items() if "pulumi-language-" not in cmdline]


def kill_session(sid: int) -> None:
    """SIGKILL every process of session `sid`, again until none is left: a process may start another between
    the listing and the kill, and a killed one stays listed until the kernel has torn it down."""
    deadline = time.monotonic() + 10
    while (pids := session_pids(sid)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


# --- an emulator in this process, for rules no fault injection offers ----------------------------


class ThreadedEmulator:
    """The emulator app served by uvicorn in a thread of the test process (on a socket bound here), so a
    test can change its rules: `busy(job_ids)` makes batch-starting refuse those jobs per item with
    DRS.M01504 (another operation in progress), inside a 202 answer where the other jobs start, which no
    fault rule can express."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        """`config`: the tests' credentials and step time unless given."""
        config = config or EmulatorConfig(access_key=AK, secret_key=SK, project_id=PROJECT_ID,
                                          transition_seconds=float(TRANSITION_SECONDS))
        self.state = build_state(config)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server_config = uvicorn.Config(create_app(state=self.state), http="h11", lifespan="off",
                                       log_config=None, log_level="warning")
        self._server = uvicorn.Server(server_config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._busy: dict[str, int] = {}

    def __enter__(self) -> ThreadedEmulator:
        self._thread.start()
        wait_until(lambda: self._server.started, 10, "the in-thread emulator to listen")
        self.admin = EmulatorAdmin(self.url)
        backend = self.state.backend
        original = backend._start

        def start_unless_busy(unit: Any, item: StartItem) -> None:
            if self._busy.get(item.job_id, 0) > 0:
                self._busy[item.job_id] -= 1
                raise emulator_errors.OperationInProgress()
            original(unit, item)

        backend._start = start_unless_busy  # type: ignore[method-assign]
        return self

    def busy(self, job_ids: Iterable[str], times: int = 1) -> None:
        """The next `times` start requests for each job answer DRS.M01504 for it."""
        self._busy.update({j: times for j in job_ids})

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.state.backend.close()
