"""The floor for engine overhead: a dynamic resource that talks to nothing.

`NoopBatch` takes the same `job_ids` as StartedJobBatch and records outputs of the same shape (count,
job_statuses), so both stacks hold the same amount of state; only the provider's work differs. The
engine's dynamic-provider process unpickles `bench.noop_provider.NoopProvider` by reference, so this
module must be importable there: the stack's PYTHONPATH holds the repository root.
`bench.importing_noop_provider` is the same provider plus the imports of pulumi-drs's provider.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource, ResourceProvider


class NoopProvider(ResourceProvider):
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = sorted(olds.get("job_ids") or []) != sorted(news.get("job_ids") or [])
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        job_ids = list(props.get("job_ids") or [])
        digest = hashlib.sha256("\n".join(sorted(job_ids)).encode()).hexdigest()[:16]
        outs = {**props, "count": len(job_ids), "job_statuses": {j: "NOOP" for j in job_ids}}
        return CreateResult(f"noop-{digest}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)


class NoopBatch(Resource, module="bench", name="NoopBatch"):
    count: pulumi.Output[int]
    job_statuses: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, job_ids: Sequence[str], provider: ResourceProvider | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"job_ids": list(job_ids), "count": None, "job_statuses": None}
        super().__init__(provider or NoopProvider(), name, props, opts)
