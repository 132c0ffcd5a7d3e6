export declare const WaitMode: {
    /**
     * Until every job runs, or waits for its start time.
     */
    readonly Running: "running";
    /**
     * Until every job is INCRE_TRANSFER_STARTED.
     */
    readonly Incremental: "incremental";
    /**
     * As soon as DRS accepts the requests.
     */
    readonly Accepted: "accepted";
};
export type WaitMode = (typeof WaitMode)[keyof typeof WaitMode];
//# sourceMappingURL=index.d.ts.map