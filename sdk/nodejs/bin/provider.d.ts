import * as pulumi from "@pulumi/pulumi";
/**
 * The DRS provider. The default provider reads the stack's `drs:*` configuration; an explicit instance
 * carries its own settings and credentials (a DR pair across two accounts or regions). Unset settings fall back to
 * the environment variables users of the Huawei Cloud Terraform provider and SDK set (`HW_ACCESS_KEY`, ...).
 */
export declare class Provider extends pulumi.ProviderResource {
    /**
     * Returns true if the given object is an instance of Provider.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    static isInstance(obj: any): obj is Provider;
    /**
     * DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; about ten times the requests). Unset: `HW_DRS_API_VERSION` from the environment.
     */
    readonly apiVersion: pulumi.Output<string | undefined>;
    /**
     * Account (domain) name of the IAM user. Unset: `HW_DOMAIN_NAME` from the environment.
     */
    readonly domainName: pulumi.Output<string | undefined>;
    /**
     * DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local emulator's URL. Unset: `HW_DRS_ENDPOINT` from the environment.
     */
    readonly endpoint: pulumi.Output<string | undefined>;
    /**
     * IAM endpoint, for password tokens and the project lookup; default `https://iam.{region}.myhuaweicloud.com`. Unset: `HW_IAM_ENDPOINT` from the environment.
     */
    readonly iamEndpoint: pulumi.Output<string | undefined>;
    /**
     * Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).
     */
    readonly language: pulumi.Output<string | undefined>;
    /**
     * Project ID (32 hexadecimal digits); looked up from the region through IAM when unset. Unset: `HW_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID` from the environment.
     */
    readonly projectId: pulumi.Output<string | undefined>;
    /**
     * Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM endpoints and, when `projectId` is unset, the project looked up through IAM. Unset: `HW_REGION_NAME` from the environment.
     */
    readonly region: pulumi.Output<string | undefined>;
    /**
     * IAM user name: with `password` and `domainName`, pulumi-drs fetches project-scoped IAM tokens (cached until 5 minutes before they expire). Unset: `HW_USER_NAME` from the environment.
     */
    readonly userName: pulumi.Output<string | undefined>;
    /**
     * Create a Provider resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions);
}
/**
 * The set of arguments for constructing a Provider resource.
 */
export interface ProviderArgs {
    /**
     * Access key (AK) of AK/SK request signing (SDK-HMAC-SHA256), with `secretKey`. Unset: `HW_ACCESS_KEY`, then `HUAWEICLOUD_SDK_AK` from the environment.
     */
    accessKey?: pulumi.Input<string | undefined>;
    /**
     * DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; about ten times the requests). Unset: `HW_DRS_API_VERSION` from the environment.
     */
    apiVersion?: pulumi.Input<string | undefined>;
    /**
     * A ready IAM token, sent as `X-Auth-Token` instead of signing with AK/SK. Unset: `HW_AUTH_TOKEN` from the environment.
     */
    authToken?: pulumi.Input<string | undefined>;
    /**
     * Seconds of the first pause between tries; each next one doubles (with jitter). Unset: `PULUMI_DRS_BACKOFF_FACTOR` from the environment.
     */
    backoffFactor?: pulumi.Input<number | undefined>;
    /**
     * Longest pause between tries, seconds. Unset: `PULUMI_DRS_BACKOFF_MAX` from the environment.
     */
    backoffMax?: pulumi.Input<number | undefined>;
    /**
     * Seconds to wait for a connection to DRS or IAM. Unset: `PULUMI_DRS_CONNECT_TIMEOUT` from the environment.
     */
    connectTimeout?: pulumi.Input<number | undefined>;
    /**
     * Account (domain) name of the IAM user. Unset: `HW_DOMAIN_NAME` from the environment.
     */
    domainName?: pulumi.Input<string | undefined>;
    /**
     * DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local emulator's URL. Unset: `HW_DRS_ENDPOINT` from the environment.
     */
    endpoint?: pulumi.Input<string | undefined>;
    /**
     * IAM endpoint, for password tokens and the project lookup; default `https://iam.{region}.myhuaweicloud.com`. Unset: `HW_IAM_ENDPOINT` from the environment.
     */
    iamEndpoint?: pulumi.Input<string | undefined>;
    /**
     * Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).
     */
    language?: pulumi.Input<string | undefined>;
    /**
     * Jobs per DRS request, at most (DRS takes 100). Unset: `PULUMI_DRS_MAX_BATCH_SIZE` from the environment.
     */
    maxBatchSize?: pulumi.Input<number | undefined>;
    /**
     * Tries after the first of a request that failed for a passing reason (a call that changes jobs is re-sent only after DRS was asked what took effect). Unset: `PULUMI_DRS_MAX_RETRIES` from the environment.
     */
    maxRetries?: pulumi.Input<number | undefined>;
    /**
     * Password of the IAM user. Unset: `HW_PASSWORD` from the environment.
     */
    password?: pulumi.Input<string | undefined>;
    /**
     * Longest pause between status reads while `pulumi up` waits, seconds. Unset: `PULUMI_DRS_POLL_INTERVAL_MAX` from the environment.
     */
    pollIntervalMax?: pulumi.Input<number | undefined>;
    /**
     * Project ID (32 hexadecimal digits); looked up from the region through IAM when unset. Unset: `HW_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID` from the environment.
     */
    projectId?: pulumi.Input<string | undefined>;
    /**
     * Seconds to wait for an answer from DRS or IAM. Unset: `PULUMI_DRS_READ_TIMEOUT` from the environment.
     */
    readTimeout?: pulumi.Input<number | undefined>;
    /**
     * Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM endpoints and, when `projectId` is unset, the project looked up through IAM. Unset: `HW_REGION_NAME` from the environment.
     */
    region?: pulumi.Input<string | undefined>;
    /**
     * Seconds after a request's first failure past which it is not tried again. Unset: `PULUMI_DRS_RETRY_DEADLINE_SECONDS` from the environment.
     */
    retryDeadlineSeconds?: pulumi.Input<number | undefined>;
    /**
     * Secret key (SK) of AK/SK request signing. Unset: `HW_SECRET_KEY`, then `HUAWEICLOUD_SDK_SK` from the environment.
     */
    secretKey?: pulumi.Input<string | undefined>;
    /**
     * Security token of a temporary AK/SK. Unset: `HW_SECURITY_TOKEN`, then `HUAWEICLOUD_SDK_SECURITY_TOKEN` from the environment.
     */
    securityToken?: pulumi.Input<string | undefined>;
    /**
     * IAM user name: with `password` and `domainName`, pulumi-drs fetches project-scoped IAM tokens (cached until 5 minutes before they expire). Unset: `HW_USER_NAME` from the environment.
     */
    userName?: pulumi.Input<string | undefined>;
}
//# sourceMappingURL=provider.d.ts.map