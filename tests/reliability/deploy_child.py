"""`python deploy_child.py SPEC.json`: one Automation API operation on one stack, in this process.

Run by `support.start_child` so that a test can SIGKILL the whole deploy (this process, the pulumi
CLI it starts and the CLI's plugins share one process group), or run several stacks in parallel
without sharing the Pulumi SDK's process-wide state. Writes `{"ok", "outputs" | "error"}` to the
spec's `result` path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi import automation as auto

from drs_testing.e2e import batch_program
from drs_testing.engine import make_stack


def run(spec: dict[str, Any]) -> dict[str, Any]:
    config = {key: (value, bool(secret)) for key, (value, secret) in spec["config"].items()}
    es = make_stack(Path(spec["state_dir"]), batch_program, config, env=spec["env"])
    es.program_args["batches"] = spec["batches"]
    try:
        result = getattr(es, spec["action"])()
    except auto.CommandError as error:
        return {"ok": False, "error": str(error)}
    outputs = getattr(result, "outputs", {}) or {}
    return {"ok": True, "outputs": {name: out.value for name, out in outputs.items()}}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print("deploy_child: running", spec["action"], flush=True)
    result = run(spec)
    Path(spec["result"]).write_text(json.dumps(result))
    print("deploy_child: done", result["ok"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
