export { ProviderArgs } from "./provider";
export type Provider = import("./provider").Provider;
export declare const Provider: typeof import("./provider").Provider;
export { StartedJobBatchArgs } from "./startedJobBatch";
export type StartedJobBatch = import("./startedJobBatch").StartedJobBatch;
export declare const StartedJobBatch: typeof import("./startedJobBatch").StartedJobBatch;
export * from "./types/enums";
import * as config from "./config";
import * as types from "./types";
export { config, types, };
//# sourceMappingURL=index.d.ts.map