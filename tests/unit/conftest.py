"""Unit-test set-up: no ambient credentials or tuning, Settings that retry fast, a loopback HTTP server."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pulumi_drs.settings import Settings

SCRUBBED_PREFIXES = ("HW_", "HUAWEICLOUD_SDK_", "PULUMI_DRS_")

PROJECT = "0123456789abcdef0123456789abcdef"
ENDPOINT = "https://drs.test-region-1.example.com"
IAM = "https://iam.test-region-1.example.com"
AK, SK = "AKFAKEACCESSKEY0001", "sk-Very-Secret-Key-0001"


@pytest.fixture(autouse=True)
def _scrub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real credentials or tuning must never reach a unit test."""
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """Settings for a fake DRS: AK/SK, a fixed project, no backoff; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "region": "test-region-1",
            "project_id": PROJECT,
            "endpoint": ENDPOINT,
            "iam_endpoint": IAM,
            "access_key": AK,
            "secret_key": SK,
            "max_retries": 3,
            "backoff_factor": 0.0,
            "backoff_max": 0.0,
            "retry_deadline_seconds": 30.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


Received = dict[str, Any]
"""One request as the server saw it: method, path (raw), query, headers (lowercased names), body."""
Answer = tuple[int, dict[str, str], bytes]
StartServer = Callable[[Callable[[Received], Answer]], tuple[str, list[Received]]]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (read timeout) is expected here, not an error worth a traceback."""


@pytest.fixture
def loopback() -> Iterator[StartServer]:
    """Starts HTTP servers on 127.0.0.1 that answer with `handler(request)` and record every request.

    For the few tests that must see real bytes on a real socket (what urllib3 adds, its retries)."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: Callable[[Received], Answer]) -> tuple[str, list[Received]]:
        received: list[Received] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                path, _, query = self.path.partition("?")
                request = {"method": self.command, "path": path, "query": query,
                           "headers": {k.lower(): v for k, v in self.headers.items()},
                           "body": self.rfile.read(length) if length else b""}
                received.append(request)
                status, headers, body = handler(request)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", received

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """This machine's local time zone is not UTC (a naive time must still be read, or written, as UTC)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()
