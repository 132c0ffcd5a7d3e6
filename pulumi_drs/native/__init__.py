"""The native provider plugin `pulumi-resource-drs`: StartedJobBatch for every Pulumi language.

A second front door over the same `lifecycle` as the dynamic provider: `server` serves Pulumi's
ResourceProvider gRPC service and translates each request (Pulumi's camelCase names, secrets,
the engine's timeouts, cancellation), `schema` derives the package schema from the code's own
tables, `engine` talks back to the engine (log lines, status on the resource's row). `__main__` is
the console script the engine starts. Nothing here imports the DRS client until a step needs it.
"""
