"""`make sweep`: the whole crash-point sweep (tests/reliability/sweep.py), every request of every
operation through both front doors, at both kinds of point. Prints a line per point and a summary;
writes the record to `--out` (default: tests/reliability/sweep-latest.json, git-ignored). Stops at the
first broken promise, naming the point. About 20-30 minutes on 2 cores."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_drs.emulator import EmulatorProcess
from reliability.support import emulator_args, fresh
from reliability.sweep import DOORS, KINDS, OPERATIONS, Point, count_requests, crash_at, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doors", nargs="*", default=list(DOORS))
    parser.add_argument("--operations", nargs="*", default=list(OPERATIONS))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("sweep-latest.json"))
    args = parser.parse_args()
    points: list[Point] = []
    counts: dict[tuple[str, str], int] = {}
    with EmulatorProcess(*emulator_args()) as emu, tempfile.TemporaryDirectory(prefix="drs-sweep-") as tmp:
        for door in args.doors:
            for name in args.operations:
                op = OPERATIONS[name]
                paths = count_requests(DOORS[door](Path(tmp) / f"{door}-{name}-count", emu), fresh(emu.admin), op)
                counts[(door, name)] = len(paths)
                print(f"{door} {name}: {len(paths)} DRS requests: {', '.join(p.rsplit('/', 1)[1] for p in paths)}",
                      flush=True)
                for k in range(1, len(paths) + 1):
                    for kind in KINDS:
                        started = time.monotonic()
                        point = Point(door, name, k, kind)
                        try:
                            fresh_door = DOORS[door](Path(tmp) / f"{door}-{name}-{kind}-{k}", emu)
                            point.killed = crash_at(fresh_door, fresh(emu.admin), op, k, kind)
                        except Exception as exc:
                            print(f"BROKEN at {door} {name} k={k} ({kind}): {exc}", flush=True)
                            return 1
                        point.seconds = round(time.monotonic() - started, 1)
                        points.append(point)
                        how = "ok" if point.killed else "ok (the run ended on its own, before the kill)"
                        print(f"  k={k:2d} {kind:5s} {how} ({point.seconds:.0f} s)", flush=True)
    print(report(points, counts, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
