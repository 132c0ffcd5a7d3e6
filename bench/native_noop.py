"""The floor for the native front door's engine overhead: a native plugin that talks to nothing.

`pulumi-resource-drsnoop` is served the way `pulumi-resource-drs` is: the same process, the same
gRPC server and servicer class (`DrsProvider`, so the same imports and start-up), with the resource
methods answered without DRS: check returns the inputs, diff compares the job IDs, create and read
record outputs of the same shape (count, jobStatuses). `plugin_dir` writes the executable the engine
finds on PATH; `NoopBatch` is the resource a program declares.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from pulumi_drs.native import __main__ as plugin_main
from pulumi_drs.native import server

TYPE = "drsnoop:index:Batch"
REPO = Path(__file__).resolve().parents[1]


class NoopNativeProvider(server.DrsProvider):
    def Check(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        olds, news = _plain(request.olds), _plain(request.news)
        same = sorted(olds.get("jobIds") or []) == sorted(news.get("jobIds") or [])
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE if same
                                         else provider_pb2.DiffResponse.DIFF_SOME)

    def Create(self, request: Any, context: Any) -> Any:
        props = _plain(request.properties)
        job_ids = list(props.get("jobIds") or [])
        digest = hashlib.sha256("\n".join(sorted(job_ids)).encode()).hexdigest()[:16]
        outs = {**props, "count": len(job_ids), "jobStatuses": {j: "NOOP" for j in job_ids}}
        return provider_pb2.CreateResponse(id=f"noop-{digest}", properties=_struct(outs))

    def Read(self, request: Any, context: Any) -> Any:
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)


def _plain(struct: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


def _struct(props: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    out = struct_pb2.Struct()
    out.update(props)
    return out


class NoopBatch(pulumi.CustomResource):
    count: pulumi.Output[int]
    job_statuses: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, job_ids: Sequence[str]) -> None:
        super().__init__(TYPE, name, {"jobIds": list(job_ids), "count": None, "jobStatuses": None})


def plugin_dir(root: Path) -> Path:
    """A folder holding `pulumi-resource-drsnoop`, for the front of the engine's PATH."""
    root.mkdir(parents=True, exist_ok=True)
    exe = root / "pulumi-resource-drsnoop"
    exe.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO)!r})\n"
                   "from bench.native_noop import main\nmain()\n")
    exe.chmod(0o755)
    return root


def main() -> None:
    plugin_main.main(provider_class=NoopNativeProvider)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
