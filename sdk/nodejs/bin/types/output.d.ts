/**
 * What DRS answered to the request pulumi-drs sent for one job.
 */
export interface JobResult {
    /**
     * DRS's error code for the job, when it refused the request.
     */
    errorCode?: string;
    /**
     * DRS's message, or how pulumi-drs knows the outcome (e.g. after a lost answer).
     */
    errorMsg?: string;
    /**
     * The DRS job ID.
     */
    id: string;
    /**
     * `success` when DRS accepted the request for the job, else `failed`.
     */
    status: string;
}
//# sourceMappingURL=output.d.ts.map