// Start a batch of DRS jobs from TypeScript with the native provider plugin `pulumi-resource-drs`
// (`pip install pulumi-drs` puts it on PATH) and its SDK (`npm install <checkout>/sdk/nodejs`).
//
// The batch uses an explicit provider: its settings and credentials are its own, read here from this
// project's config (`pulumi config set --secret secretKey ...`), so two providers can reach two accounts
// or regions in one program. A setting left unset falls back to the environment (HW_REGION_NAME,
// HW_ACCESS_KEY, HW_SECRET_KEY, ...). customTimeouts bound how long `pulumi up` waits for the jobs.
import * as pulumi from "@pulumi/pulumi";
import * as drs from "pulumi-drs";

const config = new pulumi.Config();

const account = new drs.Provider("account", {
    region: config.get("region"),
    endpoint: config.get("endpoint"),
    projectId: config.get("projectId"),
    accessKey: config.get("accessKey"),
    secretKey: config.getSecret("secretKey"),
});

const batch = new drs.StartedJobBatch("orders-sync", {
    jobIds: config.requireObject<string[]>("jobIds"),
    wait: drs.WaitMode.Incremental,
}, { provider: account, customTimeouts: { create: "30m", update: "30m" } });

export const count = batch.count;
export const statuses = batch.jobStatuses;
