"""Drive the native plugin as the engine does: `pulumi-resource-drs <engine address>` over gRPC.

`RecordingEngine` is a real `pulumirpc.Engine` gRPC server standing where the CLI's engine stands: it
records every `Log` the plugin sends (kept or ephemeral, with its URN), and stopping it is how a test
makes the engine go away. The real engine's planning, state and display are tested in tests/engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2, provider_pb2_grpc

PLUGIN = Path(sys.executable).parent / "pulumi-resource-drs"
URN = "urn:pulumi:dev::drs-tests::drs:index:StartedJobBatch::orders"
UNKNOWN = rpc.UNKNOWN


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update({k: v for k, v in props.items() if v is not None})
    return out


def secret(value: Any) -> dict[str, Any]:
    return dict(rpc.wrap_rpc_secret(value))


def plain(s: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(s, keep_unknowns=True))


@dataclass
class LogLine:
    message: str
    urn: str
    ephemeral: bool
    severity: int


@dataclass
class RecordingEngine(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    lines: list[LogLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"
        self._server.start()

    def Log(self, request: Any, context: Any) -> Any:
        self.lines.append(LogLine(request.message, request.urn, request.ephemeral, request.severity))
        return empty_pb2.Empty()

    def kept(self) -> list[str]:
        return [line.message for line in self.lines if not line.ephemeral]

    def ephemeral(self) -> list[str]:
        return [line.message for line in self.lines if line.ephemeral]

    def stop(self) -> None:
        self._server.stop(0).wait()


class InProcessPlugin:
    """The plugin's servicer served from this process (so mutation testing reaches its code), told of
    `engine` by the Handshake as the engine tells it; use as a context manager."""

    def __init__(self, engine: RecordingEngine) -> None:
        from pulumi_drs.native.engine import Engine
        from pulumi_drs.native.server import DrsProvider

        self.engine = engine
        self.provider = DrsProvider(Engine())
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(self.provider, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.stub: provider_pb2_grpc.ResourceProviderStub

    def __enter__(self) -> InProcessPlugin:
        self._server.start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=self.engine.address))
        return self

    def __exit__(self, *exc: object) -> None:
        self._channel.close()
        self._server.stop(0).wait()

    def configure(self, **config: Any) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct(config), acceptSecrets=True,
                                                          acceptResources=True))


class NativePlugin:
    """A `pulumi-resource-drs` process started with `engine`'s address; use as a context manager."""

    def __init__(self, engine: RecordingEngine | None, env: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self._env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes]
        self.stub: provider_pb2_grpc.ResourceProviderStub

    def __enter__(self) -> NativePlugin:
        args = [str(PLUGIN)] + ([self.engine.address] if self.engine else [])
        self.proc = subprocess.Popen(args, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline().decode().strip())
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def __exit__(self, *exc: object) -> None:
        self._channel.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.stderr = self.proc.stderr.read().decode() if self.proc.stderr else ""

    def configure(self, **config: Any) -> None:
        """Configure as the engine configures an explicit provider: its inputs in `args` (Pulumi names)."""
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct(config), acceptSecrets=True,
                                                          acceptResources=True))

    def exited_within(self, seconds: float) -> int | None:
        """The exit code if the process ended within `seconds`, else None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return self.proc.returncode
            time.sleep(0.05)
        return None


def in_thread(call: Any, *args: Any, **kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run a blocking stub call in a thread; its result or error lands in the returned dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = call(*args, **kwargs)
        except grpc.RpcError as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out
