"""Pulumi programs in YAML and TypeScript for the engine tests, written from one description.

A test describes what its program declares (`Batch`es, explicit `Provider`s, stack outputs) once; the
same description becomes a Pulumi YAML project or a TypeScript project that imports the generated
Node.js SDK (`sdk/nodejs`), and the test runs it through the real engine, exactly as a user's project
directory is run (`pulumi preview`/`up` in the project folder, no inline program). TypeScript projects
share one `node_modules` per test session (`NodeModules`): installing @pulumi/pulumi takes a while.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from drs_testing.engine import REPO, EngineStack, engine_bin, engine_env

LANGUAGES = ("yaml", "typescript")
RESOURCE_TYPE = "drs:index:StartedJobBatch"
SDK_NODEJS = REPO / "sdk" / "nodejs"


@dataclass(frozen=True)
class Provider:
    """An explicit provider instance (`pulumi:providers:drs`, `new drs.Provider(...)`); `secrets` are its
    inputs made secret in the program."""

    name: str
    props: Mapping[str, Any]
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    name: str
    props: Mapping[str, Any]
    """Pulumi names (`jobIds`); a string `"${other.jobIds}"` is another batch's output."""
    provider: str | None = None
    custom_timeouts: Mapping[str, str] | None = None
    protect: bool = False


@dataclass(frozen=True)
class Program:
    batches: Sequence[Batch]
    providers: Sequence[Provider] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    """Stack output name -> `batch.property` (Pulumi names)."""


def write(lang: str, program: Program, project_dir: Path, modules: NodeModules | None = None) -> Path:
    """The project directory of `program` in `lang` (files replaced, so a test can change its program)."""
    project_dir.mkdir(parents=True, exist_ok=True)
    if lang == "yaml":
        (project_dir / "Pulumi.yaml").write_text(_yaml(program))
    elif lang == "typescript":
        if modules is None:
            raise ValueError("a TypeScript program needs the session's NodeModules")
        (project_dir / "Pulumi.yaml").write_text("name: drs-native\nruntime: nodejs\n")
        (project_dir / "index.ts").write_text(_typescript(program))
        modules.link(project_dir)
    else:
        raise ValueError(f"no such language {lang!r}")
    return project_dir


def project_stack(project_dir: Path, state_dir: Path, config: Mapping[str, tuple[str, bool]],
                  env: Mapping[str, str] | None = None, stack_name: str = "dev") -> EngineStack:
    """A stack of the project in `project_dir`, with a file backend in `state_dir`."""
    full_env = engine_env(state_dir, env)
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(project_dir), env_vars=full_env,
        pulumi_command=auto.PulumiCommand(root=str(engine_bin().parent), skip_version_check=True))
    stack = auto.create_or_select_stack(stack_name=stack_name, work_dir=str(project_dir), opts=opts)
    for key, (value, secret) in config.items():
        stack.set_config(key, auto.ConfigValue(value=value, secret=secret))
    return EngineStack(stack=stack, env={**os.environ, **full_env}, work_dir=project_dir)


# --- YAML ---------------------------------------------------------------------------------------------


def _yaml(program: Program) -> str:
    resources: dict[str, Any] = {}
    for p in program.providers:
        props = {k: {"fn::secret": v} for k, v in p.secrets.items()}
        resources[p.name] = {"type": "pulumi:providers:drs", "properties": {**p.props, **props}}
    for b in program.batches:
        options: dict[str, Any] = {}
        if b.provider:
            options["provider"] = f"${{{b.provider}}}"
        if b.custom_timeouts:
            options["customTimeouts"] = dict(b.custom_timeouts)
        if b.protect:
            options["protect"] = True
        resources[b.name] = {"type": RESOURCE_TYPE, "properties": dict(b.props),
                             **({"options": options} if options else {})}
    doc = {"name": "drs-native", "runtime": "yaml", "resources": resources,
           "outputs": {k: f"${{{v}}}" for k, v in program.outputs.items()}}
    return json.dumps(doc, indent=2) + "\n"  # JSON is YAML


# --- TypeScript ---------------------------------------------------------------------------------------


def _typescript(program: Program) -> str:
    lines = ['import * as pulumi from "@pulumi/pulumi";', 'import * as drs from "pulumi-drs";', ""]
    for p in program.providers:
        secrets = "".join(f", {k}: pulumi.secret({json.dumps(v)})" for k, v in p.secrets.items())
        lines.append(f"const {_ident(p.name)} = new drs.Provider({json.dumps(p.name)}, "
                     f"{{...{json.dumps(dict(p.props))}{secrets}}});")
    for b in program.batches:
        opts = []
        if b.provider:
            opts.append(f"provider: {_ident(b.provider)}")
        if b.custom_timeouts:
            opts.append(f"customTimeouts: {json.dumps(dict(b.custom_timeouts))}")
        if b.protect:
            opts.append("protect: true")
        args = "{" + ", ".join(f"{k}: {_ts_value(v)}" for k, v in b.props.items()) + "}"
        lines.append(f"const {_ident(b.name)} = new drs.StartedJobBatch({json.dumps(b.name)}, {args}, "
                     f"{{{', '.join(opts)}}});")
    for name, ref in program.outputs.items():
        resource, prop = ref.split(".", 1)
        lines.append(f"export const {name} = {_ident(resource)}.{prop};")
    return "\n".join(lines) + "\n"


def _ts_value(value: Any) -> str:
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        resource, prop = value[2:-1].split(".", 1)
        return f"{_ident(resource)}.{prop}"
    return json.dumps(value)


def _ident(name: str) -> str:
    return "r_" + "".join(c if c.isalnum() else "_" for c in name)


class NodeModules:
    """One `node_modules` with @pulumi/pulumi, TypeScript and the SDK from sdk/nodejs, installed once and
    linked into every TypeScript project of the session."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def install(self) -> NodeModules:
        self.root.mkdir(parents=True, exist_ok=True)
        package = {"name": "drs-native-tests", "private": True, "version": "0.0.0",
                   "dependencies": {"@pulumi/pulumi": "^3.200.0", "typescript": "^5.0.0"}}
        (self.root / "package.json").write_text(json.dumps(package, indent=2))
        npm = shutil.which("npm") or "npm"
        for args in (["install", "--no-audit", "--no-fund"],
                     ["install", "--no-audit", "--no-fund", "--install-links", str(SDK_NODEJS)]):
            done = subprocess.run([npm, *args], cwd=self.root, capture_output=True, text=True, timeout=900,
                                  check=False)
            if done.returncode != 0:
                raise RuntimeError(f"npm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return self

    def link(self, project_dir: Path) -> None:
        target = project_dir / "node_modules"
        if not target.exists():
            target.symlink_to(self.root / "node_modules", target_is_directory=True)
        for name in ("package.json", "package-lock.json"):
            if (self.root / name).exists():
                shutil.copy(self.root / name, project_dir / name)
        (project_dir / "tsconfig.json").write_text(json.dumps({
            "compilerOptions": {"strict": True, "target": "es2020", "module": "commonjs", "moduleResolution": "node",
                                "esModuleInterop": True, "skipLibCheck": True},
            "files": ["index.ts"]}, indent=2))
