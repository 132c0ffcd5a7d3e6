"""The real Pulumi engine for tests: the CLI built by scripts/install-pulumi, a local file backend per
test, and Automation API inline programs (the program runs in the test process; the engine runs the
dynamic provider in its own `python -m pulumi.dynamic` process, as in production).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[2]
ENGINE_BIN = REPO / ".tools" / "pulumi" / "bin"
PROJECT = "drs-e2e"


def engine_bin() -> Path:
    """The folder holding `pulumi`; fails (never skips) when the engine is not installed."""
    if (ENGINE_BIN / "pulumi").exists():
        return ENGINE_BIN
    found = shutil.which("pulumi")
    if found:
        return Path(found).parent
    raise RuntimeError("the Pulumi CLI is not installed: run scripts/install-pulumi (make test does)")


def engine_env(state_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    bin_dir = engine_bin()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_HOME": str(state_dir / "home"),
        "PULUMI_BACKEND_URL": f"file://{state_dir / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": "pulumi-drs-tests",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PULUMI_DRS_POLL_INTERVAL_MAX": "0.3",
        "PULUMI_DRS_BACKOFF_FACTOR": "0.05",
    }
    (state_dir / "backend").mkdir(parents=True, exist_ok=True)
    env.update(extra or {})
    return env


@dataclass
class EngineStack:
    """One stack of an inline program; `program_args` is read by the program at each run."""

    stack: auto.Stack
    env: dict[str, str]
    work_dir: Path
    program_args: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def _out(self, line: str) -> None:
        self.log.append(line)

    def preview(self, **kw: Any) -> auto.PreviewResult:
        return self.stack.preview(on_output=self._out, color="never", **kw)

    def up(self, **kw: Any) -> auto.UpResult:
        return self.stack.up(on_output=self._out, color="never", **kw)

    def refresh(self, **kw: Any) -> auto.RefreshResult:
        return self.stack.refresh(on_output=self._out, color="never", **kw)

    def destroy(self, **kw: Any) -> auto.DestroyResult:
        return self.stack.destroy(on_output=self._out, color="never", **kw)

    def export(self) -> str:
        """`pulumi stack export` as a user runs it (the Automation API's export shows secrets)."""
        return self.cli("stack", "export", "--stack", self.stack.name)

    def cli(self, *args: str) -> str:
        """Run the pulumi CLI in this stack's project; returns stdout, raises on failure."""
        done = subprocess.run([str(engine_bin() / "pulumi"), *args], cwd=self.work_dir, env=self.env,
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} failed: {done.stdout}\n{done.stderr}")
        return done.stdout

    def text(self) -> str:
        """Everything the CLI printed during this stack's operations, a line per output line."""
        return "\n".join(self.log)


def make_stack(
    state_dir: Path,
    program: Callable[[dict[str, Any]], None],
    config: Mapping[str, tuple[str, bool]],
    env: Mapping[str, str] | None = None,
    stack_name: str = "dev",
) -> EngineStack:
    """A stack whose program is `program(program_args)`; config values are (value, is_secret)."""
    holder: dict[str, Any] = {}

    def run() -> None:
        program(holder)

    work_dir = state_dir / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    settings = auto.ProjectSettings(name=PROJECT, runtime="python")
    full_env = engine_env(state_dir, env)
    workspace_opts = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir), env_vars=full_env, project_settings=settings,
        pulumi_command=auto.PulumiCommand(root=str(engine_bin().parent), skip_version_check=True),
    )
    stack = auto.create_or_select_stack(stack_name=stack_name, project_name=PROJECT, program=run,
                                        opts=workspace_opts)
    for key, (value, secret) in config.items():
        stack.set_config(key, auto.ConfigValue(value=value, secret=secret))
    return EngineStack(stack=stack, env={**os.environ, **full_env}, work_dir=work_dir, program_args=holder)
