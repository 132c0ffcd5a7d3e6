import * as pulumi from "@pulumi/pulumi";
import * as outputs from "./types/output";
import * as enums from "./types/enums";
/**
 * A batch of Huawei Cloud DRS jobs that have been started.
 *
 * `pulumi preview` reads every job's live status before anything is touched: it fails, naming the job, for a job
 * that cannot be started, and shows a job of the batch that was paused, failed or went back to CONFIGURATION since
 * the last deploy as drift. `pulumi up` starts only the jobs that need it, 100 per request, repairs drift (start,
 * resume, retry) and waits until they run, showing progress on the resource's row; it never starts a job twice.
 * `pulumi refresh` records each job's live status. Deleting the batch stops nothing unless `stopOnDelete` is set.
 * Import running jobs with `pulumi import drs:index:StartedJobBatch <name> <jobId>,<jobId>,...`: no job is started.
 */
export declare class StartedJobBatch extends pulumi.CustomResource {
    /**
     * Get an existing StartedJobBatch resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): StartedJobBatch;
    /**
     * Check whether an existing StartedJobBatch resource with the given ID exists.
     *
     * @param id The _unique_ provider ID of the resource to check.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    static exists(id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.Output<boolean>;
    /**
     * Returns true if the given object is an instance of StartedJobBatch.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is StartedJobBatch;
    /**
     * Overrides the provider's `apiVersion` for this batch. DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; about ten times the requests).
     */
    readonly apiVersion: pulumi.Output<string | undefined>;
    /**
     * The number of jobs in the batch.
     */
    readonly count: pulumi.Output<number>;
    /**
     * Overrides the provider's `endpoint` for this batch. DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local emulator's URL.
     */
    readonly endpoint: pulumi.Output<string | undefined>;
    /**
     * Dual-active DR: the forward jobs of this backward batch (usually the forward batch's `jobIds` output). Before starting, `pulumi up` waits, within the timeout, until each is INCRE_TRANSFER_STARTED with RPO and RTO under 60 s; the preview says what is not yet true.
     */
    readonly forwardJobIds: pulumi.Output<string[] | undefined>;
    /**
     * DRS job IDs (the form `140b5236-88ad-43c8-811c-1268453jb101`), each listed once. A job added to the batch that cannot be started (unknown to DRS, released, a parent task) fails the preview, named.
     */
    readonly jobIds: pulumi.Output<string[]>;
    /**
     * Job ID to its DRS status at the last create, update or refresh (`NOT_FOUND` when DRS does not know the job).
     */
    readonly jobStatuses: pulumi.Output<{
        [key: string]: string;
    }>;
    /**
     * Overrides the provider's `language` for this batch. Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).
     */
    readonly language: pulumi.Output<string | undefined>;
    /**
     * Overrides the provider's `projectId` for this batch. Project ID (32 hexadecimal digits); looked up from the region through IAM when unset.
     */
    readonly projectId: pulumi.Output<string | undefined>;
    /**
     * Overrides the provider's `region` for this batch. Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM endpoints and, when `projectId` is unset, the project looked up through IAM.
     */
    readonly region: pulumi.Output<string | undefined>;
    /**
     * Per job a request was sent for by a create or update: what DRS answered.
     */
    readonly results: pulumi.Output<outputs.JobResult[]>;
    /**
     * The start time as DRS takes it: epoch milliseconds.
     */
    readonly startTime: pulumi.Output<string | undefined>;
    /**
     * Terminate the jobs (and wait until DRS released them) when the batch is deleted. Default false: deleting the batch stops nothing.
     */
    readonly stopOnDelete: pulumi.Output<boolean | undefined>;
    /**
     * How long create, update and delete wait: seconds, or a duration such as `45m` or `1h30m` (10 s to 24 h; default 60 minutes). With `customTimeouts` on the resource, the shorter of the two wins.
     */
    readonly timeout: pulumi.Output<number | string | undefined>;
    /**
     * What `pulumi up` waits for: `running` (default) until every job runs (or, with a start time, waits for it); `incremental` until every job is INCRE_TRANSFER_STARTED (a full-load-only job is done at FULL_TRANSFER_COMPLETE); `accepted` as soon as DRS accepts the requests.
     */
    readonly wait: pulumi.Output<enums.WaitMode | undefined>;
    /**
     * Create a StartedJobBatch resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: StartedJobBatchArgs, opts?: pulumi.CustomResourceOptions);
}
/**
 * The set of arguments for constructing a StartedJobBatch resource.
 */
export interface StartedJobBatchArgs {
    /**
     * Overrides the provider's `apiVersion` for this batch. DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; about ten times the requests).
     */
    apiVersion?: pulumi.Input<string | undefined>;
    /**
     * Overrides the provider's `endpoint` for this batch. DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local emulator's URL.
     */
    endpoint?: pulumi.Input<string | undefined>;
    /**
     * Dual-active DR: the forward jobs of this backward batch (usually the forward batch's `jobIds` output). Before starting, `pulumi up` waits, within the timeout, until each is INCRE_TRANSFER_STARTED with RPO and RTO under 60 s; the preview says what is not yet true.
     */
    forwardJobIds?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    /**
     * DRS job IDs (the form `140b5236-88ad-43c8-811c-1268453jb101`), each listed once. A job added to the batch that cannot be started (unknown to DRS, released, a parent task) fails the preview, named.
     */
    jobIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Overrides the provider's `language` for this batch. Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).
     */
    language?: pulumi.Input<string | undefined>;
    /**
     * Overrides the provider's `projectId` for this batch. Project ID (32 hexadecimal digits); looked up from the region through IAM when unset.
     */
    projectId?: pulumi.Input<string | undefined>;
    /**
     * Overrides the provider's `region` for this batch. Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM endpoints and, when `projectId` is unset, the project looked up through IAM.
     */
    region?: pulumi.Input<string | undefined>;
    /**
     * Start the jobs later: an ISO-8601 time with a timezone, or epoch milliseconds (the normalized output is epoch milliseconds as a string, as DRS takes it). A recorded start time that has passed is never sent again: a job back in CONFIGURATION later is started now. Default: now.
     */
    startTime?: pulumi.Input<string | undefined>;
    /**
     * Terminate the jobs (and wait until DRS released them) when the batch is deleted. Default false: deleting the batch stops nothing.
     */
    stopOnDelete?: pulumi.Input<boolean | undefined>;
    /**
     * How long create, update and delete wait: seconds, or a duration such as `45m` or `1h30m` (10 s to 24 h; default 60 minutes). With `customTimeouts` on the resource, the shorter of the two wins.
     */
    timeout?: pulumi.Input<number | string | undefined>;
    /**
     * What `pulumi up` waits for: `running` (default) until every job runs (or, with a start time, waits for it); `incremental` until every job is INCRE_TRANSFER_STARTED (a full-load-only job is done at FULL_TRANSFER_COMPLETE); `accepted` as soon as DRS accepts the requests.
     */
    wait?: pulumi.Input<enums.WaitMode | undefined>;
}
//# sourceMappingURL=startedJobBatch.d.ts.map