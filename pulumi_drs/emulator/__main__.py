"""`python -m pulumi_drs.emulator`: serve the DRS emulator (API v3 and v5) until SIGTERM or SIGINT.

The first stdout line is the base URL, printed once the server accepts connections (so `--port 0`
works: read the port from it); one line per `--seed-jobs` job id follows. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Generator, Sequence

import uvicorn

from pulumi_drs.emulator import config as defaults
from pulumi_drs.emulator.app import create_app
from pulumi_drs.emulator.config import EmulatorConfig
from pulumi_drs.emulator.jobs import JobSpec
from pulumi_drs.emulator.state import EmulatorState, build_state

SECRET_KEY_ENV = "DRS_EMULATOR_SECRET_KEY"
AUTH_TOKEN_ENV = "DRS_EMULATOR_AUTH_TOKEN"


def parse_args(argv: Sequence[str] | None = None) -> EmulatorConfig:
    p = argparse.ArgumentParser(prog="python -m pulumi_drs.emulator", description=__doc__.splitlines()[0])
    add = p.add_argument
    add("--host", default=defaults.DEFAULT_HOST, help="default: 127.0.0.1")
    add("--port", type=int, default=0, help="default: 0, any free port")
    add("--access-key", default=defaults.DEFAULT_ACCESS_KEY, help="default: EMULATORAK")
    add(
        "--secret-key",
        default=os.environ.get(SECRET_KEY_ENV, defaults.DEFAULT_SECRET_KEY),
        help=f"default: ${SECRET_KEY_ENV}, else EMULATORSK",
    )
    add("--project-id", default=defaults.DEFAULT_PROJECT_ID, help=f"default: {defaults.DEFAULT_PROJECT_ID}")
    add("--region", default=defaults.DEFAULT_REGION, help="IAM project name of --project-id (cn-north-4)")
    add("--user-name", default=defaults.DEFAULT_USER_NAME, help="IAM password tokens (emulator-user)")
    add("--password", default=defaults.DEFAULT_PASSWORD, help="default: emulator-password")
    add("--domain-name", default=defaults.DEFAULT_DOMAIN_NAME, help="default: emulator-domain")
    add(
        "--auth-token",
        default=os.environ.get(AUTH_TOKEN_ENV),
        help=f"a fixed X-Auth-Token to accept besides issued ones (default: ${AUTH_TOKEN_ENV})",
    )
    add("--state", dest="state_path", default=None, help="SQLite file where jobs survive restarts")
    add(
        "--transition-seconds",
        type=float,
        default=defaults.DEFAULT_TRANSITION_SECONDS,
        help="duration of each automatic status step (1.0); 0 = steps are taken on status reads",
    )
    add(
        "--reads-per-step",
        type=_at_least_one,
        default=1,
        help="with --transition-seconds 0: a step is taken at every Nth status read of a job (1)",
    )
    add(
        "--max-per-page",
        type=_at_least_one,
        default=defaults.DEFAULT_MAX_PER_PAGE,
        help="batch-status and batch-detail answer at most N jobs per page, whatever is asked (100)",
    )
    add(
        "--v5-action-answer",
        choices=defaults.V5_ACTION_ANSWERS,
        default=defaults.DEFAULT_V5_ACTION_ANSWER,
        help="v5 jobs/action answers 200 with a result per job (sync), or 202 with a query per job, read by"
        " GET jobs/{query_id}/progress (async)",
    )
    add("--seed-jobs", type=int, default=0, help="create N CONFIGURATION jobs at start, print their ids")
    add("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return EmulatorConfig(**vars(p.parse_args(argv)))


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


class _Server(uvicorn.Server):
    """uvicorn, announcing itself once listening, and ending with status 0 on SIGTERM/SIGINT."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the signal after shutdown; a clean exit suits a supervised child better.
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it every
    # answer after a connection's first waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _seed(state: EmulatorState, count: int) -> list[str]:
    if count <= 0:
        return []
    return [job["id"] for job in state.backend.create_jobs([JobSpec() for _ in range(count)])]


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    level = config.log_level.upper()
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    state = build_state(config)
    seeded = _seed(state, config.seed_jobs)
    sock = _bind(config.host, config.port)
    url = _base_url(sock)

    def announce() -> None:
        print("\n".join([url, *seeded]), flush=True)

    server_config = uvicorn.Config(
        create_app(state=state),
        http="h11",
        lifespan="off",
        log_config=None,
        log_level=config.log_level,
        access_log=level == "DEBUG",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    try:
        _Server(server_config, announce).run(sockets=[sock])
    finally:
        state.backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
