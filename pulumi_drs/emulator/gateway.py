"""The API gateway in front of the emulated DRS and IAM: latency, faults, authentication, request log.

A raw ASGI middleware, because it needs what a framework hides: the exact body bytes (to check the
signature, then replayed to the app), the raw path and query, and the connection itself (to drop it).
`/_emulator/*` (the admin API) bypasses all of it. The log records method, path, status, job ids and
duration, never a header, so no signature, token or key reaches it.

Waiting and dropping go through a `Connection`: uvicorn's TCP connection by default, or the one a
server offers in the ASGI scope extension `CONNECTION_EXTENSION` (the in-process adapter learns of a
drop, and of a wait longer than its read timeout, that way).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator.authcheck import Authenticator, RawRequest
from pulumi_drs.emulator.config import RuntimeSettings
from pulumi_drs.emulator.faults import FaultRegistry, abort_connection
from pulumi_drs.emulator.iam import TOKEN_PATH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ADMIN_PREFIX = "/_emulator"
CONNECTION_EXTENSION = "pulumi_drs.emulator.connection"
_VERSIONED = re.compile(r"^/v\d+/")
"""DRS (`/v3/...`, `/v5/...`) and IAM paths."""
_JOB_IN_PATH = re.compile(r"^/v\d+/[^/]+/jobs/(?P<job>[^/]+)(?:/(?!progress/?$)[^/]+)?/?$")
"""`/v5/{project_id}/jobs/{job_id}` and `/v5/{project_id}/jobs/{job_id}/actions`: one job named in the path
(not `jobs/{async_job_id}/progress`, which names a query)."""
_JOB_LIST = re.compile(r"^/v\d+/[^/]+/jobs/?$")
"""The v5 job list, whose `name` query names jobs (IAM's project lookup has a `name` too: not a job)."""
_NOT_A_JOB = re.compile(r"^(batch-.*|action)$")
"""What stands where a job id would, on the operations over many jobs (`jobs/batch-status`, `jobs/action`)."""
_LOG_LIMIT = 100_000


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=_LOG_LIMIT)
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class _Outcome:
    status_code: int | None = None
    fault: str | None = None
    auth: str | None = None


class Connection(Protocol):
    """The client's connection, as far as the gateway needs it: waiting, and dropping without an answer."""

    def drop(self) -> None: ...

    async def sleep(self, seconds: float) -> None: ...


class _UvicornConnection:
    """A TCP connection served by uvicorn: sleep on the event loop, drop by aborting the transport."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive

    def drop(self) -> None:
        abort_connection(self._receive)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def connection_of(scope: Scope, receive: Receive) -> Connection:
    """The server's own `Connection` when it offers one in the scope (the in-process adapter), else uvicorn's."""
    offered: Connection | None = scope.get("extensions", {}).get(CONNECTION_EXTENSION)
    return offered if offered is not None else _UvicornConnection(receive)


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        faults: FaultRegistry,
        log: RequestLog,
        settings: RuntimeSettings,
    ) -> None:
        self.app, self.authenticator, self.faults, self.log = app, authenticator, faults, log
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        started, received_at = time.perf_counter(), time.time()
        body = await _read_body(receive)
        outcome = _Outcome()
        try:
            await self._handle(scope, receive, send, body, outcome)
        finally:
            self.log.record(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status_code": outcome.status_code,
                    "job_ids": job_ids_of(body, scope["path"], scope.get("query_string", b"")),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "received_at": received_at,
                    "fault": outcome.fault,
                    "auth": outcome.auth,
                }
            )

    async def _handle(self, scope: Scope, receive: Receive, send: Send, body: bytes, outcome: _Outcome) -> None:
        connection = connection_of(scope, receive)
        if self.settings.latency_ms > 0:
            await connection.sleep(self.settings.latency_ms / 1000)
        fault = self.faults.take(scope["method"], scope["path"])
        outcome.fault = fault.mode if fault else None
        if fault is not None and fault.mode == "delay":
            await connection.sleep(fault.delay_seconds)
        if fault is not None and fault.mode == "drop_before":
            await _drop(connection)
            return
        if fault is not None and fault.mode == "status":
            await _send_error(send, fault.error(), outcome)
            return
        if _needs_auth(scope):
            try:
                outcome.auth = self.authenticator.authenticate(_raw_request(scope, body))
            except exc.EmulatorError as error:
                await _send_error(send, error, outcome)
                return
        await self._forward(scope, receive, send, body, outcome)
        if fault is not None and fault.mode == "drop_after":
            await _drop(connection)
        elif fault is not None and fault.mode == "status_after":
            await _send_error(send, fault.error(), outcome)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, body: bytes, outcome: _Outcome) -> None:
        """Run the app on the body read before; its answer is withheld when a fault replaces it."""
        withheld = outcome.fault in ("drop_after", "status_after")
        body_sent = False

        async def replay() -> Message:
            nonlocal body_sent
            if body_sent:
                return await receive()
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status_code = message["status"]
            if not withheld:
                await send(message)

        await self.app(scope, replay, capture)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


async def _drop(connection: Connection) -> None:
    connection.drop()
    # Let the transport report the loss, so uvicorn sees a disconnect rather than a silent app.
    for _ in range(3):
        await asyncio.sleep(0)


async def _send_error(send: Send, error: exc.EmulatorError, outcome: _Outcome) -> None:
    outcome.status_code = error.status
    payload = error.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers().items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def _needs_auth(scope: Scope) -> bool:
    """Every DRS and IAM call but the one that issues tokens (the admin API never reaches here)."""
    path: str = scope["path"]
    return _VERSIONED.match(path) is not None and not (scope["method"] == "POST" and path.rstrip("/") == TOKEN_PATH)


def _raw_request(scope: Scope, body: bytes) -> RawRequest:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        headers[key] = (
            f"{headers[key]},{value.decode('latin-1')}" if key in headers else value.decode("latin-1")
        )
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return RawRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query=query,
        headers=headers,
        body=body,
        request_id=uuid.uuid4().hex,
    )


def job_ids_of(body: bytes, path: str = "", query: bytes = b"") -> list[str]:
    """The job ids a request names: in the path, in the query's `name` (v5 ListJobs: comma-separated ids,
    or a task name, recorded as it is), and in the body (`jobs` as ids or as objects with `job_id`)."""
    in_path = _JOB_IN_PATH.match(path)
    pairs = parse_qsl(query.decode("latin-1")) if _JOB_LIST.match(path) else []
    named = [value for key, value in pairs if key == "name"]
    ids = [in_path["job"]] if in_path and not _NOT_A_JOB.match(in_path["job"]) else []
    ids += [part.strip() for value in named for part in value.split(",") if part.strip()]
    return ids + _job_ids_in_body(body)


def _job_ids_in_body(body: bytes) -> list[str]:
    try:
        jobs = json.loads(body).get("jobs") if body else None
    except (ValueError, AttributeError):
        return []
    if not isinstance(jobs, list):
        return []
    ids = [
        job if isinstance(job, str) else job.get("job_id") if isinstance(job, dict) else None for job in jobs
    ]
    return [job_id for job_id in ids if isinstance(job_id, str)]
