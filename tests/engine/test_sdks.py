"""The committed SDKs under sdk/ are what `make sdks` generates from schema.json, and they build: the Go
SDK with `go build`, a TypeScript program against the Node.js SDK with `tsc` (a wrong input type fails)."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from drs_testing.engine import REPO
from drs_testing.programs import Batch, NodeModules, Program, write

GENERATED_IGNORED = {"node_modules", "build", "__pycache__"}
"""What installing an SDK leaves in its folder (git ignores it too)."""


def go() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(found).exists():
        raise RuntimeError("no Go toolchain: the SDK generator and the Go SDK need Go >= 1.26")
    return found


def run(args: list[str], cwd: Path, timeout: float = 900) -> str:
    env = {**os.environ, "PATH": f"{Path(go()).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def differences(left: Path, right: Path) -> list[str]:
    cmp = filecmp.dircmp(left, right, ignore=[*GENERATED_IGNORED, *(p.name for p in left.glob("*.egg-info"))])
    found = [f"only in {left}: {n}" for n in cmp.left_only] + [f"only in {right}: {n}" for n in cmp.right_only]
    found += [f"differs: {left / n}" for n in cmp.diff_files]
    for name in cmp.common_dirs:
        found += differences(left / name, right / name)
    return found


def test_the_committed_sdks_are_what_the_generator_writes_from_the_schema(tmp_path: Path) -> None:
    run([go(), "-C", str(REPO / "cmd" / "pulumi-gen-drs"), "run", ".", str(REPO / "schema.json"), str(tmp_path)],
        REPO)
    assert differences(REPO / "sdk", tmp_path) == [], "sdk/ is stale: run `make sdks`"


def test_the_go_sdk_builds(tmp_path: Path) -> None:
    run([go(), "build", "./..."], REPO / "sdk" / "go")
    run([go(), "vet", "./..."], REPO / "sdk" / "go")


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> NodeModules:
    return NodeModules(tmp_path_factory.mktemp("tsc")).install()


def test_a_typescript_program_type_checks_against_the_sdk_and_a_wrong_input_does_not(
        tmp_path: Path, typed: NodeModules) -> None:
    tsc = str(typed.root / "node_modules" / ".bin" / "tsc")
    good = write("typescript", Program([Batch("b", {"jobIds": ["x"], "wait": "running", "stopOnDelete": True,
                                                    "timeout": "45m"})], outputs={"n": "b.count"}),
                 tmp_path / "good", typed)
    run([tsc, "--noEmit", "-p", "."], good)
    bad = write("typescript", Program([Batch("b", {"jobIds": "x", "wait": "soon"})]), tmp_path / "bad", typed)
    done = subprocess.run([tsc, "--noEmit", "-p", "."], cwd=bad, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "Type 'string' is not assignable to type 'Input<Input<string>[]>'" in done.stdout  # jobIds
    assert "Type '\"soon\"' is not assignable to type 'Input<WaitMode | undefined>'" in done.stdout
