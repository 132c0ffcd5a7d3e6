"""Talking back to the engine that started the plugin: lines under a resource, and status on its row.

`Engine.log` sends `pulumirpc.Engine/Log` with the resource's URN: a kept line shows under the resource
(and in the Diagnostics), an ephemeral one is live text on its row that the next one replaces.
`RowStatus` is a wait's progress (a `converge.Report`) shown that way: the status of every poll round
on the row, and one kept line when the wait starts and one when it ends. A log line that cannot be
delivered is dropped (printed to stderr, which the engine keeps in its own log): the work goes on.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from pulumi_drs.progress import duration, shape, summary

INFO = engine_pb2.INFO
WARNING = engine_pb2.WARNING


class Engine:
    """The engine's Log service, once its address is known (the command line, or the Handshake)."""

    def __init__(self, address: str | None = None) -> None:
        self._lock = threading.Lock()
        self._stub: engine_pb2_grpc.EngineStub | None = None
        self.address: str | None = None
        if address:
            self.connect(address)

    def connect(self, address: str) -> None:
        with self._lock:
            if address and address != self.address:
                self.address = address
                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))

    def log(self, message: str, urn: str = "", *, ephemeral: bool = False,
            severity: engine_pb2.LogSeverity.ValueType = INFO) -> None:
        stub = self._stub
        if stub is None:
            print(message, file=sys.stderr, flush=True)
            return
        try:
            stub.Log(engine_pb2.LogRequest(severity=severity, message=message, urn=urn, ephemeral=ephemeral),
                     timeout=10)
        except grpc.RpcError as exc:
            print(f"pulumi-drs: could not log to the engine ({exc.code().name}): {message}", file=sys.stderr,
                  flush=True)


class RowStatus:
    """A wait's progress on the resource's row: live status each round, a kept line at its start and end."""

    def __init__(self, engine: Engine, urn: str, goal: str) -> None:
        self._engine, self._urn, self.goal = engine, urn, goal
        self._started = False

    def round(self, statuses: Mapping[str, str], pending: Sequence[str], elapsed: float, left: float) -> None:
        text = summary(self.goal, len(statuses), shape(statuses, pending), elapsed, left)
        if not self._started:
            self._started = True
            if pending:
                self._engine.log(f"waiting up to {duration(left)}: {text}", self._urn)
        if not pending:
            self._engine.log(f"all {len(statuses)} job(s) {self.goal} after {duration(elapsed)}", self._urn)
            self._engine.log("", self._urn, ephemeral=True)
            return
        self._engine.log(text, self._urn, ephemeral=True)
