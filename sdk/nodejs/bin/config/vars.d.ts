/**
 * Access key (AK) of AK/SK request signing (SDK-HMAC-SHA256), with `secretKey`. Unset: `HW_ACCESS_KEY`, then `HUAWEICLOUD_SDK_AK` from the environment.
 */
export declare const accessKey: string | undefined;
/**
 * DRS API version: `v3` (default: the documented batch API) or `v5` (public beta in some regions; about ten times the requests). Unset: `HW_DRS_API_VERSION` from the environment.
 */
export declare const apiVersion: string | undefined;
/**
 * A ready IAM token, sent as `X-Auth-Token` instead of signing with AK/SK. Unset: `HW_AUTH_TOKEN` from the environment.
 */
export declare const authToken: string | undefined;
/**
 * Seconds of the first pause between tries; each next one doubles (with jitter). Unset: `PULUMI_DRS_BACKOFF_FACTOR` from the environment.
 */
export declare const backoffFactor: number | undefined;
/**
 * Longest pause between tries, seconds. Unset: `PULUMI_DRS_BACKOFF_MAX` from the environment.
 */
export declare const backoffMax: number | undefined;
/**
 * Seconds to wait for a connection to DRS or IAM. Unset: `PULUMI_DRS_CONNECT_TIMEOUT` from the environment.
 */
export declare const connectTimeout: number | undefined;
/**
 * Account (domain) name of the IAM user. Unset: `HW_DOMAIN_NAME` from the environment.
 */
export declare const domainName: string | undefined;
/**
 * DRS endpoint; default `https://drs.{region}.myhuaweicloud.com` (`.eu` for eu-west-101), or a local emulator's URL. Unset: `HW_DRS_ENDPOINT` from the environment.
 */
export declare const endpoint: string | undefined;
/**
 * IAM endpoint, for password tokens and the project lookup; default `https://iam.{region}.myhuaweicloud.com`. Unset: `HW_IAM_ENDPOINT` from the environment.
 */
export declare const iamEndpoint: string | undefined;
/**
 * Language of DRS's messages: `en-us` (default) or `zh-cn` (`X-Language`).
 */
export declare const language: string | undefined;
/**
 * Jobs per DRS request, at most (DRS takes 100). Unset: `PULUMI_DRS_MAX_BATCH_SIZE` from the environment.
 */
export declare const maxBatchSize: number | undefined;
/**
 * Tries after the first of a request that failed for a passing reason (a call that changes jobs is re-sent only after DRS was asked what took effect). Unset: `PULUMI_DRS_MAX_RETRIES` from the environment.
 */
export declare const maxRetries: number | undefined;
/**
 * Password of the IAM user. Unset: `HW_PASSWORD` from the environment.
 */
export declare const password: string | undefined;
/**
 * Longest pause between status reads while `pulumi up` waits, seconds. Unset: `PULUMI_DRS_POLL_INTERVAL_MAX` from the environment.
 */
export declare const pollIntervalMax: number | undefined;
/**
 * Project ID (32 hexadecimal digits); looked up from the region through IAM when unset. Unset: `HW_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID` from the environment.
 */
export declare const projectId: string | undefined;
/**
 * Seconds to wait for an answer from DRS or IAM. Unset: `PULUMI_DRS_READ_TIMEOUT` from the environment.
 */
export declare const readTimeout: number | undefined;
/**
 * Huawei Cloud region of the DRS jobs, such as `ap-southeast-1`: it chooses the default DRS and IAM endpoints and, when `projectId` is unset, the project looked up through IAM. Unset: `HW_REGION_NAME` from the environment.
 */
export declare const region: string | undefined;
/**
 * Seconds after a request's first failure past which it is not tried again. Unset: `PULUMI_DRS_RETRY_DEADLINE_SECONDS` from the environment.
 */
export declare const retryDeadlineSeconds: number | undefined;
/**
 * Secret key (SK) of AK/SK request signing. Unset: `HW_SECRET_KEY`, then `HUAWEICLOUD_SDK_SK` from the environment.
 */
export declare const secretKey: string | undefined;
/**
 * Security token of a temporary AK/SK. Unset: `HW_SECURITY_TOKEN`, then `HUAWEICLOUD_SDK_SECURITY_TOKEN` from the environment.
 */
export declare const securityToken: string | undefined;
/**
 * IAM user name: with `password` and `domainName`, pulumi-drs fetches project-scoped IAM tokens (cached until 5 minutes before they expire). Unset: `HW_USER_NAME` from the environment.
 */
export declare const userName: string | undefined;
//# sourceMappingURL=vars.d.ts.map