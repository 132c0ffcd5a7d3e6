"""A dual-active DR pair: the backward task may start only once its forward task replicates
incrementally (INCRE_TRANSFER_STARTED) with RPO and RTO under 60 s.

The backward batch takes its job IDs through the forward batch's outputs, so Pulumi orders the two
and the backward inputs are unknown during the first preview (the preflight then runs at `up`).

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
    job_ids=forward.job_statuses.apply(lambda _: [backward_id]),
)
pulumi.export("forward_statuses", forward.job_statuses)
pulumi.export("backward_statuses", backward.job_statuses)
