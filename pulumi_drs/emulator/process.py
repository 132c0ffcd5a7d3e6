"""`EmulatorProcess`: the emulator as a child process, for tests, benchmarks and the quickstart.

    with EmulatorProcess("--transition-seconds", "0.1") as emulator:
        job = emulator.admin.create_jobs(1)[0]
        ...  # point a DRS client at emulator.url with DEFAULT_ACCESS_KEY / DEFAULT_SECRET_KEY

Starts `python -m pulumi_drs.emulator ARGS`, reads the base URL from its first stdout line, and stops
it on exit (SIGTERM, then kill). `admin` wraps the `/_emulator` API with plain `requests`.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO, Any

import requests


class EmulatorAdmin:
    """The admin API (never part of DRS): jobs, drift, status steps, request log, faults, settings.

    Talks to `url` through `session`: a plain one for `EmulatorProcess`, the in-process adapter's for
    `InProcessEmulator`."""

    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/") + "/_emulator"
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self.session.request(method, self.url + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def create_jobs(self, jobs: Sequence[Mapping[str, Any]] | int = 1, **common: Any) -> list[dict[str, Any]]:
        """Create jobs from specs, or `jobs` identical ones made of `common` fields; returns them with ids."""
        specs = (
            [dict(common) for _ in range(jobs)] if isinstance(jobs, int) else [{**common, **j} for j in jobs]
        )
        result: list[dict[str, Any]] = self._call("POST", "/jobs", {"jobs": specs})["jobs"]
        return result

    def set_status(self, job_id: str, status: str, **fields: Any) -> dict[str, Any]:
        return self.update_job(job_id, status=status, **fields)

    def update_job(self, job_id: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", f"/jobs/{job_id}", fields)
        return result

    def get_job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
        return result

    def list_jobs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/jobs")["jobs"]
        return result

    def requests_log(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/requests")["requests"]
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def add_fault(self, path: str, mode: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/faults", {"path": path, "mode": mode, **options})
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def settings(self, **values: Any) -> dict[str, Any]:
        """Change run-time settings (transition_seconds, reads_per_step, hold_statuses, max_per_page,
        latency_ms, token_ttl_seconds, v5_action_answer: `sync` or `async`); returns them all. With no
        arguments, only reads them."""
        result: dict[str, Any] = self._call("POST", "/settings", values)
        return result

    def step(self, job_ids: Sequence[str] | None = None, steps: int = 1) -> list[dict[str, Any]]:
        """Take `steps` queued status steps of these jobs (None: all) now, whatever time, holds or reads say."""
        body = {"job_ids": None if job_ids is None else list(job_ids), "steps": steps}
        result: list[dict[str, Any]] = self._call("POST", "/step", body)["jobs"]
        return result

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result


class EmulatorProcess:
    def __init__(
        self,
        *args: str,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        python: str = "",
    ) -> None:
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.env = dict(env) if env is not None else None
        self.python = python or sys.executable
        self.url = ""
        self.stdout_lines: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def admin(self) -> EmulatorAdmin:
        if not self.url:
            raise RuntimeError("the emulator is not running")
        return EmulatorAdmin(self.url)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> EmulatorProcess:
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        command = [self.python, "-m", "pulumi_drs.emulator", *self.args]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=self.env, bufsize=1
        )
        threading.Thread(target=self._read_stdout, args=(self._process.stdout,), daemon=True).start()
        try:
            first = self._lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            first = None
        if not first or not first.startswith("http"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {first!r}\n{self._stderr_tail()}")
        self.url = first
        return self

    def _read_stdout(self, stream: IO[str] | None) -> None:
        for line in stream or ():
            self.stdout_lines.append(line.rstrip("\n"))
            self._lines.put(line.strip())
        self._lines.put(None)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-4000:]

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> int | None:
        """Send `sig` (SIGTERM), wait, then kill; returns the exit code."""
        process, self._process = self._process, None
        self.url = ""
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if process.stdout is not None:
            process.stdout.close()
        return process.returncode

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
