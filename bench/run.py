"""Benchmarks of pulumi-drs against the per-job way, on the DRS emulator: `python bench/run.py [--quick]`.

See bench/cli.py for what runs; bench/results/latest.json keeps the last record.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The script's own folder would make `calls`, `report`... top-level modules: import them as `bench.*` only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
for _path in (REPO / "tests", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.cli import main  # noqa: E402 - needs the paths above

if __name__ == "__main__":
    raise SystemExit(main())
