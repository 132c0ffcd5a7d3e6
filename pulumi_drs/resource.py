"""`StartedJobBatch`: the resource a Pulumi program declares, its typed arguments and outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from pulumi_drs.provider import StartedJobBatchProvider

_PROVIDER = StartedJobBatchProvider()


@dataclass
class StartedJobBatchArgs:
    """The inputs of a StartedJobBatch. Settings left as None come from `drs:*` config or `HW_*` env."""

    job_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """DRS job IDs (form `140b5236-88ad-43c8-811c-1268453jb101`), each listed once."""
    start_time: pulumi.Input[datetime | str | int] | None = None
    """Start later: a timezone-aware datetime, an ISO-8601 string or epoch milliseconds. None: now."""
    wait: pulumi.Input[str] | None = None
    """`running` (default): until every job runs (or waits for its start time); `incremental`: until
    every job is INCRE_TRANSFER_STARTED (what a DR backward task needs of its forward task);
    `accepted`: as soon as DRS accepts the start."""
    timeout: pulumi.Input[int | str] | None = None
    """How long create, update and delete wait: seconds, or a duration like `45m`. Default 60 minutes."""
    stop_on_delete: pulumi.Input[bool] | None = None
    """Terminate the jobs when the batch is deleted. Default False: deleting stops nothing."""
    language: pulumi.Input[str] | None = None
    """`en-us` or `zh-cn`: the language of DRS's messages."""
    region: pulumi.Input[str] | None = None
    project_id: pulumi.Input[str] | None = None
    endpoint: pulumi.Input[str] | None = None
    """DRS base URL, e.g. the local emulator's; default `https://drs.{region}.myhuaweicloud.com`."""
    api_version: pulumi.Input[str] | None = None
    """`v3` (default: the documented batch API) or `v5` (public beta in some regions); else drs:apiVersion."""
    forward_job_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Dual-active DR: the forward jobs (usually another batch's `job_ids` output). Before starting,
    `pulumi up` waits (within `timeout`) until each is INCRE_TRANSFER_STARTED with RPO and RTO under 60 s."""

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.start_time, datetime):  # the engine carries no datetime: send ISO-8601
            props["start_time"] = self.start_time.isoformat()
        # Outputs must be named here (as None) to exist on the resource.
        props.update(dict.fromkeys(OUTPUT_KEYS))
        return props


OUTPUT_KEYS = ("results", "count", "job_statuses")


class StartedJobBatch(Resource, module="drs", name="StartedJobBatch"):
    """A batch of DRS jobs that have been started (DRS v3 `jobs/batch-starting`).

    `pulumi up` starts the jobs that need it and waits per `wait`; `pulumi refresh` records each job's
    live status, and the next preview shows a job that stopped, failed or vanished as an update that
    `pulumi up` repairs (start, resume or retry). Deleting the resource stops nothing unless
    `stop_on_delete` is set.
    """

    job_ids: pulumi.Output[list[str]]
    start_time: pulumi.Output[str | None]
    """Normalized: epoch milliseconds as a string, as DRS takes it."""
    wait: pulumi.Output[str]
    timeout: pulumi.Output[int]
    stop_on_delete: pulumi.Output[bool]
    results: pulumi.Output[list[dict[str, str]]]
    """Per job started by the last create or update: `id`, `status`, `error_code`, `error_msg`."""
    count: pulumi.Output[int]
    job_statuses: pulumi.Output[dict[str, str]]
    """Job ID to its DRS status at the last create, update or refresh (`NOT_FOUND` if DRS lost it)."""

    def __init__(
        self,
        resource_name: str,
        args: StartedJobBatchArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if args is None:
            args = StartedJobBatchArgs(**kwargs)
        elif kwargs:
            raise TypeError("pass either args or keyword arguments, not both")
        props = args.to_props()
        props["resource_name"] = resource_name  # a dynamic provider gets no name: its messages need one
        super().__init__(_PROVIDER, resource_name, props, opts)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],
        job_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> StartedJobBatch:
        """Read an existing batch without managing it: `id` is a recorded batch ID (pass `job_ids`)
        or a comma-separated list of job IDs."""
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        args = StartedJobBatchArgs(job_ids=job_ids, **kwargs)  # type: ignore[arg-type]
        return StartedJobBatch(resource_name, args, merged)
