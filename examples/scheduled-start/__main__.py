"""A batch scheduled to start at a given time: DRS holds the jobs in WAITING_FOR_START until then.

    pulumi config set --path 'jobIds[0]' <job id>
    pulumi config set startTime 2030-01-01T02:00:00Z   # or epoch milliseconds

`pulumi up` returns once DRS has scheduled the jobs (WAITING_FOR_START counts as started). Changing
`startTime` after the jobs started changes nothing in DRS and shows no diff.
"""

import pulumi

import pulumi_drs

config = pulumi.Config()
batch = pulumi_drs.StartedJobBatch(
    "nightly-sync",
    job_ids=config.require_object("jobIds"),
    start_time=config.require("startTime"),
    timeout="15m",
)
pulumi.export("job_statuses", batch.job_statuses)
pulumi.export("start_time", batch.start_time)
