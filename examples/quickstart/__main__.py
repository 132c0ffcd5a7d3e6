"""Quickstart: start a batch of DRS jobs and export their statuses.

The job IDs come from stack config (`make demo` creates demo jobs in the local DRS emulator and sets
`jobIds`); the DRS endpoint and credentials come from `drs:*` config, as in any real stack.
"""

import pulumi

import pulumi_drs

config = pulumi.Config()
batch = pulumi_drs.StartedJobBatch("orders-sync", job_ids=config.require_object("jobIds"))

pulumi.export("batch_id", batch.id)
pulumi.export("count", batch.count)
pulumi.export("job_statuses", batch.job_statuses)
