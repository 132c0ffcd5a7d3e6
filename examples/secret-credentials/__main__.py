"""Credentials from encrypted stack configuration, never from the program:

    pulumi config set drs:region ap-southeast-1
    pulumi config set drs:projectId <32-hex project id>      # optional: looked up by region if unset
    pulumi config set drs:accessKey <AK>
    pulumi config set --secret drs:secretKey <SK>
    # or: pulumi config set --secret drs:authToken <IAM token>
    # or: drs:userName, --secret drs:password, drs:domainName for an IAM password token

The provider reads them at run time; they never enter the resource's inputs, outputs or the pickled
provider, and `pulumi stack export` shows the secret key only as ciphertext.
"""

import pulumi

import pulumi_drs

batch = pulumi_drs.StartedJobBatch("prod-sync", job_ids=pulumi.Config().require_object("jobIds"))
pulumi.export("job_statuses", batch.job_statuses)
