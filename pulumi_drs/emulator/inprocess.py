"""`InProcessEmulator`: the emulator's own ASGI app and backend, served inside this process behind a
`requests` transport adapter, the way moto serves boto3: no socket, no thread, no child process.

    emu = InProcessEmulator(clock=fake_clock)
    session = emu.session()                 # a requests.Session with the adapter mounted for emu.url
    session.post(f"{emu.url}/v3/{project_id}/jobs/batch-status", data=signed_bytes, headers=signed_headers)
    emu.admin.step()                        # the EmulatorAdmin API, in process too

Every request runs the whole app, gateway included (AK/SK signature on the exact bytes, faults, request
log), on a fresh event loop in the calling thread, so several threads may send at once. What a socket
would show is shown the same way: a dropped connection is requests' `ConnectionError` wrapping urllib3's
`ProtocolError('Connection aborted.', RemoteDisconnected(...))`, and a wait longer than the read timeout
is `ReadTimeout`, raised after the app has done the work, as the HTTP emulator does it once the client
has given up. Answers are real `requests.Response`s over a urllib3 `HTTPResponse`.
"""

from __future__ import annotations

import asyncio
import http
import io
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http.client import RemoteDisconnected
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPConnectionPool, HTTPResponse
from urllib3._collections import HTTPHeaderDict
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util import Timeout

from pulumi_drs.emulator.app import create_app
from pulumi_drs.emulator.config import Clock, EmulatorConfig
from pulumi_drs.emulator.gateway import CONNECTION_EXTENSION, ASGIApp, Message
from pulumi_drs.emulator.process import EmulatorAdmin
from pulumi_drs.emulator.state import EmulatorState, build_state

DEFAULT_URL = "http://drs.emulator.local"
_CLIENT = ("127.0.0.1", 50000)
log = logging.getLogger("pulumi_drs.emulator.inprocess")
T = TypeVar("T")
TimeoutArg = float | tuple[float, float] | tuple[float, None] | Timeout | None


class InProcessEmulator:
    """The emulator in this process: `url`, `session()`, `state` (direct control) and `admin`."""

    def __init__(
        self, config: EmulatorConfig | None = None, clock: Clock = time.time, url: str = DEFAULT_URL
    ) -> None:
        self.config = config or EmulatorConfig()
        self.url = url.rstrip("/")
        self.state: EmulatorState = build_state(self.config, clock)
        self.adapter = AsgiAdapter(create_app(state=self.state))
        self.admin = EmulatorAdmin(self.url, self.session())

    def session(self) -> requests.Session:
        """A new `requests.Session` whose requests to `url` go to this emulator."""
        return self.mount(requests.Session())

    def mount(self, session: requests.Session) -> requests.Session:
        """Route `session`'s requests to `url` to this emulator (e.g. a session a client builds)."""
        session.mount(self.url + "/", self.adapter)
        return session

    def close(self) -> None:
        self.state.backend.close()

    def __enter__(self) -> InProcessEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Connection:
    """What the gateway sees instead of a socket (`gateway.Connection`): it records a drop, and a wait
    past the read timeout, for the adapter to raise as requests would."""

    def __init__(self, read_timeout: float | None) -> None:
        self.read_timeout = math.inf if read_timeout is None else read_timeout
        self.dropped = False
        self.timed_out = False
        self._waited = 0.0

    def drop(self) -> None:
        self.dropped = True

    async def sleep(self, seconds: float) -> None:
        if self.timed_out:
            return
        budget = self.read_timeout - self._waited
        if seconds <= budget:
            self._waited += seconds
            await asyncio.sleep(seconds)
            return
        # The client gives up when its read timeout passes; the rest of the wait only delays work
        # nobody waits for, so it is skipped.
        await asyncio.sleep(max(budget, 0.0))
        self.timed_out = True


class _Answer:
    """The ASGI messages of one response, gathered."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = asyncio.Event()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete.set()


class AsgiAdapter(BaseAdapter):
    """A `requests` transport adapter that answers from an ASGI app in this process."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: TimeoutArg = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        read_timeout = _read_timeout(timeout)
        connection = _Connection(read_timeout)
        answer = _run(lambda: self._serve(_scope(request, connection), _body_of(request), connection))
        if connection.timed_out:
            raise _read_timed_out(request, read_timeout)
        if connection.dropped:
            raise _connection_aborted(request)
        return self._response(request, answer)

    def close(self) -> None:
        return None

    async def _serve(self, scope: dict[str, Any], body: bytes, connection: _Connection) -> _Answer:
        answer = _Answer()
        request_sent = False

        async def receive() -> Message:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answer.complete.wait()
            return {"type": "http.disconnect"}

        try:
            await self.app(scope, receive, answer.send)
        except Exception:  # uvicorn logs the error and answers 500 when nothing was sent yet: so do we
            log.exception("the emulator app failed on %s %s", scope["method"], scope["path"])
        if answer.status is None and not connection.dropped:
            answer.status, answer.chunks = 500, [b"Internal Server Error"]
            answer.headers = [(b"content-type", b"text/plain; charset=utf-8")]
        return answer

    def _response(self, request: requests.PreparedRequest, answer: _Answer) -> requests.Response:
        body = b"".join(answer.chunks)
        status = answer.status or 500
        headers = HTTPHeaderDict()
        for name, value in answer.headers:
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        reason = _reason(status)
        raw = HTTPResponse(
            body=io.BytesIO(body), headers=headers, status=status, reason=reason, preload_content=False,
            request_method=request.method, request_url=request.url,
        )
        response = requests.Response()
        response.status_code, response.reason, response.raw = status, reason, raw
        response.headers = CaseInsensitiveDict(headers)  # as HTTPAdapter.build_response: repeats joined
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]  # the stubs allow only HTTPAdapter here
        return response


def _scope(request: requests.PreparedRequest, connection: _Connection) -> dict[str, Any]:
    """The ASGI scope uvicorn would build for this request arriving on a socket."""
    parts = urlsplit(request.url or "")
    host = _host_header(parts.scheme, parts.hostname or "", parts.port)
    headers = [(name.lower().encode("latin-1"), _latin1(value)) for name, value in request.headers.items()]
    if not any(name == b"host" for name, _ in headers):  # http.client adds it; so do we
        headers.insert(0, (b"host", host.encode("latin-1")))
    raw_path = parts.path or "/"
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": (request.method or "GET").upper(),
        "scheme": parts.scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "server": (parts.hostname or "", parts.port or _default_port(parts.scheme)),
        "client": _CLIENT,
        "extensions": {CONNECTION_EXTENSION: connection},
    }


def _host_header(scheme: str, hostname: str, port: int | None) -> str:
    return hostname if port in (None, _default_port(scheme)) else f"{hostname}:{port}"


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _latin1(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def _body_of(request: requests.PreparedRequest) -> bytes:
    body: Any = request.body
    if body is None:
        return b""
    if isinstance(body, bytes | str):
        return body if isinstance(body, bytes) else body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    chunks: Iterable[str | bytes] = body
    return b"".join(_latin1(chunk) for chunk in chunks)


def _read_timeout(timeout: TimeoutArg) -> float | None:
    if isinstance(timeout, Timeout):
        read = timeout.read_timeout
        return float(read) if isinstance(read, int | float) else None
    if isinstance(timeout, tuple):
        return timeout[1]
    return timeout


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _connection_aborted(request: requests.PreparedRequest) -> requests.ConnectionError:
    """What requests raises when the server closes the socket without answering."""
    cause = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response"))
    return requests.ConnectionError(cause, request=request)


def _read_timed_out(request: requests.PreparedRequest, read_timeout: float | None) -> requests.ReadTimeout:
    parts = urlsplit(request.url or "")
    pool = HTTPConnectionPool(parts.hostname or "localhost", parts.port or _default_port(parts.scheme))
    cause = ReadTimeoutError(pool, request.url or "", f"Read timed out. (read timeout={read_timeout})")
    return requests.ReadTimeout(cause, request=request)


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a fresh event loop: in this thread, or in a helper thread when this one is
    already running a loop (a caller inside async code)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(make))
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(_await(make)))
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    worker = threading.Thread(target=target, name="drs-emulator-inprocess")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return results[0]


async def _await(make: Callable[[], Awaitable[T]]) -> T:
    return await make()
