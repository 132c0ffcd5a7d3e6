"""A dual-active DR pair: DRS starts the backward task only once its forward task replicates
incrementally (INCRE_TRANSFER_STARTED) with RPO and RTO under 60 s.

No DRS field links a backward task to its forward task, so the program says it: `forward_job_ids`
takes the forward batch's `job_ids` output. That orders the two batches, and makes the backward
batch's `pulumi up` wait (within its `timeout`, printing progress) until the forward jobs' RPO and
RTO are under 60 s before it starts anything.

    pulumi config set forwardJobId <forward task id>
    pulumi config set backwardJobId <backward task id>
"""

import pulumi

import pulumi_drs

config = pulumi.Config()
forward_id = config.require("forwardJobId")
backward_id = config.require("backwardJobId")

forward = pulumi_drs.StartedJobBatch("dr-forward", job_ids=[forward_id], wait="incremental")
backward = pulumi_drs.StartedJobBatch(
    "dr-backward",
    job_ids=[backward_id],
    forward_job_ids=forward.job_ids,
    timeout="30m",
)
pulumi.export("forward_statuses", forward.job_statuses)
pulumi.export("backward_statuses", backward.job_statuses)
