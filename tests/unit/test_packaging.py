"""The wheel users install: typed, with the emulator's console script, the version in one place."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pulumi_drs

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_py_typed_the_console_script_and_the_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("pulumi_drs-*.whl")
    assert wheel.name.startswith(f"pulumi_drs-{pulumi_drs.__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "pulumi_drs/py.typed" in names
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "pulumi-drs-emulator = pulumi_drs.emulator.__main__:main" in scripts
    assert "Classifier: Typing :: Typed" in metadata
    assert not any(n.startswith(("tests/", "bench/", "examples/")) for n in names)


def test_the_emulator_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "pulumi-drs-emulator"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--transition-seconds" in done.stdout
