"""Drive the provider as the engine does: `python -m pulumi.dynamic` over gRPC, pickled provider.

This covers the pickling across processes, `configure`, unknown values and error mapping; planning,
state and display are the real engine's, tested in tests/engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_drs.provider import StartedJobBatchProvider

UNKNOWN = rpc.UNKNOWN
"""Put this where the engine would send an unknown value (preview of a dependent resource)."""
PROVIDER_BLOB = serialize_provider(StartedJobBatchProvider())


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if v is not None})
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class DynamicProviderProcess:
    """A `python -u -m pulumi.dynamic` child and a stub to call it; use as a context manager."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub

    def __enter__(self) -> DynamicProviderProcess:
        self._proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"], env=self._env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self._proc.stdout is not None
        port = int(self._proc.stdout.readline().decode().strip())
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def __exit__(self, *exc: object) -> None:
        self._channel.close()
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self.stderr = self._proc.stderr.read().decode() if self._proc.stderr else ""

    def configure(self, config: Mapping[str, str]) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(config)))

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
              ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self.stub.Check(provider_pb2.CheckRequest(
            urn=_URN, olds=to_struct(_with_blob(olds or {}) if olds else {}), news=to_struct(_with_blob(news))))
        return from_struct(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> int:
        resp = self.stub.Diff(provider_pb2.DiffRequest(id=id_, urn=_URN, olds=to_struct(_with_blob(olds)),
                                                       news=to_struct(_with_blob(news))))
        return int(resp.changes)

    def create(self, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Create(provider_pb2.CreateRequest(urn=_URN, properties=to_struct(_with_blob(props))))
        return resp.id, from_struct(resp.properties)

    def read(self, id_: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        resp = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=_URN, properties=to_struct(_with_blob(props))))
        return resp.id, from_struct(resp.properties), from_struct(resp.inputs)

    def update(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        resp = self.stub.Update(provider_pb2.UpdateRequest(id=id_, urn=_URN, olds=to_struct(_with_blob(olds)),
                                                           news=to_struct(_with_blob(news))))
        return from_struct(resp.properties)

    def delete(self, id_: str, props: Mapping[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=_URN, properties=to_struct(_with_blob(props))))


DIFF_UNKNOWN, DIFF_NONE, DIFF_SOME = (provider_pb2.DiffResponse.DIFF_UNKNOWN, provider_pb2.DiffResponse.DIFF_NONE,
                                      provider_pb2.DiffResponse.DIFF_SOME)
_URN = "urn:pulumi:test::drs::pulumi-python:dynamic/drs:StartedJobBatch::batch"


def _with_blob(props: Mapping[str, Any]) -> dict[str, Any]:
    return {**props, "__provider": PROVIDER_BLOB}


def grpc_error_text(exc: grpc.RpcError) -> str:
    return str(exc.details())  # type: ignore[attr-defined]
