"""Every program under examples/ deployed by the real pulumi CLI against the emulator, and DRS checked
for what each program asks: jobs started once, a start time that reached DRS, a DR pair in order, no
secret in the state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from drs_testing.e2e import SK, calls, emulator_config, start_counts
from drs_testing.engine import REPO, engine_bin, engine_env
from pulumi_drs.emulator import EmulatorAdmin, EmulatorProcess

EXAMPLES = REPO / "examples"
RUNNING = ("FULL_TRANSFER_STARTED", "INCRE_TRANSFER_STARTED")


class Project:
    """An example copied into a project of its own, with a stack `dev` on a local file backend."""

    def __init__(self, name: str, root: Path, emulator: EmulatorProcess) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True)
        shutil.copy(EXAMPLES / name / "__main__.py", self.dir / "__main__.py")
        (self.dir / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
        self.env = engine_env(root / "engine")
        self.cli("stack", "init", "dev")
        for key, (value, secret) in emulator_config(emulator).items():
            self.config(key, value, secret=secret)

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(engine_bin() / "pulumi"), *args, "--non-interactive"], cwd=self.dir,
                              env={**os.environ, **self.env}, capture_output=True, text=True, timeout=600,
                              check=False)
        assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def config(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        self.cli("config", "set", *(["--secret"] if secret else []), *(["--path"] if path else []), key, value)

    def up(self) -> dict[str, object]:
        self.cli("up", "--yes", "--skip-preview")
        outputs: dict[str, object] = json.loads(self.cli("stack", "output", "--json", "--show-secrets"))
        return outputs


MakeProject = Callable[[str], Project]


@pytest.fixture
def project(tmp_path: Path, emulator: EmulatorProcess) -> MakeProject:
    def make(name: str) -> Project:
        return Project(name, tmp_path, emulator)

    return make


def test_every_example_has_a_test() -> None:
    tested = {"quickstart", "scheduled-start", "dr-pair", "secret-credentials", "yaml", "typescript"}
    assert {p.name for p in EXAMPLES.iterdir() if p.is_dir()} == tested


class Copied(Project):
    """An example in another language: its folder copied whole (the Python ones are set up above)."""

    def __init__(self, name: str, root: Path, emulator: EmulatorProcess, config: dict[str, tuple[str, bool]]) -> None:
        self.dir = root / name
        shutil.copytree(EXAMPLES / name, self.dir)
        self.env = engine_env(root / "engine")
        self.cli("stack", "init", "dev")
        for key, (value, secret) in config.items():
            self.config(key, value, secret=secret)


def test_the_yaml_example_starts_the_backward_task_after_its_forward_task(
        tmp_path: Path, admin: EmulatorAdmin, emulator: EmulatorProcess) -> None:
    forward = admin.create_jobs(1, rpo=5, rto=5)[0]["id"]
    backward = admin.create_jobs([{"forward_job_id": forward, "rpo": 5, "rto": 5}])[0]["id"]
    p = Copied("yaml", tmp_path, emulator, {**emulator_config(emulator), "forwardJobId": (forward, False),
                                            "backwardJobId": (backward, False)})
    outputs = p.up()
    assert outputs["forwardStatuses"] == {forward: "INCRE_TRANSFER_STARTED"}
    assert set(outputs["backwardStatuses"].values()) <= set(RUNNING)  # type: ignore[union-attr]
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[forward], [backward]]
    assert start_counts(admin, [forward, backward]) == {forward: 1, backward: 1}


def test_the_typescript_example_installs_from_the_checkout_and_starts_each_job_once_with_its_provider(
        tmp_path: Path, admin: EmulatorAdmin, emulator: EmulatorProcess) -> None:
    jobs = [j["id"] for j in admin.create_jobs(2)]
    settings = {key.removeprefix("drs:"): value for key, value in emulator_config(emulator).items()}
    p = Copied("typescript", tmp_path, emulator, {**settings, "jobIds": (json.dumps(jobs), False)})
    package = json.loads((p.dir / "package.json").read_text())
    package["dependencies"]["pulumi-drs"] = f"file:{REPO / 'sdk' / 'nodejs'}"  # the copy is out of the checkout
    (p.dir / "package.json").write_text(json.dumps(package))
    npm = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=p.dir, capture_output=True, text=True,
                         timeout=900, check=False)
    assert npm.returncode == 0, npm.stdout + npm.stderr
    assert not (p.dir / "node_modules" / "pulumi-drs").is_symlink()  # .npmrc: install-links, a real copy

    outputs = p.up()
    assert outputs["statuses"] == {j: "INCRE_TRANSFER_STARTED" for j in jobs} and outputs["count"] == 2
    assert start_counts(admin, jobs) == {j: 1 for j in jobs}
    assert SK not in p.cli("stack", "export")


@pytest.mark.parametrize("api_version", ["v3", "v5"])
def test_quickstart_starts_each_job_once(admin: EmulatorAdmin, project: MakeProject, api_version: str) -> None:
    jobs = [j["id"] for j in admin.create_jobs(3)]
    p = project("quickstart")
    p.config("drs:apiVersion", api_version)
    for index, job in enumerate(jobs):
        p.config(f"jobIds[{index}]", job, path=True)
    outputs = p.up()
    assert set(outputs["job_statuses"].values()) <= set(RUNNING)  # type: ignore[union-attr]
    assert start_counts(admin, jobs) == {j: 1 for j in jobs}


def test_scheduled_start_sends_the_start_time_to_drs(admin: EmulatorAdmin, project: MakeProject) -> None:
    job = admin.create_jobs(1)[0]["id"]
    when = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    p = project("scheduled-start")
    p.config("jobIds[0]", job, path=True)
    p.config("startTime", when.isoformat().replace("+00:00", "Z"))
    outputs = p.up()
    assert outputs["job_statuses"] == {job: "WAITING_FOR_START"}
    assert outputs["start_time"] == str(int(when.timestamp() * 1000))
    assert admin.get_job(job)["scheduled_start"] == when.timestamp()
    assert start_counts(admin, [job]) == {job: 1}


def test_dr_pair_starts_the_backward_task_after_its_forward_task(admin: EmulatorAdmin,
                                                               project: MakeProject) -> None:
    forward = admin.create_jobs(1, rpo=5, rto=5)[0]["id"]
    backward = admin.create_jobs([{"forward_job_id": forward, "rpo": 5, "rto": 5}])[0]["id"]
    p = project("dr-pair")
    p.config("forwardJobId", forward)
    p.config("backwardJobId", backward)
    outputs = p.up()
    assert outputs["forward_statuses"] == {forward: "INCRE_TRANSFER_STARTED"}
    assert set(outputs["backward_statuses"].values()) <= set(RUNNING)  # type: ignore[union-attr]
    assert [r["job_ids"] for r in calls(admin, "batch-starting")] == [[forward], [backward]]
    assert start_counts(admin, [forward, backward]) == {forward: 1, backward: 1}


def test_secret_credentials_keep_the_secret_key_out_of_the_state(admin: EmulatorAdmin,
                                                                project: MakeProject) -> None:
    job = admin.create_jobs(1)[0]["id"]
    p = project("secret-credentials")
    p.config("jobIds[0]", job, path=True)
    p.up()
    assert SK not in p.cli("stack", "export")
    assert start_counts(admin, [job]) == {job: 1}
