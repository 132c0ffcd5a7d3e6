"""Turning measurements into what a reader sees: aligned tables, goal verdicts, machine facts."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from drs_testing.engine import engine_bin

REPO = Path(__file__).resolve().parents[1]


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A titled table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(list(headers)), rule, *(line(r) for r in cells)])


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "met" if value else "MISSED"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if value.is_integer():
            return str(int(value))
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}".rstrip("0").rstrip(".")
    return "-" if value is None else str(value)


def machine() -> dict[str, Any]:
    return {"nproc": os.cpu_count(), "memory_mib": _memory_mib(), "python": platform.python_version(),
            "platform": platform.platform(), "pulumi_cli": _run(str(engine_bin() / "pulumi"), "version"),
            "pulumi_sdk": metadata.version("pulumi"), "commit": _run("git", "-C", str(REPO), "rev-parse", "HEAD"),
            "uncommitted": [line.split()[-1] for line in
                            _run("git", "-C", str(REPO), "status", "--porcelain", "--", "pulumi_drs").splitlines()],
            "load_average_at_start": load_average()}


def load_average() -> list[float]:
    """1, 5 and 15 minute load: other work on the machine shows up in every timing."""
    return [round(x, 2) for x in os.getloadavg()]


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _memory_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"
