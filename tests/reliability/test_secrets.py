"""Secrets: a full preview, up, refresh and destroy (plus a failed up and a rejected credential) with each
kind of credential, the engine at its most verbose (`-v=9 --logtostderr --logflow --debug`) and the
provider process logging at DEBUG to its stderr (which the engine relays into that log). No secret
value, and no IAM token the emulator issued, may appear in what a user or an operator can see:
`pulumi stack export`, the state backend's files, the engine's output and verbose log, any error
message, the emulator's request log, or the pickled provider.

Then DRS itself echoes secrets in its error texts (an answer quoting the configured key, password or
token, the IAM token it issued, a signed `Authorization` header, or a stale secret left in the
environment under the one the stack configures) on a failing preview, up and refresh: the texts
reach the user redacted, and none of those values anywhere else."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dill
import pytest
from pulumi import automation as auto

from drs_testing.e2e import PROJECT_ID, batch_program
from drs_testing.engine import EngineStack, make_stack
from pulumi_drs.emulator import EmulatorAdmin, EmulatorConfig, EmulatorProcess
from pulumi_drs.emulator import iam as emulator_iam
from reliability.support import FAST_ENV, RUNNING, ThreadedEmulator, assert_started_once, fresh

AK = "SECRETSTESTAK0000001"
SK = "sk-9f3a7c21-secret-value-never-shown"
USER, DOMAIN = "secrets-user", "secrets-domain"
PASSWORD = "pw-4b8e2d90-secret-value-never-shown"
TOKEN = "tok-7c1e5a44-secret-value-never-shown"
RIGHT = {"aksk": SK, "password": PASSWORD, "token": TOKEN}
WRONG = {"aksk": ("drs:secretKey", "sk-wrong-0c9d-secret-never-shown"),
         "password": ("drs:password", "pw-wrong-6e1f-secret-never-shown"),
         "token": ("drs:authToken", "tok-wrong-3a8b-secret-never-shown")}
ISSUED_TOKEN = re.compile(r"MII[A-Za-z0-9_\-]{20,}")
"""The emulator's IAM issues tokens of this form (password login); none may be shown anywhere."""
VERBOSE: dict[str, Any] = {"log_verbosity": 9, "log_to_std_err": True, "log_flow": True, "debug": True}
PROVIDER_DEBUG_LOGGING = (
    "import logging, sys\n"
    "logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format='PROVIDER-LOG %(name)s %(message)s')\n"
)


@pytest.fixture(scope="module")
def drs() -> Iterator[EmulatorProcess]:
    with EmulatorProcess("--transition-seconds", "0.1", "--access-key", AK, "--secret-key", SK,
                         "--project-id", PROJECT_ID, "--user-name", USER, "--password", PASSWORD,
                         "--domain-name", DOMAIN, "--auth-token", TOKEN) as emu:
        yield emu


def credentials(kind: str, url: str) -> dict[str, tuple[str, bool]]:
    common = {"drs:endpoint": (url, False), "drs:projectId": (PROJECT_ID, False)}
    if kind == "aksk":
        return {**common, "drs:accessKey": (AK, True), "drs:secretKey": (SK, True)}
    if kind == "password":
        return {**common, "drs:userName": (USER, False), "drs:password": (PASSWORD, True),
                "drs:domainName": (DOMAIN, False), "drs:region": ("cn-north-4", False),
                "drs:iamEndpoint": (url, False)}
    return {**common, "drs:authToken": (TOKEN, True)}


@dataclass
class Seen:
    """Everything collected for the scan, by where it came from."""

    texts: dict[str, str]

    def add(self, source: str, text: str | bytes) -> None:
        value = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.texts[source] = self.texts.get(source, "") + value

    def leaks(self, secrets: list[str]) -> list[str]:
        found = [f"{name!r} in {source}" for source, text in self.texts.items()
                 for name in secrets if name in text]
        found += [f"an issued IAM token in {source}" for source, text in self.texts.items()
                  if ISSUED_TOKEN.search(text)]
        return found


def run(seen: Seen, label: str, operation: Any, **kwargs: Any) -> Any:
    try:
        result = operation(**kwargs)
    except auto.CommandError as error:
        seen.add(f"error message of {label}", str(error))
        return error
    seen.add(f"{label} output", result.stdout)
    seen.add(f"{label} verbose engine log", result.stderr)
    return result


@pytest.mark.parametrize("kind", ["aksk", "password", "token"])
def test_no_secret_reaches_state_logs_errors_request_log_or_pickled_provider(
        tmp_path: Path, drs: EmulatorProcess, record: Callable[..., None], kind: str) -> None:
    admin = fresh(drs.admin)
    config = credentials(kind, drs.url)
    es = make_stack(tmp_path / "stack", batch_program, config,
                    env={**FAST_ENV, "PYTHONPATH": provider_logging(tmp_path)})
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "stop_on_delete": True}}
    seen = Seen({})

    exercise(es, admin, seen, kind)

    assert_started_once(admin, job_ids)
    assert all(admin.get_job(j)["terminate_count"] == 1 for j in job_ids)
    assert "PROVIDER-LOG pulumi_drs.transport" in seen.texts["up verbose engine log"], "provider stderr not captured"
    if kind == "password":
        assert any(r["path"] == "/v3/auth/tokens" for r in admin.requests_log()), "no IAM token was issued"
    seen.add("emulator request log", json.dumps(admin.requests_log()))
    secrets = [AK, SK, PASSWORD, TOKEN, WRONG[kind][1]]
    assert not seen.leaks(secrets), seen.leaks(secrets)
    record(credentials=kind, sources=sorted(seen.texts), bytes_scanned=sum(len(t) for t in seen.texts.values()))


def provider_logging(tmp_path: Path) -> str:
    """A PYTHONPATH whose sitecustomize makes every Python process of the engine log at DEBUG to stderr."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(PROVIDER_DEBUG_LOGGING)
    return str(hook)


def exercise(es: EngineStack, admin: Any, seen: Seen, kind: str) -> None:
    """preview, a rejected credential, a failed up, up, refresh, export, destroy: collecting all output."""
    key, wrong = WRONG[kind]
    assert not isinstance(run(seen, "preview", es.preview, **VERBOSE), auto.CommandError)
    es.stack.set_config(key, auto.ConfigValue(wrong, secret=True))
    rejected = run(seen, "preview with a wrong credential", es.preview, **VERBOSE)
    assert isinstance(rejected, auto.CommandError) and "401" in str(rejected), rejected
    es.stack.set_config(key, auto.ConfigValue(RIGHT[kind], secret=True))
    admin.add_fault("batch-starting", mode="status", status=500, times=0)
    assert isinstance(run(seen, "failing up", es.up, **VERBOSE), auto.CommandError)
    admin.clear_faults()
    assert not isinstance(run(seen, "up", es.up, **VERBOSE), auto.CommandError)
    assert not isinstance(run(seen, "refresh", es.refresh, **VERBOSE), auto.CommandError)
    exported = es.export()
    seen.add("pulumi stack export", exported)
    seen.add("pickled provider", pickled_provider(exported))
    assert not isinstance(run(seen, "destroy", es.destroy, **VERBOSE), auto.CommandError)
    for path in sorted((es.work_dir.parent / "backend").rglob("*")):
        if path.is_file():
            seen.add("state backend files", path.read_bytes())


def pickled_provider(exported: str) -> bytes:
    """The batch's `__provider` blob, decoded; it must also unpickle to an instance holding nothing."""
    resources = json.loads(exported)["deployment"]["resources"]
    batch = next(r for r in resources if r["type"].endswith("drs:StartedJobBatch"))
    blob = base64.b64decode(batch["inputs"]["__provider"])
    assert vars(dill.loads(blob)) == {}
    return blob


# --- DRS echoing secrets in its error texts ------------------------------------------------------

ISSUED = "MIIissuedTokenOfTheEchoTests0123456789abcdef"
"""The IAM token the echoing emulator issues for every password login (known, so a fault can quote it)."""
SIGNATURE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
STALE = {"aksk": ("HW_SECRET_KEY", "sk-stale-5d2e-secret-never-shown"),
         "password": ("HW_PASSWORD", "pw-stale-8a1c-secret-never-shown"),
         "token": ("HW_AUTH_TOKEN", "tok-stale-2f7b-secret-never-shown")}
"""Per credential kind, a stale secret in the engine's environment that the stack's configuration overrides."""
OWN = {"aksk": (f"secret_key={SK}", "secret_key=***"),
       "password": (f"password={PASSWORD} issued {ISSUED}", "password=*** issued ***"),
       "token": (f"token {TOKEN}", "token ***")}
"""Per credential kind, DRS quoting the secrets in use, and how the user must see it."""


def echo(kind: str) -> tuple[str, str]:
    """The error text DRS answers, and the same text as the user must see it."""
    own, shown = OWN[kind]
    header = "Authorization: SDK-HMAC-SHA256 Access=HPUAEXAMPLE, SignedHeaders=host;x-sdk-date, Signature="
    text = f"request rejected: {own}; environment {STALE[kind][1]}; {header}{SIGNATURE}"
    return text, (f"request rejected: {shown}; environment ***; Authorization: *** Access=HPUAEXAMPLE, "
                  "SignedHeaders=host;x-sdk-date, Signature=***")


@pytest.fixture(scope="module")
def echoing_drs() -> Iterator[ThreadedEmulator]:
    """The emulator in a thread of this process, issuing `ISSUED` as every IAM token."""
    config = EmulatorConfig(access_key=AK, secret_key=SK, project_id=PROJECT_ID, user_name=USER, password=PASSWORD,
                            domain_name=DOMAIN, auth_token=TOKEN, transition_seconds=0.1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(emulator_iam, "secrets", SimpleNamespace(token_urlsafe=lambda _n: ISSUED.removeprefix("MII")))
        with ThreadedEmulator(config) as emu:
            yield emu


@pytest.mark.parametrize("kind", ["aksk", "password", "token"])
def test_secrets_drs_echoes_in_error_texts_reach_no_one(tmp_path: Path, echoing_drs: ThreadedEmulator,
                                                         kind: str) -> None:
    admin = fresh(echoing_drs.admin)
    stale_env, stale = STALE[kind]
    es = make_stack(tmp_path / "stack", batch_program, credentials(kind, echoing_drs.url),
                    env={**FAST_ENV, "PYTHONPATH": provider_logging(tmp_path), stale_env: stale})
    job_ids = [j["id"] for j in admin.create_jobs(2)]
    es.program_args["batches"] = {"orders": {"job_ids": job_ids, "stop_on_delete": True}}
    seen = Seen({})

    failures = exercise_echoes(es, admin, seen, kind)

    assert_started_once(admin, job_ids)
    if kind == "password":
        assert any(r["path"] == "/v3/auth/tokens" for r in admin.requests_log()), "no IAM token was issued"
    secrets = [SK, PASSWORD, TOKEN, ISSUED, SIGNATURE, stale]
    assert not seen.leaks(secrets), seen.leaks(secrets)
    shown = echo(kind)[1]
    assert [label for label, text in failures.items() if shown not in text] == [], \
        f"DRS's text is not shown redacted as {shown!r}"


def exercise_echoes(es: EngineStack, admin: EmulatorAdmin, seen: Seen, kind: str) -> dict[str, str]:
    """A preview and an up failing on an echoing DRS, an up, a refresh failing on it, export, destroy; the
    text of each failure."""
    text = echo(kind)[0]
    status_500 = {"path": "batch-status", "mode": "status", "status": 500, "error_msg": text, "times": 0}
    start_400 = {"path": "batch-starting", "mode": "status", "status": 400, "error_code": "DRS.M00202",
                 "error_msg": text, "times": 0}
    failures = {
        "preview": echoing_failure(seen, admin, "preview", es.preview, status_500, "cannot check the jobs with DRS: "),
        "up": echoing_failure(seen, admin, "up", es.up, start_400, "batch-starting: DRS answered HTTP 400 "),
    }
    up = run(seen, "up", es.up, **VERBOSE)
    assert not isinstance(up, auto.CommandError), str(up)[-3000:]
    assert up.outputs["orders_statuses"].value == dict.fromkeys(es.program_args["batches"]["orders"]["job_ids"],
                                                                RUNNING)
    failures["refresh"] = echoing_failure(seen, admin, "refresh", es.refresh, status_500,
                                          "batch-status: DRS answered HTTP 500 ")
    seen.add("pulumi stack export", es.export())
    assert not isinstance(run(seen, "destroy", es.destroy, **VERBOSE), auto.CommandError)
    for path in sorted((es.work_dir.parent / "backend").rglob("*")):
        if path.is_file():
            seen.add("state backend files", path.read_bytes())
    return failures


def echoing_failure(seen: Seen, admin: EmulatorAdmin, label: str, operation: Callable[..., Any],
                    fault: dict[str, Any], says: str) -> str:
    """`operation` fails, naming the call, while DRS answers `fault`; the failure's text (output and log)."""
    admin.add_fault(**fault)
    failed = run(seen, f"{label} on an echoing DRS", operation, **VERBOSE)
    admin.clear_faults()
    assert isinstance(failed, auto.CommandError), f"the {label} did not fail"
    assert says in str(failed), str(failed)[-3000:]
    return str(failed)
